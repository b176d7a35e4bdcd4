"""The grammar of place names: the words that end a compound's, a point of interest's or a road's
name, the characters a name never contains or starts or ends with, the words of a sentence cut off
before a name, administrative units, and the kinds of place that are no name (老旧小区, 断头路).

Chinese grammar and the general vocabulary of places, not any city's place names; read by
:class:`demandlab.signals.places.PlaceFinder` (whose docstring states the rules these serve).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ahocorasick_rs import AhoCorasick, MatchKind

# single-character residential heads (伊景园滨河苑, 仰山郡, 中南闻荷府); 园, 庭, 城, 居, 里 and 湾 end too
# many common words or rural hamlets (公园, 家庭, 县城, 邻居, 这里, 螺蛳湾组) and are only found when learned
HEADS = ("苑", "郡", "府")
COMPOUND_SUFFIXES = (
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
    *HEADS,
)
POI_SUFFIXES = (
    "农贸市场", "菜市场", "菜场", "市场", "超市", "商场", "饭店", "餐馆", "餐厅", "酒店", "烧烤店", "夜宵摊",
    "大排档", "小吃店", "棋牌室", "网吧", "歌厅", "酒吧", "学校", "小学", "中学", "大学", "学院", "幼儿园",
    "医院", "卫生院", "卫生室", "诊所", "搅拌站", "工地", "加油站", "充电站", "公园", "广场", "地铁站",
    "公交站", "停车场", "垃圾站", "中转站", "泵房", "工厂", "厂",
)  # fmt: skip
ROAD_SUFFIXES = ("大道", "路", "街", "巷")
# institutions whose name may be only the administrative unit (A市学院, L5县医院, 泉塘镇卫生院)
INSTITUTIONS = ("医院", "卫生院", "学校", "小学", "中学", "大学", "学院", "幼儿园")
LIMIT = 8  # characters read leftwards from a suffix

# characters a name does not contain: grammar words, pronouns and demonstratives, verbs of speech,
# conjunctions, punctuation and placeholders' brackets (and any space, see _name_start)
STOP = set("的了是在把被给让向往于这那些个等也都还就又很与及或从到去")
STOP |= set("其该此我你他她它们称说请而但却虽并且没有已须至哪")
STOP |= set("，。、；：？！,.;:?!()（）【】[]“”\"'《》〔〕<>〈〉「」『』…—～~/\\|*＊#＃@&%")
# characters a name does not end in: a preposition or deictic before the suffix (本小区, 各学校, 对工地)
NO_END = set("本各每对为以将")
# characters cut from the start of a name while at least two remain (对翠湖小区, 本市场)
NO_START = set("本对为系不要以将由原")
# what may be written before a name and is not part of it, cut up to its last occurrence:
# an administrative unit, a road, a placing word, or a function word of the sentence
ADMIN_WORDS = r"[A-Z]\d*[市区县]|省|市|区|县|镇|乡|街道|社区"
ROAD_WORDS = r"大道|路|街|巷"
SENTENCE_WORDS = (
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
PLACING = "|".join(
    [r"[东西南北]侧", r"住(?![宅房户])", r"(?<=[园学院场店厂校站馆])和", *sorted(SENTENCE_WORDS, key=len)[::-1]]
)
LEAD = re.compile(f".*(?:{ADMIN_WORDS}|{ROAD_WORDS}|{PLACING})")
NOT_ADMIN_LEAD = re.compile(f".*(?:{ROAD_WORDS}|{PLACING})")
# an administrative unit as written right before a name: A市, M3县, 温州市, 泉塘镇
ADMIN_PREFIX = re.compile(r"(?:[A-Z]\d*|(?:(?![省市县区镇乡])[\u4e00-\u9fff]){2,4})[省市县区镇乡]$")
UNITS = "省市县区镇乡"
# words ending like a unit that are none (翠湖小区, 超市, 乡镇)
NOT_ADMIN = re.compile(
    "(?:小区|社区|城区|市区|景区|园区|厂区|校区|片区|辖区|街区|院区|病区|学区|山区|郊区|超市|菜市|夜市|集市|城市|"
    "都市|门市|城镇|乡镇|城乡|家乡|老乡|下乡)$"
)

NUMBER = r"(\d{1,3}|[一二三四五六七八九十]{1,3})"
CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九十")}
# words ending in a road suffix that are no road: generic roads, kinds of road, verbs and figures of speech
NOT_ROADS = (
    "马路 道路 一路 公路 过马路 这条路 那条路 上路 出路 走路 线路 电路 水路 之路 修路 挖路 毁路 堵路 铺路 让路 带路 "
    "问路 迷路 顺路 沿路 跑路 绝路 活路 死路 退路 去路 套路 思路 销路 网路 过路 无路 有路 条路 岔路 旁路 便路 土路 "
    "维权路 铁路 断头路 水泥路 泥巴路 泥泞路 石板路 柏油路 砂石路 沙石路 渣石路 硬化路 高速路 快速路 交叉路 十字路 "
    "丁字路 支路 "
    "大街 满大街 上街 逛街 过街 沿街 当街 一条街 整条街 步行街 商业街 美食街 小吃街"
).split()
NOT_ROAD_END = re.compile(f"(?:{'|'.join(map(re.escape, sorted(NOT_ROADS, key=len, reverse=True)))})$")
ROAD_WORD_AFTER = set("线灯费况过人程途演由数子径基")  # 路线, 路灯 …: 路 starts another word
# a compound's stem that is a kind of compound, not a name: 老旧小区, 所在小区, 安置小区, 住宅小区
KIND_END = (
    "老旧|老式|所在|周边|周围|附近|隔壁|其他|其它|别的|同一|整个|多个|各个|某个|几个|开放式|封闭式|新建|在建|"
    "无物业|高档|大型|商品房"
)
KIND_WORDS = (
    f"{KIND_END}|老|旧|新|住宅|商住|安置|拆迁|回迁|还建|保障房|公租房|廉租房|经适房|经济适用房|物业|普通|城中村|农村|"
    "城市|城镇|老城区|一些|部分|很多|许多|所有|全部|相邻|邻近|单位|职工|宿舍|家属|居民|高层|多层|低层|小|大|型|平安|"
    "和谐|文明|示范|美丽|智慧|绿色|生态|一个|两个|某"
)
NOT_COMPOUND_END = re.compile(f"(?:{KIND_END})$")
NOT_COMPOUND = re.compile(f"(?:{KIND_WORDS})+")
# a point of interest's stem that only says what kind of institution it is: 人民医院, 第一中学 …
GENERIC_POI = re.compile(
    r"(?:人民|中心|中医|中西医结合|妇幼保健|妇幼|妇女儿童|儿童|第?[一二三四五六七八九十百零〇\d]+|职业技术|职业|技术|专业|"
    r"实验|附属|中等|高级|初级|城关|机关|市立|县立|区立|省立|卫生|公共|综合|完全|九年制|九年一贯制|寄宿制|中小|中)*"
)
# … or a kind of institution, which is no place: 民办学校, 其他医院, 附近超市, 三甲医院, 几家医院
POI_KIND_END = "|".join(
    "公办 民办 公立 私立 民营 所有 一些 部分 其他 其它 附近 周边 各级 当地 定点 指定 相关 有关 正规 大型 小型".split()
)
POI_KIND = re.compile(
    rf"(?:{POI_KIND_END}|重点|示范|普通|黑|各类|一个|某|[一二三][级甲]|甲等|乙等|级|[一几多两三这那每各][家所个座名位]|"
    r"本地|房地产|房产|金融|资本|股票|证券|劳动力|消费|保险|新|老|大|小)+"
)
NOT_POI_END = re.compile(f"(?:{POI_KIND_END})$")
MARKET_WORD_AFTER = set("监管化价经主准秩行需份")  # 市场监管, 市场化 …
BUILDING = re.compile(NUMBER + r"(?:栋|号楼|幢)")
KEY_DROP = re.compile(r"[·•・‧∙\s]")  # interpuncts and spaces written inside a name


def cn_number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + CN_DIGITS.get(text[1], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return CN_DIGITS.get(tens, 1) * 10 + (CN_DIGITS.get(ones, 0) if ones else 0)
    return CN_DIGITS.get(text, 0)


def normal_name(name: str) -> str:
    """A name without the interpuncts and spaces people write inside it (伊景园·滨河苑 → 伊景园滨河苑)."""
    return KEY_DROP.sub("", name)


def compound_key(name: str) -> str:
    key = normal_name(name)
    return key.removesuffix("小区") if len(key) >= 4 else key


#: What people write inside a known name without parting it (伊景园·滨河苑, 伊景园 滨河苑).
NAME_SEPARATORS = "·•・‧∙ \u3000"
_DROP_SEPARATORS = str.maketrans("", "", NAME_SEPARATORS)


class KnownNames:
    """Where known names are written in a text: leftmost first, at one position the longest name, no two
    overlapping; interpuncts and spaces (:data:`NAME_SEPARATORS`) may be written inside a name.

    One Aho–Corasick automaton over all the names, built in milliseconds (a regular expression alternating
    the 3,400 names of a 3,000,000-record district took about a second to compile); a run of separators
    inside a name is stripped with the others.

    >>> KnownNames(["翠湖", "翠湖花园", "湖滨"]).spans("在翠湖·花园里，和湖滨路")
    [(1, 6), (9, 11)]
    """

    def __init__(self, names: Iterable[str]):
        self.names = tuple(names)
        self._automaton = AhoCorasick(list(self.names), matchkind=MatchKind.LeftmostLongest)

    def __reduce__(self):  # the automaton does not pickle: a copy builds its own
        return (KnownNames, (self.names,))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, KnownNames) and other.names == self.names

    def __hash__(self) -> int:
        return hash(self.names)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """(start, end) of each known name in ``text``, separators inside it included."""
        stripped = text.translate(_DROP_SEPARATORS)
        found = self._automaton.find_matches_as_indexes(stripped)
        if len(stripped) == len(text) or not found:
            return [(start, end) for _, start, end in found]
        kept = [i for i, ch in enumerate(text) if ch not in NAME_SEPARATORS]
        return [(kept[start], kept[end - 1] + 1) for _, start, end in found]


def admin_prefix(lead: str) -> str:
    """The administrative unit that ``lead`` (what was cut before a name) ends with, or ''."""
    placing = NOT_ADMIN_LEAD.match(lead)
    tail = lead[placing.end() :] if placing else lead
    m = ADMIN_PREFIX.search(tail)
    if m and not NOT_ADMIN.search(m.group(0)):
        return m.group(0)
    if tail and tail[-1] in "省市县区" and (len(tail) == 1 or tail[-2] in UNITS):
        return tail[-1]  # 市人民医院, D2区市中心医院: the city's
    return ""
