-- Records count as the theme their cluster finally maps to (_final: merges applied) under model $1.
update assignments
set theme_id = f.final
from _final as f
where assignments.model_version = ? and assignments.cluster = f.cluster and assignments.theme_id is distinct from f.final
