-- What the assign stage reads: tokens not yet assigned under the current model ($1), or changed since. The
-- pending keys are found on the key, hash and version columns; only theirs are then read with their tokens.
with pending as (
    select t.source, t.record_id
    from tokens as t
    left join assignments as a on t.source = a.source and t.record_id = a.record_id
    where a.model_version is distinct from ? or a.content_hash is distinct from t.content_hash
)

select t.source, t.record_id, t.content_hash, t.tokens
from tokens as t
semi join pending as p on t.source = p.source and t.record_id = p.record_id
order by t.source, t.record_id
