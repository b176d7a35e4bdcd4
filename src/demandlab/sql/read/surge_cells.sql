-- One grid × theme's surge test week by week ($first … $last week_start): its count and what was expected.
-- A week without records has no row in mart_surge_scores: it reads 0, with no expectation (NULL).
select w.iso_week, coalesce(s.n, 0) as n, s.expected
from mart_weeks as w
left join mart_surge_scores as s
    on s.week_start = w.week_start and s.grid_id = $grid_id and s.theme_id = $theme_id
where w.week_start between $first and $last
order by w.week_start
