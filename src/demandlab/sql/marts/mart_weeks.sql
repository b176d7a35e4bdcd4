-- The ISO weeks covered by the data, one row each, in order.
with weeks as (
    select distinct week_start, iso_week from mart_records
),

final as (
    select week_start, iso_week, row_number() over (order by week_start) as week_index
    from weeks
)

select * from final
