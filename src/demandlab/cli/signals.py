"""Commands over the signals: hot issues, alerts and the closed-loop KPIs."""

from __future__ import annotations

from typing import Annotated

import typer

from ..errors import EXIT_USAGE, UsageError
from ..options import parse_week
from .app import signals_app
from .common import (
    DEFAULT_WAIT,
    ConfigOption,
    DbOption,
    FormatOption,
    WaitOption,
    config_for,
    err,
    guard,
    print_frame,
    reading,
    require_mart,
)


@signals_app.command("hot")
def signals_hot(
    top: Annotated[int, typer.Option("--top", help="How many hot issues.")] = 10,
    week: Annotated[
        str | None, typer.Option("--week", help="As of the end of this ISO week, e.g. 2026-W46 (default: the latest).")
    ] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Hot issues (热点问题): one place and one matter, ranked by the heat index as of the end of a week.

    The same heat as the weekly report of that week. 人数 counts contacts, else near-duplicate groups
    (依据); 一人多诉 marks an issue mostly raised by one person.

    Example: demandlab signals hot --top 5 --week 2026-W46 --db data/demo/demandlab.duckdb
    """
    import polars as pl

    from .. import marts
    from ..signals.people import BASIS_ZH

    with guard():
        week = parse_week(week)
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_hot_issues")
        hot = marts.hot_issues(store, week=week, top=top)
    if fmt == "json":
        print(hot.drop("records").write_json())
        return
    columns = {
        "rank": "#", "place": "地点", "matter": "问题", "n": "件数", "n_people": "人数", "basis": "依据",
        "repeat": "一人多诉", "likes": "点赞", "first_at": "首次", "last_at": "最近", "heat": "热度",
    }  # fmt: skip
    shown = hot.with_columns(
        pl.col("first_at", "last_at").dt.strftime("%Y-%m-%d"),
        pl.col("place").fill_null("（全市/无具体地点）"),
        basis=pl.col("people_basis").replace_strict(BASIS_ZH, default=None, return_dtype=pl.String),
        repeat=pl.when("is_repeat").then(pl.lit("是")).otherwise(pl.lit("")),
    )
    print_frame(shown, fmt, columns)


@signals_app.command("alerts")
def signals_alerts(
    week: Annotated[str | None, typer.Option("--week", help="ISO week, e.g. 2026-W46 (default: all).")] = None,
    kind: Annotated[str | None, typer.Option(help="surge, crowd or repeat_caller.")] = None,
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Alerts with their evidence: surges (激增), 多人同诉, 一人多诉.

    With no alert, says for each kind whether it could be computed and why not (an empty table
    would read as good news when, say, no record has a grid id); below a table, names the kinds
    computed on part of the records or not at all (on stderr with ``--format json``).

    Example: demandlab signals alerts --week 2026-W46 --db data/demo/demandlab.duckdb
    """
    from rich.markup import escape

    from .. import marts
    from ..marts import read
    from ..options import IsoWeek
    from ..signals.status import ALERT_SIGNALS
    from .common import out

    with guard():
        week = parse_week(week)
        if kind is not None and kind not in ("surge", "crowd", "repeat_caller"):
            raise UsageError(f"--kind 应为 surge、crowd 或 repeat_caller；收到的是 {kind!r}")
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_alerts")
        found = marts.alerts(store, iso_week=week, kind=kind)
        start = IsoWeek.parse(week).start if week else None
        status = read.signal_status(store, weeks=(start, start) if start else None)
    kinds = [kind] if kind else list(ALERT_SIGNALS)
    where = f"{week} " if week else ""
    if found.is_empty() and fmt == "table":
        if all(status[k].computable for k in kinds):
            out.print(escape(f"{where}没有预警（各类预警均已计算）："))
        else:
            out.print(escape(f"{where}没有找到预警；但有的预警无法计算，不代表没有问题。各类预警："))
        for k in kinds:
            out.print(escape(f"  {status[k].label_zh}：{status[k].reason_zh}"))
        return
    columns = {
        "iso_week": "周", "kind": "类型", "grid_id": "网格", "place": "地点", "theme_label": "问题",
        "n": "件数", "evidence": "依据",
    }  # fmt: skip
    print_frame(found, fmt, columns)
    console = out if fmt == "table" else err  # json on stdout stays JSON
    for k in kinds:
        if not status[k].computable or status[k].partial:
            console.print(escape(f"注：{status[k].label_zh}：{status[k].reason_zh}"))


@signals_app.command("kpi")
def signals_kpi(
    level: Annotated[str, typer.Option(help="total, street, community, grid, dept, theme, week or street_week.")] = (
        "street"
    ),
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Closed-loop KPIs (响应率, 解决率, 满意率, on time, 网格内办结, durations) per unit.

    A measure that cannot be computed (no record of the unit, or of the whole database, has its
    field) shows as 未知, never as 0 (null in JSON); the table is followed by why.

    Example: demandlab signals kpi --level dept --db data/demo/demandlab.duckdb
    """
    import polars as pl
    from rich.markup import escape

    from .. import marts
    from ..marts import read
    from ..signals.status import COLUMN_SIGNALS
    from .common import out

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_kpi")
        try:
            frame = marts.kpi(store, level)
        except ValueError as exc:
            err.print(f"[red]signals kpi:[/] {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
        status = read.signal_status(store)
    unit = {"total": "level", "week": "iso_week", "street_week": "iso_week", "theme": "theme_label"}.get(level, level)
    unit = {"grid": "grid_id"}.get(unit, unit)
    columns = {
        unit: "单位", "n": "件数", "response_rate": "响应率", "resolution_rate": "解决率",
        "satisfaction_rate": "满意率", "ontime_rate": "按期率", "grid_closed_share": "网格内办结",
        "hours_to_close_median": "办结中位(时)", "overdue_open": "逾期未结",
    }  # fmt: skip
    measures = [c for c in columns if c in COLUMN_SIGNALS]
    # a measure no record of the database can give is unknown in every unit, whatever SQL computed
    unknown = [c for c in measures if not status[COLUMN_SIGNALS[c]].computable]
    frame = frame.with_columns(pl.lit(None, frame.schema[c]).alias(c) for c in unknown)
    if fmt != "table":
        print_frame(frame, fmt, columns)
        return
    shown, shown_columns = frame, {}
    for column, header in columns.items():
        if column not in measures:
            shown_columns[column] = header
            continue
        value = pl.col(column)
        if column.endswith(("_rate", "_share")):
            text = pl.format("{}%", (value * 100).round(1))
        else:
            text = (value.round(1) if frame.schema[column].is_float() else value).cast(pl.String)
        shown = shown.with_columns(pl.when(value.is_null()).then(pl.lit("未知")).otherwise(text).alias(f"{column}__zh"))
        shown_columns[f"{column}__zh"] = header
    print_frame(shown, fmt, shown_columns)
    notes = dict.fromkeys(COLUMN_SIGNALS[c] for c in measures)
    lines = [f"  {s.label_zh}：{s.reason_zh}" for s in map(status.get, notes) if not s.computable or s.partial]
    if any((shown[f"{c}__zh"] == "未知").any() for c in measures):
        out.print("“未知”：缺少计算该项所需的字段，或没有可计算的记录；不是 0。")
    if lines:
        out.print("全部记录中：")
        for line in lines:
            out.print(escape(line))
