-- The stored alerts of kind $kind holding any record of the registered frame _keys (source, record_id),
-- with every record they hold, one row per record (source, record_id split from "source:record_id").
with held as (
    select alert_id, unnest(records) as record_key
    from mart_alerts
    where kind = $kind
),

hit as (
    select distinct h.alert_id
    from held as h
    inner join _keys as k on h.record_key = k.source || ':' || k.record_id
)

select
    h.alert_id,
    split_part(h.record_key, ':', 1) as source,
    substr(h.record_key, length(split_part(h.record_key, ':', 1)) + 2) as record_id
from held as h
where h.alert_id in (select alert_id from hit)
order by all
