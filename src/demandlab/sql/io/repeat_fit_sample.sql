-- Where there is no theme model: the records' tokens the TF-IDF of repeats is fitted on, $n of them spread over
-- the whole database by a hash of their key (the same records give the same sample), in a fixed order.
select t.tokens
from tokens as t
semi join mart_records as m on m.source = t.source and m.record_id = t.record_id
where t.tokens is not null
order by hash(t.source, t.record_id), t.source, t.record_id
limit $n
