-- What the fit reads: every record's tokens and text, and whether it is in the window (from $1 on).
select t.source, t.record_id, t.content_hash, t.tokens, r.text, r.week_start >= ? as in_window
from tokens as t
inner join records as r using (source, record_id)
order by t.source, t.record_id
