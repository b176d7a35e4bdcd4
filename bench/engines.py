"""One process against Spark local[1] and local[2]: the same stage functions over a million records.

The job (what the issue "Province scale" measured by hand): the 1,000,000-record district of bench/scale.py
(``$DEMANDLAB_SCALE_DIR/bench/1M``, its records and fitted theme model), its records as Parquet, segmented with
the project's segmenter, assigned to the district's themes (the model's bytes and the override-aware cluster map:
``pipeline.contexts.assign``), and counted per grid × ISO week × theme. Three ways, each in a process of its own
under /usr/bin/time (wall and CPU seconds of the whole process tree — driver, JVM and Python workers — and the
largest process's peak memory):

* **one process**: the stage functions over 100,000-record Arrow batches of the Parquet file, in this process
  (no worker processes), the counts in polars;
* **Spark local[1]** and **local[2]**: ``demandlab.spark.stages.map_chain`` of the same functions — segment
  then assign in one ``mapInArrow``, one Python process a task — the counts by ``groupBy``.

Why one ``mapInArrow`` and not two: two in a row run two Python processes for each task, the second fed the
first's rows through the JVM, so local[1] already kept both cores busy (segment in one process, assign in the
other) and local[2] had nothing to add — the first recording of this bench (local[2]/local[1] 1.02) measured that,
not the stages. Traced batch by batch (10,000 rows: ~0.1 s segment, ~0.15 s assign), each Python process is busy
all the time in both modes; with one process a task, two tasks run side by side at local[2].

CPU seconds two ways: ``cpu_s`` from /usr/bin/time (the process tree, children counted when waited for — Spark
kills its Python workers at stop without waiting, so their CPU is missing there: local[1]'s cpu_s came out below
its own job's time) and ``machine_cpu_s``, every core's busy time on the machine while the way ran (from
/proc/stat; the bench runs nothing else, so what the machine did is what the way did, and a little background).

Each way also reports ``job_s``, the job alone (the Spark action from reading the Parquet file to the counts, or
one process's loop), without the process's start, the contexts and Spark's JVM (about 18 s of fixed cost at
local[2] on this machine: contexts 5, JVM 9, the output columns learned on the driver 4).

The counts are compared cell for cell (all three must be equal). The claim: the ratio of local[2]'s job time to
local[1]'s shows the stages scale with executors (2 cores: at best 0.5); Spark is not expected to beat one
process on one machine — its value is running on many.

Run: ``.venv/bin/python -m bench.engines [--rounds N]`` after ``bench.scale --sizes 1000000`` built the district
(records: bench/results/engines.json). ``--job WAY --parquet P --db D --out O`` is one way, run by the bench.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from bench._common import write_result
from bench.scale import _provenance, _timed

WAYS = ("one_process", "local[1]", "local[2]")
BATCH_ROWS = 100_000
COUNT_KEYS = ["grid_id", "week_start", "theme_id"]
TOKEN_COLUMNS = ["source", "record_id", "content_hash", "tokens"]
RECORD_COLUMNS = "source, record_id, content_hash, title, text, address, building, grid_id, week_start"


def _contexts(db: Path):
    """The segment and assign contexts of the district's database (its model beside it, in ``models``)."""
    import demandlab as dl
    from demandlab.config import Config, PathsConfig
    from demandlab.pipeline import contexts

    config = Config(paths=PathsConfig(db=db, models=db.parent / "models"))
    with dl.connect(db, read_only=True) as store:
        pipe = dl.Pipeline(store, config)
        version, model = pipe.current_model()
        segment = contexts.segment(store, config)
        assign = contexts.assign(store, config, version, model, pipe.overrides())
    return segment, assign


def _one_process(parquet: Path, segment, assign, timing: dict) -> pl.DataFrame:
    from demandlab.stages import STAGES

    started, parts = time.perf_counter(), []
    for batch in pq.ParquetFile(parquet).iter_batches(BATCH_ROWS):
        records = pl.from_arrow(batch)
        tokens = STAGES["segment"].fn(records.drop("grid_id", "week_start"), segment)
        themes = STAGES["assign"].fn(tokens.select(TOKEN_COLUMNS), assign)
        parts.append(records.select("source", "record_id", "grid_id", "week_start").join(
            themes.select("source", "record_id", "theme_id"), on=["source", "record_id"]))  # fmt: skip
    counts = pl.concat(parts).group_by(COUNT_KEYS).agg(n=pl.len().cast(pl.Int64))
    timing["job_s"] = round(time.perf_counter() - started, 1)
    return counts


