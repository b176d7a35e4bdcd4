"""Boilerplate and place names are kept out of theme features and labels (demandlab.themes.boilerplate).

The hand-made corpus: eight unrelated matters, one of them (electric bikes) holding 40 % of the
records and carrying its own phrase 飞线 充电 in most of them; a call-taker's template pasted into
30 % of one source's records whatever their matter; district names (西湖区, A1区 …) and a compound's
name (魅力 之城) written beside every kind of matter.
"""

from __future__ import annotations

import csv
import dataclasses
import pickle
import random

import polars as pl
import pytest
from tests.conftest import shared_data

import demandlab as dl
from demandlab.config import demo_config
from demandlab.pipeline import contexts
from demandlab.synth import generate
from demandlab.text import Segmenter
from demandlab.themes import ThemeModel
from demandlab.themes.assign import AssignContext, assign_themes
from demandlab.themes.boilerplate import (
    Exclusions,
    admin_area_tokens,
    count_records,
    decide,
    exclusions_of,
    find_boilerplate,
    find_boilerplate_by_source,
    is_admin_area,
    strip_phrases,
)
from demandlab.themes.fit import FitContext, Previous, fit_themes, model_version
from demandlab.themes.registry import Overrides, OverridesError

TEMPLATE = "职能局 按规定 响应 处置"
BIG_PHRASE = "飞线 充电"
SIGN_OFF = "谢谢 您"
PLACE = "魅力 之城"
ADMIN = ("西湖区", "余杭区", "A1区", "拱墅区")
MATTERS = {
    "ebike": "电动车 电瓶车 楼道 插座 电线 拉线 楼上 火灾 隐患 车棚 充电桩 电瓶 物业 劝阻",
    "noise": "夜间 施工 噪音 扰民 工地 机器 轰鸣 睡觉 休息 凌晨 打桩 渣土车",
    "light": "路灯 不亮 损坏 黑暗 行人 摔倒 灯杆 线路 维修 照明 晚上 看不见",
    "garbage": "垃圾 清运 臭味 堆放 苍蝇 垃圾桶 满溢 异味 蚊虫 分类 腐烂 环卫",
    "water": "漏水 渗水 卫生间 天花板 墙面 发霉 防水 滴水 水管 破裂 楼板 积水",
    "parking": "停车 车位 乱停 占用 消防通道 堵塞 车辆 挪车 停车场 收费 道闸 进出",
    "elevator": "电梯 故障 困人 停运 维保 轿厢 按钮 年检 老人 上下楼 高层 异响",
    "dogs": "遛狗 不牵绳 狗屎 咬人 犬只 吠叫 宠物 小孩 害怕 办证 流浪狗 狂吠",
}
KEPT_OUT = {*TEMPLATE.split(), *PLACE.split(), *ADMIN}


def corpus(n: int = 2400, seed: int = 0) -> pl.DataFrame:
    """Records of two sources (12345, app): source, record_id, content_hash, tokens, text, matter."""
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        matter = "ebike" if rnd.random() < 0.4 else rnd.choice(list(MATTERS)[1:])
        words = rnd.sample(MATTERS[matter].split(), 6)
        if matter == "ebike" and rnd.random() < 0.9:
            words.insert(rnd.randrange(len(words) + 1), BIG_PHRASE)
        if rnd.random() < 0.5:
            words.insert(0, rnd.choice(ADMIN))
        if rnd.random() < 0.03:
            words.insert(rnd.randrange(len(words) + 1), PLACE)
        if rnd.random() < 0.02:
            words.append(SIGN_OFF)
        source = "12345" if i % 3 else "app"
        if source == "12345" and rnd.random() < 0.3:
            words.insert(0 if rnd.random() < 0.5 else len(words), TEMPLATE)
        tokens = " ".join(words)
        rows.append((source, f"{i:05d}", f"h{i}", tokens, tokens.replace(" ", ""), matter))
    return pl.DataFrame(rows, schema=["source", "record_id", "content_hash", "tokens", "text", "matter"], orient="row")


