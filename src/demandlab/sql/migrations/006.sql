-- Schema version 6: personal data leaves the analysts' file for the restricted one (Store._move_to_restricted):
-- raw rows, the original row of a reject, the value of a warning; warnings get a message instead
drop table raw_records;
alter table rejects drop column raw;
alter table load_warnings drop column value;
alter table load_warnings add column message varchar;
