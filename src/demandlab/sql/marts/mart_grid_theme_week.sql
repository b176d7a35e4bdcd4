-- Records per grid × theme × ISO week, dense over weeks for every grid × theme pair
-- that ever occurs, with the previous week and a trailing 8-week baseline (the
-- 8 weeks before, not counting the week itself). A theme has one label and one category: min()
-- takes that value (any_value would be free to take another on a rebuild).
with records as (
    select grid_id, theme_id, theme_label, category, week_start from mart_records
    where grid_id is not null
),

pairs as (
    select grid_id, theme_id, min(theme_label) as theme_label, min(category) as category
    from records
    group by grid_id, theme_id
),

spine as (
    select p.grid_id, p.theme_id, p.theme_label, p.category, w.week_start, w.iso_week
    from pairs as p
    cross join mart_weeks as w
),

counts as (
    select grid_id, theme_id, week_start, count(*) as n
    from records
    group by grid_id, theme_id, week_start
),

filled as (
    select s.*, coalesce(c.n, 0) as n
    from spine as s
    left join counts as c
        on s.grid_id = c.grid_id and s.theme_id = c.theme_id and s.week_start = c.week_start
),

final as (
    select
        *,
        lag(n) over w as n_prev_week,
        avg(n) over (w rows between 8 preceding and 1 preceding) as baseline_mean,
        count(n) over (w rows between 8 preceding and 1 preceding) as baseline_weeks,
        n - coalesce(lag(n) over w, 0) as change_vs_prev
    from filled
    window w as (partition by grid_id, theme_id order by week_start)
)

select * from final
