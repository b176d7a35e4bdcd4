"""Dates and weeks as staff read them: ``11月9日–15日`` and ``第46周``, never ``Nov 9`` or ``2026-W46``.

The ISO week code (``2026-W46``) stays the key of tables, frames and the command line; whatever a reader
sees — the report's text, chart ticks and hover text — is written by the functions here, the one place
that decides how a day or a week reads:

* a day is ``11月9日`` (``2026年11月9日`` where the year is not plain from the context);
* a week is its days, ``11月9日–15日`` (``11月30日–12月6日`` across a month end), and where its number
  is needed ``第46周`` (the ISO week number: weeks run Monday to Sunday, week 1 holds the year's first
  Thursday), as in the report's heading ``2026年第46周（11月9日–15日）``.

A weekly chart's axis is written here too, as text (:func:`week_labels`): each week is labelled by its
Monday, so the axis reads the same whatever locale the page's plotly.js has, and its hover text names the
week's days (:func:`week_hover`). :data:`DAY_FORMAT` is a day as a d3 time format, for an axis of days
whose ticks plotly places itself (the hot-issue timeline) and for hover text over such days.

>>> import datetime as dt
>>> week_range(dt.date(2026, 11, 9))
'11月9日–15日'
>>> week_title("2026-W46")
'2026年第46周（11月9日–15日）'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

#: A day as a d3 time format (plotly's ``tickformat`` and ``%{x|…}`` in hover templates): ``11月9日``.
DAY_FORMAT = "%-m月%-d日"
_ISO_WEEK = re.compile(r"(\d{4})-W(\d{2})")


def iso_week_start(code: str | None) -> dt.date | None:
    """The Monday of the ISO week ``code`` (``2026-W46``); None when ``code`` is not an ISO week.

    >>> iso_week_start("2026-W46"), iso_week_start("2026-W54"), iso_week_start("第46周")
    (datetime.date(2026, 11, 9), None, None)
    """
    match = _ISO_WEEK.fullmatch(code or "")
    if match is None:
        return None
    try:
        return dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def _as_date(day: dt.date | dt.datetime) -> dt.date:
    return day.date() if isinstance(day, dt.datetime) else day


def day_label(day: dt.date | dt.datetime, year: bool = False) -> str:
    """``11月9日``; ``2026年11月9日`` with ``year``.

    >>> day_label(dt.date(2026, 11, 9)), day_label(dt.datetime(2026, 1, 5, 8, 30), year=True)
    ('11月9日', '2026年1月5日')
    """
    day = _as_date(day)
    return f"{f'{day.year}年' if year else ''}{day.month}月{day.day}日"


def datetime_label(moment: dt.datetime) -> str:
    """A moment with its year, as a generation time reads: ``2026年11月16日 09:00``.

    >>> datetime_label(dt.datetime(2026, 11, 16, 9, 0))
    '2026年11月16日 09:00'
    """
    return f"{day_label(moment, year=True)} {moment:%H:%M}"


def week_range(start: dt.date | dt.datetime, year: bool = False) -> str:
    """The seven days from ``start`` (a Monday): ``11月9日–15日``, ``11月30日–12月6日``; ``year`` writes the
    year on the first day (and on the last when the week ends in the next year).

    >>> week_range(dt.date(2026, 11, 30)), week_range(dt.date(2025, 12, 29), year=True)
    ('11月30日–12月6日', '2025年12月29日–2026年1月4日')
    """
    start = _as_date(start)
    end = start + dt.timedelta(days=6)
    if end.year != start.year and year:
        last = day_label(end, year=True)
    elif end.month != start.month:
        last = day_label(end)
    else:
        last = f"{end.day}日"
    return f"{day_label(start, year)}–{last}"


def week_number(start: dt.date | dt.datetime) -> str:
    """The ISO week number of the week holding ``start``: ``第46周``.

    >>> week_number(dt.date(2026, 11, 9))
    '第46周'
    """
    return f"第{_as_date(start).isocalendar().week}周"


def week_title(week: str | dt.date) -> str:
    """A week as a heading names it: ``2026年第46周（11月9日–15日）``; ``week`` is an ISO week code or a day
    of the week (its Monday is taken). A code that is not an ISO week is returned as it is.

    >>> week_title(dt.date(2026, 11, 11)), week_title("本周")
    ('2026年第46周（11月9日–15日）', '本周')
    """
    start = iso_week_start(week) if isinstance(week, str) else _as_date(week)
    if start is None:
        return str(week)
    start -= dt.timedelta(days=start.weekday())
    return f"{start.isocalendar().year}年{week_number(start)}（{week_range(start)}）"


def week_hover(start: dt.date | dt.datetime) -> str:
    """A week in hover text: its days and its number, ``11月9日–15日（第46周）``.

    >>> week_hover(dt.date(2026, 11, 9))
    '11月9日–15日（第46周）'
    """
    return f"{week_range(start)}（{week_number(start)}）"


def week_labels(codes: Iterable[str | None]) -> dict[str, str]:
    """Each ISO week code of ``codes`` → its label on a chart's axis: its Monday (``11月9日``), with the year
    where it changes from the week before (``2026年1月5日``), and on every week when the weeks span more
    than a year (a label would otherwise stand for two weeks). Codes that are not ISO weeks are left out.

    >>> week_labels(["2025-W51", "2025-W52", "2026-W01", "2026-W02", "本周"])
    {'2025-W51': '12月15日', '2025-W52': '12月22日', '2026-W01': '12月29日', '2026-W02': '2026年1月5日'}
    """
    starts = {code: start for code in codes if (start := iso_week_start(code)) is not None}
    days = sorted(set(starts.values()))
    every = len({(d.month, d.day) for d in days}) < len(days)
    labels: dict[dt.date, str] = {}
    for before, day in zip([None, *days], days, strict=False):
        labels[day] = day_label(day, year=every or (before is not None and before.year != day.year))
    return {code: labels[start] for code, start in starts.items()}


__all__ = [
    "DAY_FORMAT",
    "datetime_label",
    "day_label",
    "iso_week_start",
    "week_hover",
    "week_labels",
    "week_number",
    "week_range",
    "week_title",
]
