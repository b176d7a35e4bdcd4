-- Themed records per place key, kind, road and theme, created after $after and up to $until: the year before
-- a hot-issue period, counted here (demandlab.signals.hot.place_counts) rather than read row by row.
select p.place_key, p.place_kind, p.place_road, m.theme_id, count(*) as n
from mart_records as m
left join record_places as p on m.source = p.source and m.record_id = p.record_id
where m.theme_id >= 0 and m.created_at > $after and m.created_at <= $until
group by all
order by all
