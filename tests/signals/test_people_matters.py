"""People counted one way for every signal, hot issues per place and matter, one heat everywhere.

Real exports often have no caller number: on one, 84 of a hot issue's 105 records were one
resident's near-identical message, shown as "105 人". These cases are written by hand here.
"""

import datetime as dt
import json

import polars as pl
import pytest
from tests.conftest import shared_data
from typer.testing import CliRunner

from demandlab import marts
from demandlab.cli import app
from demandlab.report.data import collect
from demandlab.signals import hot_issues
from demandlab.signals.alerts import SurgeModel, repeat_caller_alerts, surge_alerts
from demandlab.signals.crowd import CrowdModel, crowd_alerts
from demandlab.signals.matters import find_matters
from demandlab.signals.people import with_people
from demandlab.signals.repeats import find_repeats

AS_OF = dt.datetime(2026, 11, 15, 23, 59, 59, 999999)
MONDAY = dt.date(2026, 11, 9)


def _record(i: int, text: str, tokens: str, created: dt.datetime, contact: str | None = None, **more) -> dict:
    return {
        "source": "board", "record_id": f"m{i:03d}", "created_at": created, "week_start": MONDAY,
        "iso_week": "2026-W46", "place_key": "翠湖", "place": "翠湖小区", "place_kind": "compound",
        "place_road": None, "theme_id": 1, "theme_label": "噪音 · 夜间", "category": "噪音",
        "contact_key": contact, "likes": 0, "grid_id": "G1", "street": "东湖街道", "community": "翠湖社区",
        "title": None, "text": text, "tokens": tokens, **more,
    }  # fmt: skip


def _one_resident_and_three_others() -> pl.DataFrame:
    """One resident's identical message 30 times in one week (no caller number), and 3 other people."""
    start = dt.datetime(2026, 11, 9, 8)
    same = "翠湖小区旁搅拌站夜间施工噪音扰民，严重影响休息，请尽快处理"
    rows = [
        _record(i, same, "搅拌站 夜间 施工 噪音 扰民 影响 休息 处理", start + dt.timedelta(hours=5 * i))
        for i in range(30)
    ]
    others = [
        ("搅拌站晚上十一点还在作业，噪音太大", "搅拌站 晚上 十一点 还在 作业 噪音 太大"),
        ("夜里搅拌站的噪音吵得孩子睡不着", "夜里 搅拌站 噪音 吵 孩子 睡不着"),
        ("搅拌站的车凌晨进出，噪音和灰尘都很严重", "搅拌站 车 凌晨 进出 噪音 灰尘 严重"),
    ]
    rows += [
        _record(30 + k, text, toks, start + dt.timedelta(days=1, hours=k)) for k, (text, toks) in enumerate(others)
    ]
    return pl.DataFrame(rows + _elsewhere())


def _elsewhere() -> list[dict]:
    """Other matters at other places the same week: what makes 噪音 common and 搅拌站 rare."""
    matters = ["楼道 堆物 影响 通行", "装修 噪音 周末 影响 休息", "路灯 不亮 晚上 出行 不便", "垃圾 清运 不及时 严重",
               "电梯 故障 困人 处理", "广场舞 噪音 晚上 扰民", "停车 占道 严重 影响", "漏水 天花板 处理"]  # fmt: skip
    start = dt.datetime(2026, 11, 11, 9)
    return [
        _record(100 + k, toks.replace(" ", ""), toks, start + dt.timedelta(hours=k), place_key=f"别处{k}",
                place=f"别处{k}小区", theme_id=2 + k % 3)
        for k, toks in enumerate(matters)
    ]  # fmt: skip