def _previous() -> Previous:
    return Previous(
        pl.DataFrame(schema={"source": pl.String, "record_id": pl.String, "theme_id": pl.Int32}),
        pl.DataFrame(schema={"theme_id": pl.Int32, "keywords": pl.List(pl.String), "status": pl.String}),
    )


def _fit(frame: pl.DataFrame, **context):
    window = frame.drop("matter")
    return fit_themes(window, window.clear(), None, _previous(), FitContext(**{"places": (PLACE,), **context}))


def _words(described: pl.DataFrame) -> set[str]:
    """Every token of every label and keyword of a fit."""
    labels = {w for label in described["auto_label"] for w in label.replace("·", " ").split()}
    return labels | {w for keywords in described["keywords"] for k in keywords for w in k.split()}


@pytest.fixture(scope="module")
def records() -> pl.DataFrame:
    return corpus()


@pytest.fixture(scope="module")
def fitted(records):
    return _fit(records)


# --- finding -----------------------------------------------------------------------------------------
def test_the_template_is_found_in_its_source_and_the_big_themes_own_phrase_is_not(records):
    tokens = records["tokens"]
    # both recur: the big theme's phrase in more records than the template
    assert count_records(tokens, [BIG_PHRASE])[0] > count_records(tokens, [TEMPLATE])[0] > 0.15 * records.height
    found = find_boilerplate_by_source(records.select("source", "tokens"))
    assert found.select("source", "phrase").rows() == [("12345", TEMPLATE)]
    pasted = records.filter(pl.col("source") == "12345")["tokens"]
    row = found.row(0, named=True)
    assert row["records"] == count_records(pasted, [TEMPLATE])[0]
    assert row["record_share"] == pytest.approx(row["records"] / pasted.len(), abs=1e-4)
    assert row["theme_spread"] >= 0.9


def test_a_phrase_of_one_big_theme_is_not_boilerplate_however_frequent():
    """Electric bikes are 60 % of these records and 飞线 充电 is in every one of them."""
    rnd = random.Random(1)
    docs = [
        " ".join([*rnd.sample(MATTERS["ebike"].split(), 5), BIG_PHRASE])
        if rnd.random() < 0.6
        else " ".join(rnd.sample(MATTERS[rnd.choice(list(MATTERS)[1:])].split(), 6))
        for _ in range(1500)
    ]
    assert find_boilerplate(docs).height == 0


def test_a_templates_pieces_collapse_into_it_unless_they_also_recur_on_their_own():
    rnd = random.Random(2)
    docs = []
    for _ in range(1500):
        words = rnd.sample(MATTERS[rnd.choice(list(MATTERS))].split(), 6)
        draw = rnd.random()
        if draw < 0.3:
            words.append(TEMPLATE)
        elif draw < 0.5:
            words.insert(0, "职能局 按规定")  # the template's first half, also written alone
        docs.append(" ".join(words))
    found = find_boilerplate(docs)
    assert found["phrase"].to_list() == ["职能局 按规定", TEMPLATE]
    # 响应 处置, 按规定 响应 … lie only inside the template: no row of their own


def test_matters_always_worded_the_same_are_not_boilerplate_but_a_template_among_them_is():
    """Five complaints, each written in the same words every time: every phrase recurs, none is boilerplate
    (they once all were: stripped of every recurring phrase the records were empty and fell in one group)."""
    texts = ["翠湖 小区 楼道 飞线充电 电瓶车", "秀水 垃圾清运 及时 臭味 垃圾桶", "春江 花园 电梯故障 困人 维修",
             "和平路 广场舞 音响 扰民", "饭店 油烟 排烟 扰民"]  # fmt: skip
    assert find_boilerplate([texts[i % 5] for i in range(120)]).height == 0
    rnd = random.Random(3)
    pasted = [texts[i % 5] + (f" {TEMPLATE}" if rnd.random() < 0.3 else "") for i in range(120)]
    assert find_boilerplate(pasted)["phrase"].to_list() == [TEMPLATE]


def test_records_of_one_matter_have_nothing_to_be_spread_over():
    assert find_boilerplate(["幸福 小区 电梯 老人 困人 物业 维修"] * 60).height == 0
    rnd = random.Random(4)
    lift = MATTERS["elevator"].split()
    assert find_boilerplate([" ".join([*rnd.sample(lift, 6), "电梯 故障"]) for _ in range(600)]).height == 0


