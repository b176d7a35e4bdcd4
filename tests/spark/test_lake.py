"""The Spark engine's lake: the records as Parquet by (year, week), every mart built by Spark from those files with
the same SQL models, read back by ``dl.connect`` equal to the database's tables; the report from it the same.

Skipped only where Spark cannot run (no Java 17, or PySpark not installed), saying what to install.
"""

from __future__ import annotations

import json

import pytest
from polars.testing import assert_frame_equal

import demandlab as dl
from demandlab.lake import MANIFEST, write_lake
from demandlab.marts.build import sql_models
from demandlab.report import write_report
from demandlab.spark.session import unavailable
from tests.spark.frames import in_order

if (reason := unavailable()) is not None:
    pytest.skip(reason, allow_module_level=True)

from demandlab.spark.lake import spark_marts

MARTS = [name for name, _ in sql_models() if not name.startswith("stg_")]


@pytest.fixture(scope="module")
def lake(spark, demo_run, tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("spark-lake") / "district"
    rows = write_lake(demo_run["store"], folder, marts=spark_marts(spark))
    return {"folder": folder, "rows": rows, "store": dl.connect(folder)}


@pytest.mark.parametrize("mart", MARTS)
def test_a_mart_spark_built_from_the_lake_equals_the_database(lake, demo_run, mart):
    want = demo_run["store"].table(mart)
    assert want.height > 0, f"{mart} is empty in the district: the comparison would prove nothing"
    assert (lake["folder"] / mart / "_SUCCESS").exists()  # written by Spark, not copied
    assert_frame_equal(in_order(lake["store"].table(mart)), in_order(want))
    assert lake["rows"][mart] == want.height


def test_the_marts_spark_wrote_are_its_owners_only(lake):
    files = [p for p in lake["folder"].rglob("*") if p.is_file()]
    assert any("mart_kpi" in p.parts for p in files)
    assert {p.stat().st_mode & 0o777 for p in files} == {0o600}


def test_the_manifest_says_spark_built_the_marts(lake):
    manifest = json.loads((lake["folder"] / MANIFEST).read_text("utf-8"))
    assert manifest["marts_by"] == "spark" and manifest["tables"]["records"]["partitioned_by"] == ["year", "week"]
    assert set(MARTS) <= set(manifest["tables"])


def test_every_other_table_reads_back_the_same(lake, demo_run):
    store = demo_run["store"]
    assert lake["store"].tables() == store.tables()
    for name in set(store.tables()) - set(MARTS):
        assert_frame_equal(in_order(lake["store"].table(name)), in_order(store.table(name))), name


def test_the_report_from_the_spark_lake_is_the_databases(lake, demo_run, tmp_path):
    cfg = demo_run["config"]
    want = write_report(demo_run["store"], tmp_path / "db.html", config=cfg).read_text("utf-8")
    assert write_report(lake["store"], tmp_path / "lake.html", config=cfg).read_text("utf-8") == want
