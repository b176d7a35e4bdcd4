-- The theme each record of _keys (the records a fit learns from) had in the previous fit, before analysts'
-- merges (a merge stays an override that can be taken back instead of becoming the new fit's identity).
select a.source, a.record_id, c.theme_id
from assignments as a
semi join _keys as k on a.source = k.source and a.record_id = k.record_id
inner join theme_clusters as c on c.model_version = a.model_version and c.cluster = a.cluster
where a.cluster >= 0
