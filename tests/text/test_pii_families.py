"""Masking the families of issue 11: every form of a kind of personal data, and every column."""

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from demandlab import schema
from demandlab.text import clean_records, find_pii, mask, normalize
from demandlab.text.evaluate import load_cases, masked_spans, score_cases
from demandlab.text.pii import grid_worker_keys, mask_building, mask_dept

CASES = load_cases(Path(__file__).parent / "pii_cases_families.tsv")


def _mask(text: str) -> str:
    return mask(normalize([text]))[0]


def test_at_least_100_new_cases_and_30_look_alikes():
    kinds = [kind for kind, _, _ in CASES]
    assert len(CASES) >= 100 and kinds.count("none") >= 30
    assert all(kind == "pii" or normalize([text])[0] == masked for kind, text, masked in CASES)
    assert all(kind == "none" or normalize([text])[0] != masked for kind, text, masked in CASES)


def test_every_family_has_cases():
    placeholders = "".join(expected for kind, _, expected in CASES if kind == "pii")
    for placeholder in ("〔手机号〕", "〔座机号〕", "〔身份证号〕", "〔护照号〕", "〔通行证号〕", "〔银行卡号〕"):
        assert placeholder in placeholders
    for placeholder in ("〔车牌号〕", "〔邮箱〕", "〔房号〕", "〔门牌号〕", "〔姓名〕"):
        assert placeholders.count(placeholder) >= 5, placeholder
    assert sum(any(ord(c) in range(0x200B, 0x2070) or c == "\ufeff" for c in text) for _, text, _ in CASES) >= 8


@pytest.mark.parametrize(("kind", "text", "masked"), CASES, ids=[f"{k}:{t[:24]}" for k, t, _ in CASES])
def test_family_case(kind, text, masked):
    assert _mask(text) == masked
    if kind == "none":
        assert find_pii(normalize([text])[0]) == []


def test_invisible_characters_are_stripped_before_masking():
    rlo = "电话1\u202e38\u202c0013\u20668000\u2069"
    assert normalize([rlo]) == ["电话13800138000"]
    assert _mask(rlo) == "电话〔手机号〕"
    assert normalize(["零宽\u200c连\u200d接\u2060符\ufeff"]) == ["零宽连接符"]


def test_circle_among_numerals_is_a_zero_and_elsewhere_decoration():
    assert normalize(["一三九○一二三○五六七", "○ 重要"]) == ["一三九〇一二三〇五六七", "重要"]


def test_labelled_work_order_numbers_stay_but_a_phone_after_them_does_not():
    text = "工单号13800138000，联系电话13900139000"
    assert _mask(text) == "工单号13800138000，联系电话〔手机号〕"


def test_find_pii_reports_only_the_value_not_the_label():
    assert find_pii("投诉人王伟反映，身份证号码330106199001011234") == [
        ("id_number", "330106199001011234"),
        ("name", "王伟"),
    ]


def test_a_labelled_value_fails_closed_whatever_it_looks_like():
    assert (
        _mask("姓名：Zhang San，联系人：老三，户主：阿布都热依木") == "姓名：〔姓名〕，联系人：〔姓名〕，户主：〔姓名〕"
    )
    assert _mask("姓名：不详，联系人：本人") == "姓名：不详，联系人：本人"


def test_mask_dept_keeps_the_unit_and_drops_the_person():
    values = [
        "物业公司（联系人：王建国，13812345678）",
        "街道综合执法队 刘经理 13912345678",
        "社区居委会/张伟",
        "区住建局（联系电话：0731-84567890）",
        "幸福社区居委会",
        "王芳",
        None,
    ]
    assert mask_dept(normalize(values)) == [
        "物业公司",
        "街道综合执法队",
        "社区居委会",
        "区住建局",
        "幸福社区居委会",
        "〔姓名〕",
        None,
    ]


def test_mask_building_keeps_the_building_and_drops_the_room():
    values = ["锦绣苑5栋1102", "锦绣苑5栋2单元302", "锦绣苑5栋1102室", "3-2-501", "锦绣苑5栋", "锦绣里17号", None]
    assert mask_building(values) == ["锦绣苑5栋", "锦绣苑5栋2单元", "锦绣苑5栋", "3-2", "锦绣苑5栋", "锦绣里", None]


