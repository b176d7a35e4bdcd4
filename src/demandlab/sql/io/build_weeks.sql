-- What a mart kept week by week computes again: the weeks from each changed week (_changed_weeks; a week gone
-- from mart_weeks counts from the next one) to the $lookback-th data week after it (`refresh`), and the
-- $lookback data weeks before each of those, which its trailing windows read (`refresh` false).
with weeks as (
    select week_start, week_index from mart_weeks
),

starts as (
    select min(w.week_index) as week_index
    from _changed_weeks as c
    inner join weeks as w on c.week_start <= w.week_start
    group by c.week_start
),

refreshed as (
    select distinct w.week_start, w.week_index
    from starts as s
    inner join weeks as w on w.week_index between s.week_index and s.week_index + $lookback
)

select w.week_start, w.week_start in (select r.week_start from refreshed as r) as refresh
from weeks as w
where exists (
    select 1 from refreshed as r where w.week_index between r.week_index - $lookback and r.week_index
)
