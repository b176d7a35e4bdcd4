-- Schema version 5: 5: the road written right before a record's compound or POI (hot issues join road-only mentions to it)
alter table record_places add column place_road varchar;
