"""Stable theme ids across refits, lineage events, and analysts' overrides."""

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import Config, PathsConfig, PrivacyConfig, ThemesConfig
from demandlab.errors import UsageError
from demandlab.themes import ThemeModel
from demandlab.themes.registry import Overrides, OverridesError, describe_clusters, first_fit, match_clusters
from demandlab.themes.taxonomy import load_taxonomy


def _shared(pairs: dict[tuple[int, int], int]) -> pl.DataFrame:
    rows = [(t, c) for (t, c), n in pairs.items() for _ in range(n)]
    return pl.DataFrame(rows, schema=["theme_id", "cluster"], orient="row")


def test_clusters_that_keep_their_records_keep_their_ids():
    m = match_clusters(
        _shared({(7, 1): 50, (3, 0): 40, (3, 1): 2}),
        [["噪音"], ["漏水"]],
        {3: ["噪音"], 7: ["漏水"]},
        {3: "active", 7: "active"},
        8,
    )
    assert m.cluster_theme == {0: 3, 1: 7}
    assert {e for _, e, _ in m.events} == {"continued"}


def test_new_split_merged_and_dormant_themes_are_told_apart():
    shared = _shared({(1, 0): 60, (1, 1): 40, (2, 2): 30, (3, 2): 25, (4, 0): 1})
    keywords = [["停车"], ["停车费"], ["垃圾"], ["路灯"]]
    old = {1: ["停车"], 2: ["垃圾"], 3: ["垃圾桶"], 4: ["广场舞"]}
    m = match_clusters(shared, keywords, old, dict.fromkeys(old, "active"), 10)
    assert m.cluster_theme[0] == 1 and m.cluster_theme[2] == 2
    events = {(t, e) for t, e, _ in m.events}
    assert (m.cluster_theme[1], "split") in events  # most of cluster 1 came from theme 1, which continued
    assert (m.cluster_theme[3], "new") in events and m.cluster_theme[3] >= 10
    assert (3, "merged") in events and m.status[3] == "merged"  # theme 3's records all went to theme 2's cluster
    assert (4, "dormant") in events and m.status[4] == "dormant"


def test_a_dormant_theme_comes_back_by_its_keywords():
    m = match_clusters(_shared({}), [["供暖", "暖气", "不热"]], {5: ["供暖", "暖气", "室温"]}, {5: "dormant"}, 6)
    assert m.cluster_theme == {0: 5} and m.status[5] == "active"


def test_first_fit_numbers_from_the_next_free_id():
    m = first_fit(3, start=10)
    assert m.cluster_theme == {0: 10, 1: 11, 2: 12} and {e for _, e, _ in m.events} == {"new"}


def test_equally_close_representatives_are_taken_in_text_order_whatever_the_row_order():
    model = ThemeModel(n_themes=1, min_df=1, max_df=1.0).fit(["电梯 故障"] * 5)
    texts = pl.DataFrame(
        {
            "cluster": [0, 0, 0, 0, 0, -1],
            "score": [0.9, 0.9, 0.95, 0.9, 0.9, 0.0],
            "text": ["丁：电梯坏了", "乙：电梯坏了", "戊：电梯又坏了", "甲：电梯坏了", "乙：电梯坏了", "无关"],
        }
    )
    taxonomy = load_taxonomy(None)
    for seed in range(4):
        shuffled = texts.sample(fraction=1.0, shuffle=True, seed=seed)
        described = describe_clusters(model, shuffled, taxonomy, set())
        # the closest first, then the tied ones by their text (丁 U+4E01 < 乙 U+4E59 < 甲 U+7532), each once
        assert described["representatives"].to_list() == [["戊：电梯又坏了", "丁：电梯坏了", "乙：电梯坏了"]]


