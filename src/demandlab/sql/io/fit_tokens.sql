-- What the fit learns from: tokens and text of the records from $1 on, at most $2 of them. The sample is
-- fixed by a hash of the key, so a record in it stays in it as the window slides; below $2 it is the
-- whole window. The rest of the records are assigned afterwards, in batches, like new ones.
with window_records as (
    select t.source, t.record_id, t.content_hash, t.tokens, r.text
    from tokens as t
    inner join records as r using (source, record_id)
    where r.week_start >= ?
),

sample as (
    select * from window_records
    order by md5(source || chr(31) || record_id)
    limit ?
),

final as (
    select * from sample
)

select * from final
order by source, record_id
