-- How many of a batch's rows are new records and how many new versions of known ones.
select count(*) filter (where version = 1) as new, count(*) filter (where version > 1) as updated
from restricted.raw_records
where batch_id = ?