def _spark(parquet: Path, segment, assign, master: str, timing: dict) -> pl.DataFrame:
    from demandlab.spark.session import session
    from demandlab.spark.stages import map_chain, output_schema
    from demandlab.stages import STAGES

    text = pl.from_arrow(next(pq.ParquetFile(parquet).iter_batches(20))).drop("grid_id", "week_start")
    tokens_sample = STAGES["segment"].fn(text, segment).select(TOKEN_COLUMNS)
    # a few dozen splits of the file, so that every core has tasks (one split per 128 MB would be three)
    spark = session(master, app="demandlab-bench-engines", conf={"spark.sql.files.maxPartitionBytes": "16m"})
    records = spark.read.parquet(str(parquet))
    steps = [("segment", segment, None), ("assign", assign, TOKEN_COLUMNS)]
    themes = map_chain(records.drop("grid_id", "week_start"), steps, output_schema("assign", assign, tokens_sample))
    counts = (
        records.select("source", "record_id", "grid_id", "week_start")
        .join(themes.select("source", "record_id", "theme_id"), on=["source", "record_id"])
        .groupBy(*COUNT_KEYS)
        .count()
        .withColumnRenamed("count", "n")
    )
    started = time.perf_counter()
    out = pl.from_arrow(counts.toArrow())
    timing["job_s"] = round(time.perf_counter() - started, 1)
    _stop(spark)
    return out.with_columns(pl.col("n").cast(pl.Int64))


def _stop(spark) -> None:
    """Stop Spark and wait for its JVM to exit, so that its CPU time (and that of the Python workers it waited
    for) is counted in this process tree's: the JVM leaves when its stdin closes."""
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    spark.stop()
    proc = getattr(gateway, "proc", None)
    if proc is not None:
        proc.stdin.close()
        proc.wait(timeout=300)


def _job(way: str, parquet: Path, db: Path, out: Path) -> None:
    started = time.perf_counter()
    segment, assign = _contexts(db)
    timing: dict[str, float] = {}
    if way == "one_process":
        counts = _one_process(parquet, segment, assign, timing)
    else:
        counts = _spark(parquet, segment, assign, way, timing)
    counts.with_columns(pl.col("theme_id").cast(pl.Int32)).sort(COUNT_KEYS).write_parquet(out)
    timing["process_s"] = round(time.perf_counter() - started, 1)
    out.with_suffix(".json").write_text(json.dumps(timing), encoding="utf-8")


def _machine_cpu_s() -> float:
    """Busy CPU seconds of every core since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    user, nice, system, _idle, _iowait, irq, softirq = fields
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _export(db: Path, parquet: Path) -> int:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    con.execute(f"copy (select {RECORD_COLUMNS} from records order by source, record_id) to '{parquet}' "
                f"(format parquet, row_group_size {BATCH_ROWS})")  # fmt: skip
    n = con.execute(f"select count(*) from read_parquet('{parquet}')").fetchall()[0][0]
    con.close()
    return n


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=1, help="runs of each way, alternately (the faster is kept)")
    parser.add_argument("--job", choices=WAYS, help=argparse.SUPPRESS)
    parser.add_argument("--parquet", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.job:
        _job(args.job, args.parquet, args.db, args.out)
        return None
    root = Path(os.environ.get("DEMANDLAB_SCALE_DIR", "/tmp/demandlab-scale"))
    db = root / "bench" / "1M" / "demandlab.duckdb"
    if not db.exists():
        raise SystemExit(f"{db} is missing: build it first with python -m bench.scale --sizes 1000000")
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        parquet = work / "records.parquet"
        records = _export(db, parquet)
        runs: dict[str, list[dict]] = {way: [] for way in WAYS}
        counts: dict[str, pl.DataFrame] = {}
        for _ in range(args.rounds):
            for way in WAYS:
                out = work / f"counts-{way.replace('[', '').replace(']', '')}.parquet"  # no glob in the name
                argv_ = [sys.executable, "-m", "bench.engines", "--job", way, "--parquet", str(parquet),
                         "--db", str(db), "--out", str(out)]  # fmt: skip
                busy = _machine_cpu_s()
                timed = _timed(way, argv_, cwd=Path(__file__).resolve().parents[1])
                timed["machine_cpu_s"] = round(_machine_cpu_s() - busy, 1)
                runs[way].append({**timed, **json.loads(out.with_suffix(".json").read_text("utf-8"))})
                counts[way] = pl.read_parquet(out)
        equal = all(counts[way].equals(counts["one_process"]) for way in WAYS)
        best = {way: min(r, key=lambda x: x["wall_s"]) for way, r in runs.items()}
        result = {
            "records": records,
            "cells": counts["one_process"].height,
            "counts_equal": equal,
            "ways": {way: {**best[way], "wall_s_runs": [r["wall_s"] for r in runs[way]]} for way in WAYS},
            # the job (segment, assign and count: the Spark action, or the loop of one process) without the
            # process's start, contexts and Spark's JVM: what executors share
            "ratio_local2_to_local1_job": round(best["local[2]"]["job_s"] / best["local[1]"]["job_s"], 3),
            "ratio_local2_to_local1_wall": round(best["local[2]"]["wall_s"] / best["local[1]"]["wall_s"], 3),
            "ratio_local2_to_one_process_job": round(best["local[2]"]["job_s"] / best["one_process"]["job_s"], 3),
            "ratio_local2_to_one_process_wall": round(best["local[2]"]["wall_s"] / best["one_process"]["wall_s"], 3),
            "measured": _provenance(),
        }
        write_result("engines", result)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
