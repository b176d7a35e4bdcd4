"""Places named in a record: the compound, building, shop, market, school or road a matter is about.

Hot issues (热点问题) are a place plus a matter, so the place must be found where people write
it: in the text (油烟来自楼下的湘味轩饭店), in the 事件地址, or in the record's building field. A
:class:`PlaceFinder` knows the compounds of the grid registry when there is one and otherwise
recognises compounds, buildings, points of interest and roads by the words that end their names
(小区, 花园, 苑, 栋, 饭店, 菜市场, 学院, 路 …).

**Reading a name.** Each name is read leftwards from the word that ends it, at most eight
characters, up to the first character a name never contains (的, punctuation, a space, a pronoun
or demonstrative such as 其 / 该 / 我 / 他, a verb of speech such as 称 / 说 / 请). Then what is
written before a name and is not part of it is cut off: everything up to the last administrative
unit (A5区, 东湖街道), road (劳动东路), placing word (楼下, 位于, 门口) or function word of the
sentence (表示, 认为, 反映, 希望, 导致, 目前, 本人 …) in it — so 其认为海秀东路 is 海秀东路 and
来电人表示其小区 is no place. A preposition or deictic left at the start (对, 本, 为 …) is cut too
when at least two characters remain. A name that ends in such a word (本小区, 各学校, 对工地),
that is left with fewer than two characters, or that is only a kind of place (老旧小区, 所在小区,
民办学校, 断头路, 修路) is no place. The lists are Chinese grammar, not any city's place names.
When the registry names a compound in a text, no name read by its suffix that overlaps it is
used; of two compound names one inside the other (翠湖花园 in 翠湖花园小区) the longer is kept.
Of the one-character residential heads only 苑, 郡 and 府 end a name by themselves (not 南苑街道,
人民政府); 园, 庭, 城, 居, 里 and 湾 end too many common words and are found before 小区 or learned.

**Which place.** A compound is the anchor: when a text names one, the place is that compound
(with the building, when one is named, kept as detail), because a street office acts per compound
and people name the same compound while describing its shops and corners differently. A text that
names no compound gives a point of interest (a shop, market, school, plant), else a road. The title
is read first, then the text, then the address and the building field.

**Keys.** Keys group the records about one place. Interpuncts and spaces are dropped
(伊景园·滨河苑 is 伊景园滨河苑; a known name is matched however it is written) and 小区 is
dropped from a compound's key. A compound's key drops
the administrative unit written before it (A5区魅力之城小区 → 魅力之城); a key that contains
another compound key found in the same batch (万科魅力之城 and 魅力之城) takes the shorter one
(:func:`unify_keys`). A point of interest whose name without the unit is generic keeps the unit
in its key and its name (F8市人民医院 and M3县人民医院 are two hospitals; a bare 人民医院 is a
third key). Generic means: the name says only what kind of institution it is (人民医院, 中心医院,
第一中学, 职业技术学院, a name of fewer than two characters before the suffix such as A市学院),
or the corpus writes the same name after at least two different administrative units of one
level, such as two 县 (learned by :func:`learn_places`).

**Learning.** Compounds found by their suffix teach names to look for in records that named no
place (魅力之城小区 → 魅力之城 in A市魅力之城商铺无排烟管道). A name is learned only when it was
found by its suffix in at least two records with different texts *and* after at least two
different left contexts (the character before the name, or the start of a text), and has at
least three characters: a phrase repeated by one template is not a place. A learned name that
contains a registry compound name or its key, or is contained in one, is not learned: the
registry's names win.

Plain data only (compiled patterns, tuples and frozensets): it pickles, as stages must.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import polars as pl

from ..labels import PLACE_KINDS_ZH
from .place_grammar import (
    BUILDING,
    COMPOUND_SUFFIXES,
    GENERIC_POI,
    HEADS,
    INSTITUTIONS,
    LEAD,
    LIMIT,
    MARKET_WORD_AFTER,
    NO_END,
    NO_START,
    NOT_COMPOUND,
    NOT_COMPOUND_END,
    NOT_POI_END,
    NOT_ROAD_END,
    POI_KIND,
    POI_SUFFIXES,
    ROAD_SUFFIXES,
    ROAD_WORD_AFTER,
    STOP,
    UNITS,
    KnownNames,
    admin_prefix,
    cn_number,
    compound_key,
    normal_name,
)

KINDS = ("compound", "poi", "road")  # most to least preferred
KIND_LABELS_ZH = PLACE_KINDS_ZH  # the name signals has always exported

#: Bump when what the finder finds changes, so that the pipeline locates every record again.
PLACES_VERSION = "3"


@dataclass(frozen=True)
class Place:
    kind: str  # compound | poi | road
    name: str  # as written, trimmed; a compound's building is included when named (翠湖小区5栋)
    key: str  # normalised, for grouping
    road: str | None = None  # the road written right before a compound or POI (湖滨路 in 湖滨路东门菜市场)


class _Hit(NamedTuple):
    start: int
    end: int
    place: Place
    learnable: bool  # a compound found by its suffix: evidence for learning its name
    bare: str | None = None  # a POI written after an administrative unit: its name without the unit
    prefix: str = ""  # that unit


@dataclass(frozen=True)
class PlaceFinder:
    """Find places in text. ``compounds``: the registry's compound names, matched exactly first;
    ``generic``: POI names the corpus writes after several administrative units (see :func:`learn_places`).

    >>> finder = PlaceFinder.build(["翠湖小区"])
    >>> finder.find("翠湖小区五栋的电梯又坏了")
    Place(kind='compound', name='翠湖小区5栋', key='翠湖', road=None)
    >>> finder.find("A5区劳动东路魅力之城小区楼下的烧烤店油烟直排").key
    '魅力之城'
    >>> finder.find("A市经济学院组织学生外出打工合理吗？").key
    '经济学院'
    >>> finder.find("和平路东门菜市场门口摊贩占道经营", "和平路秀水华庭附近")
    Place(kind='poi', name='东门菜市场', key='东门菜市场', road='和平路')

    Words of the sentence are not part of a name, and a generic hospital keeps its city:

    >>> finder.find("其认为海秀东路路灯不亮").key
    '海秀东路'
    >>> finder.find("来电人表示其小区门口垃圾堆放") is None
    True
    >>> finder.find("F8市人民医院排队太久").key, finder.find("人民医院排队太久").key
    ('F8市人民医院', '人民医院')
    """

    known: tuple[str, ...]
    known_names: KnownNames | None
    suffix_pattern: re.Pattern
    generic: frozenset[str] = frozenset()

    @classmethod
    def build(cls, compounds: Iterable[str] = (), generic: Iterable[str] = ()) -> PlaceFinder:
        names = {normal_name(c) for c in compounds if c}
        known = tuple(sorted({n for n in names if len(n) >= 2}, key=lambda c: (-len(c), c)))
        suffixes = sorted({*COMPOUND_SUFFIXES, *POI_SUFFIXES, *ROAD_SUFFIXES}, key=lambda s: (-len(s), s))
        suffix_pattern = re.compile("|".join(map(re.escape, suffixes)))
        return cls(known, KnownNames(known) if known else None, suffix_pattern, frozenset(generic))

    # --- reading a name ----------------------------------------------------------------------
    @staticmethod
    def _name_start(text: str, start: int) -> tuple[int, str] | None:
        """Where the name before a suffix at ``start`` begins, and the administrative unit written right
        before it ('' if none); None when the words before the suffix are no name (本小区, 对工地)."""
        i = start
        while i > 0 and start - i < LIMIT and text[i - 1] not in STOP and not text[i - 1].isspace():
            i -= 1
        raw = text[i:start]
        if raw and raw[-1] in NO_END:
            return None
        lead = LEAD.match(raw)
        cut = lead.end() if lead else 0
        j = cut
        while len(raw) - j > 2 and raw[j] in NO_START:
            j += 1
        return i + j, (admin_prefix(raw[:cut]) if cut and j == cut else "")

    @staticmethod
    def _building(text: str, end: int) -> str:
        m = BUILDING.match(text, end)
        return f"{cn_number(m.group(1))}栋" if m else ""

    def _suffix_hit(self, text: str, suffix: str, start: int, end: int) -> _Hit | None:
        """The place whose name ends with ``suffix`` at ``start``, or None."""
        read = self._name_start(text, start)
        if read is None:
            return None
        i, prefix = read
        stem = normal_name(text[i:start])
        after = text[end : end + 2]
        if suffix in ROAD_SUFFIXES:
            if len(stem) < 2 or stem[-1].isdigit() or (suffix == "街" and after[:1] in ("道", "头")):
                return None  # 3路 is a bus line; 街道 the sub-district
            if after[:1] in ("镇", "乡", "村"):
                return None  # 七星街镇, 大路村: a town's or village's name
            if (suffix == "路" and after[:1] in ROAD_WORD_AFTER) or NOT_ROAD_END.search(stem + suffix):
                return None
            return _Hit(i, end, Place("road", text[i:end], stem + suffix), False)
        if suffix in COMPOUND_SUFFIXES:
            if suffix == "社区" or len(stem) < 2 or NOT_COMPOUND_END.search(stem) or NOT_COMPOUND.fullmatch(stem):
                return None
            if suffix in HEADS and (after[:1] in f"{UNITS}村组" or after in ("街道", "社区", "新区")):
                return None  # 南苑街道, 西苑村: part of an administrative unit's name
            if suffix == "府" and stem[-1] in "政学":
                return None  # 人民政府, 高等学府
            name = text[i:end]
            return _Hit(i, end, Place("compound", name + self._building(text, end), compound_key(name)), True)
        if (suffix in ("小学", "中学", "大学") and after[:1] == "生") or (suffix == "大学" and after[:1] == "城"):
            return None  # 中学生, 大学城
        if suffix == "市场" and after[:1] in MARKET_WORD_AFTER:
            return None
        if stem and (POI_KIND.fullmatch(stem) or NOT_POI_END.search(stem)):
            return None
        if len(stem) < 2 and not (prefix and suffix in INSTITUTIONS):
            return None
        bare = stem + suffix
        generic = len(stem) < 2 or GENERIC_POI.fullmatch(stem) is not None or bare in self.generic
        if generic and prefix:
            first = i - len(prefix)
            return _Hit(first, end, Place("poi", text[first:end], normal_name(text[first:end])), False, bare, prefix)
        return _Hit(i, end, Place("poi", text[i:end], bare), False, bare if prefix else None, prefix)

    # --- finding -------------------------------------------------------------------------
    def _scan(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        known_spans: list[tuple[int, int]] = []
        if self.known_names is not None:
            for start, stop in self.known_names.spans(text):
                end = stop + 2 if text.startswith("小区", stop) else stop
                known_spans.append((start, end))
                name = text[start:end]
                place = Place("compound", name + self._building(text, end), compound_key(name))
                hits.append(_Hit(start, end, place, False))
        for m in self.suffix_pattern.finditer(text):
            if any(a <= m.start() < b for a, b in known_spans):
                continue
            hit = self._suffix_hit(text, m.group(0), m.start(), m.end())
            if hit is None or any(hit.start < b and a < hit.end for a, b in known_spans):
                continue  # a known name overlapping a name read by its suffix wins
            hits.append(hit)
        # of a compound written inside a longer one, the longer: 翠湖花园小区 (a POI inside a longer POI
        # is the institution named first: 经济学院 in 经济学院体育学院)
        compounds = [(h.start, h.end) for h in hits if h.place.kind == "compound"]
        hits = [
            h
            for h in hits
            if h.place.kind != "compound"
            or not any(a <= h.start and h.end <= b and b - a > h.end - h.start for a, b in compounds)
        ]
        hits.sort(key=lambda h: (h.start, h.end))
        road_ends = {h.end: h.place.name for h in hits if h.place.kind == "road"}
        return [
            h._replace(place=Place(p.kind, p.name, p.key, road_ends[h.start]))
            if (p := h.place).kind != "road" and h.start in road_ends
            else h
            for h in hits
        ]

    def candidates(self, text: str) -> list[Place]:
        """Every place named in ``text``, in the order written.

        A compound or POI written right after a road (湖滨路东门菜市场) carries that road.
        """
        return [h.place for h in self._scan(text)]

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


def unify_keys(keys: Sequence[str | None], kinds: Sequence[str | None]) -> list[str | None]:
    """Map each compound key to the shortest other compound key it contains (万科魅力之城 → 魅力之城).

    Only compounds, and only keys of at least 3 characters: a developer's or district's name
    written before a compound's is the common variation, while a shop or road that contains
    another place's name is a different place.
    """
    found = {k for k, kind in zip(keys, kinds, strict=True) if k and kind == "compound"}
    mapping = {key: _shortest_inside(key, found) for key in found}
    return [mapping.get(k, k) if k and kind == "compound" else k for k, kind in zip(keys, kinds, strict=True)]


def _shortest_inside(key: str, found: set[str]) -> str:
    """The shortest key of ``found`` (at least 3 characters, shorter than ``key``) that ``key`` contains, of two
    equally short the first in code-point order (a set's order changes with PYTHONHASHSEED); else ``key``.

    Looks up the key's substrings (a key is a few characters, a district tens of thousands of compounds:
    comparing every pair took 2 s at ten million records, twice a weekly job).

    >>> _shortest_inside("万科魅力之城", {"魅力之城", "力之城", "万科魅力之城"})
    '力之城'
    """
    for length in range(3, len(key)):
        inside = {key[i : i + length] for i in range(len(key) - length + 1)} & found
        if inside:
            return min(inside)
    return key


def find_places(
    frame: pl.DataFrame, finder: PlaceFinder, unify: bool = True, learn: bool = True, known: Iterable[str] = ()
) -> pl.DataFrame:
    """Add ``place_kind``, ``place`` (as written), ``place_key`` and ``place_road`` from title, text, address
    and building.

    The title is read first (it names the matter most tightly), then the text, the address and the
    building field; keys are unified across the frame (see :func:`unify_keys`) unless ``unify`` is
    false (the pipeline stores them as found and unifies across the whole database when reading).

    With ``learn``, the frame teaches compound names and generic POI names (:func:`learn_places`),
    and records that named no place are read again for the learned compounds (A市魅力之城商铺无排烟管道
    names 魅力之城); ``known`` adds compound names accepted earlier. ``find_places(frame, finder,
    unify=False)`` equals ``locate_records(frame, learn_places(frame, finder.known))``.

    >>> frame = pl.DataFrame({"title": ["伊景园滨河苑小区停车难", "伊景园·滨河苑门口积水", "滨河苑电梯坏了"]})
    >>> find_places(frame, PlaceFinder.build())["place_key"].to_list()
    ['滨河苑', '滨河苑', '滨河苑']
    """
    scanned = None
    if learn:
        evidence, scanned = scan_places(frame, finder.known)
        ctx = learn_places(None, finder.known, known, evidence=evidence)
        finder, wider = _finders(finder.known, ctx.learned, tuple(sorted({*ctx.generic, *finder.generic})))
    else:
        wider = None
    places = _locate(frame, finder, wider, scanned)
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
    """What the locate stage needs: the registry's compounds, the compound names learned so far and the
    POI names found generic (both from :func:`learn_places`).

    ``learned`` and ``generic`` come from the whole corpus, not the batch being located, so that
    locating one record never depends on which other records share its batch.
    """

    compounds: tuple[str, ...] = ()
    learned: tuple[str, ...] = ()
    generic: tuple[str, ...] = ()

    def finders(self) -> tuple[PlaceFinder, PlaceFinder | None]:
        return _finders(self.compounds, self.learned, self.generic)


@functools.lru_cache(maxsize=4)
def _finders(
    compounds: tuple[str, ...], learned: tuple[str, ...], generic: tuple[str, ...] = ()
) -> tuple[PlaceFinder, PlaceFinder | None]:
    finder = PlaceFinder.build(compounds, generic)
    wider = PlaceFinder.build([*finder.known, *learned], generic) if learned else None
    return finder, wider


LOCATED = ("source", "record_id", "content_hash", "place_kind", "place", "place_key", "place_road")
_FIELDS = ("title", "text", "address", "building")


class Scanned(NamedTuple):
    """What reading one record for evidence (:func:`scan_places`) already found: the place the finder
    without generic names finds, and the POI names it read after an administrative unit. Locating
    reuses the place unless one of those names turned out generic (then the record reads differently)."""

    place: Place | None
    bares: frozenset[str]


def _locate(
    frame: pl.DataFrame, finder: PlaceFinder, wider: PlaceFinder | None, scanned: Sequence[Scanned] | None = None
) -> list[Place | None]:
    rows = frame.select([c for c in _FIELDS if c in frame.columns]).iter_rows()
    if scanned is None:
        return [finder.find(*row) or (wider.find(*row) if wider else None) for row in rows]
    return [
        (finder.find(*row) if seen.bares & finder.generic else seen.place) or (wider.find(*row) if wider else None)
        for row, seen in zip(rows, scanned, strict=True)
    ]


@dataclass
class PlaceEvidence:
    """What records have shown of the names :func:`learn_places` decides on, kept small enough to
    carry from one run to the next (the pipeline stores it, so a weekly run reads only its new records).

    ``texts``: per compound name, digests of up to two distinct texts that wrote it by its suffix;
    ``contexts``: per name, up to two distinct left contexts; ``units``: per generic-looking POI name,
    the administrative units written before it (up to eight).
    """

    texts: dict[str, set[str]] = field(default_factory=dict)
    contexts: dict[str, set[str]] = field(default_factory=dict)
    units: dict[str, set[str]] = field(default_factory=dict)

    @staticmethod
    def _add(into: dict[str, set[str]], key: str, value: str, cap: int) -> None:
        seen = into.setdefault(key, set())
        if len(seen) < cap:
            seen.add(value)

    def merge(self, other: PlaceEvidence) -> PlaceEvidence:
        """Both records' evidence together (each set capped as when it was gathered)."""
        out = PlaceEvidence()
        for name, cap in (("texts", 2), ("contexts", 2), ("units", 8)):
            mine, theirs, into = getattr(self, name), getattr(other, name), getattr(out, name)
            for key in sorted({*mine, *theirs}):
                for value in sorted({*mine.get(key, ()), *theirs.get(key, ())}):
                    self._add(into, key, value, cap)
        return out

    def to_json(self) -> str:
        return json.dumps(
            {n: {k: sorted(v) for k, v in sorted(getattr(self, n).items())} for n in ("texts", "contexts", "units")},
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str | None) -> PlaceEvidence:
        data = json.loads(text) if text else {}
        return cls(**{n: {k: set(v) for k, v in data.get(n, {}).items()} for n in ("texts", "contexts", "units")})


