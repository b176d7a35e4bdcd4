-- Every rejected row with its file, sheet, row number, column, reason and message; raw values stay in the
-- restricted file. The where clause filters on batch (id or file name) and reason when asked.
select batch_id, file_name, sheet, row_number, column_name, reason, message, record_id
from rejects
{where}
order by file_name, batch_id, sheet nulls first, row_number, column_name, reason
