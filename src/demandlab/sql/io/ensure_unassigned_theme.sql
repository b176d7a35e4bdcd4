-- The 未归类 theme (-1) exists in every registry.
insert into themes (theme_id, label, label_source, category, keywords, status)
select -1, '未归类', 'auto', '其他', [], 'active'
where not exists (select 1 from themes where theme_id = -1)
