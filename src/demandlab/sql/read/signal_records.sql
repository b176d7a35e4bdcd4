-- What the signals read: each record with its theme and the place its text names, in order of creation.
-- {extra}: title, text and tokens, or tokens, or nothing; {tokens}: their join; {groups}: the record's
-- repeat group (mart_repeats) as repeat_group_id, or nothing; {where}: conditions on m and p, or nothing;
-- {only}: a semi join keeping the records that match a registered frame (_only) on its columns, or nothing.
with records as (
    select
        m.source, m.record_id, m.created_at, m.week_start, m.iso_week, m.street, m.community, m.grid_id,
        m.theme_id, m.theme_label, m.category, m.contact_key, m.likes, {extra}
        p.place_kind, p.place, p.place_key, p.place_road{group_column}
    from mart_records as m
    left join record_places as p on m.source = p.source and m.record_id = p.record_id
    {tokens}
    {groups}
    {where}
),

final as (
    select r.* from records as r
    {only}
)

select * from final
order by created_at, source, record_id