def test_overrides_file(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(
        '[[theme]]\nid = 3\nlabel = "电瓶车飞线充电"\ncategory = "电动车充电"\n'
        "[[theme]]\nid = 4\nmerge_into = 3\n[[theme]]\nid = 5\npin_label = true\n",
        encoding="utf-8",
    )
    o = Overrides.load(path)
    assert (o.labels, o.categories, o.merges, o.pinned) == ({3: "电瓶车飞线充电"}, {3: "电动车充电"}, {4: 3}, {5})
    assert o.resolve(4) == 3 and Overrides.load(tmp_path / "missing.toml") == Overrides()
    path.write_text("[[theme]]\nid = 1\nmerge_into = 2\n[[theme]]\nid = 2\nmerge_into = 1\n", encoding="utf-8")
    with pytest.raises(OverridesError, match="cycle"):
        Overrides.load(path)
    path.write_text("[[theme]]\nid = 1\ncolour = 'red'\n", encoding="utf-8")
    with pytest.raises(OverridesError, match="unknown key"):
        Overrides.load(path)


@pytest.fixture
def fitted(district, tmp_path):
    cfg = Config(
        paths=PathsConfig(db=tmp_path / "db.duckdb", models=tmp_path / "models"),
        privacy=PrivacyConfig(salt_file=tmp_path / "salt"),
        themes=ThemesConfig(overrides=tmp_path / "themes.toml"),
    )
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.load_grids(district.registry)
    for path in district.export_paths:
        pipe.ingest(path)
    pipe.run()
    yield pipe, cfg
    store.close()


def test_overrides_survive_a_refit_and_can_be_taken_back(fitted):
    pipe, cfg = fitted
    store = pipe.store
    big = store.sql("select theme_id, label, category from themes where theme_id >= 0 order by size desc limit 3")
    keep, gone, pinned = big["theme_id"].to_list()
    pinned_label = big["label"][2]
    cfg.themes.overrides.write_text(
        f'[[theme]]\nid = {keep}\nlabel = "我们的名字"\ncategory = "安全隐患"\n'
        f"[[theme]]\nid = {gone}\nmerge_into = {keep}\n[[theme]]\nid = {pinned}\npin_label = true\n",
        encoding="utf-8",
    )
    before = store.scalar("select count(*) from assignments where theme_id in (?, ?)", [keep, gone])
    pipe.run()
    assert store.scalar("select count(*) from assignments where theme_id = ?", [gone]) == 0
    assert store.scalar("select count(*) from assignments where theme_id = ?", [keep]) == before
    row = store.sql("select label, category, label_source from themes where theme_id = ?", [keep]).row(0)
    assert row == ("我们的名字", "安全隐患", "analyst")
    assert store.scalar("select status from themes where theme_id = ?", [gone]) == "merged"
    report = pipe.run(refit=True)
    assert report.refit
    assert store.scalar("select count(*) from assignments where theme_id = ?", [keep]) >= 0.95 * before
    assert store.sql("select label from themes where theme_id = ?", [keep]).item() == "我们的名字"
    assert store.sql("select label from themes where theme_id = ?", [pinned]).item() == pinned_label
    assert store.scalar("select count(*) from assignments where theme_id = ?", [gone]) == 0
    cfg.themes.overrides.write_text("", encoding="utf-8")
    pipe.run()
    assert store.scalar("select count(*) from assignments where theme_id = ?", [gone]) > 0
    assert store.sql("select label_source from themes where theme_id = ?", [keep]).item() == "auto"


def test_applying_overrides_never_fits_even_when_the_policy_would(fitted, tmp_path):
    """Notebook 02 meant to show a merge's effect and refitted instead (a merge of 62 + 42 read 179), writing the
    new model into a models folder it did not create. ``apply_overrides`` only applies the decisions."""
    pipe, cfg = fitted
    store = pipe.store
    version = store.meta("theme_model")
    with store.transaction() as con:  # the policy now asks for a refit
        con.execute(
            "update theme_models set window_end = window_end - interval 20 week where model_version = ?", [version]
        )
    assert pipe.refit_reason(version) is not None
    models = {f: f.read_bytes() for f in cfg.paths.models.rglob("*") if f.is_file()}
    big = store.sql("select theme_id from themes where theme_id >= 0 order by size desc, theme_id limit 2")
    keep, gone = big["theme_id"].to_list()
    before = store.scalar("select count(*) from assignments where theme_id in (?, ?)", [keep, gone])
    cfg.themes.overrides.write_text(f"[[theme]]\nid = {gone}\nmerge_into = {keep}\n", encoding="utf-8")

    assert pipe.apply_overrides() == (0, version)

    assert store.meta("theme_model") == version and store.scalar("select count(*) from theme_models") == 1
    assert {f: f.read_bytes() for f in cfg.paths.models.rglob("*") if f.is_file()} == models
    assert store.scalar("select count(*) from assignments where theme_id = ?", [keep]) == before
    assert store.scalar("select status from themes where theme_id = ?", [gone]) == "merged"


def test_applying_overrides_without_the_models_says_where_they_were_looked_for(fitted, tmp_path):
    pipe, cfg = fitted
    elsewhere = Config(paths=PathsConfig(db=cfg.paths.db, models=tmp_path / "empty"), themes=cfg.themes)
    with pytest.raises(UsageError, match=r"主题模型 .* 不在 .*empty 下"):
        dl.Pipeline(pipe.store, elsewhere).apply_overrides()
    assert not (tmp_path / "empty").exists()


def test_a_refit_on_the_same_data_keeps_every_id_and_says_continued(fitted):
    pipe, _ = fitted
    store = pipe.store
    before = store.sql("select source, record_id, theme_id from assignments")
    pipe.run(refit=True)
    after = store.sql("select source, record_id, theme_id from assignments")
    same = before.join(after, on=["source", "record_id"]).filter(pl.col("theme_id") == pl.col("theme_id_right"))
    # not quite the same features: the first fit ran before the place finder, the refit also strips the
    # place names it found since (themes/boilerplate.py), which moves 3 % of the records
    assert same.height / before.height > 0.96
    version = store.meta("theme_model")
    events = store.sql("select event, count(*) as n from theme_events where model_version = ? group by 1", [version])
    # (and so a theme or three may come out new or merged)
    assert dict(events.iter_rows())["continued"] >= store.scalar("select count(*) from themes where theme_id >= 0") - 3


def test_the_refit_policy(fitted):
    pipe, _ = fitted
    version = pipe.store.meta("theme_model")
    assert pipe.refit_reason(version) is None
    with pipe.store.transaction() as con:
        con.execute(
            "update theme_models set window_end = window_end - interval 20 week where model_version = ?", [version]
        )
    assert "weeks past the model's window" in pipe.refit_reason(version)
    _, refit, new_version = pipe.themes()
    assert refit and new_version is not None


def test_refit_on_a_window_shifted_by_four_weeks_keeps_the_shared_records_on_their_ids(
    district, truth_records, tmp_path
):
    """The registry, driven by two real fits: weeks 0–79 and 4–83 of the district."""
    store_tokens = _district_tokens(district, tmp_path)
    weeks = sorted(store_tokens["week_start"].unique().to_list())
    first = store_tokens.filter(pl.col("week_start") < weeks[80])
    second = store_tokens.filter((pl.col("week_start") >= weeks[4]) & (pl.col("week_start") < weeks[84]))
    a = ThemeModel().fit(first["tokens"].to_list())
    b = ThemeModel(random_state=1).fit(second["tokens"].to_list())
    ids_a = first_fit(a.n_themes_).cluster_theme
    old = first.select("source", "record_id").with_columns(pl.Series("theme_id", [ids_a.get(c, -1) for c in a.labels_]))
    new = second.select("source", "record_id").with_columns(pl.Series("cluster", b.labels_))
    shared = old.join(new, on=["source", "record_id"]).filter((pl.col("theme_id") >= 0) & (pl.col("cluster") >= 0))
    m = match_clusters(
        shared.select("theme_id", "cluster"),
        [list(k) for k in b.keywords_],
        {ids_a[c]: list(k) for c, k in enumerate(a.keywords_)},
        dict.fromkeys(ids_a.values(), "active"),
        a.n_themes_,
    )
    kept = shared.with_columns(pl.col("cluster").replace_strict(m.cluster_theme).alias("new_id"))
    # two independent fits (no prior labels: the weekly job's refit keeps 98 %, bench/themes_quality.py). The fit
    # is deterministic since issue 14, so the seed plays no part and what moves records is the window alone:
    # 93.7 % kept (k-means with random starts kept 94.9 % here, but moved a third of real messages between seeds)
    assert (kept["new_id"] == kept["theme_id"]).mean() >= 0.93


def _district_tokens(district, tmp_path) -> pl.DataFrame:
    # the salt goes to the test's own folder: the session's district is shared and must keep its generated files
    store = dl.connect(":memory:")
    pipe = dl.Pipeline(store, Config(privacy=PrivacyConfig(salt_file=tmp_path / "salt")))
    pipe.load_grids(district.registry)
    for path in district.export_paths:
        pipe.ingest(path)
    pipe.clean()
    pipe.segment()
    return store.sql(
        "select t.source, t.record_id, t.tokens, r.week_start from tokens t join records r "
        "using (source, record_id) order by t.source, t.record_id"
    )
