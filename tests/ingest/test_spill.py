"""A CSV export read into a temporary Parquet file and checked a chunk at a time (what ingest does, so
that a file of millions of rows is never held whole) gives what the same file read into memory gives:
the same accepted rows, rejects, warnings and blank rows — with blank rows, a value over the size
limit, broken lines and repeated ids anywhere, in UTF-8 and in GB18030 (read through a clean copy) —
and leaves no file behind."""

import tempfile
from pathlib import Path

import polars as pl
import pytest
from tests.conftest import shared_data
from tests.ingest.files import NOW
from tests.ingest.test_chunks import HEADER, _board_rows, _frames

from demandlab.ingest import TablePlan, available_mappings, choose_mapping, concat_prepared, prepare_batch, read_table
from demandlab.ingest.limits import MAX_FIELD_BYTES
from demandlab.ingest.readers import read_tables

BLANK = ",,,,,,,"


def _rows() -> list[str]:
    rows = _board_rows()
    # a value over the limit on lines under it (a longer line is blanked before DuckDB reads the file)
    half = "长" * (MAX_FIELD_BYTES // 5)  # 3 bytes a character in UTF-8 and GB18030's 2: 0.6 MiB, 0.4 MiB
    oversize = f'"{half}\n{half}\n{half}"'
    # blank rows alone and in runs (a chunk of one or two rows that is all blank)
    return [BLANK, *rows[:3], BLANK, BLANK, BLANK, f"X1,2025/3/2 9:00:00,过长,{oversize},G1,,,", *rows[3:], BLANK]


def _both(path, rows: int, mapping: str | None = "hotline_12345"):
    known = {h for m in available_mappings().values() for h in m.headers}
    memory = read_table(path, known_headers=known)
    spilled = read_tables(path, known_headers=known, spill=True)[0]
    return memory, spilled, choose_mapping(path, memory.headers, mapping), rows


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
@pytest.mark.parametrize("rows", [1, 2, 3, 7, 100])
def test_a_spilled_csv_prepares_what_the_table_in_memory_does(tmp_path, monkeypatch, encoding, rows):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = tmp_path / "工单导出.csv"
    path.write_bytes((HEADER + "\n".join(_rows()) + "\n").encode(encoding))
    memory, spilled, mapping, rows = _both(path, rows)
    assert spilled.spill is not None and spilled.frame.height == 0
    assert spilled.height == memory.height + memory.blank_rows + 1  # the oversized row is still among them
    whole = prepare_batch(memory, mapping, None, NOW)
    plan = TablePlan(spilled, mapping, None, NOW, rows=rows)
    parts = list(plan)
    chunked = concat_prepared(parts)
    for left, right in zip(_frames(whole), _frames(chunked), strict=True):
        assert left.equals(right), (left, right)
    assert chunked.rows_blank == memory.blank_rows == 5
    assert chunked.rows_read == whole.rows_read
    too_large = chunked.rejects.filter(pl.col("reason") == "field_too_large")
    assert too_large.select("row_number", "column_name").rows() == [(9, "诉求内容")]
    assert len(too_large["value"][0]) < 1_000  # kept cut short
    plan.close()
    assert list(tmp_path.glob("demandlab-spill-*")) == []


def test_a_real_board_as_a_gb18030_export_spills_to_what_it_reads_in_memory(tmp_path, monkeypatch):
    """泰迪杯's messages written as a GB18030 CSV (as 12345 systems export): texts with line breaks
    inside quoted fields, so the rows' line numbers come from walking the file."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    source = read_table(shared_data("taidi2020c", "sample", "a2_messages_labeled.xlsx")).frame.drop("__row")
    path = tmp_path / "留言导出.csv"
    path.write_bytes(source.write_csv().encode("gb18030"))
    memory, spilled, mapping, rows = _both(path, 97, None)
    whole = prepare_batch(memory, mapping, None, NOW)
    plan = TablePlan(spilled, mapping, None, NOW, rows=rows)
    chunked = concat_prepared(list(plan))
    for left, right in zip(_frames(whole), _frames(chunked), strict=True):
        assert left.equals(right)
    multiline = source.filter(pl.any_horizontal(pl.col(pl.String).str.contains("\n"))).height
    assert multiline > 0 and whole.accepted.height > 400
    assert chunked.accepted["row_number"].max() > source.height + 1  # lines, not rows: breaks inside fields
    plan.close()
    assert list(tmp_path.glob("demandlab-spill-*")) == []


def test_a_full_temporary_folder_is_an_error_not_another_reader(tmp_path, monkeypatch):
    """The spill written to a full disk: the load stops with the disk named (in Chinese, by the CLI), instead of
    falling back to Python's csv module as for a file DuckDB cannot read."""
    import duckdb

    from demandlab.errors import disk_problem
    from demandlab.ingest import table

    path = tmp_path / "工单导出.csv"
    path.write_bytes((HEADER + "\n".join(_board_rows()) + "\n").encode("utf-8"))
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full (a device whose every write fails with ENOSPC) on this system")
    original = table.Spill.__init__

    def full(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.path = Path("/dev/full")  # every write fails: No space left on device

    monkeypatch.setattr(table.Spill, "__init__", full)
    with pytest.raises(duckdb.IOException) as caught:
        read_tables(path, spill=True)
    assert disk_problem(caught.value).startswith("磁盘空间已满")


@pytest.mark.parametrize("rows", [1, 4, 10, 11])
def test_a_spill_gives_each_row_its_line_whatever_batches_the_file_holds(tmp_path, monkeypatch, rows):
    """Row groups of 3 rows read back 4 at a time (pyarrow may end a batch where a row group ends): each part
    holds at most ``rows`` rows, every row keeps its own line, the last part says it is the last."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from demandlab.ingest.table import ROW, Spill, Table

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    lines = [3, 4, 7, 8, 9, 12, 13, 20, 21, 22]
    spill = Spill(["a"], pl.Series(ROW, lines, pl.Int64), MAX_FIELD_BYTES)
    pq.write_table(pa.table({"x": [f"v{n}" for n in lines]}), spill.path, row_group_size=3)
    table = Table(frame=pl.DataFrame(schema={"a": pl.String, ROW: pl.Int64}), format="csv", spill=spill)

    def by_row_group(self, batch_size, **_):  # a reader whose batches end where the row groups end
        for group in range(self.num_row_groups):
            yield from self.read_row_group(group).to_batches(max_chunksize=batch_size)

    monkeypatch.setattr(pq.ParquetFile, "iter_batches", by_row_group)
    parts = list(table.parts(rows))
    assert [part.frame.height for part, _ in parts][:2] == [min(rows, 3)] * 2
    assert all(part.frame.height <= rows for part, _ in parts)
    got = pl.concat([part.frame for part, _ in parts])
    assert got[ROW].to_list() == lines and got["a"].to_list() == [f"v{n}" for n in lines]
    assert parts[-1][1] is None and all(top == part.frame[ROW].max() for part, top in parts[:-1])
    table.close()
    assert not spill.path.exists()


def test_what_a_killed_load_left_in_tmpdir_goes_a_day_later(tmp_path, monkeypatch):
    """A load killed mid-way cannot remove its spill or clean copy (an export's rows in clear): the next spill
    removes those over a day old, and leaves a load running beside it (and anything not ingest's) alone."""
    import os
    import time

    from demandlab.ingest.table import STALE_SECONDS, sweep_stale

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    old_spill, new_spill = tmp_path / "demandlab-spill-old", tmp_path / "demandlab-spill-new"
    for folder in (old_spill, new_spill):
        folder.mkdir()
        (folder / "rows.parquet").write_bytes(b"13800000000")
    old_copy, other = tmp_path / "demandlab-ab_c1234.csv", tmp_path / "demandlab-导出.csv"
    old_copy.write_text("工单编号\n", encoding="utf-8")
    other.write_text("x\n", encoding="utf-8")  # a user's file, not one of ingest's
    long_ago = time.time() - STALE_SECONDS - 60
    for path in (old_spill, old_copy, other):
        os.utime(path, (long_ago, long_ago))
    assert sorted(p.name for p in sweep_stale()) == ["demandlab-ab_c1234.csv", "demandlab-spill-old"]
    assert new_spill.exists() and other.exists() and not old_spill.exists() and not old_copy.exists()
    path = tmp_path / "工单导出.csv"
    path.write_bytes((HEADER + "\n".join(_board_rows()) + "\n").encode("utf-8"))
    os.utime(new_spill, (long_ago, long_ago))
    table = read_tables(path, spill=True)[0]  # a spill sweeps first
    assert not new_spill.exists() and oct(table.spill.path.parent.stat().st_mode & 0o777) == "0o700"
    table.close()


@pytest.mark.parametrize("batch_rows", [2, 10**6])
def test_a_spilled_load_reports_its_blank_rows(tmp_path, monkeypatch, batch_rows):
    """Through the pipeline: the blank rows a spilled CSV's chunks find reach the batch (rows_blank), whatever
    the chunk; rows read = accepted + rejected; the spill is gone after the load."""
    from tests.ingest.test_chunks import _load

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    path = tmp_path / "工单导出.csv"
    path.write_bytes((HEADER + "\n".join(_rows()) + "\n").encode("utf-8"))
    (report,), tables = _load(tmp_path, "db", batch_rows, [(path, None)])
    assert report.rows_blank == 5 and report.rows_read == report.rows_accepted + report.rows_rejected == 24 + 2
    assert tables["batches"]["rows_read"].to_list() == [26]
    assert list(tmp_path.glob("demandlab-spill-*")) == []


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_load_keeps_a_csvs_rows_beside_the_database_not_in_tmpdir(tmp_path, monkeypatch, encoding):
    """TMPDIR is often a tmpfs (memory) shared by every user: while a file loads, its spilled rows and a GB18030
    file's clean UTF-8 copy wait in ``<db>.spill``, a folder only this user can read, removed after the load."""
    from tests.ingest.test_chunks import _load

    from demandlab.ingest import csvfile
    from demandlab.ingest.table import Spill

    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmpdir))
    spills, copies = [], []
    real_parts, real_copy = Spill.parts, csvfile._clean_copy

    def parts(self, table, rows):
        folder = self.path.parent.parent
        spills.append((folder, oct(folder.stat().st_mode & 0o777), tuple(tmpdir.iterdir())))
        yield from real_parts(self, table, rows)

    def clean_copy(source, encoding, out):
        copies.append(out.parent)
        return real_copy(source, encoding, out)

    monkeypatch.setattr(Spill, "parts", parts)
    monkeypatch.setattr(csvfile, "_clean_copy", clean_copy)
    path = tmp_path / "工单导出.csv"
    path.write_bytes((HEADER + "\n".join(_board_rows()) + "\n").encode(encoding))
    (report,), tables = _load(tmp_path, "db", 2, [(path, None)])
    beside = tmp_path / "db" / "d.duckdb.spill"
    assert spills and set(spills) == {(beside, "0o700", ())}  # read once to choose time formats, once to check
    assert copies == ([beside] if encoding == "gb18030" else [])
    assert report.rows_read == report.rows_accepted + report.rows_rejected and tables["raw"].height > 0
    assert not beside.exists() and list(tmpdir.iterdir()) == []
