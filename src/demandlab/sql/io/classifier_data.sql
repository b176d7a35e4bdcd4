-- Records with tokens, text and the label column ({label}; null where a record has none), {where}.
select r.source, r.record_id, t.tokens, concat_ws(' ', r.title, r.text) as text, r.{label} as label
from records as r
inner join tokens as t using (source, record_id)
{where}
order by r.source, r.record_id
