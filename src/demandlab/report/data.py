"""What a weekly report shows, read from the marts as plain frames and values.

This is the only part of the report that reads the database, and it reads only through
:mod:`demandlab.marts.read` and :mod:`demandlab.marts.scope`; :mod:`.render` turns the result into
HTML without touching the database. A report can be scoped to a street, a community or a grid:
the same mart models then run over that part of every relation that carries a place (records and
the grid registry, :func:`~demandlab.marts.scope.scoped`), so the numbers come from exactly the
same definitions and no other place's grid appears.

Places are named as people name them: a scope by its name with its community or street, never its id
(:func:`demandlab.labels.scope_name`), and the district by the config, else by the data (:func:`_district`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl

from .. import __version__, clock
from ..config import Config
from ..errors import NoDataError
from ..labels import (
    ALERT_KINDS_ZH,
    SCOPE_KINDS_ZH,
    SOURCE_LABELS_ZH,
    district_of,
    grid_label,
    reject_reason_zh,
    scope_name,
    source_zh,
)
from ..marts import read
from ..marts.scope import Scope, scoped
from ..store import Store
from . import findings

#: What a report reads; the signal marts are optional (their sections say when there is nothing).
REQUIRED_MARTS = frozenset(
    {"mart_records", "mart_weeks", "mart_week_summary", "mart_theme_week", "mart_grid_week", "mart_grid_theme_week",
     "mart_kpi"}
)  # fmt: skip


class ReportError(NoDataError):
    """The report cannot be written as asked (unknown week, empty scope): exit code 4."""


NO_RECORDS = "数据库中还没有记录：请先导入导出文件（demandlab ingest）并运行 demandlab run"


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
    #: 一老一小 (:func:`_focus`): the elderly and children against everyone over the last four weeks
    focus: dict = field(default_factory=dict)
    #: 需求清单 of a community's report (:func:`demandlab.lists.demand`): its first demands by priority
    demands: list[dict] = field(default_factory=list)
    #: 项目评议 of a community's report (:func:`demandlab.lists.review`): its projects' demand before and after
    reviews: list[dict] = field(default_factory=list)
    notes: dict = field(default_factory=dict)
    #: what the alerts section says besides the alerts (:func:`_alert_status`): never a bare "no alerts"
    #: when a kind of alert could not be computed
    alert_status: dict = field(default_factory=dict)
    #: 本周要点 (:mod:`.findings`): the findings, what is said besides them, and 需要关注的单位/街道
    findings: list = field(default_factory=list)
    findings_notes: list = field(default_factory=list)
    attention: dict = field(default_factory=dict)


def parse_scope(text: str | None) -> Scope | None:
    """``street=东湖街道`` (or 街道=…, community=…, 社区=…, grid=…, 网格=…) → ``Scope("street", "东湖街道")``."""
    return Scope.parse(text) if text else None  # a malformed text: UsageError (exit 2) naming the forms


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
    marts = scoped(store, parsed)
    missing = read.missing(store, REQUIRED_MARTS)
    if missing and read.n_records(store) == 0:
        raise ReportError(NO_RECORDS)
    if missing:
        raise ReportError(
            f"数据库中还没有汇总表 {', '.join(missing)}：请先运行一次 demandlab run 生成"
            "（旧版 demandlab 的数据库在升级后也需要运行一次）"
        )
    weeks = read.weeks(store)
    if weeks.height == 0:
        raise ReportError(NO_RECORDS)
    if week is None:
        week = weeks["iso_week"][-1]
    match = weeks.filter(pl.col("iso_week") == week)
    if match.height == 0:
        raise ReportError(f"{week} 没有数据；现有数据覆盖 {weeks['iso_week'][0]} … {weeks['iso_week'][-1]}")
    week_start: dt.date = match["week_start"][0]
    first_shown = week_start - dt.timedelta(weeks=rc.weeks_shown - 1)

    summary = marts.query("mart_week_summary", "week_start between ? and ?", [first_shown, week_start], "week_start")
    if summary.filter(pl.col("week_start") == week_start).height == 0 and parsed:
        raise ReportError(f"{SCOPE_KINDS_ZH[parsed.kind]}「{parsed.value}」在 {week} 没有记录")
    week_status = read.signal_status(store, parsed, (week_start, week_start))
    summary = _mask_unknown(summary, read.signal_status(store, parsed, (first_shown, week_start)))
    this = summary.filter(pl.col("week_start") == week_start).row(0, named=True) if summary.height else {}
    this = _known(this, week_status)
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
        # every source named in Chinese (labels.SOURCE_LABELS_ZH), then 其他来源 for any other
        "sources": {**{s: this.get(f"n_{s}") or 0 for s in SOURCE_LABELS_ZH}, "other": this.get("n_other") or 0},
        "grids_active": this.get("grids_active", 0),
        # why a rate is unknown, under its card: 17 件记录均缺少受理时间
        "unknown": _unknown_texts(week_status, ("response_rate", "resolution_rate", "satisfaction_rate"), "detail_zh"),
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
    # the first week of the data has nothing to compare with: no 环比 (it read +39 beside 无上周数据可比)
    has_previous = weeks.filter(pl.col("week_start") < week_start).height > 0
    for row in ranking.iter_rows(named=True):
        spark = theme_week.filter(pl.col("theme_id") == row["theme_id"]).sort("week_start").select("iso_week", "n")
        change = (row["n"] or 0) - (row["n_prev_week"] or 0) if has_previous else None
        top_themes.append({**row, "change": change, "spark": spark})
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
    labels = {r["grid_id"]: grid_label(r["grid_name"], r["community"]) for r in changed.iter_rows(named=True)}
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
    grid_names = read.grid_names(store)
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
    focus = _focus(store, parsed, week_start, loop["status"])
    demands = _demands(store, parsed, week_start)
    reviews = _reviews(store, parsed, week_start)
    notes = {
        **_notes(store, parsed),
        "hot_weeks": config.signals.hot_weeks or "全部",
        "status": _status_notes(week_status, loop["status"], loop["status_now"]),
        "hot_unavailable": "" if loop["status"]["hot"].computable else loop["status"]["hot"].reason_zh,
        "heat_grids": heat.filter(pl.col("n") > 0)["grid_id"].n_unique(),  # the heatmap: the top 20 of these
    }
    # a scope by its name, with its community or street (翠竹社区第4网格（东湖街道）), never a bare id
    grids_in_scope = grid_week.unique("grid_id", keep="first", maintain_order=True).to_dicts()
    scope_label = "全区" if parsed is None else scope_name(parsed.kind, parsed.value, grids_in_scope)
    data = ReportData(
        title=rc.title,
        district=rc.district or _district(store),
        scope_label=scope_label,
        week=week,
        week_start=week_start,
        week_end=week_start + dt.timedelta(days=6),
        generated_at=clock.now(),
        version=__version__,
        model_version=read.model_version(store),
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
        focus=focus,
        demands=demands,
        reviews=reviews,
        notes=notes,
        alert_status=_alert_status(store, week_status, bool(alerts)),
    )
    frames = _attention_frames(store, parsed, week_start, has_previous, loop["overdue_open"] is not None)
    data.findings, data.findings_notes, data.attention = findings.compose(data, frames, config.signals)
    return data


def _scope_filter(frame: pl.DataFrame, scope: Scope | None) -> pl.DataFrame:
    return frame if scope is None else scope.filter(frame)


def _alerts(
    store: Store, scope: Scope | None, week: str, first: dt.date, week_start: dt.date
) -> tuple[list[dict], list[dict]]:
    """The week's alerts (mart_alerts) in the scope, surges first, and a trend panel for the top surges
    (the weekly counts against what the surge model expected, mart_surge_scores)."""
    if read.missing(store, {"mart_alerts", "mart_surge_scores"}):
        return [], []
    found = _scope_filter(read.alerts(store, iso_week=week), scope)
    order = {"surge": 0, "crowd": 1, "repeat_caller": 2}
    found = found.with_columns(
        pl.col("kind").replace_strict(order, return_dtype=pl.Int32).alias("__k"),
        pl.col("grid_id").replace_strict(read.grid_labels(store), default=pl.col("grid_id")).alias("grid_label"),
    ).sort(["__k", "p_value", "n", "alert_id"], descending=[False, False, True, False], nulls_last=True)
    alerts = [
        {**r, "kind_label": ALERT_KINDS_ZH.get(r["kind"], r["kind"]), "new": r["weeks_running"] == 1}
        for r in found.drop("__k", "records").iter_rows(named=True)
    ]
    panels = []
    for a in [a for a in alerts if a["kind"] == "surge"][:3]:
        cells = read.surge_cells(store, a["grid_id"], a["theme_id"], first, week_start)
        marks = read.surge_marks(store, a["grid_id"], a["theme_id"], first, week_start)
        panels.append({"title": f"{a['grid_label']} · {a['theme_label']}", "cells": cells, "alerts": marks})
    return alerts, panels


def _hot(
    store: Store, config: Config, scope: Scope | None, week_start: dt.date
) -> tuple[list[dict], pl.DataFrame, pl.DataFrame]:
    """Hot issues as of the end of the report's week (so a past week's report shows that week's): the
    signals stage's own for the latest week, computed alike for another week or a scope
    (:func:`demandlab.marts.read.hot_issues`)."""
    if read.n_placed(store) == 0 or read.missing(store, {"mart_hot_issues", "mart_repeats"}):
        return [], pl.DataFrame(), pl.DataFrame()
    hot = read.hot_issues(store, week=week_start, top=8, scope=scope)
    if hot.is_empty():
        return [], hot, pl.DataFrame()
    held = (
        hot.select("hot_id", "records")
        .explode("records")
        .with_columns(pl.col("records").str.split_exact(":", 1).struct.rename_fields(["source", "record_id"]))
        .unnest("records")
    )
    records = read.signal_records(store, only=held.select("source", "record_id").unique())  # not every record
    dots = held.join(records.select("source", "record_id", "created_at", "likes"), on=["source", "record_id"])
    dots = dots.sort("hot_id", "created_at", "source", "record_id")
    rows = [
        {**r, "example": _clip(r["examples"][0], 120) if r["examples"] else ""}
        for r in hot.drop("records").iter_rows(named=True)
    ]
    return rows, hot, dots


def _closed_loop(store: Store, scope: Scope | None, week_start: dt.date) -> dict:
    """KPIs of the records raised in the last four weeks, overall and per handling unit; overdue now.

    A measure these records cannot give (no record has its field) is None, never 0, and ``unknown``
    holds what to print instead (:attr:`~demandlab.signals.status.SignalStatus.unknown_zh`);
    ``status`` and ``status_now`` are the statuses of the four weeks and of all records.
    """
    first = week_start - dt.timedelta(weeks=3)
    status = read.signal_status(store, scope, (first, week_start))
    status_now = read.signal_status(store, scope)
    # one run of the KPI model per period (a scoped run recomputes it over the scope's records)
    recent = _mask_unknown(
        scoped(store, scope, (first, week_start)).query("mart_kpi", "level in ('total', 'dept')"), status
    )
    current = _mask_unknown(scoped(store, scope).query("mart_kpi", "level in ('total', 'dept')"), status_now)
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
    measures = ("ontime_rate", "grid_closed_share", "reopen_rate", "hours_to_close_median", "hours_to_close_p90")
    begun = scoped(store, scope).query(
        "mart_proactive", "level = 'week' and week_start between ? and ?", [first, week_start]
    )
    problems, by_grid = int(begun["problems"].sum()), int(begun["found_by_grid"].sum())
    return {
        "proactive": {"problems": problems, "found_by_grid": by_grid, "rate": by_grid / problems if problems else None},
        "first_week": first,
        "total": total.row(0, named=True) if total.height else {},
        "units": units.to_dicts(),
        "units_frame": units,
        "overdue_open": now["overdue_open"][0] if now.height else None,
        "overdue_units": overdue.select("dept", "overdue_open").head(8).to_dicts(),
        "unknown": {**_unknown_texts(status, measures), **_unknown_texts(status_now, ("overdue_open",))},
        "status": status,
        "status_now": status_now,
    }


#: how many of a community's demands its report lists
DEMANDS_SHOWN = 8


def _demands(store: Store, scope: Scope | None, week_start: dt.date) -> list[dict]:
    """A community report's 需求清单: its recurring demands of the 12 weeks to ``week_start``, by priority."""
    from ..lists import demand

    if scope is None or scope.kind != "community":
        return []
    listed = demand(store, community=scope.value, as_of=week_start).head(DEMANDS_SHOWN)
    return [{**row, "examples": [_clip(x, 80) for x in row["examples"]]} for row in listed.to_dicts()]


