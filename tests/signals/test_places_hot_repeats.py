"""Places named in text, the heat index and hot issues, near-duplicate repeats."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from demandlab.signals import HOT_COLUMNS, PlaceFinder, find_places, find_repeats, hot_issues, unify_keys
from demandlab.signals import repeats as repeats_module
from demandlab.signals.repeats import update_repeats


@pytest.mark.parametrize(
    ("text", "kind", "key"),
    [
        ("翠湖小区五栋的电梯又坏了", "compound", "翠湖"),
        ("A5区劳动东路魅力之城小区临街门面烧烤夜宵摊", "compound", "魅力之城"),
        ("万科魅力之城小区底层门店深夜经营", "compound", "万科魅力之城"),
        ("湖滨路东门菜市场外面摊贩占道经营", "poi", "东门菜市场"),
        ("楼下的湘味轩饭店油烟直排", "poi", "湘味轩饭店"),
        ("A市经济学院强制学生外出实习", "poi", "经济学院"),
        ("湖滨路与工业路交叉口的摊贩把摊位摆到了马路上", "road", "湖滨路"),
    ],
)
def test_the_place_a_text_is_about(text, kind, key):
    place = PlaceFinder.build(["翠湖小区"]).find(text)
    assert (place.kind, place.key) == (kind, key)


@pytest.mark.parametrize(
    "text",
    [
        "我们小区的路灯不亮",  # no name, only 小区
        "希望解决老旧小区加装电梯的问题",  # a kind of compound, not a compound
        "3月隔壁小区也是这样",  # a placing word before 小区
        "方便居民去医院",  # a verb before 医院
        "坐3路公交车到马路对面",  # a bus line and a generic road
        "东湖街道办事处",  # the sub-district, not a street
    ],
)
def test_words_that_are_not_places(text):
    assert PlaceFinder.build().find(text) is None


def test_the_title_is_read_before_the_text_and_the_address():
    finder = PlaceFinder.build()
    assert finder.find("秀水华庭电梯故障", "我住在翠湖花园", "和平路").key == "秀水华庭"
    assert finder.find(None, "我住在翠湖花园", "和平路").key == "翠湖花园"
    assert finder.find(None, "电梯坏了", "和平路12号").key == "和平路"


def test_keys_written_with_a_developers_name_meet_the_short_one():
    keys = ["万科魅力之城", "魅力之城", "东门菜市场", "门菜市场", None]
    kinds = ["compound", "compound", "poi", "poi", None]
    assert unify_keys(keys, kinds) == ["魅力之城", "魅力之城", "东门菜市场", "门菜市场", None]


def test_keys_meet_the_shortest_compound_inside_them_first_in_code_point_order():
    keys = ["中海魅力之城", "魅力之城", "力之城", "之城", "中海城", "海魅力", "魅力城", "海魅力之城"]
    keys += ["魅力之城", None, "力之城"]
    kinds = ["compound"] * 9 + [None, "road"]
    # 力之城 and 海魅力 are both three characters inside 中海魅力之城: 力 (U+529B) comes before 海 (U+6D77);
    # 之城 is too short to stand for a compound; a road keeps its key
    assert unify_keys(keys, kinds) == [
        "力之城", "力之城", "力之城", "之城", "中海城", "海魅力", "魅力城", "力之城", "力之城", None, "力之城",
    ]  # fmt: skip


def test_unifying_keys_is_the_pairwise_rule_on_many_random_keys():
    """The substring lookup gives what comparing every pair of compounds gives (the rule as first written)."""

    def pairwise(keys, kinds):
        found = {k for k, kind in zip(keys, kinds, strict=True) if k and kind == "compound"}
        compounds = sorted(found, key=lambda k: (len(k), k))
        mapping = {
            key: next((k for k in compounds[:i] if len(k) >= 3 and k in key and len(k) < len(key)), key)
            for i, key in enumerate(compounds)
        }
        return [mapping.get(k, k) if k and kind == "compound" else k for k, kind in zip(keys, kinds, strict=True)]

    rng = np.random.default_rng(5)
    alphabet = list("魅力之城万科花园东门")
    for _ in range(200):
        keys = ["".join(rng.choice(alphabet, rng.integers(1, 8))) for _ in range(rng.integers(1, 40))]
        kinds = [str(k) for k in rng.choice(["compound", "compound", "poi"], len(keys))]
        assert unify_keys(keys, kinds) == pairwise(keys, kinds)


def test_find_places_adds_three_columns():
    frame = pl.DataFrame(
        {"title": ["万科魅力之城小区噪音", None, "魅力之城油烟"], "text": ["油烟", "湖滨路占道", "魅力之城小区油烟"]}
    )
    out = find_places(frame, PlaceFinder.build())
    assert out["place_key"].to_list() == ["魅力之城", "湖滨路", "魅力之城"]  # keys unified across the frame
    assert out["place_kind"].to_list() == ["compound", "road", "compound"]
    assert find_places(frame, PlaceFinder.build(), unify=False)["place_key"][0] == "万科魅力之城"


def _hot_records(groups: list[tuple[str, int, int, int, int]], as_of: dt.datetime) -> pl.DataFrame:
    """groups: (place, theme, records, days between records, days before as_of of the last record)."""
    rows = []
    for place, theme, n, step, age in groups:
        for i in range(n):
            rows.append(
                {
                    "source": "12345", "record_id": f"{place}{theme}-{i}",
                    "created_at": as_of - dt.timedelta(days=age + step * i), "place_key": place, "place": place,
                    "place_kind": "compound", "theme_id": theme, "theme_label": f"主题{theme}", "category": "噪音",
                    "contact_key": f"{place}-{i}", "likes": 0, "grid_id": "G1", "street": "东湖街道",
                    "community": "翠湖社区", "title": None, "text": f"{place}的问题{i}",
                }
            )  # fmt: skip
    return pl.DataFrame(rows)


def test_heat_ranks_new_broad_recent_matters_above_chronic_or_stale_ones():
    as_of = dt.datetime(2026, 11, 15, 20)
    records = _hot_records(
        [
            ("新问题", 1, 12, 5, 0),  # 12 records in the period, nothing before
            ("老问题", 1, 60, 6, 0),  # the same every week for a year: 15 in the period, 45 before it
            ("旧问题", 1, 12, 5, 60),  # like the first, but quiet for two months
            ("零星", 1, 2, 5, 0),  # below the minimum
        ],
        as_of,
    )
    hot = hot_issues(records, as_of=as_of, weeks=13)
    assert hot.schema == pl.Schema(HOT_COLUMNS)
    assert hot["place_key"].to_list()[:1] == ["新问题"]
    assert "零星" not in hot["place_key"].to_list()
    ranks = dict(zip(hot["place_key"], hot["rank"], strict=True))
    assert ranks["新问题"] < ranks["老问题"] and ranks["新问题"] < ranks["旧问题"]
    row = hot.row(0, named=True)
    assert row["n"] == 12 and row["n_contacts"] == 12 and row["span_days"] == 56 and row["expected"] == 0
    assert len(row["examples"]) == 3 and row["hot_id"].startswith("H-新问题-")


def test_likes_add_heat_and_weeks_none_takes_all_the_data():
    as_of = dt.datetime(2026, 11, 15, 20)
    records = _hot_records([("甲", 1, 5, 3, 0), ("乙", 1, 5, 3, 0)], as_of).with_columns(
        likes=pl.when(pl.col("place_key") == "乙").then(40).otherwise(0)
    )
    hot = hot_issues(records, weeks=None)
    assert hot["place_key"].to_list() == ["乙", "甲"] and hot["likes"].to_list() == [200, 0]


def _repeat_frame(rows: list[tuple[str, int, list[str]]]) -> pl.DataFrame:
    start = dt.datetime(2026, 5, 1, 9)
    return pl.DataFrame(
        {
            "source": ["12345"] * len(rows),
            "record_id": [r for r, _, _ in rows],
            "created_at": [start + dt.timedelta(days=d) for _, d, _ in rows],
            "theme_id": [1] * len(rows),
            "grid_id": ["G1"] * len(rows),
            "place_key": ["翠湖"] * len(rows),
            "tokens": [t for _, _, t in rows],
        }
    )


LEAK = ["楼上", "漏水", "天花板", "卫生间", "渗水"]
LIFT = ["电梯", "故障", "困人", "维修", "停运"]


def test_near_duplicates_chain_into_one_group_named_by_the_earliest():
    rows = [("a", 0, LEAK), ("b", 10, [*LEAK, "多次"]), ("c", 35, [*LEAK[1:], "多次"]), ("d", 5, LIFT), ("e", 6, LIFT)]
    rows += [("f", 200, LEAK)]  # the same words half a year later: another matter
    out = find_repeats(_repeat_frame(rows), threshold=0.6, window_days=30)
    groups = dict(zip(out["record_id"], out["repeat_group_id"], strict=True))
    assert groups == {"a": "12345:a", "b": "12345:a", "c": "12345:a", "d": "12345:d", "e": "12345:d"}
    assert out.filter(pl.col("record_id") == "a")["group_size"][0] == 3


def test_slicing_a_large_block_finds_the_same_pairs(monkeypatch):
    rows = [(f"r{i:03d}", i // 3, LEAK if i % 2 else LIFT) for i in range(240)]
    whole = find_repeats(_repeat_frame(rows), window_days=5)
    monkeypatch.setattr(repeats_module, "_SLICE", 10)
    sliced = find_repeats(_repeat_frame(rows), window_days=5)
    assert whole.equals(sliced)
    assert whole["repeat_group_id"].n_unique() == 2  # one chain per matter through the whole period


def test_many_small_blocks_compared_in_one_product_find_what_each_block_alone_finds(monkeypatch):
    """Small blocks share one sparse product (each block's terms its own columns): no pair across two blocks."""
    rng = np.random.default_rng(9)
    rows = [(f"r{i:03d}", int(rng.integers(0, 20)), LEAK if i % 3 else LIFT) for i in range(300)]
    frame = _repeat_frame(rows).with_columns(place_key=pl.Series([f"P{i % 40}" for i in range(300)]))
    fixed = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True).fit(frame["tokens"].to_list())
    options = {"window_days": 10, "vectorize": fixed.transform}
    together = find_repeats(frame, **options)
    alone = pl.concat([find_repeats(part, **options) for part in frame.partition_by("place_key")])
    assert together.equals(alone.sort("repeat_group_id", "created_at", "source", "record_id"))
    assert together["repeat_group_id"].n_unique() > 40  # the same words in 40 places: never one group
    monkeypatch.setattr(repeats_module, "_BATCH", 7)  # many batches give the same
    assert find_repeats(frame, **options).equals(together)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_updating_repeats_for_new_records_equals_finding_them_again(seed):
    rng = np.random.default_rng(seed)
    vocabulary = [LEAK, LIFT, ["垃圾", "清运", "臭味", "垃圾桶", "分类"]]
    rows = []
    for i in range(300):
        words = list(vocabulary[rng.integers(3)])
        rng.shuffle(words)
        rows.append((f"r{i:03d}", int(rng.integers(0, 60)), [*words[: rng.integers(3, 6)], f"w{rng.integers(30)}"]))
    frame = _repeat_frame(rows).with_columns(place_key=pl.Series([f"P{rng.integers(4)}" for _ in rows]))
    # a fixed vectoriser, as the pipeline passes the theme model's
    fixed = TfidfVectorizer(analyzer=lambda t: t, sublinear_tf=True).fit(frame["tokens"].to_list())
    options = {"threshold": 0.6, "window_days": 10, "vectorize": fixed.transform}
    since = dt.datetime(2026, 5, 1, 9) + dt.timedelta(days=30)
    before = find_repeats(frame.filter(pl.col("created_at") < since), **options)
    updated = update_repeats(before, frame, since, **options)
    assert updated.equals(find_repeats(frame, **options))
    # the case that matters happened: old groups grew across `since`
    spans = updated.group_by("repeat_group_id").agg(
        old=(pl.col("created_at") < since).any(), new=(pl.col("created_at") >= since).any()
    )
    assert spans.filter(pl.col("old") & pl.col("new")).height > 0


