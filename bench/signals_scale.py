"""Marts and signals for a new week on a 1,000,000-record database.

The database is built from a processed synthetic district (50,000 records through the whole
pipeline) copied twenty times under new record ids and contacts, so that every table the marts
and signals read — records, tokens, assignments, places — holds a million rows over two years,
with the district's themes, places and planted events twenty times over. A new week of 20,000
records (copies of recent weeks moved forward) is then added, and the marts and signals are
recomputed as the weekly job does: ``Pipeline.marts()`` then ``Pipeline.signals()``.

Claim (issue 6): marts recompute for a new week in under 10 seconds. Anchor: the same
recomputation on the 50,000-record district, and the 1M full rebuild, in the same run.

Run: .venv/bin/python -m bench.signals_scale   (about 5 minutes; the 1M database is kept in
$DEMANDLAB_BENCH_DIR, default /tmp/demandlab-bench, and reused)
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import demandlab as dl
from bench._common import peak_rss_mib, write_result
from demandlab.config import demo_config
from demandlab.synth import generate

COPIES = 20
NEW_RECORDS = 20_000
COPIED = ("records", "tokens", "assignments", "record_places")


def _config(root: Path):
    """The district's configuration: its theme model is the one every copy uses."""
    return demo_config(root / "base" / "data", root / "base" / "reports")


def _district(root: Path) -> Path:
    """A processed 50,000-record district (built once)."""
    cfg = _config(root)
    done = root / "base" / "done"
    if not done.exists():
        shutil.rmtree(root / "base", ignore_errors=True)
        result = generate(root / "base" / "synth", n_records=50_000, seed=0)
        with dl.connect(cfg.paths.db) as store:
            pipe = dl.Pipeline(store, cfg)
            pipe.load_grids(result.registry)
            for path in result.export_paths:
                pipe.ingest(path)
            pipe.run()
        done.touch()
    return cfg.paths.db


def _copy_key(table: str, i: int) -> str:
    """Select list of ``table`` with record ids (and contacts) made unique for copy ``i``."""
    return f"select * replace (record_id || '-{i:02d}' as record_id) from base.{table}"


def _million(base_db: Path, db: Path) -> None:
    if db.exists():
        return
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    with dl.connect(tmp) as store:
        con = store.con
        con.execute(f"attach '{base_db}' as base (read_only)")
        for table in ("grids", "places", "themes", "categories", "theme_models", "theme_clusters", "meta"):
            con.execute(f"delete from {table}")
            con.execute(f"insert into {table} select * from base.{table}")
        for table in COPIED:
            for i in range(COPIES):
                select = _copy_key(table, i)
                if table == "records":
                    select = (
                        f"select * replace (record_id || '-{i:02d}' as record_id, "
                        f"contact_key || '{i:02d}' as contact_key) from base.records"
                    )
                con.execute(f"insert into {table} {select}")
        con.execute("detach base")
    tmp.rename(db)


def _add_week(store: dl.Store) -> int:
    """Add NEW_RECORDS records in the week after the latest (copies of the last three weeks' records at
    the same weekday and time), with their tokens, themes and places."""
    con = store.con
    last = con.execute("select max(week_start) from records").fetchone()[0]
    con.execute(
        "create temp table new_keys as select source, record_id, record_id || '-new' as new_id from records "
        "where week_start >= ? - interval 14 day order by record_id limit ?",
        [last, NEW_RECORDS],
    )
    n = con.execute("select count(*) from new_keys").fetchone()[0]
    with store.transaction():
        con.execute(
            "insert into records select * exclude (new_id) replace (k.new_id as record_id, "
            "created_at - week_start::timestamp + (?::date + interval 7 day) as created_at, "
            "(?::date + interval 7 day)::date as week_start, strftime(?::date + interval 7 day, '%G-W%V') as iso_week) "
            "from records join new_keys k using (source, record_id)",
            [last, last, last],
        )
        for table in ("tokens", "assignments", "record_places"):
            con.execute(
                f"insert into {table} select * exclude (new_id) replace (k.new_id as record_id) "
                f"from {table} join new_keys k using (source, record_id)"
            )
    return n


def _timed(label: str, timings: dict, fn) -> object:
    started = time.perf_counter()
    out = fn()
    timings[label] = round(time.perf_counter() - started, 2)
    print(f"  {label}: {timings[label]} s")
    return out


def main() -> dict:
    root = Path(os.environ.get("DEMANDLAB_BENCH_DIR", "/tmp/demandlab-bench"))
    root.mkdir(parents=True, exist_ok=True)
    base_db = _district(root)
    big = root / "million.duckdb"
    _million(base_db, big)
    results: dict = {}
    for name, source in (("district_50k", base_db), ("million", big)):
        work = root / f"work-{name}.duckdb"
        for stale in (work, work.with_suffix(".duckdb.wal")):  # a killed run leaves a log that would replay
            stale.unlink(missing_ok=True)
        shutil.copy(source, work)
        timings: dict = {}
        with dl.connect(work) as store:
            pipe = dl.Pipeline(store, _config(root))
            _timed("full_marts", timings, pipe.marts)
            with store.transaction() as con:  # a full pass, as after a refit, whatever the copy held
                con.execute("insert or replace into meta values ('signals_since', 'all')")
            _timed("full_signals", timings, pipe.signals)
            added = _add_week(store)
            _timed("new_week_marts", timings, pipe.marts)
            report = _timed("new_week_signals", timings, pipe.signals)
            results[name] = {
                "records": store.count("records"),
                "new_records": added,
                "timings_s": timings,
                "alerts": report.alerts,
                "hot_issues": report.hot_issues,
            }
        work.unlink()
    million = results["million"]["timings_s"]
    return write_result(
        "signals_scale",
        {
            **results,
            "peak_rss_mib": peak_rss_mib(),
            "claims": {
                "new_week_marts_under_10s_at_1m": million["new_week_marts"] < 10,
                "new_week_marts_and_signals_under_60s_at_1m": million["new_week_marts"] + million["new_week_signals"]
                < 60,
            },
        },
    )


if __name__ == "__main__":
    main()
