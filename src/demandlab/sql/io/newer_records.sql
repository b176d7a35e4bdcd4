-- Records after a model's window ($1): how many, and the share left 未归类.
select count(*) as n, avg(case when a.theme_id < 0 then 1.0 else 0.0 end) as share
from assignments as a
inner join records as r using (source, record_id)
where r.week_start > ?
