-- What the clean stage reads: the current version of every record that has a version not yet cleaned.
-- The current version is the most advanced one, not the last loaded: reopened before closed before
-- responded, then the latest closed-loop time, then a 回访 answer, then the version number — so an
-- older export loaded after a newer one does not undo it. The versions are ranked on the few columns the
-- order reads; only the chosen one is then read whole (ranking every column, texts included, sorted every
-- version of every pending record with its texts).
with pending as (
    select distinct r.source, r.record_id
    from restricted.raw_records as r
    anti join records as c on r.source = c.source and r.record_id = c.record_id and r.version <= c.version
),

chosen as (
    select r.source, r.record_id, r.version
    from restricted.raw_records as r
    semi join pending as p on r.source = p.source and r.record_id = p.record_id
    qualify row_number() over (
        partition by r.source, r.record_id
        order by
            coalesce(r.reopen_count, 0) desc,
            greatest(
                coalesce(r.closed_at, timestamp '1900-01-01'),
                coalesce(r.responded_at, timestamp '1900-01-01'),
                coalesce(r.replied_at, timestamp '1900-01-01'),
                coalesce(r.accepted_at, timestamp '1900-01-01')
            ) desc,
            case r.status
                when 'closed' then 5 when 'reopened' then 4 when 'responded' then 3 when 'dispatched' then 2
                when 'open' then 1 else 0
            end desc,
            (r.satisfaction is not null) desc,
            r.version desc
    ) = 1
),

final as (
    select r.*
    from restricted.raw_records as r
    semi join chosen as c on r.source = c.source and r.record_id = c.record_id and r.version = c.version
    anti join records as x on r.source = x.source and r.record_id = x.record_id and r.version = x.version
)

select * from final
