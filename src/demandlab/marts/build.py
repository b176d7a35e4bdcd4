"""Building the marts: the SQL models of ``sql/staging`` and ``sql/marts``, in dependency order.

Staging models only rename and cast (views); mart models join and aggregate (tables), each a
chain of named CTEs ending in ``select * from final``. ``mart_records`` — one row per record,
with its text — is kept incrementally (only records whose content, theme or place changed are
deleted and inserted again); the marts above it are rebuilt whole, which DuckDB does in a
second or two for a million records. The columns of every mart are documented, and tested, in
``sql/models.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib import resources

import duckdb

from ..store import Store

#: Marts kept up to date row by row (by these keys) instead of rebuilt.
INCREMENTAL = {"mart_records": ("source", "record_id")}
LAYERS = ("staging", "marts")


def sql_models() -> list[tuple[str, str]]:
    """The SQL models as (name, query), each after the models it reads from.

    >>> [name for name, _ in sql_models()][:2]
    ['stg_records', 'stg_themes']
    """
    root = resources.files("demandlab").joinpath("sql")
    models = {
        entry.name.removesuffix(".sql"): entry.read_text("utf-8")
        for layer in LAYERS
        for entry in root.joinpath(layer).iterdir()
        if entry.name.endswith(".sql")
    }
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise RuntimeError(f"SQL models depend on each other in a cycle: {' -> '.join((*path, name))}")
        body = re.sub(r"--[^\n]*", "", models[name])
        for other in sorted(models):
            if other != name and re.search(rf"\b(?:from|join)\s+{other}\b", body):
                visit(other, (*path, name))
        ordered.append(name)

    for name in sorted(models):
        visit(name, ())
    return [(name, models[name]) for name in ordered]


def build_marts(
    store: Store, then: Callable[[duckdb.DuckDBPyConnection, str | None], None] | None = None
) -> str | None:
    """Bring every SQL model up to date in one transaction.

    Returns the earliest ``created_at`` (ISO text) among the records whose row of ``mart_records``
    changed, ``"all"`` when it was built whole, None when nothing changed: what the signals stage
    must look at again. ``then(con, changed)`` runs inside the same transaction (the runner notes
    that change there, so a crash cannot lose it).
    """
    changed: str | None = None
    with store.transaction() as con:
        for name, sql in sql_models():
            if name.startswith("stg_"):
                con.execute(f"create or replace view {name} as\n{sql}")
            elif name in INCREMENTAL:
                changed = _refresh_incremental(con, name, sql, INCREMENTAL[name])
            else:
                con.execute(f"create or replace table {name} as\n{sql}")
        if then is not None:
            then(con, changed)
    return changed


def _refresh_incremental(con: duckdb.DuckDBPyConnection, name: str, sql: str, key: tuple[str, ...]) -> str | None:
    """Delete and insert the rows of ``name`` that differ from its model; returns the earliest
    ``created_at`` among them (ISO text), "all" when the table was built whole, None when nothing changed."""
    con.execute(f"create or replace temp view _incoming as\n{sql}")
    incoming = con.execute("select column_name, column_type from (describe _incoming)").fetchall()
    exists = con.execute("select count(*) from duckdb_tables() where table_name = ? and not temporary", [name])
    current = (
        con.execute(f"select column_name, column_type from (describe {name})").fetchall()
        if exists.fetchone()[0]
        else None
    )
    changed: str | None = "all"
    if current != incoming:  # first run, or the model's columns changed: build it whole
        con.execute(f"create or replace table {name} as select * from _incoming")
    else:
        on = " and ".join(f"t.{k} = s.{k}" for k in key)
        con.execute(f"create or replace temp table _delta as select * from _incoming except select * from {name}")
        gone = f"from {name} as t where not exists (select 1 from _incoming as s where {on})"
        first = con.execute(
            f"select min(created_at), count(*) from (select created_at from _delta union all select created_at {gone})"
        ).fetchone()
        changed = first[0].isoformat() if first[1] else None
        con.execute(f"delete from {name} as t using _delta as s where {on}")
        con.execute(f"delete {gone}")
        con.execute(f"insert into {name} select * from _delta")
        con.execute("drop table _delta")
    con.execute("drop view _incoming")
    return changed
