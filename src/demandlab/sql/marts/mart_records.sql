-- One row per record with its theme and category: the table analysts start from.
-- Records not yet assigned count as theme -1 (未归类), never dropped.
with records as (
    select * from stg_records
),

themes as (
    select * from stg_themes
),

final as (
    select
        r.*,
        coalesce(t.theme_id, -1) as theme_id,
        coalesce(t.theme_label, '未归类') as theme_label,
        coalesce(t.category, '其他') as category,
        t.theme_score
    from records as r
    left join themes as t on r.source = t.source and r.record_id = t.record_id
)

select * from final
