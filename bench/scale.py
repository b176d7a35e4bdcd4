"""Ten million records on one machine: every stage's wall and CPU seconds and peak memory, and the weekly job.

For each size (synthetic districts that grow grids, communities and streets with the records,
seed 11, data ending 2026-11-29), each step runs as its own process under ``/usr/bin/time`` (peak
RSS includes the worker processes it waited for):

* ``ingest`` every export with the registry; then the stages of ``run`` one by one — ``clean``
  (+ mask), ``segment``, ``themes`` (fit on the window's sample, assign every record), ``marts``,
  ``signals`` (places, alerts, repeats, hot issues, surge scores); ``report`` (the district's HTML);
* ``weekly``: a copy of the database with 20,000 new work orders for the next week in the inbox,
  ``demandlab weekly`` as the scheduler runs it (ingest, stages, report, summary).

Claims (issue "Ten million records"): peak RSS at 10 M under 8 GiB and growing with exponent under 0.3
from 1 M to 10 M; the weekly job under 30 s on each database, growing with exponent under 0.2.
Anchor: the 1 M district in the same run (the exponents are against it); the code before batching
is measured in ../shared/docs/measurements.md (run: 1.1 / 4.7 / 12.9 GiB at 0.1 / 1 / 3 M).

``--compare N`` also runs an N-record district twice — one batch in one process, and 20,000-row
batches in two worker processes — and records whether every table and mart is identical.

Run: .venv/bin/python -m bench.scale --sizes 1000000,3000000 [--compare 200000]
Sizes not measured by a run are kept as recorded in bench/results/scale.json; each size says when and
by which commit it was measured (``measured``; its weekly figures too when ``--weekly`` measured them again).
(``--weekly``: the weekly job alone again on the databases built before, e.g. after a change to it; with
``--anchor REF [--rounds N]`` the weekly job of commit REF's code runs beside it, alternately, on copies of the
same database, and is recorded as the size's ``weekly.anchor``;
``--weekly --weekly-limits 4GB,2GB [--rounds N]``: the weekly job of this checkout with each DuckDB memory limit,
alternately, recorded as the size's ``weekly_memory_limits``; ``--sizes "" --compare 200000``: only the
comparison; ``--sizes 10000000``: add 10M to 1M and 3M; ``--steps signals,ingest``: those steps of the build
measured again, from scratch (signals on a copy of each database), the rest kept; with ``--weekly`` before it.)
(about 10 minutes per million records; districts are kept in $DEMANDLAB_SCALE_DIR, default
/tmp/demandlab-scale, as synth-1M, synth-3M, synth-10M, and reused.)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

from bench._common import RESULTS, write_result

END = dt.date(2026, 11, 29)
SEED = 11
NEW = 20_000
STAGES = ("clean", "segment", "themes", "marts", "signals")
TIMES = ("来电时间", "受理时间", "反馈时间", "办结时间", "办结期限")
ENV = {"DEMANDLAB_SALT": "bench-salt", "DEMANDLAB_NOW": f"{END + dt.timedelta(days=1)}T06:00:00"}


def _label(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n // 1_000}k"


def _cli() -> str:
    return str(Path(sys.executable).with_name("demandlab"))


def _timed(name: str, argv: list[str], env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run ``argv`` under /usr/bin/time: wall and CPU seconds and peak RSS (GiB)."""
    fmt = "__time__ %e %U %S %M"
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", fmt, *argv],
        env={**os.environ, **ENV, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    line = next((x for x in done.stderr.splitlines()[::-1] if x.startswith("__time__")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr[-3000:]}")
    wall, user, system, rss_kb = line.split()[1:]
    out = {
        "wall_s": round(float(wall), 1),
        "cpu_s": round(float(user) + float(system), 1),
        "peak_gib": round(int(rss_kb) / 2**20, 2),
    }
    print(f"    {name}: {out} (measured {time.perf_counter() - started:.0f} s)", flush=True)
    return out


def _synth(root: Path, n: int) -> tuple[Path, dict | None]:
    folder = root / f"synth-{_label(n)}"
    if (folder / "truth" / "truth.json").exists():
        return folder, None
    shutil.rmtree(folder, ignore_errors=True)
    argv = [_cli(), "synth", "--out", str(folder), "--records", str(n), "--seed", str(SEED), "--end", str(END)]
    return folder, _timed("synth", [*argv, "--workers", "2"])


def _exports(folder: Path) -> list[str]:
    return sorted(str(p) for p in (folder / "exports").iterdir() if p.suffix in (".csv", ".xlsx", ".jsonl"))


def stage(db: str, name: str, memory_limit: str | None = None) -> None:
    """One stage of ``run`` on ``db`` in this process (what each timed step calls); ``memory_limit``: DuckDB's
    instead of the configured default (bench/memory_limit.py)."""
    from dataclasses import replace

    import demandlab as dl
    from demandlab.config import Config

    with dl.connect(db) as store:
        config = Config().with_db(db)
        if memory_limit:
            config = replace(config, engine=replace(config.engine, memory_limit=memory_limit))
        pipe = dl.Pipeline(store, config)
        if name == "signals":
            pipe.signals()
        else:
            getattr(pipe, name)()


def _build(root: Path, folder: Path, n: int) -> tuple[Path, dict]:
    work = root / "bench" / _label(n)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "demandlab.duckdb"
    steps = {}
    cli = _cli()
    steps["ingest"] = _timed(
        "ingest", [cli, "ingest", "--db", str(db), "--grids", str(folder / "grids.csv"), *_exports(folder)]
    )
    for name in STAGES:
        steps[name] = _timed(name, [sys.executable, "-m", "bench.scale", "stage", str(db), name], cwd=_here())
    steps["report"] = _timed("report", [cli, "report", "--db", str(db), "--out", str(work / "全区.html")])
    return db, steps


def _here() -> Path:
    return Path(__file__).resolve().parents[1]


def _new_week(folder: Path, out: Path, n: int) -> str:
    """``n`` work orders of the district re-dated into the week after the data's end, under new ids."""
    from demandlab.ingest import read_table  # the exports' own encoding (a 12345 export may be GB18030)

    first = sorted((folder / "exports").glob("hotline_12345*.csv"))[0]
    orders = read_table(first).frame.drop("__row")
    orders = orders.filter(pl.col("来电时间").is_not_null() & pl.col("网格").is_not_null()).head(n)
    called = pl.col("来电时间").str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False)
    monday = END + dt.timedelta(days=1)
    offset = (called - called.dt.truncate("1w")).dt.total_seconds() * 4 / 7
    moved = pl.lit(dt.datetime.combine(monday, dt.time())) + pl.duration(seconds=offset.cast(pl.Int64))
    shift = moved - called
    orders = orders.filter(called.is_not_null()).with_columns(
        [
            (pl.col(c).str.to_datetime("%Y/%m/%d %H:%M:%S", strict=False) + shift).dt.strftime("%Y/%m/%d %H:%M:%S")
            for c in TIMES
        ]
    )
    orders.with_columns(pl.col("工单编号") + "-N").write_csv(out)
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def _copy_db(db: Path, into: Path) -> None:
    """``db`` and its restricted file, under the same names, into the folder ``into``."""
    shutil.copy(db, into / db.name)
    restricted = db.with_name(db.name + ".restricted.duckdb")
    if restricted.exists():
        shutil.copy(restricted, into / restricted.name)


def _weekly(folder: Path, db: Path, n: int, env: dict | None = None, memory_limit: str | None = None) -> dict:
    site = db.parent / "weekly"
    shutil.rmtree(site, ignore_errors=True)
    (site / "data" / "inbox").mkdir(parents=True)
    _copy_db(db, site / "data")
    week = _new_week(folder, site / "data" / "inbox" / "工单导出_新一周.csv", n)
    (site / "demandlab.toml").write_text(
        '[paths]\ndb = "data/demandlab.duckdb"\n'
        f'models = "{db.parent / "models"}"\n'
        'inbox = "data/inbox"\narchive = "data/archive"\nreports = "reports"\nlogs = "data/logs"\n'
        + (f'[engine]\nmemory_limit = "{memory_limit}"\n' if memory_limit else ""),
        encoding="utf-8",
    )
    year, number = (int(x) for x in week.split("-W"))
    monday_after = dt.date.fromisocalendar(year, number, 1) + dt.timedelta(weeks=1)
    out = _timed(
        "weekly",
        [_cli(), "weekly", "--config", str(site / "demandlab.toml"), "--week", week],
        env={"DEMANDLAB_NOW": f"{monday_after}T06:00:00", **(env or {})},
        cwd=site,
    )
    summary = json.loads((site / "reports" / week / "run-summary.json").read_text("utf-8"))
    shutil.rmtree(site)
    return {
        **out,
        "week": week,
        "rows_read": summary["rows_read"],
        "rows_accepted": summary["rows_accepted"],
        "rows_rejected": summary["rows_rejected"],
        "stage_seconds": summary["timings"],
    }


def _facts(db: Path) -> dict:
    import demandlab as dl

    with dl.connect(db, read_only=True) as store:
        return {
            "records": store.count("records"),
            "grids": store.count("grids"),
            "communities": store.scalar("select count(distinct community) from grids"),
            "streets": store.scalar("select count(distinct street) from grids"),
            "themes": store.scalar("select count(*) from themes where theme_id >= 0 and status = 'active'"),
            "fit_records": store.scalar("select max(n_records) from theme_models"),
            "db_mib": round(db.stat().st_size / 2**20),
        }


def _compare(root: Path, n: int) -> dict:
    """An ``n``-record district run twice: one batch in one process, and 20,000-row batches in two workers."""
    folder, _ = _synth(root, n)
    runs = {}
    for name, batch, workers in (("whole", 10**9, 1), ("batched", 20_000, 2)):
        work = root / "bench" / f"compare-{name}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        db = work / "demandlab.duckdb"
        config = work / "demandlab.toml"
        config.write_text(
            f'[paths]\ndb = "demandlab.duckdb"\n[text]\nworkers = {workers}\n[engine]\nbatch_rows = {batch}\n', "utf-8"
        )
        cli = _cli()
        _timed(f"{name} ingest", [cli, "ingest", "--config", str(config), "--grids", str(folder / "grids.csv"),
                                  *_exports(folder)])  # fmt: skip
        runs[name] = {"run": _timed(f"{name} run", [cli, "run", "--config", str(config)]), "db": db}
    import demandlab as dl

    equal = {}
    with dl.connect(runs["whole"]["db"], read_only=True) as a, dl.connect(runs["batched"]["db"], read_only=True) as b:
        marts = [t for t in a.tables() if t.startswith("mart_")]
        tables = ["records", "tokens", "assignments", "record_places", *marts]
        for table in tables:
            left, right = a.table(table), b.table(table)
            drop = [c for c in ("cleaned_at", "assigned_at") if c in left.columns]
            left, right = left.drop(drop), right.drop(drop)
            key = [c for c in left.columns if not isinstance(left.schema[c], pl.List)]
            equal[table] = left.columns == right.columns and left.sort(key, nulls_last=True).equals(
                right.sort(key, nulls_last=True)
            )
    print(f"  compare {n}: {sum(equal.values())} of {len(equal)} tables equal", flush=True)
    return {
        "records": n,
        "whole_run": runs["whole"]["run"],
        "batched_run": runs["batched"]["run"],
        "tables_equal": equal,
    }


def _provenance() -> dict:
    """When and by which commit a size was measured (sizes measured by different runs share one file)."""

    # "-dirty": the tree held changes the commit does not (what was measured is then the commit and those);
    # results recorded under bench/results by an earlier benchmark of the same session do not count
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=_here(), capture_output=True, text=True).stdout.strip()

    commit = git("describe", "--always")
    if commit and git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results"):
        commit += "-dirty"
    return {"at": dt.datetime.now().isoformat(timespec="seconds"), "commit": commit or None}


