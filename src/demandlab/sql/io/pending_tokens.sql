-- What the segment stage reads: records whose text changed, or that the current segmenter ($1) has not cut.
-- The pending keys are found on the key and hash columns; only theirs are then read with their texts (not every
-- record's text joined to every token row first, which cost the weekly job's segment stage its time at scale).
with pending as (
    select r.source, r.record_id
    from records as r
    left join tokens as t on r.source = t.source and r.record_id = t.record_id
    where t.content_hash is distinct from r.content_hash or t.segmenter is distinct from ?
)

select r.source, r.record_id, r.content_hash, r.title, r.text
from records as r
semi join pending as p on r.source = p.source and r.record_id = p.record_id
order by r.source, r.record_id
