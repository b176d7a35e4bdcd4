exists (
        select 1
        from mart_records as r
        where
            r.grid_id = a.grid_id
            and r.theme_id = a.theme_id
            and (r.source = 'visit' or r.grid_worker is not null)
            and r.created_at <= a.first_at
            and r.created_at >= a.first_at - interval 28 day
    )
