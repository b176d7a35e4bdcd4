"""Place names of a grown district: streets, communities, compounds and roads, from larger combinations.

The district of up to :data:`~demandlab.synth.district.BASE_GRIDS` grids takes its names from the short
hand-picked lists of :mod:`.district`; a grown one needs thousands. Each kind of name here is built from
two pools of characters chosen so that their combinations read like real ones (东湖街道, 桂园社区,
翠湖雅苑, 杭州东路), shuffled by the caller's random stream:

* a street is ``<stem>街道`` with a two-letter code from the stem's pinyin initials (东湖 → DH; a code
  taken already gives way to the next free one with the same first letter);
* a community is ``<stem>社区``;
* a compound is ``<prefix><suffix>`` with a two-character prefix and a residential suffix the place finder
  knows (花园, 苑, 小区, 家园, 新村, 华府, 郡 …); no compound name contains another's, and no prefix is a
  suffix (华庭花园 would read as two names);
* a road is ``<stem><form>``: a city, province or civic word and 路, 街, 大道 or a direction (长江东路).

Examples
--------
>>> import random
>>> streets = street_names(random.Random(0), 3)
>>> [len(code) for code, _ in streets], all(name.endswith("街道") for _, name in streets)
([2, 2, 2], True)
>>> len(set(compound_pool(random.Random(0)))) > 30_000
True
"""

from __future__ import annotations

import random

# --- streets: stem characters with their pinyin initials ------------------------------------------
_STREET_FIRST = {
    "东": "D", "西": "X", "南": "N", "北": "B", "中": "Z", "新": "X", "龙": "L", "凤": "F", "长": "C", "永": "Y",
    "兴": "X", "安": "A", "华": "H", "青": "Q", "白": "B", "金": "J", "石": "S", "桂": "G", "清": "Q", "云": "Y",
    "红": "H", "黄": "H", "平": "P", "万": "W", "太": "T", "文": "W", "和": "H", "泰": "T", "福": "F", "宝": "B",
}  # fmt: skip
_STREET_SECOND = {
    "湖": "H", "城": "C", "江": "J", "桥": "Q", "山": "S", "关": "G", "门": "M", "泉": "Q", "坪": "P", "塘": "T",
    "岭": "L", "港": "G", "湾": "W", "溪": "X", "河": "H", "阳": "Y", "林": "L", "坝": "B", "营": "Y", "口": "K",
}  # fmt: skip

# --- communities -----------------------------------------------------------------------------------
_COMMUNITY_FIRST = (
    "春秋桂枫清朝红文金翠长友育龙望锦玉丰永双青白荷云康宁乐福瑞祥泰安兴华明阳晨星月松竹梅兰柳杨桃樱莲菊芳碧紫银鹤"
    "鹿凤和平光民德仁嘉丽美富盛宏振建胜利新东西南北中"
)
# no 街, 路, 巷 or 道: 桂街社区 would read as a road; no 苑: 南苑社区 as a compound
_COMMUNITY_SECOND = "园林湖江河溪泉湾桥山岭坡岗坪塘港洲门关里村庄坊城亭台阁庭源井田岸屯堡华光兴安平"

# --- compounds ---------------------------------------------------------------------------------------
_COMPOUND_FIRST = (
    "锦翠金银碧紫丽秀嘉润华盛泰康怡雅瑞祥福富宏鸿景御君尚佳和融欣悦恒永天东南西北春秋香兰桂枫松柏梅荷凤龙星云阳明青"
)
# none of these starts a suffix below, so no name can hold another across its prefix and suffix; no 都,
# which the place finder reads as the adverb (也都) a name never holds
_COMPOUND_SECOND = "湖江河溪泉湾岸洲山峰岭林竹桂兰荷枫樟柳松梅桃星月云霞阳光景庭桥港亭轩阁坊城"
COMPOUND_SUFFIXES = (
    "花园", "苑", "小区", "家园", "新村", "公寓", "雅居", "新城",
    "里", "华庭", "府", "嘉园", "名苑", "华府", "雅苑", "郡",
)  # fmt: skip