def test_one_residents_thirty_messages_are_one_person_and_a_repeat_not_a_crowd():
    records = _one_resident_and_three_others()
    repeats = find_repeats(records)
    # the identical messages form one near-duplicate group; the three others, each with words of its own,
    # repeat nothing (they did when words found in one record only were left out of the vectors)
    assert repeats.height == 30 and repeats["repeat_group_id"].n_unique() == 1
    people = with_people(records, repeats)
    hot = hot_issues(people, as_of=AS_OF).filter(pl.col("place_key") == "翠湖")
    assert hot.height == 1
    row = hot.row(0, named=True)
    assert (row["n"], row["n_people"], row["people_basis"], row["top_person_n"]) == (33, 4, "repeat_group", 30)
    assert row["is_repeat"] and row["n_contacts"] == 0
    # not a crowd even where 4 people would be one: the group is mostly one person's
    assert crowd_alerts(people, CrowdModel(min_people=3, relative=False)).is_empty()
    # the surge test flags the cell (33 records where there were 1-2 a week) …
    weeks = [MONDAY - dt.timedelta(weeks=k) for k in range(8, 0, -1)]
    cells = pl.DataFrame(
        {"grid_id": "G1", "theme_id": 1, "week_start": [*weeks, MONDAY], "n": [1, 2, 1, 1, 2, 1, 1, 2, 33]}
    ).with_columns(
        iso_week=pl.col("week_start").dt.strftime("%G-W%V"), theme_label=pl.lit("噪音"), category=pl.lit("噪音")
    )
    from demandlab.signals.alerts import score_surges

    assert score_surges(cells, SurgeModel(min_history=4))["is_alert"].to_list()[-1]
    # … but raises no surge: it is the resident's 一人多诉, raised as such from the near-duplicate group
    assert surge_alerts(people, cells, SurgeModel(min_history=4)).is_empty()
    repeat = repeat_caller_alerts(people)
    assert repeat.height == 1 and repeat["n"][0] == 30 and repeat["people_basis"][0] == "repeat_group"
    assert "近似重复" in repeat["evidence"][0]


def test_with_contacts_people_are_the_contacts_and_a_crowd_is_a_crowd():
    start = dt.datetime(2026, 11, 10, 8)
    rows = [
        _record(
            i, f"搅拌站夜间噪音扰民第{i}次", "搅拌站 夜间 噪音 扰民", start + dt.timedelta(hours=i), contact=f"c{i % 6}"
        )
        for i in range(12)
    ]
    people = with_people(pl.DataFrame(rows))
    crowd = crowd_alerts(people, CrowdModel(min_people=5, relative=False))  # the floor alone: people counted
    assert crowd["n_people"].to_list() == [6] and crowd["people_basis"].to_list() == ["contact"]
    row = hot_issues(people, as_of=AS_OF).row(0, named=True)
    assert (row["n_people"], row["n_contacts"], row["is_repeat"]) == (6, 6, False)


def test_a_place_holds_several_matters_and_one_matter_written_two_ways():
    start = dt.datetime(2026, 10, 20, 8)
    parking = [
        ("开发商捆绑销售车位，不买车位不给交房", "开发商 捆绑 销售 车位 不买 交房"),
        ("买房被要求捆绑购买车位，否则不能签合同", "买房 要求 捆绑 购买 车位 签 合同"),
        ("滨河苑开发商强制捆绑销售车位", "开发商 强制 捆绑 销售 车位"),
        ("车位捆绑销售，业主投诉无门", "车位 捆绑 销售 业主 投诉"),
    ]
    fees = [
        ("物业停车费一年涨了三次", "物业 停车费 涨"),
        ("小区停车费上涨没有公示", "停车费 上涨 公示"),
        ("物业擅自上涨停车费", "物业 擅自 上涨 停车费"),
    ]
    rows = [
        _record(i, text, toks, start + dt.timedelta(days=i), contact=f"c{i}", theme_id=7, theme_label="停车")
        for i, (text, toks) in enumerate(parking + fees)
    ]
    records = pl.DataFrame(rows)
    matters = find_matters(records)
    by_text = dict(zip(matters["text"], matters["matter"], strict=True))
    assert len({by_text[t] for t, _ in parking}) == 1 and len({by_text[t] for t, _ in fees}) == 1
    assert by_text[parking[0][0]] != by_text[fees[0][0]]
    hot = hot_issues(records, as_of=AS_OF)
    assert hot.height == 2 and set(hot["theme_label"]) == {"停车"}
    assert any("捆绑" in m for m in hot["matter"]) and any("停车费" in m for m in hot["matter"])


