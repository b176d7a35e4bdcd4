-- Schema version 1: the first tables
create table batches (
    batch_id varchar primary key,
    path varchar, file_name varchar, sha256 varchar, size_bytes bigint,
    format varchar, encoding varchar, sheet varchar, header_row integer, mapping varchar,
    rows_read bigint, rows_accepted bigint, rows_rejected bigint, rows_blank bigint,
    rows_new bigint, rows_updated bigint, rows_unchanged bigint,
    loaded_at timestamp
);
create table raw_records (
    {record},
    contact varchar, room varchar, grid_raw varchar, extra varchar, raw varchar,
    {lineage}
);
create table records (
    {record},
    {derived},
    cleaned_at timestamp
);
create table rejects (
    batch_id varchar, file_name varchar, row_number bigint, column_name varchar,
    reason varchar, message varchar, record_id varchar, raw varchar
);
create table load_warnings (
    batch_id varchar, file_name varchar, row_number bigint, column_name varchar,
    reason varchar, value varchar
);
create table grids (
    grid_id varchar primary key, grid_name varchar, street varchar, community varchar, aliases varchar[]
);
create table places (grid_id varchar, compound varchar, building varchar);
create table tokens (
    source varchar, record_id varchar, content_hash varchar, tokens varchar, n_tokens integer,
    segmenter varchar
);
create table themes (
    theme_id integer primary key, label varchar, keywords varchar[], category varchar,
    size bigint, representatives varchar[], model_version varchar, status varchar,
    first_seen date, last_seen date
);
create table theme_events (
    model_version varchar, theme_id integer, event varchar, detail varchar, recorded_at timestamp
);
create table assignments (
    source varchar, record_id varchar, theme_id integer, score double, reason varchar,
    model_version varchar, content_hash varchar
);
create table categories (category varchar primary key, description varchar, seed_terms varchar[]);
create table theme_models (model_version varchar primary key, created_at timestamp, n_records bigint,
                           params varchar, path varchar);
create table runs (
    run_id varchar primary key, command varchar, started_at timestamp, finished_at timestamp,
    status varchar, summary varchar
);
