"""A SparkSession as the models need it, and the base tables handed to it.

The models' meaning depends on three settings that differ from Spark's defaults:

* timestamps **without a time zone** (``spark.sql.timestampType = TIMESTAMP_NTZ``): DuckDB's ``TIMESTAMP``
  holds the wall-clock time the export wrote (Beijing time) and no zone; Spark's default ``TIMESTAMP`` would
  shift it by the session's zone on the way in and out;
* the session's zone **UTC** all the same, so that any zone-aware function (``date_trunc`` on a string, Arrow's
  conversions) moves nothing;
* **Arrow** for every hand-over between Python and the JVM (``spark.sql.execution.arrow.pyspark.enabled``).

Executors run the project's own interpreter (``PYSPARK_PYTHON``, default ``sys.executable``), so a worker
imports the same demandlab and the same pinned libraries as the driver.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:
    from ..store import Store

#: The settings every demandlab session carries (see the module docstring).
SETTINGS = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
}


def java_missing() -> str | None:
    """Why Spark cannot start here (no ``java`` on PATH nor in JAVA_HOME, or a Java older than 17), else None."""
    home = os.environ.get("JAVA_HOME")
    java = shutil.which("java") or (str(Path(home) / "bin" / "java") if home else None)
    if not java or not Path(java).exists():
        return "Spark needs Java 17 or later: no java on PATH and JAVA_HOME not set (Debian: openjdk-17-jre-headless)"
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60, check=False).stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Spark needs Java 17 or later: {java} -version failed ({type(exc).__name__})"
    version = out.split('"')[1] if '"' in out else ""
    major = int(version.split(".")[0]) if version.split(".")[0].isdigit() else 0
    if major < 17:
        return f"Spark needs Java 17 or later: {java} is {version or 'of an unknown version'}"
    return None


def unavailable() -> str | None:
    """Why Spark cannot run here, saying what to install (PySpark or sqlglot missing, :func:`java_missing`), else
    None: what the pipeline refuses ``engine.name = "spark"`` with and what the Spark tests skip with."""
    import importlib.util

    missing = [name for name in ("pyspark", "sqlglot") if importlib.util.find_spec(name) is None]
    if missing:
        return f"{' and '.join(missing)} not installed: uv sync --group spark (make env installs it)"
    return java_missing()


def session(master: str = "local[2]", app: str = "demandlab", conf: dict[str, str] | None = None) -> Any:
    """A SparkSession (``master``: ``local[N]``, ``yarn``, ``spark://host:7077`` …; ``""``: the one ``spark-submit``
    or ``spark-defaults.conf`` names, as under ``pipelines/spark/submit.sh``) with :data:`SETTINGS` and ``conf`` on
    top; its log set to errors only. For a local master, shuffles use 2 partitions per core."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    with warnings.catch_warnings():  # PySpark 4.3 warns that it has not been tried with pandas 3 (we use Arrow)
        warnings.simplefilter("ignore", FutureWarning)
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName(app)
        builder = builder.master(master) if master else builder  # "": spark-submit's --master
        settings = dict(SETTINGS)
        # Spark makes its catalog's folder where it starts (./spark-warehouse) even when, as here, no table is
        # saved in it: a temporary folder of this process instead, removed when it exits
        # and its scratch folder (spark.local.dir: what a shuffle or a spilled cache writes — records' rows) is
        # private to this process (0700) in place of /tmp's shared one; a cluster's executors use their own
        if SparkSession.getActiveSession() is None:  # else getOrCreate returns the session already made
            for key, prefix in (("spark.sql.warehouse.dir", "warehouse"), ("spark.local.dir", "scratch")):
                folder = tempfile.mkdtemp(prefix=f"demandlab-spark-{prefix}-")
                atexit.register(shutil.rmtree, folder, True)
                settings[key] = folder
        if master.startswith("local["):
            cores = master[len("local[") : -1]
            settings["spark.sql.shuffle.partitions"] = str(2 * int(cores)) if cores.isdigit() else "4"
        for key, value in {**settings, **(conf or {})}.items():
            builder = builder.config(key, value)
        spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def from_arrow(spark: Any, table: pa.Table) -> Any:
    """A Spark DataFrame of ``table``. An empty table is given one empty chunk a column: DuckDB gives none, and
    PySpark's check of timestamp columns then fails ("cannot construct ChunkedArray from empty vector") — an
    export without a grid registry leaves ``grids`` empty."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return spark.createDataFrame(table if table.num_rows else table.schema.empty_table())


def load_tables(spark: Any, store: Store, names: list[str]) -> None:
    """Each table ``names`` of ``store`` as a temporary view of the same name in ``spark`` (through Arrow)."""
    for name in names:
        from_arrow(spark, store.con.sql(f"select * from {name}").to_arrow_table()).createOrReplaceTempView(name)


__all__ = ["SETTINGS", "from_arrow", "java_missing", "load_tables", "session", "unavailable"]