def test_a_city_wide_matter_without_a_place_is_hot_when_several_people_raise_it():
    start = dt.datetime(2026, 10, 20, 8)
    subsidy = [
        ("购房补贴申请后迟迟没有发放", "购房 补贴 申请 迟迟 没有 发放"),
        ("人才购房补贴什么时候发放", "人才 购房 补贴 发放"),
        ("购房补贴发放进度太慢", "购房 补贴 发放 进度 太慢"),
        ("去年申请的购房补贴至今未到账", "申请 购房 补贴 至今 到账"),
    ]
    rows = [
        _record(i, text, toks, start + dt.timedelta(days=2 * i), contact=f"c{i}", place_key=None, place=None,
                place_kind=None, theme_id=3, theme_label="住房保障")
        for i, (text, toks) in enumerate(subsidy)
    ]  # fmt: skip
    # one more person's unrelated message in the same theme stays out of the matter
    rows.append(
        _record(9, "公租房维修没人管", "公租房 维修 没人管", start, contact="c9", place_key=None, place=None,
                place_kind=None, theme_id=3, theme_label="住房保障")
    )  # fmt: skip
    hot = hot_issues(pl.DataFrame(rows), as_of=AS_OF)
    assert hot.height == 1
    row = hot.row(0, named=True)
    assert row["place_key"] is None and row["n"] == 4 and row["n_people"] == 4
    assert "补贴" in row["matter"] and row["hot_id"].startswith("H-theme-3-")


