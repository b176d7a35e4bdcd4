"""Reading the marts (and what the report and the command line show about the data) as polars frames.

Analysts call these as ``dl.marts.*``; the report and the command line read only through them
(and :mod:`.scope`), so no other module holds a query. Queries longer than a line live in
``sql/read/<name>.sql``; values reach them as parameters.

>>> import demandlab as dl
>>> store = dl.connect("data/demo/demandlab.duckdb", read_only=True)  # doctest: +SKIP
>>> dl.marts.grid_week(store, grid_id="DH0101").tail(3)               # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from .. import sql
from ..labels import grid_label
from ..store import Store, registered

if TYPE_CHECKING:
    from ..signals.status import SignalStatus
    from .scope import Scope


def read_sql(name: str, **parts: str) -> str:
    """The query of ``sql/read/<name>.sql`` (see :func:`demandlab.sql.text`).

    >>> read_sql("coverage").splitlines()[1]
    'select source, count(*) as n, min(created_at)::date as first, max(created_at)::date as last'
    """
    return sql.text(f"read/{name}", **parts)


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


def themes(store: Store, *, status: str | None = None) -> pl.DataFrame:
    """Themes with label, keywords, category, size and first/last seen, largest first (``status="active"``: only
    the themes in use, not the dormant and merged ones)."""
    where, params = _where({"status": status})
    return store.sql(f"select * from themes{where} order by theme_id < 0, size desc nulls last, theme_id", params)


def week_summary(store: Store) -> pl.DataFrame:
    """One row per ISO week: totals by source and the 三率 (see ``sql/marts/mart_week_summary.sql``)."""
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
    """Records per grid × theme × week, dense over weeks (the all-zero weeks the mart leaves out put back), with
    previous week and baseline."""
    where, params = _where({"grid_id": grid_id, "theme_id": theme_id})
    return store.sql(read_sql("grid_theme_week", where=where), params)


def rejects(store: Store, *, batch: str | None = None, reason: str | None = None) -> pl.DataFrame:
    """Every rejected row with file, sheet, row number, column, reason and its Chinese message (raw values
    left out: they stay in the restricted file). ``batch``: a batch id or a file name; ``reason``: a code
    of ``demandlab.ingest.REASONS``."""
    conditions, params = [], []
    if batch is not None:
        conditions.append("(batch_id = ? or file_name = ?)")
        params += [batch, batch]
    if reason is not None:
        conditions.append("reason = ?")
        params.append(reason)
    where = f"where {' and '.join(conditions)}" if conditions else ""
    return store.sql(read_sql("rejects", where=where), params)


KPI_LEVELS = ("total", "street", "community", "grid", "dept", "theme", "week", "street_week")
#: The order of ``mart_kpi`` rows: by week, then down the place hierarchy, then unit and theme.
KPI_ORDER = ", ".join(
    f"{column} nulls first" for column in ("week_start", "street", "community", "grid_id", "dept", "theme_id")
)


def kpi(
    store: Store,
    level: str = "total",
    *,
    street: str | None = None,
    grid_id: str | None = None,
    dept: str | None = None,
) -> pl.DataFrame:
    """Closed-loop KPIs (三率, durations, on time, 网格内办结, reopen, overdue) at one level.

    ``level``: one of :data:`KPI_LEVELS`. Definitions in ``sql/marts/mart_kpi.sql``.
    """
    if level not in KPI_LEVELS:
        raise ValueError(f"level must be one of {KPI_LEVELS}, got {level!r}")
    where, params = _where({"level": level, "street": street, "grid_id": grid_id, "dept": dept})
    return store.sql(f"select * from mart_kpi{where} order by {KPI_ORDER}", params)


PROACTIVE_LEVELS = ("total", "street", "community", "grid", "theme", "week")


def proactive(store: Store, level: str = "total", *, street: str | None = None) -> pl.DataFrame:
    """主动发现: the problems of each unit first seen by the grid (a visit or a grid worker's report) before any
    complaint, and their share (``mart_proactive``). ``level``: one of :data:`PROACTIVE_LEVELS`."""
    if level not in PROACTIVE_LEVELS:
        raise ValueError(f"level must be one of {PROACTIVE_LEVELS}, got {level!r}")
    where, params = _where({"level": level, "street": street})
    order = (
        "week_start nulls first, street nulls first, community nulls first, grid_id nulls first, theme_id nulls first"
    )
    return store.sql(f"select * from mart_proactive{where} order by {order}", params)


FOCUS_LEVELS = ("total", "street", "community", "theme", "week")


def focus(store: Store, level: str = "total", *, group: str | None = None, street: str | None = None) -> pl.DataFrame:
    """一老一小: records of the elderly and of children against everyone (``focus_group`` = ``all``) at one
    level, with their share of the unit and 三率, on-time rate, time to close and overdue (``mart_focus``).

    ``level``: one of :data:`FOCUS_LEVELS`; ``group``: elderly, children or all.
    """
    if level not in FOCUS_LEVELS:
        raise ValueError(f"level must be one of {FOCUS_LEVELS}, got {level!r}")
    where, params = _where({"level": level, "focus_group": group, "street": street})
    order = "week_start nulls first, street nulls first, community nulls first, theme_id nulls first, focus_group"
    return store.sql(f"select * from mart_focus{where} order by {order}", params)


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
    """Alerts (kind ``surge``, ``crowd`` or ``repeat_caller``) with their evidence and records, latest first, and
    ``seen_by_grid``: whether a grid worker had recorded the matter in the 28 days up to the alert's first record."""
    where, params = _where({"a.iso_week": iso_week, "a.kind": kind, "a.grid_id": grid_id})
    kinds = "case a.kind when 'surge' then 0 when 'crowd' then 1 else 2 end"
    order = f"a.week_start desc, {kinds}, a.p_value nulls last, a.alert_id"
    workers = "grid_worker" in store.sql("select * from mart_records limit 0").columns
    seen = read_sql("alert_seen").strip() if workers else "null::boolean"
    return store.sql(read_sql("alerts", seen=seen, where=where, order=order), params)


def hot_issues(store: Store, *, week: dt.date | str | None = None, top: int | None = None, scope=None) -> pl.DataFrame:
    """Hot issues (place × matter) ranked by heat as of the end of ``week``; see ``demandlab.signals.hot``.

    ``week``: an ISO week (``2026-W46``) or its Monday; default the latest week, which is
    ``mart_hot_issues`` as the signals stage wrote it. Any other week, or a ``scope``
    (:class:`demandlab.marts.scope.Scope`: one street, community or grid, whose records alone are
    grouped), is computed by :func:`compute_hot_issues`, the same function with the settings the
    signals stage used: the command line, this function and the report give one heat for one issue
    and week.
    """
    from ..options import IsoWeek

    if isinstance(week, str):
        week = IsoWeek.parse(week).start if "W" in week.upper() else dt.date.fromisoformat(week)
    if scope is None and (week is None or week == latest_week_start(store)):
        limit = f" limit {int(top)}" if top else ""
        return store.sql(f"select * from mart_hot_issues order by rank{limit}")
    found = compute_hot_issues(store, week or latest_week_start(store), scope)
    return found.head(top) if top else found


def compute_hot_issues(store: Store, week: dt.date, scope=None) -> pl.DataFrame:
    """Hot issues as of the end of the week starting ``week``, computed from the records
    (:func:`demandlab.signals.hot_issues` with the signals stage's settings and repeat groups)."""
    import json

    from ..config import SignalsConfig
    from ..signals.hot import hot_issues as compute
    from ..signals.hot import week_end

    settings = json.loads(store.meta("signals_settings") or "{}")
    weeks = settings.get("hot_weeks", SignalsConfig.hot_weeks)
    as_of = week_end(week)
    start = as_of - dt.timedelta(weeks=weeks) if weeks else None
    # the period and the 52 weeks before it are all a hot issue reads (not the whole database)
    oldest = start - dt.timedelta(weeks=52) if start is not None else None
    records = signal_records(store, start=oldest, end=as_of + dt.timedelta(microseconds=1))
    if scope is not None:
        records = scope.filter(records)
    texts = signal_records(store, text=True, start=start).select("source", "record_id", "title", "text", "tokens")
    repeats = store.sql("select source, record_id, repeat_group_id from mart_repeats")
    return compute(
        records,
        as_of=as_of,
        weeks=weeks or None,
        min_records=settings.get("hot_min_records", SignalsConfig.hot_min_records),
        texts=texts,
        repeats=repeats,
    )


def repeats(store: Store, *, repeat_group_id: str | None = None) -> pl.DataFrame:
    """Records that repeat another (same matter, place and time window) with their ``repeat_group_id``."""
    return store.sql(read_sql("repeats"), {"repeat_group_id": repeat_group_id})


# --- what the report and the command line read besides the marts ------------------------------------------


def weeks(store: Store) -> pl.DataFrame:
    """The ISO weeks of the data in order: ``week_start``, ``iso_week``, ``week_index`` (1 for the first)."""
    return store.sql("select week_start, iso_week, week_index from mart_weeks order by week_start")


def latest_week_start(store: Store) -> dt.date | None:
    """The Monday of the latest week with a record (read from ``records``, so before the marts are built too)."""
    return store.scalar("select max(week_start) from records")


def missing(store: Store, names: set[str] | frozenset[str]) -> list[str]:
    """Those of the tables or views ``names`` the database does not hold yet, sorted."""
    return sorted(set(names) - set(store.tables()))


def n_records(store: Store) -> int:
    """How many records the database holds."""
    return store.count("records")


def n_placed(store: Store) -> int:
    """How many records have had the place in their text looked for (0 before the signals ran)."""
    return store.count("record_places") if "record_places" in store.tables() else 0


def model_version(store: Store) -> str | None:
    """The id of the theme model the assignments come from, None before the first fit."""
    return store.meta("theme_model")


def grid_names(store: Store) -> dict[str, str]:
    """Each grid of the registry by id: its name as the registry writes it."""
    return dict(store.sql("select grid_id, grid_name from grids").iter_rows())


def grid_labels(store: Store) -> dict[str, str]:
    """Each grid of the registry by id: its community and name, as people say it (翠竹社区第4网格)."""
    rows = store.sql("select grid_id, grid_name, community from grids").rows()
    return {grid_id: grid_label(name, community) for grid_id, name, community in rows}


def coverage(store: Store) -> pl.DataFrame:
    """Records per source with the first and last day they were raised: ``source``, ``n``, ``first``, ``last``."""
    return store.sql(read_sql("coverage"))


def reject_reasons(store: Store) -> pl.DataFrame:
    """Rejected rows per reason code, most frequent first: ``reason``, ``n``."""
    return store.sql("select reason, count(*) as n from rejects group by reason order by n desc, reason")


def batch_totals(store: Store) -> dict:
    """Files loaded and rows read, accepted and rejected over all of them."""
    return store.sql(read_sql("batch_totals")).row(0, named=True)


def theme_totals(store: Store) -> dict:
    """``n_themes`` (themes, not counting 未归类) and ``unassigned_share`` (records left 未归类, None without any)."""
    n_themes = store.scalar("select count(*) filter (where theme_id >= 0) from themes")
    unassigned = store.scalar("select avg(case when theme_id < 0 then 1.0 else 0.0 end) from assignments")
    return {"n_themes": n_themes, "unassigned_share": unassigned}


def alert_counts(store: Store, iso_week: str) -> dict[str, int]:
    """Alerts of ``iso_week`` per kind (only the kinds that occur), e.g. ``{"surge": 2, "crowd": 1}``."""
    rows = store.sql("select kind, count(*) from mart_alerts where iso_week = ? group by all order by 1", [iso_week])
    return dict(rows.rows())


def street_counts(store: Store, iso_week: str) -> pl.DataFrame:
    """Every street with its records in ``iso_week`` (0 for a quiet street): ``street``, ``n``, by name."""
    return store.sql(read_sql("street_counts"), {"iso_week": iso_week})


def surge_cells(store: Store, grid_id: str, theme_id: int, first: dt.date, last: dt.date) -> pl.DataFrame:
    """One grid × theme's surge test for the weeks ``first`` … ``last`` (``week_start``): ``iso_week``, ``n``,
    ``expected``, in order (from ``mart_surge_scores``)."""
    params = {"grid_id": grid_id, "theme_id": theme_id, "first": first, "last": last}
    return store.sql(read_sql("surge_cells"), params)


def surge_marks(store: Store, grid_id: str, theme_id: int, first: dt.date, last: dt.date) -> pl.DataFrame:
    """The surge alerts of one grid × theme in the weeks ``first`` … ``last``: ``iso_week``, ``kind``,
    ``evidence``, in order."""
    params = {"grid_id": grid_id, "theme_id": theme_id, "first": first, "last": last}
    return store.sql(read_sql("surge_marks"), params)


def signal_counts(
    store: Store, scope: Scope | str | None = None, weeks: tuple[dt.date, dt.date] | None = None
) -> dict[str, int | None]:
    """How many records carry each field the signals need, in one aggregate query (``sql/read/signal_status.sql``).

    Over the records of ``scope`` (a street, community or grid; default all) raised in ``weeks``
    (first and last ``week_start``; default all). The keys are those :func:`demandlab.signals.status.signal_status`
    reads; ``"n:place"`` is None when no record's text has been searched for a place yet.

    >>> signal_counts(store, "street=东湖街道")["n:grid_id"]  # doctest: +SKIP
    5120
    """
    from .scope import scoped  # here: scope reads the SQL models, which the other reads never need

    statement, values = scoped(store, scope).statement("mart_records")
    first, last = weeks or (dt.date.min, dt.date.max)
    counts = store.sql(read_sql("signal_status", records=statement), [*values, first, last]).row(0, named=True)
    if not counts["n:looked"]:
        counts["n:place"] = None
    return counts


def signal_status(
    store: Store, scope: Scope | str | None = None, weeks: tuple[dt.date, dt.date] | None = None
) -> dict[str, SignalStatus]:
    """Whether each signal and closed-loop measure can be computed from these records, and why not: a
    :class:`demandlab.signals.status.SignalStatus` by name (``surge``, ``crowd``, ``response_rate`` …),
    from :func:`signal_counts` (same arguments).

    >>> signal_status(store)["surge"].reason_zh  # doctest: +SKIP
    '无法计算：缺少网格编号（全部 1,234 件记录都没有网格编号）'
    """
    from ..signals.status import signal_status as status_of  # here: the signals package loads scipy

    return status_of(signal_counts(store, scope, weeks))


def signal_records(
    store: Store,
    text: bool | str = False,
    start: dt.datetime | None = None,
    *,
    end: dt.datetime | None = None,
    placed: bool = False,
    groups: bool = False,
    only: pl.DataFrame | None = None,
    keys: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Records with their theme and place, place keys unified across the database: what the signals read.

    One row per record of ``mart_records`` in order of creation, with the place its text names
    (``place_kind``, ``place``, ``place_key``, ``place_road``; null where none was found). A place
    written two ways (万科魅力之城, 魅力之城) has one ``place_key`` (:func:`demandlab.signals.unify_keys`
    over every key of the database, whatever is kept). ``text`` adds ``title``, ``text`` and ``tokens``
    (space-joined), ``"tokens"`` the tokens alone. Kept: the records created from ``start`` and before
    ``end``; with ``placed``, only those naming a place; with ``only``, those matching one of its rows
    on its columns (e.g. ``source``, ``record_id``; ``contact_key``; ``grid_id``, ``theme_id``,
    ``week_start``). ``groups`` adds ``repeat_group_id`` (``mart_repeats``). ``keys``: the unified
    keys (:func:`place_keys`) when the caller reads several times.

    >>> signal_records(store, start=dt.datetime(2026, 11, 1)).columns[-4:]  # doctest: +SKIP
    ['place_kind', 'place', 'place_key', 'place_road']
    """
    conditions = [c for c, v in (("m.created_at >= $start", start), ("m.created_at < $end", end)) if v is not None]
    conditions += ["p.place_key is not null"] if placed else []
    query = read_sql(
        "signal_records",
        extra={True: "m.title, m.text, t.tokens,", "tokens": "t.tokens,"}.get(text, ""),
        tokens="left join tokens as t on m.source = t.source and m.record_id = t.record_id" if text else "",
        group_column=", g.repeat_group_id" if groups else "",
        groups="left join mart_repeats as g on m.source = g.source and m.record_id = g.record_id" if groups else "",
        where=f"where {' and '.join(conditions)}" if conditions else "",
        only=f"semi join _only using ({', '.join(only.columns)})" if only is not None else "",
    )
    params = {k: v for k, v in (("start", start), ("end", end)) if v is not None}
    if only is not None:
        with registered(store.con, "_only", only):
            frame = store.sql(query, params or None)
    else:
        frame = store.sql(query, params or None)
    unified = place_keys(store) if keys is None else keys
    return (
        frame.join(unified, on=["place_key", "place_kind"], how="left", maintain_order="left")
        .with_columns(place_key=pl.col("unified"))
        .drop("unified")
    )


def signal_place_counts(
    store: Store, after: dt.datetime, until: dt.datetime, keys: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Themed records created after ``after`` and up to ``until`` per place (keys unified as
    :func:`signal_records` unifies them), kind, road and theme: ``n``. What a hot issue reads of the year
    before its period (:func:`demandlab.signals.hot.place_counts`), counted without reading the rows."""
    counts = store.sql(read_sql("signal_place_counts"), {"after": after, "until": until})
    unified = place_keys(store) if keys is None else keys
    return (
        counts.join(unified, on=["place_key", "place_kind"], how="left", maintain_order="left")
        .with_columns(place_key=pl.col("unified"))
        .group_by("place_key", "place_kind", "place_road", "theme_id")
        .agg(pl.col("n").sum().cast(pl.Int64))
        .sort(pl.all())
    )


def place_keys(store: Store) -> pl.DataFrame:
    """Every ``place_key`` and ``place_kind`` of ``record_places`` with its unified key (``unified``): how
    :func:`signal_records` writes one place one way."""
    from ..signals.places import unify_keys  # here: the signals package loads scipy, which the other reads never need

    keys = store.sql(
        "select distinct place_key, place_kind from record_places where place_key is not null order by all"
    )
    return keys.with_columns(
        pl.Series("unified", unify_keys(keys["place_key"].to_list(), keys["place_kind"].to_list()), pl.String)
    )


__all__ = [
    "FOCUS_LEVELS",
    "KPI_LEVELS",
    "PROACTIVE_LEVELS",
    "alert_counts",
    "alerts",
    "area_category_month",
    "batch_totals",
    "compute_hot_issues",
    "coverage",
    "focus",
    "grid_labels",
    "grid_names",
    "grid_theme_week",
    "grid_week",
    "hot_issues",
    "kpi",
    "latest_week_start",
    "missing",
    "model_version",
    "n_placed",
    "n_records",
    "place_keys",
    "proactive",
    "read_sql",
    "records",
    "reject_reasons",
    "rejects",
    "repeats",
    "signal_counts",
    "signal_place_counts",
    "signal_records",
    "signal_status",
    "street_counts",
    "surge_cells",
    "surge_marks",
    "theme_totals",
    "theme_week",
    "themes",
    "week_summary",
    "weeks",
]
