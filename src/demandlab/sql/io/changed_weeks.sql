-- The weeks in which a mart reading some columns of mart_records changes: the weeks, before and after,
-- of the records whose columns ({after_cols}) or week differ between _before and _after (the changed
-- rows of mart_records as they were and as they are; a row on one side only is a record gone or new).
with compared as (
    select b.week_start as week_before, a.week_start as week_after
    from _before as b
    full join _after as a using ({key})
    where ({before_cols}, b.week_start) is distinct from ({after_cols}, a.week_start)
)

select week_before as week_start from compared where week_before is not null
union
select week_after from compared where week_after is not null
