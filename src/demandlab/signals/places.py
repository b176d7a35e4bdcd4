"""Places named in a record: the compound, building, shop, market, school or road a matter is about.

Hot issues (热点问题) are a place plus a matter, so the place must be found where people write
it: in the text (油烟来自楼下的湘味轩饭店), in the 事件地址, or in the record's building field. A
:class:`PlaceFinder` knows the compounds of the grid registry when there is one and otherwise
recognises compounds, buildings, points of interest and roads by the words that end their names
(小区, 花园, 栋, 饭店, 菜市场, 学院, 路 …), reading each name leftwards from that word up to the
first character that cannot be part of it (的, a comma, an administrative unit such as A5区 or
东湖街道, a road before a compound).

A compound is the anchor: when a text names one, the place is that compound (with the building,
when one is named, kept as detail), because a street office acts per compound and people name the
same compound while describing its shops and corners differently. A text that names no compound
gives a point of interest (a shop, market, school, plant), else a road. The title is read first,
then the text, then the address and the building field. Keys are normalised (小区 is dropped from
a compound's key; a key that contains another key found in the same batch, 万科魅力之城 and
魅力之城, takes the shorter one) so that people who write a place differently still meet.

Plain data only (compiled patterns and tuples): it pickles, as stages must.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import polars as pl

from ..labels import PLACE_KINDS_ZH

KINDS = ("compound", "poi", "road")  # most to least preferred
KIND_LABELS_ZH = PLACE_KINDS_ZH  # the name signals has always exported

_COMPOUND_SUFFIXES = (
    "小区",
    "花园",
    "家园",
    "嘉园",
    "公寓",
    "大厦",
    "新村",
    "新城",
    "雅居",
    "华庭",
    "华府",
    "名苑",
    "社区",
)
_POI_SUFFIXES = (
    "农贸市场", "菜市场", "菜场", "市场", "超市", "商场", "饭店", "餐馆", "餐厅", "酒店", "烧烤店", "夜宵摊",
    "大排档", "小吃店", "棋牌室", "网吧", "歌厅", "酒吧", "学校", "小学", "中学", "大学", "学院", "幼儿园",
    "医院", "卫生院", "卫生室", "诊所", "搅拌站", "工地", "加油站", "充电站", "公园", "广场", "地铁站",
    "公交站", "停车场", "垃圾站", "中转站", "泵房", "工厂", "厂",
)  # fmt: skip
_ROAD_SUFFIXES = ("大道", "路", "街", "巷")
# characters a name does not contain: grammar words, punctuation, and placeholders' brackets
_STOP = set("的了是在把被给让向往于这那些个等也都还就又很与及或从到去")
_STOP |= set("，。、；：？！,.;:?!()（）【】[]“”\"'《》〔〕 \t\n")
# what may be written before a name and is not part of it: an administrative unit or a road
# (A5区劳动东路魅力之城小区), or a word placing the name (楼下, 临街, 位于 …)
_LEAD = re.compile(
    r".*(?:[A-Z]\d*[市区县]|省|市|区|县|镇|乡|街道|社区|大道|路|街|巷|附近|隔壁|旁边|对面|门口|楼下|楼上|底商|临街|周边|"
    r"[东西南北]侧|里面|外面|位于|来自|住在|关于|反映|投诉|举报|发现)"
)
_NUMBER = r"(\d{1,3}|[一二三四五六七八九十]{1,3})"
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
_NOT_ROADS = {
    "马路",
    "道路",
    "一路",
    "公路",
    "过马路",
    "这条路",
    "那条路",
    "上路",
    "出路",
    "走路",
    "线路",
    "电路",
    "水路",
}
_BUILDING = re.compile(_NUMBER + r"(?:栋|号楼|幢)")
_NOT_ROAD_END = re.compile(f"(?:{'|'.join(map(re.escape, sorted(_NOT_ROADS, key=len, reverse=True)))})$")
_NOT_COMPOUNDS = {"本小区", "该小区", "我们小区", "我小区", "这个小区", "整个小区", "老旧小区", "所在小区", "附近小区"}


def _cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CN_DIGITS.get(text[1], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return _CN_DIGITS.get(tens, 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text, 0)


#: Bump when what the finder finds changes, so that the pipeline locates every record again.
PLACES_VERSION = "2"


@dataclass(frozen=True)
class Place:
    kind: str  # compound | poi | road
    name: str  # as written, trimmed; a compound's building is included when named (翠湖小区5栋)
    key: str  # normalised, for grouping
    road: str | None = None  # the road written right before a compound or POI (湖滨路 in 湖滨路东门菜市场)


@dataclass(frozen=True)
class PlaceFinder:
    """Find places in text. ``compounds``: the registry's compound names, matched exactly first.

    >>> finder = PlaceFinder.build(["翠湖小区"])
    >>> finder.find("翠湖小区五栋的电梯又坏了")
    Place(kind='compound', name='翠湖小区5栋', key='翠湖', road=None)
    >>> finder.find("A5区劳动东路魅力之城小区楼下的烧烤店油烟直排").key
    '魅力之城'
    >>> finder.find("A市经济学院组织学生外出打工合理吗？").key
    '经济学院'
    >>> finder.find("和平路东门菜市场门口摊贩占道经营", "和平路秀水华庭附近")
    Place(kind='poi', name='东门菜市场', key='东门菜市场', road='和平路')
    """

    known: tuple[str, ...]
    known_pattern: re.Pattern | None
    suffix_pattern: re.Pattern

    @classmethod
    def build(cls, compounds: Iterable[str] = ()) -> PlaceFinder:
        known = tuple(sorted({c for c in compounds if c and len(c) >= 2}, key=lambda c: (-len(c), c)))
        known_pattern = re.compile("|".join(map(re.escape, known))) if known else None
        suffixes = sorted({*_COMPOUND_SUFFIXES, *_POI_SUFFIXES, *_ROAD_SUFFIXES}, key=lambda s: (-len(s), s))
        return cls(known, known_pattern, re.compile("|".join(map(re.escape, suffixes))))

    # --- finding -------------------------------------------------------------------------
    @staticmethod
    def _stem(text: str, start: int, limit: int = 8) -> str:
        """The part of a name before its suffix at ``start``, read leftwards to its first boundary."""
        i = start
        while i > 0 and start - i < limit and text[i - 1] not in _STOP:
            i -= 1
        stem = text[i:start]
        lead = _LEAD.match(stem)
        return stem[lead.end() :] if lead else stem  # a name of fewer than 2 characters is not kept

    @staticmethod
    def _building(text: str, end: int) -> str:
        m = _BUILDING.match(text, end)
        return f"{_cn_number(m.group(1))}栋" if m else ""

    def candidates(self, text: str) -> list[Place]:
        """Every place named in ``text``, in the order written.

        A compound or POI written right after a road (湖滨路东门菜市场) carries that road.
        """
        found: list[tuple[int, int, Place]] = []  # (start, end, place)
        known_spans: list[tuple[int, int]] = []
        if self.known_pattern is not None:
            for m in self.known_pattern.finditer(text):
                known_spans.append(m.span())
                name = m.group(0)
                place = Place("compound", name + self._building(text, m.end()), _compound_key(name))
                found.append((m.start(), m.end(), place))
        for m in self.suffix_pattern.finditer(text):
            if any(a <= m.start() < b for a, b in known_spans):
                continue
            suffix = m.group(0)
            stem = self._stem(text, m.start())
            name = stem + suffix
            if len(stem) < 2:
                continue
            if suffix in _ROAD_SUFFIXES:
                if stem[-1].isdigit() or (suffix == "街" and text[m.end() : m.end() + 1] == "道"):
                    continue  # 3路 is a bus line; 街道 the sub-district
                if _NOT_ROAD_END.search(name):
                    continue
                found.append((m.start() - len(stem), m.end(), Place("road", name, name)))
            elif suffix in _COMPOUND_SUFFIXES:
                if suffix == "社区" or any(name.endswith(n) for n in _NOT_COMPOUNDS):
                    continue
                place = Place("compound", name + self._building(text, m.end()), _compound_key(name))
                found.append((m.start() - len(stem), m.end(), place))
            else:
                found.append((m.start() - len(stem), m.end(), Place("poi", name, name)))
        found.sort(key=lambda x: x[0])
        road_ends = {end: p.name for _, end, p in found if p.kind == "road"}
        return [
            Place(p.kind, p.name, p.key, road_ends.get(start)) if p.kind != "road" and start in road_ends else p
            for start, _, p in found
        ]

    def find(self, text: str | None, *more: str | None) -> Place | None:
        """The place ``text`` is about (then ``more``: the text, the address …), or None.

        In the first of them that names a place: the first compound or point of interest named,
        else the first road (湖滨路东门菜市场 is the market; 劳动东路魅力之城小区 the compound).
        """
        for part in (text, *more):
            if not part:
                continue
            found = self.candidates(part)
            if found:
                return next((p for p in found if p.kind != "road"), found[0])
        return None


def _compound_key(name: str) -> str:
    return name.removesuffix("小区") if len(name) >= 4 else name


def unify_keys(keys: Sequence[str | None], kinds: Sequence[str | None]) -> list[str | None]:
    """Map each compound key to the shortest other compound key it contains (万科魅力之城 → 魅力之城).

    Only compounds, and only keys of at least 3 characters: a developer's or district's name
    written before a compound's is the common variation, while a shop or road that contains
    another place's name is a different place.
    """
    # a set's order changes with PYTHONHASHSEED: of two equally short keys the first in code-point order wins
    found = {k for k, kind in zip(keys, kinds, strict=True) if k and kind == "compound"}
    compounds = sorted(found, key=lambda k: (len(k), k))
    mapping: dict[str, str] = {}
    for i, key in enumerate(compounds):
        mapping[key] = next((k for k in compounds[:i] if len(k) >= 3 and k in key and len(k) < len(key)), key)
    return [mapping.get(k, k) if k and kind == "compound" else k for k, kind in zip(keys, kinds, strict=True)]


def find_places(
    frame: pl.DataFrame, finder: PlaceFinder, unify: bool = True, learn: bool = True, known: Iterable[str] = ()
) -> pl.DataFrame:
    """Add ``place_kind``, ``place`` (as written), ``place_key`` and ``place_road`` from title, text, address
    and building.

    The title is read first (it names the matter most tightly), then the text, the address and the
    building field; keys are unified across the frame (see :func:`unify_keys`) unless ``unify`` is
    false (the pipeline stores them as found and unifies across the whole database when reading).

    With ``learn``, compounds found by their suffix (魅力之城小区) become known names, and records
    that named no place are read again for them (A市魅力之城商铺无排烟管道 names 魅力之城); ``known``
    adds compound keys found earlier (the pipeline passes those of records already located).
    """
    cols = [c for c in ("title", "text", "address", "building") if c in frame.columns]
    rows = frame.select(cols).rows()
    places = [finder.find(*row) for row in rows]
    if learn:
        learned = {p.key for p in places if p and p.kind == "compound"} | set(known)
        learned = {k for k in learned if len(k) >= 3} - set(finder.known)
        if learned:
            wider = PlaceFinder.build([*finder.known, *learned])
            places = [p or wider.find(*row) for p, row in zip(places, rows, strict=True)]
    kinds = [p.kind if p else None for p in places]
    keys = [p.key if p else None for p in places]
    return frame.with_columns(
        pl.Series("place_kind", kinds, dtype=pl.String),
        pl.Series("place", [p.name if p else None for p in places], dtype=pl.String),
        pl.Series("place_key", unify_keys(keys, kinds) if unify else keys, dtype=pl.String),
        pl.Series("place_road", [p.road if p else None for p in places], dtype=pl.String),
    )


@dataclass(frozen=True)
class LocateContext:
    """What the locate stage needs: the registry's compounds and the compound names learned so far.

    ``learned`` comes from :func:`learn_compounds` over the records to locate (and those located
    before), so that locating one record never depends on which other records share its batch.
    """

    compounds: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()

    def finders(self) -> tuple[PlaceFinder, PlaceFinder | None]:
        return _finders(self.compounds, self.learned)


@functools.lru_cache(maxsize=4)
def _finders(compounds: tuple[str, ...], learned: tuple[str, ...]) -> tuple[PlaceFinder, PlaceFinder | None]:
    finder = PlaceFinder.build(compounds)
    wider = PlaceFinder.build([*finder.known, *learned]) if learned else None
    return finder, wider


LOCATED = ("source", "record_id", "content_hash", "place_kind", "place", "place_key", "place_road")


def learn_compounds(frame: pl.DataFrame, compounds: Sequence[str], known: Iterable[str] = ()) -> tuple[str, ...]:
    """Compound names the records teach (魅力之城小区 → 魅力之城), plus ``known`` ones, that the registry lacks.

    The learning half of :func:`find_places`, separate so that the finding half is a rows stage.
    """
    finder = PlaceFinder.build(compounds)
    cols = [c for c in ("title", "text", "address", "building") if c in frame.columns]
    found = (finder.find(*row) for row in frame.select(cols).iter_rows())
    learned = {p.key for p in found if p and p.kind == "compound"} | set(known)
    return tuple(sorted({k for k in learned if len(k) >= 3} - set(finder.known)))


def locate_records(frame: pl.DataFrame, ctx: LocateContext) -> pl.DataFrame:
    """The locate stage (partitioned by rows): the place each record names, keys as found.

    Equals ``find_places(frame, PlaceFinder.build(ctx.compounds), unify=False, known=ctx.learned)``
    when ``ctx.learned`` was learned from ``frame`` (keys are unified across the database when read).
    """
    finder, wider = ctx.finders()
    cols = [c for c in ("title", "text", "address", "building") if c in frame.columns]
    places = [finder.find(*row) or (wider.find(*row) if wider else None) for row in frame.select(cols).iter_rows()]
    return frame.with_columns(
        pl.Series("place_kind", [p.kind if p else None for p in places], dtype=pl.String),
        pl.Series("place", [p.name if p else None for p in places], dtype=pl.String),
        pl.Series("place_key", [p.key if p else None for p in places], dtype=pl.String),
        pl.Series("place_road", [p.road if p else None for p in places], dtype=pl.String),
    ).select(LOCATED)


__all__ = [
    "KINDS",
    "KIND_LABELS_ZH",
    "LOCATED",
    "PLACES_VERSION",
    "LocateContext",
    "Place",
    "PlaceFinder",
    "find_places",
    "learn_compounds",
    "locate_records",
    "unify_keys",
]
