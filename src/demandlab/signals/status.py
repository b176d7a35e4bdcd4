"""Whether each signal and closed-loop measure can be computed from the records at hand, and if not, why.

Silence must never read as good news. A week without a surge alert means nothing when no record
carries a grid id (surges are scored per grid × theme × week), and an overdue count of 0 means
nothing when no record has a due time. So the report and the command line ask, for every signal,
whether the records hold what it needs, and say so in Chinese where a figure would otherwise be
missing, empty or 0.

What each signal needs (:data:`NEEDS`), on which records:

==================  =====================================================  ==================
signal              needs                                                  records
==================  =====================================================  ==================
surge               ``grid_id``, and ``min_weeks`` weeks of data before     all
crowd               a place found in the text, and ``min_weeks`` weeks before  all
repeat_caller       a theme or a place (people: contacts, else near-dups)   all
hot                 a place or a theme (not 未归类)                          all
response_rate       ``accepted_at`` (the denominator); ``responded_at``     all
resolution_rate     ``resolved``                                            closed
satisfaction_rate   a follow-up answer (满意, 基本满意, 不满意)               all
ontime_rate         ``due_at``                                              all
grid_closed_share   ``resolved_level``                                      closed
reopen_rate         ``reopen_count`` (or the status 重办)                    all
hours_to_respond    ``accepted_at`` and ``responded_at``, both              all
hours_to_close      ``closed_at``                                           closed
overdue_open        ``due_at``                                              all
==================  =====================================================  ==================

The verdict, in this order: **not computable** when there are no such records; when a field it
needs is on none of them (``missing`` names the fields); when places have not been looked for yet;
when no record has all it needs together; or, for surges and 多人同诉, when there are fewer weeks of data
than the test needs. Otherwise it is **computable**, and **partly** so when some records lack what it
needs: it is then computed on the others, and ``n_lacking`` says how many were left out (a
measure leaves them out of its denominator, nothing is guessed). A measure over closed records when
no record has a status at all lacks the status (closed or not is unknown), not closed records.

The verdict is made from counts, not rows: :func:`signal_status` takes how many records carry each
field, which :func:`demandlab.marts.read.signal_status` gets from one aggregate query over
``mart_records`` and :func:`count_fields` from a frame. Keys of the counts: ``"n"`` (records),
``"closed"`` (closed records), ``"weeks_before"`` (weeks of data before the last week counted) and
``"<base>:<need>"``, the records of ``base`` that have ``need``: a field (``"n:grid_id"``), two
fields together (``"n:contact_key&place"``) or either of two (``"n:place|theme"``). ``"n:place"``
is None when places have not been looked for yet.

>>> status = signal_status(count_fields(pl.DataFrame({"grid_id": [None, None], "week_start": [None, None]})))
>>> status["surge"].computable, status["surge"].missing
(False, ('grid_id',))
>>> status["surge"].reason_zh
'无法计算：缺少网格编号（全部 2 件记录都没有网格编号）'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

from .alerts import SurgeModel

#: The fields (and pseudo-fields) signals need, as policy staff name them.
FIELD_LABELS_ZH: dict[str, str] = {
    "grid_id": "网格编号",
    "contact_key": "来电号码或账号",
    "place": "地点",
    "theme": "问题归类",
    "accepted_at": "受理时间",
    "responded_at": "反馈时间",
    "closed_at": "办结时间",
    "due_at": "办结期限",
    "resolved": "解决情况",
    "satisfaction": "满意度回访结果",
    "resolved_level": "办结层级",
    "reopen_count": "重办次数",
    "status": "办理状态",
    "weeks": "足够周数的历史数据",
}
#: The records a signal is about (the ``base`` of its counts).
BASE_LABELS_ZH: dict[str, str] = {"n": "记录", "closed": "已办结记录"}


@dataclass(frozen=True)
class Need:
    """What one signal needs: ``need`` is the key suffix of the records it can use (a field, ``a&b`` or
    ``a|b``) among the records ``base``; ``also``: fields that must be on at least one of them besides;
    ``weeks``: it needs weeks of history (surges, 多人同诉)."""

    label_zh: str
    need: str
    base: str = "n"
    also: tuple[str, ...] = ()
    weeks: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(re.split(r"[&|]", self.need))

    @property
    def lacking_zh(self) -> str:
        """What a record it cannot use lacks: 没有网格编号, 没有同时具备来电号码或账号与地点,
        既没有地点也没有问题归类."""
        labels = [FIELD_LABELS_ZH[f] for f in self.fields]
        if len(labels) == 1:
            return f"没有{labels[0]}"
        return f"既没有{labels[0]}也没有{labels[1]}" if "|" in self.need else f"没有同时具备{'与'.join(labels)}"

    @property
    def having_zh(self) -> str:
        """What every record has when it can use them all: 都有网格编号, 都同时具备…, 都有地点或问题归类."""
        labels = [FIELD_LABELS_ZH[f] for f in self.fields]
        if len(labels) == 1:
            return f"都有{labels[0]}"
        return f"都有{'或'.join(labels)}" if "|" in self.need else f"都同时具备{'与'.join(labels)}"


#: Every signal and closed-loop measure, by the name the statuses use (alert kinds, ``mart_kpi`` columns).
NEEDS: dict[str, Need] = {
    "surge": Need("激增预警", "grid_id", weeks=True),
    # people are counted from contacts where records have them, else from near-duplicate groups
    # (signals/people.py): neither alert needs a caller number, the report says how people were counted
    "crowd": Need("多人同诉", "place", weeks=True),  # judged against the place's own weeks before
    "repeat_caller": Need("一人多诉", "place|theme"),
    "hot": Need("热点问题", "place|theme"),
    "response_rate": Need("响应率", "accepted_at", also=("responded_at",)),
    "resolution_rate": Need("解决率", "resolved", base="closed"),
    "satisfaction_rate": Need("满意率", "satisfaction"),
    "ontime_rate": Need("按期办结率", "due_at"),
    "grid_closed_share": Need("网格内办结占比", "resolved_level", base="closed"),
    "reopen_rate": Need("重办率", "reopen_count"),
    "hours_to_respond": Need("响应时长", "accepted_at&responded_at"),
    "hours_to_close": Need("办结时长", "closed_at", base="closed"),
    "overdue_open": Need("逾期未结", "due_at"),
}
#: The alert kinds, in the order the report and the command line list them.
ALERT_SIGNALS = ("surge", "crowd", "repeat_caller")
#: The closed-loop measures (:data:`NEEDS` keys) in the order they are listed.
KPI_SIGNALS = tuple(name for name in NEEDS if name not in (*ALERT_SIGNALS, "hot"))
#: Columns of ``mart_kpi`` and ``mart_week_summary`` → the measure whose status they follow.
COLUMN_SIGNALS: dict[str, str] = {
    **{name: name for name in KPI_SIGNALS if not name.startswith("hours_")},
    "hours_to_respond_median": "hours_to_respond",
    "hours_to_respond_p90": "hours_to_respond",
    "hours_to_close_median": "hours_to_close",
    "hours_to_close_p90": "hours_to_close",
}


@dataclass(frozen=True)
class SignalStatus:
    """Whether one signal can be computed from the records, and why not.

    ``missing``: the fields no record has (``"weeks"`` when history is short); ``n_lacking``: the
    records left out for lacking what it needs, of ``n_total`` it is about; ``reason_zh``: the whole
    verdict in Chinese; ``short_zh``: why not in a few words ("缺少网格编号"), empty when nothing is
    lacking; ``detail_zh``: why a figure is unknown, with the records it concerns ("17 件记录均缺少办结期限").
    """

    name: str
    computable: bool
    missing: tuple[str, ...]
    n_lacking: int
    n_total: int
    reason_zh: str
    label_zh: str = ""
    short_zh: str = ""
    detail_zh: str = ""

    @property
    def partial(self) -> bool:
        """Computed, but on part of the records only."""
        return self.computable and self.n_lacking > 0

    @property
    def unknown_zh(self) -> str:
        """What to print instead of a figure that cannot be computed: ``未知（17 件记录均缺少办结期限）``."""
        return f"未知（{self.detail_zh}）" if self.detail_zh else "未知"


def _share(part: int, whole: int) -> str:
    share = part / whole
    return f"{share:.1%}" if share < 0.01 or share > 0.99 else f"{share:.0%}"


def _status(name: str, need: Need, counts: Mapping[str, int | None], min_weeks: int) -> SignalStatus:
    base_zh = BASE_LABELS_ZH[need.base]
    total = int(counts[need.base] or 0)

    def verdict(missing: tuple[str, ...], lacking: int, reason: str, short: str, detail: str) -> SignalStatus:
        return SignalStatus(name, False, missing, lacking, total, f"无法计算：{reason}", need.label_zh, short, detail)

    def lacks(fields: tuple[str, ...], n: int, of: str) -> SignalStatus:
        labels = "、".join(FIELD_LABELS_ZH[f] for f in fields)
        return verdict(
            fields,
            n,
            f"缺少{labels}（全部 {n:,} 件{of}都没有{labels}）",
            f"缺少{labels}",
            f"{n:,} 件{of}均缺少{labels}",
        )

    if total == 0:
        n = int(counts.get("n") or 0)
        if need.base == "closed" and n and counts.get("n:status", 0) == 0:
            return lacks(("status",), n, BASE_LABELS_ZH["n"])  # no status at all: closed or not is unknown
        return verdict((), 0, f"没有{base_zh}", f"没有{base_zh}", f"没有{base_zh}")
    fields = (*need.fields, *need.also)
    counted = {f: counts.get(f"{need.base}:{f}", 0) for f in fields}  # None: not looked for (places)
    known = int(counts.get(f"{need.base}:{need.need}") or 0)
    if "|" in need.need:
        empty = need.fields if known == 0 else ()
        empty += tuple(f for f in need.also if not counted[f])
    else:
        empty = tuple(f for f in fields if counted[f] == 0)
    if empty:
        return lacks(empty, total, base_zh)
    unlooked = tuple(f for f in fields if counted[f] is None)
    if unlooked and "|" not in need.need:
        why = "尚未识别记录中的地点"
        return verdict(unlooked, total, why, why, why)
    if known == 0:
        why = f"没有{base_zh}{need.having_zh.removeprefix('都')}"
        return verdict(need.fields, total, f"{why}（共 {total:,} 件）", why, why)
    weeks = int(counts.get("weeks_before") or 0)
    if need.weeks and weeks < min_weeks:
        why = f"历史数据不足 {min_weeks} 周"
        reason = f"{why}（此前只有 {weeks} 周数据，至少需要 {min_weeks} 周）"
        return verdict(("weeks",), total - known, reason, why, why)
    lacking = total - known
    if lacking:
        reason = (
            f"部分计算：{total:,} 件{base_zh}中 {lacking:,} 件（{_share(lacking, total)}）{need.lacking_zh}，"
            f"只依据其余 {known:,} 件计算"
        )
        short = f"{lacking:,} 件{need.lacking_zh}"
    else:
        reason, short = f"可计算（{total:,} 件{base_zh}{need.having_zh}）", ""
    return SignalStatus(name, True, (), lacking, total, reason, need.label_zh, short)


def signal_status(counts: Mapping[str, int | None], min_weeks: int = SurgeModel.min_history) -> dict[str, SignalStatus]:
    """The status of every signal of :data:`NEEDS` from ``counts`` (see the module docstring for the keys).

    ``min_weeks``: weeks of data a surge test needs before the week it tests (``SurgeModel.min_history``).

    >>> counts = {"n": 10, "closed": 0, "weeks_before": 8, "n:grid_id": 6}
    >>> s = signal_status(counts)["surge"]
    >>> s.computable, s.n_lacking, s.reason_zh
    (True, 4, '部分计算：10 件记录中 4 件（40%）没有网格编号，只依据其余 6 件计算')
    >>> signal_status(counts)["resolution_rate"].unknown_zh
    '未知（10 件记录均缺少办理状态）'
    >>> signal_status({**counts, "n:status": 10})["resolution_rate"].unknown_zh
    '未知（没有已办结记录）'
    """
    return {name: _status(name, need, counts, min_weeks) for name, need in NEEDS.items()}


def count_fields(records: pl.DataFrame) -> dict[str, int | None]:
    """The counts :func:`signal_status` reads, from a frame of records (columns of ``mart_records``).

    A column the frame lacks counts as empty. ``place_key`` (from ``record_places``, as
    :func:`demandlab.marts.read.signal_records` gives it) is optional: without it places count as not
    looked for (``"n:place"`` is None). ``weeks_before``: the frame's weeks before its last one.

    >>> count_fields(pl.DataFrame({"grid_id": ["G1", None], "week_start": [None, None]}))["n:grid_id"]
    1
    """

    def has(column: str) -> pl.Expr:
        return pl.col(column).is_not_null() if column in records.columns else pl.lit(False)

    def equals(column: str, values: Iterable[str]) -> pl.Expr:
        return pl.col(column).is_in(list(values)).fill_null(False) if column in records.columns else pl.lit(False)

    closed = equals("status", ["closed"])
    place = has("place_key")
    theme = (pl.col("theme_id") >= 0).fill_null(False) if "theme_id" in records.columns else pl.lit(False)
    flags = {
        "closed": closed,
        "n:status": has("status"),
        "n:grid_id": has("grid_id"),
        "n:contact_key": has("contact_key"),
        "n:place": place,
        "n:theme": theme,
        "n:contact_key&place": has("contact_key") & place,
        "n:place|theme": place | theme,
        "n:accepted_at": has("accepted_at"),
        "n:responded_at": has("responded_at"),
        "n:accepted_at&responded_at": has("accepted_at") & has("responded_at"),
        "n:due_at": has("due_at"),
        "n:satisfaction": equals("satisfaction", ["satisfied", "basic", "dissatisfied"]),
        "n:reopen_count": has("reopen_count") | equals("status", ["reopened"]),
        "closed:resolved": closed & has("resolved"),
        "closed:resolved_level": closed & has("resolved_level"),
        "closed:closed_at": closed & has("closed_at"),
    }
    counts: dict[str, int | None] = {"n": records.height}
    row = records.select(**{key: flag.cast(pl.Int64).sum() for key, flag in flags.items()})
    counts.update({key: int(value or 0) for key, value in row.row(0, named=True).items()})
    weeks = records["week_start"].drop_nulls().n_unique() if "week_start" in records.columns else 0
    counts["weeks_before"] = max(weeks - 1, 0)
    if "place_key" not in records.columns:
        counts["n:place"] = None
    return counts


def unavailable_zh(statuses: Mapping[str, SignalStatus], names: Iterable[str]) -> str:
    """The signals of ``names`` that cannot be computed, grouped by why, in one line; empty when all can.

    >>> s = signal_status({"n": 5, "closed": 0, "weeks_before": 9, "n:grid_id": 0, "n:place": 0, "n:place|theme": 5})
    >>> unavailable_zh(s, ["surge", "crowd", "repeat_caller"])
    '激增预警（缺少网格编号）、多人同诉（缺少地点）'
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        status = statuses[name]
        if not status.computable:
            groups.setdefault(status.short_zh, []).append(status.label_zh)
    return "、".join(f"{_and(labels)}（{why}）" for why, labels in groups.items())


def _and(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else f"{'、'.join(labels[:-1])}与{labels[-1]}"


__all__ = [
    "ALERT_SIGNALS",
    "BASE_LABELS_ZH",
    "COLUMN_SIGNALS",
    "FIELD_LABELS_ZH",
    "KPI_SIGNALS",
    "NEEDS",
    "Need",
    "SignalStatus",
    "count_fields",
    "signal_status",
    "unavailable_zh",
]
