"""Parquet exports with nested and time-zone-aware columns: read, never a crash."""

import datetime as dt
import json

import polars as pl
from tests.ingest.files import prepare


def test_list_and_struct_columns_are_kept_as_json_text(tmp_path):
    path = tmp_path / "nested.parquet"
    pl.DataFrame(
        {
            "工单编号": ["GD1", "GD2"],
            "来电时间": ["2025/3/1 10:00", "2025/3/2 10:00"],
            "诉求内容": ["漏水", "噪音"],
            "标签": [["物业", "漏水"], None],
            "附件": [{"名称": "照片1", "大小": 12}, {"名称": None, "大小": 3}],
            "原始": [b"\xe6\xbc\x8f", b"\xff"],
        }
    ).write_parquet(path)
    prepared = prepare(path)
    assert prepared.rejects.height == 0
    extras = [json.loads(e) for e in prepared.accepted["extra"]]
    assert extras[0] == {"标签": '["物业", "漏水"]', "附件": '{"名称": "照片1", "大小": 12}', "原始": "漏"}
    assert extras[1] == {"附件": '{"名称": null, "大小": 3}', "原始": "\ufffd"}
    assert prepared.warnings.select("column_name", "reason", "message").rows() == [
        ("标签", "nested_value", "标签：列表或结构类型的列，已按 JSON 文本读取"),
        ("附件", "nested_value", "附件：列表或结构类型的列，已按 JSON 文本读取"),
    ]


def test_time_zone_aware_timestamps_become_beijing_wall_time(tmp_path):
    path = tmp_path / "tz.parquet"
    utc = [dt.datetime(2025, 3, 1, 2, 0), dt.datetime(2025, 3, 1, 20, 30)]
    pl.DataFrame(
        {
            "工单编号": ["GD1", "GD2"],
            "来电时间": pl.Series(utc).dt.replace_time_zone("UTC"),
            "办结时间": pl.Series([dt.datetime(2025, 3, 2, 9, 0), None]).dt.replace_time_zone("Asia/Shanghai"),
            "诉求内容": ["漏水", "噪音"],
        }
    ).write_parquet(path)
    prepared = prepare(path)
    assert prepared.accepted.select("created_at", "closed_at").rows() == [
        (dt.datetime(2025, 3, 1, 10, 0), dt.datetime(2025, 3, 2, 9, 0)),
        (dt.datetime(2025, 3, 2, 4, 30), None),
    ]
    assert prepared.warnings.select("column_name", "reason").rows() == [
        ("来电时间", "timezone_converted"),
        ("办结时间", "timezone_converted"),
    ]
