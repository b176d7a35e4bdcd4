-- Every theme the registry knows, with its keywords and the status its last fit gave it.
select theme_id, keywords, coalesce(fit_status, status) as status from themes where theme_id >= 0
