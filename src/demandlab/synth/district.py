"""A fictional district: streets, communities, grids, compounds and buildings, grown to the records asked for.

**Growth rule.** A grid carries about :data:`GRID_LOAD` records a year over the three sources (800: a
grid of a few hundred to a few thousand households raises two or three matters a day by 12345, 随手拍
and its grid worker's visits together), so a district with ``n_records`` over ``weeks`` weeks has
``ceil(n_records / (weeks / 52.18) / GRID_LOAD)`` grids and never fewer than :data:`BASE_GRIDS` (120):
up to 191,000 records over the default 104 weeks it is the same district of 120 grids, 25 communities
and 5 streets, byte for byte, whatever the count. Above, communities hold 3 to 9 grids (about
:data:`GRIDS_PER_COMMUNITY`) and streets about :data:`COMMUNITIES_PER_STREET` communities (never fewer
than 5 streets), named from the larger combinations of :mod:`.names`. 10,000,000 records over 104 weeks
make about 6,250 grids, 1,300 communities and 130 streets.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

import polars as pl

from . import names

DISTRICT = "明湖区"
#: records a grid raises in a year over the three sources
GRID_LOAD = 800
#: the district's grids up to ``BASE_GRIDS * GRID_LOAD`` records a year: the one shipped since the start
BASE_GRIDS = 120
#: a grown district's grids per community (real ones 3–10) and communities per street (real ones 8–15)
GRIDS_PER_COMMUNITY, COMMUNITIES_PER_STREET = 4.8, 10
_WEEKS_PER_YEAR = 365.25 / 7

_STREETS = [("DH", "东湖街道"), ("XC", "西城街道"), ("BJ", "滨江街道"), ("XQ", "新桥街道"), ("NS", "南山街道")]
_COMMUNITY_STEMS = [
    "幸福",
    "和平",
    "光明",
    "春晖",
    "桂园",
    "枫林",
    "清河",
    "朝阳",
    "红星",
    "东风",
    "新华",
    "文昌",
    "金桥",
    "翠竹",
    "长青",
    "友谊",
    "团结",
    "育才",
    "湖滨",
    "龙泉",
    "望江",
    "锦江",
    "玉兰",
    "丰收",
    "永安",
    "双塔",
    "青石",
    "白鹭",
    "荷塘",
    "云峰",
]
_COMPOUND_PREFIX = [
    "锦绣",
    "翠湖",
    "阳光",
    "金色",
    "华府",
    "春江",
    "东方",
    "绿园",
    "紫荆",
    "丽景",
    "盛世",
    "书香",
    "银杏",
    "香樟",
    "碧水",
    "蓝天",
    "御景",
    "星河",
    "江南",
    "博雅",
    "怡和",
    "宏达",
    "信义",
    "安居",
    "康乐",
    "美景",
    "天润",
    "凤凰",
    "梧桐",
    "明珠",
    "水岸",
    "世纪",
    "九龙",
    "馨园",
    "秀水",
    "景泰",
    "嘉禾",
    "润泽",
    "长乐",
    "泰和",
    "富康",
    "新民",
    "工人",
    "电力",
    "纺织",
    "粮食",
    "机械",
    "教师",
]
_COMPOUND_SUFFIX = ["花园", "苑", "小区", "家园", "新村", "公寓", "雅居", "新城", "里", "华庭", "府", "嘉园"]
_ROADS = [
    "人民路",
    "解放路",
    "建设路",
    "中山路",
    "滨江大道",
    "新华路",
    "文化路",
    "长江路",
    "黄河路",
    "东风路",
    "和平路",
    "学府路",
    "工业路",
    "金桥路",
    "湖滨路",
    "南山路",
    "青年路",
    "胜利路",
    "花园路",
    "健康路",
    "站前路",
    "朝阳路",
    "光华路",
    "友谊路",
    "明湖大道",
    "体育路",
    "桂花路",
    "环城北路",
    "环城南路",
    "沿江路",
]
_CN_DIGITS = "零一二三四五六七八九十"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (enough for grid numbers)."""
    if n <= 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


