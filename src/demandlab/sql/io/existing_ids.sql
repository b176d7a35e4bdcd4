-- For ids a file names (_keys), the message loaded under each before the file's batch ($1): its
-- latest raw version, or where retention purged the raw rows, the cleaned record. What the
-- one-id-two-messages rule compares. Rows the batch itself wrote (its earlier chunks) do not count.
select r.source, r.record_id, r.created_at, r.title, r.batch_id, r.row_number
from restricted.raw_records as r
semi join _keys as k using (source, record_id)
where r.batch_id <> $1
qualify row_number() over (partition by r.source, r.record_id order by r.version desc) = 1
union all by name
select c.source, c.record_id, c.created_at, c.title, c.batch_id, null::bigint as row_number
from main.records as c
semi join _keys as k using (source, record_id)
where not exists (
    select 1 from restricted.raw_records as r
    where r.source = c.source and r.record_id = c.record_id and r.batch_id <> $1
)
