-- The cleaned record of each record a file names: what a purged record's next version starts from.
create or replace temp table _known as
select k.*
from main.records as k
semi join _accepted as a on k.source = a.source and k.record_id = a.record_id
