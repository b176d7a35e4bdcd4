-- Schema version 10: 项目清单 as carried out. One row per project a community runs on some of its demands
-- (themes), from the match or a file; demandlab lists review compares its demand before and after the start.
create table if not exists projects (
    project_id varchar primary key,
    name varchar,
    street varchar,
    community varchar,
    theme_ids integer[],
    start_date date,
    end_date date,
    resource_ids varchar[],
    batch_id varchar,
    loaded_at timestamp
);
