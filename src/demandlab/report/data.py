"""What a weekly report shows, read from the marts as plain frames and values.

This is the only part of the report that queries; :mod:`.render` turns the
result into HTML without touching the database. A report can be scoped to a
street or a community: the same mart SQL then runs over that part of
``mart_records`` (the scoped relation shadows the table in a CTE), so the
numbers are computed by exactly the same definitions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import polars as pl

from .. import clock
from ..config import Config
from ..marts.build import sql_models
from ..store import Store

SCOPES = ("street", "community", "grid_id")
#: What a report reads; the signal marts are optional (their sections say when there is nothing).
REQUIRED_MARTS = frozenset(
    {"mart_records", "mart_weeks", "mart_week_summary", "mart_theme_week", "mart_grid_week", "mart_grid_theme_week",
     "mart_kpi"}
)  # fmt: skip


class ReportError(ValueError):
    """The report cannot be written as asked (unknown week, empty scope)."""


@dataclass
class ReportData:
    title: str
    district: str
    scope_label: str
    week: str
    week_start: dt.date
    week_end: dt.date
    generated_at: dt.datetime
    version: str
    model_version: str | None
    headline: dict
    weekly: pl.DataFrame
    top_themes: list[dict]
    theme_trend: pl.DataFrame
    changed_grids: list[dict]
    grid_panels: pl.DataFrame
    heatmap: pl.DataFrame
    examples: list[dict]
    alerts: list[dict] = field(default_factory=list)
    alert_panels: list[dict] = field(default_factory=list)
    hot: list[dict] = field(default_factory=list)
    hot_dots: pl.DataFrame = field(default_factory=pl.DataFrame)
    hot_frame: pl.DataFrame = field(default_factory=pl.DataFrame)
    loop: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)


def parse_scope(text: str | None) -> tuple[str, str] | None:
    """``street=东湖街道`` → ("street", "东湖街道")."""
    if not text:
        return None
    key, _, value = text.partition("=")
    key = {"街道": "street", "社区": "community", "网格": "grid_id", "grid": "grid_id"}.get(key.strip(), key.strip())
    if key not in SCOPES or not value.strip():
        raise ReportError(f"scope must look like street=… or community=… or grid_id=…; got {text!r}")
    return key, value.strip()


class _Marts:
    """Runs mart SQL over the whole district or over one scope of it."""

    def __init__(
        self, store: Store, scope: tuple[str, str] | None, weeks: tuple[dt.date, dt.date] | None = None
    ) -> None:
        self.store = store
        self.scope = scope
        self.weeks = weeks  # only the records raised in these weeks (first, last week_start)
        self.models = dict(sql_models())

    def query(self, name: str, where: str = "", params: list | None = None, order: str = "") -> pl.DataFrame:
        params = list(params or [])
        if self.scope is None and self.weeks is None:
            sql = f"select * from {name}"
        else:
            body = re.sub(r"^(\s*--[^\n]*\n)*", "", self.models[name]).strip()
            conditions, values = [], []
            if self.scope:
                conditions.append(f"{self.scope[0]} = ?")
                values.append(self.scope[1])
            if self.weeks:
                conditions.append("week_start between ? and ?")
                values += list(self.weeks)
            scoped = f"mart_records as (select * from mart_records where {' and '.join(conditions)})"
            body = (
                re.sub(r"^with\s", f"with {scoped},\n", body, count=1)
                if body.lower().startswith("with")
                else f"with {scoped}\n{body}"
            )
            sql = f"select * from ({body})"
            params = [*values, *params]
        if where:
            sql += f" where {where}"
        if order:
            sql += f" order by {order}"
        return self.store.sql(sql, params)


def _pct(new: float | None, old: float | None) -> float | None:
    if new is None or old in (None, 0):
        return None
    return (new - old) / old


def collect(
    store: Store, week: str | None = None, scope: str | None = None, config: Config | None = None
) -> ReportData:
    """Gather everything the report for ``week`` (``2026-W47``; default: the latest week) shows."""
    config = config or Config()
    rc = config.report
    parsed = parse_scope(scope)
    marts = _Marts(store, parsed)
    missing = sorted(REQUIRED_MARTS - set(store.tables()))
    if missing and store.count("records") == 0:
        raise ReportError("the database holds no records yet: ingest exports and run the pipeline first")
    if missing:
        raise ReportError(
            f"the database has no {', '.join(missing)}: run `demandlab run` once to build the marts "
            "(a database from an earlier demandlab needs it after an upgrade)"
        )
    weeks = store.sql("select week_start, iso_week, week_index from mart_weeks order by week_start")
    if weeks.height == 0:
        raise ReportError("the database holds no records yet: ingest exports and run the pipeline first")
    if week is None:
        week = weeks["iso_week"][-1]
    match = weeks.filter(pl.col("iso_week") == week)
    if match.height == 0:
        raise ReportError(f"no data for week {week}; the data covers {weeks['iso_week'][0]} … {weeks['iso_week'][-1]}")
    week_start: dt.date = match["week_start"][0]
    first_shown = week_start - dt.timedelta(weeks=rc.weeks_shown - 1)

    summary = marts.query("mart_week_summary", "week_start between ? and ?", [first_shown, week_start], "week_start")
    if summary.filter(pl.col("week_start") == week_start).height == 0 and parsed:
        raise ReportError(f"{parsed[0]} {parsed[1]!r} has no records in {week}")
    this = summary.filter(pl.col("week_start") == week_start).row(0, named=True) if summary.height else {}
    n = this.get("n", 0)
    headline = {
        "n": n,
        "n_prev": this.get("n_prev_week"),
        "change": None if this.get("n_prev_week") is None else n - this["n_prev_week"],
        "change_pct": _pct(n, this.get("n_prev_week")),
        "n_last_year": this.get("n_last_year"),
        "yoy_pct": _pct(n, this.get("n_last_year")),
        "response_rate": this.get("response_rate"),
        "resolution_rate": this.get("resolution_rate"),
        "satisfaction_rate": this.get("satisfaction_rate"),
        "sources": {k.removeprefix("n_"): this.get(k, 0) for k in ("n_12345", "n_snapshot", "n_visit", "n_other")},
        "grids_active": this.get("grids_active", 0),
    }

    theme_week = marts.query(
        "mart_theme_week", "week_start between ? and ? and theme_id >= 0", [first_shown, week_start]
    )
    recent = theme_week.filter(pl.col("week_start") > week_start - dt.timedelta(weeks=4))
    ranking = (
        recent.group_by("theme_id", "theme_label", "category")
        .agg(pl.col("n").sum().alias("n_4w"))
        .join(
            theme_week.filter(pl.col("week_start") == week_start).select(
                "theme_id", "n", "n_prev_week", "baseline_mean"
            ),
            on="theme_id",
            how="left",
        )
        .sort(["n_4w", "theme_id"], descending=[True, False])
        .head(rc.top_themes)
    )
    top_themes = []
    for row in ranking.iter_rows(named=True):
        spark = theme_week.filter(pl.col("theme_id") == row["theme_id"]).sort("week_start").select("iso_week", "n")
        top_themes.append({**row, "change": (row["n"] or 0) - (row["n_prev_week"] or 0), "spark": spark})
    top_ids = [t["theme_id"] for t in top_themes[:5]]
    theme_trend = (
        theme_week.filter(pl.col("theme_id").is_in(top_ids))
        .with_columns(pl.col("theme_id").replace_strict({t: i for i, t in enumerate(top_ids)}).alias("__order"))
        .sort(["__order", "week_start"])
        .select("iso_week", "theme_label", "n")
    )

    grid_theme = marts.query("mart_grid_theme_week", "week_start = ? and theme_id >= 0", [week_start])
    grid_week = marts.query("mart_grid_week", "week_start between ? and ?", [first_shown, week_start])
    this_grids = grid_week.filter(pl.col("week_start") == week_start).with_columns(
        (pl.col("n") - pl.col("baseline_mean").fill_null(0)).alias("excess")
    )
    changed = this_grids.sort(["excess", "grid_id"], descending=[True, False]).head(rc.changed_grids)
    changed_ids = changed["grid_id"].to_list()
    labels = {
        r["grid_id"]: f"{r['community'] or ''}{_short(r['grid_name'], r['community'])}"
        for r in changed.iter_rows(named=True)
    }
    grid_panels = (
        grid_week.filter(pl.col("grid_id").is_in(changed_ids))
        .with_columns(
            pl.col("grid_id").replace_strict(labels).alias("grid_label"),
            pl.col("grid_id").replace_strict({g: i for i, g in enumerate(changed_ids)}).alias("__order"),
        )
        .sort(["__order", "week_start"])
        .select("grid_label", "iso_week", "n", "baseline_mean")
    )
    top_in_grid = (
        grid_theme.filter(pl.col("grid_id").is_in(changed_ids) & (pl.col("n") > 0))
        .sort(["grid_id", "n", "theme_id"], descending=[False, True, False])
        .group_by("grid_id", maintain_order=True)
        .agg(pl.col("theme_label").head(2))
    )
    main_themes = dict(top_in_grid.iter_rows())
    changed_grids = [
        {**r, "grid_label": labels[r["grid_id"]], "themes": main_themes.get(r["grid_id"], [])}
        for r in changed.iter_rows(named=True)
    ]

    heat_weeks = marts.query(
        "mart_grid_theme_week",
        "week_start > ? and week_start <= ? and theme_id >= 0",
        [week_start - dt.timedelta(weeks=4), week_start],
    )
    heat = heat_weeks.group_by("grid_id", "theme_label").agg(pl.col("n").sum())
    top_grids = (
        heat.group_by("grid_id")
        .agg(pl.col("n").sum())
        .sort(["n", "grid_id"], descending=[True, False])
        .head(20)["grid_id"]
        .to_list()
    )
    heat_themes = [t["theme_label"] for t in top_themes[:12]]
    grid_names = dict(store.sql("select grid_id, grid_name from grids").iter_rows())
    heatmap = (
        heat.filter(pl.col("grid_id").is_in(top_grids) & pl.col("theme_label").is_in(heat_themes))
        .with_columns(
            pl.col("grid_id").replace_strict(grid_names, default=pl.col("grid_id")).alias("grid_label"),
            pl.col("grid_id").replace_strict({g: i for i, g in enumerate(top_grids)}).alias("__g"),
            pl.col("theme_label").replace_strict({t: i for i, t in enumerate(heat_themes)}).alias("__t"),
        )
        .sort(["__g", "__t"])
        .select("grid_label", "theme_label", "n")
    )

    examples = []
    records = marts.query(
        "mart_records", "week_start = ? and theme_id >= 0", [week_start], "theme_score desc, source, record_id"
    )
    for t in top_themes[:6]:
        texts = (
            records.filter(pl.col("theme_id") == t["theme_id"])["text"]
            .drop_nulls()
            .unique(maintain_order=True)
            .head(2)
            .to_list()
        )
        if texts:
            examples.append({"label": t["theme_label"], "category": t["category"], "texts": [_clip(x) for x in texts]})

    alerts, alert_panels = _alerts(store, parsed, week, first_shown, week_start)
    hot, hot_frame, hot_dots = _hot(store, config, parsed, week_start)
    loop = _closed_loop(store, parsed, week_start)
    notes = {**_notes(store, parsed), "hot_weeks": config.signals.hot_weeks or "全部"}
    scope_label = "全区" if parsed is None else parsed[1]
    return ReportData(
        title=rc.title,
        district=rc.district,
        scope_label=scope_label,
        week=week,
        week_start=week_start,
        week_end=week_start + dt.timedelta(days=6),
        generated_at=clock.now(),
        version=_version(),
        model_version=store.meta("theme_model"),
        headline=headline,
        weekly=summary,
        top_themes=top_themes,
        theme_trend=theme_trend,
        changed_grids=changed_grids,
        grid_panels=grid_panels,
        heatmap=heatmap,
        examples=examples,
        alerts=alerts,
        alert_panels=alert_panels,
        hot=hot,
        hot_frame=hot_frame,
        hot_dots=hot_dots,
        loop=loop,
        notes=notes,
    )


ALERT_KINDS = {"surge": "激增", "crowd": "多人同诉", "repeat_caller": "一人多诉"}


def _scope_filter(frame: pl.DataFrame, scope: tuple[str, str] | None) -> pl.DataFrame:
    return frame if scope is None or scope[0] not in frame.columns else frame.filter(pl.col(scope[0]) == scope[1])


def _alerts(
    store: Store, scope: tuple[str, str] | None, week: str, first: dt.date, week_start: dt.date
) -> tuple[list[dict], list[dict]]:
    """The week's alerts (mart_alerts) in the scope, surges first, and a trend panel for the top surges
    (the weekly counts against what the surge model expected, mart_surge_scores)."""
    if not {"mart_alerts", "mart_surge_scores"} <= set(store.tables()):
        return [], []
    found = _scope_filter(store.sql("select * from mart_alerts where iso_week = ?", [week]), scope)
    order = {"surge": 0, "crowd": 1, "repeat_caller": 2}
    found = found.with_columns(
        pl.col("kind").replace_strict(order, return_dtype=pl.Int32).alias("__k"),
        pl.col("grid_id").replace_strict(_grid_labels(store), default=pl.col("grid_id")).alias("grid_label"),
    ).sort(["__k", "p_value", "n", "alert_id"], descending=[False, False, True, False], nulls_last=True)
    alerts = [
        {**r, "kind_label": ALERT_KINDS.get(r["kind"], r["kind"]), "new": r["weeks_running"] == 1}
        for r in found.drop("__k", "records").iter_rows(named=True)
    ]
    panels = []
    for a in [a for a in alerts if a["kind"] == "surge"][:3]:
        cells = store.sql(
            "select w.iso_week, s.n, s.expected from mart_surge_scores s join mart_weeks w using (week_start) "
            "where s.grid_id = ? and s.theme_id = ? and s.week_start between ? and ? order by s.week_start",
            [a["grid_id"], a["theme_id"], first, week_start],
        )
        marks = store.sql(
            "select iso_week, kind, evidence from mart_alerts where kind = 'surge' and grid_id = ? "
            "and theme_id = ? and week_start between ? and ? order by week_start",
            [a["grid_id"], a["theme_id"], first, week_start],
        )
        panels.append({"title": f"{a['grid_label']} · {a['theme_label']}", "cells": cells, "alerts": marks})
    return alerts, panels


def _hot(
    store: Store, config: Config, scope: tuple[str, str] | None, week_start: dt.date
) -> tuple[list[dict], pl.DataFrame, pl.DataFrame]:
    """Hot issues as of the end of the report's week (so a past week's report shows that week's)."""
    from ..pipeline import Pipeline
    from ..signals import hot_issues

    if "record_places" not in store.tables() or store.count("record_places") == 0:
        return [], pl.DataFrame(), pl.DataFrame()
    cfg = config.signals
    as_of = dt.datetime.combine(week_start + dt.timedelta(days=7), dt.time()) - dt.timedelta(microseconds=1)
    pipe = Pipeline(store, config)
    records = pipe.signal_records().filter(pl.col("created_at") <= as_of)
    records = _scope_filter(records, scope)
    start = as_of - dt.timedelta(weeks=cfg.hot_weeks or 13)
    texts = pipe.signal_records(text=True, start=start).select("source", "record_id", "title", "text", "tokens")
    hot = hot_issues(
        records, as_of=as_of, weeks=cfg.hot_weeks or None, min_records=cfg.hot_min_records, top=8, texts=texts
    )
    if hot.is_empty():
        return [], hot, pl.DataFrame()
    dots = (
        hot.select("hot_id", "records")
        .explode("records")
        .with_columns(pl.col("records").str.split_exact(":", 1).struct.rename_fields(["source", "record_id"]))
        .unnest("records")
        .join(records.select("source", "record_id", "created_at", "likes"), on=["source", "record_id"])
        .sort("hot_id", "created_at", "source", "record_id")
    )
    rows = [
        {**r, "example": _clip(r["examples"][0], 120) if r["examples"] else ""}
        for r in hot.drop("records").iter_rows(named=True)
    ]
    return rows, hot, dots


