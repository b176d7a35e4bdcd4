-- Each accepted row becomes a new version of its record unless nothing changed. Columns the file
-- does not carry keep the previous version's value ({columns}); the content hash ({hash}) is
-- DuckDB's md5 over the canonical values, base64, so no run of it reads as a phone number.
insert into restricted.raw_records by name
select * exclude (previous)
from (
    select
        {columns},
        a.row_number,
        {hash} as content_hash,
        coalesce(l.content_hash, k.content_hash) as previous,
        (coalesce(l.version, k.version, 0) + 1)::integer as version,
        ?::varchar as batch_id,
        ?::timestamp as loaded_at
    from _accepted as a
    left join _latest as l on l.source = a.source and l.record_id = a.record_id
    left join _known as k on k.source = a.source and k.record_id = a.record_id
)
where previous is distinct from content_hash and created_at is not null