def _reviews(store: Store, scope: Scope | None, week_start: dt.date) -> list[dict]:
    """A community report's 项目评议: each of its projects' demand before and after the start (as of the week)."""
    from ..lists import review

    if scope is None or scope.kind != "community" or "projects" not in store.tables():
        return []
    return review(store, as_of=week_start).filter(pl.col("community") == scope.value).to_dicts()


FOCUS_GROUPS_ZH = {"elderly": "老年人", "children": "儿童", "all": "全部诉求"}


def _focus(store: Store, scope: Scope | None, week_start: dt.date, status: dict) -> dict:
    """一老一小 over the four weeks to ``week_start``: records and share of each group, against the four weeks
    before; the groups' 三率, on-time rate and time to close beside everyone's; each group's largest themes.

    Rates the records cannot give are None (``status``: the four weeks' signal statuses, as the closed loop's).
    """
    first = week_start - dt.timedelta(weeks=3)
    levels = "level in ('total', 'theme')"
    recent = _mask_unknown(scoped(store, scope, (first, week_start)).query("mart_focus", levels), status)
    before = scoped(store, scope, (first - dt.timedelta(weeks=4), first - dt.timedelta(days=1))).query(
        "mart_focus", "level = 'total'"
    )
    totals = {r["focus_group"]: r for r in recent.filter(pl.col("level") == "total").to_dicts()}
    earlier = {r["focus_group"]: r["n"] for r in before.to_dicts()}
    groups = []
    for group in ("elderly", "children", "all"):
        row = totals.get(group) or dict.fromkeys(recent.columns) | {"n": 0, "share": 0.0}
        themes = (
            recent.filter((pl.col("level") == "theme") & (pl.col("focus_group") == group) & (pl.col("theme_id") >= 0))
            .sort(["n", "theme_id"], descending=[True, False])
            .head(5)
            .select("theme_label", "n", "share")
            .to_dicts()
            if group != "all"
            else []
        )
        groups.append({**row, "group": group, "label": FOCUS_GROUPS_ZH[group], "before": earlier.get(group, 0),
                       "themes": themes})  # fmt: skip
    return {"first_week": first, "groups": groups, "n": totals.get("all", {}).get("n", 0)}


