"""Charts: a tidy polars frame in, a plotly figure out. No function here queries anything.

Labels are in simplified Chinese because policy staff read them; column names
stay English. Every function documents the columns it needs.

Text from the data (grid and unit names, theme labels, evidence, titles built from them) reaches
plotly as plain text: plotly reads ``<a href>``, ``<span style>``, ``<b>`` and ``<br>`` in any label,
legend name, hover text or annotation as markup, so a grid named ``<a href="http://…">`` became a
link and a styled span an overlay across the chart. :func:`plain_text` writes ``&``, ``<`` and ``>``
as entities (plotly shows them as the characters again, never as markup); every chart applies it
(:func:`_plain`) to the frame columns and titles it draws before building the figure, and no data
is formatted into a hover template.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from .labels import ALERT_KINDS_ZH, METRIC_LABELS_ZH, OTHER_SOURCE_ZH, SOURCE_LABELS_ZH

FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
PALETTE = ["#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#364fc7", "#a61e4d"]
SOURCE_COLORS = {"12345": "#1f5fa8", "snapshot": "#e67700", "visit": "#2b8a3e", "message_board": "#862e9c"}
SOURCE_NAMES = SOURCE_LABELS_ZH


_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": " ", "\n": " "})


def plain_text(text: str | None) -> str | None:
    """``text`` as plotly must show it: ``&``, ``<`` and ``>`` as entities, line breaks as spaces.

    Plotly decodes the entities back when it draws, so the label reads as written but no tag in it
    is ever markup (plotly also turns a line break into ``<br>``).

    >>> plain_text('<a href="http://x">东湖 & 西城</a>')
    '&lt;a href="http://x"&gt;东湖 &amp; 西城&lt;/a&gt;'
    """
    return None if text is None else str(text).translate(_ENTITIES)


def _plain(frame: pl.DataFrame, *columns: str) -> pl.DataFrame:
    """``frame`` with the text ``columns`` it has made plain (:func:`plain_text`), as plotly will draw them."""
    exprs = []
    for column in columns:
        if column in frame.columns and frame.schema[column] in (pl.String, pl.Categorical, pl.Enum):
            text = pl.col(column).cast(pl.String)
            for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", " "), ("\n", " ")):
                text = text.str.replace_all(char, entity, literal=True)
            exprs.append(text.alias(column))
    return frame.with_columns(exprs) if exprs else frame


def _layout(fig: go.Figure, title: str | None = None, height: int = 360) -> go.Figure:
    title = plain_text(title)
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13},
        title={"text": title, "x": 0.01, "y": 0.98, "yanchor": "top", "font": {"size": 15}} if title else None,
        height=height,
        margin={"l": 48, "r": 16, "t": 84 if title else 40, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.01, "x": 0},
        hoverlabel={"font": {"family": FONT}},
    )
    return fig


def _require(frame: pl.DataFrame, columns: list[str], chart: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart} needs columns {missing}; got {frame.columns}")


def weekly_totals(summary: pl.DataFrame, title: str = "每周诉求量（按来源）") -> go.Figure:
    """Stacked weekly bars by source.

    ``summary``: ``iso_week`` and one ``n_<source>`` column per source (n_12345, n_snapshot, n_visit, n_other).
    """
    _require(summary, ["iso_week"], "weekly_totals")
    summary = _plain(summary, "iso_week")
    fig = go.Figure()
    for column in [c for c in summary.columns if c.startswith("n_") and c not in ("n_prev_week", "n_last_year")]:
        source = column.removeprefix("n_")
        if (source not in SOURCE_NAMES and source != "other") or not summary[column].sum():
            continue
        fig.add_bar(
            x=summary["iso_week"].to_list(),
            y=summary[column].to_list(),
            name=SOURCE_NAMES.get(source, OTHER_SOURCE_ZH),
            marker_color=SOURCE_COLORS.get(source, "#868e96"),
        )
    fig.update_layout(barmode="stack", xaxis_title=None, yaxis_title="件数")
    return _layout(fig, title)


def theme_trends(frame: pl.DataFrame, title: str = "主要问题周趋势") -> go.Figure:
    """One line per theme.

    ``frame``: ``iso_week``, ``theme_label``, ``n``; themes are drawn in order of first appearance.
    """
    _require(frame, ["iso_week", "theme_label", "n"], "theme_trends")
    frame = _plain(frame, "iso_week", "theme_label")
    fig = go.Figure()
    for i, label in enumerate(frame["theme_label"].unique(maintain_order=True).to_list()):
        part = frame.filter(pl.col("theme_label") == label)
        fig.add_scatter(
            x=part["iso_week"].to_list(),
            y=part["n"].to_list(),
            name=label,
            mode="lines",
            line={"color": PALETTE[i % len(PALETTE)], "width": 2},
        )
    fig.update_layout(yaxis_title="件数")
    return _layout(fig, title, height=380)


def sparkline(frame: pl.DataFrame, color: str = "#1f5fa8") -> go.Figure:
    """A small line without axes for a table cell. ``frame``: ``iso_week``, ``n``."""
    _require(frame, ["iso_week", "n"], "sparkline")
    frame = _plain(frame, "iso_week")
    fig = go.Figure(
        go.Scatter(
            x=frame["iso_week"].to_list(),
            y=frame["n"].to_list(),
            mode="lines",
            line={"color": color, "width": 1.5},
            fill="tozeroy",
            fillcolor="rgba(31,95,168,0.12)",
            hovertemplate="%{x}: %{y}件<extra></extra>",
        )
    )
    fig.update_layout(
        template="plotly_white",
        height=44,
        width=180,
        margin={"l": 0, "r": 0, "t": 2, "b": 2},
        xaxis={"visible": False},
        yaxis={"visible": False, "rangemode": "tozero"},
        showlegend=False,
        font={"family": FONT},
    )
    return fig


def grid_small_multiples(frame: pl.DataFrame, columns: int = 3, title: str = "变化最大的网格") -> go.Figure:
    """One panel per grid: weekly records and the trailing 8-week baseline.

    ``frame``: ``grid_label``, ``iso_week``, ``n``, ``baseline_mean``; grids drawn in order of appearance.
    """
    _require(frame, ["grid_label", "iso_week", "n", "baseline_mean"], "grid_small_multiples")
    frame = _plain(frame, "grid_label", "iso_week")
    grids = frame["grid_label"].unique(maintain_order=True).to_list()
    rows = max(1, math.ceil(len(grids) / columns))
    fig = make_subplots(rows=rows, cols=columns, subplot_titles=grids, vertical_spacing=0.16, horizontal_spacing=0.06)
    for i, grid in enumerate(grids):
        part = frame.filter(pl.col("grid_label") == grid)
        row, col = i // columns + 1, i % columns + 1
        fig.add_bar(
            x=part["iso_week"].to_list(),
            y=part["n"].to_list(),
            marker_color="#1f5fa8",
            name="本周件数",
            showlegend=i == 0,
            row=row,
            col=col,
            hovertemplate="%{x}: %{y}件<extra></extra>",
        )
        fig.add_scatter(
            x=part["iso_week"].to_list(),
            y=part["baseline_mean"].to_list(),
            mode="lines",
            line={"color": "#d9480f", "width": 1.5, "dash": "dot"},
            name="前8周均值",
            showlegend=i == 0,
            row=row,
            col=col,
            hovertemplate="%{x}: 基线 %{y:.1f}<extra></extra>",
        )
    fig.update_xaxes(showticklabels=False)
    fig.update_annotations(font={"size": 12, "family": FONT})
    return _layout(fig, title, height=230 * rows + 60)


def grid_theme_heatmap(frame: pl.DataFrame, title: str = "网格 × 问题 热力图") -> go.Figure:
    """Records per grid (rows) × theme (columns). ``frame``: ``grid_label``, ``theme_label``, ``n``."""
    _require(frame, ["grid_label", "theme_label", "n"], "grid_theme_heatmap")
    frame = _plain(frame, "grid_label", "theme_label")
    grids = frame["grid_label"].unique(maintain_order=True).to_list()
    themes = frame["theme_label"].unique(maintain_order=True).to_list()
    lookup = {(g, t): n for g, t, n in frame.select("grid_label", "theme_label", "n").iter_rows()}
    z = [[lookup.get((g, t), 0) for t in themes] for g in grids]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=themes,
            y=grids,
            colorscale="Blues",
            hovertemplate="%{y}<br>%{x}: %{z}件<extra></extra>",
            colorbar={"title": "件数"},
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickangle=-35)
    return _layout(fig, title, height=max(320, 22 * len(grids) + 160))


def rates(summary: pl.DataFrame, title: str = "三率走势") -> go.Figure:
    """响应率, 解决率, 满意率 per week.

    ``summary``: ``iso_week``, ``response_rate``, ``resolution_rate``, ``satisfaction_rate``.
    """
    _require(summary, ["iso_week", "response_rate", "resolution_rate", "satisfaction_rate"], "rates")
    summary = _plain(summary, "iso_week")
    fig = go.Figure()
    for column, color in (
        ("response_rate", PALETTE[0]),
        ("resolution_rate", PALETTE[2]),
        ("satisfaction_rate", PALETTE[1]),
    ):
        name = METRIC_LABELS_ZH[column]
        fig.add_scatter(
            x=summary["iso_week"].to_list(),
            y=summary[column].to_list(),
            name=name,
            mode="lines+markers",
            line={"color": color},
            hovertemplate="%{x}: %{y:.1%}<extra>" + name + "</extra>",
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _layout(fig, title, height=320)


ALERT_COLORS = {"surge": "#d9480f", "crowd": "#862e9c", "repeat_caller": "#0b7285"}
# beside 每周件数 and 预期 in a legend, 激增 alone reads as a description of the line, not a marker
ALERT_NAMES = {kind: f"{name}预警" if kind == "surge" else name for kind, name in ALERT_KINDS_ZH.items()}


def alert_trend(cells: pl.DataFrame, alerts: pl.DataFrame, title: str | None = None) -> go.Figure:
    """One grid × theme over the weeks: records, the expected count, and its alerts marked.

    ``cells``: ``iso_week``, ``n`` and optionally ``expected`` (from ``signals.score_surges``) or
    ``baseline_mean`` (from ``mart_grid_theme_week``), one row per week in order.
    ``alerts``: ``iso_week``, ``kind``, ``evidence`` (rows of ``mart_alerts``; may be empty).
    """
    _require(cells, ["iso_week", "n"], "alert_trend")
    _require(alerts, ["iso_week", "kind", "evidence"], "alert_trend")
    cells = _plain(cells, "iso_week")
    alerts = _plain(alerts, "iso_week", "evidence")
    fig = go.Figure()
    fig.add_scatter(
        x=cells["iso_week"].to_list(),
        y=cells["n"].to_list(),
        mode="lines+markers",
        name="每周件数",
        line={"color": PALETTE[0]},
        marker={"size": 4},
        hovertemplate="%{x}: %{y}件<extra></extra>",
    )
    reference = next((c for c in ("expected", "baseline_mean") if c in cells.columns), None)
    if reference:
        fig.add_scatter(
            x=cells["iso_week"].to_list(),
            y=cells[reference].round(2).to_list(),  # long floats would only bloat the page
            mode="lines",
            name="预期" if reference == "expected" else "前8周均值",
            line={"color": "#868e96", "dash": "dot"},
            hovertemplate="%{x}: %{y:.1f}<extra></extra>",
        )
    counts = dict(cells.select("iso_week", "n").iter_rows())
    for kind, part in alerts.partition_by("kind", as_dict=True, maintain_order=True).items():
        kind = kind[0]
        fig.add_scatter(
            x=part["iso_week"].to_list(),
            y=[counts.get(w, 0) for w in part["iso_week"].to_list()],
            mode="markers",
            name=ALERT_NAMES.get(kind, plain_text(kind)),
            marker={"color": ALERT_COLORS.get(kind, "#000"), "size": 13, "symbol": "triangle-up"},
            text=part["evidence"].to_list(),
            hovertemplate="%{x}<br>%{text}<extra></extra>",
        )
    fig.update_yaxes(title="件数", rangemode="tozero")
    return _layout(fig, title, height=320)


def hot_issue_timeline(hot: pl.DataFrame, records: pl.DataFrame, title: str = "热点问题时间线") -> go.Figure:
    """One row per hot issue: a bar from its first to its last record and a dot for every record.

    ``hot``: ``hot_id``, ``place``, ``theme_label``, ``n``, ``first_at``, ``last_at`` in rank order.
    ``records``: ``hot_id``, ``created_at`` and optionally ``likes``; drawn as one dot per issue and
    day, sized by the day's records and likes.
    """
    _require(hot, ["hot_id", "place", "theme_label", "n", "first_at", "last_at"], "hot_issue_timeline")
    _require(records, ["hot_id", "created_at"], "hot_issue_timeline")
    name = "matter" if "matter" in hot.columns else "theme_label"  # a matter names the issue more exactly
    labels = {
        h: plain_text(f"{p or '全市'}｜{(t or '').split(' · ')[0]}")
        for h, p, t in hot.select("hot_id", "place", name).iter_rows()
    }
    order = [labels[h] for h in hot["hot_id"].to_list()]
    fig = go.Figure()
    for i, (hot_id, first, last, n) in enumerate(hot.select("hot_id", "first_at", "last_at", "n").iter_rows()):
        fig.add_scatter(
            x=[first, last],
            y=[labels[hot_id]] * 2,
            mode="lines",
            line={"color": PALETTE[i % len(PALETTE)], "width": 8},
            opacity=0.35,
            showlegend=False,
            hovertemplate=f"%{{y}}<br>{int(n)}件<extra></extra>",  # the label comes in as y, never as template
        )
    # one dot per issue and day, sized by its records and likes: the page stays small at any volume
    dots = (
        records.filter(pl.col("hot_id").is_in(list(labels)))
        .with_columns(
            day=pl.col("created_at").dt.date(),
            likes=pl.col("likes").fill_null(0) if "likes" in records.columns else pl.lit(0),
        )
        .group_by("hot_id", "day")
        .agg(n=pl.len(), likes=pl.col("likes").sum())
        .sort("hot_id", "day")
    )
    fig.add_scatter(
        x=dots["day"].to_list(),
        y=[labels[h] for h in dots["hot_id"].to_list()],
        mode="markers",
        marker={
            "size": [
                6 + min(14, 3 * math.log1p(n - 1) + 2 * math.log1p(v)) for n, v in dots.select("n", "likes").rows()
            ],
            "color": "#1f5fa8",
            "opacity": 0.8,
        },
        text=[f"{n}件" + (f"，点赞{v}" if v else "") for n, v in dots.select("n", "likes").rows()],
        showlegend=False,
        hovertemplate="%{x|%Y-%m-%d}：%{text}<extra></extra>",
    )
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    return _layout(fig, title, height=max(260, 34 * len(order) + 120))


KPI_METRICS = {
    column: METRIC_LABELS_ZH[column]
    for column in (
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "ontime_rate",
        "grid_closed_share",
        "hours_to_close_median",
    )
}


def kpi_small_multiples(
    frame: pl.DataFrame, unit: str, metrics: dict[str, str] | None = None, columns: int = 3, title: str = "闭环办理指标"
) -> go.Figure:
    """One panel per KPI, one bar per unit (street, grid, handling unit …).

    ``frame``: rows of ``mart_kpi`` at one level; ``unit`` names the column that labels the bars;
    ``metrics``: column → Chinese name (default :data:`KPI_METRICS`). Rates are drawn as percentages.
    """
    metrics = metrics or KPI_METRICS
    _require(frame, [unit, *metrics], "kpi_small_multiples")
    units = [plain_text(str(u)) if u is not None else "未知" for u in frame[unit].to_list()]
    rows = max(1, math.ceil(len(metrics) / columns))
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[plain_text(name) for name in metrics.values()],
        vertical_spacing=0.2,
        horizontal_spacing=0.08,
    )
    for i, column in enumerate(metrics):
        rate = column.endswith(("_rate", "_share"))
        fig.add_bar(
            x=units,
            y=frame[column].round(4 if rate else 1).to_list(),
            marker_color=PALETTE[i % len(PALETTE)],
            showlegend=False,
            row=i // columns + 1,
            col=i % columns + 1,
            hovertemplate="%{x}: %{y:.1%}<extra></extra>" if rate else "%{x}: %{y:.1f}<extra></extra>",
        )
        if rate:
            fig.update_yaxes(tickformat=".0%", row=i // columns + 1, col=i % columns + 1)
    fig.update_xaxes(tickangle=-35)
    fig.update_annotations(font={"size": 12, "family": FONT})
    return _layout(fig, title, height=300 * rows + 80)
