-- Themes a fit found that the registry did not have yet (_described).
insert into themes (theme_id, label_source)
select d.theme_id, 'auto'
from _described as d
anti join themes as t on t.theme_id = d.theme_id