def _attention_frames(
    store: Store, scope: Scope | None, week_start: dt.date, has_previous: bool, overdue_known: bool
) -> findings.AttentionFrames:
    """What 需要关注的单位/街道 reads (:func:`.findings.attention`): the KPIs by unit and by the place level below
    the scope over the four weeks up to this week and up to last week, and the records overdue at either week's end."""
    kind = None if scope is None else scope.kind
    levels = ["total", "dept"] + ([findings.PLACE_LEVELS[kind][0]] if kind in findings.PLACE_LEVELS else [])
    where = f"level in ({', '.join('?' * len(levels))})"

    def kpi(last: dt.date) -> pl.DataFrame:
        return scoped(store, scope, (last - dt.timedelta(weeks=3), last)).query("mart_kpi", where, levels)

    end = dt.datetime.combine(week_start + dt.timedelta(days=7), dt.time())
    # open at either week's end: not closed, or closed since the end of last week (one line of SQL: a filter)
    maybe = "due_at < ? and (status is distinct from 'closed' or closed_at >= ?)"
    records = scoped(store, scope).query("mart_records", maybe, [end, end - dt.timedelta(weeks=1)])
    columns = ["dept", "street", "community", "grid_id", "created_at", "due_at", "closed_at", "status"]
    return findings.AttentionFrames(
        now=kpi(week_start),
        previous=kpi(week_start - dt.timedelta(weeks=1)) if has_previous else None,
        open_records=records.select(columns),
        week_end=end,
        place_kind=kind,
        names=read.grid_labels(store) if kind == "community" else {},
        overdue_known=overdue_known,
    )


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _district(store: Store) -> str:
    """The district the data names, for a report without one in its config: the one the grid registry's streets
    are written in (one vote per grid), else the records' streets (one per record), when more than half name the
    same (:func:`demandlab.labels.district_of`); empty when neither does — never another district's name."""
    grids = scoped(store).query("grids")
    found = district_of(dict(grids.group_by("street").len().iter_rows())) if grids.height else None
    if found is None:
        found = district_of(dict(read.kpi(store, "street").select("street", "n").iter_rows()))
    return found or ""


