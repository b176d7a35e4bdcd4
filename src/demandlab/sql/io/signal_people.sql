-- Everyone who may be one person behind 一人多诉: every contact_key of mart_records, and every repeat group
-- (mart_repeats; a group is a person where its records have no contact).
select distinct contact_key, null::varchar as repeat_group_id
from mart_records
where contact_key is not null
union all
select distinct null::varchar as contact_key, repeat_group_id
from mart_repeats
order by all
