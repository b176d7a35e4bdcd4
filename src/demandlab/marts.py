"""Analyst API: the marts as polars frames, one call each.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)  # doctest: +SKIP
>>> dl.marts.grid_week(store, grid_id="DH0101").tail(3)               # doctest: +SKIP
"""

from __future__ import annotations

import polars as pl

from .store import Store


def _where(filters: dict[str, object]) -> tuple[str, list]:
    used = {k: v for k, v in filters.items() if v is not None}
    if not used:
        return "", []
    return " where " + " and ".join(f"{k} = ?" for k in used), list(used.values())


def records(
    store: Store, *, grid_id: str | None = None, theme_id: int | None = None, iso_week: str | None = None
) -> pl.DataFrame:
    """One row per record with its theme and category (``mart_records``); text is masked."""
    where, params = _where({"grid_id": grid_id, "theme_id": theme_id, "iso_week": iso_week})
    return store.sql(f"select * from mart_records{where} order by created_at, source, record_id", params)


def themes(store: Store) -> pl.DataFrame:
    """Themes with label, keywords, category, size and first/last seen, largest first."""
    return store.sql("select * from themes order by theme_id < 0, size desc nulls last, theme_id")


def week_summary(store: Store) -> pl.DataFrame:
    """One row per ISO week: totals by source and the 三率 (see ``sql/mart_week_summary.sql``)."""
    return store.sql("select * from mart_week_summary order by week_start")


def theme_week(store: Store, *, theme_id: int | None = None) -> pl.DataFrame:
    """Records per theme × week, dense, with the previous week and the 8-week baseline."""
    where, params = _where({"theme_id": theme_id})
    return store.sql(f"select * from mart_theme_week{where} order by theme_id, week_start", params)


def grid_week(store: Store, *, grid_id: str | None = None, street: str | None = None) -> pl.DataFrame:
    """Records per grid × week, dense, with place names, previous week and baseline."""
    where, params = _where({"grid_id": grid_id, "street": street})
    return store.sql(f"select * from mart_grid_week{where} order by grid_id, week_start", params)


def grid_theme_week(store: Store, *, grid_id: str | None = None, theme_id: int | None = None) -> pl.DataFrame:
    """Records per grid × theme × week, dense over weeks, with previous week and baseline."""
    where, params = _where({"grid_id": grid_id, "theme_id": theme_id})
    return store.sql(f"select * from mart_grid_theme_week{where} order by grid_id, theme_id, week_start", params)


def rejects(store: Store) -> pl.DataFrame:
    """Every rejected row with file, row number, column, reason and message (raw values left out)."""
    return store.sql(
        "select batch_id, file_name, row_number, column_name, reason, message, record_id from rejects "
        "order by file_name, row_number"
    )