def test_the_command_line_the_marts_and_the_report_give_one_heat_for_one_issue_and_week(demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    stored = marts.hot_issues(store)
    assert stored.height > 0
    latest = marts.read.latest_week_start(store)
    as_of = dt.datetime.combine(latest + dt.timedelta(days=7), dt.time()) - dt.timedelta(microseconds=1)
    assert stored["as_of"].unique().to_list() == [as_of]
    # the one function, run again from the records for that week, gives the stored mart
    again = marts.read.compute_hot_issues(store, latest)
    assert again.select("hot_id", "heat", "n", "n_people").equals(stored.select("hot_id", "heat", "n", "n_people"))
    # the report of that week shows the stored heats
    shown = {h["hot_id"]: h["heat"] for h in collect(store, config=cfg).hot}
    assert shown == dict(stored.head(len(shown)).select("hot_id", "heat").iter_rows())
    # and the command line prints them
    out = CliRunner().invoke(app, ["signals", "hot", "--format", "json", "--db", str(cfg.paths.db)])
    assert out.exit_code == 0, out.output
    printed = {r["hot_id"]: r["heat"] for r in json.loads(out.output)}
    assert printed == dict(stored.head(10).select("hot_id", "heat").iter_rows())
    # a past week: the report of that week, the command line's --week and the marts agree too
    past = latest - dt.timedelta(weeks=3)
    week = f"{past.isocalendar()[0]}-W{past.isocalendar()[1]:02d}"
    then = marts.hot_issues(store, week=week)
    assert then.height > 0 and then["as_of"][0] < as_of
    shown = {h["hot_id"]: h["heat"] for h in collect(store, week=week, config=cfg).hot}
    assert shown == pytest.approx(dict(then.head(len(shown)).select("hot_id", "heat").iter_rows()))
    out = CliRunner().invoke(app, ["signals", "hot", "--week", week, "--format", "json", "--db", str(cfg.paths.db)])
    assert {r["hot_id"]: r["heat"] for r in json.loads(out.output)} == dict(
        then.head(10).select("hot_id", "heat").iter_rows()
    )


def test_without_words_records_naming_no_place_form_no_city_wide_matter():
    # a frame without tokens (no text read): at a place the theme stands for the matter, but a whole
    # theme of place-less records is not one city-wide matter (it topped a real board's list that way)
    start = dt.datetime(2026, 10, 20, 8)
    rows = [
        _record(i, f"第{i}条", None, start + dt.timedelta(days=i), contact=f"c{i}", place_key=None, place=None,
                place_kind=None, theme_id=5, theme_label="劳动保障")
        for i in range(12)
    ]  # fmt: skip
    rows += [_record(20 + i, f"第{i}条", None, start + dt.timedelta(days=i), contact=f"d{i}") for i in range(4)]
    hot = hot_issues(pl.DataFrame(rows).drop("tokens"), as_of=AS_OF)
    assert hot["place_key"].to_list() == ["翠湖"] and hot["n"].to_list() == [4]


def test_a_matter_is_never_named_by_an_organisation():
    # zjboard: four developers' misconduct at sale, city-wide, was named 房地产开发有限公司 (who, not what)
    from demandlab.signals.matters import matter_names

    developer = [("某某房地产开发有限公司", ["房地产开发", "有限公司"])] * 3
    noise = [("搅拌站夜间噪音扰民", ["搅拌站", "夜间", "噪音", "扰民"])] * 3
    assert matter_names([developer, noise], [None, None], ["虚假宣传", "噪音"]) == ["虚假宣传", "搅拌站夜间噪音扰民"]


def _matters_by_definition(records: pl.DataFrame) -> list[int]:
    """find_matters written plainly (matter_tokens per record, scikit-learn's CountVectorizer, blocks in
    sorted order): the definition the vectorised version must equal, in the order find_matters returns."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

    from demandlab.signals.matters import PLACE_SIMILARITY, PLACELESS_SIMILARITY, cluster_block, matter_tokens

    records = records.sort("created_at", "source", "record_id")
    places, tokens = records["place_key"].to_list(), records["tokens"].to_list()
    block = [p if p is not None else f"theme:{t}" for p, t in zip(places, records["theme_id"], strict=True)]
    docs = [matter_tokens(t and t.split(" "), p) for t, p in zip(tokens, records["place"], strict=True)]
    useful = [i for i, d in enumerate(docs) if d]
    counts = CountVectorizer(analyzer=lambda d: d, lowercase=False).fit_transform([docs[i] for i in useful]).tocsr()
    distinct = sorted({tuple(sorted(docs[i])): k for k, i in enumerate(useful)}.values())
    vectors = TfidfTransformer(sublinear_tf=True).fit(counts[distinct]).transform(counts).tocsr()
    at = {i: k for k, i in enumerate(useful)}
    matters, offset = [None] * records.height, 0
    for b in sorted(set(block)):
        rows = [i for i in range(records.height) if block[i] == b]
        placed = records["place_key"][rows[0]] is not None
        with_text = [i for i in rows if i in at]
        if with_text:
            similarity = PLACE_SIMILARITY if placed else PLACELESS_SIMILARITY
            labels = cluster_block(vectors[[at[i] for i in with_text]], similarity)
            for i, label in zip(with_text, labels, strict=True):
                matters[i] = int(label) + offset
            offset += int(np.max(labels)) + 1
        without = [i for i in rows if i not in at]
        if not placed:
            for i in without:
                matters[i], offset = offset, offset + 1
            continue
        for theme in sorted({records["theme_id"][i] for i in without}):
            for i in without:
                if records["theme_id"][i] == theme:
                    matters[i] = offset
            offset += 1
    return matters


def test_matters_equal_their_definition_on_hand_made_edge_cases():
    start = dt.datetime(2026, 10, 20, 8)
    texts = [
        ("翠湖小区", "翠湖 小区 电梯 故障"),  # words of the place name say nothing about the matter
        ("翠湖小区", "翠湖 湖 电梯 故障 故障"),  # a one-character word inside the name stays; a word twice
        ("翠湖小区", "翠湖"),  # nothing left once the place's words are gone: grouped by theme
        ("翠湖小区", "小区 湖"),  # only a one-character word of the name is left: it is a word
        ("翠湖小区", None),  # no tokens at all
        ("翠湖小区", "电梯 故障"),
        (None, "购房 补贴 发放"),  # no place: a city-wide matter within the theme
        (None, "购房 补贴 发放"),  # the same text again: one document for the document frequencies
        (None, None),
        (None, "公租房  维修"),  # two spaces: an empty word, as the space-joined tokens hold it
        ("滨河苑", "停车 收费 上涨"),
        ("滨河苑", "停车 收费 上涨 物业"),
        ("滨河苑", "噪音 扰民"),
    ]
    rows = [
        _record(i, f"t{i}", toks, start + dt.timedelta(hours=i), place_key=place, place=place,
                theme_id=1 + i % 2)
        for i, (place, toks) in enumerate(texts)
    ]  # fmt: skip
    records = pl.DataFrame(rows).sample(fraction=1.0, shuffle=True, seed=3)  # any input order
    assert find_matters(records)["matter"].to_list() == _matters_by_definition(records)


def test_matters_equal_their_definition_on_a_real_board():
    from demandlab.text.segment import Segmenter

    path = shared_data("zjboard", "messages.jsonl")
    board = pl.read_ndjson(path, infer_schema_length=None)
    segmenter = Segmenter()
    texts = [f"{t}。{c}" for t, c in zip(board["title"], board["content"], strict=True)]
    records = board.select(
        pl.lit("zjboard").alias("source"),
        pl.col("id").cast(pl.String).alias("record_id"),
        pl.col("date").str.to_datetime("%Y-%m-%d").alias("created_at"),
        pl.col("district").alias("place_key"),  # the district stands in for a place: its name's words drop out
        pl.col("district").alias("place"),
        pl.col("domain").rank("dense").cast(pl.Int64).alias("theme_id"),
        pl.Series(
            "tokens",
            [" ".join(segmenter.tokens(text)) or None for text in texts],
        ),
    )
    found = find_matters(records)
    assert found["matter"].to_list() == _matters_by_definition(records)
    assert 1 < found["matter"].n_unique() < records.height  # some messages share a matter, not all


def test_matters_are_cut_where_scipy_cuts_them_ties_and_the_threshold_itself_included():
    """cluster_block cuts the linkage itself (scipy's fcluster checked the linkage on every call, most of the time
    of ten thousand small blocks): the same clusters as ``fcluster(..., criterion="distance")``, on vectors of small
    counts (many equal distances), and cut exactly at one of the merges' heights (a merge at the cut joins)."""
    import numpy as np
    import scipy.sparse as sp
    from scipy.cluster.hierarchy import fcluster, linkage

    from demandlab.signals.matters import _normalised, cluster_block, cut

    def first_order(labels):
        _, first = np.unique(labels, return_index=True)
        return np.argsort(np.argsort(first, kind="stable"), kind="stable")[np.unique(labels, return_inverse=True)[1]]

    rng = np.random.default_rng(7)
    for _ in range(1500):
        counts = rng.integers(0, 3, size=(int(rng.integers(2, 50)), int(rng.integers(1, 7)))).astype(float)
        counts[counts.sum(axis=1) == 0, 0] = 1.0
        vectors = _normalised(sp.csr_matrix(counts))
        distance = np.clip(1.0 - (vectors @ vectors.T).toarray(), 0.0, 2.0)
        merges = linkage(distance[np.triu_indices(vectors.shape[0], k=1)], "average")
        similarity = float(rng.choice([0.06, 0.25, 0.5, 0.99]))
        expected = first_order(fcluster(merges, 1.0 - similarity, "distance"))
        assert cluster_block(vectors, similarity).tolist() == expected.tolist()
        height = float(merges[rng.integers(len(merges)), 2])  # a cut exactly at a merge
        assert first_order(cut(merges, height)).tolist() == first_order(fcluster(merges, height, "distance")).tolist()


@pytest.mark.parametrize("slice_rows", [1, 2, 3, 5])
def test_matters_counted_in_slices_equal_the_whole(monkeypatch, slice_rows):
    """The token counts of a period are gathered a slice of records at a time: the same matrix (and
    the same matters, against their definition) whatever the slice; each row's distinct-text test is
    the plain one (equal sorted tokens)."""
    import numpy as np

    from demandlab.signals import matters

    start = dt.datetime(2026, 10, 20, 8)
    words = ["电梯", "故障", "翠湖", "湖", "小区", "停车", "收费", "噪音", "扰民", "补贴"]
    rng = __import__("random").Random(slice_rows)
    rows = []
    for i in range(40):
        toks = " ".join(rng.choice(words) for _ in range(rng.randint(0, 5))) or None
        place = rng.choice(["翠湖小区", "滨河苑", None])
        rows.append(
            _record(i, f"t{i}", toks, start + dt.timedelta(hours=i), place_key=place, place=place, theme_id=i % 3)
        )
    rows += [
        {**row, "record_id": f"again{i}", "created_at": start + dt.timedelta(days=5, hours=i)}
        for i, row in enumerate(rows[:4])
    ]
    rows.append(
        _record(
            99, "t99", "电梯 故障 电梯", start + dt.timedelta(days=6), place_key="滨河苑", place="滨河苑", theme_id=1
        )
    )
    rows.append(
        _record(98, "t98", "故障 电梯 电梯", start + dt.timedelta(days=7), place_key=None, place=None, theme_id=2)
    )
    records = pl.DataFrame(rows)
    whole = matters._token_counts(records, slice_rows=10**6)
    sliced = matters._token_counts(records, slice_rows=slice_rows)
    assert sliced.has_canonical_format and whole.has_canonical_format
    assert (sliced != whole).nnz == 0 and sliced.shape == whole.shape
    assert sliced.indptr.tolist() == whole.indptr.tolist() and sliced.indices.tolist() == whole.indices.tolist()
    useful = whole[np.diff(whole.indptr) > 0]
    plain = sorted(
        {tuple(zip(r.indices, r.data, strict=True)): i for i, r in reversed(list(enumerate(useful)))}.values()
    )
    assert matters._distinct_rows(useful).tolist() == plain and len(plain) < useful.shape[0]
    monkeypatch.setattr(matters, "COUNT_SLICE", slice_rows)
    assert find_matters(records)["matter"].to_list() == _matters_by_definition(records)
