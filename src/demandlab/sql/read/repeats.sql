-- Records that repeat another, with when, where and what each is; $repeat_group_id null for every group.
select p.*, r.created_at, r.grid_id, r.theme_label, r.text
from mart_repeats as p
inner join mart_records as r using (source, record_id)
where $repeat_group_id::varchar is null or p.repeat_group_id = $repeat_group_id
order by p.repeat_group_id, r.created_at, p.source, p.record_id
