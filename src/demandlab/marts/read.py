"""Analyst API: the marts as polars frames, one call each.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)  # doctest: +SKIP
>>> dl.marts.grid_week(store, grid_id="DH0101").tail(3)               # doctest: +SKIP
"""

from __future__ import annotations

import polars as pl

from ..store import Store


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
        "order by file_name, batch_id, row_number, column_name, reason"
    )


KPI_LEVELS = ("total", "street", "community", "grid", "dept", "theme", "week", "street_week")


def kpi(
    store: Store,
    level: str = "total",
    *,
    street: str | None = None,
    grid_id: str | None = None,
    dept: str | None = None,
) -> pl.DataFrame:
    """Closed-loop KPIs (三率, durations, on time, 网格内办结, reopen, overdue) at one level.

    ``level``: one of :data:`KPI_LEVELS`. Definitions in ``sql/mart_kpi.sql``.
    """
    if level not in KPI_LEVELS:
        raise ValueError(f"level must be one of {KPI_LEVELS}, got {level!r}")
    where, params = _where({"level": level, "street": street, "grid_id": grid_id, "dept": dept})
    return store.sql(
        f"select * from mart_kpi{where} order by week_start nulls first, street nulls first, community nulls first, "
        "grid_id nulls first, dept nulls first, theme_id nulls first",
        params,
    )


def area_category_month(
    store: Store, level: str = "street", *, street: str | None = None, category: str | None = None
) -> pl.DataFrame:
    """Records per street (``level="street"``) or community × category × month, with changes and baseline."""
    if level not in ("street", "community"):
        raise ValueError(f"level must be 'street' or 'community', got {level!r}")
    where, params = _where({"level": level, "street": street, "category": category})
    return store.sql(
        f"select * from mart_area_category_month{where} order by street, community, category, month", params
    )


def alerts(
    store: Store, *, iso_week: str | None = None, kind: str | None = None, grid_id: str | None = None
) -> pl.DataFrame:
    """Alerts (kind ``surge``, ``crowd`` or ``repeat_caller``) with their evidence and records, latest first."""
    where, params = _where({"iso_week": iso_week, "kind": kind, "grid_id": grid_id})
    kinds = "case kind when 'surge' then 0 when 'crowd' then 1 else 2 end"
    order = f"week_start desc, {kinds}, p_value nulls last, alert_id"
    return store.sql(f"select * from mart_alerts{where} order by {order}", params)


def hot_issues(store: Store, *, top: int | None = None) -> pl.DataFrame:
    """Hot issues (place × theme) ranked by heat, as of the latest week; see ``demandlab.signals.hot``."""
    limit = f" limit {int(top)}" if top else ""
    return store.sql(f"select * from mart_hot_issues order by rank{limit}")


def repeats(store: Store, *, repeat_group_id: str | None = None) -> pl.DataFrame:
    """Records that repeat another (same matter, place and time window) with their ``repeat_group_id``."""
    where, params = _where({"repeat_group_id": repeat_group_id})
    return store.sql(
        "select p.*, r.created_at, r.grid_id, r.theme_label, r.text from mart_repeats p "
        "join mart_records r using (source, record_id)"
        f"{where.replace('repeat_group_id', 'p.repeat_group_id')} "
        "order by p.repeat_group_id, r.created_at, p.source, p.record_id",
        params,
    )
