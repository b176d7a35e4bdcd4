-- Records per grid × theme × ISO week with the previous week and a trailing 8-week baseline (the 8 data
-- weeks of mart_weeks before, not counting the week itself). Sparse: a row for every week in which the pair
-- has records or had some in the 8 weeks before; the rows left out would be all zero
-- (`dl.marts.grid_theme_week` puts them back, sql/read/grid_theme_week.sql). A theme has one label and one
-- category: min() takes that value (any_value would be free to take another on a rebuild).
--
-- Kept week by week (marts/build.py): build_weeks lists the weeks read and marks those computed (`refresh`):
-- every week on a whole build; on an update the weeks a change touches and the 8 data weeks before each.
with weeks as (
    select w.week_start, w.iso_week, b.refresh
    from mart_weeks as w
    inner join build_weeks as b on w.week_start = b.week_start
),

records as (
    select grid_id, theme_id, theme_label, category, week_start from mart_records
    where grid_id is not null and week_start in (select week_start from weeks)
),

pairs as (
    select grid_id, theme_id, min(theme_label) as theme_label, min(category) as category
    from records
    group by grid_id, theme_id
),

spine as (
    select p.grid_id, p.theme_id, p.theme_label, p.category, w.week_start, w.iso_week, w.refresh
    from pairs as p
    cross join weeks as w
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

windowed as (
    select
        *,
        lag(n) over w as n_prev_week,
        avg(n) over (w rows between 8 preceding and 1 preceding) as baseline_mean,
        count(n) over (w rows between 8 preceding and 1 preceding) as baseline_weeks,
        n - coalesce(lag(n) over w, 0) as change_vs_prev
    from filled
    window w as (partition by grid_id, theme_id order by week_start)
),

final as (
    select
        grid_id, theme_id, theme_label, category, week_start, iso_week,
        n, n_prev_week, baseline_mean, baseline_weeks, change_vs_prev
    from windowed
    where refresh and (n > 0 or baseline_mean > 0)
)

select * from final
