-- One grid × theme's surge test week by week ($first … $last week_start): its count and what was expected.
select w.iso_week, s.n, s.expected
from mart_surge_scores as s
inner join mart_weeks as w using (week_start)
where s.grid_id = $grid_id and s.theme_id = $theme_id and s.week_start between $first and $last
order by s.week_start
