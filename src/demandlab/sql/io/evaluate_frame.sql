-- Each record's theme, tokens and ({label}) the label column to compare with.
select a.theme_id, t.tokens, {label} as label
from assignments as a
inner join tokens as t using (source, record_id)
inner join records as r using (source, record_id)
order by a.source, a.record_id