def scan_places(frame: pl.DataFrame, compounds: Sequence[str]) -> tuple[PlaceEvidence, tuple[Scanned, ...]]:
    """The evidence ``frame``'s records give (:class:`PlaceEvidence`), read with the registry's ``compounds``,
    and what that reading found in each record (:class:`Scanned`), so that :func:`locate_records` need not
    read the records a second time."""
    finder = PlaceFinder.build(compounds)
    evidence, scanned = PlaceEvidence(), []
    cols = [c for c in _FIELDS if c in frame.columns]
    for row in frame.select(cols).iter_rows():
        digest, place, bares = None, None, set()
        for part in row:
            hits = finder._scan(part) if part else ()
            if place is None and hits:  # as PlaceFinder.find chooses
                place = next((h.place for h in hits if h.place.kind != "road"), hits[0].place)
            for hit in hits:
                if hit.learnable:
                    digest = digest or hashlib.blake2b("\x1f".join(map(str, row)).encode(), digest_size=8).hexdigest()
                    evidence._add(evidence.texts, hit.place.key, digest, 2)
                    evidence._add(evidence.contexts, hit.place.key, part[hit.start - 1] if hit.start else "", 2)
                elif hit.bare and len(hit.prefix) >= 2:
                    evidence._add(evidence.units, hit.bare, hit.prefix, 8)
                if hit.bare:
                    bares.add(hit.bare)
        scanned.append(Scanned(place, frozenset(bares)))
    return evidence, tuple(scanned)


