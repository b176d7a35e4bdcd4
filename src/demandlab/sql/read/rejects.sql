-- Every rejected row with its file, row number, column, reason and message; raw values stay in the restricted file.
select batch_id, file_name, row_number, column_name, reason, message, record_id
from rejects
order by file_name, batch_id, row_number, column_name, reason