def test_a_small_source_gives_nothing_to_find():
    assert find_boilerplate([TEMPLATE] * 49).height == 0


# --- stripping ---------------------------------------------------------------------------------------
def test_strip_phrases_takes_whole_tokens_longest_first_and_leaves_its_input_alone():
    tokens = pl.Series(["a b c a b", "x a b c", "ab c", "b a", "", None])
    before = tokens.to_list()
    assert strip_phrases(tokens, ["a b", "a b c"]).to_list() == ["", "x", "ab c", "b a", "", None]
    assert tokens.to_list() == before  # a bug once wrote the result into the caller's series
    assert strip_phrases(tokens, []).to_list() == before


@pytest.mark.parametrize(
    ("token", "admin"),
    [
        ("A市", True),
        ("A1区", True),
        ("西湖区", True),
        ("萧山区", True),
        ("杭州市", True),
        ("浙江省", True),
        ("平阳县", True),
        ("良渚街道", True),
        ("长安镇", True),
        ("湖滨社区", True),
        ("小区", False),
        ("老旧小区", False),
        ("文明城市", False),
        ("超市", False),
        ("城乡", False),
        ("全市", False),
        ("节省", False),
        ("社区", False),
        ("街道", False),
        ("停车", False),
    ],
)
def test_names_of_administrative_areas_are_told_by_their_form(token, admin):
    assert is_admin_area(token) is admin


def test_admin_area_tokens_are_whole_tokens_of_the_records():
    tokens = pl.Series(["市区规划 杭州市 余杭区", "区域 老旧小区", None, "西湖区"])
    assert admin_area_tokens(tokens) == ["余杭区", "杭州市", "西湖区"]


# --- the fit -----------------------------------------------------------------------------------------
def test_the_template_places_and_district_names_are_absent_from_every_label_and_keyword(records, fitted):
    assert fitted.model.n_themes_ >= 6
    assert not _words(fitted.described) & KEPT_OUT
    assert not any(set(w.split()) & KEPT_OUT for w in fitted.model.vocabulary_)
    # what the test guards against: as written, each is in 3 records or more and in at most half of them,
    # a term the model's defaults (min_df, max_df) would read
    shares = [count_records(records["tokens"], [w])[0] for w in KEPT_OUT]
    defaults = ThemeModel()
    assert all(defaults.min_df <= n <= defaults.max_df * records.height for n in shares)


def test_the_big_theme_keeps_its_phrase_and_the_themes_follow_the_matters(records, fitted):
    assert "飞线" in _words(fitted.described)
    ebike = fitted.assignments.join(records.select("record_id", "matter"), on="record_id").filter(
        pl.col("matter") == "ebike"
    )
    assert ebike["cluster"].value_counts(sort=True)["count"][0] / ebike.height > 0.9


def test_the_fit_records_what_it_found_and_what_it_kept_out(fitted):
    assert fitted.boilerplate.select("source", "phrase", "status").rows() == [("12345", TEMPLATE, "auto")]
    ex = fitted.exclusions
    assert ex.boilerplate == (("12345", TEMPLATE),) and ex.places == (PLACE,) and ex.admin_areas
    assert Exclusions.from_json(ex.to_json()) == ex and pickle.loads(pickle.dumps(ex)) == ex


def test_what_the_fit_keeps_out_enters_the_model_version(records, fitted):
    hashes = records["content_hash"].to_list()
    assert model_version(fitted.model, hashes, None, fitted.exclusions) == fitted.version
    fewer = dataclasses.replace(fitted.exclusions, places=())
    assert model_version(fitted.model, hashes, None, fewer) != fitted.version


