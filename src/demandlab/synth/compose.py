"""The wording of a record: where it happened, how it opens, what it says and how it ends.

:class:`TextComposer` draws from the record writer's main random stream in the order the text reads;
the personal data that :mod:`.personal` slips between the sentences is the writer's to insert.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .district import chinese_number
from .grammar import Catalog, Problem, render

if TYPE_CHECKING:
    from .plan import Planted
    from .records import SynthRecord

#: How work orders lead with the matter's name, as call-takers summarise, by source.
_LEADS = {
    "hotline": ["关于{t}问题：", "反映{t}问题，", "{t}：", "反映{t}的情况。"],
    "snapshot": ["【{t}】", "{t}：", "发现{t}，"],
    "visit": ["发现{t}问题，", "{t}：", "了解到{t}情况，"],
}


class TextComposer:
    """Writes the sentences of records from the catalog's templates, drawing from ``rnd``.

    Examples
    --------
    >>> import random
    >>> from demandlab.synth.grammar import load_catalog
    >>> composer = TextComposer(random.Random(0), load_catalog())
    >>> composer.sentence("电梯坏了", {})
    '电梯坏了。'
    """

    def __init__(self, rnd: random.Random, catalog: Catalog) -> None:
        self.rnd = rnd
        self.catalog = catalog
        self.common = catalog.common

    # --- places -------------------------------------------------------------------------
    def _building_phrase(self, compound: str, building: int) -> str:
        r = self.rnd.random()
        if r < 0.6:
            return f"{compound}{building}栋"
        if r < 0.8:
            return f"{compound}{building}号楼"
        if r < 0.9:
            return f"{compound}{building}幢"
        return f"{compound}{chinese_number(building)}栋" if building <= 20 else f"{compound}{building}栋"

    def place(self, problem: Problem, rec: SynthRecord, road: str | None = None) -> dict[str, str]:
        """The slots a template fills: the place as people name it, its parts, and a few details."""
        grid, compound = rec.grid, rec.compound
        road = road or self.rnd.choice(grid.roads)
        building = self._building_phrase(compound, rec.building)
        if problem.place == "building":
            place = building if self.rnd.random() < 0.8 else compound
        elif problem.place == "compound":
            r = self.rnd.random()
            place = compound if r < 0.7 else (f"{grid.community}{compound}" if r < 0.85 else f"{road}{compound}")
        else:
            r = self.rnd.random()
            other = next(x for x in grid.roads if x != road) if len(grid.roads) > 1 else road
            place = (
                road
                if r < 0.4
                else f"{road}与{other}交叉口"
                if r < 0.6
                else f"{road}{compound}门口"
                if r < 0.8
                else f"{road}{self.rnd.randint(1, 300)}号附近"
            )
        return {
            "place": place,
            "compound": compound,
            "building": building,
            "road": road,
            "floor": chinese_number(self.rnd.randint(2, min(rec.floors, 10))),
            "time": self.rnd.choice(self.common["times"]),
            "since": self.rnd.choice(self.common["since"]),
            "shop": self.rnd.choice(self.common["shops"]),
            "n": str(self.rnd.randint(2, 9)),
        }

    def event_place(self, problem: Problem, rec: SynthRecord, event: Planted | None) -> dict[str, str]:
        """:meth:`place`, pinned to where a planted event happens (its road, building and shop)."""
        slots = self.place(problem, rec, road=event.road if event else None)
        if event is not None and event.building is not None:
            slots["building"] = (
                f"{rec.compound}{event.building}栋" if event.kind != "repeat_caller" else f"{event.building}栋"
            )
            slots["place"] = slots["building"] if event.kind != "repeat_caller" else slots["place"]
        if event is not None and event.shop:
            slots["shop"] = event.shop
        return slots

    # --- sentences ----------------------------------------------------------------------
    def sentence(self, template: str, slots: dict[str, str]) -> str:
        """One sentence from ``template``, ending in a full stop unless it ends in one already."""
        text = render(template, self.rnd, slots)
        return text if text.endswith(("。", "！", "？")) else text + "。"

    def opening(self, rec: SynthRecord) -> str:
        """How a record of its source starts (a call-taker's or an app's preamble)."""
        return self.rnd.choice(self.common[f"{rec.source}_openings"])

    def body(self, rec: SynthRecord, problem: Problem, event: Planted | None, slots: dict[str, str]) -> list[str]:
        """The sentences that describe the matter: the event's detail, the problem, its impact, an aside."""
        rnd = self.rnd
        short = rec.source == "snapshot" and rnd.random() < 0.3
        parts: list[str] = []
        if event is not None and event.detail:
            if event.kind == "repeat_caller":
                slots.update(unit=event.extra["unit"], room=event.extra["room"], k=chinese_number(rnd.randint(2, 6)))
                slots["building"] = f"{event.building}栋"
                parts.append(self.sentence(event.detail, slots))
                rec.pii.append(("text", "room", event.extra["unit"] + event.extra["room"]))
            elif rnd.random() < 0.75:
                parts.append(self.sentence(event.detail, slots))
        if short:
            ask = rnd.choice(["请处理", "麻烦处理一下", "望尽快处理", "请相关部门处理"])
            parts.append(f"{slots['place']}{rnd.choice(problem.titles)}，{ask}。")
            return parts
        if rnd.random() < 0.45:  # work orders often lead with the matter's name, as call-takers summarise
            title = rnd.choice(problem.titles)
            parts.append(rnd.choice(_LEADS[rec.source]).format(t=title))
        parts.append(self.sentence(rnd.choice(problem.descriptions), slots))
        if rnd.random() < 0.55 and len(problem.descriptions) > 1:  # two wordings in one record blur templates
            parts.append(self.sentence(rnd.choice(problem.descriptions), slots))
        if rnd.random() < 0.35:
            parts[-1] = parts[-1][:-1] + "，" + slots["since"] + "。"
        if problem.impacts and rnd.random() < 0.55:
            parts.append(self.sentence(rnd.choice(problem.impacts), slots))
        if rnd.random() < 0.07:  # people raise a second matter in passing
            other = rnd.choice(self.catalog.problems)
            if other.key != problem.key and other.key != "routine_visit":
                parts.append("另外，" + self.sentence(rnd.choice(other.descriptions), self.place(other, rec)))
        return parts

    def ending(self, rec: SynthRecord, problem: Problem, slots: dict[str, str]) -> list[str]:
        """What closes a record: a grid worker's follow-up, the caller's request, a call-taker's closing."""
        rnd = self.rnd
        parts: list[str] = []
        if rec.source == "visit":
            parts.append(rnd.choice(["已告知物业处理。", "已上报社区。", "已当场协调。", "将持续跟进。", ""]))
        elif problem.requests and rnd.random() < 0.75:
            request = (
                rnd.choice(problem.requests) if rnd.random() < 0.7 else rnd.choice(self.common["generic_requests"])
            )
            parts.append(self.sentence(request, slots))
        if rec.source == "hotline":
            parts.append(rnd.choice(self.common["closings"]))
        return parts
