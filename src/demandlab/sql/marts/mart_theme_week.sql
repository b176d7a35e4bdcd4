-- Records per theme × ISO week (dense), with the previous week and the 8-week baseline.
-- A theme has one label and one category: min() takes that value, the same on every rebuild.
with counts as (
    select theme_id, week_start, count(*) as n from mart_records group by theme_id, week_start
),

themes as (
    select theme_id, min(theme_label) as theme_label, min(category) as category
    from mart_records group by theme_id
),

filled as (
    select t.theme_id, t.theme_label, t.category, w.week_start, w.iso_week, coalesce(c.n, 0) as n
    from themes as t
    cross join mart_weeks as w
    left join counts as c on t.theme_id = c.theme_id and w.week_start = c.week_start
),

final as (
    select
        *,
        lag(n) over w as n_prev_week,
        avg(n) over (w rows between 8 preceding and 1 preceding) as baseline_mean
    from filled
    window w as (partition by theme_id order by week_start)
)

select * from final
