"""Place names that are places: words of the sentence are no part of a name, learned names need
several contexts, the registry's names win, generic institutions keep their city, variants meet."""

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from tests.conftest import shared_data

from demandlab.signals import Place, PlaceFinder, find_places
from demandlab.signals.places import LocateContext, learn_compounds, learn_places, locate_records, scan_places


def _keys(titles: list[str], finder: PlaceFinder | None = None, **options) -> list[str | None]:
    frame = pl.DataFrame({"title": titles})
    return find_places(frame, finder or PlaceFinder.build(), **options)["place_key"].to_list()


@pytest.mark.parametrize(
    "text",
    [
        "其表示小区门口垃圾堆放，无人清理",
        "该小区物业不作为",
        "来电人表示其小区门口有人占道经营",
        "本小区停车难",
        "市民反映本小区电梯故障",
        "其他学校都是自愿报名补课",
        "是所有医院都可以打疫苗吗",
        "我是一名大学毕业生",
        "希望解决老旧小区加装电梯的问题",
        "严重干扰小区业主的休息",
        "本人系小区业主，物业乱收费",
        "政府修路要村民出钱",
        "党的群众路线教育",
    ],
)
def test_words_of_the_sentence_are_no_place(text):
    assert PlaceFinder.build().find(text) is None


@pytest.mark.parametrize(
    ("text", "kind", "name", "key"),
    [
        ("其认为海秀东路路灯不亮", "road", "海秀东路", "海秀东路"),
        ("来电人表示其认为海秀东路路灯不亮", "road", "海秀东路", "海秀东路"),
        ("市民称翠湖花园门口垃圾未清运", "compound", "翠湖花园", "翠湖花园"),
        ("本人系咏柳苑小区居民", "compound", "咏柳苑小区", "咏柳苑"),
        ("要求彻查景香苑开发商违规", "compound", "景香苑", "景香苑"),
        ("我住魅力之城小区3栋", "compound", "魅力之城小区3栋", "魅力之城"),
        ("送至县人民医院治疗", "poi", "县人民医院", "县人民医院"),
    ],
)
def test_real_names_are_found_without_the_words_before_them(text, kind, name, key):
    place = PlaceFinder.build().find(text)
    assert (place.kind, place.name, place.key) == (kind, name, key)


def test_a_phrase_before_a_suffix_is_not_learned_and_not_found_elsewhere():
    titles = [f"其表示小区门口垃圾堆放{i}天" for i in range(5)] + ["其表示无法接受", "来电人表示其小区门口占道"]
    keys = _keys(titles)
    assert not any(k and ("其" in k or "表示" in k) for k in keys)
    assert learn_compounds(pl.DataFrame({"title": titles}), []) == ()


def test_a_template_phrase_in_twenty_records_is_not_learned():
    # one template writes 东片巡查 before 小区 in twenty different records, always after 】
    template = [f"【网格上报】东片巡查小区，发现第{i}处垃圾" for i in range(20)]
    other = ["东片巡查记录已归档", "今天东片巡查发现井盖缺失"]
    frame = pl.DataFrame({"title": template + other})
    assert "东片巡查" not in learn_compounds(frame, [])
    assert find_places(frame, PlaceFinder.build())["place_key"].to_list()[20:] == [None, None]


def test_a_name_is_learned_from_two_records_with_different_texts_and_left_contexts():
    titles = ["我住魅力之城小区，油烟扰民", "A5区魅力之城小区噪音", "A市魅力之城商铺无排烟管道"]
    assert learn_compounds(pl.DataFrame({"title": titles}), []) == ("魅力之城",)
    assert _keys(titles)[2] == "魅力之城"
    # the same text twice, or two texts with the same character before the name, teach nothing
    same_text = ["，魅力之城小区油烟。我住魅力之城小区"] * 2
    same_context = ["A5区魅力之城小区油烟", "A5区魅力之城小区噪音"]
    assert learn_compounds(pl.DataFrame({"title": same_text}), []) == ()
    assert learn_compounds(pl.DataFrame({"title": same_context}), []) == ()