#: Steps ``--steps`` can measure again, each from scratch as the build runs it.
AGAIN = ("ingest", "signals")


def _step_again(folder: Path, db: Path, name: str) -> dict:
    """The build's step ``name`` measured again (e.g. after a change to it): ``ingest`` every export into a new
    database; ``signals`` on a copy of the size's database with the place finder forgotten, so every record is
    located again and the signal marts are computed whole, as after ``marts`` in a build."""
    if name not in AGAIN:
        raise SystemExit(f"--steps: only {', '.join(AGAIN)} can be measured again, not {name!r}")
    work = db.parent / "again"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    copy = work / db.name
    try:
        if name == "ingest":
            argv = [_cli(), "ingest", "--db", str(copy), "--grids", str(folder / "grids.csv"), *_exports(folder)]
            return {**_timed(name, argv), "measured": _provenance()}
        _copy_db(db, work)
        import duckdb

        con = duckdb.connect(str(copy))
        con.execute("delete from meta where key = 'place_finder'")
        con.close()
        out = _timed(name, [sys.executable, "-m", "bench.scale", "stage", str(copy), name], cwd=_here())
        return {**out, "measured": _provenance()}
    finally:
        shutil.rmtree(work)


def _anchor_src(ref: str, into: Path) -> Path:
    """The ``src`` folder of commit ``ref`` (``git archive``), to run the weekly job of that code."""
    shutil.rmtree(into, ignore_errors=True)
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "src"], cwd=_here(), capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def _weekly_against(folder: Path, db: Path, anchor: Path, ref: str, rounds: int) -> dict:
    """The weekly job of this checkout and of the anchor's code, alternately, ``rounds`` times each, on copies of
    one database: this checkout's run of median wall time (of an even number, the faster of the middle two), with
    the anchor's beside it."""
    here, there = [], []
    for _ in range(rounds):
        there.append(_weekly(folder, db, NEW, env={"PYTHONPATH": str(anchor)}))
        here.append(_weekly(folder, db, NEW))

    def median_run(runs: list[dict]) -> dict:
        return sorted(runs, key=lambda r: r["wall_s"])[(len(runs) - 1) // 2]

    walls = [r["wall_s"] for r in here]
    return {
        **median_run(here),
        "rounds": rounds,
        "wall_s_runs": walls,
        "anchor": {"commit": ref, **median_run(there), "wall_s_runs": [r["wall_s"] for r in there]},
    }


def _weekly_limits(folder: Path, db: Path, limits: list[str], rounds: int) -> dict:
    """The weekly job of this checkout with each of DuckDB's memory ``limits`` (``engine.memory_limit``), the
    limits alternating, ``rounds`` times each, on copies of one database: per limit, its run of median wall time
    and every run's wall time and peak."""
    runs: dict[str, list[dict]] = {limit: [] for limit in limits}
    for _ in range(rounds):
        for limit in limits:
            runs[limit].append(_weekly(folder, db, NEW, memory_limit=limit))
    return {
        limit: {
            **sorted(done, key=lambda r: r["wall_s"])[(len(done) - 1) // 2],
            "wall_s_runs": [r["wall_s"] for r in done],
            "peak_gib_runs": [r["peak_gib"] for r in done],
        }
        for limit, done in runs.items()
    } | {"rounds": rounds, "measured": _provenance()}


def _exponent(small: float, large: float, ratio: float) -> float:
    return round(math.log(large / small) / math.log(ratio), 3) if small > 0 and large > 0 else float("nan")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,3000000,10000000")
    parser.add_argument("--compare", type=int, default=0, help="records of the batched-vs-whole district (0: skip)")
    parser.add_argument("--reuse", action="store_true", help="take the sizes already in the partial result as done")
    parser.add_argument(
        "--weekly",
        action="store_true",
        help="measure only the weekly job again, on the databases built before (their build figures kept from "
        "bench/results/scale.json, with the commit that built them)",
    )
    parser.add_argument(
        "--anchor",
        help="with --weekly: the commit whose weekly job runs beside this checkout's, alternately (e.g. 82577f5)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --anchor or --weekly-limits: runs of each")
    parser.add_argument(
        "--weekly-limits",
        help="with --weekly: instead of the anchor, this checkout's weekly job with each of these DuckDB memory "
        "limits (e.g. 4GB,2GB), alternately; recorded as the size's weekly_memory_limits",
    )
    parser.add_argument(
        "--steps",
        help="measure these steps of the build again, from scratch (signals on a copy of each database; "
        f"{', '.join(AGAIN)}); recorded in the size's steps with their own ``measured``",
    )
    args = parser.parse_args(argv)
    root = Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))
    root.mkdir(parents=True, exist_ok=True)
    sizes = [int(x) for x in args.sizes.split(",") if x]
    recorded = json.loads((RESULTS / "scale.json").read_text("utf-8")) if (RESULTS / "scale.json").exists() else {}
    # what this run does not measure is kept as recorded (each size says when and by which commit it was measured)
    measuring = set() if args.weekly or args.steps else {_label(n) for n in sizes}
    results: dict = {"sizes": {k: v for k, v in recorded.get("sizes", {}).items() if k not in measuring}}
    if "compare" in recorded and not args.compare:
        results["compare"] = recorded["compare"]
    partial = RESULTS / "scale.partial.json"
    if args.reuse and partial.exists():
        results = json.loads(partial.read_text("utf-8"))
    if args.weekly or args.steps:
        anchor = _anchor_src(args.anchor, root / "anchor") if args.anchor else None
        for n in sizes:
            label = _label(n)
            print(f"  {label} (again: {', '.join(filter(None, [args.steps, args.weekly and 'weekly']))})", flush=True)
            db, folder = root / "bench" / label / "demandlab.duckdb", root / f"synth-{label}"
            for name in args.steps.split(",") if args.steps else []:
                steps = results["sizes"][label]["steps"]
                steps[name] = _step_again(folder, db, name)
                results["sizes"][label]["peak_gib"] = max(s["peak_gib"] for s in steps.values())
            if not args.weekly:
                continue
            if args.weekly_limits:
                limits = args.weekly_limits.split(",")
                results["sizes"][label]["weekly_memory_limits"] = _weekly_limits(folder, db, limits, args.rounds)
                continue
            if anchor is None:
                weekly = _weekly(folder, db, NEW)
            else:
                weekly = _weekly_against(folder, db, anchor, args.anchor, args.rounds)
            results["sizes"][label]["weekly"] = {**weekly, "measured": _provenance()}
    for n in sizes:
        if _label(n) in results["sizes"]:
            continue
        print(f"  {_label(n)}", flush=True)
        folder, synth = _synth(root, n)
        db, steps = _build(root, folder, n)
        weekly = _weekly(folder, db, NEW)
        results["sizes"][_label(n)] = {
            "measured": _provenance(),
            "synth": synth,
            "steps": steps,
            "peak_gib": max(s["peak_gib"] for s in steps.values()),
            "weekly": weekly,
            **_facts(db),
        }
        partial.write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    if args.compare:
        results["compare"] = _compare(root, args.compare)
    sized = results["sizes"]
    claims = {}
    if "1M" in sized and "10M" in sized:
        one, ten = sized["1M"], sized["10M"]
        claims["peak_rss_10m_under_8gib"] = ten["peak_gib"] < 8
        claims["peak_rss_exponent_1m_to_10m"] = _exponent(one["peak_gib"], ten["peak_gib"], 10)
        claims["peak_rss_exponent_under_0_3"] = claims["peak_rss_exponent_1m_to_10m"] < 0.3
        claims["weekly_exponent_1m_to_10m"] = _exponent(one["weekly"]["wall_s"], ten["weekly"]["wall_s"], 10)
        claims["weekly_exponent_under_0_2"] = claims["weekly_exponent_1m_to_10m"] < 0.2
    if "1M" in sized and "3M" in sized:
        one, three = sized["1M"], sized["3M"]
        claims["peak_rss_exponent_1m_to_3m"] = _exponent(one["peak_gib"], three["peak_gib"], 3)
        claims["weekly_exponent_1m_to_3m"] = _exponent(one["weekly"]["wall_s"], three["weekly"]["wall_s"], 3)
    claims["weekly_under_30s"] = {k: v["weekly"]["wall_s"] < 30 for k, v in sized.items()}
    claims["weekly_rows_read_equal_accepted_plus_rejected"] = all(
        v["weekly"]["rows_read"] == v["weekly"]["rows_accepted"] + v["weekly"]["rows_rejected"] for v in sized.values()
    )
    if "compare" in results:
        claims["batched_equals_whole"] = all(results["compare"]["tables_equal"].values())
    partial.unlink(missing_ok=True)
    return write_result("scale", {**results, "claims": claims})


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "stage":
        stage(*sys.argv[2:])
    else:
        main()
