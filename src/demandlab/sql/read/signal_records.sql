-- What the signals read: each record with its theme and the place its text names, in order of creation.
-- {extra}: title, text and tokens (or nothing); {tokens}: their join; {where}: from a moment on (or nothing).
select
    m.source, m.record_id, m.created_at, m.week_start, m.iso_week, m.street, m.community, m.grid_id,
    m.theme_id, m.theme_label, m.category, m.contact_key, m.likes, {extra}
    p.place_kind, p.place, p.place_key, p.place_road
from mart_records as m
left join record_places as p on m.source = p.source and m.record_id = p.record_id
{tokens}
{where}
order by m.created_at, m.source, m.record_id
