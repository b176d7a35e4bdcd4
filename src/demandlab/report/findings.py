"""本周要点 and 需要关注的单位/街道: what a street official should act on, chosen by a fixed rule.

Everything here is a pure function over what :func:`demandlab.report.data.collect` has already read
(the week's alerts, hot issues, weekly 三率) and over :class:`AttentionFrames`, the few frames its
hook reads for this module (KPIs by unit and place, records overdue at a week's end). Nothing here
reads the database.

**本周要点** are 3–7 findings, each one Chinese sentence with its number, its place (names, never
ids), its comparison, and a link to its evidence further down the page. Candidates, in this order,
at most so many of each kind (:data:`KINDS`):

1. 激增 (surge alerts of the week, at most 3): by p-value, then more records, then alert id — the
   order of the 预警 table, so the first three link to their trend charts. A surge whose records are
   mostly one person's is told as 一人多诉 (the signals stage already keeps most of those out);
2. 多人同诉 (crowd alerts, at most 2): more people first, then more records, then alert id;
3. 热点问题 (hot issues, at most 2) that got a record this week and are not the place × matter of a
   surge or crowd alert of the week: by heat rank;
4. 逾期未结 (at most 1): records raised and due before the end of the week and not closed by then
   (judged by their closing time, so last week's count is what it was then, not what is still open
   now; closed without a closing time counts as closed), with the change from the end of last week
   and the units with most. For the latest week this is 闭环办理's 目前逾期未办结 up to the hours
   between the last record and the week's end;
5. 三率变化 (at most 2): a rate of the week that moved at least :data:`RATE_CHANGE_POINTS` percentage
   points from last week, both weeks with at least :data:`RATE_MIN_RECORDS` records in its
   denominator: falls before rises, larger moves first;
6. 一人多诉 (repeat-caller alerts of the week, at most 1): more records first, then alert id.

When the caps leave fewer than three findings, the candidates they left out fill up to three, in
the same order; never more than seven. A surge reads::

    翠竹社区第4网格「搅拌站 · 噪音」本周11件，近12周平均不到1件，显著高于常态，涉及8位居民，已持续4周。

Statistics are said in words (显著高于常态, 约为平时的3倍 when the baseline is a record a week or more);
the figures behind a sentence (p-value, expectation, heat) go in its tooltip only. Without a
previous week nothing is compared with it: the page says 无上周数据可比. When nothing reaches the
rule, the section says so — and, reusing the report's own "could not compute" states
(:func:`demandlab.report.data._alert_status`, ``signals.status``), says which signals could not be
computed, so silence never reads as good news.

**需要关注的单位/街道** ranks the handling units (承办单位) and the places one level below the
report's scope (a district report: 街道; a street: 社区; a community: 网格) by the 三率 of the
records raised in the last four weeks (the 闭环办理 window) and by 逾期未结 at the end of the week,
each with its change from the four weeks (the week end) before. Worst first: more warning signs,
then more overdue records, then the lowest rate, then the name. A warning sign is a rate at least
:data:`ATTENTION_GAP_POINTS` points below the whole scope's with at least :data:`ATTENTION_MIN_RECORDS`
records in its denominator, or any overdue record. A rate without data reads 无数据, never 0%.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import polars as pl

from ..dates import day_label
from ..labels import METRIC_LABELS_ZH

if TYPE_CHECKING:
    from ..config import SignalsConfig
    from .data import ReportData

#: The kinds of finding in the order they are told, with the most of each (before filling up to three).
KINDS: tuple[tuple[str, int], ...] = (
    ("surge", 3),
    ("crowd", 2),
    ("hot", 2),
    ("overdue", 1),
    ("rate", 2),
    ("repeat_caller", 1),
)
KIND_LABELS_ZH = {
    "surge": "激增",
    "crowd": "多人同诉",
    "hot": "热点问题",
    "overdue": "逾期未结",
    "rate": "三率变化",
    "repeat_caller": "一人多诉",
}
MIN_FINDINGS, MAX_FINDINGS = 3, 7
#: A weekly rate is a finding when it moved at least this many percentage points …
RATE_CHANGE_POINTS = 5.0
#: … and both weeks have at least this many records in its denominator.
RATE_MIN_RECORDS = 20
#: A unit's or place's rate is a warning sign this many points below the whole scope's …
ATTENTION_GAP_POINTS = 5.0
#: … when at least this many records are in its denominator.
ATTENTION_MIN_RECORDS = 10
#: Rows of each 需要关注 table.
ATTENTION_ROWS = 10
#: The 三率 (columns of mart_kpi and mart_week_summary) and their denominators there.
RATES = ("response_rate", "resolution_rate", "satisfaction_rate")
KPI_DENOMINATORS = {
    "response_rate": "n_accepted",
    "resolution_rate": "n_resolution_known",
    "satisfaction_rate": "n_surveyed",
}
WEEK_DENOMINATORS = {**KPI_DENOMINATORS, "response_rate": "n_closed_loop"}
#: The places ranked under a scope: (mart_kpi level, column, what they are called); a grid has none below it.
PLACE_LEVELS: dict[str | None, tuple[str, str, str]] = {
    None: ("street", "street", "街道"),
    "street": ("community", "community", "社区"),
    "community": ("grid", "grid_id", "网格"),
}
#: What each of :attr:`Finding.numbers` is called in the tooltip.
NUMBER_LABELS_ZH = {
    "n": "件数",
    "baseline": "近期周均",
    "expected": "模型预期",
    "p_value": "p值",
    "n_people": "人数",
    "weeks_running": "连续周数",
    "this_week": "本周新增",
    "heat": "热度",
    "rate": "本周",
    "previous": "上周",
    "denominator": "本周分母",
    "overdue": "逾期未结",
    "overdue_previous": "上周末逾期未结",
}


@dataclass(frozen=True)
class Finding:
    """One thing to act on: ``kind`` (one of :data:`KINDS`), the ``sentence`` staff read, the ``anchor``
    (``#id``) of its evidence further down the page, the ``numbers`` behind the sentence, and the
    ``label`` of its tag (一人多诉 for a surge that is mostly one person's)."""

    kind: str
    sentence: str
    anchor: str
    numbers: dict = field(default_factory=dict)
    label: str = ""

    @property
    def tooltip(self) -> str:
        """The numbers behind the sentence, for a ``title=`` (where a p-value may appear)."""
        return "；".join(
            f"{NUMBER_LABELS_ZH[k]} {_number(v)}"
            for k, v in self.numbers.items()
            if k in NUMBER_LABELS_ZH and v is not None
        )


@dataclass(frozen=True)
class AttentionFrames:
    """What :func:`attention` reads (gathered by ``data._attention_frames``).

    ``now`` / ``previous``: ``mart_kpi`` rows (levels ``total``, ``dept`` and the place level of
    :data:`PLACE_LEVELS`) over the records raised in the four weeks up to the report's week / up to the
    week before (``previous`` is None when the data has no earlier week). ``open_records``: records
    (dept, place columns, created_at, due_at, closed_at, status) that may have been overdue at the end
    of either week. ``week_end``: the end of the report's week. ``place_kind``: the scope's kind (None
    for the whole district). ``names``: a display name for an id of the place column (grids).
    ``overdue_known``: whether any record of the scope has a due time.
    """

    now: pl.DataFrame
    previous: pl.DataFrame | None
    open_records: pl.DataFrame
    week_end: dt.datetime
    place_kind: str | None = None
    names: dict = field(default_factory=dict)
    overdue_known: bool = True


# --- the sentences ------------------------------------------------------------------------------------------


def _number(v) -> str:
    if isinstance(v, float):
        return f"{v:.1e}" if 0 < abs(v) < 1e-3 else f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:,}" if isinstance(v, int) else str(v)


def _times(ratio: float) -> str:
    """``约为平时的3倍`` wording: whole numbers from 3, one decimal below."""
    return f"{round(ratio)}" if ratio >= 3 else f"{ratio:.1f}".removesuffix(".0")


def _people(n_people: int | None, basis: str | None) -> str:
    if not n_people:
        return ""
    return f"涉及{n_people}位居民" if basis in (None, "contact") else f"涉及约{n_people}位居民"


def _grid_place(a: dict) -> str:
    """A grid by its name (community + grid), else its community or street: never its id."""
    label = a.get("grid_label")
    if label and label != a.get("grid_id"):
        return label
    return a.get("community") or a.get("street") or "未登记网格"


def _one_person(a: dict) -> bool:
    """Mostly one person's records: the records' person with most (``top_person_n``, when known) holds more
    than half of them, or all of them are one person's."""
    n = a.get("n") or 0
    top = a.get("top_person_n")
    if top is not None:
        from ..signals.people import ONE_PERSON_SHARE  # here: the signals package loads scipy

        return top >= 2 and top > ONE_PERSON_SHARE * n
    return n >= 2 and a.get("n_people") == 1


def surge_findings(alerts: list[dict], window: int, n_panels: int = 0) -> list[Finding]:
    """The week's surges, in the 预警 table's order; the first ``n_panels`` link to their trend charts."""
    surges = sorted(
        (a for a in alerts if a.get("kind") == "surge"),
        key=lambda a: (a.get("p_value") is None, a.get("p_value") or 0, -(a.get("n") or 0), a.get("alert_id") or ""),
    )
    out = []
    for i, a in enumerate(surges):
        n, baseline = a["n"], a.get("baseline")
        parts = [f"{_grid_place(a)}「{a['theme_label']}」本周{n}件"]
        if baseline is not None:
            parts.append(f"近{window}周平均不到1件" if baseline < 1 else f"近{window}周平均{baseline:.1f}件")
        ratio = n / baseline if baseline and baseline >= 1 else None
        parts.append(f"约为平时的{_times(ratio)}倍" if ratio and ratio >= 1.5 else "显著高于常态")
        one = _one_person(a)
        parts.append("主要来自同一位居民（一人多诉）" if one else _people(a.get("n_people"), a.get("people_basis")))
        running = a.get("weeks_running") or 1
        parts.append(f"已持续{running}周" if running > 1 else "本周新出现")
        numbers = {k: a.get(k) for k in ("n", "baseline", "expected", "p_value", "n_people", "weeks_running")}
        anchor = f"#fig-alert-{i}" if i < n_panels else "#alerts"
        label = KIND_LABELS_ZH["repeat_caller"] if one else KIND_LABELS_ZH["surge"]
        out.append(Finding("surge", "，".join(p for p in parts if p) + "。", anchor, numbers, label))
    return out


def crowd_findings(alerts: list[dict], days: int) -> list[Finding]:
    """The week's 多人同诉: more people first."""
    crowds = sorted(
        (a for a in alerts if a.get("kind") == "crowd"),
        key=lambda a: (-(a.get("n_people") or 0), -(a.get("n") or 0), a.get("alert_id") or ""),
    )
    out = []
    for a in crowds:
        where = a.get("place") or _grid_place(a)
        community = a.get("community")
        if community and community not in where:
            where = f"{where}（{community}）"
        about = "约" if a.get("people_basis") not in (None, "contact") else ""
        parts = [f"{where}「{a['theme_label']}」{days}天内{about}{a['n_people']}位居民反映，共{a['n']}件"]
        running = a.get("weeks_running") or 1
        parts.append(f"已持续{running}周" if running > 1 else "本周新出现")
        numbers = {k: a.get(k) for k in ("n", "n_people", "weeks_running")}
        out.append(Finding("crowd", "，".join(parts) + "。", "#alerts", numbers, KIND_LABELS_ZH["crowd"]))
    return out


def repeat_caller_findings(alerts: list[dict]) -> list[Finding]:
    """The week's 一人多诉 episodes: more records first."""
    repeats = sorted(
        (a for a in alerts if a.get("kind") == "repeat_caller"),
        key=lambda a: (-(a.get("n") or 0), a.get("alert_id") or ""),
    )
    out = []
    for a in repeats:
        where = a.get("place") or _grid_place(a)
        who = "同一位来电人" if a.get("people_basis") == "contact" else "同一人（按内容相近的留言判断）"
        since = f"，{day_label(a['first_at'])}以来" if a.get("first_at") else ""
        sentence = f"{where}{who}就「{a.get('category') or a['theme_label']}」问题已反映{a['n']}件（一人多诉）{since}。"
        out.append(Finding("repeat_caller", sentence, "#alerts", {"n": a.get("n")}, KIND_LABELS_ZH["repeat_caller"]))
    return out


def hot_findings(
    hot: list[dict], dots: pl.DataFrame, week_start: dt.date, weeks: int, alerts: list[dict] = ()
) -> list[Finding]:
    """Hot issues with a record this week (``dots``: hot_id, created_at) that no surge or crowd alert of the
    week already names (same grid and theme, or same place and theme), by heat rank."""
    told = {(a.get("grid_id"), a.get("theme_id")) for a in alerts if a.get("kind") == "surge"}
    told |= {(a.get("place"), a.get("theme_id")) for a in alerts if a.get("kind") == "crowd" and a.get("place")}
    start = dt.datetime.combine(week_start, dt.time())
    fresh = (
        dict(dots.filter(pl.col("created_at") >= start).group_by("hot_id").len().iter_rows())
        if dots.height and "hot_id" in dots.columns
        else {}
    )
    out = []
    for h in sorted(hot, key=lambda h: (h.get("rank") or 0, h.get("hot_id") or "")):
        this_week = fresh.get(h.get("hot_id"), 0)
        if not this_week or {(h.get("grid_id"), h.get("theme_id")), (h.get("place"), h.get("theme_id"))} & told:
            continue
        place, community = h.get("place"), h.get("community")
        if place:
            where = place if not community or community in place else f"{community}{place}"
        else:
            where = "无具体地点的全市性问题"
        period = f"近{weeks}周" if weeks else "累计"
        parts = [f"{where}「{h['matter']}」{period}{h['n']}件"]
        if h.get("is_repeat"):
            parts.append("主要是同一位居民反复反映（一人多诉）")
        else:
            parts.append(_people(h.get("n_people"), h.get("people_basis")))
        parts.append(f"本周新增{this_week}件")
        if h.get("first_at"):
            parts.append(f"最早一件在{day_label(h['first_at'])}")
        numbers = {"n": h.get("n"), "n_people": h.get("n_people"), "this_week": this_week, "heat": h.get("heat")}
        out.append(Finding("hot", "，".join(p for p in parts if p) + "。", "#hot", numbers, KIND_LABELS_ZH["hot"]))
    return out


def overdue_finding(attention: dict, scope_label: str) -> list[Finding]:
    """逾期未结 at the end of the week, with its change and the units with most (from :func:`attention`)."""
    total, previous = attention.get("overdue"), attention.get("overdue_previous")
    if not total:
        return []
    if not attention.get("has_previous"):
        change = "无上周数据可比"
    elif previous is None:
        change = ""
    elif total == previous:
        change = "与上周末持平"
    else:
        change = f"比上周末{'增加' if total > previous else '减少'}{abs(total - previous)}件"
    units = [u for u in attention.get("overdue_units", []) if u["overdue"]][:3]
    most = "、".join(f"{u['name']}{u['overdue']}件" for u in units)
    parts = [f"{scope_label}截至本周末逾期未结{total}件", change, f"其中{most}" if most else ""]
    numbers = {"overdue": total, "overdue_previous": previous}
    return [
        Finding("overdue", "，".join(p for p in parts if p) + "。", "#attention", numbers, KIND_LABELS_ZH["overdue"])
    ]


def rate_findings(weekly: pl.DataFrame, week_start: dt.date, scope_label: str) -> list[Finding]:
    """三率 of the week that moved at least :data:`RATE_CHANGE_POINTS` points from the week before (both weeks
    with at least :data:`RATE_MIN_RECORDS` records in the rate's denominator); falls first. No week before: none."""
    if weekly.height == 0 or "week_start" not in weekly.columns:
        return []
    this = weekly.filter(pl.col("week_start") == week_start)
    last = weekly.filter(pl.col("week_start") == week_start - dt.timedelta(weeks=1))
    if this.height == 0 or last.height == 0:
        return []
    this, last = this.row(0, named=True), last.row(0, named=True)
    moves = []
    for i, rate in enumerate(RATES):
        now, before = this.get(rate), last.get(rate)
        denominator = WEEK_DENOMINATORS[rate]
        if now is None or before is None:
            continue
        if min(this.get(denominator) or 0, last.get(denominator) or 0) < RATE_MIN_RECORDS:
            continue
        points = (now - before) * 100
        if abs(points) >= RATE_CHANGE_POINTS:
            moves.append((points > 0, -abs(points), i, rate, now, before, points))
    out = []
    for _, _, _, rate, now, before, points in sorted(moves):
        way = "上升" if points > 0 else "下降"
        change = f"比上周{way}{abs(points):.1f}个百分点（上周{before:.1%}）"
        sentence = f"{scope_label}{METRIC_LABELS_ZH[rate]}本周{now:.1%}，{change}。"
        numbers = {
            "rate": round(now, 4),
            "previous": round(before, 4),
            "denominator": this.get(WEEK_DENOMINATORS[rate]),
        }
        out.append(Finding("rate", sentence, "#overview", numbers, KIND_LABELS_ZH["rate"]))
    return out


def select(candidates: dict[str, list[Finding]]) -> list[Finding]:
    """The findings told, by the rule of the module docstring: each kind in order up to its cap, then what
    the caps left out up to :data:`MIN_FINDINGS`, at most :data:`MAX_FINDINGS`."""
    order = {kind: i for i, (kind, _) in enumerate(KINDS)}
    chosen = [f for kind, cap in KINDS for f in candidates.get(kind, [])[:cap]]
    if len(chosen) < MIN_FINDINGS:
        rest = [f for kind, cap in KINDS for f in candidates.get(kind, [])[cap:]]
        chosen = sorted(chosen + rest[: MIN_FINDINGS - len(chosen)], key=lambda f: order[f.kind])  # stable
    return chosen[:MAX_FINDINGS]


# --- 需要关注的单位/街道 -----------------------------------------------------------------------------------------


def overdue_counts(records: pl.DataFrame, at: dt.datetime, by: str | None = None) -> dict:
    """Records overdue at ``at``: raised and due before it, and not closed by then (closed with no closing time
    counts as closed; no status as open, as in ``mart_kpi``). By ``by`` (a column), else ``{None: total}``."""
    if records.height == 0:
        return {}
    closed = (pl.col("status") == "closed").fill_null(False) & (
        pl.col("closed_at").is_null() | (pl.col("closed_at") < at)
    )
    due = records.filter((pl.col("created_at") < at) & (pl.col("due_at") < at) & ~closed)
    if by is None:
        return {None: due.height}
    return dict(due.filter(pl.col(by).is_not_null()).group_by(by).len().iter_rows())


def _change_cell(now, before, points: bool) -> tuple[str, str]:
    """(text, trend) of a change: ``↓6.3`` and ``worse`` for a rate that fell; for overdue counts more is worse."""
    if now is None or before is None:
        return "", ""
    delta = (now - before) * 100 if points else now - before
    if (points and abs(delta) < 0.05) or delta == 0:
        return "→0", "same"
    text = f"{'↑' if delta > 0 else '↓'}{abs(delta):.1f}" if points else f"{'↑' if delta > 0 else '↓'}{abs(delta)}"
    better = delta > 0 if points else delta < 0
    return text, "better" if better else "worse"


def rank_rows(rows: list[dict]) -> list[dict]:
    """Worst first: more warning signs, then more overdue records, then the lowest rate (none: last), then name."""

    def key(r: dict):
        rates = [v for v in (r["rates"][m] for m in RATES) if v is not None]
        return (-r["signs"], -(r["overdue"] or 0), min(rates) if rates else math.inf, r["name"])

    return sorted(rows, key=key)


def attention_table(
    now: pl.DataFrame,
    previous: pl.DataFrame | None,
    level: str,
    column: str,
    overdue: dict,
    overdue_previous: dict | None,
    overdue_known: bool = True,
    names: dict | None = None,
) -> list[dict]:
    """One ranked table: the rows of ``mart_kpi`` at ``level`` (keyed by ``column``) in ``now``, with their change
    from ``previous`` (None: no week before) and their records overdue now and before (``overdue``: key → count).

    Each row: ``name``, ``n``, ``rates`` and ``changes`` (points) by rate, ``overdue`` and ``overdue_change``
    (None: unknown), ``signs`` (warning signs), and ``cells``: what the table prints for each rate and for
    逾期未结 (``text`` — 无数据 without data —, ``change``, ``trend``, ``sign``, ``title``)."""
    names = names or {}
    total = now.filter(pl.col("level") == "total")
    overall = total.row(0, named=True) if total.height else {}
    current = {r[column]: r for r in now.filter((pl.col("level") == level) & pl.col(column).is_not_null()).to_dicts()}
    before = {}
    if previous is not None:
        rows = previous.filter((pl.col("level") == level) & pl.col(column).is_not_null()).to_dicts()
        before = {r[column]: r for r in rows}
    keys = set(current) | {k for k, v in overdue.items() if v and k is not None}
    out = []
    for key in keys:
        row, old = current.get(key, {}), before.get(key, {})
        count = overdue.get(key, 0)
        # a unit whose recent records have no due time and that has nothing overdue: unknown, not 0
        known = overdue_known and not (count == 0 and row and row.get("overdue_open") is None)
        count = count if known else None
        old_count = (overdue_previous or {}).get(key, 0) if known and overdue_previous is not None else None
        cells, signs, changes = [], 0, {}
        for rate in RATES:
            value, last = row.get(rate), old.get(rate) if previous is not None else None
            sign = (
                value is not None
                and overall.get(rate) is not None
                and (row.get(KPI_DENOMINATORS[rate]) or 0) >= ATTENTION_MIN_RECORDS
                and (overall[rate] - value) * 100 >= ATTENTION_GAP_POINTS
            )
            signs += sign
            change, trend = _change_cell(value, last, points=True)
            changes[rate] = None if value is None or last is None else (value - last) * 100
            title = f"上周 {last:.1%}" if last is not None else ("上周无数据" if previous is not None else "")
            text = "无数据" if value is None else f"{value:.1%}"
            cells.append({"key": rate, "text": text, "change": change, "trend": trend, "sign": sign, "title": title})
        signs += bool(count)
        change, trend = _change_cell(count, old_count, points=False)
        title = f"上周末 {old_count} 件" if old_count is not None else ""
        text = "无数据" if count is None else str(count)
        cells.append(
            {"key": "overdue", "text": text, "change": change, "trend": trend, "sign": bool(count), "title": title}
        )
        out.append(
            {
                "name": names.get(key, key),
                "n": row.get("n", 0),
                "rates": {rate: row.get(rate) for rate in RATES},
                "changes": changes,
                "overdue": count,
                "overdue_change": None if count is None or old_count is None else count - old_count,
                "signs": signs,
                "cells": cells,
            }
        )
    return rank_rows(out)


def attention(frames: AttentionFrames) -> dict:
    """需要关注的单位/街道: ``tables`` (承办单位, then the places below the scope), each ``title`` and ranked
    ``rows`` (:func:`attention_table`, at most :data:`ATTENTION_ROWS`), ``has_previous``, and the scope's
    ``overdue`` now and at the end of last week with ``overdue_units`` (the units with most), for 本周要点."""
    has_previous = frames.previous is not None
    end, before = frames.week_end, frames.week_end - dt.timedelta(weeks=1)
    records = frames.open_records

    def counts(by: str | None, at: dt.datetime) -> dict:
        return overdue_counts(records, at, by) if frames.overdue_known else {}

    tables = []
    levels = [("dept", "dept", "承办单位")]
    if frames.place_kind in PLACE_LEVELS:
        levels.append(PLACE_LEVELS[frames.place_kind])
    for level, column, title in levels:
        now = counts(column, end)
        rows = attention_table(
            frames.now,
            frames.previous,
            level,
            column,
            now,
            counts(column, before) if has_previous else None,
            frames.overdue_known,
            frames.names if column == "grid_id" else None,
        )
        tables.append(
            {"key": level, "title": title, "rows": rows[:ATTENTION_ROWS], "more": max(len(rows) - ATTENTION_ROWS, 0)}
        )
    units = sorted(counts("dept", end).items(), key=lambda kv: (-kv[1], kv[0]))
    known = frames.overdue_known
    return {
        "tables": tables,
        "has_previous": has_previous,
        "overdue": counts(None, end).get(None, 0) if known else None,
        "overdue_previous": counts(None, before).get(None, 0) if known and has_previous else None,
        "overdue_units": [{"name": name, "overdue": n} for name, n in units],
        "place_title": levels[-1][2] if len(levels) > 1 else "",
        # the rules' thresholds, for the page to state them
        "gap_points": ATTENTION_GAP_POINTS,
        "min_records": ATTENTION_MIN_RECORDS,
        "rate_change_points": RATE_CHANGE_POINTS,
        "max_findings": MAX_FINDINGS,
    }


# --- the report's hook --------------------------------------------------------------------------------------


def notes(data: ReportData) -> list[str]:
    """What 本周要点 says besides its findings: the signals that could not be computed (the report's own texts)."""
    out = []
    if data.alert_status.get("unavailable"):
        out.append(data.alert_status["unavailable"])
    if data.notes.get("hot_unavailable"):
        out.append(f"热点问题{data.notes['hot_unavailable']}")
    for rate, detail in data.headline.get("unknown", {}).items():
        out.append(f"{METRIC_LABELS_ZH.get(rate, rate)}未知：{detail}。")
    if data.loop.get("unknown", {}).get("overdue_open"):
        out.append(f"逾期未结{data.loop['unknown']['overdue_open']}。")
    return out


def compose(data: ReportData, frames: AttentionFrames, signals: SignalsConfig) -> tuple[list[Finding], list[str], dict]:
    """本周要点 (the findings, and the sentences told besides them) and 需要关注的单位/街道 of a report."""
    table = attention(frames)
    candidates = {
        "surge": surge_findings(data.alerts, signals.surge_window, len(data.alert_panels)),
        "crowd": crowd_findings(data.alerts, signals.crowd_days),
        "hot": hot_findings(data.hot, data.hot_dots, data.week_start, signals.hot_weeks, data.alerts),
        "overdue": overdue_finding(table, data.scope_label),
        "rate": rate_findings(data.weekly, data.week_start, data.scope_label),
        "repeat_caller": repeat_caller_findings(data.alerts),
    }
    found = select(candidates)
    said = notes(data)
    if not found:
        quiet = "本周没有达到关注条件的预警、热点问题、逾期未结或三率变化"
        said.insert(0, f"{quiet}；但以下内容无法计算，不能说明本周没有问题：" if said else f"{quiet}。")
    if not table["has_previous"]:
        said.append("无上周数据可比：三率和逾期未结的变化从下周起才能比较。")
    return found, said, table


__all__ = [
    "KINDS",
    "PLACE_LEVELS",
    "AttentionFrames",
    "Finding",
    "attention",
    "attention_table",
    "compose",
    "crowd_findings",
    "hot_findings",
    "overdue_counts",
    "overdue_finding",
    "rank_rows",
    "rate_findings",
    "repeat_caller_findings",
    "select",
    "surge_findings",
]
