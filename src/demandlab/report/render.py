"""Render a :class:`~.data.ReportData` into one self-contained HTML file.

plotly.js is inlined once: the cartesian partial bundle of the plotly.js version plotly.py ships (bar,
scatter and heatmap are all the charts draw; 1.5 MB instead of 4.8) and its zh-CN locale, registered
with ``Plotly.register``; both are files of the package (``vendor/``, see its README.md for where they come
from and ``make vendor-plotly`` to refresh them), never fetched. Every figure is JSON in the page and
drawn by one small script. A Content-Security-Policy forbids every network request (no
``connect-src``, no remote ``src``), and every piece of record text goes
through Jinja2's HTML escaping. The page is readable on a phone and prints on A4.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path

import jinja2
import plotly.io as pio

from .. import charts, dates
from ..chart_output import plotly_locale_script
from ..labels import SOURCE_LABELS_ZH, evidence_in_words, short_version
from .data import ReportData

CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'"
)
#: plotly.js as the page inlines it (README.md there says where each file comes from).
VENDOR = Path(__file__).parent / "vendor"
PLOTLY_BUNDLE = VENDOR / "plotly-cartesian.min.js"


@cache
def plotly_js() -> str:
    """The plotly.js bundle, then its zh-CN locale registered: the locale file is a CommonJS module
    (``module.exports = {…}``), so it runs with a ``module`` of its own and its export goes to ``Plotly.register``."""
    return f"{PLOTLY_BUNDLE.read_text('utf-8')}\n{plotly_locale_script()}"


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("demandlab.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["pct"] = lambda v, digits=1: "—" if v is None else f"{v * 100:.{digits}f}%"
    env.filters["signed"] = lambda v: "—" if v is None else (f"+{v:,}" if v > 0 else f"{v:,}")
    env.filters["signed_pct"] = lambda v: "—" if v is None else (f"+{v * 100:.1f}%" if v > 0 else f"{v * 100:.1f}%")
    env.filters["num"] = lambda v, digits=0: "—" if v is None else f"{v:,.{digits}f}"
    # dates and weeks as staff read them (demandlab.dates): 11月9日, 2026年第46周（11月9日–15日）
    env.filters["day"] = lambda v, year=False: "—" if v is None else dates.day_label(v, year)
    env.filters["week_title"] = dates.week_title
    env.filters["datetime"] = dates.datetime_label
    env.filters["short_version"] = short_version
    env.filters["in_words"] = evidence_in_words  # p-values in words; the figures go in a title= tooltip
    return env


def _figure_json(figures: dict) -> str:
    """All figures as one JSON object, safe inside a <script> element."""
    parts = {key: json.loads(pio.to_json(fig, validate=False, pretty=False)) for key, fig in figures.items()}
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figures(data: ReportData) -> dict:
    """The figures of the report, by element id."""
    out = {"fig-weekly": charts.weekly_totals(data.weekly), "fig-rates": charts.rates(data.weekly)}
    if data.theme_trend.height:
        out["fig-trend"] = charts.theme_trends(data.theme_trend)
    if data.grid_panels.height:
        out["fig-grids"] = charts.grid_small_multiples(data.grid_panels)
    if data.heatmap.height:
        out["fig-heatmap"] = charts.grid_theme_heatmap(data.heatmap, total_grids=data.notes.get("heat_grids"))
    for i, theme in enumerate(data.top_themes):
        out[f"spark-{i}"] = charts.sparkline(theme["spark"])
    for i, panel in enumerate(data.alert_panels):
        out[f"fig-alert-{i}"] = charts.alert_trend(panel["cells"], panel["alerts"], title=panel["title"])
    if data.hot:
        out["fig-hot"] = charts.hot_issue_timeline(data.hot_frame, data.hot_dots)
    units = data.loop.get("units_frame")
    if units is not None and units.height:
        out["fig-loop"] = charts.kpi_small_multiples(units, "dept", title="各承办单位（近四周受理）")
    return out


def render(data: ReportData) -> str:
    """The report as one HTML string."""
    figs = figures(data)
    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data,
        figure_ids=list(figs),
        figures_json=_figure_json(figs),
        plotly_js=plotly_js(),
        csp=CSP,
        source_labels=SOURCE_LABELS_ZH,
        css=(Path(__file__).parent / "templates" / "report.css").read_text("utf-8"),
    )


def write(data: ReportData, out: str | Path) -> Path:
    """Write the report to ``out`` atomically (a reader never sees half a file)."""
    out = Path(out)
    page = render(data)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out)
    except BaseException:
        tmp.unlink(missing_ok=True)  # a full disk must not leave half a report behind
        raise
    return out


def generated_label(ts: dt.datetime) -> str:
    return f"{ts:%Y年%m月%d日 %H:%M}"
