-- Place names the segmenter keeps whole and leaves out of the tokens: compounds, communities, streets.
select distinct compound as name from places where compound is not null
union
select distinct community from grids where community is not null
union
select distinct street from grids where street is not null
order by name
