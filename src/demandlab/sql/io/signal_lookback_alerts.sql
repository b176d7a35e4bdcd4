-- The alerts of kind $kind stored for the weeks $first … before $until: what a block of weeks reads of the
-- weeks before it (crowd: alerted weeks count at their expected value; every kind: a run goes on counting).
select alert_id, week_start, theme_id, expected, weeks_running
from mart_alerts
where kind = $kind and week_start >= $first and week_start < $until
order by week_start, alert_id
