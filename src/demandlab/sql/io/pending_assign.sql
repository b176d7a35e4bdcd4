-- What the assign stage reads: tokens not yet assigned under the current model ($1), or changed since.
select t.source, t.record_id, t.content_hash, t.tokens
from tokens as t
left join assignments as a on t.source = a.source and t.record_id = a.record_id
where a.model_version is distinct from ? or a.content_hash is distinct from t.content_hash
order by t.source, t.record_id
