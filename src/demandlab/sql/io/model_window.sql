-- The weeks a model ($1) learned up to, and the last week with records: the refit policy's facts.
select m.window_end, (select max(week_start) from records) as data_end
from theme_models as m
where m.model_version = ?
