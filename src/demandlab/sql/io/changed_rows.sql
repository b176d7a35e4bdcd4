-- The keys of {table} whose compared columns ({cols}) differ from its model (_incoming): new, changed or
-- gone rows, found from narrow scans of both sides (no text is read), with each row's created_at.
select {key}, created_at
from (
    (select {cols} from _incoming except select {cols} from {table})
    union all
    (select {cols} from {table} except select {cols} from _incoming)
)
