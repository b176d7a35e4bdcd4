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

KINDS = ("compound", "poi", "road")  # most to least preferred
KIND_LABELS_ZH = PLACE_KINDS_ZH  # the name signals has always exported

# single-character residential heads (伊景园滨河苑, 仰山郡, 中南闻荷府); 园, 庭, 城, 居, 里 and 湾 end too
# many common words or rural hamlets (公园, 家庭, 县城, 邻居, 这里, 螺蛳湾组) and are only found when learned
_HEADS = ("苑", "郡", "府")
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
    *_HEADS,
)
_POI_SUFFIXES = (
    "农贸市场", "菜市场", "菜场", "市场", "超市", "商场", "饭店", "餐馆", "餐厅", "酒店", "烧烤店", "夜宵摊",
    "大排档", "小吃店", "棋牌室", "网吧", "歌厅", "酒吧", "学校", "小学", "中学", "大学", "学院", "幼儿园",
    "医院", "卫生院", "卫生室", "诊所", "搅拌站", "工地", "加油站", "充电站", "公园", "广场", "地铁站",
    "公交站", "停车场", "垃圾站", "中转站", "泵房", "工厂", "厂",
)  # fmt: skip
_ROAD_SUFFIXES = ("大道", "路", "街", "巷")
# institutions whose name may be only the administrative unit (A市学院, L5县医院, 泉塘镇卫生院)
_INSTITUTIONS = ("医院", "卫生院", "学校", "小学", "中学", "大学", "学院", "幼儿园")
_LIMIT = 8  # characters read leftwards from a suffix

# characters a name does not contain: grammar words, pronouns and demonstratives, verbs of speech,
# conjunctions, punctuation and placeholders' brackets (and any space, see _name_start)
_STOP = set("的了是在把被给让向往于这那些个等也都还就又很与及或从到去")
_STOP |= set("其该此我你他她它们称说请而但却虽并且没有已须至哪")
_STOP |= set("，。、；：？！,.;:?!()（）【】[]“”\"'《》〔〕<>〈〉「」『』…—～~/\\|*＊#＃@&%")
# characters a name does not end in: a preposition or deictic before the suffix (本小区, 各学校, 对工地)
_NO_END = set("本各每对为以将")
# characters cut from the start of a name while at least two remain (对翠湖小区, 本市场)
_NO_START = set("本对为系不要以将由原")
# what may be written before a name and is not part of it, cut up to its last occurrence:
# an administrative unit, a road, a placing word, or a function word of the sentence
_ADMIN_WORDS = r"[A-Z]\d*[市区县]|省|市|区|县|镇|乡|街道|社区"
_ROAD_WORDS = r"大道|路|街|巷"
_SENTENCE_WORDS = (
    # placing
    "附近 隔壁 旁边 对面 门口 楼下 楼上 底商 临街 周边 周围 里面 外面 位于 来自 住在 家住 居住 关于 针对 对于 "
    "属于 靠近 紧邻 毗邻 地处 前往 进入 进出 经过 穿过 离开 以上 以下 以内 之间 "
    # speech and request
    "表示 认为 反映 反应 投诉 举报 希望 要求 请求 恳请 建议 呼吁 咨询 询问 了解 发现 看到 听说 来电 致电 求助 诉求 "
    # connectives, time, cause, people
    "因为 由于 所以 如果 虽然 但是 而且 并且 还有 以及 包括 没有 不能 不是 可以 已经 一直 经常 严重 导致 造成 "
    "影响 干扰 扰乱 目前 现在 当前 其中 以前 之前 以后 之后 以来 同时 期间 时候 今年 去年 今天 昨天 每天 晚上 白天 "
    "未经 作为 本人 业主 居民 市民 原因 问题 情况 什么 怎么 为何 如何 是否 能否 哪里 相关 有关 "
    # verbs of a complaint that take a place as object
    "整治 治理 解决 查处 彻查 调查 责令 督促 取缔 拆除 关闭 清理 侵占 占用 协调 修复 改造 购买 买了 入住 "
    "搬进 看房 抵达 到达 "
    # modal verbs and adverbs
    "必须 需要 应该 可能 只能 还是 就是 都是 不要 不让 不准 不得 不许 只有 只是 一定 一起 马上 立即 尽快 及时 "
    "继续 开始 准备 打算 计划 决定 进行 实行 实施 组织 安排 开展 通过 利用 按照 根据 为了 于是 然后 而是 甚至 "
    "乃至 或者 竟然 居然 突然 仍然 依然 终于 总是 往往 曾经"
).split()
# 住 (我住翠湖小区) but not 住宅; 和 after a place word (幼儿园和第八小学)
_PLACING = "|".join(
    [r"[东西南北]侧", r"住(?![宅房户])", r"(?<=[园学院场店厂校站馆])和", *sorted(_SENTENCE_WORDS, key=len)[::-1]]
)
_LEAD = re.compile(f".*(?:{_ADMIN_WORDS}|{_ROAD_WORDS}|{_PLACING})")
_NOT_ADMIN_LEAD = re.compile(f".*(?:{_ROAD_WORDS}|{_PLACING})")
# an administrative unit as written right before a name: A市, M3县, 温州市, 泉塘镇
_ADMIN_PREFIX = re.compile(r"(?:[A-Z]\d*|(?:(?![省市县区镇乡])[\u4e00-\u9fff]){2,4})[省市县区镇乡]$")
_UNITS = "省市县区镇乡"
# words ending like a unit that are none (翠湖小区, 超市, 乡镇)
_NOT_ADMIN = re.compile(
    "(?:小区|社区|城区|市区|景区|园区|厂区|校区|片区|辖区|街区|院区|病区|学区|山区|郊区|超市|菜市|夜市|集市|城市|"
    "都市|门市|城镇|乡镇|城乡|家乡|老乡|下乡)$"
)

