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
    fmt: FormatOption = "table",
    db: DbOption = None,
    config: ConfigOption = None,
    wait: WaitOption = DEFAULT_WAIT,
) -> None:
    """Hot issues (热点问题): place × theme groups ranked by the heat index, as of the latest week.

    Example: demandlab signals hot --top 5 --db data/demo/demandlab.duckdb
    """
    import polars as pl

    from .. import marts

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_hot_issues")
        hot = marts.hot_issues(store, top=top)
    if fmt == "json":
        print(hot.drop("records").write_json())
        return
    columns = {
        "rank": "#", "place": "地点", "theme_label": "问题", "n": "件数", "n_contacts": "人数", "likes": "点赞",
        "first_at": "首次", "last_at": "最近", "heat": "热度",
    }  # fmt: skip
    print_frame(hot.with_columns(pl.col("first_at", "last_at").dt.strftime("%Y-%m-%d")), fmt, columns)


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

    Example: demandlab signals alerts --week 2026-W46 --db data/demo/demandlab.duckdb
    """
    from .. import marts

    with guard():
        week = parse_week(week)
        if kind is not None and kind not in ("surge", "crowd", "repeat_caller"):
            raise UsageError(f"--kind 应为 surge、crowd 或 repeat_caller；收到的是 {kind!r}")
    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_alerts")
        found = marts.alerts(store, iso_week=week, kind=kind)
    columns = {
        "iso_week": "周", "kind": "类型", "grid_id": "网格", "place": "地点", "theme_label": "问题",
        "n": "件数", "evidence": "依据",
    }  # fmt: skip
    print_frame(found, fmt, columns)


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

    Example: demandlab signals kpi --level dept --db data/demo/demandlab.duckdb
    """
    from .. import marts

    cfg = config_for(config, db)
    with reading(cfg, wait) as store:
        require_mart(store, "mart_kpi")
        try:
            frame = marts.kpi(store, level)
        except ValueError as exc:
            err.print(f"[red]signals kpi:[/] {exc}")
            raise typer.Exit(EXIT_USAGE) from exc
    unit = {"total": "level", "week": "iso_week", "street_week": "iso_week", "theme": "theme_label"}.get(level, level)
    unit = {"grid": "grid_id"}.get(unit, unit)
    columns = {
        unit: "单位", "n": "件数", "response_rate": "响应率", "resolution_rate": "解决率",
        "satisfaction_rate": "满意率", "ontime_rate": "按期率", "grid_closed_share": "网格内办结",
        "hours_to_close_median": "办结中位(时)", "overdue_open": "逾期未结",
    }  # fmt: skip
    print_frame(frame, fmt, columns)
