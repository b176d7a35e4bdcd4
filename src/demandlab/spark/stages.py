"""The stages of :mod:`demandlab.stages` inside Spark: the same functions, split as each declares.

* a ``rows`` stage (clean, segment, assign, locate) runs in ``mapInArrow``: each Arrow batch of each
  partition becomes a polars frame, goes through ``stage.fn(frame, ctx)`` and comes back as Arrow;
* a ``key`` stage (多人同诉 by place × theme, 一人多诉 by person, repeats by block) runs in
  ``groupBy(bucket).applyInArrow``: rows are sent to one of ``buckets`` groups by a hash of the stage's key, so
  every value of the key stays together (what the stage promises to need) in a few large calls instead of one
  per value;
* a ``global`` stage (the theme fit, surge scoring, hot issues) is not split: it runs on the driver.

The context travels with the function (Spark pickles it once per stage and ships it to the executors); heavy
objects built from it — the segmenter, the fitted model from its bytes — are built once per executor process
by the stages' own caches, as in a worker of :class:`demandlab.pipeline.batches.RowsPool`.

A stage that fails raises :class:`StageFailed` with the exception's type and place, never its message (which may
quote a record, and which Spark would print in its logs).

A stage's output columns must be known before it runs: :func:`output_schema` runs it on the driver over a few
input rows (``sample``) and takes its frame's schema; each batch's output is cast to it.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from typing import Any

import polars as pl
import pyarrow as pa

from ..stages import STAGES, Stage
from .session import from_arrow

#: Groups a key stage's rows are sent to (each holds whole values of the key).
KEY_BUCKETS = 8


def _stage(name: str, partition: str) -> Stage:
    stage = STAGES[name]
    if stage.partition != partition:
        raise ValueError(f"the stage {name} is split by {stage.partition!r}, not {partition!r}")
    return stage


def output_schema(name: str, ctx: Any, sample: pl.DataFrame) -> Any:
    """The Spark schema of the stage ``name``'s output: the stage run on ``sample`` (a few input rows)."""
    return spark_schema(STAGES[name].fn(sample, ctx))


def spark_schema(frame: pl.DataFrame) -> Any:
    """The Spark schema of a frame (:func:`arrow_for_spark` types; timestamps without a zone stay so)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(arrow_for_spark(frame.head(0).to_arrow()).schema)


def arrow_for_spark(table: pa.Table) -> pa.Table:
    """``table`` with polars' large and view strings as plain strings and its unsigned integers (``pl.len()``
    counts in UInt32) as the signed ones that hold them: what Spark's Arrow exchange takes."""

    def plain(t: pa.DataType) -> pa.DataType:
        if pa.types.is_unsigned_integer(t):
            return {8: pa.int16(), 16: pa.int32()}.get(t.bit_width, pa.int64())
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            return pa.string()
        if pa.types.is_large_binary(t) or pa.types.is_binary_view(t):
            return pa.binary()
        if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_list_view(t):
            return pa.list_(plain(t.value_type))
        return t

    return table.cast(pa.schema([pa.field(f.name, plain(f.type), f.nullable) for f in table.schema]))


def _out(table: pa.Table, schema: pa.Schema) -> pa.Table:
    return arrow_for_spark(table).select(schema.names).cast(schema)


class StageFailed(RuntimeError):
    """A stage failed inside Spark: its name, the exception's type and where (never its message, which may quote
    a record: Spark would print it in its logs and the driver's error)."""


def _guarded(name: str, fn, frame: pl.DataFrame, ctx: Any) -> pl.DataFrame:
    from ..pipeline._rows_worker import where

    try:
        return fn(frame, ctx)
    except Exception as exc:
        raise StageFailed(f"stage {name} failed in Spark: {where(exc)}") from None


def map_rows(frame: Any, name: str, ctx: Any, schema: Any) -> Any:
    """The rows stage ``name`` over the Spark DataFrame ``frame`` (``mapInArrow``); ``schema``:
    :func:`output_schema`."""
    return map_chain(frame, [(name, ctx, None)], schema)


def map_chain(frame: Any, steps: Sequence[tuple[str, Any, Sequence[str] | None]], schema: Any) -> Any:
    """Rows stages one after another in **one** ``mapInArrow``: each step ``(name, ctx, columns)`` reads the
    previous one's output (narrowed to ``columns``, None: all); ``schema``: the last step's output.

    Two ``mapInArrow`` in a row would run two Python processes for each task, the second fed the first's rows
    through the JVM: two cores busy in one task slot, while executors are sized at one core a task
    (``spark.task.cpus``). One process a task keeps that true — and the stages' work shared by the executors'
    cores (``bench/engines.py``: segment → assign on local[1] and local[2])."""
    from pyspark.sql.pandas.types import to_arrow_schema

    chain = [(name, _stage(name, "rows").fn, ctx, list(columns) if columns else None) for name, ctx, columns in steps]
    target = to_arrow_schema(schema)

    def apply(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if batch.num_rows:
                out = pl.from_arrow(batch)
                for name, fn, ctx, columns in chain:
                    out = _guarded(name, fn, out.select(columns) if columns else out, ctx)
                yield from _out(out.to_arrow(), target).to_batches()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return frame.mapInArrow(apply, schema)


def map_groups(frame: Any, name: str, ctx: Any, schema: Any, buckets: int = KEY_BUCKETS) -> Any:
    """The key stage ``name`` over ``frame``, every value of its key in one call (``applyInArrow`` over
    ``buckets`` hash groups of the key); ``schema``: :func:`output_schema`."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_schema

    stage = _stage(name, "key")
    fn, target, columns = stage.fn, to_arrow_schema(schema), frame.columns

    def apply(table: pa.Table) -> pa.Table:
        if not table.num_rows:
            return target.empty_table()
        return _out(_guarded(name, fn, pl.from_arrow(table.select(columns)), ctx).to_arrow(), target)

    bucket = F.pmod(F.xxhash64(*[F.col(k) for k in stage.key]), F.lit(buckets)).alias("_bucket")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return frame.select("*", bucket).groupBy("_bucket").applyInArrow(apply, schema)


def key_runner(spark: Any, buckets: int | None = None) -> Any:
    """A :data:`demandlab.stages.KeyRunner` running each key stage in ``spark`` (:func:`map_groups` over
    ``buckets`` groups, default two a core): the frame handed to Spark through Arrow, the stage's output back in
    the column types one process gives (learned from the stage run here on no rows)."""

    def run(name: str, frame: pl.DataFrame, ctx: Any) -> pl.DataFrame:
        shape = _stage(name, "key").fn(frame.head(0), ctx)
        if frame.is_empty():
            return shape
        groups = buckets or 2 * max(1, spark.sparkContext.defaultParallelism)
        rows = from_arrow(spark, arrow_for_spark(frame.to_arrow()))
        out = map_groups(rows, name, ctx, spark_schema(shape), buckets=groups).toArrow()
        return pl.from_arrow(out).cast(shape.schema) if out.num_rows else shape

    return run


__all__ = [
    "KEY_BUCKETS",
    "StageFailed",
    "arrow_for_spark",
    "key_runner",
    "map_chain",
    "map_groups",
    "map_rows",
    "output_schema",
    "spark_schema",
]