_NUMBER = r"(\d{1,3}|[一二三四五六七八九十]{1,3})"
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
# words ending in a road suffix that are no road: generic roads, kinds of road, verbs and figures of speech
_NOT_ROADS = (
    "马路 道路 一路 公路 过马路 这条路 那条路 上路 出路 走路 线路 电路 水路 之路 修路 挖路 毁路 堵路 铺路 让路 带路 "
    "问路 迷路 顺路 沿路 跑路 绝路 活路 死路 退路 去路 套路 思路 销路 网路 过路 无路 有路 条路 岔路 旁路 便路 土路 "
    "维权路 铁路 断头路 水泥路 泥巴路 泥泞路 石板路 柏油路 砂石路 沙石路 渣石路 硬化路 高速路 快速路 交叉路 十字路 "
    "丁字路 支路 "
    "大街 满大街 上街 逛街 过街 沿街 当街 一条街 整条街 步行街 商业街 美食街 小吃街"
).split()
_NOT_ROAD_END = re.compile(f"(?:{'|'.join(map(re.escape, sorted(_NOT_ROADS, key=len, reverse=True)))})$")
_ROAD_WORD_AFTER = set("线灯费况过人程途演由数子径基")  # 路线, 路灯 …: 路 starts another word
# a compound's stem that is a kind of compound, not a name: 老旧小区, 所在小区, 安置小区, 住宅小区
_KIND_END = (
    "老旧|老式|所在|周边|周围|附近|隔壁|其他|其它|别的|同一|整个|多个|各个|某个|几个|开放式|封闭式|新建|在建|"
    "无物业|高档|大型|商品房"
)
_KIND_WORDS = (
    f"{_KIND_END}|老|旧|新|住宅|商住|安置|拆迁|回迁|还建|保障房|公租房|廉租房|经适房|经济适用房|物业|普通|城中村|农村|"
    "城市|城镇|老城区|一些|部分|很多|许多|所有|全部|相邻|邻近|单位|职工|宿舍|家属|居民|高层|多层|低层|小|大|型|平安|"
    "和谐|文明|示范|美丽|智慧|绿色|生态|一个|两个|某"
)
_NOT_COMPOUND_END = re.compile(f"(?:{_KIND_END})$")
_NOT_COMPOUND = re.compile(f"(?:{_KIND_WORDS})+")
# a point of interest's stem that only says what kind of institution it is: 人民医院, 第一中学 …
_GENERIC_POI = re.compile(
    r"(?:人民|中心|中医|中西医结合|妇幼保健|妇幼|妇女儿童|儿童|第?[一二三四五六七八九十百零〇\d]+|职业技术|职业|技术|专业|"
    r"实验|附属|中等|高级|初级|城关|机关|市立|县立|区立|省立|卫生|公共|综合|完全|九年制|九年一贯制|寄宿制|中小|中)*"
)
# … or a kind of institution, which is no place: 民办学校, 其他医院, 附近超市, 三甲医院, 几家医院
_POI_KIND_END = "|".join(
    "公办 民办 公立 私立 民营 所有 一些 部分 其他 其它 附近 周边 各级 当地 定点 指定 相关 有关 正规 大型 小型".split()
)
_POI_KIND = re.compile(
    rf"(?:{_POI_KIND_END}|重点|示范|普通|黑|各类|一个|某|[一二三][级甲]|甲等|乙等|级|[一几多两三这那每各][家所个座名位]|"
    r"本地|房地产|房产|金融|资本|股票|证券|劳动力|消费|保险|新|老|大|小)+"
)
_NOT_POI_END = re.compile(f"(?:{_POI_KIND_END})$")
_MARKET_WORD_AFTER = set("监管化价经主准秩行需份")  # 市场监管, 市场化 …
_BUILDING = re.compile(_NUMBER + r"(?:栋|号楼|幢)")
_KEY_DROP = re.compile(r"[·•・‧∙\s]")  # interpuncts and spaces written inside a name


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


