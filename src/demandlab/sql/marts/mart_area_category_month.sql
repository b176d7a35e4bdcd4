-- Records per street and per community × category × calendar month, dense over the months of the
-- data for every area × category that ever occurs, with the change against the previous month,
-- the same month a year before, and a baseline: the mean of the 12 months before (fewer at the
-- start of the data; `baseline_months` says how many). `partial` marks a month the data does not
-- cover to its end, whose count is not comparable yet.
with records as (
    select street, community, category, date_trunc('month', created_at)::date as month, created_at
    from mart_records
    where street is not null
),

bounds as (
    select min(month) as first_month, max(month) as last_month from records
),

months as (
    select cast(m.month as date) as month
    from bounds as b
    cross join unnest(generate_series(b.first_month, b.last_month, interval 1 month)) as m (month)
),

as_of as (
    select max(created_at) as as_of from records
),

counts as (
    select
        case when grouping(community) = 0 then 'community' else 'street' end as level,
        street,
        coalesce(community, '') as community,
        category,
        month,
        count(*) as n
    from records
    group by grouping sets ((street, category, month), (street, community, category, month))
),

pairs as (
    select distinct level, street, community, category from counts
),

filled as (
    select p.*, m.month, coalesce(c.n, 0) as n
    from pairs as p
    cross join months as m
    left join counts as c
        on
            p.level = c.level and p.street = c.street and p.community = c.community
            and p.category = c.category and m.month = c.month
),

final as (
    select
        level,
        street,
        nullif(community, '') as community,
        category,
        month,
        strftime(month, '%Y-%m') as month_label,
        n,
        lag(n) over w as n_prev_month,
        n - lag(n) over w as change_vs_prev,
        lag(n, 12) over w as n_last_year,
        avg(n) over (w rows between 12 preceding and 1 preceding) as baseline_mean,
        count(n) over (w rows between 12 preceding and 1 preceding) as baseline_months,
        n / nullif(avg(n) over (w rows between 12 preceding and 1 preceding), 0) as ratio_vs_baseline,
        month + interval 1 month > (select as_of from as_of) as partial
    from filled
    window w as (partition by level, street, community, category order by month)
)

select * from final
