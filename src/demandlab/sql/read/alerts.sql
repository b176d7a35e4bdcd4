-- Alerts with their evidence and records, and seen_by_grid: whether a grid worker had recorded the matter
-- (a visit, or a record carrying a grid worker, of the alert's grid and theme) in the 28 days up to the
-- alert's first record (未诉先办: the grid saw it first). NULL for an alert without a grid or theme.
-- The test is sql/read/alert_seen.sql (NULL when mart_records predates grid workers).
select
    a.*,
    case when a.grid_id is null or a.theme_id is null or a.theme_id < 0 then null else {seen} end as seen_by_grid
from mart_alerts as a
{where}
order by {order}