@dataclass(frozen=True)
class Compound:
    name: str
    era: str  # "old" (1980s–90s walk-ups), "mid", "new" (high-rise)
    buildings: int
    floors: int


@dataclass(frozen=True)
class Grid:
    grid_id: str
    number: int
    street: str
    community: str
    compounds: tuple[Compound, ...]
    roads: tuple[str, ...]
    weight: float

    @property
    def name(self) -> str:
        return f"{self.community}第{self.number}网格"

    @property
    def aliases(self) -> list[str]:
        n = self.number
        return [f"第{n}网格", f"{n}网格", f"{n:02d}网格", f"第{chinese_number(n)}网格", f"{chinese_number(n)}网格"]

    @property
    def era(self) -> str:
        return self.compounds[0].era


@dataclass(frozen=True)
class District:
    name: str
    grids: tuple[Grid, ...]

    def registry(self) -> pl.DataFrame:
        """The grid registry as an office would export it: one row per building."""
        rows = []
        for g in self.grids:
            for c in g.compounds:
                for b in range(1, c.buildings + 1):
                    rows.append(
                        {
                            "街道": g.street,
                            "社区": g.community,
                            "网格编号": g.grid_id,
                            "网格名称": g.name,
                            "网格别名": "|".join(g.aliases),
                            "小区": c.name,
                            "楼栋": f"{b}栋",
                        }
                    )
        return pl.DataFrame(rows)


def grid_count(n_records: int, weeks: int, load: float = GRID_LOAD) -> int:
    """How many grids carry ``n_records`` over ``weeks`` weeks at ``load`` records per grid a year.

    Examples
    --------
    >>> grid_count(50_000, 104), grid_count(191_000, 104), grid_count(10_000_000, 104)
    (120, 120, 6272)
    """
    return max(BASE_GRIDS, math.ceil(n_records / (weeks / _WEEKS_PER_YEAR) / load))


