-- What the segment stage reads: records whose text changed, or that the current segmenter ($1) has not cut.
select r.source, r.record_id, r.content_hash, r.title, r.text
from records as r
left join tokens as t on r.source = t.source and r.record_id = t.record_id
where t.content_hash is distinct from r.content_hash or t.segmenter is distinct from ?
order by r.source, r.record_id