def _closed_loop(store: Store, scope: tuple[str, str] | None, week_start: dt.date) -> dict:
    """KPIs of the records raised in the last four weeks, overall and per handling unit; overdue now."""
    first = week_start - dt.timedelta(weeks=3)
    # one run of the KPI model per period (a scoped run recomputes it over the scope's records)
    recent = _Marts(store, scope, (first, week_start)).query("mart_kpi", "level in ('total', 'dept')")
    current = _Marts(store, scope).query("mart_kpi", "level in ('total', 'dept')")
    total = recent.filter(pl.col("level") == "total")
    units = (
        recent.filter((pl.col("level") == "dept") & pl.col("dept").is_not_null())
        .sort(["n", "dept"], descending=[True, False])
        .head(10)
    )
    now = current.filter(pl.col("level") == "total")
    overdue = current.filter((pl.col("level") == "dept") & (pl.col("overdue_open") > 0)).sort(
        ["overdue_open", "dept"], descending=[True, False], nulls_last=True
    )
    return {
        "first_week": first,
        "total": total.row(0, named=True) if total.height else {},
        "units": units.to_dicts(),
        "units_frame": units,
        "overdue_open": now["overdue_open"][0] if now.height else 0,
        "overdue_units": overdue.select("dept", "overdue_open").head(8).to_dicts(),
    }


