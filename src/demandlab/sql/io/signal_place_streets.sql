-- Each place key's records per street (街道): a place's family for 多人同诉 is the street most of its
-- records are in (signals/baseline.py). Over all records, so a full pass and a week's update agree.
select p.place_key, p.place_kind, m.street, count(*) as n
from record_places as p
join mart_records as m on m.source = p.source and m.record_id = p.record_id
where p.place_key is not null and m.street is not null
group by all
order by all