def _notes(store: Store, scope: Scope | None) -> dict:
    """What the data is: records per source, files and rejected rows, themes (for the whole database)."""
    return {
        # sources and reject reasons in Chinese (labels.py), an unknown code as 其他来源（code）
        "coverage": [{**c, "label": source_zh(c["source"])} for c in read.coverage(store).to_dicts()],
        "rejects": [{**r, "label": reject_reason_zh(r["reason"])} for r in read.reject_reasons(store).to_dicts()],
        "batches": read.batch_totals(store),
        **read.theme_totals(store),
        "scope": None if scope is None else (scope.kind, scope.value),
    }


# --- saying why a figure is missing (demandlab.signals.status) -----------------------------------------------
# The signals package loads scipy, so its names are imported where they are used, not with this module.


def _unknown_columns(columns: list[str], statuses: dict) -> list[str]:
    """Those of ``columns`` that follow a measure (``COLUMN_SIGNALS``) these records cannot give."""
    from ..signals.status import COLUMN_SIGNALS

    return [c for c in columns if c in COLUMN_SIGNALS and not statuses[COLUMN_SIGNALS[c]].computable]


def _known(row: dict, statuses: dict) -> dict:
    """``row`` (of mart_kpi or mart_week_summary) with every measure the records cannot give set to None:
    unknown, never the 0 a rate over records without its field would show."""
    unknown = set(_unknown_columns(list(row), statuses))
    return {k: None if k in unknown else v for k, v in row.items()}


