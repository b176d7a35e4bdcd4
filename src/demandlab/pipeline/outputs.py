"""How each stage's frames land: one function per output, inside the stage's transaction.

Every function takes the open transaction (``con``) and frames or plain values; the SQL it runs
comes from ``sql/io``. Nothing here decides anything: the decisions are the stages'.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import polars as pl

from .. import schema, sql
from ..store import Store, quote, registered
from ..themes.fit import FitResult
from ..themes.registry import Matching, Overrides, apply_overrides


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Rows of ``frame`` replace those of ``table`` with the same record key."""
    Store.replace_keys(con, table, frame, schema.KEY)


def focus(con: duckdb.DuckDBPyConnection, tagged: pl.DataFrame) -> None:
    """Set ``records.focus`` from ``tagged`` (``source``, ``record_id``, ``focus``); nothing else changes."""
    with registered(con, "_focus", tagged):
        con.execute(sql.text("io/update_focus"))


def fit(
    con: duckdb.DuckDBPyConnection, result: FitResult, path: str, reason: str, window: tuple, now: dt.datetime
) -> None:
    """A fitted model: its clusters' ids, every record's assignment, the themes, events, the model row and
    the boilerplate it found."""
    version, matching = result.version, result.matching
    clusters = pl.DataFrame(
        {"cluster": list(matching.cluster_theme), "theme_id": list(matching.cluster_theme.values())},
        schema={"cluster": pl.Int32, "theme_id": pl.Int32},
    )
    Store.insert(con, "theme_clusters", clusters.with_columns(pl.lit(version).alias("model_version")))
    con.execute("delete from assignments")
    Store.insert(con, "assignments", result.assignments)
    fitted_themes(con, result.described, matching, version)
    events = pl.DataFrame(matching.events, schema=["theme_id", "event", "detail"], orient="row")
    Store.insert(
        con,
        "theme_events",
        events.with_columns(
            pl.col("theme_id").cast(pl.Int32),
            pl.lit(version).alias("model_version"),
            pl.lit(now, schema.DATETIME).alias("recorded_at"),
        ),
    )
    model = result.model
    params = {**model.params_json(), "n_themes_": model.n_themes_, "merge_trace": getattr(model, "merge_trace_", None)}
    params["degraded"] = model.degraded_
    row = [version, now, result.n_window, json.dumps(params, ensure_ascii=False), path, *window, reason]
    con.execute(sql.text("io/insert_theme_model"), row)
    boilerplate(con, result.boilerplate, version, now)
    Store.set_meta(con, "theme_model", version)


def boilerplate(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, version: str, now: dt.datetime) -> None:
    """The boilerplate of this fit (found, kept, dropped) replaces the previous fit's."""
    con.execute("delete from boilerplate")
    Store.insert(
        con,
        "boilerplate",
        rows.with_columns(pl.lit(version).alias("model_version"), pl.lit(now, schema.DATETIME).alias("found_at")),
    )


def fitted_themes(con: duckdb.DuckDBPyConnection, described: pl.DataFrame, matching: Matching, version: str) -> None:
    """Upsert the themes of a fit; every other theme keeps its row with its new status."""
    rows = described.with_columns(pl.lit(version).alias("model_version"), pl.lit("active").alias("fit_status")).drop(
        "cluster"
    )
    if rows["theme_id"].n_unique() < rows.height:  # cannot happen: the matching is one to one
        raise RuntimeError("two clusters matched one theme id")
    con.execute(sql.text("io/ensure_unassigned_theme"))
    with registered(con, "_described", rows):
        con.execute(sql.text("io/insert_new_themes"))
        con.execute(sql.text("io/update_fitted_themes"))
    for theme, status in matching.status.items():
        if theme not in matching.cluster_theme.values():
            con.execute("update themes set fit_status = ? where theme_id = ?", [status, theme])


