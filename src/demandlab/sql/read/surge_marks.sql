-- The surge alerts of one grid × theme in $first … $last (week_start), with their evidence.
select iso_week, kind, evidence
from mart_alerts
where kind = 'surge' and grid_id = $grid_id and theme_id = $theme_id and week_start between $first and $last
order by week_start
