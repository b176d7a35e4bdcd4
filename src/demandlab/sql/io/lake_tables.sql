-- The tables and views of the analysts' file (name, BASE TABLE or VIEW): what a lake holds (demandlab.lake).
select table_name, table_type
from information_schema.tables
where table_catalog = current_database() and table_schema = 'main'
order by table_name
