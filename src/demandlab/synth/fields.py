"""The structured fields of records: when they came in, who handled them and how the loop closed.

:class:`FieldWriter` draws from the record writer's main random stream: arrival times by weekday and
hour, the 12345 closed loop (kind, unit, response, due date, closure, resolution, satisfaction,
level), the state of 随手拍 reports and grid visits, and the contact each record gives.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import TYPE_CHECKING

from .district import District
from .grammar import Catalog
from .people import PeopleFaker

if TYPE_CHECKING:
    from .plan import Planted
    from .records import SynthRecord

_HOUR_WEIGHTS_DAY = [0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 1, 2, 4, 6, 6, 5, 4, 5, 5, 5, 4, 4, 4, 4, 3, 2, 1, 0.5]
_HOUR_WEIGHTS_NIGHT = [3, 3, 2, 1, 0.5, 0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 5, 4]
_HOUR_WEIGHTS_VISIT = [0, 0, 0, 0, 0, 0, 0, 0.2, 2, 5, 5, 3, 1, 1, 4, 5, 4, 2, 0.5, 0.2, 0, 0, 0, 0]
_NIGHT_PROBLEMS = {"noise_construction", "square_dance", "neighbor_dispute", "dogs"}
_KIND_BY_PROBLEM = {
    "elevator_install": (0.3, 0.4, 0.25, 0.05),
    "elder_canteen": (0.2, 0.3, 0.4, 0.1),
    "after_school": (0.1, 0.3, 0.5, 0.1),
    "wage_arrears": (0.4, 0.3, 0.3, 0.0),
    "medical": (0.3, 0.2, 0.45, 0.05),
    "bus": (0.3, 0.2, 0.2, 0.3),
}
_KINDS = ("投诉", "求助", "咨询", "建议")
_DUE_DAYS = {"投诉": 5, "求助": 5, "咨询": 1, "建议": 10, "表扬": 5}
_SLOW_PROBLEMS = {"elevator_install": 15, "illegal_build": 15, "wage_arrears": 15}
_VISIT_TARGETS = ["独居老人", "租户", "低保户", "残疾人家庭", "普通住户", "空巢老人", "新迁入住户", "重点关爱对象"]
_GRID_WORKER_SURNAMES = "王李张刘陈杨黄赵周吴徐孙"


def lognormal_hours(rnd: random.Random, median_hours: float, sigma: float) -> dt.timedelta:
    """A delay in whole seconds, log-normal around ``median_hours``.

    Examples
    --------
    >>> lognormal_hours(random.Random(0), 2.0, 0.0)
    datetime.timedelta(seconds=7200)
    """
    return dt.timedelta(seconds=round(3600 * median_hours * math.exp(rnd.gauss(0.0, sigma))))


def draw_grid_workers(rnd: random.Random, people: PeopleFaker, district: District) -> dict[str, str]:
    """Each grid's worker (网格员), by grid id."""
    return {g.grid_id: rnd.choice(_GRID_WORKER_SURNAMES) + people.full_name()[1:] for g in district.grids}


