-- The latest raw version of each record a file names (restricted file), for comparing and carrying over.
create or replace temp table _latest as
select r.*
from restricted.raw_records as r
semi join _accepted as a on r.source = a.source and r.record_id = a.record_id
qualify row_number() over (partition by r.source, r.record_id order by r.version desc) = 1
