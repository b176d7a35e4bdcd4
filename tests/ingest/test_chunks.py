"""A file checked and landed a chunk of rows at a time gives what the whole file in one piece gives:
the same accepted rows, rejects (with their reasons and messages), warnings and versions, whatever
the chunk size — ids repeated across chunks, rows the file made unreadable between them, a time
format that only the file's later rows show."""

import datetime as dt
import json

import polars as pl
import pytest
from tests.conftest import shared_data
from tests.ingest.files import NOW
from tests.ingest.test_real_data import ZJBOARD_MAPPING

import demandlab as dl
from demandlab.config import Config, EngineConfig, PathsConfig
from demandlab.ingest import TablePlan, available_mappings, choose_mapping, concat_prepared, prepare_batch, read_table

HEADER = "工单编号,来电时间,诉求标题,诉求内容,网格,办结时间,回访满意度,来电号码\n"


def _csv(tmp_path, lines: list[str], name: str = "工单导出.csv"):
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _board_rows() -> list[str]:
    """Rows whose repeats and conflicts straddle any chunk boundary, with unreadable and rejected
    rows between them; the closing time's format shows only after the first rows."""
    rows = [
        "M1,2025/3/1 9:00:00,楼道灯不亮,楼道灯不亮,G1,,满意,13800000001",
        "M2,2025/3/1 9:05:00,电梯停运,电梯停运,G1,,,13800000002",
        "M3,2025/3/1 9:10:00,,,G1,,,",  # empty text
        "M1,2025/3/1 9:00:00,楼道灯不亮,楼道灯不亮,G1,2025年3月2日10时0分,满意,13800000001",  # M1 again: duplicate
        "M1,2026/1/5 8:00:00,噪音扰民,噪音扰民,G2,,,13800000003",  # M1, another message: conflict
        "M4,待定,噪音扰民,噪音扰民,G2,,,",  # bad time
        "M5,2025/3/3 8:00:00,积水,积水,G2,,不知道,",  # unknown satisfaction: warning
        "M6,2025/3/3 9:00:00,垃圾清运,垃圾清运,G2,2025-03-04 10:00,满意,",
        "M6,2025/3/3 9:00:00,垃圾清运,垃圾清运,G2,2025-03-05 10:00,满意,",  # duplicate of the row before
        ",2025/3/3 9:00:00,没有编号,没有编号,G2,,,",  # missing id
        "M7,2025/3/3 9:30:00,多了一列,多了一列,G2,,,,多余",  # a malformed line
        "M1,2026/1/5 8:00:00,噪音扰民,噪音扰民,G2,2026-01-06 09:00,满意,",  # the conflict again: duplicate of it
        "M8,2099/1/1 0:00:00,未来的时间,未来的时间,G2,,,",  # out of range
    ]
    rows += [
        f"N{i},2025/4/{1 + i % 28} 10:00:00,第{i}件事,第{i}件事,G3,2025-05-0{1 + i % 9} 12:00,满意," for i in range(12)
    ]
    return rows


