"""Concrete records from a plan: places, text, personal data and closed-loop fields."""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from .district import District, Grid, chinese_number
from .grammar import Catalog, Problem, render
from .people import FamilyFaker, PeopleFaker
from .plan import SOURCES, Plan, Planted

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


@dataclass
class SynthRecord:
    """One generated record with everything the exports and the ground truth need."""

    source: str
    problem: str
    grid: Grid
    compound: str
    building: int
    created_at: dt.datetime
    text: str = ""
    event_id: str | None = None
    record_id: str = ""
    fields: dict = field(default_factory=dict)
    #: personal data planted in the exports: (column, type, value as written)
    pii: list[tuple[str, str, str]] = field(default_factory=list)


def _lognormal_hours(rnd: random.Random, median_hours: float, sigma: float) -> dt.timedelta:
    """A delay in whole seconds, log-normal around ``median_hours``."""
    return dt.timedelta(seconds=round(3600 * median_hours * math.exp(rnd.gauss(0.0, sigma))))


class RecordWriter:
    """Writes the text and fields of records. Holds the only ``random.Random`` it uses."""

    def __init__(self, district: District, catalog: Catalog, seed: int, data_end: dt.datetime) -> None:
        self.district = district
        self.catalog = catalog
        self.rnd = random.Random(seed * 104729 + 17)
        self.people = PeopleFaker(random.Random(seed * 15485863 + 3))
        # the families of issue 11 come from their own streams, so the text, fields and bad rows written
        # before them stay as they were
        self.pii_rnd = random.Random(seed * 7368787 + 29)
        self.faker = FamilyFaker(random.Random(seed * 2750159 + 31))
        self.data_end = data_end
        self.common = catalog.common
        self.grid_workers = {
            g.grid_id: self.rnd.choice(_GRID_WORKER_SURNAMES) + self.people.full_name()[1:] for g in district.grids
        }
        self.repeat_contacts: dict[str, str] = {}

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

    def _place(self, problem: Problem, rec: SynthRecord, road: str | None = None) -> dict[str, str]:
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
        floors = next(c.floors for c in grid.compounds if c.name == compound)
        return {
            "place": place,
            "compound": compound,
            "building": building,
            "road": road,
            "floor": chinese_number(self.rnd.randint(2, min(floors, 10))),
            "time": self.rnd.choice(self.common["times"]),
            "since": self.rnd.choice(self.common["since"]),
            "shop": self.rnd.choice(self.common["shops"]),
            "n": str(self.rnd.randint(2, 9)),
        }

    # --- text ---------------------------------------------------------------------------
    def _sentence(self, template: str, slots: dict[str, str]) -> str:
        text = render(template, self.rnd, slots)
        return text if text.endswith(("。", "！", "？")) else text + "。"

    def _pii_sentence(self, rec: SynthRecord, problem: Problem, slots: dict[str, str]) -> str:
        """Maybe a sentence carrying personal data; records what it planted."""
        r = self.rnd.random()
        people = self.people
        if rec.source == "visit":
            if r < 0.25:
                name = people.honorific_name()
                rec.pii.append(("text", "name", name))
                return f"走访对象{name}，"
            return ""
        if r < 0.22:
            written = people.mobile_written(people.mobile())
            rec.pii.append(("text", "mobile", written))
            return render("[联系电话：|联系电话|我的电话是|请回电|手机|有事可以打]", self.rnd, {}) + written + "。"
        if r < 0.27:
            number = people.landline()
            rec.pii.append(("text", "landline", number))
            return render("[家里座机|联系电话：|固话]", self.rnd, {}) + number + "。"
        if r < 0.30:
            number = people.id_number()
            rec.pii.append(("text", "id_number", number))
            return render("[身份证号|本人身份证号码：|身份证号码是]", self.rnd, {}) + number + "。"
        if r < 0.40:
            style = self.rnd.random()
            if style < 0.5:
                name = people.honorific_name()
                rec.pii.append(("text", "name", name))
                return render("[来电人|反映人|我是]", self.rnd, {}) + name + "。"
            name = people.full_name()
            rec.pii.append(("text", "name", name))
            return render("[姓名：|联系人：|举报人：|投诉人]", self.rnd, {}) + name + "。"
        if r < 0.45 and problem.key in {"parking", "fire_passage", "high_throw"}:
            plate = people.plate()
            rec.pii.append(("text", "plate", plate))
            return f"车牌号{plate}的车[经常|长期]停在这里。".replace("[经常|长期]", self.rnd.choice(["经常", "长期"]))
        if r < 0.60 and problem.place == "building":
            floors = next(c.floors for c in rec.grid.compounds if c.name == rec.compound)
            room = people.room(floors)
            unit = f"{self.rnd.randint(1, 3)}单元"
            if self.rnd.random() < 0.7:
                rec.pii.append(("text", "room", f"{unit}{room}"))
                return f"我家住{rec.building}栋{unit}{room}室。"
            rec.pii.append(("text", "room", f"{rec.building}-{unit[0]}-{room}"))
            return f"我家是{rec.building}-{unit[0]}-{room}。"
        return ""

    # --- the families of issue 11 ----------------------------------------------------------
    def _plant(self, rec: SynthRecord, column: str, kind: str, value: str) -> str:
        rec.pii.append((column, kind, value))
        return value

    def _room_written(self, rec: SynthRecord, column: str) -> str:
        """A room without 室 in one of the ways people write it: 5栋1102, 3门402, 2单元301, 5楼502."""
        floors = next(c.floors for c in rec.grid.compounds if c.name == rec.compound)
        room = self.faker.room(floors)
        unit = self.pii_rnd.randint(1, 3)
        style = self.pii_rnd.random()
        if style < 0.4:
            value = f"{rec.building}栋{room}"
        elif style < 0.6:
            value = f"{unit}门{room}"
        elif style < 0.85:
            value = f"{unit}单元{room}"
        else:
            value = f"{room[:-2]}楼{room}"
        return self._plant(rec, column, "room", value)

    def _family_sentence(self, rec: SynthRecord, slots: dict[str, str]) -> str:
        """Maybe a sentence carrying personal data in a form of issue 11; records what it planted."""
        rnd, faker = self.pii_rnd, self.faker
        r = rnd.random()
        if r >= (0.3 if rec.source == "visit" else 0.25):
            return ""
        r = rnd.random()
        plant = self._plant
        if rec.source == "visit":
            name = faker.context_name()
            if r < 0.3:
                role = rnd.choice(["独居老人", "空巢老人", "低保户", "残疾人", "租户", "老人"])
                state = rnd.choice(["身体尚可", "家中无人照看", "情绪稳定"])
                return f"走访{role}{plant(rec, 'text', 'name', name)}，{state}。"
            if r < 0.45:
                return f"租户{plant(rec, 'text', 'name', faker.nickname())}说房东不在本地。"
            if r < 0.6:
                other = faker.context_name()
                return f"当事人{plant(rec, 'text', 'name', name)}、{plant(rec, 'text', 'name', other)}到场协调。"
            if r < 0.75:
                return f"其子女电话{plant(rec, 'text', 'mobile', faker.mobile_family())}。"
            if r < 0.88:
                return f"住{slots['building']}{self._room_written(rec, 'text')}。"
            return f"身份证号{plant(rec, 'text', 'id_number', faker.id_family())}。"
        if r < 0.22:
            label = rnd.choice(["联系电话：", "手机", "请回电", "电话是", ""])
            tail = "，白天打不通。" if not label else "。"
            return label + plant(rec, "text", "mobile", faker.mobile_family()) + tail
        if r < 0.42:
            name = faker.context_name()
            style = rnd.random()
            if style < 0.25:
                return f"业主{plant(rec, 'text', 'name', name)}反映，"
            if style < 0.45:
                return f"我是{plant(rec, 'text', 'name', name)}，"
            if style < 0.6:
                return f"本人{plant(rec, 'text', 'name', name)}，"
            if style < 0.7:
                return f"姓 名：{plant(rec, 'text', 'name', name)}，"
            if style < 0.8:
                name, mobile = plant(rec, "text", "name", name), plant(rec, "text", "mobile", faker.mobile())
                return f'{{"姓名": "{name}", "电话": "{mobile}"}}'
            if style < 0.9:
                other = faker.context_name()
                return f"投诉人{plant(rec, 'text', 'name', name)}、{plant(rec, 'text', 'name', other)}反映，"
            return f"租户{plant(rec, 'text', 'name', faker.nickname())}说，"
        if r < 0.52:
            return f"车牌{plant(rec, 'text', 'plate', faker.plate_family())}的车经常停在这里。"
        if r < 0.6:
            return f"身份证号{plant(rec, 'text', 'id_number', faker.id_family())}。"
        if r < 0.66:
            if rnd.random() < 0.5:
                return f"外籍租户护照号{plant(rec, 'text', 'passport', faker.passport())}。"
            return f"港澳通行证{plant(rec, 'text', 'permit', faker.permit())}。"
        if r < 0.73:
            return f"材料已发到{plant(rec, 'text', 'email', faker.email())}。"
        if r < 0.8:
            style = rnd.random()
            if style < 0.4:
                return f"退款请打到银行卡号{plant(rec, 'text', 'bank_card', faker.bank_card(luhn=False))}。"
            if style < 0.7:
                return f"卡号：{plant(rec, 'text', 'bank_card', faker.grouped(faker.bank_card(luhn=False)))}。"
            return f"工资卡{plant(rec, 'text', 'bank_card', faker.grouped(faker.bank_card(luhn=True)))}被冻结。"
        return f"我家住{self._room_written(rec, 'text')}。"

    def other_columns(self, rec: SynthRecord) -> None:
        """Title and reply of work orders, the unit, the grid worker, the building: with personal data in some."""
        rnd, faker, f = self.pii_rnd, self.faker, rec.fields
        problem = self.catalog.by_key(rec.problem)
        if rec.source == "hotline":
            f["title"] = self._title(rec, problem) if rnd.random() < 0.4 else ""
            f["reply"] = self._reply(rec) if f["status"] == "已办结" and rnd.random() < 0.6 else ""
            dept = f["dept"]
            if rnd.random() < 0.08:
                style, name = rnd.random(), faker.context_name()
                if style < 0.35:
                    mobile = faker.mobile()
                    dept = f"{dept}（联系人：{self._plant(rec, 'dept', 'name', name)}，"
                    dept += f"{self._plant(rec, 'dept', 'mobile', mobile)}）"
                elif style < 0.6:
                    surname = faker.surname()
                    dept = f"{dept} {self._plant(rec, 'dept', 'name', surname + '经理')} "
                    dept += self._plant(rec, "dept", "mobile", faker.mobile())
                elif style < 0.8:
                    dept = f"{dept}/{self._plant(rec, 'dept', 'name', name)}"
                else:
                    dept = f"{dept}（联系电话：{self._plant(rec, 'dept', 'landline', faker.landline())}）"
            f["dept_written"] = dept
        if rec.source == "visit":
            worker = f["grid_worker"]
            rec.pii.append(("grid_worker", "name", worker))
            if rnd.random() < 0.1:
                worker = f"{worker}（{self._plant(rec, 'grid_worker', 'mobile', faker.mobile())}）"
            f["grid_worker_written"] = worker
            building = f"{rec.building}栋"
            if rnd.random() < 0.15:
                floors = next(c.floors for c in rec.grid.compounds if c.name == rec.compound)
                room = faker.room(floors)
                style = rnd.random()
                written = (
                    f"{building}{room}"
                    if style < 0.4
                    else f"{building}{rnd.randint(1, 3)}单元{room}"
                    if style < 0.8
                    else f"{building}{room}室"
                )
                building = self._plant(rec, "building", "room", written)
            f["building_written"] = building
            rec.pii.append(("room", "room", f["room"]))

    def _title(self, rec: SynthRecord, problem: Problem) -> str:
        rnd, faker = self.pii_rnd, self.faker
        matter = rnd.choice(problem.titles)
        r = rnd.random()
        if r < 0.08:
            return f"业主{self._plant(rec, 'title', 'name', faker.context_name())}反映{matter}"
        if r < 0.14:
            return f"{matter}（{self._plant(rec, 'title', 'mobile', faker.mobile_family())}）"
        if r < 0.18:
            return f"{self._plant(rec, 'title', 'name', faker.honorific_name())}反映{matter}"
        if r < 0.22:
            return f"{matter}：{rec.compound}{self._room_written(rec, 'title')}"
        return rnd.choice(["{t}", "关于{t}的诉求", "反映{t}问题", "{t}问题"]).format(t=matter)

    def _reply(self, rec: SynthRecord) -> str:
        rnd, faker = self.pii_rnd, self.faker
        dept = rec.fields["dept"]
        r = rnd.random()
        plant = self._plant
        if r < 0.15:
            name = plant(rec, "reply", "name", faker.context_name())
            mobile = plant(rec, "reply", "mobile", faker.mobile_family())
            return f"经核实，{dept}已联系业主{name}（{mobile}），约定时间上门处理，问题已解决。"
        if r < 0.25:
            return f"已电话回访{plant(rec, 'reply', 'name', faker.honorific_name())}，对处理结果表示满意。"
        if r < 0.33:
            room = self._room_written(rec, "reply")
            return f"经现场查看，{rec.compound}{room}的问题已由{dept}处理完毕。"
        if r < 0.38:
            return f"经查，车牌{plant(rec, 'reply', 'plate', faker.plate_family())}的车辆已联系车主挪走。"
        if r < 0.42:
            return f"当事人身份证号{plant(rec, 'reply', 'id_number', faker.id_family())}，已登记备案。"
        return rnd.choice(
            [
                f"经核实，{dept}已安排人员处理，问题已解决。",
                f"您反映的问题已转{dept}办理，现已处理完毕。",
                "已协调相关单位处理，感谢您的监督。",
            ]
        )

    def text(self, rec: SynthRecord, event: Planted | None = None) -> str:
        problem = self.catalog.by_key(rec.problem)
        slots = self._place(problem, rec, road=event.road if event else None)
        rnd = self.rnd
        if event is not None and event.building is not None:
            slots["building"] = (
                f"{rec.compound}{event.building}栋" if event.kind != "repeat_caller" else f"{event.building}栋"
            )
            slots["place"] = slots["building"] if event.kind != "repeat_caller" else slots["place"]
        if event is not None and event.shop:
            slots["shop"] = event.shop
        opening = rnd.choice(self.common[f"{rec.source}_openings"])
        short = rec.source == "snapshot" and rnd.random() < 0.3
        parts: list[str] = []
        if event is not None and event.detail:
            if event.kind == "repeat_caller":
                slots.update(unit=event.extra["unit"], room=event.extra["room"], k=chinese_number(rnd.randint(2, 6)))
                slots["building"] = f"{event.building}栋"
                parts.append(self._sentence(event.detail, slots))
                rec.pii.append(("text", "room", event.extra["unit"] + event.extra["room"]))
            elif rnd.random() < 0.75:
                parts.append(self._sentence(event.detail, slots))
        if short:
            ask = rnd.choice(["请处理", "麻烦处理一下", "望尽快处理", "请相关部门处理"])
            parts.append(f"{slots['place']}{rnd.choice(problem.titles)}，{ask}。")
        else:
            if rnd.random() < 0.45:  # work orders often lead with the matter's name, as call-takers summarise
                title = rnd.choice(problem.titles)
                lead = {
                    "hotline": ["关于{t}问题：", "反映{t}问题，", "{t}：", "反映{t}的情况。"],
                    "snapshot": ["【{t}】", "{t}：", "发现{t}，"],
                    "visit": ["发现{t}问题，", "{t}：", "了解到{t}情况，"],
                }[rec.source]
                parts.append(rnd.choice(lead).format(t=title))
            parts.append(self._sentence(rnd.choice(problem.descriptions), slots))
            if rnd.random() < 0.55 and len(problem.descriptions) > 1:  # two wordings in one record blur templates
                parts.append(self._sentence(rnd.choice(problem.descriptions), slots))
            if rnd.random() < 0.35:
                parts[-1] = parts[-1][:-1] + "，" + slots["since"] + "。"
            if problem.impacts and rnd.random() < 0.55:
                parts.append(self._sentence(rnd.choice(problem.impacts), slots))
            if rnd.random() < 0.07:  # people raise a second matter in passing
                other = rnd.choice(self.catalog.problems)
                if other.key != problem.key and other.key != "routine_visit":
                    parts.append("另外，" + self._sentence(rnd.choice(other.descriptions), self._place(other, rec)))
        pii = self._pii_sentence(rec, problem, slots)
        if pii:
            parts.insert(rnd.randint(0, len(parts)), pii)
        family = self._family_sentence(rec, slots)
        if family:
            parts.insert(self.pii_rnd.randint(0, len(parts)), family)
        if rec.source == "visit":
            parts.append(rnd.choice(["已告知物业处理。", "已上报社区。", "已当场协调。", "将持续跟进。", ""]))
        elif problem.requests and rnd.random() < 0.75:
            request = (
                rnd.choice(problem.requests) if rnd.random() < 0.7 else rnd.choice(self.common["generic_requests"])
            )
            parts.append(self._sentence(request, slots))
        if rec.source == "hotline":
            parts.append(rnd.choice(self.common["closings"]))
        return opening + "".join(parts)

    # --- structured fields --------------------------------------------------------------
    def hotline_fields(self, rec: SynthRecord) -> dict:
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
        responded = None if rnd.random() < 0.03 else accepted + _lognormal_hours(rnd, 3.0, 1.0)
        due = accepted + dt.timedelta(days=_SLOW_PROBLEMS.get(problem.key, _DUE_DAYS[kind]))
        median_days = 1.5 if dept in ("物业公司", "热力公司", "自来水公司") else 2.0 if "社区" in dept else 3.5
        if dept.startswith("区") or "局" in dept:
            median_days = 5.0
        start = responded or accepted
        closed = start + _lognormal_hours(rnd, 24 * median_days, 0.8)
        reopen_count = 1 if rnd.random() < 0.03 else 0
        if reopen_count:
            closed += dt.timedelta(days=rnd.uniform(2, 6))
        resolved = satisfaction = level = None
        if closed > self.data_end:
            closed = None
            status = "重办中" if reopen_count else ("已派单" if responded is None else "处理中")
        else:
            status = "已办结"
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

    def snapshot_fields(self, rec: SynthRecord) -> dict:
        rnd = self.rnd
        problem = self.catalog.by_key(rec.problem)
        handled = rec.created_at + _lognormal_hours(rnd, 30, 0.9)
        if handled > self.data_end:
            status, handled = ("处置中" if rnd.random() < 0.6 else "待受理"), None
        else:
            status = "已处置"
        return {"category": problem.category, "status": status, "closed_at": handled}

    def visit_fields(self, rec: SynthRecord) -> dict:
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
                "已上报社区": rec.created_at + _lognormal_hours(rnd, 48, 0.7),
                "已转街道": rec.created_at + _lognormal_hours(rnd, 120, 0.7),
                "持续跟进": None,
            }[outcome]
            level = {"已当场解决": "网格", "已上报社区": "社区", "已转街道": "街道", "持续跟进": None}[outcome]
            if closed is not None and closed > self.data_end:
                closed, level = None, None
        floors = next(c.floors for c in rec.grid.compounds if c.name == rec.compound)
        return {
            "grid_worker": self.grid_workers[rec.grid.grid_id],
            "room": f"{rnd.randint(1, 3)}单元{self.people.room(floors)}",
            "target": rnd.choice(_VISIT_TARGETS),
            "found_problem": "否" if routine else "是",
            "outcome": outcome,
            "closed_at": closed,
            "resolved_level": level,
        }

    def contact(self, rec: SynthRecord, event: Planted | None) -> str | None:
        if rec.source == "visit":
            return None
        if event is not None and event.kind == "repeat_caller":
            return self.repeat_contacts.setdefault(event.event_id, self.people.mobile())
        if rec.source == "snapshot" and self.rnd.random() < 0.5:
            return f"U{self.rnd.randrange(10**7):07d}"
        if rec.source == "hotline" and self.rnd.random() < 0.1:
            return self.people.landline().replace(" ", "-")
        return self.people.mobile()

    # --- timing -------------------------------------------------------------------------
    def created_at(self, source: str, problem: str, monday: dt.date) -> dt.datetime:
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


