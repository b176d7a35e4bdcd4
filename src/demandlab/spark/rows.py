"""A rows stage of the pipeline run in Spark: ``engine.name = "spark"`` (``demandlab run --engine spark``).

The pipeline reads a stage's pending rows from DuckDB batch by batch, as it does for its own worker processes
(:func:`demandlab.pipeline.batches.run_rows`); :class:`SparkRows` takes those batches instead of a
:class:`~demandlab.pipeline.batches.RowsPool`:

1. each batch is written as a Parquet file into a private folder (mode 0700) beside the database — the rows of
   ``clean`` are the restricted raw rows, so the folder is the database's own (``<db>.spill``) and is removed when
   the stage ends, whatever happens;
2. Spark reads the folder and runs the stage over it in ``mapInArrow`` (:func:`.stages.map_rows`), writing its
   output as Parquet beside it;
3. the output comes back a batch at a time, in the column types the stage gives in one process, and the pipeline
   writes it as it writes its workers' (same transaction rules, same tables).

The records, marts and signals stay in the database; what Spark does is the stage's work. The rows are the same
rows as in one process (``tests/spark/test_pipeline.py`` runs the whole pipeline both ways and compares every
table). A cluster's executors must see the folder (a shared mount); ``local[N]`` always does.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.parquet as pq

from ..ingest.table import scratch_folder
from ..stages import STAGES
from .stages import arrow_for_spark, map_rows, spark_schema

#: Input rows the output's columns are learned from on the driver (the stage run on them there).
SAMPLE_ROWS = 20


class SparkRows:
    """The rows stage ``stage`` with ``ctx`` over batches, in ``spark``; Parquet exchanged in ``folder``."""

    def __init__(self, spark: Any, stage: str, ctx: Any, folder: Path, batch_rows: int) -> None:
        self.spark, self.stage, self.ctx, self.batch_rows = spark, stage, ctx, batch_rows
        self.folder = Path(folder) / f"spark-{stage}-{uuid.uuid4().hex[:12]}"

    def map(self, frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        """The stage's output of all ``frames``, a batch of at most ``batch_rows`` rows at a time (rows of one
        input batch may come back in another: the pipeline writes them by their record key)."""
        scratch_folder(self.folder.parent)
        self.folder.mkdir(mode=0o700)
        try:
            yield from self._run(frames)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
            if self.folder.parent.exists() and not any(self.folder.parent.iterdir()):
                self.folder.parent.rmdir()

    def _run(self, frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        inbox, outbox = self.folder / "in", self.folder / "out"
        inbox.mkdir(mode=0o700)
        sample, pieces = None, max(1, self.spark.sparkContext.defaultParallelism)
        for i, frame in enumerate(frames):  # each batch in as many files as cores: tasks for every core, no shuffle
            size = max(1, -(-frame.height // pieces))
            for j, lo in enumerate(range(0, frame.height, size)):
                table = arrow_for_spark(frame.slice(lo, size).to_arrow())
                pq.write_table(table, inbox / f"part-{i:06d}-{j:03d}.parquet")
            sample = frame.head(SAMPLE_ROWS) if sample is None else sample
        if sample is None:
            return
        shape = STAGES[self.stage].fn(sample, self.ctx)  # the columns as one process gives them
        types, schema = shape.schema, spark_schema(shape)
        # no shuffle: a shuffle would write the rows (the raw rows of clean) to Spark's own scratch folder
        map_rows(self.spark.read.parquet(str(inbox)), self.stage, self.ctx, schema).write.parquet(str(outbox))
        for path in sorted(outbox.glob("*.parquet")):
            for batch in pq.ParquetFile(path).iter_batches(self.batch_rows):
                yield pl.from_arrow(batch).cast(types)


__all__ = ["SAMPLE_ROWS", "SparkRows"]
