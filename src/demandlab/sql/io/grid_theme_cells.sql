-- Grid × theme × week counts with records (a missing cell is 0).
select grid_id, theme_id, week_start, iso_week, theme_label, category, n from mart_grid_theme_week where n > 0
