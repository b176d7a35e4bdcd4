-- Every place key found, with its kind (unified across the database when read).
select distinct place_key, place_kind from record_places where place_key is not null order by all
