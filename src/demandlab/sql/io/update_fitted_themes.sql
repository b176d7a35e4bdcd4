-- What a fit says of each of its themes (_described); analysts' decisions are applied after.
-- category_score is null when no category had the evidence (auto_category 其他, 未映射);
-- category_candidates then holds the best categories and their scores.
update themes
set
    auto_label = d.auto_label,
    keywords = d.keywords,
    auto_category = d.auto_category,
    category_score = d.category_score,
    category_candidates = d.category_candidates,
    representatives = d.representatives,
    model_version = d.model_version,
    fit_status = 'active'
from _described as d
where themes.theme_id = d.theme_id
