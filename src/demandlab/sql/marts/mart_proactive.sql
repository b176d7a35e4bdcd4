-- 主动发现: the problems of each grid × theme first seen by the grid (a grid worker's visit or report) before
-- any complaint. A problem (an episode) starts with a record of a grid and theme after 28 days without one
-- (more than 28 × 24 hours after the last; or with the first one); it is found by the grid when that first record is a visit (source = 'visit') or
-- carries a grid worker. Unassigned records (theme -1) and records without a grid are no problem of a grid.
-- Ties in time are broken by source and record id, so a rebuild gives the same episodes. Week rows count
-- the problems begun in each ISO week (the report sums its last four).
with records as (
    select
        street,
        community,
        grid_id,
        theme_id,
        theme_label,
        created_at,
        week_start,
        source,
        record_id,
        coalesce(source = 'visit' or grid_worker is not null, false) as by_grid
    from mart_records
    where grid_id is not null and theme_id >= 0
),

ordered as (
    select
        *,
        lag(created_at) over (partition by grid_id, theme_id order by created_at, source, record_id) as previous_at
    from records
),

episodes as (
    select *
    from ordered
    where previous_at is null or created_at > previous_at + interval 28 day
),

grouped as (
    select
        case
            when grouping(grid_id) = 0 then 'grid'
            when grouping(community) = 0 then 'community'
            when grouping(street) = 0 then 'street'
            when grouping(theme_id) = 0 then 'theme'
            when grouping(week_start) = 0 then 'week'
        end as level,
        street,
        community,
        grid_id,
        theme_id,
        case when grouping(theme_id) = 0 then min(theme_label) end as theme_label,
        week_start,
        count(*) as problems,
        count(*) filter (where by_grid) as found_by_grid
    from episodes
    group by grouping sets ((street), (street, community), (street, community, grid_id), (theme_id), (week_start))
),

-- the total apart from the grouping sets: of no episodes at all (exports without grids) it is one row of 0
-- problems, where a grand-total set `()` gives that row in DuckDB and none in Spark
total as (
    select
        'total' as level,
        null as street,
        null as community,
        null as grid_id,
        null as theme_id,
        null as theme_label,
        null as week_start,
        count(*) as problems,
        count(*) filter (where by_grid) as found_by_grid
    from episodes
),

final as (
    select *, found_by_grid / nullif(problems, 0) as proactive_rate
    from (select * from grouped union all select * from total)
)

select * from final
