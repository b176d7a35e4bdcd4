-- 一老一小: records that concern the elderly or children (records.focus) against everyone, per level: the
-- district (total), street, community, theme and ISO week. One row per level × group × unit; `focus_group`
-- is elderly, children or all (every record, the comparison). A record of both groups counts in each.
-- share = records of the group / all records of the same unit. The rates are mart_kpi's, with the same
-- denominators:
--   响应率 = responded / accepted; 解决率 = resolved / closed with 是否解决 known; 满意率 = (满意 + 基本满意) /
--   answered follow-ups; 按期办结率 = closed by the due time / records due by the as-of time; 办结时长 median
--   hours from acceptance (else creation) to closing; 逾期未结 = open past the due time (NULL without due times).
-- The `all` rows are mart_kpi's rows of the same levels, so everyone is counted once, by one definition; only
-- the records of a group (a quarter of them in the synthetic district) are aggregated here.
with as_of as (
    select max(created_at) as as_of from mart_records
),

records as (
    select
        r.*,
        a.as_of,
        coalesce(r.status = 'closed', false) as is_closed,
        date_diff('second', coalesce(r.accepted_at, r.created_at), r.closed_at) / 3600.0 as close_hours_raw
    from mart_records as r
    cross join as_of as a
    where array_length(r.focus) > 0
),

grouped_records as (
    select r.*, g.focus_group
    from records as r
    cross join unnest(r.focus) as g (focus_group)
),

grouped as (
    select
        case
            when grouping(community) = 0 then 'community'
            when grouping(street) = 0 then 'street'
            when grouping(theme_id) = 0 then 'theme'
            when grouping(week_start) = 0 then 'week'
            else 'total'
        end as level,
        focus_group,
        street,
        community,
        theme_id,
        case when grouping(theme_id) = 0 then min(theme_label) end as theme_label,
        week_start,
        case when grouping(week_start) = 0 then min(iso_week) end as iso_week,
        count(*) as n,
        count(case when accepted_at is not null then 1 end) as n_accepted,
        count(case when accepted_at is not null and responded_at is not null then 1 end) as n_responded,
        count(case when is_closed and resolved is not null then 1 end) as n_resolution_known,
        count(case when is_closed and resolved then 1 end) as n_resolved,
        count(case when satisfaction in ('satisfied', 'basic', 'dissatisfied') then 1 end) as n_surveyed,
        count(case when satisfaction in ('satisfied', 'basic') then 1 end) as n_satisfied,
        count(case when due_at is not null and (is_closed or due_at < as_of) then 1 end) as n_due,
        count(case when due_at is not null and is_closed and closed_at <= due_at then 1 end) as n_ontime,
        case when count(due_at) > 0 then count(case when not is_closed and due_at < as_of then 1 end) end as overdue_open,
        median(case when close_hours_raw >= 0 and is_closed then close_hours_raw end) as hours_to_close_median
    from grouped_records
    group by grouping sets (
        (focus_group),
        (focus_group, street),
        (focus_group, street, community),
        (focus_group, theme_id),
        (focus_group, week_start)
    )
),

everyone as (
    select
        level,
        'all' as focus_group,
        street,
        community,
        theme_id,
        theme_label,
        week_start,
        iso_week,
        n,
        response_rate,
        resolution_rate,
        satisfaction_rate,
        ontime_rate,
        hours_to_close_median,
        overdue_open
    from mart_kpi
    where level in ('total', 'street', 'community', 'theme', 'week')
),

final as (
    select
        g.level,
        g.focus_group,
        g.street,
        g.community,
        g.theme_id,
        g.theme_label,
        g.week_start,
        g.iso_week,
        g.n,
        g.n / a.n as share,
        g.n_responded / nullif(g.n_accepted, 0) as response_rate,
        g.n_resolved / nullif(g.n_resolution_known, 0) as resolution_rate,
        g.n_satisfied / nullif(g.n_surveyed, 0) as satisfaction_rate,
        g.n_ontime / nullif(g.n_due, 0) as ontime_rate,
        g.hours_to_close_median,
        g.overdue_open
    from grouped as g
    inner join everyone as a
        on a.level = g.level
        and a.street is not distinct from g.street
        and a.community is not distinct from g.community
        and a.theme_id is not distinct from g.theme_id
        and a.week_start is not distinct from g.week_start
    union all
    select
        level,
        focus_group,
        street,
        community,
        theme_id,
        theme_label,
        week_start,
        iso_week,
        n,
        n / n as share,
        response_rate,
        resolution_rate,
        satisfaction_rate,
        ontime_rate,
        hours_to_close_median,
        overdue_open
    from everyone
)

select * from final
