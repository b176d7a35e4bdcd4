"""Real exports nobody here wrote (../shared/data: the 泰迪杯 message workbooks) through the whole pipeline on both
engines: every record, token, theme, place, mart and alert the same with the rows and key stages in Spark, and every
SQL model Spark builds from their tables equal to DuckDB's (it found mart_proactive's total of no episodes missing).
The synthetic district's comparison is tests/spark/test_pipeline.py.

Skipped where Spark cannot run, and where the real data is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from demandlab.spark.session import unavailable
from demandlab.stages import STAGES
from tests.conftest import shared_data
from tests.ingest.test_real_data import MESSAGE_FILES
from tests.spark.frames import DERIVED_TABLES, engine_run, in_order, same_table

if (reason := unavailable()) is not None:
    pytest.skip(reason, allow_module_level=True)

from demandlab.spark.models import BASE_TABLES, build_models
from demandlab.spark.session import load_tables


@pytest.fixture(scope="module")
def both(spark, tmp_path_factory) -> dict:
    root = shared_data("taidi2020c")
    exports = [root / name for name in MESSAGE_FILES]
    duck = engine_run(tmp_path_factory.mktemp("taidi-duckdb"), "duckdb", exports)
    salt = duck["config"].privacy.salt_file
    return {"duckdb": duck, "spark": engine_run(tmp_path_factory.mktemp("taidi-spark"), "spark", exports, None, salt)}


def test_the_real_messages_ran_through_spark(both):
    got, want = both["spark"]["summary"], both["duckdb"]["summary"]
    assert want.records > 3_000 and want.n_themes >= 5
    counted = ("records", "cleaned", "segmented", "model_version")
    assert [getattr(got, k) for k in counted] == [getattr(want, k) for k in counted]
    rows_and_key = {n for n, s in STAGES.items() if s.partition in ("rows", "key")}
    assert {"clean", "segment", "crowd", "repeat_callers"} <= set(both["spark"]["in_spark"]) <= rows_and_key


@pytest.mark.parametrize("table", DERIVED_TABLES)
def test_a_table_of_the_real_messages_is_the_same_on_both_engines(both, table):
    got, want = (both[engine]["store"].sql(f"select * from {table}") for engine in ("spark", "duckdb"))
    same_table(got, want)


def test_every_sql_model_spark_builds_from_the_real_messages_equals_duckdbs(both, spark):
    """What a lake's marts are under the Spark engine (tests/spark/test_lake.py writes one from the district)."""
    store = both["duckdb"]["store"]
    load_tables(spark, store, list(BASE_TABLES))
    for name, frame in build_models(spark).items():
        got, want = pl.from_arrow(frame.toArrow()), store.sql(f"select * from {name}")
        assert got.schema == want.schema, name
        assert_frame_equal(in_order(got, floats=False), in_order(want, floats=False), check_exact=False,
                           rel_tol=1e-9, abs_tol=1e-9)  # fmt: skip
