"""How a chart fits the width it is drawn at: the hints :mod:`demandlab.charts` leaves for the page.

A chart is drawn at 1366 px on a desk, at 390 px on a phone and at A4 width on paper, and plotly chooses
none of that well by itself: it labels every n-th week counting from the first, so the current week
went unlabelled; three small multiples side by side ran their titles into each other on a phone;
long unit and theme names collided. The charts therefore record in ``layout.meta`` what the page's
script (templates/report.html.j2) needs to draw them again for any width, and this module holds those
hints and the pieces of layout every chart shares:

* ``meta.week_axes``: the x axes that show weeks; the page labels every k-th week counting back from the
  last, k the smallest step whose labels fit the axis's width;
* ``meta.grid``: small multiples (``n`` panels of ``panel`` px, ``gap`` px between rows): the page lays them
  out in 1 column below 560 px, 2 below 900 px (A4 is 700), else ``columns``;
* :func:`shorten`: names shortened to a width with an ellipsis (the full name goes in the hover text);
* :func:`no_data_notes` and :func:`zero_note`: a missing value is said (无数据), never drawn as 0, and a
  panel of mostly zeros says so.

Nothing here reads data or formats record text into markup: callers pass plain text (``charts.plain_text``).
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

NO_DATA = "无数据"
NO_DATA_FONT = {"size": 11, "color": "#a15c00"}


def week_axes(fig: go.Figure, *axes: str) -> go.Figure:
    """Mark ``axes`` (``xaxis``, ``xaxis2`` …; default ``xaxis``) as week axes (``meta.week_axes``)."""
    fig.update_layout(meta={**(fig.layout.meta or {}), "week_axes": list(axes or ("xaxis",))})
    return fig


def grid(fig: go.Figure, n: int, columns: int, panel: int, gap: int, hgap: int = 40, **more) -> go.Figure:
    """Record how the page may lay out the ``n`` panels of ``fig`` again (``meta.grid``): each ``panel`` px high,
    ``gap`` px between rows (for the next row's titles), ``hgap`` px between columns; ``labels="first"``:
    only the first column shows the y labels. The cells past the last panel are hidden."""
    for i in range(n + 1, columns * -(-n // columns) + 1):
        fig.update_layout({f"xaxis{i}": {"visible": False}, f"yaxis{i}": {"visible": False}})
    spec = {"n": n, "columns": columns, "panel": panel, "gap": gap, "hgap": hgap, **more}
    fig.update_layout(meta={**(fig.layout.meta or {}), "grid": spec})
    return fig


def spacing(rows: int, panel: int, gap: int) -> float:
    """``make_subplots``' vertical_spacing for rows of ``panel`` px with ``gap`` px between them."""
    return gap / (rows * panel + (rows - 1) * gap)


def shorten(text: str, limit: float, tail: bool = True) -> str:
    """``text`` cut to about ``limit`` characters' width (a CJK character 1, others 0.6) with an ellipsis, in the
    middle so both ends stay (区住房…建设局, 翠竹社…第4网格) or, ``tail=False``, at the end (theme keywords).

    >>> shorten("明湖区住房和城乡建设局", 8), shorten("夜间施工 噪音 工地", 6, tail=False), shorten("城管局", 8)
    ('明湖区…建设局', '夜间施工…', '城管局')
    """
    widths = [1.0 if ord(c) > 255 else 0.6 for c in text]
    if sum(widths) <= limit:
        return text
    budget = (limit - 1) / 2 if tail else limit - 1

    def fit(chars: list[str], sizes: list[float]) -> str:
        taken, used = [], 0.0
        for char, size in zip(chars, sizes, strict=True):
            if used + size > budget:
                break
            taken.append(char)
            used += size
        return "".join(taken)

    head = fit(list(text), widths).rstrip()
    end = fit(list(reversed(text)), list(reversed(widths)))[::-1].lstrip() if tail else ""
    return f"{head}…{end}"


def shorten_all(names: list[str], limit: float, tail: bool = True) -> list[str]:
    """:func:`shorten` of every name; a name whose short form another shares keeps its full name (two
    categories drawn as one would put two bars on one row).

    >>> shorten_all(["东湖街道第1网格", "东湖社区第1网格", "城管局"], 5)
    ['东湖街道第1网格', '东湖社区第1网格', '城管局']
    """
    short = [shorten(name, limit, tail) for name in names]
    shared = {s for s in short if short.count(s) > 1}
    return [name if s in shared else s for name, s in zip(names, short, strict=True)]


def no_data_notes(fig: go.Figure, weeks: list, series: list[pl.Series]) -> go.Figure:
    """Write 无数据 over every run of ``weeks`` where none of ``series`` has a value: plotly leaves a gap there,
    which reads as a line never drawn, and a 0 would be false."""
    empty = [all(s[i] is None for s in series) for i in range(len(weeks))]
    start, runs = None, 0
    for i, missing in enumerate([*empty, False]):
        if missing and start is None:
            start = i
        elif not missing and start is not None:
            middle = weeks[(start + i - 1) // 2]
            y = 0.5 if runs % 2 == 0 else 0.3  # two runs a week apart: on a phone their notes would overlap
            fig.add_annotation(x=middle, y=y, yref="paper", text=NO_DATA, showarrow=False, font=NO_DATA_FONT)
            start, runs = None, runs + 1
    return fig


def zero_note(values: pl.Series) -> str:
    """What a KPI panel's title adds: （无数据） when no unit has the value, （均为0） or （8/10个为0） when most of
    the units that have it are at 0 (网格内办结占比 of units that never close at grid level), else nothing.

    >>> zero_note(pl.Series([0.0, 0.0, 0.5])), zero_note(pl.Series([None, 0.0])), zero_note(pl.Series([0.2, 0.0]))
    ('（2/3个为0）', '（均为0）', '')
    """
    known = values.drop_nulls()
    zeros = int((known == 0).sum())
    if known.len() == 0:
        return f"（{NO_DATA}）"
    if zeros == known.len():
        return "（均为0）"
    return f"（{zeros}/{known.len()}个为0）" if zeros * 2 > known.len() else ""
