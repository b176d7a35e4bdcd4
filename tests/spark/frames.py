"""Runs of the whole pipeline on an engine, and frames compared between engines in one order whatever order each
engine gave its rows in."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import demo_config
from demandlab.marts.build import sql_models
from demandlab.signals.stage import SIGNAL_MARTS_ORDER

#: What the stages derive (the rows stages: records, tokens, assignments, record_places; then the model's themes,
#: the marts and the signal marts); batches and runs say where and when files were loaded, which differs.
DERIVED_TABLES = (
    "records",
    "tokens",
    "assignments",
    "record_places",
    "themes",
    *(name for name, _ in sql_models()),
    *SIGNAL_MARTS_ORDER,
)


def in_order(frame: pl.DataFrame, floats: bool = True) -> pl.DataFrame:
    """Rows sorted by every column but lists (and floats with ``floats=False``: a float computed by two engines may
    differ in its last bit, so it cannot order rows compared with a tolerance)."""
    keys = [c for c, t in frame.schema.items() if not isinstance(t, pl.List) and (floats or t != pl.Float64)]
    return frame.sort(keys, nulls_last=True)


def same_table(got: pl.DataFrame, want: pl.DataFrame) -> None:
    """Equal rows whatever their order; ``cleaned_at`` (the moment each engine's run stamped) left out."""
    from polars.testing import assert_frame_equal

    if "cleaned_at" in want.columns:
        got, want = got.drop("cleaned_at"), want.drop("cleaned_at")
    assert_frame_equal(in_order(got), in_order(want))


def engine_run(root: Path, engine: str, exports: list[Path], registry: Path | None = None,
               salt_from: Path | None = None) -> dict:  # fmt: skip
    """``exports`` (and the grid ``registry``) through every stage with ``engine`` (Spark: local[2], the session the
    tests share) in a database under ``root``; ``salt_from``: the salt file of another run (the same contact keys).
    Returns the store, config, run report and, under Spark, the stages that ran in it (rows stages once a batch
    stream, key stages once a call)."""
    import demandlab.spark.stages as spark_stages
    from demandlab.spark.rows import SparkRows

    cfg = demo_config(root / "data", root / "reports")
    cfg = dataclasses.replace(cfg, engine=dataclasses.replace(cfg.engine, name=engine, spark_master="local[2]"))
    if salt_from is not None:
        cfg.privacy.salt_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(salt_from, cfg.privacy.salt_file)
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    if registry is not None:
        pipe.load_grids(registry)
    for path in exports:
        pipe.ingest(path)
    in_spark: list[str] = []
    run = SparkRows._run

    def counted(self, frames):
        in_spark.append(self.stage)
        yield from run(self, frames)

    runner = spark_stages.key_runner

    def counting_runner(spark, buckets=None):
        run_key = runner(spark, buckets)

        def counted_key(name, frame, ctx):
            in_spark.append(name)
            return run_key(name, frame, ctx)

        return counted_key

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SparkRows, "_run", counted)
        patch.setattr(spark_stages, "key_runner", counting_runner)
        summary = pipe.run()
    return {"store": store, "config": cfg, "summary": summary, "in_spark": in_spark}
