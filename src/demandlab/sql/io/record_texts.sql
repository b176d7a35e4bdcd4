-- Title and text of the records of a registered frame (_keys: source, record_id): the hot issues' examples.
select m.source, m.record_id, m.title, m.text
from mart_records as m
semi join _keys using (source, record_id)
