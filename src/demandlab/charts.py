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

Charts tell the truth at any width: count and bar axes start at zero, a value the records cannot give
reads 无数据 (never a 0 or a silent gap), the heatmap says how many grids it leaves out. The report draws
them at desk, phone and A4 widths from the hints each chart leaves in ``layout.meta``
(:mod:`demandlab.chart_layout`): which axes show weeks, how small multiples may be laid out again.

Frames name weeks by their ISO code (``iso_week``); a reader never sees one. A weekly axis lists the
weeks as text, by their Monday (``11月9日``), and hover text names the week's days (``11月9日–15日（第46周）``),
both written by :mod:`demandlab.dates` (:func:`_weeks`); an axis of days (the hot-issue timeline) is a date
axis formatted ``%-m月%-d日``. No English month name depends on which locale the page's plotly.js has.

Any figure goes into a document with :func:`save` (``dl.charts.save(fig, "趋势.png")``, also ``.svg`` and
``.pdf``), and :func:`use_in_notebooks` shows figures in a notebook so that its HTML needs no network
(:mod:`demandlab.chart_output`).
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl
from plotly.subplots import make_subplots

from . import chart_layout as fit
from .chart_output import ImageExportError, save, use_in_notebooks
from .dates import DAY_FORMAT, iso_week_start, week_hover, week_labels
from .labels import ALERT_KINDS_ZH, METRIC_LABELS_ZH, OTHER_SOURCE_ZH, SOURCE_LABELS_ZH

FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, sans-serif"
PALETTE = ["#1f5fa8", "#d9480f", "#2b8a3e", "#862e9c", "#e67700", "#0b7285", "#c2255c", "#5c940d", "#364fc7", "#a61e4d"]
SOURCE_COLORS = {"12345": "#1f5fa8", "snapshot": "#e67700", "visit": "#2b8a3e", "message_board": "#862e9c"}
SOURCE_NAMES = SOURCE_LABELS_ZH

__all__ = [
    "FONT",
    "PALETTE",
    "ImageExportError",
    "alert_trend",
    "grid_small_multiples",
    "grid_theme_heatmap",
    "hot_issue_timeline",
    "kpi_small_multiples",
    "plain_text",
    "rates",
    "save",
    "sparkline",
    "theme_trends",
    "use_in_notebooks",
    "weekly_totals",
]


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


#: Pixels a chart's title and its legend take. The title sits at the top, the legend between it and the plot,
#: or, for small multiples, at the bottom: at plotly's usual y=1.01 it sat on the first subplot's title.
TITLE_PX, LEGEND_PX = 34, 28


def _layout(fig: go.Figure, title: str | None = None, height: int = 360, top: int = 0, plot: int = 0) -> go.Figure:
    """The house layout. ``top``: pixels more above the plot (subplot titles); ``plot``: the plot's own height
    (small multiples: the chart is then ``plot`` high plus its margins, and the legend goes below the plot)."""
    title = plain_text(title)
    legend = sum(trace.showlegend is not False for trace in fig.data) > 1 or any(t.showlegend for t in fig.data)
    below = bool(plot) and legend
    margin = {"l": 48, "r": 16, "t": (TITLE_PX if title else 8) + LEGEND_PX * (legend and not below) + top}
    margin["b"] = 40 + LEGEND_PX * below
    fig.update_layout(
        template="plotly_white",
        font={"family": FONT, "size": 13},
        height=plot + margin["t"] + margin["b"] if plot else height,
        margin=margin,
        legend={"orientation": "h", "x": 0, "xanchor": "left", "yanchor": "bottom", "y": 0 if below else 1.0}
        | ({"yref": "container"} if below else {}),
        hoverlabel={"font": {"family": FONT}},
    )
    if title:  # at the top whatever the height: the page changes heights (small multiples in one column)
        fig.update_layout(title={"text": title, "x": 0.01, "xanchor": "left", "y": 1, "yanchor": "top"})
        fig.update_layout(title={"pad": {"t": 8}, "font": {"size": 15}})
    return fig


