"""One Spark session (local[2]) per test process for every test of tests/spark: its JVM starts once."""

from __future__ import annotations

import importlib.util

import pytest


@pytest.fixture(scope="session")
def spark():
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("PySpark is not installed: uv sync --group spark (make env installs it)")
    from demandlab.spark.session import java_missing, session

    if (reason := java_missing()) is not None:
        pytest.skip(reason)
    spark = session("local[2]", app="demandlab-tests")
    yield spark
    spark.stop()