def test_grid_workers_become_a_stable_salted_pseudonym():
    a, b, c, d, none = grid_worker_keys(["王芳", "王芳（网格员）13800138000", "李强", "王芳", None], b"salt")
    assert a == b == d != c and none is None
    assert a.startswith("网格员·") and "王" not in a and len(a) == len("网格员·") + 6
    assert grid_worker_keys(["王芳"], b"other salt")[0] != a
    assert grid_worker_keys([" ", None], b"salt") == [None, None]


def _raw(**columns) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    base = {c: pl.Series(c, [None] * n, dtype=t) for c, t in {**schema.RECORD, **schema.RAW_ONLY}.items()}
    base["created_at"] = pl.Series("created_at", [dt.datetime(2026, 11, 16, 9)] * n, dtype=schema.DATETIME)
    base["source"] = pl.Series("source", ["12345"] * n)
    base["record_id"] = pl.Series("record_id", [f"GD{i}" for i in range(n)])
    for c, values in columns.items():
        base[c] = pl.Series(c, values, dtype=base[c].dtype)
    lineage = {"version": pl.Series([1] * n, dtype=pl.Int32), "batch_id": ["b"] * n, "content_hash": ["h"] * n}
    return pl.DataFrame({**base, **lineage})


def test_clean_records_masks_every_free_text_column_and_keeps_the_schema():
    raw = _raw(
        title=["业主王建国反映漏水", None],
        text=["我是李明，电话13800138000", "楼道灯坏了"],
        reply=["经核实，已联系业主陈建平（一三八零零一三八零零零）", None],
        address=["东湖街道幸福社区锦绣苑5栋1102", "锦绣里17号"],
        dept=["物业公司 王经理 13912345678", "社区居委会"],
        building=["锦绣苑5栋2单元302", "锦绣苑6栋"],
        grid_worker=["王芳", None],
        contact=["13800138000", None],
    )
    before = raw.clone()
    out = clean_records(raw, b"salt")
    assert raw.equals(before)
    assert out.columns == [*schema.RECORD, *schema.RECORD_DERIVED]
    first = out.row(0, named=True)
    assert first["title"] == "业主〔姓名〕反映漏水"
    assert first["text"] == "我是〔姓名〕，电话〔手机号〕"
    assert first["reply"] == "经核实，已联系业主〔姓名〕（〔手机号〕）"
    assert first["address"] == "东湖街道幸福社区锦绣苑5栋〔房号〕"
    assert (first["dept"], first["building"]) == ("物业公司", "锦绣苑5栋2单元")
    assert first["grid_worker"] == grid_worker_keys(["王芳"], b"salt")[0]
    second = out.row(1, named=True)
    assert (second["title"], second["reply"], second["grid_worker"]) == (None, None, None)
    assert (second["address"], second["dept"], second["building"]) == ("锦绣里〔门牌号〕", "社区居委会", "锦绣苑6栋")


def test_masked_spans_align_an_output_with_its_input():
    assert masked_spans("业主王伟反映", "业主〔姓名〕反映") == [("name", 2, 4)]
    assert masked_spans("业主王伟反映", "业主王伟反映") == []
    assert masked_spans("业主王伟反映", "业主〔姓名〕说") is None


def test_case_scores_count_per_kind_and_notice_a_masker_that_misses():
    cases = [("pii", "电话13800138000，王女士", "电话〔手机号〕，〔姓名〕女士"), ("none", "拨打12345", "拨打12345")]
    scores = score_cases(cases)
    assert (scores.planted, scores.found, scores.masks, scores.right_masks) == (2, 2, 2, 2)
    assert scores.per_kind()["mobile"]["recall"] == 1.0

    from demandlab.text.evaluate import Masker

    blind = Masker("blind", normalize, lambda text, found=None: text)
    missed = score_cases(cases, blind)
    assert missed.recall == 0.0 and missed.masks == 0 and missed.cases_exact == 1
