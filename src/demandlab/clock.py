"""The one clock every stage, job and report reads.

Everything that depends on "now" — the load time that refuses records from the
future, the week the weekly job reports, the archive folder, the report's
generation time, the synthetic district's last day — asks :func:`now`. Setting
``$DEMANDLAB_NOW`` (an ISO date or date-time) runs demandlab as if it were that
moment: the test suite pins it so that it passes on any day, and an operator can
re-run a past week's job exactly as it ran then.

>>> import os
>>> os.environ[NOW_ENV] = "2026-11-16T09:00:00"
>>> now()
datetime.datetime(2026, 11, 16, 9, 0)
>>> today()
datetime.date(2026, 11, 16)
>>> del os.environ[NOW_ENV]
"""

from __future__ import annotations

import datetime as dt
import os

NOW_ENV = "DEMANDLAB_NOW"


class ClockError(ValueError):
    """``$DEMANDLAB_NOW`` is set to something that is not a date or date-time."""


def now() -> dt.datetime:
    """The current local time (without microseconds), or ``$DEMANDLAB_NOW`` when it is set."""
    fixed = os.environ.get(NOW_ENV, "").strip()
    if fixed:
        try:
            value = dt.datetime.fromisoformat(fixed)
        except ValueError as exc:
            raise ClockError(f"${NOW_ENV}={fixed!r} 不是日期或时间（应为 2026-11-16 或 2026-11-16T09:00:00）") from exc
        return value.replace(tzinfo=None, microsecond=0)
    return dt.datetime.now().replace(microsecond=0)


def today() -> dt.date:
    """The date of :func:`now`."""
    return now().date()
