"""Personal data planted in records, and the ground truth of where it went.

Two generations, each on its own random streams so that adding the second moved nothing the first
wrote: :func:`pii_sentence` (phones, ID numbers, names, plates and rooms in the text, drawn from the
record writer's main stream) and :class:`FamilyPlanter` (the families of issue 11 — contact names,
masked or spaced numbers, passports, e-mail, bank cards, rooms as people write them — in the text and
in every other free-text column). Every value planted is appended to ``rec.pii`` as
``(column, type, value as written)``.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from .grammar import Catalog, Problem, render, strip_focus
from .people import FamilyFaker, PeopleFaker

if TYPE_CHECKING:
    from .records import SynthRecord


def pii_sentence(rnd: random.Random, people: PeopleFaker, rec: SynthRecord, problem: Problem) -> str:
    """Maybe a sentence carrying personal data (empty when none); records what it planted."""
    r = rnd.random()
    if rec.source == "visit":
        if r < 0.25:
            name = people.honorific_name()
            rec.pii.append(("text", "name", name))
            return f"走访对象{name}，"
        return ""
    if r < 0.22:
        written = people.mobile_written(people.mobile())
        rec.pii.append(("text", "mobile", written))
        return render("[联系电话：|联系电话|我的电话是|请回电|手机|有事可以打]", rnd, {}) + written + "。"
    if r < 0.27:
        number = people.landline()
        rec.pii.append(("text", "landline", number))
        return render("[家里座机|联系电话：|固话]", rnd, {}) + number + "。"
    if r < 0.30:
        number = people.id_number()
        rec.pii.append(("text", "id_number", number))
        return render("[身份证号|本人身份证号码：|身份证号码是]", rnd, {}) + number + "。"
    if r < 0.40:
        style = rnd.random()
        if style < 0.5:
            name = people.honorific_name()
            rec.pii.append(("text", "name", name))
            return render("[来电人|反映人|我是]", rnd, {}) + name + "。"
        name = people.full_name()
        rec.pii.append(("text", "name", name))
        return render("[姓名：|联系人：|举报人：|投诉人]", rnd, {}) + name + "。"
    if r < 0.45 and problem.key in {"parking", "fire_passage", "high_throw"}:
        plate = people.plate()
        rec.pii.append(("text", "plate", plate))
        return f"车牌号{plate}的车[经常|长期]停在这里。".replace("[经常|长期]", rnd.choice(["经常", "长期"]))
    if r < 0.60 and problem.place == "building":
        room = people.room(rec.floors)
        unit = f"{rnd.randint(1, 3)}单元"
        if rnd.random() < 0.7:
            rec.pii.append(("text", "room", f"{unit}{room}"))
            return f"我家住{rec.building}栋{unit}{room}室。"
        rec.pii.append(("text", "room", f"{rec.building}-{unit[0]}-{room}"))
        return f"我家是{rec.building}-{unit[0]}-{room}。"
    return ""


class FamilyPlanter:
    """Plants the personal-data families of issue 11, drawing only from ``rnd`` and ``faker``.

    Examples
    --------
    >>> import random
    >>> from demandlab.synth.grammar import load_catalog
    >>> planter = FamilyPlanter(random.Random(0), FamilyFaker(random.Random(1)), load_catalog())
    >>> from types import SimpleNamespace
    >>> rec = SimpleNamespace(pii=[])
    >>> planter.plant(rec, "text", "email", "a@b.cn"), rec.pii
    ('a@b.cn', [('text', 'email', 'a@b.cn')])
    """

    def __init__(self, rnd: random.Random, faker: FamilyFaker, catalog: Catalog) -> None:
        self.rnd = rnd
        self.faker = faker
        self.catalog = catalog

    def plant(self, rec: SynthRecord, column: str, kind: str, value: str) -> str:
        """``value``, recorded as personal data of ``kind`` in ``column``."""
        rec.pii.append((column, kind, value))
        return value

    def room_written(self, rec: SynthRecord, column: str) -> str:
        """A room without 室 in one of the ways people write it: 5栋1102, 3门402, 2单元301, 5楼502."""
        room = self.faker.room(rec.floors)
        unit = self.rnd.randint(1, 3)
        style = self.rnd.random()
        if style < 0.4:
            value = f"{rec.building}栋{room}"
        elif style < 0.6:
            value = f"{unit}门{room}"
        elif style < 0.85:
            value = f"{unit}单元{room}"
        else:
            value = f"{room[:-2]}楼{room}"
        return self.plant(rec, column, "room", value)

    # --- the text -----------------------------------------------------------------------
    def sentence(self, rec: SynthRecord, slots: dict[str, str]) -> str:
        """Maybe a sentence carrying personal data in a form of issue 11 (empty when none)."""
        rnd = self.rnd
        r = rnd.random()
        if r >= (0.3 if rec.source == "visit" else 0.25):
            return ""
        r = rnd.random()
        if rec.source == "visit":
            return self._visit_sentence(rec, slots, r)
        return self._report_sentence(rec, r)

    def _visit_sentence(self, rec: SynthRecord, slots: dict[str, str], r: float) -> str:
        rnd, faker, plant = self.rnd, self.faker, self.plant
        name = faker.context_name()
        if r < 0.3:
            role = rnd.choice(["独居老人«e»", "空巢老人«e»", "低保户", "残疾人", "租户", "老人«e»"])
            state = rnd.choice(["身体尚可", "家中无人照看", "情绪稳定"])
            return f"走访{role}{plant(rec, 'text', 'name', name)}，{state}。"  # the writer strips the mark
        if r < 0.45:
            return f"租户{plant(rec, 'text', 'name', faker.nickname())}说房东不在本地。"
        if r < 0.6:
            other = faker.context_name()
            return f"当事人{plant(rec, 'text', 'name', name)}、{plant(rec, 'text', 'name', other)}到场协调。"
        if r < 0.75:
            return f"其子女电话{plant(rec, 'text', 'mobile', faker.mobile_family())}。"
        if r < 0.88:
            return f"住{slots['building']}{self.room_written(rec, 'text')}。"
        return f"身份证号{plant(rec, 'text', 'id_number', faker.id_family())}。"

    def _report_sentence(self, rec: SynthRecord, r: float) -> str:
        rnd, faker, plant = self.rnd, self.faker, self.plant
        if r < 0.22:
            label = rnd.choice(["联系电话：", "手机", "请回电", "电话是", ""])
            tail = "，白天打不通。" if not label else "。"
            return label + plant(rec, "text", "mobile", faker.mobile_family()) + tail
        if r < 0.42:
            return self._introduction(rec)
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
        return f"我家住{self.room_written(rec, 'text')}。"

    def _introduction(self, rec: SynthRecord) -> str:
        """Who is writing, named in one of the ways people introduce themselves."""
        rnd, faker, plant = self.rnd, self.faker, self.plant
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

    # --- the other columns --------------------------------------------------------------
    def other_columns(self, rec: SynthRecord) -> None:
        """Title and reply of work orders, the unit, the grid worker, the building: with personal data in some."""
        rnd, faker, f = self.rnd, self.faker, rec.fields
        problem = self.catalog.by_key(rec.problem)
        if rec.source == "hotline":
            f["title"] = self._title(rec, problem) if rnd.random() < 0.4 else ""
            f["reply"] = self._reply(rec) if f["status"] == "已办结" and rnd.random() < 0.6 else ""
            f["dept_written"] = self._dept(rec, f["dept"])
        if rec.source == "visit":
            worker = f["grid_worker"]
            rec.pii.append(("grid_worker", "name", worker))
            if rnd.random() < 0.1:
                worker = f"{worker}（{self.plant(rec, 'grid_worker', 'mobile', faker.mobile())}）"
            f["grid_worker_written"] = worker
            building = f"{rec.building}栋"
            if rnd.random() < 0.15:
                room = faker.room(rec.floors)
                style = rnd.random()
                written = (
                    f"{building}{room}"
                    if style < 0.4
                    else f"{building}{rnd.randint(1, 3)}单元{room}"
                    if style < 0.8
                    else f"{building}{room}室"
                )
                building = self.plant(rec, "building", "room", written)
            f["building_written"] = building
            rec.pii.append(("room", "room", f["room"]))

    def _dept(self, rec: SynthRecord, dept: str) -> str:
        """The handling unit as written, now and then with its contact person or phone."""
        rnd, faker, plant = self.rnd, self.faker, self.plant
        if rnd.random() >= 0.08:
            return dept
        style, name = rnd.random(), faker.context_name()
        if style < 0.35:
            mobile = faker.mobile()
            return f"{dept}（联系人：{plant(rec, 'dept', 'name', name)}，{plant(rec, 'dept', 'mobile', mobile)}）"
        if style < 0.6:
            surname = faker.surname()
            written = f"{dept} {plant(rec, 'dept', 'name', surname + '经理')} "
            return written + plant(rec, "dept", "mobile", faker.mobile())
        if style < 0.8:
            return f"{dept}/{plant(rec, 'dept', 'name', name)}"
        return f"{dept}（联系电话：{plant(rec, 'dept', 'landline', faker.landline())}）"

    def _title(self, rec: SynthRecord, problem: Problem) -> str:
        rnd, faker, plant = self.rnd, self.faker, self.plant
        matter, groups = strip_focus(rnd.choice(problem.titles))
        rec.focus |= groups
        r = rnd.random()
        if r < 0.08:
            return f"业主{plant(rec, 'title', 'name', faker.context_name())}反映{matter}"
        if r < 0.14:
            return f"{matter}（{plant(rec, 'title', 'mobile', faker.mobile_family())}）"
        if r < 0.18:
            return f"{plant(rec, 'title', 'name', faker.honorific_name())}反映{matter}"
        if r < 0.22:
            return f"{matter}：{rec.compound}{self.room_written(rec, 'title')}"
        return rnd.choice(["{t}", "关于{t}的诉求", "反映{t}问题", "{t}问题"]).format(t=matter)

    def _reply(self, rec: SynthRecord) -> str:
        rnd, faker, plant = self.rnd, self.faker, self.plant
        dept = rec.fields["dept"]
        r = rnd.random()
        if r < 0.15:
            name = plant(rec, "reply", "name", faker.context_name())
            mobile = plant(rec, "reply", "mobile", faker.mobile_family())
            return f"经核实，{dept}已联系业主{name}（{mobile}），约定时间上门处理，问题已解决。"
        if r < 0.25:
            return f"已电话回访{plant(rec, 'reply', 'name', faker.honorific_name())}，对处理结果表示满意。"
        if r < 0.33:
            room = self.room_written(rec, "reply")
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
