-- Records per source and the days they span, largest source first.
select source, count(*) as n, min(created_at)::date as first, max(created_at)::date as last
from records
group by source
order by n desc, source
