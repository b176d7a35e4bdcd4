-- Place names the fit keeps out of theme features: the registry's streets, communities, grids (names
-- and aliases) and compounds, and the places the place finder found in at least two records.
with registry as (
    select street as name from grids where street is not null
    union
    select community from grids where community is not null
    union
    select grid_name from grids where grid_name is not null
    union
    select unnest(aliases) from grids where aliases is not null
    union
    select compound from places where compound is not null
),

found as (
    select place as name
    from record_places
    where place is not null
    group by place
    having count(*) >= 2
),

final as (
    select name from registry
    union
    select name from found
)

select name from final where length(name) >= 2 order by name
