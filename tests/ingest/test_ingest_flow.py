"""Loading files into a database: workbooks, partial exports, out-of-order exports, the inbox."""

from pathlib import Path

import pytest

import demandlab as dl
from demandlab.config import Config, PathsConfig, PrivacyConfig

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def pipe(tmp_path, fixed_now):
    cfg = Config(
        paths=PathsConfig(db=tmp_path / "db.duckdb", inbox=tmp_path / "inbox", archive=tmp_path / "archive"),
        privacy=PrivacyConfig(salt_file=tmp_path / "salt"),
    )
    store = dl.connect(cfg.paths.db)
    yield dl.Pipeline(store, cfg, now=lambda: fixed_now)
    store.close()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_legacy_xls_workbook_loads_every_sheet_that_holds_records(pipe):
    report = pipe.ingest(FIXTURES / "legacy_12345.xls")
    assert report.format == "xls" and report.mapping == "hotline_12345"
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (5, 4, 1)
    reject = pipe.store.sql("select sheet, row_number, reason, message from rejects").row(0, named=True)
    assert reject == {
        "sheet": "2025年4月",
        "row_number": 3,
        "reason": "duplicate_id",
        "message": "编号与第 1 个工作表第 2 行相同，作为重复行未导入（以先出现的一行为准）",
    }
    assert pipe.store.scalar("select sheet from batches") == "2025年3月, 2025年4月"
    times = pipe.store.sql("select record_id, created_at::varchar as t from raw_records order by record_id").rows()
    assert times == [
        ("GD001", "2025-03-01 09:30:00"),
        ("GD002", "2025-03-02 10:15:00"),
        ("GD003", "2025-03-03 12:00:00"),
        ("GD004", "2025-04-01 08:00:00"),
    ]


def test_a_partial_export_updates_what_it_carries_and_keeps_the_rest(pipe, tmp_path):
    pipe.ingest(
        _csv(tmp_path / "orders.csv", "工单编号,来电时间,诉求内容,办理状态\nGD1,2025/3/1 10:00,楼上漏水,处理中\n")
    )
    pipe.clean()
    survey_mapping = _csv(
        tmp_path / "survey.toml",
        'name = "survey"\nrequired = ["record_id"]\n[constants]\nsource = "12345"\n'
        '[columns]\nrecord_id = ["工单编号"]\nclosed_at = ["办结时间"]\nsatisfaction = ["回访结果"]\n',
    )
    survey = _csv(
        tmp_path / "survey.csv", "工单编号,办结时间,回访结果\nGD1,2025/3/3 9:00,不满意\nGD9,2025/3/3 9:00,满意\n"
    )
    report = pipe.ingest(survey, mapping=str(survey_mapping))
    assert (report.rows_updated, report.rows_accepted, report.reasons) == (1, 1, {"unknown_record": 1})
    pipe.clean()
    row = pipe.store.sql("select text, created_at::varchar, status, satisfaction from records").row(0)
    assert row == ("楼上漏水", "2025-03-01 10:00:00", "closed", "dissatisfied")
    reject = pipe.store.sql("select row_number, reason from rejects").row(0)
    assert reject == (3, "unknown_record")


def test_a_full_export_with_an_empty_text_is_rejected_not_blanked(pipe, tmp_path):
    pipe.ingest(_csv(tmp_path / "a.csv", "工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,楼上漏水\n"))
    report = pipe.ingest(_csv(tmp_path / "b.csv", "工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,\n"))
    assert report.reasons == {"empty_text": 1} and report.rows_updated == 0


def test_an_older_export_loaded_after_a_newer_one_does_not_undo_it(pipe, tmp_path):
    header = "工单编号,来电时间,诉求内容,受理时间,办结时间,办理状态,回访满意度\n"
    newer = _csv(tmp_path / "newer.csv", header + "GD1,2025/3/1 10:00,漏水,2025/3/1 10:05,2025/3/4 9:00,已办结,满意\n")
    older = _csv(tmp_path / "older.csv", header + "GD1,2025/3/1 10:00,漏水,2025/3/1 10:05,,处理中,\n")
    pipe.ingest(newer)
    pipe.clean()
    report = pipe.ingest(older)
    assert report.rows_updated == 1  # history keeps it ...
    pipe.clean()
    assert pipe.store.sql("select status, satisfaction, version from records").row(0) == ("closed", "satisfied", 1)
    assert pipe.store.count("raw_records") == 2  # ... but the record stays closed


def test_a_date_and_a_time_column_combine(pipe, tmp_path):
    mapping = _csv(
        tmp_path / "split.toml",
        'name = "split_time"\n[constants]\nsource = "12345"\n'
        '[columns]\nrecord_id = ["编号"]\ntext = ["内容"]\n'
        '[combine]\ncreated_at = { columns = ["日期", "时间"], sep = " " }\n',
    )
    path = _csv(tmp_path / "split.csv", "编号,日期,时间,内容\nA1,2025/3/1,9:05,噪音\nA2,2025年3月2日,21:30:15,油烟\n")
    report = pipe.ingest(path, mapping=str(mapping))
    assert report.rows_accepted == 2
    got = pipe.store.sql("select record_id, created_at::varchar from raw_records order by 1").rows()
    assert got == [("A1", "2025-03-01 09:05:00"), ("A2", "2025-03-02 21:30:15")]


def test_the_inbox_archives_loaded_files_and_leaves_failed_ones_with_the_reason(pipe, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "a_orders.csv", "工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,楼道堆物\n")
    _csv(inbox / "b_notes.csv", "编号,备注\n1,x\n")
    reports = pipe.ingest_inbox()
    assert [r.status for r in reports] == ["loaded", "failed"]
    assert not (inbox / "a_orders.csv").exists()
    assert (tmp_path / "archive" / "2026-11-16" / "a_orders.csv").exists()
    error = (inbox / "b_notes.csv.error.txt").read_text("utf-8")
    assert "没有映射能对应这个文件的表头" in error and "no_mapping" in error
    # fixed and dropped again: it loads, leaves the inbox, and its error file goes with it
    _csv(inbox / "b_notes.csv", "工单编号,来电时间,诉求内容\nGD2,2025/3/2 10:00,路灯不亮\n")
    assert [r.status for r in pipe.ingest_inbox()] == ["loaded"]
    assert sorted(p.name for p in inbox.iterdir()) == []
    assert pipe.store.count("raw_records") == 2


def test_the_inbox_commits_before_it_moves(pipe, tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _csv(inbox / "orders.csv", "工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,楼道堆物\n")

    def crash(*args, **kwargs):
        raise OSError("disk full while writing")

    monkeypatch.setattr("demandlab.pipeline.loading.write_versions", crash)
    assert [r.status for r in pipe.ingest_inbox()] == ["failed"]
    assert (inbox / "orders.csv").exists() and pipe.store.count("batches") == 0