def _normal(name: str) -> str:
    """A name without the interpuncts and spaces people write inside it (伊景园·滨河苑 → 伊景园滨河苑)."""
    return _KEY_DROP.sub("", name)


def _compound_key(name: str) -> str:
    key = _normal(name)
    return key.removesuffix("小区") if len(key) >= 4 else key


def _tolerant(name: str) -> str:
    """A pattern for a known name that also matches it written with interpuncts or spaces inside."""
    return r"[·•・‧∙ \u3000]?".join(map(re.escape, name))


def _admin_prefix(lead: str) -> str:
    """The administrative unit that ``lead`` (what was cut before a name) ends with, or ''."""
    placing = _NOT_ADMIN_LEAD.match(lead)
    tail = lead[placing.end() :] if placing else lead
    m = _ADMIN_PREFIX.search(tail)
    if m and not _NOT_ADMIN.search(m.group(0)):
        return m.group(0)
    if tail and tail[-1] in "省市县区" and (len(tail) == 1 or tail[-2] in _UNITS):
        return tail[-1]  # 市人民医院, D2区市中心医院: the city's
    return ""


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
    known_pattern: re.Pattern | None
    suffix_pattern: re.Pattern
    generic: frozenset[str] = frozenset()

    @classmethod
    def build(cls, compounds: Iterable[str] = (), generic: Iterable[str] = ()) -> PlaceFinder:
        names = {_normal(c) for c in compounds if c}
        known = tuple(sorted({n for n in names if len(n) >= 2}, key=lambda c: (-len(c), c)))
        known_pattern = re.compile("|".join(map(_tolerant, known))) if known else None
        suffixes = sorted({*_COMPOUND_SUFFIXES, *_POI_SUFFIXES, *_ROAD_SUFFIXES}, key=lambda s: (-len(s), s))
        return cls(known, known_pattern, re.compile("|".join(map(re.escape, suffixes))), frozenset(generic))

    # --- reading a name ----------------------------------------------------------------------
    @staticmethod
    def _name_start(text: str, start: int) -> tuple[int, str] | None:
        """Where the name before a suffix at ``start`` begins, and the administrative unit written right
        before it ('' if none); None when the words before the suffix are no name (本小区, 对工地)."""
        i = start
        while i > 0 and start - i < _LIMIT and text[i - 1] not in _STOP and not text[i - 1].isspace():
            i -= 1
        raw = text[i:start]
        if raw and raw[-1] in _NO_END:
            return None
        lead = _LEAD.match(raw)
        cut = lead.end() if lead else 0
        j = cut
        while len(raw) - j > 2 and raw[j] in _NO_START:
            j += 1
        return i + j, (_admin_prefix(raw[:cut]) if cut and j == cut else "")

    @staticmethod
    def _building(text: str, end: int) -> str:
        m = _BUILDING.match(text, end)
        return f"{_cn_number(m.group(1))}栋" if m else ""

    def _suffix_hit(self, text: str, suffix: str, start: int, end: int) -> _Hit | None:
        """The place whose name ends with ``suffix`` at ``start``, or None."""
        read = self._name_start(text, start)
        if read is None:
            return None
        i, prefix = read
        stem = _normal(text[i:start])
        after = text[end : end + 2]
        if suffix in _ROAD_SUFFIXES:
            if len(stem) < 2 or stem[-1].isdigit() or (suffix == "街" and after[:1] in ("道", "头")):
                return None  # 3路 is a bus line; 街道 the sub-district
            if after[:1] in ("镇", "乡", "村"):
                return None  # 七星街镇, 大路村: a town's or village's name
            if (suffix == "路" and after[:1] in _ROAD_WORD_AFTER) or _NOT_ROAD_END.search(stem + suffix):
                return None
            return _Hit(i, end, Place("road", text[i:end], stem + suffix), False)
        if suffix in _COMPOUND_SUFFIXES:
            if suffix == "社区" or len(stem) < 2 or _NOT_COMPOUND_END.search(stem) or _NOT_COMPOUND.fullmatch(stem):
                return None
            if suffix in _HEADS and (after[:1] in f"{_UNITS}村组" or after in ("街道", "社区", "新区")):
                return None  # 南苑街道, 西苑村: part of an administrative unit's name
            if suffix == "府" and stem[-1] in "政学":
                return None  # 人民政府, 高等学府
            name = text[i:end]
            return _Hit(i, end, Place("compound", name + self._building(text, end), _compound_key(name)), True)
        if (suffix in ("小学", "中学", "大学") and after[:1] == "生") or (suffix == "大学" and after[:1] == "城"):
            return None  # 中学生, 大学城
        if suffix == "市场" and after[:1] in _MARKET_WORD_AFTER:
            return None
        if stem and (_POI_KIND.fullmatch(stem) or _NOT_POI_END.search(stem)):
            return None
        if len(stem) < 2 and not (prefix and suffix in _INSTITUTIONS):
            return None
        bare = stem + suffix
        generic = len(stem) < 2 or _GENERIC_POI.fullmatch(stem) is not None or bare in self.generic
        if generic and prefix:
            first = i - len(prefix)
            return _Hit(first, end, Place("poi", text[first:end], _normal(text[first:end])), False, bare, prefix)
        return _Hit(i, end, Place("poi", text[i:end], bare), False, bare if prefix else None, prefix)

    # --- finding -------------------------------------------------------------------------
    def _scan(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        known_spans: list[tuple[int, int]] = []
        if self.known_pattern is not None:
            for m in self.known_pattern.finditer(text):
                end = m.end() + 2 if text.startswith("小区", m.end()) else m.end()
                known_spans.append((m.start(), end))
                name = text[m.start() : end]
                place = Place("compound", name + self._building(text, end), _compound_key(name))
                hits.append(_Hit(m.start(), end, place, False))
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

    With ``learn``, the frame teaches compound names and generic POI names (:func:`learn_places`),
    and records that named no place are read again for the learned compounds (A市魅力之城商铺无排烟管道
    names 魅力之城); ``known`` adds compound names accepted earlier. ``find_places(frame, finder,
    unify=False)`` equals ``locate_records(frame, learn_places(frame, finder.known))``.

    >>> frame = pl.DataFrame({"title": ["伊景园滨河苑小区停车难", "伊景园·滨河苑门口积水", "滨河苑电梯坏了"]})
    >>> find_places(frame, PlaceFinder.build())["place_key"].to_list()
    ['滨河苑', '滨河苑', '滨河苑']
    """
    if learn:
        ctx = learn_places(frame, finder.known, known)
        finder, wider = _finders(finder.known, ctx.learned, tuple(sorted({*ctx.generic, *finder.generic})))
    else:
        wider = None
    places = _locate(frame, finder, wider)
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


def _locate(frame: pl.DataFrame, finder: PlaceFinder, wider: PlaceFinder | None) -> list[Place | None]:
    cols = [c for c in _FIELDS if c in frame.columns]
    return [finder.find(*row) or (wider.find(*row) if wider else None) for row in frame.select(cols).iter_rows()]


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


def place_evidence(frame: pl.DataFrame, compounds: Sequence[str]) -> PlaceEvidence:
    """The evidence ``frame``'s records give (:class:`PlaceEvidence`), read with the registry's ``compounds``."""
    finder = PlaceFinder.build(compounds)
    evidence = PlaceEvidence()
    cols = [c for c in _FIELDS if c in frame.columns]
    for row in frame.select(cols).iter_rows():
        digest = None
        for part in row:
            for hit in finder._scan(part) if part else ():
                if hit.learnable:
                    digest = digest or hashlib.blake2b("\x1f".join(map(str, row)).encode(), digest_size=8).hexdigest()
                    evidence._add(evidence.texts, hit.place.key, digest, 2)
                    evidence._add(evidence.contexts, hit.place.key, part[hit.start - 1] if hit.start else "", 2)
                elif hit.bare and len(hit.prefix) >= 2:
                    evidence._add(evidence.units, hit.bare, hit.prefix, 8)
    return evidence


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
    names |= {k for k in map(_compound_key, known) if len(k) >= 3}
    registry = {*finder.known, *(_compound_key(c) for c in finder.known)}
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


def locate_records(frame: pl.DataFrame, ctx: LocateContext) -> pl.DataFrame:
    """The locate stage (partitioned by rows): the place each record names, keys as found.

    Equals ``find_places(frame, PlaceFinder.build(ctx.compounds), unify=False)`` when ``ctx`` was
    learned from ``frame`` (:func:`learn_places`; keys are unified across the database when read).
    """
    places = _locate(frame, *ctx.finders())
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
    "find_places",
    "learn_compounds",
    "learn_places",
    "locate_records",
    "place_evidence",
    "unify_keys",
]
