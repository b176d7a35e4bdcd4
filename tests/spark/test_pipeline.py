"""The whole pipeline with ``engine.name = "spark"`` (local[2]) gives every record, token, theme assignment, place,
mart and alert the DuckDB engine gives on the session district (``demo_run``): the same exports, the same salt,
the same clock, run again in a database of its own with its rows stages in Spark.

Skipped only where Spark cannot run (no Java 17, or PySpark not installed), saying what to install.
"""

from __future__ import annotations

import pytest

from demandlab.pipeline.loading import scratch_path
from demandlab.spark.session import unavailable
from demandlab.stages import STAGES
from tests.spark.frames import DERIVED_TABLES, engine_run, same_table

if (reason := unavailable()) is not None:
    pytest.skip(reason, allow_module_level=True)


@pytest.fixture(scope="module")
def spark_run(spark, district, demo_run, tmp_path_factory) -> dict:
    """The run uses the session the tests share (``session()`` returns the one already started)."""
    root, salt = tmp_path_factory.mktemp("spark-run"), demo_run["config"].privacy.salt_file
    return engine_run(root, "spark", district.export_paths, district.registry, salt_from=salt)


@pytest.mark.parametrize("table", DERIVED_TABLES)
def test_a_table_is_the_same_with_the_rows_stages_in_spark(spark_run, demo_run, table):
    got, want = spark_run["store"].sql(f"select * from {table}"), demo_run["store"].sql(f"select * from {table}")
    assert want.height > 0, f"{table} is empty in the district: the comparison would prove nothing"
    same_table(got, want)


def test_the_spark_run_counts_what_the_duckdb_run_counts(spark_run, demo_run):
    got, want = spark_run["summary"], demo_run["summary"]
    assert (got.records, got.cleaned, got.segmented, got.assigned) == (want.records, want.cleaned, want.segmented,
                                                                       want.assigned)  # fmt: skip
    assert got.cleaned > 5_000 and got.model_version == want.model_version and got.alerts == want.alerts


def test_the_rows_stages_and_the_key_stages_of_the_signal_pass_ran_in_spark(spark_run):
    """Every rows stage the run had rows for, once: a first run's fit assigns every record of the window itself
    (the district fits whole), so ``assign`` has nothing pending here; 多人同诉's counts once a block of weeks and
    一人多诉 (the signal pass's repeats are updated block by block where there is a model).
    tests/spark/test_stages.py runs every stage in Spark."""
    rows_stages = {n for n, s in STAGES.items() if s.partition == "rows"} - {"assign"}
    ran = spark_run["in_spark"]
    assert set(ran) == rows_stages | {"crowd", "repeat_callers"}
    assert all(ran.count(n) == 1 for n in rows_stages) and ran.count("crowd") > 1


def test_the_exchange_folder_is_gone_after_the_run(spark_run):
    assert not scratch_path(spark_run["store"]).exists()