# --- roads ---------------------------------------------------------------------------------------------
# cities, provinces and civic words as Chinese streets are named; none ends so that 路 or 街 makes a
# word that is no road (天水路 ends in 水路, 抚顺路 in 顺路), none holds a compound suffix (花园路, 学府路),
# an administrative unit (新乡, 镇江) or a word a name never holds (成都: 都 as in 也都)
_ROAD_STEMS = (
    "人民 解放 建设 中山 新华 文化 长江 黄河 东风 和平 工业 金桥 湖滨 南山 青年 胜利 健康 站前 朝阳 光华 友谊 "
    "体育 桂花 环城 沿江 北京 南京 上海 天津 重庆 广州 杭州 苏州 扬州 福州 泉州 漳州 厦门 汕头 深圳 珠海 佛山 韶关 "
    "长沙 湘潭 衡阳 岳阳 常德 武汉 宜昌 襄阳 荆州 郑州 洛阳 开封 济南 青岛 烟台 威海 潍坊 太原 大同 西安 延安 宝鸡 "
    "兰州 西宁 银川 绵阳 贵阳 遵义 昆明 大理 丽江 南宁 桂林 柳州 北海 海口 三亚 南昌 九江 赣州 合肥 芜湖 安庆 "
    "黄山 温州 宁波 绍兴 嘉兴 湖州 金华 台州 舟山 无锡 常州 南通 徐州 淮安 盐城 保定 唐山 沈阳 大连 鞍山 长春 "
    "吉林 延吉 包头 拉萨 喀什 伊犁 敦煌 酒泉 张掖 武威 玉门 湖南 湖北 河南 河北 山东 山西 广东 广西 江苏 浙江 安徽 "
    "福建 江西 四川 云南 贵州 陕西 甘肃 青海 辽宁 海南 新疆 西藏 宁夏 民主 民生 民族 团结 振兴 繁荣 富强 幸福 光明 "
    "复兴 红旗 劳动 工农 前进 先锋 育才 科技 创新 创业 迎宾 滨河 滨湖 沿河 环湖 府前 车站 港口 机场 邯郸 邢台 沧州 "
    "廊坊 承德 大庆 锦州 营口 丹东 辽阳 铁岭 四平 通化 白山 松原 鸡西 鹤岗 黑河 绥化 临沂 淄博 枣庄 东营 "
    "日照 德州 聊城 滨州 菏泽 泰安 济宁 焦作 安阳 鹤壁 濮阳 许昌 漯河 南阳 商丘 信阳 周口 黄石 十堰 孝感 黄冈 "
    "咸宁 随州 恩施 株洲 邵阳 益阳 郴州 永州 怀化 娄底 湛江 茂名 肇庆 惠州 梅州 河源 阳江 清远 东莞 潮州 揭阳 梧州 "
    "钦州 贵港 玉林 百色 贺州 河池 三明 莆田 南平 龙岩 宁德 景德 新余 鹰潭 吉安 宜春 抚州 上饶 淮南 淮北 铜陵 "
    "阜阳 宿州 滁州 六安 亳州 池州 宣城 衢州 泰州 宿迁"
).split()
_ROAD_FORMS = ("路", "大道", "街", "东路", "西路", "南路", "北路", "中路")


def _letters(first: str) -> list[str]:
    return [first + chr(c) for c in range(ord("A"), ord("Z") + 1)]


def street_names(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    """``n`` streets as (two-letter code, name), codes and names unique."""
    stems = [a + b for a in _STREET_FIRST for b in _STREET_SECOND if a != b]
    if n > len(stems):
        raise ValueError(f"at most {len(stems)} streets can be named, {n} asked")
    rnd.shuffle(stems)
    taken: set[str] = set()
    streets = []
    for stem in stems[:n]:
        first = _STREET_FIRST[stem[0]]
        wanted = first + _STREET_SECOND[stem[1]]
        code = next((c for c in [wanted, *_letters(first)] if c not in taken), None)
        code = code or next(c for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in _letters(a) if c not in taken)
        taken.add(code)
        streets.append((code, f"{stem}街道"))
    return streets


def community_stems(rnd: random.Random, n: int) -> list[str]:
    """``n`` distinct community stems (桂园 of 桂园社区)."""
    stems = [a + b for a in _COMMUNITY_FIRST for b in _COMMUNITY_SECOND if a != b]
    if n > len(stems):
        raise ValueError(f"at most {len(stems)} communities can be named, {n} asked")
    rnd.shuffle(stems)
    return stems[:n]


def compound_pool(rnd: random.Random) -> list[str]:
    """Every compound name of a grown district, shuffled; the caller takes them from the end."""
    prefixes = [a + b for a in _COMPOUND_FIRST for b in _COMPOUND_SECOND if a != b]
    names = [p + s for p in prefixes if p not in COMPOUND_SUFFIXES for s in COMPOUND_SUFFIXES]
    rnd.shuffle(names)
    return names


def road_names(rnd: random.Random, n: int) -> list[str]:
    """``n`` distinct road names."""
    roads = [stem + form for stem in _ROAD_STEMS for form in _ROAD_FORMS]
    if n > len(roads):
        raise ValueError(f"at most {len(roads)} roads can be named, {n} asked")
    rnd.shuffle(roads)
    return roads[:n]