def place_evidence(frame: pl.DataFrame, compounds: Sequence[str]) -> PlaceEvidence:
    """The evidence ``frame``'s records give (:class:`PlaceEvidence`), read with the registry's ``compounds``."""
    return scan_places(frame, compounds)[0]


def learn_places(
    frame: pl.DataFrame | None,
    compounds: Sequence[str],
    known: Iterable[str] = (),
    evidence: PlaceEvidence | None = None,
) -> LocateContext:
    """The names ``frame`` teaches: a :class:`LocateContext` for ``compounds`` with learned compounds and
    generic POI names.

    * A compound name read by its suffix (魅力之城小区 → 魅力之城) is learned when it is read in at least
      two records with different texts (title, text, address and building together) and after at least
      two different left contexts (the character before the name, or the start of a title or text),
      and has at least three characters. ``known`` adds names accepted earlier. A name that contains a
      registry compound name or its key (翠湖小区, 翠湖), or is contained in one, is not learned.
    * A POI name read after an administrative unit is generic when the frame writes it after at least
      two different named units of one level (M3县人民医院, E6县人民医院 → 人民医院); its key then keeps
      the unit. Units of different levels (B市翡翠公园, B2区翡翠公园) may be one place in two ways.

    ``evidence``: what earlier records showed (:func:`place_evidence`), added to ``frame``'s (which may
    then be None): the pipeline learns from all records while reading only the new ones.

    >>> texts = ["我住魅力之城小区", "A5区魅力之城小区", "魅力之城商铺", "A县红星医院", "B县红星医院"]
    >>> frame = pl.DataFrame({"text": texts})
    >>> ctx = learn_places(frame, [])
    >>> ctx.learned, ctx.generic
    (('魅力之城',), ('红星医院',))
    >>> earlier = place_evidence(frame.head(1), [])
    >>> learn_places(frame.slice(1, 1), [], evidence=earlier).learned  # one record each time, two in all
    ('魅力之城',)
    """
    finder = PlaceFinder.build(compounds)
    found = place_evidence(frame, compounds) if frame is not None else PlaceEvidence()
    if evidence is not None:
        found = evidence.merge(found)
    names = {k for k, t in found.texts.items() if len(k) >= 3 and len(t) >= 2 and len(found.contexts[k]) >= 2}
    names |= {k for k in map(compound_key, known) if len(k) >= 3}
    registry = {*finder.known, *(compound_key(c) for c in finder.known)}
    learned = {k for k in names if not any(k in r or r in k for r in registry)}
    generic = {
        n for n, seen in found.units.items() if any(c >= 2 for c in Counter(u[-1] for u in seen).values())
    }  # fmt: skip
    return LocateContext(tuple(compounds), tuple(sorted(learned)), tuple(sorted(generic)))


def learn_compounds(frame: pl.DataFrame, compounds: Sequence[str], known: Iterable[str] = ()) -> tuple[str, ...]:
    """Compound names the records teach (魅力之城小区 → 魅力之城), plus ``known`` ones, that the registry lacks.

    The compound half of :func:`learn_places` (which states the rule).
    """
    return learn_places(frame, compounds, known).learned


def locate_records(frame: pl.DataFrame, ctx: LocateContext, scanned: Sequence[Scanned] | None = None) -> pl.DataFrame:
    """The locate stage (partitioned by rows): the place each record names, keys as found.

    Equals ``find_places(frame, PlaceFinder.build(ctx.compounds), unify=False)`` when ``ctx`` was
    learned from ``frame`` (:func:`learn_places`; keys are unified across the database when read).
    ``scanned``: what :func:`scan_places` found in ``frame`` read with ``ctx.compounds``; it is reused
    rather than read again (the same places either way).
    """
    places = _locate(frame, *ctx.finders(), scanned)
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
    "PlaceEvidence",
    "PlaceFinder",
    "Scanned",
    "find_places",
    "learn_compounds",
    "learn_places",
    "locate_records",
    "place_evidence",
    "scan_places",
    "unify_keys",
]
