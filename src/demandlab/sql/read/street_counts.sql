-- Every street with its records in ISO week $iso_week (0 for a street quiet that week), by name.
select street, count(*) filter (where iso_week = $iso_week) as n
from records
where street is not null
group by street
order by street