def overrides(con: duckdb.DuckDBPyConnection, version: str, decided: Overrides, final: dict[int, int]) -> None:
    """Bring assignments and theme rows in line with the analysts' overrides (idempotent, reversible)."""
    mapping = pl.DataFrame(
        {"cluster": list(final), "final": list(final.values())}, schema={"cluster": pl.Int32, "final": pl.Int32}
    )
    with registered(con, "_final", mapping):
        con.execute(sql.text("io/remap_assignments"), [version])
    themes = apply_overrides(con.sql("select * from themes order by theme_id").pl(), decided)
    with registered(con, "_themes", themes):
        con.execute(sql.text("io/update_theme_overrides"))


def theme_stats(con: duckdb.DuckDBPyConnection) -> None:
    """Each theme's size and first and last day raised."""
    con.execute("update themes set size = 0 where theme_id >= 0")
    con.execute(sql.text("io/refresh_theme_stats"))


def places(con: duckdb.DuckDBPyConnection, found: pl.DataFrame, everything: bool, fingerprint: str) -> None:
    """The place each record names; everything again when the registry's compounds changed."""
    if found.height:
        if everything:
            con.execute("delete from record_places")
        Store.replace_keys(con, "record_places", found, schema.KEY)
    Store.set_meta(con, "place_finder", fingerprint)


def signal_tables(con: duckdb.DuckDBPyConnection, columns: dict[str, dict[str, pl.DataType]]) -> None:
    """The signal marts created empty with their columns (a full pass fills them again)."""
    for name, types in columns.items():
        with registered(con, "_signal_frame", pl.DataFrame(schema=types)):
            con.execute(f"create or replace table {quote(name)} as select * from _signal_frame")


def signal_weeks_forgotten(con: duckdb.DuckDBPyConnection, first: dt.date) -> None:
    """The surge tests and the weekly alerts (surge, crowd) of the weeks from ``first`` on are computed again."""
    con.execute("delete from mart_surge_scores where week_start >= ?", [first])
    con.execute("delete from mart_alerts where kind in ('surge', 'crowd') and week_start >= ?", [first])


def signal_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Rows computed for weeks whose rows were forgotten (:func:`signal_weeks_forgotten`) or a fresh table."""
    Store.insert(con, table, frame)


def repeat_groups(con: duckdb.DuckDBPyConnection, groups: pl.DataFrame, replaced: pl.DataFrame) -> None:
    """``groups`` (rows of ``mart_repeats``) replace the groups named in ``replaced`` (``repeat_group_id``) and
    the rows of their records."""
    with registered(con, "_replaced", replaced.select("repeat_group_id").unique()):
        con.execute("delete from mart_repeats where repeat_group_id in (select repeat_group_id from _replaced)")
    Store.replace_keys(con, "mart_repeats", groups, schema.KEY)


def repeat_caller_alerts(con: duckdb.DuckDBPyConnection, alerts: pl.DataFrame, gone: list[str]) -> None:
    """The 一人多诉 alerts ``gone`` (ids) are deleted, ``alerts`` inserted."""
    with registered(con, "_gone", pl.DataFrame({"alert_id": gone}, schema={"alert_id": pl.String})):
        con.execute("delete from mart_alerts where kind = 'repeat_caller' and alert_id in (select alert_id from _gone)")
    Store.replace_keys(con, "mart_alerts", alerts, ["alert_id"])


def hot_issues(con: duckdb.DuckDBPyConnection, hot: pl.DataFrame) -> None:
    """The hot issues as of the latest week replace those before."""
    con.execute("delete from mart_hot_issues")
    Store.insert(con, "mart_hot_issues", hot)


def signals(con: duckdb.DuckDBPyConnection, settings: str) -> None:
    """The signal marts are up to date: the records to look at again are forgotten, the settings noted."""
    con.execute("delete from meta where key = 'signals_since'")
    Store.set_meta(con, "signals_settings", settings)
