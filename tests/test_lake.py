"""A database as a folder of Parquet (demandlab.lake): written whole, read back by ``dl.connect`` and the report as
the database is. The marts built by Spark are tested in tests/spark/test_lake.py; here the database's own."""

from __future__ import annotations

import json

import duckdb
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.lake import MANIFEST, LakeError, write_lake
from demandlab.report import write_report
from tests.spark.frames import in_order


@pytest.fixture(scope="module")
def lake(demo_run, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("lake") / "district"
    rows = write_lake(demo_run["store"], folder)
    return {"folder": folder, "rows": rows, "store": dl.connect(folder)}


def test_every_table_and_view_reads_back_the_same(lake, demo_run):
    store, lake_store = demo_run["store"], lake["store"]
    assert lake_store.tables() == store.tables()
    assert {"records", "mart_kpi", "mart_alerts", "stg_records"} <= set(store.tables())
    for name in store.tables():
        want = store.table(name)
        assert_frame_equal(in_order(lake_store.table(name)), in_order(want), check_dtypes=True), name
    assert lake["rows"]["records"] == store.count("records") > 5_000


def test_records_are_partitioned_by_iso_year_and_week(lake, demo_run):
    folders = sorted(p.relative_to(lake["folder"] / "records") for p in (lake["folder"] / "records").glob("*/*"))
    weeks = demo_run["store"].sql("select distinct iso_week from records order by 1")["iso_week"].to_list()
    assert [str(p) for p in folders] == [f"year={w[:4]}/week={w[6:]}" for w in weeks]
    one = folders[len(folders) // 2]
    year, week = one.parts[0].removeprefix("year="), one.parts[1].removeprefix("week=")
    files = f"{lake['folder'] / 'records' / one}/*.parquet"
    got = duckdb.sql(f"select * from read_parquet('{files}', hive_partitioning = false)").pl()
    weekly = demo_run["store"].scalar("select count(*) from records where iso_week = ?", [f"{year}-W{week}"])
    assert got.height == weekly
    assert "year" not in got.columns and "week" not in got.columns  # the folder names them


def test_the_report_reads_a_lake_as_it_reads_the_database(lake, demo_run, tmp_path):
    cfg = demo_run["config"]
    want = write_report(demo_run["store"], tmp_path / "db.html", config=cfg).read_text("utf-8")
    got = write_report(lake["store"], tmp_path / "lake.html", config=cfg).read_text("utf-8")
    assert got == want and "<html" in got


def test_the_report_command_reads_a_lake(lake, tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(app, ["report", "--db", str(lake["folder"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 10_000


def test_a_lake_is_its_owners_only_as_the_database_is(lake):
    assert (lake["folder"].stat().st_mode & 0o777) == 0o700
    modes = {p.stat().st_mode & 0o777 for p in lake["folder"].rglob("*")}
    assert modes == {0o700, 0o600}


def test_a_lake_is_only_read(lake):
    assert lake["store"].read_only
    with pytest.raises(duckdb.Error):
        lake["store"].con.execute("insert into meta values ('k', 'v')")


def test_writing_again_replaces_the_lake_whole(demo_run, tmp_path):
    folder = tmp_path / "lake"
    write_lake(demo_run["store"], folder)
    (folder / "records" / "stray.txt").write_text("x")
    write_lake(demo_run["store"], folder)
    assert not (folder / "records" / "stray.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["lake"]  # no partial or old folder left


def test_a_folder_that_is_not_a_lake_is_refused_by_name(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(LakeError, match=str(tmp_path)):
        write_lake(dl.connect(":memory:"), tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(LakeError, match=MANIFEST):
        dl.connect(tmp_path)
    result = CliRunner().invoke(app, ["report", "--db", str(tmp_path)])
    assert result.exit_code == 2 and MANIFEST in result.output


def test_an_empty_database_keeps_its_columns_and_types(tmp_path):
    source = dl.connect(":memory:")
    rows = write_lake(source, tmp_path / "lake")
    assert set(rows.values()) == {0} or rows["meta"] > 0
    lake = dl.connect(tmp_path / "lake")
    for name in ("records", "tokens", "assignments"):
        assert lake.table(name).schema == source.table(name).schema and lake.count(name) == 0


def test_a_table_whose_files_are_gone_is_named(demo_run, tmp_path):
    write_lake(demo_run["store"], tmp_path / "lake")
    manifest = json.loads((tmp_path / "lake" / MANIFEST).read_text("utf-8"))
    assert manifest["tables"]["themes"]["rows"] > 0
    for path in (tmp_path / "lake" / "themes").glob("*.parquet"):
        path.unlink()
    with pytest.raises(LakeError, match="themes"):
        dl.connect(tmp_path / "lake")
