"""The weekly job: one run, a rerun, two runs at once, and a run killed with SIGKILL then resumed."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import demandlab as dl
from demandlab.config import load_config
from demandlab.weekly import EXIT_INPUT, EXIT_LOCKED, EXIT_OK, run_lock, run_weekly

DEMANDLAB = Path(sys.executable).with_name("demandlab")
CONFIG = """
[paths]
db = "data/demandlab.duckdb"
models = "data/models"
inbox = "data/inbox"
archive = "data/archive"
reports = "reports"
logs = "data/logs"
grids = "registry.csv"
lake = "data/lake"

[privacy]
salt_file = "data/.contact_salt"
"""
WEEK = "2026-W45"


def _site(root: Path, district) -> Path:
    """A deployment folder: config, grid registry, and the district's exports waiting in the inbox."""
    root.mkdir(parents=True)
    (root / "demandlab.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copy(district.registry, root / "registry.csv")
    inbox = root / "data" / "inbox"
    inbox.mkdir(parents=True)
    for path in district.export_paths:
        shutil.copy(path, inbox / path.name)
    return root / "demandlab.toml"


def _weekly(config: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "DEMANDLAB_SALT": "test-salt", "PYTHONHASHSEED": "0"}
    return subprocess.Popen(
        [str(DEMANDLAB), "weekly", "--config", str(config), "--week", WEEK, *args],
        cwd=config.parent,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _without_time(html: str) -> str:
    return re.sub(r'<span id="generated-at">[^<]*</span>', "", html)


def _state(config: Path) -> dict:
    """What a run leaves behind, minus run ids and times."""
    cfg = load_config(config)
    with dl.connect(cfg.paths.db, read_only=True) as store:
        return {
            "records": store.sql("select source, record_id, content_hash from records order by all").rows(),
            "batches": store.sql("select file_name, sha256, rows_read, rows_accepted from batches order by all").rows(),
            "themes": store.sql("select source, record_id, theme_id from assignments order by all").rows(),
            "alerts": store.sql("select alert_id, n from mart_alerts order by all").rows(),
            "hot": store.sql("select hot_id, n, heat from mart_hot_issues order by all").rows(),
            "report": _without_time((cfg.paths.reports / WEEK / "全区.html").read_text("utf-8")),
        }


@pytest.fixture(scope="module")
def reference(district, tmp_path_factory) -> tuple[Path, dict]:
    """One uninterrupted run of the CLI."""
    config = _site(tmp_path_factory.mktemp("weekly") / "site", district)
    proc = _weekly(config)
    _, errors = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_OK, errors
    return config, _state(config)


def test_a_run_ingests_the_inbox_and_writes_the_report_summary_and_log(reference, district):
    config, state = reference
    cfg = load_config(config)
    summary = json.loads((cfg.paths.reports / WEEK / "run-summary.json").read_text("utf-8"))
    assert summary["status"] == "done" and summary["exit_code"] == 0 and summary["week"] == WEEK
    assert summary["rows_read"] == summary["rows_accepted"] + summary["rows_rejected"]
    assert summary["rows_accepted"] == district.truth["counts"]["records"]
    assert set(summary["rejects_by_reason"]) == {"missing_id", "bad_time", "unknown_grid", "duplicate_id"}
    assert summary["run"]["records"] == len(state["records"]) and summary["model_version"]
    assert not list(cfg.paths.inbox.iterdir()) and len(list(cfg.paths.archive.rglob("*.*"))) == 3
    log = (cfg.paths.logs / "weekly.log").read_text("utf-8")
    assert "lock taken" in log and "report 全区" in log and "status done, exit 0" in log
    with dl.connect(cfg.paths.db, read_only=True) as store:
        assert store.sql("select command, status from runs").rows() == [("weekly", "done")]


def test_the_run_ends_by_writing_the_database_as_a_lake_that_holds_its_row(reference):
    config, _ = reference
    cfg = load_config(config)
    assert cfg.paths.lake == config.parent / "data" / "lake"
    with dl.connect(cfg.paths.lake) as lake, dl.connect(cfg.paths.db, read_only=True) as store:
        assert lake.sql("select command, status from runs").rows() == [("weekly", "done")]
        assert lake.tables() == store.tables()
        for name in ("records", "assignments", "mart_kpi", "mart_alerts", "mart_hot_issues"):
            query = f"select * from {name} order by all"
            assert lake.sql(query).equals(store.sql(query)), name
    summary = json.loads((cfg.paths.reports / WEEK / "run-summary.json").read_text("utf-8"))
    assert summary["timings"]["lake"] > 0


def test_a_lake_that_cannot_be_written_fails_the_run_and_touches_nothing_there(reference, tmp_path, monkeypatch):
    config, _ = reference
    copy = tmp_path / "site"
    shutil.copytree(config.parent, copy)
    (copy / "data" / "lake").rename(copy / "mine")
    (copy / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    text = (copy / "demandlab.toml").read_text("utf-8").replace('lake = "data/lake"', 'lake = "mine"')
    (copy / "demandlab.toml").write_text(text, encoding="utf-8")
    # the folder holds a lake's files but no manifest: not a lake demandlab wrote whole, so not replaced
    (copy / "mine" / "_demandlab.json").unlink()
    monkeypatch.setenv("DEMANDLAB_SALT", "test-salt")  # the salt the runs of the reference site used
    summary = run_weekly(load_config(copy / "demandlab.toml"), week=WEEK)
    assert summary.status == "failed" and summary.exit_code == 2 and "mine" in summary.error, summary.error
    assert (copy / "mine" / "notes.txt").read_text("utf-8") == "mine"
    with dl.connect(copy / "data" / "demandlab.duckdb", read_only=True) as store:
        assert store.sql("select status from runs order by started_at").rows()[-1] == ("failed",)


def test_rerunning_a_finished_week_gives_the_same_report(reference, tmp_path):
    config, state = reference
    copy = tmp_path / "site"
    shutil.copytree(config.parent, copy)
    proc = _weekly(copy / "demandlab.toml")
    _, errors = proc.communicate(timeout=300)
    assert proc.returncode == EXIT_OK, errors
    again = _state(copy / "demandlab.toml")
    assert again == state  # nothing ingested twice, identical report apart from its generation time
    with dl.connect(load_config(copy / "demandlab.toml").paths.db, read_only=True) as store:
        assert store.sql("select status from runs order by started_at").rows() == [("done",), ("done",)]


def test_a_second_run_refuses_while_the_first_holds_the_lock(reference, district, tmp_path):
    config = _site(tmp_path / "site", district)
    first = _weekly(config)
    lock = load_config(config).paths.db
    lock = lock.with_name(lock.name + ".lock")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until the first run holds the lock
        if lock.exists():
            with lock.open("a+") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    fcntl.flock(handle, fcntl.LOCK_UN)
                except BlockingIOError:
                    break
        time.sleep(0.05)
    else:
        pytest.fail("the first run never took the lock")
    second = _weekly(config, "--wait", "0")
    _, errors = second.communicate(timeout=60)
    assert second.returncode == EXIT_LOCKED
    assert "正被 demandlab weekly（进程" in errors
    _, errors = first.communicate(timeout=300)
    assert first.returncode == EXIT_OK, errors
    assert _state(config) == reference[1]  # the refused run wrote nothing, nothing twice


@pytest.mark.parametrize("after", ["file hotline", "stage segment"])
def test_a_run_killed_midway_is_completed_by_the_next_run(reference, district, tmp_path, after):
    config = _site(tmp_path / "site", district)
    log = load_config(config).paths.logs / "weekly.log"
    victim = _weekly(config)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and victim.poll() is None:
        if log.exists() and after in log.read_text("utf-8"):
            break
        time.sleep(0.02)
    time.sleep(0.3)  # into the next stage
    if victim.poll() is not None:
        pytest.fail(f"the run finished before it could be killed after {after!r}")
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    rerun = _weekly(config)
    _, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == EXIT_OK, errors
    assert _state(config) == reference[1]
    with dl.connect(load_config(config).paths.db, read_only=True) as store:
        assert store.sql("select status from runs order by started_at").rows() == [("interrupted",), ("done",)]


def test_a_broken_inbox_file_gives_exit_3_and_the_rest_is_processed(district, tmp_path, caplog):
    config = _site(tmp_path / "site", district)
    cfg = load_config(config)
    (cfg.paths.inbox / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    with caplog.at_level(logging.INFO, logger="demandlab"):
        summary = run_weekly(cfg, week=WEEK)
    assert summary.exit_code == EXIT_INPUT and summary.status == "input_failed"
    error = (cfg.paths.inbox / "broken.xlsx.error.txt").read_text("utf-8")
    why = re.search(r"原因：(.+)", error).group(1)
    # the log names the file and says why, as a warning: a failed file was once an INFO line without a reason
    said = [r for r in caplog.records if "broken.xlsx" in r.getMessage()]
    assert said and all(r.levelno >= logging.WARNING for r in said)
    assert any(why in r.getMessage() for r in said)
    assert Path(summary.reports[0]).exists() and summary.rows_accepted == district.truth["counts"]["records"]


def test_a_run_that_cannot_take_the_lock_writes_nothing(tmp_path, district):
    config = _site(tmp_path / "site", district)
    cfg = load_config(config)
    with run_lock(cfg.paths.db, command="demandlab run"):
        summary = run_weekly(cfg, week=WEEK, wait=0.6)
    assert summary.exit_code == EXIT_LOCKED and "正被 demandlab run（进程" in summary.error
    assert not cfg.paths.db.exists() and not cfg.paths.reports.exists()


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _found(frame, column: str, secrets: list[str]) -> list[str]:
    """The secrets that occur in ``column`` (Aho–Corasick over all of them at once)."""
    import polars as pl

    hits = frame.select(pl.col(column).cast(pl.String).str.extract_many(secrets).alias("hit")).explode("hit")
    return sorted(set(hits["hit"].drop_nulls().to_list()))


def test_no_planted_secret_reaches_any_output(reference, district):
    """Every value the district plants in any column (numbers, names, plates, rooms …) is absent from
    every table of the analysts' file, every report, the run summary, the log and any error file;
    the restricted file is the only place that holds them."""
    import polars as pl

    config, _ = reference
    cfg = load_config(config)
    planted = pl.read_parquet(district.root / "truth" / "pii.parquet")
    assert planted["column"].n_unique() >= 5  # planted in every free-text column, not only the text
    # what to look for: the value as the pipeline reads it, and numbers also as their digits alone. A two-character
    # name may be an everyday word elsewhere, and a house number (富康里7号) the start of a building (富康里7号楼)
    # another record names: those are looked for in their own record only
    local = ((pl.col("type") == "name") & (pl.col("plain").str.len_chars() <= 2)) | pl.col("type").is_in(
        ["house_number", "room"]
    )
    short = planted.filter(local)
    secrets = set(planted.filter(~local)["plain"].to_list())
    secrets |= {
        d
        for t, v in planted.select("type", "plain").iter_rows()
        if t not in ("name", "house_number", "room") and len(d := _digits(v)) >= 7
    }
    secrets = sorted(s for s in secrets if len(s) >= 2)
    outputs = [p for p in cfg.paths.reports.rglob("*") if p.is_file()]
    outputs += [p for p in cfg.paths.logs.rglob("*") if p.is_file()]
    outputs += list(cfg.paths.inbox.glob("*.error.txt"))
    assert outputs
    files = pl.DataFrame({"file": [p.name for p in outputs], "text": [p.read_text("utf-8") for p in outputs]})
    leaks = [f"{name}: {hit}" for name in files["file"] for hit in _found(files.filter(file=name), "text", secrets)]
    with dl.connect(cfg.paths.db, read_only=True) as store:
        columns = store.sql(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where database_name = current_database() and data_type in ('VARCHAR', 'VARCHAR[]') order by all"
        ).rows()
        for table in sorted({t for t, _, _ in columns}):
            frame = store.table(table)
            for _, column, kind in (c for c in columns if c[0] == table):
                values = frame.select(pl.col(column).list.join(" ") if kind == "VARCHAR[]" else pl.col(column))
                leaks += [f"{table}.{column}: {hit}" for hit in _found(values, column, secrets)]
        for table in ("records", "mart_records"):
            text = [
                c for t, c, kind in columns if t == table and kind == "VARCHAR" and c not in ("source", "record_id")
            ]
            joined = (
                store.table(table)
                .select(
                    "source",
                    "record_id",
                    pl.concat_str([pl.col(c).fill_null("") for c in text], separator=" ").alias("text"),
                )
                .join(short.select("source", "record_id", "plain"), on=["source", "record_id"])
            )
            found = joined.filter(pl.col("text").str.contains(pl.col("plain"), literal=True))
            leaks += [f"{table} {r}: {v}" for r, v in found.select("record_id", "plain").rows()]
    assert leaks == []
