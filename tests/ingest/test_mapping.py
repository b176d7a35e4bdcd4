import pytest

from demandlab.ingest import IngestError, choose_mapping, presets
from demandlab.ingest.mapping import parse_mapping

HOTLINE = ["工单编号", "来电时间", "来电号码", "诉求内容", "网格", "承办单位", "回访满意度"]
MESSAGE_BOARD = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"]


def test_presets_are_chosen_from_the_headers():
    assert choose_mapping("a.csv", HOTLINE).name == "hotline_12345"
    assert choose_mapping("b.xlsx", MESSAGE_BOARD).name == "message_board"
    assert choose_mapping("c.jsonl", ["走访编号", "走访时间", "走访情况", "网格员"]).name == "grid_visit"
    assert choose_mapping("d.xlsx", ["上报编号", "上报时间", "问题描述"]).name == "snapshot"


def test_a_file_no_mapping_fits_gets_a_message_naming_the_closest_and_what_it_lacks():
    with pytest.raises(IngestError, match=r"odd\.csv: no mapping fits") as info:
        choose_mapping("odd.csv", ["编号", "内容"])
    assert "needs" in str(info.value) and info.value.reason == "no_mapping"


def test_a_named_mapping_must_fit_the_file():
    with pytest.raises(IngestError, match=r"hotline_12345.*needs created_at"):
        choose_mapping("x.csv", ["工单编号", "诉求内容"], wanted="hotline_12345")
    with pytest.raises(IngestError, match="no mapping named 'nope'"):
        choose_mapping("x.csv", HOTLINE, wanted="nope")


def test_shared_value_maps_are_merged_into_every_preset():
    mapping = presets()["hotline_12345"]
    assert mapping.values["satisfaction"]["基本满意"] == "basic"
    assert mapping.values["resolved"]["是"] is True


def test_user_mapping_names_are_checked_against_the_schema():
    with pytest.raises(IngestError, match="unknown canonical column"):
        parse_mapping({"name": "x", "columns": {"recordid": ["编号"]}}, "user.toml")
    with pytest.raises(IngestError, match=r"\[values.text\]"):
        parse_mapping({"name": "x", "values": {"text": {"a": "b"}}}, "user.toml")
    mapping = parse_mapping(
        {
            "name": "mine",
            "columns": {"record_id": "案件号", "created_at": ["发生时间"], "text": ["内容"]},
            "values": {"satisfaction": {"很满意": "satisfied"}},
        },
        "user.toml",
    )
    assert mapping.resolve(["案件号", "发生时间", "内容"]) == {
        "record_id": "案件号",
        "created_at": "发生时间",
        "text": "内容",
    }
    assert mapping.values["satisfaction"]["很满意"] == "satisfied"
    assert mapping.values["satisfaction"]["满意"] == "satisfied"
