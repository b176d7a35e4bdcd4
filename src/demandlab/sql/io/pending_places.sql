-- What the locate stage reads: records whose text is new or changed ({everything}: all records). The pending
-- keys are found on the key and hash columns; only theirs are then read with their texts (as pending_tokens).
with pending as (
    select r.source, r.record_id
    from records as r
    left join record_places as p on r.source = p.source and r.record_id = p.record_id
    where {everything} or p.content_hash is distinct from r.content_hash
)

select r.source, r.record_id, r.content_hash, r.title, r.text, r.address, r.building
from records as r
semi join pending as p on r.source = p.source and r.record_id = p.record_id
order by r.source, r.record_id