def test_the_registrys_names_win():
    # a suffix read over a registry name is not a second place
    finder = PlaceFinder.build(["金色家园"])
    assert finder.candidates("金色家园小区5栋漏水") == [finder.find("金色家园小区5栋漏水")]
    assert finder.find("金色家园小区5栋漏水").key == "金色家园"
    # a name that contains a registry name or its key, or is contained in one, is not learned
    titles = ["我住翠湖花园小区", "A5区翠湖花园小区", "我住魅力之城小区", "A5区魅力之城小区"]
    frame = pl.DataFrame({"title": titles})
    assert learn_compounds(frame, ["翠湖小区", "万科魅力之城"]) == ()
    assert learn_compounds(frame, []) == ("翠湖花园", "魅力之城")


def test_generic_hospitals_keep_their_city_and_compounds_drop_their_district():
    titles = ["M3县人民医院排队", "F8市人民医院乱收费", "人民医院停车难", "A5区魅力之城小区噪音", "A市经济学院强制实习"]
    out = find_places(pl.DataFrame({"title": titles}), PlaceFinder.build())
    assert out["place_key"].to_list() == ["M3县人民医院", "F8市人民医院", "人民医院", "魅力之城", "经济学院"]
    assert out["place"].to_list()[1] == "F8市人民医院"  # readable as written


def test_a_name_written_after_two_units_of_one_level_is_generic():
    titles = ["A县红星医院排队", "B县红星医院收费", "红星医院停车难", "C市育才学校补课"]
    assert learn_places(pl.DataFrame({"title": titles}), []).generic == ("红星医院",)
    assert _keys(titles) == ["A县红星医院", "B县红星医院", "红星医院", "育才学校"]
    # a city and its district write one park two ways: not generic
    park = ["B市翡翠公园车位", "B2区翡翠公园噪音"]
    assert _keys(park) == ["翡翠公园", "翡翠公园"]


def test_variants_of_one_compound_meet():
    titles = ["伊景园滨河苑小区停车难", "伊景园·滨河苑门口积水", "伊景园 滨河苑垃圾", "滨河苑电梯坏了"]
    assert set(_keys(titles)) == {"滨河苑"}
    assert _keys(titles[:2], unify=False) == ["伊景园滨河苑", "伊景园滨河苑"]  # interpuncts are not in keys
    # a known name is matched however it is written
    finder = PlaceFinder.build(["伊景园滨河苑"])
    assert finder.find("伊景园·滨河苑3栋漏水") == Place("compound", "伊景园·滨河苑3栋", "伊景园滨河苑")
    assert finder.find("伊景园滨河苑小区3栋漏水") == Place("compound", "伊景园滨河苑小区3栋", "伊景园滨河苑")


def test_heads_that_belong_to_an_administrative_unit_are_no_compound():
    finder = PlaceFinder.build()
    assert finder.find("临平区南苑街道办事处") is None
    assert finder.find("市人民政府门口") is None


def test_locate_records_with_learned_names_equals_find_places():
    titles = ["我住魅力之城小区", "A5区魅力之城小区", "魅力之城商铺", "A县红星医院", "B县红星医院", "其表示小区门口"]
    frame = pl.DataFrame(
        {"source": "12345", "record_id": [str(i) for i in range(6)], "content_hash": "h", "title": titles}
    )
    ctx = learn_places(frame, ["翠湖小区"])
    assert isinstance(ctx, LocateContext) and ctx.learned == ("魅力之城",)
    located = locate_records(frame, ctx)
    expected = find_places(frame, PlaceFinder.build(["翠湖小区"]), unify=False).select(located.columns)
    assert_frame_equal(located, expected)


def test_the_pipeline_learns_a_name_from_two_weeks_that_each_wrote_it_once(tmp_path):
    # week 1 writes 锦绣江南小区 once; week 2 writes it once more, after another word, and a third message
    # names 锦绣江南 without 小区: the evidence of week 1 is kept, so week 2's run learns the name and
    # finds it in the third message, though no single batch showed it twice
    import demandlab as dl
    from demandlab.config import demo_config

    header = "留言编号,留言用户,留言主题,留言时间,留言详情\n"
    weeks = [
        "m1,u1,噪音,2026/11/02 09:00:00,住在锦绣江南小区，楼下夜宵摊吵到半夜\n",
        "m2,u2,停车,2026/11/09 09:00:00,A5区锦绣江南小区门口乱停车\n"
        "m3,u3,油烟,2026/11/10 09:00:00,锦绣江南商铺油烟直排\n",
    ]
    cfg = demo_config(tmp_path / "data", tmp_path / "reports")
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg)
        for i, rows in enumerate(weeks):
            path = tmp_path / f"week{i}.csv"
            path.write_text(header + rows, encoding="utf-8")
            pipe.ingest(path, mapping="message_board")
            pipe.clean()
            pipe.segment()
            pipe.locate()
        found = store.sql("select record_id, place_key from record_places order by record_id")
    assert dict(found.iter_rows()) == {"m1": "锦绣江南", "m2": "锦绣江南", "m3": "锦绣江南"}


