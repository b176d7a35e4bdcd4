"""The weekly job on a 1,000,000-record database with 20,000 new records in the inbox.

Setup (not timed): the 1M database of ``bench/signals_scale.py`` brought fully up to date (marts
and signals), and a 12345 export of 20,000 new work orders for the week after its last week
(the district's own work orders, re-dated into that week under new ids), dropped in the inbox.

Timed: ``demandlab weekly --config … --week <new week>`` as the scheduler runs it, in its own
process — lock, inbox ingest (read, map, validate, version), clean + mask, segment, assign themes,
marts, signals, the district report, the run summary. Claim (issue 7): under 60 seconds. Anchor:
the same job on the 50,000-record district in the same run.

Run: .venv/bin/python -m bench.weekly_scale   (about 6 minutes the first time; the prepared
database is kept in $DEMANDLAB_BENCH_DIR, default /tmp/demandlab-bench)
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

import demandlab as dl
from bench._common import write_result
from bench.signals_scale import _config, _district, _million
from demandlab.ingest import read_table

NEW = 20_000
TIMES = ("来电时间", "受理时间", "反馈时间", "办结时间", "办结期限")


def _ready(root: Path, source: Path, name: str) -> Path:
    """``source`` with marts and signals up to date (built once)."""
    ready = root / f"{name}-ready.duckdb"
    if not ready.exists():
        tmp = ready.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        shutil.copy(source, tmp)
        with dl.connect(tmp) as store:
            pipe = dl.Pipeline(store, _config(root))
            pipe.marts()
            pipe.signals()
        tmp.rename(ready)
    return ready


def _new_week_export(root: Path, db: Path, out: Path, n: int) -> str:
    """Write ``n`` new work orders dated in the week after ``db``'s last week; returns that ISO week."""
    with dl.connect(db, read_only=True) as store:
        last = store.scalar("select max(week_start) from records")
    monday = last + dt.timedelta(weeks=1)
    orders = read_table(root / "base" / "synth" / "exports" / "hotline_12345.csv").frame.drop("__row")
    orders = orders.filter(pl.col("来电时间").is_not_null() & pl.col("网格").is_not_null()).head(n)
    called = pl.col("来电时间").str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False)
    # move each order into the first four days of the new week; its other times keep their offsets
    # from the call (the job runs as of the Monday after, see _time_weekly)
    offset = (called - called.dt.truncate("1w")).dt.total_seconds() * 4 / 7
    moved = pl.lit(dt.datetime.combine(monday, dt.time())) + pl.duration(seconds=offset.cast(pl.Int64))
    shift = moved - called
    orders = orders.with_columns(
        [
            (pl.col(c).str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False) + shift).dt.strftime("%Y/%m/%d %H:%M:%S")
            for c in TIMES
        ]
    ).with_columns(pl.col("工单编号") + "-N")
    orders.write_csv(out)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _site(root: Path, name: str, ready: Path, n: int) -> tuple[Path, str]:
    site = root / f"weekly-{name}"
    shutil.rmtree(site, ignore_errors=True)
    (site / "data" / "inbox").mkdir(parents=True)
    shutil.copy(ready, site / "data" / "demandlab.duckdb")
    week = _new_week_export(root, ready, site / "data" / "inbox" / "工单导出_新一周.csv", n)
    models = _config(root).paths.models
    (site / "demandlab.toml").write_text(
        "[paths]\n"
        'db = "data/demandlab.duckdb"\n'
        f'models = "{models}"\n'
        'inbox = "data/inbox"\narchive = "data/archive"\nreports = "reports"\nlogs = "data/logs"\n',
        encoding="utf-8",
    )
    return site, week


def _time_weekly(site: Path, week: str) -> dict:
    demandlab = Path(sys.executable).with_name("demandlab")
    # as the scheduler runs it: on the Monday after the week (the new week may be after today,
    # and its records would rightly be refused as from the future)
    year, number = (int(x) for x in week.split("-W"))
    monday_after = dt.date.fromisocalendar(year, number, 1) + dt.timedelta(weeks=1)
    env = {**os.environ, "DEMANDLAB_SALT": "bench-salt", "DEMANDLAB_NOW": f"{monday_after}T06:00:00"}
    started = time.perf_counter()
    done = subprocess.run(
        [str(demandlab), "weekly", "--config", str(site / "demandlab.toml"), "--week", week],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = round(time.perf_counter() - started, 2)
    if done.returncode != 0:
        raise RuntimeError(f"weekly failed ({done.returncode}): {done.stderr[-2000:]}")
    summary = json.loads((site / "reports" / week / "run-summary.json").read_text("utf-8"))
    print(f"  {site.name}: {seconds} s, stages {summary['timings']}")
    return {
        "seconds": seconds,
        "records": summary["run"]["records"],
        "rows_read": summary["rows_read"],
        "rows_accepted": summary["rows_accepted"],
        "rows_rejected": summary["rows_rejected"],
        "rejects_by_reason": summary["rejects_by_reason"],
        "stage_seconds": summary["timings"],
        "report_bytes": (site / "reports" / week / "全区.html").stat().st_size,
    }


def measure() -> dict:
    """Time the weekly job on the 50,000-record district and on the million; the figures ``main`` records."""
    root = Path(os.environ.get("DEMANDLAB_BENCH_DIR", "/tmp/demandlab-bench"))
    root.mkdir(parents=True, exist_ok=True)
    base = _district(root)
    _million(base, root / "million.duckdb")
    results = {}
    for name, source, n in (("district_50k", base, 1_500), ("million", root / "million.duckdb", NEW)):
        site, week = _site(root, name, _ready(root, source, name), n)
        results[name] = {"week": week, **_time_weekly(site, week)}
        shutil.rmtree(site)
    return results


def main() -> dict:
    results = measure()
    million = results["million"]
    return write_result(
        "weekly_scale",
        {
            **results,
            "claims": {
                "weekly_1m_with_20k_new_under_60s": million["seconds"] < 60 and million["rows_read"] == NEW,
                "rows_read_equal_accepted_plus_rejected": million["rows_read"]
                == million["rows_accepted"] + million["rows_rejected"],
                "report_under_6MB": million["report_bytes"] < 6_000_000,
            },
        },
    )


if __name__ == "__main__":
    main()
