-- The first and the last week of the records, and the records of the busiest week (how many weeks a block of
-- the signals holds: demandlab.signals.stage.block_weeks).
select min(week_start) as first_week, max(week_start) as last_week, max(n) as busiest
from (select week_start, count(*) as n from mart_records group by week_start)
