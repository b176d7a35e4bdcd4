"""When the theme model must be fitted again: the refit policy, as a pure function of a few facts."""

from __future__ import annotations

import datetime as dt

from ..config import ThemesConfig

#: Fewer newer records than this never trigger a refit by their unassigned share.
MIN_NEWER = 200


def refit_reason(
    cfg: ThemesConfig,
    window_end: dt.date | None,
    data_end: dt.date | None,
    degraded: str | None = None,
    newer: int = 0,
    newer_unassigned: float | None = None,
) -> str | None:
    """Why the current model should be fitted again (None: it need not).

    ``window_end``: the last week the model learned from; ``data_end``: the last week with records;
    ``degraded``: the model's ``degraded_`` (a corpus too small or uniform for themes);
    ``newer`` / ``newer_unassigned``: how many records came after the window and the share of them
    left 未归类.

    >>> import datetime as dt
    >>> cfg = ThemesConfig(refit_after_weeks=13)
    >>> refit_reason(cfg, dt.date(2026, 1, 5), dt.date(2026, 4, 6))
    "the data runs 13 weeks past the model's window (bound 13)"
    >>> refit_reason(cfg, dt.date(2026, 1, 5), dt.date(2026, 1, 12)) is None
    True
    """
    if window_end is None:
        return "the current model has no recorded window"
    if degraded and data_end and data_end > window_end:
        # a first week too small or too uniform for themes is fitted again as soon as more records come
        return f"the current model is degraded ({degraded}) and newer records arrived"
    weeks = (data_end - window_end).days // 7 if data_end else 0
    if cfg.refit_after_weeks and weeks >= cfg.refit_after_weeks:
        return f"the data runs {weeks} weeks past the model's window (bound {cfg.refit_after_weeks})"
    if newer >= MIN_NEWER and newer_unassigned is not None and newer_unassigned > cfg.refit_unassigned_share:
        return f"{newer_unassigned:.1%} of {newer} newer records are 未归类 (bound {cfg.refit_unassigned_share:.0%})"
    return None
