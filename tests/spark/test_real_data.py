"""Real exports nobody here wrote (../shared/data: the 泰迪杯 message workbooks) through the whole pipeline on both
engines: every record, token, theme, place, mart and alert the same with the rows stages in Spark, and the marts
Spark builds from the lake equal to DuckDB's. The synthetic district's comparison is tests/spark/test_pipeline.py.

Skipped where Spark cannot run, and where the real data is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import pytest

import demandlab as dl
from demandlab.lake import write_lake
from demandlab.spark.session import unavailable
from demandlab.stages import STAGES
from tests.conftest import shared_data
from tests.ingest.test_real_data import MESSAGE_FILES
from tests.spark.frames import DERIVED_TABLES, engine_run, same_table

if (reason := unavailable()) is not None:
    pytest.skip(reason, allow_module_level=True)

from demandlab.spark.lake import spark_marts


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


def test_the_marts_spark_builds_from_the_real_messages_lake_equal_duckdbs(both, spark, tmp_path):
    store = both["duckdb"]["store"]
    write_lake(store, tmp_path / "lake", marts=spark_marts(spark))
    lake = dl.connect(tmp_path / "lake")
    assert lake.tables() == store.tables()
    for name in store.tables():
        same_table(lake.table(name), store.table(name))
