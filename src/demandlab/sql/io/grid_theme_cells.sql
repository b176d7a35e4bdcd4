-- Grid × theme × week counts: what surge scoring reads.
select grid_id, theme_id, week_start, iso_week, theme_label, category, n from mart_grid_theme_week
