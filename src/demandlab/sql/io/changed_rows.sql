-- The keys of {table} whose compared columns ({cols}) differ from its model (_incoming): new, changed or
-- gone rows, found by one join of narrow scans of both sides (no text is read; one join, not an `except`
-- each way), with the earlier created_at of the two sides.
select {keys}, least(s.created_at, t.created_at) as created_at
from (select {cols} from _incoming) as s
full join (select {cols} from {table}) as t on {on}
where ({incoming_cols}) is distinct from ({table_cols})
