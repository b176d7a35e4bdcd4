"""A database as a folder of Parquet (a *lake*): what the Spark engine leaves where a data centre keeps its state,
read with DuckDB exactly as the database file is.

A lake holds every table of the analysts' database (never the restricted file), one folder of Parquet files a
table, and a manifest ``_demandlab.json`` written last, naming each table with its columns, their DuckDB types
and its rows:

* ``records/year=2026/week=07/*.parquet`` — the canonical records partitioned by ISO year and week (ASCII keys:
  a week's records are a folder a cluster job reads or replaces alone);
* ``mart_*/*.parquet`` — the marts, built by Spark from those Parquet files with the same SQL models
  (:func:`demandlab.spark.lake.spark_marts`);
* every other table (themes, assignments, signal marts, runs, …) as its database wrote it.

Like the database file, a lake is its owner's only: folders ``0700``, files ``0600`` (share it with a group's
ACL where other jobs must read it).

``dl.connect(folder)`` opens a lake **read-only** (:func:`lake_connection`): a DuckDB in memory with one view a
table, each column cast to the manifest's type, and the staging views built from the same SQL files as in the
database — so ``dl.read``, notebooks and ``demandlab report --db folder`` read it unchanged.

>>> import tempfile
>>> folder = tempfile.mkdtemp()
>>> with open(f"{folder}/{MANIFEST}", "w") as f:
...     _ = f.write('{"format": "demandlab-lake", "version": 1, "tables": '
...                 '{"meta": {"columns": [["key", "VARCHAR"], ["value", "VARCHAR"]], "rows": 0}}}')
>>> lake_connection(folder).sql("select count(*) from meta").fetchall()
[(0,)]
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from .duck import literal, quote
from .errors import UsageError

if TYPE_CHECKING:
    from .store import Store

#: The manifest of a lake, written last: a folder without it is not (or not yet) a lake.
MANIFEST = "_demandlab.json"
FORMAT, VERSION = "demandlab-lake", 1
#: The columns records are partitioned by (Hive folders ``year=…/week=…``), derived from ``iso_week``.
PARTITIONS = ("year", "week")


class LakeError(UsageError):
    """A folder that is not a lake demandlab can read (no manifest, another format, a table's files missing)."""


def is_lake(path: str | Path) -> bool:
    """Whether ``path`` names a folder (a lake, or a folder that should be one: :func:`read_manifest` says)."""
    return str(path) != ":memory:" and Path(path).is_dir()


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of the lake ``folder``; :class:`LakeError` naming the folder when it is not a lake."""
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise LakeError(
            f"目录 {folder} 不是 demandlab 的 Parquet 数据湖：缺少清单文件 {MANIFEST}（写入未完成或不是该格式）"
        )
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise LakeError(f"数据湖清单 {path} 无法读取（{type(exc).__name__}）") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise LakeError(f"数据湖清单 {path} 的格式 {manifest.get('format')} 版本 {manifest.get('version')} 不受支持")
    return manifest


def table_view(folder: Path, name: str, spec: dict[str, Any]) -> str:
    """The SQL of the view of table ``name``: its Parquet files read (Hive partitions for the records, their keys
    not among the columns), every column cast to the manifest's type; no files — an empty table of those types."""
    columns = ", ".join(f"cast({quote(c)} as {t}) as {quote(c)}" for c, t in spec["columns"])
    files = sorted((folder / name).rglob("*.parquet")) if (folder / name).is_dir() else []
    if not files:
        if spec.get("rows"):
            raise LakeError(f"数据湖 {folder} 的表 {name} 应有 {spec['rows']} 行，但没有 Parquet 文件")
        nulls = ", ".join(f"cast(null as {t}) as {quote(c)}" for c, t in spec["columns"])
        return f"select {nulls} where false"
    hive = "true" if spec.get("partitioned_by") else "false"
    glob = literal(str(folder / name / "**" / "*.parquet"))
    return f"select {columns} from read_parquet({glob}, hive_partitioning = {hive}, union_by_name = true)"


def lake_connection(folder: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB in memory with a view of each table of the lake ``folder`` and the staging views of the SQL models
    (the same files as in a database)."""
    from .marts.build import sql_models

    folder = Path(folder).resolve()
    manifest = read_manifest(folder)
    con = duckdb.connect()
    try:
        for name, spec in manifest["tables"].items():
            con.execute(f"create view {quote(name)} as {table_view(folder, name, spec)}")
        if "records" in manifest["tables"]:
            for name, sql in sql_models():
                if name.startswith("stg_"):
                    con.execute(f"create view {name} as\n{sql}")
    except BaseException:
        con.close()
        raise
    return con


#: ``build(store, folder, names)`` writes the marts ``names`` into ``folder/<name>`` and returns their columns
#: (name, DuckDB type) and rows: :func:`demandlab.spark.lake.spark_marts` (Spark, from the lake's Parquet).
MartBuilder = Callable[["Store", Path, list[str]], dict[str, dict[str, Any]]]


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[list[str]]:
    described = con.execute(f"select column_name, column_type from (describe {quote(name)})").fetchall()
    return [[c, t] for c, t in described]


def _copy(con: duckdb.DuckDBPyConnection, name: str, target: Path) -> None:
    """Table ``name`` as Parquet in the folder ``target`` (the records by ISO year and week)."""
    if name == "records":  # iso_week is 2026-W07: the year and the week as text, zero-padded (ASCII folder names)
        query = "select *, substr(iso_week, 1, 4) as year, substr(iso_week, 7, 2) as week from records"
        options = "format parquet, partition_by (year, week)"
    else:
        target.mkdir()
        query, target, options = f"select * from {quote(name)}", target / "part-0.parquet", "format parquet"
    con.execute(f"copy ({query}) to {literal(str(target))} ({options})")


def write_lake(store: Store, folder: str | Path, marts: MartBuilder | None = None) -> dict[str, int]:
    """Every table of ``store``'s analysts' file as the lake ``folder`` (see the module docstring); its rows per
    table. ``marts``: who builds the marts (Spark: :func:`demandlab.spark.lake.spark_marts`); None, as the
    database holds them. The lake is written beside ``folder`` and put in its place when whole (a lake already
    there is replaced; any other folder that is not empty is refused)."""
    from .marts.build import sql_models
    from .sql import text as sql_text
    from .store import private_files

    folder = Path(folder).resolve()
    if folder.exists() and any(folder.iterdir()) and not (folder / MANIFEST).exists():
        raise LakeError(f"目录 {folder} 已存在且不是 demandlab 数据湖：请换一个目录，或先移走其中的文件")
    kinds = dict(store.con.execute(sql_text("io/lake_tables")).fetchall())
    built = [n for n, _ in sql_models() if kinds.get(n) == "BASE TABLE"] if marts else []
    partial = folder.parent / f".{folder.name}.partial-{uuid.uuid4().hex[:12]}"
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial.mkdir(mode=0o700)
    try:
        tables: dict[str, dict[str, Any]] = {}
        with private_files():
            for name in sorted(kinds):
                if kinds[name] == "BASE TABLE" and name not in built:
                    _copy(store.con, name, partial / name)
                    rows = store.con.execute(f"select count(*) from {quote(name)}").fetchone()[0]
                    tables[name] = {"columns": _columns(store.con, name), "rows": rows}
        tables["records"]["partitioned_by"] = list(PARTITIONS)
        if marts:
            tables.update(marts(store, partial, built))
        manifest = {"format": FORMAT, "version": VERSION, "schema_version": store.meta("schema_version"),
                    "marts_by": "spark" if marts else "duckdb", "tables": dict(sorted(tables.items()))}  # fmt: skip
        (partial / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        _private(partial)
        _swap(partial, folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return {name: spec["rows"] for name, spec in tables.items()}


def _private(root: Path) -> None:
    """Every folder under ``root`` ``0700`` and every file ``0600``: what another writer (Spark's JVM, with the
    umask it started with) made too."""
    root.chmod(0o700)
    for path in root.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)


def _swap(partial: Path, folder: Path) -> None:
    """``partial`` in the place of ``folder`` (an earlier lake there removed once the new one is in place)."""
    old = folder.parent / f".{folder.name}.old-{uuid.uuid4().hex[:12]}"
    if folder.exists():
        folder.rename(old)
    partial.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


__all__ = ["FORMAT", "MANIFEST", "PARTITIONS", "VERSION", "LakeError", "MartBuilder", "is_lake", "lake_connection",
           "read_manifest", "table_view", "write_lake"]  # fmt: skip
