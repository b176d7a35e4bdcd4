-- Schema version 7: themes that hold on real exports.
-- boilerplate: phrases a source's records repeat across unrelated themes (call-taker templates, site
-- furniture, sign-offs), found from the corpus at each fit and kept out of theme features and labels;
-- status: auto (found by the fit), kept / dropped (an analyst's decision, themes.toml)
create table boilerplate (
    source varchar, phrase varchar, records bigint, record_share double, theme_spread double,
    status varchar, model_version varchar, found_at timestamp
);
-- the evidence behind auto_category, and the best candidates when the evidence is too weak (其他)
alter table themes add column category_score double;
alter table themes add column category_candidates struct(category varchar, score double)[];
