"""Building the marts: the SQL models of ``sql/staging`` and ``sql/marts``, in dependency order.

Staging models only rename and cast (views); mart models join and aggregate (tables), each a
chain of named CTEs ending in ``select * from final``. ``mart_records`` — one row per record,
with its text — is kept incrementally: the records whose content or theme changed are found by
comparing a few narrow columns (:data:`CHANGE_COLUMNS`, no text read) and only those rows are
computed, deleted and inserted again; a change of the model's SQL builds it whole. The marts
above it are rebuilt whole. The columns of every mart are documented, and tested, in
``sql/models.toml``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from importlib import resources

import duckdb

from ..sql import text as sql_text
from ..store import Store

#: Marts kept up to date row by row (by these keys) instead of rebuilt.
INCREMENTAL = {"mart_records": ("source", "record_id")}
#: The columns that tell whether a row of an incremental mart changed: every value of a record is in its
#: ``content_hash``; ``focus`` is tagged later on databases from before it; the rest come from the theme.
#: Only these are compared (no text is read), then only the changed rows are computed whole.
CHANGE_COLUMNS = {"mart_records": ("content_hash", "focus", "theme_id", "theme_score", "theme_label", "category")}
LAYERS = ("staging", "marts")


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute("select value from main.meta where key = ?", [key]).fetchone()
    return row[0] if row else None


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
    fingerprint = hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()
    if current != incoming or _meta(con, f"sql_{name}") != fingerprint:
        # first run, or the model changed: build it whole
        con.execute(f"create or replace table {name} as select * from _incoming")
        Store.set_meta(con, f"sql_{name}", fingerprint)
    else:
        on = " and ".join(f"t.{k} = s.{k}" for k in key)
        cols = ", ".join((*key, *CHANGE_COLUMNS[name], "created_at"))
        changed_rows = sql_text("io/changed_rows", table=name, key=", ".join(key), cols=cols)
        con.execute(f"create or replace temp table _changed as {changed_rows}")
        first = con.execute("select min(created_at), count(*) from _changed").fetchone()
        changed = first[0].isoformat() if first[1] else None
        if first[1]:
            keys = " and ".join(f"t.{k} = c.{k}" for k in key)
            con.execute(f"delete from {name} as t using _changed as c where {keys}")
            con.execute(f"insert into {name} select s.* from _incoming as s semi join _changed as t on {on}")
        con.execute("drop table _changed")
    con.execute("drop view _incoming")
    return changed