def _grid_labels(store: Store) -> dict[str, str]:
    rows = store.sql("select grid_id, grid_name, community from grids").rows()
    return {g: f"{c or ''}{_short(n, c)}" for g, n, c in rows}


def _short(grid_name: str | None, community: str | None) -> str:
    name = grid_name or ""
    return name.removeprefix(community or "") or name


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _version() -> str:
    from .. import __version__

    return __version__


def _notes(store: Store, scope: tuple[str, str] | None) -> dict:
    coverage = store.sql(
        "select source, count(*) as n, min(created_at)::date as first, max(created_at)::date as last "
        "from records group by source order by n desc, source"
    )
    rejects = store.sql("select reason, count(*) as n from rejects group by reason order by n desc, reason")
    batches = store.sql(
        "select count(*) as files, coalesce(sum(rows_read), 0) as rows_read, "
        "coalesce(sum(rows_accepted), 0) as rows_accepted, coalesce(sum(rows_rejected), 0) as rows_rejected "
        "from batches"
    ).row(0, named=True)
    themes = store.sql("select count(*) filter (where theme_id >= 0) as n_themes from themes").row(0, named=True)
    unassigned = store.scalar("select avg(case when theme_id < 0 then 1.0 else 0.0 end) from assignments")
    return {
        "coverage": coverage.to_dicts(),
        "rejects": rejects.to_dicts(),
        "batches": batches,
        "n_themes": themes["n_themes"],
        "unassigned_share": unassigned,
        "scope": scope,
    }
