-- One row per fitted model: when, on what, with which settings, and why it was fitted.
insert or replace into theme_models by name
select
    ? as model_version,
    ? as created_at,
    ? as n_records,
    ? as params,
    ? as path,
    ? as window_start,
    ? as window_end,
    ? as refit_reason
