-- Schema version 4: 4: the place each record names (signals: hot issues, 多人同诉, repeats), found once per text version
create table record_places (
    source varchar, record_id varchar, content_hash varchar, place_kind varchar, place varchar, place_key varchar
);
