-- Each grid's street (街道), the family its surge tests are corrected in for multiple testing
-- (signals/baseline.py): from mart_grid_week, which names every grid of the registry and of the records.
select grid_id, min(street) as family
from mart_grid_week
where street is not null
group by grid_id
order by grid_id
