-- mart_grid_theme_week dense over mart_weeks for every pair it has (narrowed by the caller): the weeks
-- the mart leaves out (no record that week nor in the 8 data weeks before) put back as it would have
-- computed them: n 0, the previous week 0 and the baseline 0.0 (NULL in the first week of the data),
-- baseline_weeks the weeks before (up to 8).
with cells as (
    select * from mart_grid_theme_week{where}
),

pairs as (
    select grid_id, theme_id, min(theme_label) as theme_label, min(category) as category
    from cells
    group by grid_id, theme_id
),

final as (
    select
        p.grid_id,
        p.theme_id,
        p.theme_label,
        p.category,
        w.week_start,
        w.iso_week,
        coalesce(c.n, 0) as n,
        case when c.n is not null then c.n_prev_week when w.week_index > 1 then 0 end as n_prev_week,
        case when c.n is not null then c.baseline_mean when w.week_index > 1 then 0.0 end as baseline_mean,
        coalesce(c.baseline_weeks, least(w.week_index - 1, 8)) as baseline_weeks,
        coalesce(c.change_vs_prev, 0) as change_vs_prev
    from pairs as p
    cross join mart_weeks as w
    left join cells as c on p.grid_id = c.grid_id and p.theme_id = c.theme_id and w.week_start = c.week_start
)

select * from final
order by grid_id, theme_id, week_start
