-- 一老一小 tags of records cleaned before schema version 8 (_focus: source, record_id, focus); nothing else changes.
update records as r
set focus = t.focus
from _focus as t
where r.source = t.source and r.record_id = t.record_id
