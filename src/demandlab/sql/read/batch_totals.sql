-- Files loaded and their rows: read = accepted + rejected.
select
    count(*) as files,
    coalesce(sum(rows_read), 0)::bigint as rows_read,
    coalesce(sum(rows_accepted), 0)::bigint as rows_accepted,
    coalesce(sum(rows_rejected), 0)::bigint as rows_rejected
from batches
