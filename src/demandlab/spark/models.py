"""Every SQL model built on Spark, from the same files as on DuckDB, with the same columns and types.

:func:`build_models` runs the staging views and marts of :func:`demandlab.marts.build.sql_models` in their
dependency order as Spark SQL (:func:`.sql.to_spark`), each a temporary view the next ones read, over base
tables already in the session (``records``, ``themes``, ``assignments``, ``grids``:
:func:`.session.load_tables`, or Parquet). Each model's columns are cast to the types ``sql/models.toml``
declares for it — the types DuckDB gives — so a mart written by Spark reads back as DuckDB's does (Spark
divides by a decimal literal in decimals, DuckDB in doubles). Marts are built whole (``build_weeks`` marks
every week), as a first build on DuckDB is; marts (not staging views) are cached, since later models read them.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

from ..marts.build import ALL_WEEKS, sql_models
from .sql import to_spark

#: The base tables the SQL models read (besides each other, and ``build_weeks``).
BASE_TABLES = ("records", "themes", "assignments", "grids")

_SPARK_TYPES = {
    "VARCHAR": "string",
    "BIGINT": "bigint",
    "INTEGER": "int",
    "DOUBLE": "double",
    "DATE": "date",
    "TIMESTAMP": "timestamp_ntz",
    "BOOLEAN": "boolean",
    "VARCHAR[]": "array<string>",
}


def declared_types() -> dict[str, dict[str, str]]:
    """Each model's columns and their DuckDB types, as ``sql/models.toml`` declares them."""
    text = resources.files("demandlab").joinpath("sql", "models.toml").read_text("utf-8")
    return {name: {c: spec["type"] for c, spec in model.get("columns", {}).items()} for name, model in
            tomllib.loads(text).items()}  # fmt: skip


def spark_type(duckdb_type: str) -> str:
    """The Spark SQL type of a DuckDB type of ``models.toml``.

    >>> spark_type("TIMESTAMP"), spark_type("VARCHAR[]")
    ('timestamp_ntz', 'array<string>')
    """
    if duckdb_type not in _SPARK_TYPES:
        raise ValueError(f"no Spark type for the DuckDB type {duckdb_type!r}: add it to demandlab.spark.models")
    return _SPARK_TYPES[duckdb_type]


def build_models(spark: Any) -> dict[str, Any]:
    """Every SQL model as a Spark DataFrame (and a temporary view of its name), in dependency order."""
    types = declared_types()
    built: dict[str, Any] = {}
    for name, sql in sql_models():
        if "build_weeks" in sql:
            spark.sql(to_spark(ALL_WEEKS)).createOrReplaceTempView("build_weeks")
        frame = spark.sql(to_spark(sql))
        columns = types.get(name)
        if columns is None:
            raise ValueError(f"the model {name} is not declared in sql/models.toml")
        if list(columns) != frame.columns:
            raise ValueError(f"{name} on Spark has the columns {frame.columns}, models.toml declares {list(columns)}")
        frame = frame.selectExpr(*(f"cast(`{c}` as {spark_type(t)}) as `{c}`" for c, t in columns.items()))
        if not name.startswith("stg_"):
            frame = frame.cache()
        frame.createOrReplaceTempView(name)
        built[name] = frame
    return built


__all__ = ["BASE_TABLES", "build_models", "declared_types", "spark_type"]
