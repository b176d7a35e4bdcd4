-- Schema version 2: 2: the sheet of a workbook a reject or warning came from; the original row is kept for rejects only
alter table rejects add column sheet varchar;
alter table load_warnings add column sheet varchar;
alter table raw_records drop column raw;
