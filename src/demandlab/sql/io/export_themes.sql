-- Each record's theme, for analysts: record, theme id, label, category, score, model.
select
    a.record_id, a.source, a.theme_id, coalesce(t.label, '未归类') as theme_label,
    coalesce(t.category, '其他') as category, a.score, a.model_version
from assignments as a
left join themes as t using (theme_id)
order by a.source, a.record_id
