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
    with pytest.raises(IngestError, match=r"odd\.csv: 没有映射能对应这个文件的表头") as info:
        choose_mapping("odd.csv", ["编号", "内容"])
    assert info.value.reason == "no_mapping"
    assert "可识别的表头：编号；另有 1 列无法识别" in info.value.message
    assert "最接近的映射是 hotline_12345，还缺少：created_at（表头可以是 来电时间" in info.value.message


def test_a_headerless_export_never_puts_its_first_row_in_the_message():
    # a file without a header row: its first row is data (a mobile, a name, an ID number)
    first_row = ["13800138000", "王小明", "110101199003077777", "楼道漏水", "2025/3/1 10:00"]
    with pytest.raises(IngestError) as info:
        choose_mapping("no_header.csv", first_row)
    message = str(info.value)
    assert not [v for v in first_row if v in message]
    assert "没有一个表头是已知的（文件可能没有表头行）；另有 5 列无法识别" in message
    with pytest.raises(IngestError) as info:
        choose_mapping("no_header.csv", ["工单编号", *first_row])
    assert "可识别的表头：工单编号；另有 5 列无法识别" in info.value.message
    assert not [v for v in first_row if v in str(info.value)]


def test_a_named_mapping_must_fit_the_file():
    with pytest.raises(IngestError, match=r"映射 hotline_12345 需要的列在文件中找不到：created_at"):
        choose_mapping("x.csv", ["工单编号", "诉求内容"], wanted="hotline_12345")
    with pytest.raises(IngestError, match="没有名为「nope」的映射"):
        choose_mapping("x.csv", HOTLINE, wanted="nope")


def test_headers_match_whatever_width_spaces_or_invisible_characters_they_carry():
    variants = ["走访编号 ", "\u3000走访时间", "走访情况\u200b", "网格员"]
    mapping = choose_mapping("v.jsonl", variants)
    assert mapping.name == "grid_visit"
    assert mapping.resolve(variants)["record_id"] == "走访编号 "
    # full-width brackets and letters in a user mapping's candidates or the file's headers
    user = parse_mapping(
        {"name": "u", "columns": {"record_id": ["编号（ＩＤ）"], "created_at": ["时间"], "text": ["内容"]}}, "u.toml"
    )
    assert user.resolve(["编号(ID)", "时间", "内容"])["record_id"] == "编号(ID)"


def test_shared_value_maps_are_merged_into_every_preset():
    mapping = presets()["hotline_12345"]
    assert mapping.values["satisfaction"]["基本满意"] == "basic"
    assert mapping.values["resolved"]["是"] is True


def test_user_mapping_names_are_checked_against_the_schema():
    with pytest.raises(IngestError, match="未知的标准字段：recordid"):
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
