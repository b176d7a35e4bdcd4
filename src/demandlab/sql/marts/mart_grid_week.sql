-- Records per grid × ISO week (dense), with place names, previous week and 8-week baseline.
with counts as (
    select grid_id, week_start, count(*) as n from mart_records where grid_id is not null group by grid_id, week_start
),

grids as (
    select grid_id, grid_name, street, community from grids
    union
    select distinct grid_id, grid_id, street, community from mart_records
    where grid_id is not null and grid_id not in (select grid_id from grids)
),

filled as (
    select g.grid_id, g.grid_name, g.street, g.community, w.week_start, w.iso_week, coalesce(c.n, 0) as n
    from grids as g
    cross join mart_weeks as w
    left join counts as c on g.grid_id = c.grid_id and w.week_start = c.week_start
),

final as (
    select
        *,
        lag(n) over w as n_prev_week,
        avg(n) over (w rows between 8 preceding and 1 preceding) as baseline_mean
    from filled
    window w as (partition by grid_id order by week_start)
)

select * from final