# --- analysts' decisions -----------------------------------------------------------------------------
def test_an_analyst_keeps_a_found_phrase_and_drops_one_the_fit_missed(records):
    records = records.head(1500)
    result = _fit(records, overrides=Overrides(boilerplate_keep=("按规定 响应",), boilerplate_drop=(SIGN_OFF,)))
    rows = {(r["source"], r["phrase"]): r for r in result.boilerplate.iter_rows(named=True)}
    assert rows["12345", TEMPLATE]["status"] == "kept"
    for source in ("12345", "app"):
        dropped = rows[source, SIGN_OFF]
        part = records.filter(pl.col("source") == source)["tokens"]
        assert dropped["status"] == "dropped" and dropped["theme_spread"] is None
        assert dropped["records"] == count_records(part, [SIGN_OFF])[0] > 0
    assert "职能局" in result.model.vocabulary_  # kept: the model reads it
    assert not set(SIGN_OFF.split()) & {t for w in result.model.vocabulary_ for t in w.split()}
    assert result.exclusions.boilerplate == () and result.exclusions.drop == (SIGN_OFF,)


def test_decide_marks_phrases_inside_or_around_a_kept_one_as_kept():
    found = pl.DataFrame(
        {
            "source": ["a"] * 3,
            "phrase": ["飞线 充电", "电动车 飞线 充电 危险", "职能局 按规定"],
            "records": [30, 20, 10],
            "record_share": [0.3, 0.2, 0.1],
            "theme_spread": [0.95, 0.93, 1.0],
        }
    )
    window = pl.DataFrame({"source": ["a"], "tokens": ["噪音"]})
    decided = decide(found, window, keep=["电动车 飞线 充电"])
    assert decided["status"].to_list() == ["kept", "kept", "auto"]
    assert exclusions_of(decided).boilerplate == (("a", "职能局 按规定"),)


