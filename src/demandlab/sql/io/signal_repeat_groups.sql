-- Every row of every repeat group with a member created at or after $start: what bringing the groups up to
-- date from then on reads (a group's size and start need all its members).
select *
from mart_repeats
where repeat_group_id in (select repeat_group_id from mart_repeats where created_at >= $start)
order by repeat_group_id, created_at, source, record_id
