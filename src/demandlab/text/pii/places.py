"""Rooms and house numbers: where a household lives, not the building or the road.

A room is the number after a building and unit (3栋2单元501, 5栋1102, 3-2-501, 501室); a house
number is the number of a house in a lane (和平里17号, 123弄45号). Building, unit and road
numbers (人民路123号) stay: they locate a building, not a household.
"""

from __future__ import annotations

import re

from .rules import _CJK_CHAR, _DIGITS2, Rule, Span

_NUM_CN = "0-9一二三四五六七八九十两"
# a room number ends with 室/房/号, or where no count, measure or year follows (10栋 200米, 5栋2019年);
# after two digits no floor either (3单元12楼): a room has three or four
_NOT_AFTER_ROOM = r"[0-9]|\s*(?:[米元户人平个次年月日辆斤多余块分公号单线路A-Za-z㎡]|万|千|国道|省道|县道|乡道)"
_ROOM_END = rf"(?:\s*(?:室|房间?|号(?![楼院线]))(?![0-9])|(?!{_NOT_AFTER_ROOM}))"
_ROOM_END_2 = rf"(?:\s*(?:室|房间?|号(?![楼院线]))(?![0-9])|(?!{_NOT_AFTER_ROOM}|\s*[楼层]))"
# 这里, 家里, 省里 … are not lanes
_NOT_LANE = frozenset("这那哪心家屋院城村夜梦手眼店楼区所局厂群乡县市镇里省队组部校班会社处科站库车船网")


def _room(m: re.Match[str]) -> Span:
    return m.start("v"), m.end("v"), "room"


def _house_number(m: re.Match[str]) -> Span | None:
    """A number after a lane (和平里17号), unless the 里 is 这里 / 家里 / 省里 …"""
    start = m.start()
    lane = m.group("lane")
    if lane == "里" and (start == 0 or m.string[start - 1] in _NOT_LANE or not _CJK_CHAR.match(m.string, start - 1)):
        return None
    if lane in ("巷", "胡同", "坊") and (start == 0 or not _CJK_CHAR.match(m.string, start - 1)):
        return None
    if lane in ("弄", "组") and (start == 0 or not m.string[start - 1].isdigit()):
        return None
    return m.start("v"), m.end("v"), "house_number"


#: the rules for rooms and house numbers, in the order they run (after numbers, before names)
PLACE_RULES: list[Rule] = [
    # 3栋2单元501(室), 3门402, 1单元402
    Rule(
        "room",
        re.compile(
            rf"(?P<pre>(?:(?:[{_NUM_CN}]{{1,3}}|[A-Za-z])\s*(?:栋|幢|号楼|座|号|区)\s*)?[{_NUM_CN}]{{1,3}}\s*(?:单元|门)\s*)"
            rf"(?P<v>\d{{3,4}}{_ROOM_END}|\d{{2}}{_ROOM_END_2})"
        ),
        _room,
        needs=(_DIGITS2, ("单元", "门")),
    ),
    # 5栋1102, B座1203, 7栋1203室, 5号楼302
    Rule(
        "room",
        re.compile(
            rf"(?P<pre>(?:[{_NUM_CN}]{{1,3}}|[A-Za-z])\s*(?:栋|幢|号楼|座)\s*)"
            rf"(?P<v>\d{{3,4}}{_ROOM_END})"
        ),
        _room,
        needs=(_DIGITS2, ("栋", "幢", "楼", "座")),
    ),
    # 5楼502, 三楼301
    Rule(
        "room",
        re.compile(rf"(?P<pre>(?<![0-9号])[0-9一二三四五六七八九十两]{{1,3}}\s*楼\s*)(?P<v>\d{{3,4}}{_ROOM_END})"),
        _room,
        needs=(_DIGITS2, ("楼",)),
    ),
    # 3-2-501
    Rule(
        "room",
        re.compile(r"(?<![0-9-])(?P<pre>\d{1,3}-\d{1,2}-)(?P<v>\d{3,4}(?:\s*室)?)(?![0-9-])"),
        _room,
        needs=(_DIGITS2, ("-",)),
    ),
    # 501室, 1102房
    Rule(
        "room",
        re.compile(r"(?<![0-9])(?P<v>\d{3,4}\s*(?:室|房(?![租价产东主子屋源贷本地龄])))"),
        _room,
        needs=(_DIGITS2, ("室", "房")),
    ),
    # 房号：1102, 住在1203
    Rule(
        "room",
        re.compile(
            r"(?P<pre>(?:房间号|房号|门牌号|户号)\s*(?:是|为)?\s*[:：]?\s*)(?P<v>\d{1,4}[A-Za-z]?(?:\s*[号室])?)"
            r"|(?P<pre2>(?:住在|家住|家在|住)\s*)(?P<v2>\d{3,4})"
            rf"(?!{_NOT_AFTER_ROOM}|\s*[楼层])"
        ),
        lambda m: (m.start("v"), m.end("v"), "room") if m.group("v") else (m.start("v2"), m.end("v2"), "room"),
        needs=(_DIGITS2, ("号", "住", "在")),
    ),
    # 某某里17号, 长巷3号, 123弄45号, 5组12号 — not 人民路123号 (a road number locates a building)
    Rule(
        "house_number",
        re.compile(
            r"(?P<lane>里|巷|胡同|坊|弄|组)(?P<v>\d{1,4}(?:-\d{1,4})?\s*号(?:院(?!楼)|(?![楼院线门口地桥路站]"
            r"|\s*(?:晚|早|上午|下午|中午|凌晨|夜|起|至|到|前|后|开始|以来|左右|当天))))"
        ),
        _house_number,
        needs=(("号",), ("里", "巷", "胡同", "坊", "弄", "组")),
    ),
]