def test_the_overrides_file_reads_boilerplate_keep_and_drop(tmp_path):
    path = tmp_path / "themes.toml"
    path.write_text(
        '[[theme]]\nid = 3\nlabel = "电瓶车飞线充电"\n'
        '[boilerplate]\nkeep = ["飞线  充电"]\ndrop = ["感谢您的来电", "谢谢 您"]\n',
        encoding="utf-8",
    )
    o = Overrides.load(path)
    assert o.labels == {3: "电瓶车飞线充电"}
    assert (o.boilerplate_keep, o.boilerplate_drop) == (("飞线 充电",), ("感谢您的来电", "谢谢 您"))
    for text, message in [
        ('[boilerplate]\nstrip = ["x"]\n', "unknown key"),
        ('[boilerplate]\nkeep = "飞线 充电"\n', "keep must be a list"),
        ('[boilerplate]\ndrop = [""]\n', "drop must be a list of non-empty"),
        ('[boilerplate]\nkeep = ["a b"]\ndrop = ["a  b"]\n', "both kept and dropped"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(OverridesError, match=message):
            Overrides.load(path)


def test_the_pipeline_cuts_an_analysts_phrase_as_it_cuts_the_records():
    overrides = Overrides(boilerplate_keep=("电动车飞线充电",), boilerplate_drop=("市民来电反映", "请职能局按规定处置"))
    cut = contexts.cut_decisions(overrides, Segmenter())
    assert cut.boilerplate_keep == ("电动车 飞线充电",)
    assert cut.boilerplate_drop == ("职能 按规定 处置",)  # 市民来电反映 is all stopwords: nothing to strip


# --- assign = fit --------------------------------------------------------------------------------------
def test_assign_strips_the_same_phrases_and_gives_what_the_fit_gave(records, fitted):
    ctx = AssignContext(fitted.model.to_bytes(), fitted.version, tuple(sorted(fitted.final.items())), fitted.exclusions)
    ctx = pickle.loads(pickle.dumps(ctx))
    window = records.select("source", "record_id", "content_hash", "tokens")
    again = assign_themes(window, ctx)
    assert again["cluster"].to_list() == fitted.assignments["cluster"].to_list()
    # a record with the template, a district and a compound pasted in is where it is without them
    plain = window.filter(~pl.col("tokens").str.contains("职能局|魅力|西湖区|余杭区|拱墅区|A1区")).head(200)
    pasted = plain.with_columns(
        source=pl.lit("12345"), tokens=pl.lit(f"{TEMPLATE} 西湖区 ") + pl.col("tokens") + pl.lit(f" {PLACE}")
    )
    assert assign_themes(pasted, ctx)["cluster"].to_list() == assign_themes(plain, ctx)["cluster"].to_list()
    nothing_left = pl.DataFrame({"source": ["12345"], "record_id": ["x"], "content_hash": ["h"], "tokens": [TEMPLATE]})
    assert assign_themes(nothing_left, ctx)["cluster"].to_list() == [-1]


# --- real messages -------------------------------------------------------------------------------------
def test_a_template_pasted_into_real_messages_is_found_and_in_no_label():
    shared_data("taidi2020c")
    from bench.themes_quality import taidi_corpus

    docs, texts, _ = taidi_corpus()
    template = " ".join(Segmenter().tokens("请职能局按规定在30分钟内响应处置"))
    rnd = random.Random(0)
    docs = [f"{d} {template}" if rnd.random() < 0.3 else d for d in docs]
    n = len(docs)
    window = pl.DataFrame(
        {
            "source": ["taidi"] * n,
            "record_id": [f"{i:05d}" for i in range(n)],
            "content_hash": [str(i) for i in range(n)],
            "tokens": docs,
            "text": texts,
        }
    )
    result = fit_themes(window, window.clear(), None, _previous(), FitContext())
    found = result.boilerplate.filter(pl.col("status") == "auto")
    assert template in found["phrase"].to_list()
    assert not _words(result.described) & set(template.split())


# --- the pipeline ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def district_with_a_template(tmp_path_factory):
    """A small synthetic district whose 12345 work orders carry a call-taker's template in 40 % of them."""
    root = tmp_path_factory.mktemp("boilerplate_district")
    district = generate(root / "district", n_records=1500, seed=3)
    hotline = next(p for p in district.export_paths if p.name == "hotline_12345.csv")
    with hotline.open(encoding="gb18030", newline="") as handle:
        rows = list(csv.DictReader(handle))
    rnd = random.Random(0)
    for row in rows:
        if rnd.random() < 0.4:
            row["诉求内容"] += "请职能局按规定在30分钟内响应处置。"
    with hotline.open("w", encoding="gb18030", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    cfg = demo_config(root / "data", root / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.load_grids(district.registry)
    for path in district.export_paths:
        pipe.ingest(path)
    report = pipe.run()
    yield store, pipe, report
    store.close()


def test_a_run_fills_the_boilerplate_table_and_keeps_the_template_out_of_the_themes(district_with_a_template):
    store, pipe, report = district_with_a_template
    template = " ".join(pipe.segmenter().tokens("请职能局按规定在30分钟内响应处置"))
    rows = store.sql("select * from boilerplate order by source, phrase")
    assert rows.height and set(rows["model_version"]) == {report.model_version}
    hotline = rows.filter((pl.col("phrase") == template) & (pl.col("status") == "auto"))
    assert hotline["source"].to_list() == ["12345"]
    assert 0.3 < hotline["record_share"][0] < 0.5 and hotline["theme_spread"][0] >= 0.9
    themes = store.sql("select label as auto_label, keywords from themes where theme_id >= 0")
    assert themes.height > 5 and not _words(themes) & set(template.split())
    # what the model keeps out is saved beside it, and the assign stage strips the same
    version, model = pipe.current_model()
    fitted = contexts.exclusions(pipe.config, version)
    assert ("12345", template) in fitted.boilerplate and fitted.admin_areas
    assert contexts.assign(store, pipe.config, version, model, pipe.overrides()).exclusions == fitted


def test_a_changed_boilerplate_decision_fits_again_and_is_recorded(district_with_a_template):
    store, pipe, first = district_with_a_template
    pipe.config.themes.overrides.write_text('[boilerplate]\ndrop = ["家住"]\n', encoding="utf-8")
    try:
        report = pipe.run()
        assert report.refit and report.model_version != first.model_version
        assert (
            store.scalar("select refit_reason from theme_models where model_version = ?", [report.model_version])
            == "boilerplate overrides changed"
        )
        dropped = store.sql("select source, records from boilerplate where status = 'dropped' and phrase = '家住'")
        assert set(dropped["source"]) == set(store.sql("select distinct source from records")["source"])
        assert pipe.run().refit is False  # the same decisions again: nothing to fit
    finally:
        pipe.config.themes.overrides.unlink()
