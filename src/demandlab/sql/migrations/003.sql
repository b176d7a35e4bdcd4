-- Schema version 3: 3: the theme registry: stable ids over refits, the cluster each record fell in, overrides
alter table assignments add column cluster integer;
alter table themes add column auto_label varchar;
alter table themes add column label_source varchar;
alter table themes add column auto_category varchar;
alter table themes add column fit_status varchar;
alter table theme_models add column window_start date;
alter table theme_models add column window_end date;
alter table theme_models add column refit_reason varchar;
create table theme_clusters (model_version varchar, cluster integer, theme_id integer);
create table routed_categories (
    source varchar, record_id varchar, label_column varchar, category varchar, probability double,
    trained_on bigint, routed_at timestamp
);
