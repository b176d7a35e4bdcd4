"""Each SQL mart model built whole on a large district: the SQL of an anchor commit against this checkout's.

Every mart but ``mart_records`` and ``mart_grid_theme_week`` is rebuilt whole on every run, the weekly
job's too, so its cost grows with the database (issue "Ten million records": the weekly job's marts took
102 s at 10 M). This times the build of each model (``create temp table … as <model>``, reading the
district's stored marts, as :func:`demandlab.marts.build` does) with the model's SQL at the anchor and as
it is here, alternately, ``--rounds`` times each, and checks that both give the same table (same columns
and types, no row of one missing from the other).

Anchor: ``82577f5`` (the models before ``mart_kpi`` counted with ``count(case …)`` and took its median and
p90 from one list quantile, and before ``mart_focus`` took its ``all`` rows from ``mart_kpi``). Claims: every
table identical; no changed model slower than the anchor by more than 5 % (an unchanged one is timed as a
control of the noise); the marts rebuilt whole on every run (all but the week-kept ``mart_grid_theme_week``)
faster as a whole.

Database: bench/scale.py's 1M district ($DEMANDLAB_SCALE_DIR/bench/1M/demandlab.duckdb, built by
``python -m bench.scale --sizes 1000000``), or ``--db``; it is opened read-only.

Run: .venv/bin/python -m bench.marts_speed [--db PATH] [--anchor REF] [--rounds 3]   (about two minutes at 1M)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

import duckdb

from bench._common import write_result
from demandlab.marts.build import ALL_WEEKS, BY_WEEK, sql_models

REPO = Path(__file__).resolve().parent.parent
ANCHOR = "82577f5"
TOLERANCE = 1.05


def _anchor_sql(ref: str, name: str) -> str:
    done = subprocess.run(
        ["git", "show", f"{ref}:src/demandlab/sql/marts/{name}.sql"], cwd=REPO, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{name}: not at {ref}: {done.stderr.strip()}")
    return done.stdout


def _build(con: duckdb.DuckDBPyConnection, table: str, sql: str) -> float:
    started = time.perf_counter()
    con.execute(f"create or replace temp table {table} as\n{sql}")
    return time.perf_counter() - started


def _same(con: duckdb.DuckDBPyConnection) -> bool:
    if con.execute("describe _anchor").fetchall() != con.execute("describe _here").fetchall():
        return False
    differ = "select count(*) from (select * from {} except all select * from {})"
    pairs = (("_anchor", "_here"), ("_here", "_anchor"))
    return not any(con.execute(differ.format(*pair)).fetchone()[0] for pair in pairs)


def measure(db: Path, anchor: str, rounds: int) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    con.execute("set enable_progress_bar = false")
    con.execute(f"create temp table build_weeks as {ALL_WEEKS}")  # the week-kept mart built whole
    records = con.execute("select count(*) from records").fetchone()[0]
    models = {}
    for name, sql in sql_models():
        if name.startswith("stg_"):
            con.execute(f"create or replace temp view {name} as\n{sql}")
            continue
        if name == "mart_records":  # kept row by row, not rebuilt: its change detection is not a model build
            continue
        old = _anchor_sql(anchor, name)
        seconds: dict[str, list[float]] = {"anchor": [], "here": []}
        for _ in range(rounds):
            seconds["anchor"].append(_build(con, "_anchor", old))
            seconds["here"].append(_build(con, "_here", sql))
        models[name] = {
            "sql_changed": old != sql,
            "anchor_s": round(statistics.median(seconds["anchor"]), 3),
            "here_s": round(statistics.median(seconds["here"]), 3),
            "identical": _same(con),
            "rows": con.execute("select count(*) from _here").fetchone()[0],
            "kept_by_week": name in BY_WEEK,
        }
        print(name, models[name], flush=True)
    whole = [m for m in models.values() if not m["kept_by_week"]]  # what every run, the weekly job's too, builds
    total = {side: round(sum(m[f"{side}_s"] for m in whole), 3) for side in ("anchor", "here")}
    return {
        "db": str(db),
        "records": records,
        "anchor": anchor,
        "rounds": rounds,
        "models": models,
        "total": total,
        "claims": {
            "every_table_identical": all(m["identical"] for m in models.values()),
            "no_changed_model_slower_than_anchor_by_5_percent": all(
                m["here_s"] <= m["anchor_s"] * TOLERANCE for m in models.values() if m["sql_changed"]
            ),
            "marts_faster_than_anchor": total["here"] < total["anchor"],
            "speedup": round(total["anchor"] / total["here"], 2) if total["here"] else None,
        },
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    scale = Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))
    parser.add_argument("--db", type=Path, default=scale / "bench" / "1M" / "demandlab.duckdb")
    parser.add_argument("--anchor", default=ANCHOR)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not args.db.exists():
        raise SystemExit(f"{args.db}: no such database (python -m bench.scale --sizes 1000000 builds it)")
    result = measure(args.db, args.anchor, args.rounds)
    write_result("marts_speed", result)
    return result


if __name__ == "__main__":
    main()
