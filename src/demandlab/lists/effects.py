"""双向评议 with numbers: did a project reduce the demand it was for?

For a project (a community, the themes it addresses, a start date) the records of those themes in the
community are counted week by week over :data:`PRE_WEEKS` weeks before the start and up to
:data:`POST_WEEKS` weeks after it (until its end or the latest week). The comparison is the same themes in
the communities without a project on them (their mean count per community and week): what the trend would
have been without the project. The estimate is a difference in differences on the weekly counts:

    d_t = treated_t − comparison_t;  effect = mean(d after) − mean(d before)

with a 95 % interval from Welch's t on the two sets of weeks (weeks taken as independent: a demand that
comes in runs makes the interval too narrow, so read a bare exclusion of 0 with care). ``relative`` is
the effect against the community's weekly mean before the start. The verdict, in Chinese:

==================  =====================================================================================
为时尚早             fewer than :data:`MIN_POST_WEEKS` weeks since the start
数据不足             fewer than :data:`MIN_PRE_RECORDS` records of the themes in the community before it
需求下降             the whole interval below 0
需求上升             the whole interval above 0
未见明显变化          the interval holds 0
==================  =====================================================================================

With a 95 % interval a project without effect is judged to have one about one time in twenty; the
synthetic tests measure that rate over many districts.
"""

from __future__ import annotations

import math

PRE_WEEKS, POST_WEEKS = 12, 12
MIN_POST_WEEKS, MIN_PRE_RECORDS = 4, 5
LEVEL = 0.95


def did(treated: list[float], comparison: list[float], start: int) -> dict:
    """The difference in differences of weekly ``treated`` counts against ``comparison`` counts (same weeks,
    in order), the project starting at week index ``start``; with its interval and verdict.

    >>> r = did([6, 5, 7, 6, 6, 5, 2, 1, 2, 2, 1, 2], [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 6)
    >>> r["effect"], r["verdict"]
    (-4.167, '需求下降')
    """
    from scipy import stats

    d = [t - c for t, c in zip(treated, comparison, strict=True)]
    before, after = d[:start], d[start:]
    pre_records = sum(treated[:start])
    result = {
        "weeks_before": len(before), "weeks_after": len(after), "records_before": int(pre_records),
        "records_after": int(sum(treated[start:])), "effect": None, "low": None, "high": None, "relative": None,
    }  # fmt: skip
    if len(after) < MIN_POST_WEEKS:
        return result | {"verdict": "为时尚早"}
    if pre_records < MIN_PRE_RECORDS or len(before) < 2:
        return result | {"verdict": "数据不足"}
    effect = _mean(after) - _mean(before)
    v1, v2 = _var(before) / len(before), _var(after) / len(after)
    se = math.sqrt(v1 + v2)
    if se == 0:
        low = high = effect
    else:
        df = (v1 + v2) ** 2 / ((v1**2 / (len(before) - 1) if v1 else 0) + (v2**2 / (len(after) - 1) if v2 else 0) or 1)
        half = stats.t.ppf(0.5 + LEVEL / 2, df) * se
        low, high = effect - half, effect + half
    base = _mean(treated[:start])
    verdict = "需求下降" if high < 0 else "需求上升" if low > 0 else "未见明显变化"
    return result | {
        "effect": round(effect, 3), "low": round(low, 3), "high": round(high, 3),
        "relative": round(effect / base, 3) if base else None, "verdict": verdict,
    }  # fmt: skip


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _var(values: list[float]) -> float:
    m = _mean(values)
    return sum((v - m) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