def _frames(prepared) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    return prepared.accepted, prepared.rejects, prepared.warnings


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 7, 13, 100])
def test_every_chunk_size_prepares_what_the_whole_table_does(tmp_path, rows):
    table = read_table(_csv(tmp_path, _board_rows()))
    mapping = choose_mapping(tmp_path / "x.csv", table.headers, "hotline_12345")
    whole = prepare_batch(table, mapping, None, NOW)
    plan = TablePlan(table, mapping, None, NOW, rows=rows)
    parts = list(plan)
    assert len(parts) == -(-table.frame.height // rows)
    chunked = concat_prepared(parts)
    for left, right in zip(_frames(whole), _frames(chunked), strict=True):
        assert left.equals(right), (left, right)
    assert chunked.provided == whole.provided
    assert sum(p.rows_read for p in parts) == plan.rows_read == whole.rows_read
    # what the file shows: one duplicate of row 2, one conflict kept under a derived id, one broken line
    reasons = dict(whole.rejects.group_by("reason").len().iter_rows())
    assert reasons == {
        "duplicate_id": 3,
        "empty_text": 1,
        "bad_time": 1,
        "missing_id": 1,
        "malformed_row": 1,
        "time_out_of_range": 1,
    }
    assert whole.warnings.filter(pl.col("reason") == "id_conflict")["row_number"].to_list() == [6]
    assert whole.accepted.filter(pl.col("record_id").str.starts_with("M1~")).height == 1


def test_a_time_format_decided_on_the_whole_file_not_the_chunk(tmp_path):
    """The first chunk's closing times are empty: the chunk after must still parse them as the whole
    file does (the fast format is chosen on the file's first non-empty values)."""
    rows = [f"E{i},2025/3/1 9:00:00,第{i}件事,第{i}件事,G1,,," for i in range(5)]
    rows += [f"F{i},2025/3/2 9:00:00,第{i}件事,第{i}件事,G1,2025.03.0{1 + i % 9} 8:00,," for i in range(5)]
    table = read_table(_csv(tmp_path, rows))
    mapping = choose_mapping(tmp_path / "x.csv", table.headers, "hotline_12345")
    plan = TablePlan(table, mapping, None, NOW, rows=5)
    whole_formats = TablePlan(table, mapping, None, NOW, rows=10**6)
    assert plan.chosen is not None and whole_formats.chosen is None  # one piece: parse chooses itself
    closed = concat_prepared(list(plan)).accepted["closed_at"]
    assert closed.null_count() == 5 and closed.drop_nulls()[0] == dt.datetime(2025, 3, 1, 8, 0)
    assert closed.equals(prepare_batch(table, mapping, None, NOW).accepted["closed_at"])


def _load(tmp_path, name: str, batch_rows: int, files: list) -> tuple[list, dict[str, pl.DataFrame]]:
    folder = tmp_path / name
    folder.mkdir()
    cfg = Config(paths=PathsConfig(db=folder / "d.duckdb"), engine=EngineConfig(batch_rows=batch_rows))
    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg)
        reports = [pipe.ingest(f, mapping=m) for f, m in files]
        tables = {
            "raw": store.sql(
                "select * exclude (batch_id, loaded_at) from restricted.raw_records order by source, record_id, version"
            ),
            "rejects": store.sql("select * exclude (batch_id) from rejects order by file_name, row_number, reason"),
            "warnings": store.sql(
                "select * exclude (batch_id) from load_warnings order by file_name, row_number, reason, column_name"
            ),
            "values": store.sql(
                "select * exclude (batch_id) from restricted.reject_values order by file_name, row_number, reason"
            ),
            "batches": store.sql(
                "select file_name, rows_read, rows_accepted, rows_rejected, rows_new, rows_updated, rows_unchanged"
                " from batches order by file_name"
            ),
        }
    return reports, tables


def test_a_file_landed_in_chunks_writes_what_it_writes_whole(tmp_path, caplog):
    """Against the database too: a second export repeating ids of the first (kept, renamed or
    updated), and a partial export naming a record never loaded (unknown_record)."""
    first = _csv(tmp_path, _board_rows(), "第一批.csv")
    second = _csv(
        tmp_path,
        [
            "M2,2025/3/1 9:05:00,电梯停运,电梯停运,G1,2025-03-02 09:00,满意,13800000002",  # M2 updated
            "M5,2025/3/3 8:00:00,积水严重,积水严重,G2,,,",  # M5 updated (same time, new title): keeps M5
            "M6,2026/2/2 9:00:00,另一件事,另一件事,G1,,,",  # M6 is another message already loaded: derived id
            "N3,2025/4/4 10:00:00,第3件事,第3件事,G3,2025-05-04 12:00,满意,",  # unchanged
            # M5 once more: in the file another message than the row above (renamed), though its title is
            # the one loaded before; the row above holds M5, so this one keeps its derived id
            "M5,2026/5/5 8:00:00,积水,积水,G2,,,",
            "Z9,2025/3/9 9:00:00,新的一件,新的一件,G1,,,",
        ],
        "第二批.csv",
    )
    partial = tmp_path / "回访.csv"
    partial.write_text("工单编号,回访结果\nM2,不满意\nQ404,满意\nN5,满意\n", encoding="utf-8")
    survey = tmp_path / "survey.toml"
    survey.write_text(
        'name = "survey"\nrequired = ["record_id"]\n[constants]\nsource = "12345"\n'
        '[columns]\nrecord_id = ["工单编号"]\nsatisfaction = ["回访结果"]\n',
        encoding="utf-8",
    )
    files = [(first, None), (second, None), (partial, str(survey))]
    whole_reports, whole = _load(tmp_path, "whole", 10**6, files)
    assert "rows checked and written" not in caplog.text
    with caplog.at_level("INFO", logger="demandlab.pipeline"):
        chunked_reports, chunked = _load(tmp_path, "chunked", 2, files)
    assert "第一批.csv: 2 / 25 rows checked and written" in caplog.text  # long work says how far it is
    for name in whole:
        assert whole[name].equals(chunked[name]), name
    for a, b in zip(whole_reports, chunked_reports, strict=True):
        assert (a.rows_read, a.rows_accepted, a.rows_rejected, a.reasons, a.warnings) == (
            b.rows_read,
            b.rows_accepted,
            b.rows_rejected,
            b.reasons,
            b.warnings,
        )
        assert (a.rows_new, a.rows_updated, a.rows_unchanged) == (b.rows_new, b.rows_updated, b.rows_unchanged)
        assert b.rows_read == b.rows_accepted + b.rows_rejected
    assert [r.reasons.get("unknown_record") for r in chunked_reports] == [None, None, 1]
    assert chunked_reports[1].rows_new == 3 and chunked_reports[1].rows_updated == 2
    assert chunked_reports[1].rows_unchanged == 1
    assert whole["warnings"].filter(pl.col("reason") == "id_conflict").height == 3
    # each M5 row of the second file is its own record, one version each: nothing vanishes
    m5 = chunked["raw"].filter(pl.col("record_id").str.starts_with("M5")).select("record_id", "title", "version")
    assert m5.rows() == [("M5", "积水", 1), ("M5", "积水严重", 2), (m5["record_id"][2], "积水", 1)]
    assert m5["record_id"][2].startswith("M5~")