def _read_once_and_twice(frame: pl.DataFrame, compounds: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    evidence, scanned = scan_places(frame, compounds)
    ctx = learn_places(None, compounds, evidence=evidence)
    assert ctx == learn_places(frame, compounds)  # the evidence is the same either way
    return locate_records(frame, ctx, scanned), locate_records(frame, ctx)


def test_locating_from_the_evidence_scan_equals_reading_again():
    # 红星医院 is generic only once both counties are read: the records that wrote it after a unit are
    # read again with the generic name (their key keeps the unit); the others reuse the first reading.
    # 魅力之城商铺 names no place by a suffix, so its address does (the registry's 翠湖) before a learned name
    titles = ["A县红星医院排队", "B县红星医院收费", "红星医院停车难"]
    titles += ["我住魅力之城小区", "A5区魅力之城小区", "魅力之城商铺"]
    frame = pl.DataFrame(
        {
            "source": "12345",
            "record_id": [str(i) for i in range(len(titles))],
            "content_hash": "h",
            "title": titles,
            "address": [None, None, None, None, None, "湖滨路翠湖小区"],
        }
    )
    once, twice = _read_once_and_twice(frame, ["翠湖小区"])
    assert_frame_equal(once, twice)
    assert once["place_key"].to_list() == ["A县红星医院", "B县红星医院", "红星医院", "魅力之城", "魅力之城", "翠湖"]


def test_locating_real_messages_from_the_evidence_scan_equals_reading_again():
    path = shared_data("zjboard", "messages.jsonl")
    rows = pl.read_ndjson(path, infer_schema_length=None).select(
        pl.lit("zjboard").alias("source"),
        pl.col("id").cast(pl.String).alias("record_id"),
        pl.lit("h").alias("content_hash"),
        pl.col("title"),
        pl.col("content").alias("text"),
    )
    once, twice = _read_once_and_twice(rows, [])
    assert_frame_equal(once, twice)
    assert once["place_key"].null_count() < rows.height  # places were found at all


def _spans_by_alternation(names: list[str], text: str) -> list[tuple[int, int]]:
    """Known names found by one regular expression alternating them, longest first, each character of a name
    optionally followed by one separator: the definition KnownNames keeps (with any run of separators)."""
    import re

    ordered = sorted(set(names), key=lambda n: (-len(n), n))
    pattern = re.compile("|".join(r"[·•・‧∙ \u3000]?".join(map(re.escape, n)) for n in ordered))
    return [m.span() for m in pattern.finditer(text)]


def test_known_names_are_found_where_an_alternation_of_them_finds_them():
    from demandlab.signals.place_grammar import KnownNames

    names = ["翠湖", "翠湖花园", "湖滨", "滨河苑", "伊景园滨河苑", "花园"]
    texts = [
        "翠湖花园和伊景园·滨河苑的业主",  # the longest name at a position; a separator inside a name
        "翠 湖花园门口，湖滨路口",  # a space inside; two names sharing no character
        "伊景园滨河苑滨河苑",  # names one after another
        "没有名字的句子",
        "翠湖·　花园",  # a run of separators is still one name (the alternation allows one)
    ]
    known = KnownNames(names)
    for text in texts[:-1]:
        assert known.spans(text) == _spans_by_alternation(names, text), text
    assert known.spans(texts[-1]) == [(0, 6)]


def test_known_names_on_real_messages_are_found_where_an_alternation_of_them_finds_them():
    from demandlab.signals.place_grammar import KnownNames

    path = shared_data("zjboard", "messages.jsonl")
    board = pl.read_ndjson(path, infer_schema_length=None)
    texts = [f"{t}。{c}" for t, c in zip(board["title"], board["content"], strict=True)]
    found = find_places(pl.DataFrame({"title": texts}), PlaceFinder.build())
    names = sorted({k for k in found["place_key"].drop_nulls().to_list() if len(k) >= 2})
    assert len(names) > 100  # the board names many places
    known = KnownNames(names)
    spans = [known.spans(text) for text in texts]
    assert spans == [_spans_by_alternation(names, text) for text in texts]
    assert sum(map(len, spans)) > len(names)