def test_the_finder_is_the_same_whatever_order_the_registry_lists_compounds_in():
    # its fingerprint decides whether every record is located again: it must not follow set order
    names = ["翠湖小区", "秀水华庭", "春江花园", "九龙府", "御景里", "纺织小区"]
    assert PlaceFinder.build(names).known == PlaceFinder.build(reversed(names)).known
    known = PlaceFinder.build(names).known
    assert list(known) == sorted(names, key=lambda n: (-len(n), n))  # longest first, so 翠湖小区 beats 翠湖


def test_records_naming_only_the_road_join_the_place_on_it_for_the_same_matter():
    as_of = dt.datetime(2026, 11, 15, 20)
    market = _hot_records([("东门菜市场", 6, 4, 3, 0)], as_of).with_columns(
        place_kind=pl.lit("poi"), place_road=pl.lit("湖滨路")
    )
    road = _hot_records([("湖滨路", 6, 3, 4, 1), ("湖滨路", 7, 3, 4, 1)], as_of).with_columns(
        place_kind=pl.lit("road"), place_road=pl.lit(None, pl.String)
    )
    hot = hot_issues(pl.concat([market, road]), as_of=as_of)
    groups = {(k, t): n for k, t, n in hot.select("place_key", "theme_id", "n").iter_rows()}
    # the street vendors on 湖滨路 are the market's matter; the road's other matter stays the road's
    assert groups == {("东门菜市场", 6): 7, ("湖滨路", 7): 3}
    assert hot.filter(pl.col("place_key") == "东门菜市场")["place"][0] == "东门菜市场"