def test_a_file_landed_in_chunks_lets_duckdbs_cache_go_between_its_commits(tmp_path, cache_releases):
    """Every few chunks the restricted rows commit and DuckDB drops the blocks it kept (at ten million records
    ingest held 2 GB of them beside each chunk): only between transactions (a limit DuckDB cannot meet inside
    one aborts it), with the pipeline's limit restored, and the file lands whole."""
    reports, tables = _load(tmp_path, "chunked", 2, [(_csv(tmp_path, _board_rows()), None)])
    assert len(cache_releases) >= 1  # 25 rows in chunks of 2: a commit every COMMIT_BATCHES chunks
    assert cache_releases == [EngineConfig().memory_limit] * len(cache_releases)
    assert tables["raw"].height == reports[0].rows_new > 0


def test_a_file_that_fails_after_a_commit_leaves_nothing(tmp_path, monkeypatch):
    """The restricted rows commit every few chunks; a file that fails after such a commit leaves no
    row of it anywhere, and loads whole when tried again."""
    from demandlab.pipeline import batches, loading

    path = _csv(tmp_path, _board_rows())
    cfg = Config(paths=PathsConfig(db=tmp_path / "d.duckdb"), engine=EngineConfig(batch_rows=2))
    write, calls = loading.write_versions, []

    def fails(con, *args):
        calls.append(1)
        if len(calls) == batches.COMMIT_BATCHES + 1:
            committed = con.cursor().execute("select count(*) from restricted.raw_records").fetchone()[0]
            assert committed > 0  # another connection sees the chunks committed so far
            raise OSError("disk full")
        return write(con, *args)

    with dl.connect(cfg.paths.db) as store:
        pipe = dl.Pipeline(store, cfg)
        monkeypatch.setattr(loading, "write_versions", fails)
        with pytest.raises(OSError):
            pipe.ingest(path)
        for table in ("restricted.raw_records", "restricted.reject_values", "restricted.warning_values", "batches"):
            assert store.scalar(f"select count(*) from {table}") == 0, table
        monkeypatch.setattr(loading, "write_versions", write)
        assert pipe.ingest(path).status == "loaded"
        assert store.scalar("select count(*) from restricted.raw_records") == store.scalar(
            "select rows_new from batches"
        )


def _real_table(path, mapping: str | None = None):
    known = {h for m in available_mappings().values() for h in m.headers}
    table = read_table(path, known_headers=known)
    return table, choose_mapping(path, table.headers, mapping)


@pytest.mark.parametrize("rows", [97, 1000])
def test_a_real_board_prepares_the_same_in_chunks(tmp_path, rows):
    """zjboard's 1,234 messages (JSON lines, ids and times as the board wrote them)."""
    source = shared_data("zjboard", "messages.jsonl")
    (tmp_path / "zjboard.toml").write_text(ZJBOARD_MAPPING, encoding="utf-8")
    table, mapping = _real_table(source, str(tmp_path / "zjboard.toml"))
    whole = prepare_batch(table, mapping, None, NOW)
    chunked = concat_prepared(list(TablePlan(table, mapping, None, NOW, rows=rows)))
    for left, right in zip(_frames(whole), _frames(chunked), strict=True):
        assert left.equals(right)
    assert whole.accepted.height > 1_000


def test_a_real_workbook_with_a_repeated_id_prepares_the_same_in_chunks():
    """泰迪杯's labelled messages: row 312 repeats row 100 (a duplicate across any chunk of 100 rows)."""
    table, mapping = _real_table(shared_data("taidi2020c", "sample", "a2_messages_labeled.xlsx"))
    whole = prepare_batch(table, mapping, None, NOW)
    chunked = concat_prepared(list(TablePlan(table, mapping, None, NOW, rows=100)))
    for left, right in zip(_frames(whole), _frames(chunked), strict=True):
        assert left.equals(right)
    assert chunked.rejects.select("row_number", "reason").rows() == [(312, "duplicate_id")]
    assert json.loads(chunked.rejects["raw"][0])  # the original row, for the restricted file