def build_district(rnd: random.Random, n_grids: int = BASE_GRIDS) -> District:
    """Build the district deterministically from ``rnd``.

    Up to :data:`BASE_GRIDS` grids: 25 communities in 5 streets, grid counts per community summing to
    ``n_grids`` (the district of every small synthetic data set). More: a grown district (see the
    module's growth rule).

    Examples
    --------
    >>> district = build_district(random.Random(0), n_grids=600)
    >>> len(district.grids), len({g.community for g in district.grids}), len({g.street for g in district.grids})
    (600, 125, 12)
    """
    if n_grids > BASE_GRIDS:
        return _build_grown(rnd, n_grids)
    n_communities = 25
    stems = rnd.sample(_COMMUNITY_STEMS, n_communities)
    per_community = [n_grids // n_communities] * n_communities
    for i in rnd.sample(range(n_communities), n_grids % n_communities):
        per_community[i] += 1
    compound_names = [p + s for p in _COMPOUND_PREFIX for s in _COMPOUND_SUFFIX]
    rnd.shuffle(compound_names)
    grids: list[Grid] = []
    for ci, stem in enumerate(stems):
        code, street = _STREETS[ci // 5]
        community = f"{stem}社区"
        street_roads = _ROADS[(ci // 5) * 6 : (ci // 5) * 6 + 6]
        community_era = rnd.choices(["old", "mid", "new"], weights=[0.4, 0.35, 0.25])[0]
        used_prefix: set[str] = set()  # 锦绣花园 and 锦绣苑 in one community would confuse people
        for gi in range(1, per_community[ci] + 1):
            compounds = []
            for _ in range(rnd.choice([1, 1, 2, 2, 3])):
                name = next(n for n in reversed(compound_names) if n[:2] not in used_prefix)
                compound_names.remove(name)
                used_prefix.add(name[:2])
                era = community_era if rnd.random() < 0.7 else rnd.choice(["old", "mid", "new"])
                floors = {
                    "old": rnd.choice([5, 6, 7]),
                    "mid": rnd.choice([7, 11, 12]),
                    "new": rnd.choice([18, 26, 33]),
                }[era]
                compounds.append(Compound(name=name, era=era, buildings=rnd.randint(4, 18), floors=floors))
            grids.append(
                Grid(
                    grid_id=f"{code}{ci % 5 + 1:02d}{gi:02d}",
                    number=gi,
                    street=street,
                    community=community,
                    compounds=tuple(compounds),
                    roads=tuple(rnd.sample(street_roads, 2)),
                    weight=rnd.lognormvariate(0.0, 0.45),
                )
            )
    return District(name=DISTRICT, grids=tuple(grids))


def _split(rnd: random.Random, total: int, parts: int, low: int, high: int) -> list[int]:
    """``parts`` random sizes between ``low`` and ``high`` that sum to ``total``."""
    sizes = [low] * parts
    for _ in range(total - low * parts):
        i = rnd.randrange(parts)
        while sizes[i] >= high:
            i = rnd.randrange(parts)
        sizes[i] += 1
    return sizes


def _build_grown(rnd: random.Random, n_grids: int) -> District:
    """A district of ``n_grids`` grids with communities and streets grown in proportion."""
    n_communities = max(25, round(n_grids / GRIDS_PER_COMMUNITY))
    n_streets = max(5, round(n_communities / COMMUNITIES_PER_STREET))
    per_street = n_communities / n_streets
    streets = names.street_names(rnd, n_streets)
    stems = names.community_stems(rnd, n_communities)
    roads = names.road_names(rnd, 6 * n_streets)
    grids_in = _split(rnd, n_grids, n_communities, 3, 9)
    communities_in = _split(rnd, n_communities, n_streets, max(1, int(per_street * 0.6)), math.ceil(per_street * 1.5))
    pool = names.compound_pool(rnd)
    grids: list[Grid] = []
    ci = 0
    for si, ((code, street), n_communities_here) in enumerate(zip(streets, communities_in, strict=True)):
        street_roads = roads[6 * si : 6 * si + 6]
        for k in range(1, n_communities_here + 1):
            community = f"{stems[ci]}社区"
            community_era = rnd.choices(["old", "mid", "new"], weights=[0.4, 0.35, 0.25])[0]
            used_prefix: set[str] = set()  # 锦绣花园 and 锦绣苑 in one community would confuse people
            for gi in range(1, grids_in[ci] + 1):
                compounds = []
                for _ in range(rnd.choice([1, 1, 2, 2, 3])):
                    name = _take(pool, used_prefix, n_grids)
                    used_prefix.add(name[:2])
                    era = community_era if rnd.random() < 0.7 else rnd.choice(["old", "mid", "new"])
                    floors = {
                        "old": rnd.choice([5, 6, 7]),
                        "mid": rnd.choice([7, 11, 12]),
                        "new": rnd.choice([18, 26, 33]),
                    }[era]
                    compounds.append(Compound(name=name, era=era, buildings=rnd.randint(4, 18), floors=floors))
                grids.append(
                    Grid(
                        grid_id=f"{code}{k:02d}{gi:02d}",
                        number=gi,
                        street=street,
                        community=community,
                        compounds=tuple(compounds),
                        roads=tuple(rnd.sample(street_roads, 2)),
                        weight=rnd.lognormvariate(0.0, 0.45),
                    )
                )
            ci += 1
    return District(name=DISTRICT, grids=tuple(grids))


def _take(pool: list[str], used_prefix: set[str], n_grids: int) -> str:
    """The last name of ``pool`` whose prefix the community does not use yet, taken out of the pool."""
    skipped = []
    while pool and pool[-1][:2] in used_prefix:
        skipped.append(pool.pop())
    if not pool:
        raise ValueError(f"too few compound names for {n_grids:,} grids")
    name = pool.pop()
    pool.extend(reversed(skipped))
    return name
