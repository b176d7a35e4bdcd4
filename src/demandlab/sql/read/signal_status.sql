-- How many records carry each field the signals and the closed-loop measures need (demandlab.signals.status,
-- which names the keys): "n" records, "closed" closed records, "<base>:<need>" the records of base with need
-- (a field; "a&b" both; "a|b" either), "n:looked" records whose text was searched for a place, "weeks_before"
-- the weeks of data (mart_weeks: the whole database's calendar) before the last week counted.
-- {records}: the records to look at (mart_records or one scope of it); those raised in the weeks from the
-- first parameter to the second (week starts) are counted. The definitions follow sql/marts/mart_kpi.sql.
with records as (
    select
        m.*,
        p.place_key,
        p.record_id is not null as looked,
        coalesce(m.status = 'closed', false) as is_closed,
        coalesce(m.theme_id >= 0, false) as has_theme
    from ({records}) as m
    left join record_places as p on m.source = p.source and m.record_id = p.record_id
    where m.week_start between ? and ?
),

final as (
    select
        count(*) as "n",
        count(*) filter (where is_closed) as "closed",
        (select count(*) from mart_weeks where week_start < (select max(week_start) from records)) as "weeks_before",
        count(*) filter (where looked) as "n:looked",
        count(status) as "n:status",
        count(grid_id) as "n:grid_id",
        count(contact_key) as "n:contact_key",
        count(place_key) as "n:place",
        count(*) filter (where has_theme) as "n:theme",
        count(*) filter (where contact_key is not null and place_key is not null) as "n:contact_key&place",
        count(*) filter (where place_key is not null or has_theme) as "n:place|theme",
        count(accepted_at) as "n:accepted_at",
        count(responded_at) as "n:responded_at",
        count(*) filter (where accepted_at is not null and responded_at is not null) as "n:accepted_at&responded_at",
        count(due_at) as "n:due_at",
        count(*) filter (where satisfaction in ('satisfied', 'basic', 'dissatisfied')) as "n:satisfaction",
        count(*) filter (where reopen_count is not null or status = 'reopened') as "n:reopen_count",
        count(*) filter (where is_closed and resolved is not null) as "closed:resolved",
        count(*) filter (where is_closed and resolved_level is not null) as "closed:resolved_level",
        count(*) filter (where is_closed and closed_at is not null) as "closed:closed_at"
    from records
)

select * from final
