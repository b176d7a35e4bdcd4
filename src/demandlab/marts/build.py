"""Building the marts: the SQL models of ``sql/staging`` and ``sql/marts``, in dependency order.

Staging models only rename and cast (views); mart models join and aggregate (tables), each a
chain of named CTEs ending in ``select * from final``. ``mart_records`` — one row per record,
with its text — is kept incrementally: the records whose content or theme changed are found by
comparing a few narrow columns (:data:`CHANGE_COLUMNS`, no text read) and only those rows are
computed, deleted and inserted again; a change of the model's SQL builds it whole.
``mart_grid_theme_week`` — the largest, growing with grids × themes × weeks — is kept week by week
(:data:`BY_WEEK`): from the changed rows of ``mart_records`` as they were and as they are, the weeks whose
grid, theme or count changed; those and the 8 data weeks after them (the trailing baseline) are deleted and
computed again, reading the 8 weeks before each. A week's update computes about 9 weeks' rows, however long
the history. The other marts, small or depending on the latest record's time (the KPIs' as-of), are
rebuilt whole. The columns of every mart are documented, and tested, in ``sql/models.toml``.
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
#: Marts kept week by week: the columns of ``mart_records`` each reads (a change of a record elsewhere —
#: a later status, a reply — leaves it alone) and how many data weeks after a week its rows depend on that
#: week (its trailing windows). The model reads ``build_weeks`` (io/build_weeks.sql) and computes the rows
#: of the weeks marked ``refresh``; ``mart_weeks`` is built before it.
BY_WEEK = {"mart_grid_theme_week": (("grid_id", "theme_id", "theme_label", "category"), 8)}
#: ``build_weeks`` for a whole build (and for a scoped query, :mod:`demandlab.marts.scope`): every week computed.
ALL_WEEKS = "select week_start, true as refresh from mart_weeks"


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
            elif name in BY_WEEK:
                _refresh_weeks(con, name, sql, changed)
            else:
                con.execute(f"create or replace table {name} as\n{sql}")
        for side in ("_before", "_after"):
            con.execute(f"drop table if exists {side}")
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
    fingerprint = _fingerprint(sql)
    if current != incoming or _meta(con, f"sql_{name}") != fingerprint:
        # first run, or the model changed: build it whole
        con.execute(f"create or replace table {name} as select * from _incoming")
        Store.set_meta(con, f"sql_{name}", fingerprint)
    else:
        on = " and ".join(f"t.{k} = s.{k}" for k in key)
        cols = ", ".join((*key, *CHANGE_COLUMNS[name], "created_at"))
        compared = (*CHANGE_COLUMNS[name], "created_at")
        changed_rows = sql_text(
            "io/changed_rows",
            table=name,
            keys=", ".join(f"coalesce(s.{k}, t.{k}) as {k}" for k in key),
            on=on,
            cols=cols,
            incoming_cols=", ".join(f"s.{c}" for c in compared),
            table_cols=", ".join(f"t.{c}" for c in compared),
        )
        con.execute(f"create or replace temp table _changed as {changed_rows}")
        first = con.execute("select min(created_at), count(*) from _changed").fetchone()
        changed = first[0].isoformat() if first[1] else None
        if first[1]:
            keys = " and ".join(f"t.{k} = c.{k}" for k in key)
            _keep_side(con, "_before", name, key)
            con.execute(f"delete from {name} as t using _changed as c where {keys}")
            con.execute(f"insert into {name} select s.* from _incoming as s semi join _changed as t on {on}")
            _keep_side(con, "_after", name, key)
        con.execute("drop table _changed")
    con.execute("drop view _incoming")
    return changed


def _fingerprint(sql: str) -> str:
    return hashlib.blake2b(sql.encode(), digest_size=8).hexdigest()


def _keep_side(con: duckdb.DuckDBPyConnection, side: str, name: str, key: tuple[str, ...]) -> None:
    """Keep the changed rows of ``name`` (``_changed``) as ``side``, narrowed to the columns :data:`BY_WEEK` reads:
    called before they are deleted (``_before``) and after they are inserted again (``_after``)."""
    if name != "mart_records":
        return
    columns = dict.fromkeys((*key, "week_start", *(c for cols, _ in BY_WEEK.values() for c in cols)))
    on = " and ".join(f"t.{k} = c.{k}" for k in key)
    picked = ", ".join(f"t.{c}" for c in columns)
    con.execute(
        f"create or replace temp table {side} as select {picked} from {name} as t semi join _changed as c on {on}"
    )


def _refresh_weeks(con: duckdb.DuckDBPyConnection, name: str, sql: str, changed: str | None) -> None:
    """Bring a mart of :data:`BY_WEEK` up to date: whole when it is new, its SQL changed or ``mart_records``
    was built whole (``changed == "all"``); else the weeks the changed records touch (see the module docstring)."""
    columns, lookback = BY_WEEK[name]
    exists = con.execute("select count(*) from duckdb_tables() where table_name = ? and not temporary", [name])
    whole = not exists.fetchone()[0] or changed == "all" or _meta(con, f"sql_{name}") != _fingerprint(sql)
    if whole:
        con.execute(f"create or replace temp table build_weeks as {ALL_WEEKS}")
        con.execute(f"create or replace table {name} as\n{sql}")
        Store.set_meta(con, f"sql_{name}", _fingerprint(sql))
    elif changed is not None:
        key = ", ".join(INCREMENTAL["mart_records"])
        weeks = sql_text(
            "io/changed_weeks",
            key=key,
            before_cols=", ".join(f"b.{c}" for c in columns),
            after_cols=", ".join(f"a.{c}" for c in columns),
        )
        con.execute(f"create or replace temp table _changed_weeks as {weeks}")
        con.execute(f"create or replace temp table build_weeks as {sql_text('io/build_weeks')}", {"lookback": lookback})
        gone = "week_start not in (select week_start from mart_weeks)"  # a week whose records all went
        con.execute(
            f"delete from {name} where week_start in (select week_start from build_weeks where refresh) or {gone}"
        )
        con.execute(f"insert into {name}\n{sql}")
        con.execute("drop table _changed_weeks")
    con.execute("drop table if exists build_weeks")
