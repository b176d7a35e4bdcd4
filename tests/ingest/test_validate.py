import datetime as dt

import polars as pl

from demandlab.ingest import GridIndex, prepare_batch, presets, read_table

NOW = dt.datetime(2026, 11, 16, 9, 0)
GRIDS = GridIndex.from_frame(
    pl.DataFrame(
        {
            "grid_id": ["DH0101"],
            "grid_name": ["白鹭社区第1网格"],
            "street": ["东湖街道"],
            "community": ["白鹭社区"],
            "aliases": [["第1网格"]],
        }
    )
)


def _csv(tmp_path, text: str):
    path = tmp_path / "orders.csv"
    path.write_text(text, encoding="utf-8")
    return read_table(path)


HEADER = "工单编号,来电时间,来电号码,诉求内容,社区,网格,办结时间,办理状态,是否解决,回访满意度,办结层级\n"


def test_each_bad_row_is_rejected_with_its_reason_column_and_row(tmp_path):
    table = _csv(
        tmp_path,
        HEADER
        + "GD1,2025/3/1 10:00:00,13800138000,楼道飞线充电,白鹭社区,第1网格,2025/3/2 10:00:00,已办结,是,满意,网格\n"
        + ",2025/3/1 10:00:00,,没有编号,白鹭社区,第1网格,,,,,\n"
        + "GD3,待核实,,时间不对,白鹭社区,第1网格,,,,,\n"
        + "GD4,1999/1/1 10:00:00,,太早,白鹭社区,第1网格,,,,,\n"
        + "GD5,2027/1/1 10:00:00,,未来,白鹭社区,第1网格,,,,,\n"
        + "GD6,2025/3/1 10:00:00,,网格不存在,白鹭社区,第9网格,,,,,\n"
        + "GD7,2025/3/1 10:00:00,,,白鹭社区,第1网格,,,,,\n"
        + "GD1,2025/3/5 10:00:00,,重复编号,白鹭社区,第1网格,,,,,\n"
        + "GD8,2025/3/1 10:00:00,,没有网格,,,,,,,\n",
    )
    prepared = prepare_batch(table, presets()["hotline_12345"], GRIDS, NOW)
    assert prepared.rows_read == 9
    assert prepared.accepted["record_id"].to_list() == ["GD1", "GD8"]
    assert prepared.rejects.select("row_number", "reason", "column_name").rows() == [
        (3, "missing_id", "工单编号"),
        (4, "bad_time", "来电时间"),
        (5, "time_out_of_range", "来电时间"),
        (6, "time_out_of_range", "来电时间"),
        (7, "unknown_grid", "网格"),
        (8, "empty_text", "诉求内容"),
        (9, "duplicate_id", "工单编号"),
    ]
    assert prepared.rejects.columns == [
        "row_number",
        "sheet",
        "column_name",
        "reason",
        "message",
        "record_id",
        "raw",
        "value",
    ]
    assert prepared.rejects["message"].to_list() == [
        "工单编号：编号为空",
        "来电时间：无法识别的日期时间",
        "来电时间：时间早于 2000 年",
        "来电时间：时间晚于导入时间（未来的时间）",
        "网格：不在网格登记表中",
        "诉求内容：标题和内容都为空",
        "工单编号：与第 2 行编号相同，作为重复行未导入（以先出现的一行为准）",
    ]
    # the values travel apart from the message (restricted): the cell, and the whole row
    assert prepared.rejects["value"].to_list() == [
        None,
        "待核实",
        "1999/1/1 10:00:00",
        "2027/1/1 10:00:00",
        "第9网格",
        None,
        "GD1",
    ]
    assert '"诉求内容":"重复编号"' in prepared.rejects["raw"][6]


def test_accepted_rows_are_typed_and_coded(tmp_path):
    table = _csv(
        tmp_path,
        HEADER
        + "GD1,2025/3/1 10:00:00,13800138000,飞线充电,白鹭社区,第1网格,2025/3/2 10:00:00,处理中,是,基本满意,网格\n",
    )
    row = prepare_batch(table, presets()["hotline_12345"], GRIDS, NOW).accepted.row(0, named=True)
    assert row["source"] == "12345"
    assert row["created_at"] == dt.datetime(2025, 3, 1, 10, 0)
    assert row["grid_id"] == "DH0101" and row["street"] == "东湖街道" and row["grid_raw"] == "第1网格"
    assert row["status"] == "closed"  # a closing time means closed
    assert (row["resolved"], row["satisfaction"], row["resolved_level"]) == (True, "basic", "grid")
    assert row["contact"] == "13800138000"


def test_unreadable_optional_values_are_warnings_not_rejects(tmp_path):
    table = _csv(tmp_path, HEADER + "GD1,2025/3/1 10:00:00,,漏水,白鹭社区,第1网格,待定,办完了,也许,很好,\n")
    prepared = prepare_batch(table, presets()["hotline_12345"], GRIDS, NOW)
    assert prepared.accepted.height == 1 and prepared.rejects.height == 0
    assert sorted(prepared.warnings.select("column_name", "reason", "message", "value").rows()) == [
        ("办理状态", "unknown_value", "办理状态：未知的取值，已置空（可在映射的 [values] 中补充）", "办完了"),
        ("办结时间", "bad_time", "办结时间：无法识别的日期时间，已置空", "待定"),
        ("回访满意度", "unknown_value", "回访满意度：未知的取值，已置空（可在映射的 [values] 中补充）", "很好"),
        ("是否解决", "unknown_value", "是否解决：未知的取值，已置空（可在映射的 [values] 中补充）", "也许"),
    ]


def test_without_a_registry_grids_are_kept_as_written(tmp_path):
    table = _csv(tmp_path, HEADER + "GD1,2025/3/1 10:00:00,,漏水,白鹭社区,第9网格,,,,,\n")
    prepared = prepare_batch(table, presets()["hotline_12345"], None, NOW)
    assert prepared.accepted["grid_id"].to_list() == ["第9网格"]


def test_a_mapping_constant_in_canonical_code_is_kept(tmp_path):
    # grid_visit.toml says kind = "visit" and channel = "visit"; snapshot.toml kind = "report": the codes
    # themselves, not a 中文 value its [values] table translates. They used to become null.
    path = tmp_path / "visits.csv"
    text = "走访编号,走访时间,网格员,走访情况,网格编号\nZF1,2025/3/1 10:00,王芳,楼道堆物,DH0101\n"
    path.write_text(text, encoding="utf-8")
    prepared = prepare_batch(read_table(path), presets()["grid_visit"], GRIDS, NOW)
    assert prepared.accepted.select("source", "kind", "channel").rows() == [("visit", "visit", "visit")]
    assert prepared.warnings.height == 0


def test_a_canonical_code_written_in_the_file_is_accepted_and_an_unknown_one_warned(tmp_path):
    table = _csv(
        tmp_path,
        HEADER
        + "GD1,2025/3/1 10:00:00,,楼道堆物,白鹭社区,第1网格,,closed,,satisfied,grid\n"
        + "GD2,2025/3/1 10:00:00,,楼道堆物,白鹭社区,第1网格,,办完了吧,,,\n",
    )
    prepared = prepare_batch(table, presets()["hotline_12345"], GRIDS, NOW)
    assert prepared.accepted.select("status", "satisfaction", "resolved_level").rows() == [
        ("closed", "satisfied", "grid"),
        (None, None, None),
    ]
    assert prepared.warnings.select("row_number", "reason").rows() == [(3, "unknown_value")]
