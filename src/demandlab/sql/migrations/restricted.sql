-- The restricted file beside the database: everything that holds personal data in clear.
create table if not exists restricted.meta (key varchar primary key, value varchar);
create table if not exists restricted.raw_records (
    {record},
    {raw_only},
    {lineage}
);
create table if not exists restricted.reject_values (
    batch_id varchar, file_name varchar, sheet varchar, row_number bigint, column_name varchar, reason varchar,
    value varchar, raw varchar
);
create table if not exists restricted.warning_values (
    batch_id varchar, file_name varchar, sheet varchar, row_number bigint, column_name varchar, reason varchar,
    value varchar
);
