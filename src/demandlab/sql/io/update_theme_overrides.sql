-- Status, label and category as analysts decided (_themes, from themes.registry.apply_overrides).
update themes
set status = t.status, label = t.label, label_source = t.label_source, category = t.category
from _themes as t
where themes.theme_id = t.theme_id
