-- Staging: canonical records, renamed for the marts. No joins, no aggregation.
with source as (
    select * from records
),

final as (
    select
        source,
        record_id,
        kind,
        channel,
        created_at,
        iso_week,
        week_start,
        street,
        community,
        grid_id,
        building,
        category as source_category,
        dept,
        status,
        accepted_at,
        responded_at,
        closed_at,
        due_at,
        resolved,
        satisfaction,
        resolved_level,
        reopen_count,
        likes,
        contact_key,
        content_hash,
        focus,
        grid_worker,
        title,
        text
    from source
)

select * from final