def _mask_unknown(frame: pl.DataFrame, statuses: dict) -> pl.DataFrame:
    """:func:`_known` for every row of ``frame``."""
    columns = _unknown_columns(frame.columns, statuses)
    return frame.with_columns(pl.lit(None, frame.schema[c]).alias(c) for c in columns) if columns else frame


def _unknown_texts(statuses: dict, columns: tuple[str, ...], text: str = "unknown_zh") -> dict[str, str]:
    """What to print instead of each of ``columns`` the records cannot give: ``未知（1,234 件记录均缺少办结期限）``
    (``text="detail_zh"``: without 未知 and the brackets)."""
    from ..signals.status import COLUMN_SIGNALS

    return {c: getattr(statuses[COLUMN_SIGNALS[c]], text) for c in _unknown_columns(list(columns), statuses)}


def _alert_status(store: Store, statuses: dict, found: bool) -> dict:
    """What the alerts section says besides the alerts (``found``: there are some this week).

    ``unavailable``: the kinds that could not be computed and why, one sentence (empty when every kind
    was); ``quiet``: what to say when no alert was found — 本周无预警 only when every kind was computed;
    ``partial``: the kinds computed on part of the records only, with their reasons.
    """
    from ..signals.status import ALERT_SIGNALS, unavailable_zh

    if read.missing(store, {"mart_alerts"}):
        return {"unavailable": "无法计算：预警尚未生成（请先运行 demandlab run）。", "quiet": "", "partial": []}
    missing = unavailable_zh(statuses, ALERT_SIGNALS)
    computed = [statuses[name].label_zh for name in ALERT_SIGNALS if statuses[name].computable]
    if not missing:
        quiet = "本周无预警。"
    elif computed:
        quiet = f"已计算的{'、'.join(computed)}本周没有预警；其余预警无法计算，不能说明本周没有问题。"
    else:
        quiet = "各类预警都无法计算，不能说明本周没有问题。"
    partial = [f"{s.label_zh}：{s.reason_zh}。" for name in ALERT_SIGNALS if (s := statuses[name]).partial]
    return {
        "unavailable": f"无法计算：{missing}。" if missing else "",
        "quiet": "" if found else quiet,
        "partial": partial,
    }


def _status_notes(week: dict, recent: dict, now: dict) -> list[dict]:
    """For 数据说明: each signal and measure the report shows that could not be computed, then those computed on
    part of the records, with why, over the records the report computes it on: the alerts and the 三率 of the
    headline over the report's week, hot issues and the closed loop over its last four weeks, 逾期未结 over
    every record. Each: ``label`` (with its period), ``reason``, ``computable``."""
    from ..signals.status import ALERT_SIGNALS

    periods = (
        ("本周", week, (*ALERT_SIGNALS, "response_rate", "resolution_rate", "satisfaction_rate")),
        ("近四周", recent, ("hot", "ontime_rate", "grid_closed_share", "reopen_rate", "hours_to_close")),
        ("全部记录", now, ("overdue_open",)),
    )
    rows = [
        {"label": f"{s.label_zh}（{period}）", "reason": s.reason_zh, "computable": s.computable}
        for period, statuses, names in periods
        for s in (statuses[name] for name in names)
        if not s.computable or s.partial
    ]
    return sorted(rows, key=lambda r: r["computable"])  # stable: the ones that could not be computed first
