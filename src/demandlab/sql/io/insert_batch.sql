-- One row per loaded file: where it came from, what it held and what loading it did.
insert into batches (
    batch_id, path, file_name, sha256, size_bytes, format, encoding, sheet, header_row, mapping,
    rows_read, rows_accepted, rows_rejected, rows_blank, rows_new, rows_updated, rows_unchanged, loaded_at
)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