class FieldWriter:
    """Writes the fields of records up to ``data_end``: what closes later is still open.

    Draws each grid's worker on creation, so build it where the stream's first draws belong.

    Examples
    --------
    >>> from demandlab.synth.district import build_district
    >>> from demandlab.synth.grammar import load_catalog
    >>> district = build_district(random.Random(0), n_grids=4)
    >>> writer = FieldWriter(random.Random(1), PeopleFaker(random.Random(2)), load_catalog(), district,
    ...                      dt.datetime(2026, 11, 15))
    >>> writer.created_at("visit", "routine_visit", dt.date(2026, 11, 9)).isocalendar()[:2]
    (2026, 46)
    """

    def __init__(
        self,
        rnd: random.Random,
        people: PeopleFaker,
        catalog: Catalog,
        district: District,
        data_end: dt.datetime,
        grid_workers: dict[str, str] | None = None,
    ) -> None:
        self.rnd = rnd
        self.people = people
        self.catalog = catalog
        self.data_end = data_end
        #: given when the district is written a week at a time: a grid keeps its worker all along
        self.grid_workers = grid_workers if grid_workers is not None else draw_grid_workers(rnd, people, district)
        self.repeat_contacts: dict[str, str] = {}

    def created_at(self, source: str, problem: str, monday: dt.date) -> dt.datetime:
        """When a record of ``source`` about ``problem`` came in, in the week starting ``monday``."""
        rnd = self.rnd
        if source == "visit":
            day = rnd.choices(range(7), weights=(1, 1, 1, 1, 1, 0.2, 0.1))[0]
            hours = _HOUR_WEIGHTS_VISIT
        else:
            day = rnd.choices(range(7), weights=(1, 1, 1, 1, 1, 0.85, 0.8))[0]
            hours = _HOUR_WEIGHTS_NIGHT if problem in _NIGHT_PROBLEMS and rnd.random() < 0.5 else _HOUR_WEIGHTS_DAY
        hour = rnd.choices(range(24), weights=hours)[0]
        return dt.datetime.combine(monday, dt.time()) + dt.timedelta(
            days=day, hours=hour, minutes=rnd.randrange(60), seconds=rnd.randrange(60)
        )

    def hotline(self, rec: SynthRecord) -> dict:
        """A 12345 work order's closed loop: kind, unit, response, due date, closure and the caller's verdict."""
        rnd = self.rnd
        problem = self.catalog.by_key(rec.problem)
        kind = rnd.choices(_KINDS, weights=_KIND_BY_PROBLEM.get(problem.key, (0.6, 0.25, 0.1, 0.05)))[0]
        if rnd.random() < 0.004:
            kind = "表扬"
        dept = problem.dept[0] if rnd.random() < 0.6 else rnd.choice(problem.dept)
        category = problem.hotline_category
        if rnd.random() < 0.08:  # call-takers pick the wrong branch now and then
            category = rnd.choice(self.catalog.problems).hotline_category
        accepted = rec.created_at + dt.timedelta(seconds=rnd.randint(60, 1500))
        responded = None if rnd.random() < 0.03 else accepted + lognormal_hours(rnd, 3.0, 1.0)
        due = accepted + dt.timedelta(days=_SLOW_PROBLEMS.get(problem.key, _DUE_DAYS[kind]))
        median_days = 1.5 if dept in ("物业公司", "热力公司", "自来水公司") else 2.0 if "社区" in dept else 3.5
        if dept.startswith("区") or "局" in dept:
            median_days = 5.0
        start = responded or accepted
        closed = start + lognormal_hours(rnd, 24 * median_days, 0.8)
        reopen_count = 1 if rnd.random() < 0.03 else 0
        if reopen_count:
            closed += dt.timedelta(days=rnd.uniform(2, 6))
        resolved = satisfaction = level = None
        if closed > self.data_end:
            closed = None
            status = "重办中" if reopen_count else ("已派单" if responded is None else "处理中")
        else:
            status = "已办结"
            resolved, satisfaction, level = self._verdict(dept, median_days)
        return {
            "kind": kind,
            "channel": rnd.choices(("电话", "网站", "微信", "APP"), weights=(0.8, 0.08, 0.07, 0.05))[0],
            "category": category,
            "dept": dept,
            "accepted_at": accepted,
            "responded_at": responded,
            "closed_at": closed,
            "due_at": due,
            "status": status,
            "resolved": resolved,
            "satisfaction": satisfaction,
            "resolved_level": level,
            "reopen_count": reopen_count,
        }

    def _verdict(self, dept: str, median_days: float) -> tuple[str, str, str | None]:
        """Of a closed work order: resolved or not, the caller's satisfaction, the level that resolved it."""
        rnd = self.rnd
        p_resolved = 0.7 if median_days >= 5 else 0.86
        resolved = "是" if rnd.random() < p_resolved else "否"
        if rnd.random() < 0.08:
            satisfaction = "未回访"
        else:
            weights = (0.72, 0.2, 0.08) if resolved == "是" else (0.08, 0.3, 0.62)
            satisfaction = rnd.choices(("满意", "基本满意", "不满意"), weights=weights)[0]
        if dept in ("物业公司",):
            level = "网格" if rnd.random() < 0.7 else "社区"
        elif "社区" in dept:
            level = "网格" if rnd.random() < 0.5 else "社区"
        elif dept.startswith("街道"):
            level = "街道"
        else:
            level = "区级"
        if rnd.random() < 0.02:
            level = None
        return resolved, satisfaction, level

    def snapshot(self, rec: SynthRecord) -> dict:
        """A 随手拍 report's category and state."""
        rnd = self.rnd
        problem = self.catalog.by_key(rec.problem)
        handled = rec.created_at + lognormal_hours(rnd, 30, 0.9)
        if handled > self.data_end:
            status, handled = ("处置中" if rnd.random() < 0.6 else "待受理"), None
        else:
            status = "已处置"
        return {"category": problem.category, "status": status, "closed_at": handled}

    def visit(self, rec: SynthRecord) -> dict:
        """A grid visit's worker, household, finding and outcome."""
        rnd = self.rnd
        routine = rec.problem == "routine_visit"
        if routine:
            outcome, closed, level = "无需处理", rec.created_at, "网格"
        else:
            outcome = rnd.choices(("已当场解决", "已上报社区", "已转街道", "持续跟进"), weights=(0.4, 0.35, 0.1, 0.15))[
                0
            ]
            closed = {
                "已当场解决": rec.created_at,
                "已上报社区": rec.created_at + lognormal_hours(rnd, 48, 0.7),
                "已转街道": rec.created_at + lognormal_hours(rnd, 120, 0.7),
                "持续跟进": None,
            }[outcome]
            level = {"已当场解决": "网格", "已上报社区": "社区", "已转街道": "街道", "持续跟进": None}[outcome]
            if closed is not None and closed > self.data_end:
                closed, level = None, None
        return {
            "grid_worker": self.grid_workers[rec.grid.grid_id],
            "room": f"{rnd.randint(1, 3)}单元{self.people.room(rec.floors)}",
            "target": rnd.choice(_VISIT_TARGETS),
            "found_problem": "否" if routine else "是",
            "outcome": outcome,
            "closed_at": closed,
            "resolved_level": level,
        }

    def contact(self, rec: SynthRecord, event: Planted | None) -> str | None:
        """The phone or app account a record gives (a repeat caller always the same one); none for visits."""
        if rec.source == "visit":
            return None
        if event is not None and event.kind == "repeat_caller":
            return self.repeat_contacts.setdefault(event.event_id, self.people.mobile())
        if rec.source == "snapshot" and self.rnd.random() < 0.5:
            return f"U{self.rnd.randrange(10**7):07d}"
        if rec.source == "hotline" and self.rnd.random() < 0.1:
            return self.people.landline().replace(" ", "-")
        return self.people.mobile()
