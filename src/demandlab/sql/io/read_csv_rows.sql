-- The rows of a clean UTF-8 CSV export, every value as text, read from its header row on.
-- A record DuckDB cannot read is skipped and listed in reject_errors (store_rejects), so the reader
-- turns it into a reject instead of failing the file. Parameters: the file, the lines above the
-- header row, the delimiter, the longest line in bytes. The quote is the standard double quote (what
-- Python's csv writer and the layout detection assume): left to DuckDB's sniffer, two lines ending in an
-- apostrophe (it's) were taken for one field quoted across a line break, and a row disappeared.
select *
from read_csv(
    ?,
    all_varchar = true,
    header = true,
    skip = ?,
    delim = ?,
    quote = '"',
    escape = '"',
    encoding = 'utf-8',
    ignore_errors = true,
    store_rejects = true,
    null_padding = false,
    strict_mode = true,
    sample_size = 20480,
    max_line_size = ?
)
