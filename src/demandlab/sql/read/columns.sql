-- Every column of every table and view of the analysts' file (its main schema): what a scope can filter on.
select table_name, column_name
from duckdb_columns()
where database_name = current_database() and schema_name = 'main'
