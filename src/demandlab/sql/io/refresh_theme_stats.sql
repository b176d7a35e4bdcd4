-- Each theme's size and the first and last day it was raised (themes without records were set to 0 before).
update themes
set size = s.n, first_seen = s.first_seen, last_seen = s.last_seen
from (
    select a.theme_id, count(*) as n, min(r.created_at)::date as first_seen, max(r.created_at)::date as last_seen
    from assignments as a
    inner join records as r using (source, record_id)
    group by a.theme_id
) as s
where themes.theme_id = s.theme_id
