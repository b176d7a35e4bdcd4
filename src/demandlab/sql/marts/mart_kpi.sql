-- Closed-loop KPIs (闭环办理) per level: the district (total), street, community, grid, handling
-- unit (dept), theme, ISO week, and street × week. One row per group; `level` names the grouping.
--
-- Definitions (each rate leaves records lacking its field out of the denominator and counts
-- them in the matching *_unknown column; nothing is guessed):
--   响应率 response_rate      = responded / records with an acceptance time (accepted_at)
--   解决率 resolution_rate    = resolved = true / closed records whose 是否解决 is known
--   满意率 satisfaction_rate  = (满意 + 基本满意) / records with a follow-up answer (未回访 excluded)
--   按期办结率 ontime_rate     = closed by the due time / records due by the as-of time
--                               (closed with a due time, or still open past it)
--   网格内办结 grid_closed_share = closed at grid level / closed records whose level is known
--   重办率 reopen_rate          = records reopened at least once / records whose reopen count is known
--   逾期未结 overdue_open       = records not closed whose due time is before the as-of time; NULL (unknown,
--                               not 0) when no record of the group has a due time
--   hours_to_respond  = responded_at − accepted_at; hours_to_close = closed_at − accepted_at (created_at
--                       when there is no acceptance time); a negative duration is a data error and
--                       is counted in duration_invalid, not used.
--   A record without a status counts as not closed.
-- The as-of time is the latest record's created_at, so a rebuild of the same data gives the same marts.
-- theme_label is set on theme rows and iso_week on rows grouped by week (NULL on the others: a label
-- that does not apply is left out, not picked at random); each is the one value of its group.
-- Written for speed over millions of records (bench/marts_speed.py): counts as count(case when … then 1 end),
-- which DuckDB aggregates faster than count(*) filter (where …), and each duration's median and p90 from one
-- quantile_cont over a list of both (one sort of the values, not two).
with as_of as (
    select max(created_at) as as_of from mart_records
),

records as (
    select
        r.*,
        a.as_of,
        coalesce(r.status = 'closed', false) as is_closed,
        date_diff('second', r.accepted_at, r.responded_at) / 3600.0 as respond_hours_raw,
        date_diff('second', coalesce(r.accepted_at, r.created_at), r.closed_at) / 3600.0 as close_hours_raw
    from mart_records as r
    cross join as_of as a
),

durations as (
    select
        *,
        case when respond_hours_raw >= 0 then respond_hours_raw end as hours_to_respond,
        case when close_hours_raw >= 0 and is_closed then close_hours_raw end as hours_to_close
    from records
),

grouped as (
    select
        case
            when grouping(street) = 0 and grouping(week_start) = 0 then 'street_week'
            when grouping(grid_id) = 0 then 'grid'
            when grouping(community) = 0 then 'community'
            when grouping(street) = 0 then 'street'
            when grouping(dept) = 0 then 'dept'
            when grouping(theme_id) = 0 then 'theme'
            when grouping(week_start) = 0 then 'week'
            else 'total'
        end as level,
        street,
        community,
        grid_id,
        dept,
        theme_id,
        case when grouping(theme_id) = 0 then min(theme_label) end as theme_label,
        week_start,
        case when grouping(week_start) = 0 then min(iso_week) end as iso_week,
        count(*) as n,
        count(case when accepted_at is not null then 1 end) as n_accepted,
        count(case when accepted_at is not null and responded_at is not null then 1 end) as n_responded,
        count(case when accepted_at is null then 1 end) as response_unknown,
        count(case when is_closed then 1 end) as n_closed,
        count(case when is_closed and resolved is not null then 1 end) as n_resolution_known,
        count(case when is_closed and resolved then 1 end) as n_resolved,
        count(case when is_closed and resolved is null then 1 end) as resolution_unknown,
        count(case when satisfaction in ('satisfied', 'basic', 'dissatisfied') then 1 end) as n_surveyed,
        count(case when satisfaction in ('satisfied', 'basic') then 1 end) as n_satisfied,
        count(case when satisfaction = 'not_surveyed' then 1 end) as n_not_surveyed,
        count(case when satisfaction is null then 1 end) as satisfaction_unknown,
        count(case when due_at is not null and (is_closed or due_at < as_of) then 1 end) as n_due,
        count(case when due_at is not null and is_closed and closed_at <= due_at then 1 end) as n_ontime,
        count(case when due_at is null then 1 end) as ontime_unknown,
        count(case when is_closed and resolved_level is not null then 1 end) as n_level_known,
        count(case when is_closed and resolved_level = 'grid' then 1 end) as n_closed_in_grid,
        count(case when is_closed and resolved_level is null then 1 end) as level_unknown,
        count(case when reopen_count is not null or status = 'reopened' then 1 end) as n_reopen_known,
        count(case when reopen_count > 0 or status = 'reopened' then 1 end) as n_reopened,
        count(case when reopen_count is null and status is distinct from 'reopened' then 1 end) as reopen_unknown,
        case when count(due_at) > 0 then count(case when not is_closed and due_at < as_of then 1 end) end as overdue_open,
        count(case when not is_closed then 1 end) as n_open,
        quantile_cont(hours_to_respond, [0.5, 0.9]) as respond_quantiles,
        quantile_cont(hours_to_close, [0.5, 0.9]) as close_quantiles,
        count(case when respond_hours_raw < 0 or (close_hours_raw < 0 and is_closed) then 1 end) as duration_invalid
    from durations
    group by grouping sets (
        (),
        (street),
        (street, community),
        (street, community, grid_id),
        (dept),
        (theme_id),
        (week_start),
        (street, week_start)
    )
),

final as (
    select
        * exclude (respond_quantiles, close_quantiles, duration_invalid),
        respond_quantiles[1] as hours_to_respond_median,
        respond_quantiles[2] as hours_to_respond_p90,
        close_quantiles[1] as hours_to_close_median,
        close_quantiles[2] as hours_to_close_p90,
        duration_invalid,
        n_responded / nullif(n_accepted, 0) as response_rate,
        n_resolved / nullif(n_resolution_known, 0) as resolution_rate,
        n_satisfied / nullif(n_surveyed, 0) as satisfaction_rate,
        n_ontime / nullif(n_due, 0) as ontime_rate,
        n_closed_in_grid / nullif(n_level_known, 0) as grid_closed_share,
        n_reopened / nullif(n_reopen_known, 0) as reopen_rate
    from grouped
)

select * from final
