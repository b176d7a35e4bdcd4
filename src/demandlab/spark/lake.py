"""The marts of a lake built by Spark from the lake's own Parquet files (:func:`demandlab.lake.write_lake`).

:func:`spark_marts` is the lake's mart builder under ``engine.name = "spark"``: Spark reads the base tables the SQL
models read (``records`` by its ``year=…/week=…`` folders, ``themes``, ``assignments``, ``grids``) from the
Parquet files just written, builds every model with :func:`.models.build_models` (the same SQL files, transpiled)
and writes each mart as a folder of Parquet files. The columns the manifest names are the types ``sql/models.toml``
declares, those Spark cast each model to — the types of the database's marts (``tests/spark/test_lake.py``
compares every table of a lake with the database it came from).

>>> write_lake(store, "lake", marts=spark_marts(session("local[2]")))  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..lake import PARTITIONS, MartBuilder
from .models import BASE_TABLES, build_models, declared_types
from .session import from_arrow
from .stages import arrow_for_spark


def _base(spark: Any, store: Any, folder: Path, name: str) -> Any:
    """The base table ``name`` from its Parquet files in the lake (an empty table of its types when it has none)."""
    if any((folder / name).rglob("*.parquet")):
        frame = spark.read.parquet(str(folder / name))
        return frame.drop(*PARTITIONS) if name == "records" else frame
    return from_arrow(spark, arrow_for_spark(store.con.sql(f"select * from {name} limit 0").to_arrow_table()))


def spark_marts(spark: Any) -> MartBuilder:
    """A mart builder for :func:`demandlab.lake.write_lake` running in ``spark``."""

    def build(store: Any, folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
        for name in BASE_TABLES:
            _base(spark, store, folder, name).createOrReplaceTempView(name)
        models, types = build_models(spark), declared_types()
        written = {}
        try:
            for name in names:
                models[name].write.parquet(str(folder / name))
                written[name] = {"columns": [[c, t] for c, t in types[name].items()], "rows": models[name].count()}
        finally:
            for frame in models.values():
                frame.unpersist()
        return written

    return build


__all__ = ["spark_marts"]
