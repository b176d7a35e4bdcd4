-- The grid × theme × week counts surges are scored on, weeks $first … $last, only cells with records
-- (a missing cell is 0): what scoring a block of weeks reads, whether mart_grid_theme_week is dense or not.
select grid_id, theme_id, week_start, n
from mart_grid_theme_week
where n > 0 and week_start between $first and $last
order by week_start, grid_id, theme_id
