-- Rows of a partial export (no creation time) naming a record that was never loaded.
select a.row_number, a.record_id
from _accepted as a
anti join _latest as l on l.source = a.source and l.record_id = a.record_id
anti join _known as k on k.source = a.source and k.record_id = a.record_id
where a.created_at is null
order by a.row_number
