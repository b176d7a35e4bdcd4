"""One Spark session (local[2]) per test process for every test of tests/spark: its JVM starts once."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def spark():
    from demandlab.spark.session import session, unavailable

    if (reason := unavailable()) is not None:
        pytest.skip(reason)
    spark = session("local[2]", app="demandlab-tests")
    yield spark
    spark.stop()
