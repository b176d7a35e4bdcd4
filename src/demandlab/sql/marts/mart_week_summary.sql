-- One row per ISO week: totals, sources, and the 三率 of the records raised that week. One n_<source> column
-- per source of labels.SOURCE_LABELS_ZH (the report and the charts name each in Chinese); n_other counts the rest.
--   响应率 response_rate   = responded / records with an acceptance time (closed-loop records)
--   解决率 resolution_rate = resolved = true / closed records whose 是否解决 is known
--   满意率 satisfaction_rate = (满意 + 基本满意) / records with a follow-up answer (未回访 excluded)
-- Records lacking the needed field are left out of that rate's denominator and counted in *_unknown.
with records as (
    select * from mart_records
),

weekly as (
    select
        week_start,
        min(iso_week) as iso_week,  -- one ISO week per week_start
        count(*) as n,
        count(*) filter (where source = '12345') as n_12345,
        count(*) filter (where source = 'snapshot') as n_snapshot,
        count(*) filter (where source = 'visit') as n_visit,
        count(*) filter (where source = 'message_board') as n_message_board,
        count(*) filter (where source not in ('12345', 'snapshot', 'visit', 'message_board')) as n_other,
        count(*) filter (where accepted_at is not null) as n_closed_loop,
        count(*) filter (where accepted_at is not null and responded_at is not null) as n_responded,
        count(*) filter (where status = 'closed' and resolved is not null) as n_resolution_known,
        count(*) filter (where status = 'closed' and resolved) as n_resolved,
        count(*) filter (where satisfaction in ('satisfied', 'basic', 'dissatisfied')) as n_surveyed,
        count(*) filter (where satisfaction in ('satisfied', 'basic')) as n_satisfied,
        count(*) filter (where status = 'closed' and resolved is null) as resolution_unknown,
        count(*) filter (where satisfaction is null) as satisfaction_unknown,
        count(distinct grid_id) as grids_active
    from records
    group by week_start
),

final as (
    select
        w.*,
        n_responded / nullif(n_closed_loop, 0) as response_rate,
        n_resolved / nullif(n_resolution_known, 0) as resolution_rate,
        n_satisfied / nullif(n_surveyed, 0) as satisfaction_rate,
        lag(n) over (order by week_start) as n_prev_week,
        (select y.n from weekly as y where y.week_start = w.week_start - interval 364 day) as n_last_year
    from weekly as w
)

select * from final order by week_start
