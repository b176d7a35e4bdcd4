-- Schema version 8: 一老一小. records.focus holds 'elderly' and/or 'children' (demandlab.text.focus), [] for
-- neither; records cleaned before this version are tagged by the next clean (NULL until then).
alter table records add column if not exists focus varchar[];
