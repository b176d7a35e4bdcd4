"""Same id, another message: kept apart under a derived id, never merged or lost; unmapped columns kept."""

import datetime as dt
import json

import pytest
from tests.ingest.files import prepare, rejects, xlsx

import demandlab as dl
from demandlab.config import Config, PathsConfig, PrivacyConfig
from demandlab.ingest import derived_id, is_id_conflict

HEADER = "留言编号,留言用户,留言主题,留言时间,留言详情,来源页面\n"
T1, T2 = dt.datetime(2017, 3, 1, 9, 0), dt.datetime(2019, 6, 2, 10, 0)


@pytest.mark.parametrize(
    ("first", "second", "conflict"),
    [
        ((T1, "小区停车难"), (T2, "学校门口拥堵"), True),
        ((T1, "小区停车难"), (T1, "学校门口拥堵"), False),  # same time: one message, retitled
        ((T1, "小区停车难"), (T2, "小区停车难 "), False),  # same title: a later version
        ((T1, None), (T2, "学校门口拥堵"), False),  # nothing to compare
        ((None, "小区停车难"), (T2, "学校门口拥堵"), False),
    ],
)
def test_two_rows_are_two_records_only_when_title_and_time_both_differ(first, second, conflict):
    assert is_id_conflict(*first, *second) is conflict


def test_the_derived_id_is_the_same_for_the_same_row_and_differs_for_another():
    a = derived_id("2939", T2, "学校门口拥堵")
    assert a == derived_id("2939", T2, " 学校门口拥堵 ") and a.startswith("2939~") and len(a) == len("2939~") + 6
    assert a != derived_id("2939", T2, "学校门口拥堵了") != derived_id("2939", T1, "学校门口拥堵")


def _board(tmp_path):
    path = tmp_path / "board.csv"
    path.write_text(
        HEADER
        + "M1,U1,小区停车难,2017/3/1 9:00,车位不够,p1\n"  # 2
        + "M1,U2,学校门口拥堵,2019/6/2 10:00,放学时堵车,p2\n"  # 3: another message under M1
        + "M1,U1,小区停车难,2017/3/1 9:00,车位不够,\n"  # 4: row 2 again
        + "M1,U2,学校门口拥堵,2019/6/2 10:00,放学时堵车,\n"  # 5: row 3 again
        + "M2,U3,噪音扰民,2018/1/1 8:00,夜间施工,\n"  # 6
        + "M2,U3,噪音扰民,2018/1/2 8:00,夜间施工仍未停止,\n"  # 7: same title, later time
        + "M3,U4,路灯不亮,2018/5/5 20:00,一直不亮,\n"  # 8
        + "M3,U4,路灯坏了,2018/5/5 20:00,一直不亮,\n",  # 9: same time, retitled
        encoding="utf-8",
    )
    return path


def test_a_reused_id_keeps_both_messages_and_repeats_stay_duplicates(tmp_path):
    prepared = prepare(_board(tmp_path))
    m1b = derived_id("M1", T2, "学校门口拥堵")
    assert prepared.accepted.select("record_id", "title", "row_number").rows() == [
        ("M1", "小区停车难", 2),
        (m1b, "学校门口拥堵", 3),
        ("M2", "噪音扰民", 6),
        ("M3", "路灯不亮", 8),
    ]
    assert rejects(prepared) == [(4, "duplicate_id"), (5, "duplicate_id"), (7, "duplicate_id"), (9, "duplicate_id")]
    assert prepared.rejects["message"][1] == "留言编号：与第 3 行编号相同，作为重复行未导入（以先出现的一行为准）"
    assert prepared.warnings.select("row_number", "column_name", "reason", "message", "value").rows() == [
        (
            3,
            "留言编号",
            "id_conflict",
            "留言编号：与第 2 行编号相同，但标题和创建时间都不同，作为另一条记录导入，"
            "编号加上派生后缀（~ 和 6 位校验码）",
            "M1",
        )
    ]


def test_a_reused_id_in_a_later_sheet_is_kept_apart_too(tmp_path):
    header = ["留言编号", "留言主题", "留言时间", "留言详情"]
    sheets = {
        "2017": [
            header,
            ["M1", "小区停车难", "2017/3/1 9:00", "车位不够"],
            ["M2", "噪音扰民", "2017/5/1 8:00", "施工"],
        ],
        "2019": [
            header,
            ["M1", "学校门口拥堵", "2019/6/2 10:00", "放学时堵车"],
            ["M2", "噪音扰民", "2017/5/1 8:00", "施工"],
        ],
    }
    prepared = prepare(xlsx(tmp_path / "board.xlsx", sheets))
    assert prepared.accepted["record_id"].to_list() == ["M1", "M2", derived_id("M1", T2, "学校门口拥堵")]
    assert prepared.rejects.select("sheet", "row_number", "reason", "message").rows() == [
        ("2019", 3, "duplicate_id", "编号与第 1 个工作表第 3 行相同，作为重复行未导入（以先出现的一行为准）")
    ]
    assert prepared.warnings.select("sheet", "row_number", "reason").rows() == [("2019", 2, "id_conflict")]


def test_through_the_pipeline_nothing_vanishes_and_extra_columns_are_kept(tmp_path):
    cfg = Config(paths=PathsConfig(db=tmp_path / "db.duckdb"), privacy=PrivacyConfig(salt_file=tmp_path / "salt"))
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg, now=lambda: dt.datetime(2026, 11, 16, 9))
        report = pipe.ingest(_board(tmp_path))
        assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (8, 4, 4)
        stored = store.sql("select record_id, extra from raw_records order by row_number").rows()
        assert [r for r, _ in stored] == ["M1", derived_id("M1", T2, "学校门口拥堵"), "M2", "M3"]
        assert [json.loads(e) if e else None for _, e in stored] == [{"来源页面": "p1"}, {"来源页面": "p2"}, None, None]
        warning = store.sql("select row_number, reason, message from load_warnings").row(0)
        assert warning[:2] == (3, "id_conflict") and "M1" not in warning[2]
        assert "M1" not in "".join(store.sql("select message from rejects")["message"])
