-- What a fit says of each of its themes (_described); analysts' decisions are applied after.
update themes
set
    auto_label = d.auto_label,
    keywords = d.keywords,
    auto_category = d.auto_category,
    representatives = d.representatives,
    model_version = d.model_version,
    fit_status = 'active'
from _described as d
where themes.theme_id = d.theme_id