def _require(frame: pl.DataFrame, columns: list[str], chart: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{chart} needs columns {missing}; got {frame.columns}")


def _weeks(*frames: pl.DataFrame) -> tuple[list[pl.DataFrame], list[str]]:
    """``frames`` with each ``iso_week`` as a weekly axis labels it (11月9日: :func:`.dates.week_labels`, over the
    weeks of all ``frames`` together) and a ``week_hover`` column naming the week for hover text (11月9日–15日
    （第46周）), and the labels in time order for the axis (:func:`_week_axis`). A value that is not an ISO week
    (made plain before) stays as it is, after the weeks: a reader never sees ``2026-W46`` or a month in English."""
    codes = list(dict.fromkeys(c for f in frames for c in f["iso_week"].to_list() if c is not None))
    axis = week_labels(codes)
    hover = {code: week_hover(iso_week_start(code)) for code in axis}
    order = [axis[c] for c in sorted(axis, key=iso_week_start)] + [c for c in codes if c not in axis]
    code = pl.col("iso_week").cast(pl.String)
    relabel = [
        f.with_columns(
            code.replace_strict(hover, default=code, return_dtype=pl.String).alias("week_hover"),
            code.replace_strict(axis, default=code, return_dtype=pl.String).alias("iso_week"),
        )
        for f in frames
    ]
    return relabel, list(dict.fromkeys(order))


def _week_axis(fig: go.Figure, order: list[str]) -> go.Figure:
    """Every x axis of ``fig`` lists the weeks as text, in time order (:func:`_weeks`): no locale decides how
    they read, and a week missing from the first line drawn still takes its place in time."""
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    return fig


def weekly_totals(summary: pl.DataFrame, title: str = "每周诉求量（按来源）") -> go.Figure:
    """Stacked weekly bars by source.

    ``summary``: ``iso_week`` and one ``n_<source>`` column per source (n_12345, n_snapshot, n_visit, n_other).
    """
    _require(summary, ["iso_week"], "weekly_totals")
    (summary,), weeks = _weeks(_plain(summary, "iso_week"))
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
            customdata=summary["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y}件",
        )
    fig.update_layout(barmode="stack", xaxis_title=None, yaxis_title="件数", yaxis_rangemode="tozero")
    return fit.week_axes(_layout(_week_axis(fig, weeks), title))


def theme_trends(frame: pl.DataFrame, title: str = "主要问题周趋势") -> go.Figure:
    """One line per theme.

    ``frame``: ``iso_week``, ``theme_label``, ``n``; themes are drawn in order of first appearance.
    """
    _require(frame, ["iso_week", "theme_label", "n"], "theme_trends")
    (frame,), weeks = _weeks(_plain(frame, "iso_week", "theme_label"))
    fig = go.Figure()
    for i, label in enumerate(frame["theme_label"].unique(maintain_order=True).to_list()):
        part = frame.filter(pl.col("theme_label") == label)
        fig.add_scatter(
            x=part["iso_week"].to_list(),
            y=part["n"].to_list(),
            name=label,
            mode="lines",
            line={"color": PALETTE[i % len(PALETTE)], "width": 2},
            customdata=part["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y}件",
        )
    fig.update_layout(yaxis_title="件数", yaxis_rangemode="tozero")  # a trend from 10 read as a surge
    return fit.week_axes(_layout(_week_axis(fig, weeks), title, height=380))


def sparkline(frame: pl.DataFrame, color: str = "#1f5fa8") -> go.Figure:
    """A small line without axes for a table cell. ``frame``: ``iso_week``, ``n``."""
    _require(frame, ["iso_week", "n"], "sparkline")
    (frame,), weeks = _weeks(_plain(frame, "iso_week"))
    fig = go.Figure(
        go.Scatter(
            x=frame["iso_week"].to_list(),
            y=frame["n"].to_list(),
            mode="lines",
            line={"color": color, "width": 1.5},
            fill="tozeroy",
            fillcolor="rgba(31,95,168,0.12)",
            customdata=frame["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y}件<extra></extra>",
        )
    )
    fig.update_layout(
        template="plotly_white",
        height=44,
        width=180,
        margin={"l": 0, "r": 0, "t": 2, "b": 2},
        xaxis={"visible": False, "type": "category", "categoryorder": "array", "categoryarray": weeks},
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
    (frame,), weeks = _weeks(_plain(frame, "grid_label", "iso_week"))
    grids = frame["grid_label"].unique(maintain_order=True).to_list()
    rows = max(1, math.ceil(len(grids) / columns))
    panel, gap = 150, 64
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=grids,
        vertical_spacing=fit.spacing(rows, panel, gap),
        horizontal_spacing=0.06,
    )
    for i, grid in enumerate(grids):
        part = frame.filter(pl.col("grid_label") == grid)
        row, col = i // columns + 1, i % columns + 1
        fig.add_bar(
            x=part["iso_week"].to_list(),
            y=part["n"].to_list(),
            marker_color="#1f5fa8",
            name="每周件数",
            showlegend=i == 0,
            row=row,
            col=col,
            customdata=part["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y}件<extra></extra>",
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
            customdata=part["week_hover"].to_list(),
            hovertemplate="%{customdata}：前8周均值 %{y:.1f}件<extra></extra>",
        )
    _week_axis(fig, weeks).update_xaxes(tickfont={"size": 10})
    fig.update_yaxes(rangemode="tozero", nticks=4)
    fig.update_annotations(font={"size": 12, "family": FONT})
    fit.grid(fig, len(grids), columns, panel, gap)
    _layout(fig, title, top=22, plot=rows * panel + (rows - 1) * gap)
    return fit.week_axes(fig, *(f"xaxis{i + 1 if i else ''}" for i in range(len(grids))))


def grid_theme_heatmap(frame: pl.DataFrame, title: str | None = None, total_grids: int | None = None) -> go.Figure:
    """Records per grid (rows) × theme (columns), each cell with its count.

    ``frame``: ``grid_label``, ``theme_label``, ``n`` for the grids shown, in order; ``total_grids``: how many
    grids they were chosen from, said in the default title (前20个网格（共112个）). The colour follows
    log(1 + n): on a linear scale one cell of 45 left every other cell white. Long names are shortened on
    the axes and given in full in the hover text.
    """
    _require(frame, ["grid_label", "theme_label", "n"], "grid_theme_heatmap")
    frame = frame.with_columns(pl.col("grid_label", "theme_label").cast(pl.String).fill_null("未知"))
    grids = frame["grid_label"].unique(maintain_order=True).to_list()
    themes = frame["theme_label"].unique(maintain_order=True).to_list()
    lookup = {(g, t): n for g, t, n in frame.select("grid_label", "theme_label", "n").iter_rows()}
    counts = [[int(lookup.get((g, t)) or 0) for t in themes] for g in grids]
    if title is None:
        shown = len(grids)
        counted = f"（共{total_grids}个）" if (total_grids or 0) > shown else ""
        # no space after a full-width bracket: it carries its own
        title = f"前{shown}个网格{counted}× 主要问题" if counted else f"{shown}个网格 × 主要问题"
    fig = go.Figure(
        go.Heatmap(
            z=[[round(math.log1p(n), 3) for n in row] for row in counts],
            x=[plain_text(t) for t in fit.shorten_all(themes, 7, tail=False)],
            y=[plain_text(g) for g in fit.shorten_all(grids, 9)],
            text=[[str(n) if n else "" for n in row] for row in counts],
            texttemplate="%{text}",
            textfont={"size": 11},
            hovertext=[
                [f"{plain_text(g)}｜{plain_text(t)}：{n}件" for t, n in zip(themes, row, strict=True)]
                for g, row in zip(grids, counts, strict=True)
            ],
            hovertemplate="%{hovertext}<extra></extra>",
            colorscale="Blues",
            zmin=0,
            zmax=max(1.0, math.log1p(max((max(row) for row in counts), default=0))),
            showscale=False,  # the counts are in the cells; a colour bar took a phone's width
            xgap=1,
            ygap=1,
        )
    )
    fig.update_yaxes(autorange="reversed", tickfont={"size": 11})
    fig.update_xaxes(tickfont={"size": 11}, side="bottom")
    _layout(fig, title, height=max(320, 22 * len(grids) + 180), top=18)
    note = "格内为件数，空白为0；颜色按对数刻度加深"  # one cell of 45 no longer whitens the rest
    fig.update_layout(title_subtitle={"text": note, "font": {"size": 12}})
    return fig


def rates(summary: pl.DataFrame, title: str = "三率走势") -> go.Figure:
    """响应率, 解决率, 满意率 per week.

    ``summary``: ``iso_week``, ``response_rate``, ``resolution_rate``, ``satisfaction_rate``.
    """
    _require(summary, ["iso_week", "response_rate", "resolution_rate", "satisfaction_rate"], "rates")
    (summary,), weeks = _weeks(_plain(summary, "iso_week"))
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
            name=name if summary[column].is_not_null().any() else f"{name}（无数据）",
            mode="lines+markers",
            line={"color": color},
            customdata=summary["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y:.1%}<extra>" + name + "</extra>",
        )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    rates_drawn = [summary[c] for c in ("response_rate", "resolution_rate", "satisfaction_rate")]
    fit.no_data_notes(fig, summary["iso_week"].to_list(), rates_drawn)
    return fit.week_axes(_layout(_week_axis(fig, weeks), title, height=320))


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
    (cells, alerts), weeks = _weeks(_plain(cells, "iso_week"), _plain(alerts, "iso_week", "evidence"))
    fig = go.Figure()
    fig.add_scatter(
        x=cells["iso_week"].to_list(),
        y=cells["n"].to_list(),
        mode="lines+markers",
        name="每周件数",
        line={"color": PALETTE[0]},
        marker={"size": 4},
        customdata=cells["week_hover"].to_list(),
        hovertemplate="%{customdata}：%{y}件<extra></extra>",
    )
    reference = next((c for c in ("expected", "baseline_mean") if c in cells.columns), None)
    if reference:
        fig.add_scatter(
            x=cells["iso_week"].to_list(),
            y=cells[reference].round(2).to_list(),  # long floats would only bloat the page
            mode="lines",
            name="预期" if reference == "expected" else "前8周均值",
            line={"color": "#868e96", "dash": "dot"},
            customdata=cells["week_hover"].to_list(),
            hovertemplate="%{customdata}：%{y:.1f}件<extra>%{fullData.name}</extra>",
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
            customdata=part["week_hover"].to_list(),
            hovertemplate="%{customdata}<br>%{text}<extra></extra>",
        )
    fig.update_yaxes(title="件数", rangemode="tozero")
    return fit.week_axes(_layout(_week_axis(fig, weeks), title, height=320))


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
        hovertemplate="%{x|" + DAY_FORMAT + "}：%{text}<extra></extra>",
    )
    fig.update_yaxes(categoryorder="array", categoryarray=order[::-1])
    fig.update_xaxes(type="date", tickformat=DAY_FORMAT, hoverformat=DAY_FORMAT)  # 11月9日, never Nov 9
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
    """One panel per KPI, one horizontal bar per unit (street, grid, handling unit …) with its value written.

    ``frame``: rows of ``mart_kpi`` at one level; ``unit`` names the column that labels the bars;
    ``metrics``: column → Chinese name (default :data:`KPI_METRICS`). Rates are drawn as percentages on a
    0–100% axis. The bars lie down so that every unit's name can be read on a phone (shortened past about
    9 characters, in full in the hover text); a value the records cannot give reads 无数据, never a bar of 0;
    a panel where most units are 0 says so in its title, so that 0 reads as the finding it is.
    """
    metrics = metrics or KPI_METRICS
    _require(frame, [unit, *metrics], "kpi_small_multiples")
    names = [str(u) if u is not None else "未知" for u in frame[unit].to_list()]
    labels = [plain_text(name) for name in fit.shorten_all(names, 9)]
    rows = max(1, math.ceil(len(metrics) / columns))
    panel, gap = max(80, 20 * len(names) + 12), 60
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[plain_text(name) + fit.zero_note(frame[column]) for column, name in metrics.items()],
        vertical_spacing=fit.spacing(rows, panel, gap),
        horizontal_spacing=0.04,
    )
    fig.update_annotations(font={"size": 12, "family": FONT})
    for i, column in enumerate(metrics):
        rate = column.endswith(("_rate", "_share"))
        values = frame[column].round(4 if rate else 1).to_list()
        shown = ["" if v is None else f"{v:.0%}" if rate else f"{v:.1f}" for v in values]
        cell = {"row": i // columns + 1, "col": i % columns + 1}
        fig.add_bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=PALETTE[i % len(PALETTE)],
            showlegend=False,
            text=shown,
            textposition="auto",
            hovertext=[f"{plain_text(n)}：{s or fit.NO_DATA}" for n, s in zip(names, shown, strict=True)],
            hovertemplate="%{hovertext}<extra></extra>",
            **cell,
        )
        for label, value in zip(labels, values, strict=True):
            if value is None and any(v is not None for v in values):
                fig.add_annotation(
                    x=0, y=label, text=fit.NO_DATA, showarrow=False, xanchor="left", font=fit.NO_DATA_FONT, **cell
                )
        fig.update_xaxes(range=[0, 1] if rate else None, tickformat=".0%" if rate else None, **cell)
        fig.update_yaxes(showticklabels=cell["col"] == 1, **cell)
    fig.update_xaxes(rangemode="tozero", nticks=4, tickfont={"size": 11})
    fig.update_yaxes(type="category", autorange="reversed", tickfont={"size": 11})
    fit.grid(fig, len(metrics), columns, panel, gap, hgap=24, labels="first")
    return _layout(fig, title, top=22, plot=rows * panel + (rows - 1) * gap)