def write_records(district: District, catalog: Catalog, plan: Plan, seed: int) -> list[SynthRecord]:
    """Every record of the plan, sorted by time, with ids assigned per source."""
    data_end = dt.datetime.combine(plan.week_starts[-1] + dt.timedelta(days=6), dt.time(23, 59, 59))
    writer = RecordWriter(district, catalog, seed, data_end)
    rnd = writer.rnd
    grids_by_id = {g.grid_id: g for g in district.grids}
    records: list[SynthRecord] = []

    def pick_compound(grid: Grid) -> tuple[str, int]:
        compound = rnd.choices(grid.compounds, weights=[c.buildings for c in grid.compounds])[0]
        return compound.name, rnd.randint(1, compound.buildings)

    s_idx, g_idx, p_idx, w_idx = plan.background.nonzero()
    for s, g, p, w in zip(s_idx, g_idx, p_idx, w_idx, strict=True):
        grid, problem = district.grids[g], catalog.problems[p].key
        for _ in range(int(plan.background[s, g, p, w])):
            compound, building = pick_compound(grid)
            created = writer.created_at(SOURCES[s], problem, plan.week_starts[w])
            records.append(SynthRecord(SOURCES[s], problem, grid, compound, building, created))
    events: dict[int, Planted] = {}
    for event in plan.planted:
        grid = grids_by_id[event.grid_id]
        for w, count in zip(event.weeks, event.counts, strict=True):
            for _ in range(count):
                source = rnd.choices(SOURCES, weights=event.sources)[0]
                compound = event.compound
                building = event.building or next(
                    rnd.randint(1, c.buildings) for c in grid.compounds if c.name == compound
                )
                created = writer.created_at(source, event.problem, plan.week_starts[w])
                rec = SynthRecord(source, event.problem, grid, compound, building, created, event_id=event.event_id)
                events[id(rec)] = event
                records.append(rec)
    records.sort(key=lambda r: (r.created_at, r.source, r.grid.grid_id, r.problem))

    counters: dict[str, int] = {}
    for rec in records:
        event = events.get(id(rec))
        rec.text = writer.text(rec, event)
        rec.fields = {
            "hotline": writer.hotline_fields,
            "snapshot": writer.snapshot_fields,
            "visit": writer.visit_fields,
        }[rec.source](rec)
        rec.fields["contact"] = writer.contact(rec, event)
        writer.other_columns(rec)
        contact = rec.fields["contact"]
        if contact:
            kind = "account" if contact.startswith("U") else "landline" if contact.startswith("0") else "mobile"
            rec.pii.append(("contact", kind, contact))
        prefix = {
            "hotline": f"GD{rec.created_at:%Y%m%d}",
            "snapshot": f"SSP{rec.created_at:%y%m}",
            "visit": f"ZF{rec.created_at:%Y%m}",
        }[rec.source]
        counters[prefix] = counters.get(prefix, 0) + 1
        rec.record_id = f"{prefix}{counters[prefix]:05d}"
    return records
