"""The stages of demandlab.stages inside Spark (local[2]) give what they give in one process: every rows stage
through ``mapInArrow`` over several partitions, every key stage through ``groupBy(bucket).applyInArrow``, on the
inputs and contexts tests/test_stage_contract.py splits in one process (``stage_samples``).

Skipped only where Spark cannot run (no Java 17, or PySpark not installed), saying what to install.
"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from demandlab.spark.session import unavailable
from demandlab.stages import STAGES
from tests.spark.frames import in_order

if (reason := unavailable()) is not None:
    pytest.skip(reason, allow_module_level=True)

from pyspark.sql.functions import col

from demandlab.spark.stages import (
    arrow_for_spark,
    key_runner,
    map_chain,
    map_groups,
    map_rows,
    output_schema,
    spark_schema,
)


def to_spark(spark, frame: pl.DataFrame, partitions: int):
    return spark.createDataFrame(arrow_for_spark(frame.to_arrow())).repartition(partitions)


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s.partition == "rows"])
def test_a_rows_stage_in_map_in_arrow_gives_the_rows_of_one_process(spark, stage_samples, name):
    frame, ctx = stage_samples[name]
    whole = STAGES[name].fn(frame, ctx)
    schema = output_schema(name, ctx, frame.head(20))
    got = pl.from_arrow(map_rows(to_spark(spark, frame, 3), name, ctx, schema).toArrow())
    assert got.height == whole.height == frame.height
    assert_frame_equal(in_order(got), in_order(whole.cast(got.schema)), check_dtypes=False)


def test_rows_stages_chained_run_in_one_python_process_a_task_with_the_rows_of_one_process(spark, stage_samples):
    """segment → assign in one mapInArrow (map_chain): what the two give one after the other in one process, and
    one Python step in Spark's plan (two would run two Python processes a task: two cores in one task slot)."""
    (records, segment), (tokens, assign) = stage_samples["segment"], stage_samples["assign"]
    columns = tokens.columns
    whole = STAGES["assign"].fn(STAGES["segment"].fn(records, segment).select(columns), assign)
    schema = output_schema("assign", assign, STAGES["segment"].fn(records.head(20), segment).select(columns))
    chained = map_chain(to_spark(spark, records, 3), [("segment", segment, None), ("assign", assign, columns)], schema)
    got = pl.from_arrow(chained.toArrow())
    assert got.height == whole.height == records.height
    assert_frame_equal(in_order(got), in_order(whole.cast(got.schema)), check_dtypes=False)
    plan = chained._jdf.queryExecution().optimizedPlan().toString()
    assert plan.count("MapInArrow") == 1, plan


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s.partition == "key"])
def test_a_key_stage_in_apply_in_arrow_gives_the_rows_of_one_process(spark, stage_samples, name):
    frame, ctx = stage_samples[name]
    whole = STAGES[name].fn(frame, ctx)
    assert whole.height > 0, f"the district gives {name} nothing to find: the test would prove nothing"
    schema = output_schema(name, ctx, frame)
    got = pl.from_arrow(map_groups(to_spark(spark, frame, 3), name, ctx, schema, buckets=4).toArrow())
    assert_frame_equal(in_order(got), in_order(whole.cast(got.schema)), check_dtypes=False)


@pytest.mark.parametrize("name", [n for n, s in STAGES.items() if s.partition == "key"])
def test_the_pipelines_key_runner_gives_what_one_process_gives_in_its_types(spark, stage_samples, name):
    """What the signal pass calls under engine.name = "spark": a polars frame in, Spark's groups, a polars frame out
    in the very types of one process; no rows in, the stage's empty frame out."""
    frame, ctx = stage_samples[name]
    whole, run = STAGES[name].fn(frame, ctx), key_runner(spark, buckets=3)
    got = run(name, frame, ctx)
    assert got.schema == whole.schema and got.height == whole.height > 0
    assert_frame_equal(in_order(got), in_order(whole))
    assert run(name, frame.head(0), ctx).schema == whole.schema


def test_a_stage_split_another_way_than_it_declares_is_refused(spark, stage_samples):
    frame, ctx = stage_samples["crowd"]
    with pytest.raises(ValueError, match="split by 'key'"):
        map_rows(to_spark(spark, frame, 1), "crowd", ctx, output_schema("crowd", ctx, frame))


def test_a_stage_failing_in_spark_says_where_but_never_what_the_record_said(spark, stage_samples, monkeypatch):
    frame, ctx = stage_samples["segment"]
    secret = "13912345678 张三"

    def failing(batch: pl.DataFrame, ctx) -> pl.DataFrame:  # pickled by value into Spark's workers
        raise ValueError(f"cannot cut {batch['title'][0]}")

    good = STAGES["segment"]
    monkeypatch.setitem(STAGES, "segment", dataclasses.replace(good, fn=failing))
    broken = frame.head(30).with_columns(pl.lit(secret).alias("title"))
    schema = spark_schema(good.fn(frame.head(5), ctx))  # the stage's real columns (the failing one gives none)
    with pytest.raises(Exception, match="stage segment failed in Spark: ValueError") as caught:
        map_rows(to_spark(spark, broken, 2), "segment", ctx, schema).toArrow()
    assert "13912345678" not in str(caught.value) and "张三" not in str(caught.value)


def test_spark_keeps_its_catalog_folder_out_of_the_working_folder(spark):
    warehouse = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:"))
    assert Path(tempfile.gettempdir()) in warehouse.parents and Path.cwd() not in warehouse.parents
    assert not (Path.cwd() / "spark-warehouse").exists()


def test_spark_writes_its_scratch_into_a_folder_of_this_process_only(spark):
    """A shuffle writes rows (of the records) into spark.local.dir: a 0700 folder of this process, not /tmp's."""
    scratch = Path(spark.sparkContext.getConf().get("spark.local.dir"))
    assert scratch.parent == Path(tempfile.gettempdir()) and scratch.name.startswith("demandlab-spark-scratch-")
    spark.range(1000).groupBy((col("id") % 7).alias("k")).count().collect()  # a shuffle
    assert scratch.stat().st_mode & 0o777 == 0o700 and any(scratch.iterdir())
