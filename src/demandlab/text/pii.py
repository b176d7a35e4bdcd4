"""Personal-data masking: typed placeholders instead of numbers and names.

What is masked, in this order (later rules see earlier placeholders):

============ ============================================================ ==============
type         what it catches                                              placeholder
============ ============================================================ ==============
email        name@host.tld, and written to dodge scrapers: ``@qq。com``,    〔邮箱〕
             ``at qq dot com``, ``(at)``, ``#``; any value after 邮箱：
id_number    18-digit (date- or checksum-valid, x/X, spaces or dashes        〔身份证号〕
             anywhere) and 15-digit IDs; any 14–18 digits after 身份证/证件号
passport     E/G + 8 digits, E + letter + 7 digits; any value after 护照      〔护照号〕
permit       港澳通行证 C/W + 8 digits, 回乡证 H/M + 8 or 10 digits; any      〔通行证号〕
             value after 通行证/回乡证/台胞证
bank_card    16–19 digits passing the Luhn check; 4-4-4-4 groups; any 12–19  〔银行卡号〕
             digits after 银行卡/卡号/账号, Luhn or not
mobile       1[3-9]x xxxx xxxx in digits or Chinese numerals (一三九…,       〔手机号〕
             幺三七…, mixed), +86/0086, spaces, dashes or dots anywhere
landline     0xx(x)-xxxxxxx(x), (0xx)xxxxxxxx, extensions; any 7+ digits      〔座机号〕
             after 电话/座机/号码 that are not a mobile
qq / wechat  the value after QQ / 微信 / VX labels                            〔QQ号〕/〔微信号〕
plate        province + letter + 5 (6 for new-energy) in any case, with     〔车牌号〕
             spaces or middle dots, O/I written for 0/1; any value after 车牌
room         3栋2单元501(室), 5栋1102, 3门402, B座1203, 5楼502, 3-2-501,     〔房号〕
             501室, 房号/住在 + number
house_number the number of a house in a lane: 某某里17号, 某巷3号, 123弄45号   〔门牌号〕
name         any value after 姓名/联系人/户主/业主/当事人… (also ``姓 名：``   〔姓名〕
             and JSON ``"姓名": "…"``); a name after a role or a
             self-reference (业主X, 我是X, 本人X, 租户小X, 独居老人X); later
             names of a list (〔姓名〕、X); 王先生 / 李阿姨 / 张师傅 / 王主任;
             我姓王, 我叫…
============ ============================================================ ==============

It leaves what analysts need: the 12345 line and 110/119/120, dates and times,
money, counts, years, bus routes (3路), building and unit numbers (3栋2单元),
road numbers (人民路123号: a road number locates a building, not a household),
postcodes (a postcode covers thousands of households: not personal), and
numbers labelled as work-order, order or case numbers (工单号…). Text is expected
to be normalised first (:func:`demandlab.text.normalize`): full-width digits are
ASCII, and zero-width and bidirectional control characters are gone.

A name without a label is told from words by the jieba dictionary shipped with the package
(业主方面, 村民都知道, 市民来电反映 stay; see ``_name_check``): a candidate that is a common
word, or starts with a rare surname that is mostly a word's first character, is a name only
when a verb of speaking or a phone follows it.

Beyond free text, :func:`mask_dept`, :func:`mask_building` and
:func:`grid_worker_keys` clean the columns that hold a unit, a place or a
member of staff.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

PLACEHOLDER = {
    "email": "〔邮箱〕",
    "id_number": "〔身份证号〕",
    "passport": "〔护照号〕",
    "permit": "〔通行证号〕",
    "bank_card": "〔银行卡号〕",
    "mobile": "〔手机号〕",
    "landline": "〔座机号〕",
    "qq": "〔QQ号〕",
    "wechat": "〔微信号〕",
    "plate": "〔车牌号〕",
    "room": "〔房号〕",
    "house_number": "〔门牌号〕",
    "name": "〔姓名〕",
}
PLACEHOLDER_PATTERN = re.compile("〔[^〔〕]{1,6}〕")

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
    "向常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴"
    "霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景"
    "党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封"
    "谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰"
    "支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危"
    "玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "司马",
    "上官",
    "诸葛",
    "东方",
    "皇甫",
    "令狐",
    "慕容",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "端木",
)
# characters that are surnames but far more often a preposition or verb right before a name or title
_NOT_BEFORE_HONORIFIC = set("和与对给跟被把让叫请找问帮替为同")
HONORIFICS = (
    "先生",
    "女士",
    "小姐",
    "阿姨",
    "大爷",
    "大妈",
    "大娘",
    "奶奶",
    "爷爷",
    "大姐",
    "大哥",
    "老太",
    "老伯",
    "叔叔",
    "伯伯",
    "婆婆",
    "阿婆",
    "大叔",
    "大婶",
    "大嫂",
)
# titles that also follow prepositions (向老师反映, 于师傅处): 向 / 于 are not taken as surnames before them
TITLES = (
    "老师",
    "师傅",
    "同志",
    "主任",
    "书记",
    "经理",
    "队长",
    "站长",
    "所长",
    "科长",
    "局长",
    "处长",
    "部长",
    "组长",
    "院长",
    "校长",
    "医生",
    "大夫",
    "警官",
    "律师",
    "会计",
    "老板",
    "教练",
    "护士",
)
#: labels after which the value is a name whatever it looks like (fail-closed)
NAME_LABELS = (
    "联系人姓名",
    "紧急联系人",
    "业主姓名",
    "户主姓名",
    "租户姓名",
    "居民姓名",
    "老人姓名",
    "客户姓名",
    "用户姓名",
    "真实姓名",
    "被走访人",
    "走访对象",
    "服务对象",
    "姓名",
    "名字",
    "称呼",
    "联系人",
    "举报人",
    "投诉人",
    "来电人",
    "反映人",
    "当事人",
    "申请人",
    "求助人",
    "报警人",
    "监护人",
    "代理人",
    "委托人",
    "负责人",
    "经办人",
    "收件人",
    "承租人",
    "出租人",
    "户主",
    "业主",
    "房主",
    "房东",
    "租户",
    "住户",
    "患者",
    "家属",
    "网格员",
)
_LATIN_NAME_KEYS = ("real_name", "realname", "contact_name", "user_name", "username", "contact", "owner", "name")
#: words after which a name often follows without a colon (业主王某, 我是李明, 独居老人张秀英)
CONTEXT_WORDS = (
    "我是",
    "本人",
    "独居老人",
    "空巢老人",
    "孤寡老人",
    "高龄老人",
    "留守老人",
    "留守儿童",
    "重点关爱对象",
    "低保户",
    "残疾人",
    "困难户",
    "老人",
    "居民",
    "市民",
    "村民",
    "网友",
    "车主",
    "租客",
    "房客",
    "邻居",
    "老伴",
    "儿子",
    "女儿",
    "丈夫",
    "妻子",
    "爱人",
    "母亲",
    "父亲",
    "孙子",
    "孙女",
    "老公",
    "老婆",
    "孩子",
    "学生",
    "病人",
    "网格长",
    "社工",
    "楼长",
    "志愿者",
    "快递员",
    "外卖员",
    "保姆",
)
#: words that end in a surname character and come right before an honorific or title: 保安师傅, 其余老师
ROLE_WORDS = frozenset(
    """
    保安 门卫 维修 装修 宿管 社区 语文 音乐 主任 物管 网格 楼长 班长 村长 队长 校长 院长 所长 站长 店长
    厂长 组长 科长 局长 处长 部长 司机 保洁 护工 月嫂 家政 厨房 食堂 后勤 城管 交警 民警 辅警 法官 律师
    医生 护士 党员 居民 市民 业主 住户 租户 网友 同事 邻居 老人 小孩 孩子 学生 家长 员工 领导 干部
    其余 业余 多余 剩余 课余 之余 历史 片区 辖区 园区 景区 小区 城区 街区 校区 厂区 新区 老区 山区 郊区
    修车 开车 洗车 租车 公安 治安 平安 保安 联防 消防 国防 人防 驾校 学校 党校 高校 车管 主管 分管 监管
    托管 接管 房管 网管 总管 交管 城关 海关 机关 公关 相关 有关 无关 过关 把关 攻关 难关 关于 文明 光明
    说明 证明 查明 表明 标明 声明 注明 讲明 言明 分明 透明 指明 阐明 写明 载明 聪明 失明 清明 黎明
    公司 工商 售楼
    """.split()
)
# words that are not names although they read like 小/老 + surname (小区, 老公): checked on the nickname form
_NOT_NICKNAMES = frozenset(
    """
    小区 小时 小孩 小姐 小学 小卖 小吃 小路 小巷 小院 小河 小组 小伙 小型 小事 小车 小店 小贩 小狗 小猫
    小朋 小年 小雨 小米 小麦 小便 小心 小说 小品 小家 小名 小额 小微 小康 小满 小寒 小暑 小海
    老师 老公 老区 老房 老楼 老车 老旧 老年 老化 老家 老伴 老板 老人 老乡 老式 老是 老太 老汉 老街 老城
    老宅 老屋 老树 老鼠 老虎 老大 老二 老三 老实 老早 老毛 老百 老干 老党 老同 老方 老字 老总 老伯 老婆
    阿姨 阿婆 阿公 阿伯 阿拉
    """.split()
)
# where a name written after a role, a label or a self-reference ends
_NAME_END_WORDS = (
    "反映|称|表示|说|讲|来电|电话|手机|联系|投诉|举报|报警|求助|诉求|要求|希望|住|家|的|在|今年|夫妇|一家|等|"
    "也|都|均|已|是|因|到|去|来|请|想|经常|每天|多次|反复|走访|上门|入户|同意|不同意|身份证|性别|年龄|男|女|岁|"
    "两人|三人|几人|"
    "和|与|及|、"
)
# ends that make a name of even a common word (业主高峰反映 …): the person speaks or is reached
_STRONG_END = re.compile("反映|称|表示|说|讲|来电|电话|手机|联系|投诉|举报|报警|求助|今年|夫妇|一家|身份证")
_NOT_VALUES = frozenset("不详 未知 无 暂无 匿名 保密 略 空 待核实 未提供 不愿透露 本人 同上 见上 略去".split())
_FUNCTION_CHARS = "的了是在与及或也都就还又很不没未这那们着过吗呢吧啊呀说称把被让给向于从对等已"

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_NUM_CN = "0-9一二三四五六七八九十两"
_NUMERAL = "0-9〇零一二三四五六七八九幺两"
_NUMERAL_VALUE = str.maketrans("〇零一二三四五六七八九幺两", "0012345678912")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_SPECIAL = "挂学警港澳领试超"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """True if the 18-character ID number carries a valid GB 11643 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True)) % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    """True if ``digits`` pass the Luhn check that bank-card numbers carry."""
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_DATE8 = re.compile(r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_DATE6 = re.compile(r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_NOT_DIGIT = re.compile(r"[^0-9Xx]")


# --- the rule engine -------------------------------------------------------------------------
Span = tuple[int, int, str]
Gate = re.Pattern[str] | tuple[str, ...]


def _passes(gate: Gate, text: str) -> bool:
    if isinstance(gate, tuple):
        return any(word in text for word in gate)
    return gate.search(text) is not None


@dataclass(frozen=True)
class Rule:
    """One masking rule: a pattern with a group ``v`` (the value), and an optional check.

    ``check(match)`` returns the span to mask and its type, or ``None`` to leave the match;
    without a check, group ``v`` is masked as ``kind``. ``needs`` are cheap gates the text must
    pass for the rule to run at all: a pattern to find, or words of which one must occur
    (gates are shared between rules, and each is tested once per text). ``repeat`` runs the rule
    until nothing changes (a list of names, each found after the previous one was masked).
    """

    kind: str
    pattern: re.Pattern[str]
    check: Callable[[re.Match[str]], Span | None] | None = None
    needs: tuple[Gate, ...] = ()
    repeat: bool = False

    def apply(self, text: str, found: list[tuple[str, str]] | None) -> str:
        def sub(m: re.Match[str]) -> str:
            span = self.check(m) if self.check is not None else (m.start("v"), m.end("v"), self.kind)
            if span is None:
                return m.group(0)
            start, end, kind = span
            if found is not None:
                found.append((kind, m.string[start:end]))
            return m.string[m.start() : start] + PLACEHOLDER[kind] + m.string[end : m.end()]

        out = self.pattern.sub(sub, text)
        while self.repeat and out != text:
            text, out = out, self.pattern.sub(sub, out)
        return out


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text.translate(_NUMERAL_VALUE))


# --- numbers ---------------------------------------------------------------------------------
def _id18(m: re.Match[str]) -> Span | None:
    number = _digits(m.group("v")).upper()
    if len(number) != 18 or "X" in number[:17]:
        return None
    if _DATE8.fullmatch(number[6:14]) or id_checksum_ok(number):
        return m.start("v"), m.end("v"), "id_number"
    return None


def _id15(m: re.Match[str]) -> Span | None:
    number = _digits(m.group("v"))
    return (m.start("v"), m.end("v"), "id_number") if _DATE6.fullmatch(number[6:12]) else None


def _card(m: re.Match[str]) -> Span | None:
    digits = _digits(m.group("v"))
    return (m.start("v"), m.end("v"), "bank_card") if 16 <= len(digits) <= 19 and luhn_ok(digits) else None


def _card_groups(m: re.Match[str]) -> Span | None:
    groups = re.split(r"[ -]", m.group("v"))
    if all(re.fullmatch(r"(?:19|20)\d{2}", g) for g in groups):  # 2019-2020-2021-2022: years, not a card
        return None
    return m.start("v"), m.end("v"), "bank_card"


def _phone_kind(m: re.Match[str]) -> Span | None:
    """A number after a phone label: a mobile if it reads as one, else a landline (fail-closed).

    A run longer than a phone (0731-84567890 2014年) is cut at the last space that leaves a
    phone's worth of digits before it.
    """
    start, end = m.start("v"), m.end("v")
    value = m.group("v")
    ascii_part = re.match(r"[0-9 \-.·]+", value)
    if ascii_part and len(_digits(ascii_part.group(0))) >= 7 and ascii_part.end() < len(value):
        value = ascii_part.group(0).rstrip(" -.·")  # 88886666一直打不通: 一直 is the next word
        end = start + len(value)
    digits = _digits(value)
    if len(digits) > 12:
        for space in reversed([i for i, c in enumerate(value) if c == " "]):
            if 7 <= len(_digits(value[:space])) <= 12:
                end = start + len(value[:space].rstrip(" -.·"))
                digits = _digits(value[:space])
                break
    if len(digits) < 7 or (digits.startswith("12345") and len(digits) <= 8):
        return None
    kind = "mobile" if re.fullmatch(r"(?:0086|86)?1[3-9]\d{9}", digits) else "landline"
    return start, end, kind


def _mobile(m: re.Match[str]) -> Span | None:
    digits = _digits(m.group("v"))
    return (m.start("v"), m.end("v"), "mobile") if re.search(r"1[3-9]\d{9}$", digits) else None


def _plate(m: re.Match[str]) -> Span | None:
    value = m.group("v")
    body = re.sub(r"[ ·.\-]", "", value)[1:]  # after the province
    special = body[-1] in _PLATE_SPECIAL
    tail = body[1:-1] if special else body[1:]
    if len(tail) not in ((4, 5) if special else (5, 6)):
        return None
    digits = sum(c.isdigit() for c in tail)
    look_alike = sum(c in "OoIi" for c in tail)  # 琼AOOS16: O and I written for 0 and 1
    if digits >= 2 or (digits >= 1 and digits + look_alike >= 3):
        return m.start("v"), m.end("v"), "plate"
    return None


def _labelled_plate(m: re.Match[str]) -> Span | None:
    return (m.start("v"), m.end("v"), "plate") if sum(c.isdigit() for c in m.group("v")) >= 2 else None


# --- names -----------------------------------------------------------------------------------
@cache
def _dictionary() -> tuple[dict[str, int], frozenset[str]]:
    """From the jieba dictionary shipped with the package (no download), two word lists.

    * words of 2–3 characters that begin like a name (方面, 居民, 小区, 老公), with their
      frequency; a word tagged as a person name counts only when frequent (明白, 文明, 阳光 are
      tagged so too);
    * very frequent two-character words (如此, 知道, 中心, 使用): a name's given part is never one
      (建国, a given name, is far below the threshold).
    """
    starts = set(SURNAMES) | set("小老阿")
    name_like: dict[str, int] = {}
    frequent: set[str] = set()
    text = resources.files("jieba").joinpath("dict.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        word, freq, tag = line.split(" ")
        n = len(word)
        if n > 3 or n < 2:
            continue
        f = int(freq)
        if n == 2 and f >= _FREQUENT_WORD:
            frequent.add(word)
        if word[0] in starts and ((tag not in ("nr", "nrfg", "nrt") and f >= 20) or (n == 2 and f >= 300)):
            name_like[word] = f
    return name_like, frozenset(frequent)


# above these frequencies a word is never a name, even when what follows reads like a person speaking
_ALWAYS_A_WORD = 3000
_FREQUENT_WORD = 5000
_PREFIX_WORD = 1000
# the hundred commonest surnames (SURNAMES up to 向) name a person after a role word on their own; a rarer
# surname is far more often a word's first character (都要, 连电, 来住, 房爆破) and needs a person speaking
_COMMON_SURNAMES = frozenset(SURNAMES[: SURNAMES.index("向")]) - {"于"}
# a name never ends in these: 田庄村, 江南里, 东方新城 are places
_PLACE_END = frozenset("村镇县区市路街店厂苑府城里园庭湾岛港寓厦居阁轩墅邸校馆站局所队组部社处科室")


def _is_common_word(candidate: str) -> bool:
    return candidate in _dictionary()[0] or candidate[:2] in _NOT_NICKNAMES


def reads_as_word(name: str) -> bool:
    """True if a name reads as a common word, wholly or in part (白河, 高峰, 小区, 韩国刚).

    Such a name is masked only where a label or a speaking verb marks it as a name; the synthetic
    district does not plant one where only a role word does, since a person would not read it as
    a name either.

    >>> reads_as_word("白河"), reads_as_word("王建国")
    (True, False)
    """
    name_like, frequent = _dictionary()
    return (
        name in name_like
        or name[:2] in name_like
        or name[:2] in _NOT_NICKNAMES
        or (len(name) == 3 and name[1:] in frequent)
    )


def _name_check(m: re.Match[str], label: bool, listed: bool = False) -> Span | None:
    """Is group ``v`` a name, or words that read like one (业主方面, 村民都知道, 市民来电反映)?

    Two doubts make a candidate words: it is in the dictionary (高峰, 来电), or its surname is a
    rare one that is far more often a word's first character (都, 连, 来). Both together: words.
    One alone is cleared by what follows: a verb of speaking or a phone (业主高峰反映), or, after a
    label, the end of the phrase (投诉人于晨。). A name never runs into a frequent word (本人申请国家,
    时期正是; but in a list of names 叶子清 is one) nor ends like a place (田庄村).
    """
    value, end, text = m.group("v"), m.end("v"), m.string
    if value in _NOT_NICKNAMES or value[:2] in _NOT_NICKNAMES or value[-1] in _PLACE_END:
        return None
    name_like, frequent = _dictionary()
    runs_on = end < len(text) and _CJK_CHAR.match(text, end) is not None
    strong = _STRONG_END.match(text, end) is not None
    common_surname = value[0] in _COMMON_SURNAMES or bool(_COMPOUND_START.match(value))
    if len(value) == 3 and value[1:] in frequent and not (label and not runs_on and common_surname):
        return None  # 村民都知道, 举报人于今年; but 投诉人邵建成。 is a name
    if len(value) == 3 and runs_on and not listed and name_like.get(value[:2], 0) >= _PREFIX_WORD:
        return None
    freq = name_like.get(value)
    if freq is not None and freq >= _ALWAYS_A_WORD:
        return None
    word = freq is not None
    rare = not (value[0] in _COMMON_SURNAMES or value[0] in "小老阿" or _COMPOUND_START.match(value))
    if word and rare:
        return None
    if value[0] in "向于":  # 向物业反映, 于上周反映: prepositions, unless a label's phrase ends with the name
        return (m.start("v"), end, "name") if label and not runs_on and not word else None
    if (word or rare) and not (strong or (label and not runs_on)):
        return None
    return m.start("v"), end, "name"


def _listed_name(m: re.Match[str]) -> Span | None:
    """A later name of a list (当事人〔姓名〕、叶子清): the list says it is a name, as a label would.

    After a comma the list may have ended (姓名：〔姓名〕，银杏府11栋…): a rare surname then needs a
    person speaking, as after a role word.
    """
    comma = "，" in m.group("pre") or "," in m.group("pre")
    if comma and m.string[m.end("v") : m.end("v") + 1].isdigit():  # 〔姓名〕，东方雅居7号楼: a place
        return None
    return _name_check(m, label=not comma, listed=True)


def _contextual_name(m: re.Match[str]) -> Span | None:
    """A name after a role or a self-reference (业主王建国反映, 我是李明，), see :func:`_name_check`."""
    return _name_check(m, label=False)


_CUT = re.compile(
    "反映|称|表示|说|来电|电话|手机|联系|性别|年龄|身份证|地址|住址|户籍|现住|住在|家住|先生|女士|同志|投诉|举报|"
    "要求|希望|报警|求助|诉求|今年|夫妇|等人|一家|男|女|岁|家|住|的"
)
_ROLE_PREFIX = re.compile("|".join(sorted((w for w in CONTEXT_WORDS if w not in ("我是", "本人")), key=len)[::-1]))
_COMPOUND_START = re.compile("|".join(COMPOUND_SURNAMES))
_SURNAME_BEFORE_TITLE = re.compile(
    "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SURNAMES + "])(?=" + "|".join(HONORIFICS + TITLES) + ")"
)
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff·]")


def _label_value(m: re.Match[str]) -> Span | None:
    """The value after a name label and a colon: masked whatever it looks like, up to a boundary.

    A quoted value (JSON) or a Latin one is masked whole. Otherwise a role written first stays
    (走访对象：独居老人王某), a surname before an honorific is masked alone (联系人：王先生), and a
    value that begins with a verb is speech, not a name (业主：反映楼上漏水). The name runs to the
    first word that begins what follows it (张三性别男 → 张三); a value that stands alone as the
    field (up to 8 characters, then punctuation) is masked whole (户主：阿布都热依木); else three
    characters are taken (four after a compound surname): a name that runs on into the sentence
    loses a following character rather than keeps one of its own.
    """
    start = m.start("v")
    value = m.group("v")
    if value in _NOT_VALUES:
        return None
    if m.group("q3") or value[0].isascii():
        return start, m.end("v"), "name"
    role = _ROLE_PREFIX.match(value)
    if role:
        start += role.end()
        value = value[role.end() :]
        if not value or value in _NOT_VALUES:
            return None
    if _CUT.match(value):
        return None
    honorific = _SURNAME_BEFORE_TITLE.match(value)
    if honorific:
        return start, start + honorific.end(), "name"
    longest = 4 if _COMPOUND_START.match(value) or "·" in value[:5] else 3
    cut = _CUT.search(value, longest - 1)
    if cut is not None:
        return start, start + cut.start(), "name"
    ended = m.end("v") == len(m.string) or not _CJK_CHAR.match(m.string, m.end("v"))
    if len(value) <= 8 and ended:
        return start, start + len(value), "name"
    return start, start + min(longest, len(value)), "name"


def _unless_role(m: re.Match[str]) -> Span | None:
    """Mask the surname unless it ends a word (保安师傅, 社区阿姨, 其余老师)."""
    start = m.start("v")
    if start > 0 and m.string[start - 1 : start + 1] in ROLE_WORDS:
        return None
    return start, m.end("v"), "name"


def _room(m: re.Match[str]) -> Span:
    return m.start("v"), m.end("v"), "room"


def _spaced(word: str) -> str:
    """A label as people type it in forms, with spaces between its characters: 姓 名："""
    return r"\s?".join(re.escape(c) for c in word)


_SUR = "[" + SURNAMES + "]"
_SUR_HON = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC | {"阿", "师"}) + "]"
# 向/于 read as prepositions before a title (向老师反映); 车/班/位 end words (修车师傅, 值班医生, 这位医生)
_SUR_TITLE = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC | set("向于车班位阿")) + "]"
_SUR_CTX = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC) + "]"
_COMPOUND = "|".join(COMPOUND_SURNAMES)
_HON_OR_TITLE = "|".join(HONORIFICS + TITLES)
_GIVEN = f"(?![{_FUNCTION_CHARS}])[{_CJK}]"
# a name: a surname and one or two given characters (never a surname followed by an honorific,
# which the honorific rule masks as 〔姓名〕女士), or a nickname: 小王, 老李, 阿强
_NAME = (
    # 韦哲和、高琛德: a given name ending in a character that usually ends a name's phrase (和, 家, 等 …)
    # is whole when a list separator follows it
    rf"(?:(?:{_COMPOUND}|{_SUR_CTX})(?!{_HON_OR_TITLE}){_GIVEN}[和家等住在也都是已](?=[、，,。；;\s])"
    rf"|(?:{_COMPOUND}|{_SUR_CTX})(?!{_HON_OR_TITLE})(?:{_GIVEN}){{1,2}}?|[小老]{_SUR}|阿{_GIVEN})"
)
_END = rf"(?=[^{_CJK}]|$|{_NAME_END_WORDS})"
_LABELS = "|".join(NAME_LABELS)
_LABELS_SPACED = "|".join(_spaced(label) for label in NAME_LABELS)
_CONTEXT = "|".join(sorted(CONTEXT_WORDS, key=len, reverse=True))

# a phone's digits, with a space, a dash, a dot or a middle dot anywhere between them
_SEP = r"[ \u00a0]?[\-.·]?[ \u00a0]?"
_DOT = r"(?:\s*[.。．]\s*|\s*[(\[（【]\s*(?:dot|DOT|点)\s*[)\]）】]\s*|\s+(?:dot|DOT)\s+|点)"
_AT_SIGN = r"(?:\s*[@＠#]\s*|\s*[(\[（【]\s*(?:at|AT|艾特)\s*[)\]）】]\s*|\s+(?:at|AT)\s+)"
_TLD = r"(?:com|cn|net|org|edu|gov|top|vip|cc|io|me|info|biz|co|hk|tw|mo|uk|us|de|jp|xyz|COM|CN|NET|ORG)"
# a room number ends with 室/房/号, or where no count, measure or year follows (10栋 200米, 5栋2019年);
# after two digits no floor either (3单元12楼): a room has three or four
_NOT_AFTER_ROOM = r"[0-9]|\s*(?:[米元户人平个次年月日辆斤多余块分公号单线路A-Za-z㎡]|万|千|国道|省道|县道|乡道)"
_ROOM_END = rf"(?:\s*(?:室|房间?|号(?![楼院线]))(?![0-9])|(?!{_NOT_AFTER_ROOM}))"
_ROOM_END_2 = rf"(?:\s*(?:室|房间?|号(?![楼院线]))(?![0-9])|(?!{_NOT_AFTER_ROOM}|\s*[楼层]))"
_LABEL_TAIL = r"\s*(?:号码|号)?\s*(?:是|为)?\s*[:：]?\s*"
# 这里, 家里, 省里 … are not lanes
_NOT_LANE = frozenset("这那哪心家屋院城村夜梦手眼店楼区所局厂群乡县市镇里省队组部校班会社处科站库车船网")

# a numeral that begins the next word, not a twelfth digit: …零零零一直打不通
_NUMERAL_WORD = "(?!一[直下个些起样般定共切旦再同边点天次]|两[个天次人])"

# gates: a rule runs only on a text that passes its cheap gates (most texts pass few of them)
_NUMERAL_RUN = re.compile(f"[{_NUMERAL}](?:{_SEP}[{_NUMERAL}]){{6}}")
_DIGITS7 = re.compile(r"\d(?:[ \-.·]?\d){6}")
_DIGITS2 = re.compile(r"\d\d")
_LETTER_DIGITS = re.compile(r"[A-Za-z]\d{7}")
_LATIN = re.compile("[A-Za-z]")
_AT = ("@", "＠", "#", " at ", " AT ", "(at)", "[at]", "（at）", "【at】", "艾特")
_LABEL_GATE = re.compile(_LABELS + "|" + "|".join(_LATIN_NAME_KEYS) + "|姓|名")
_COLON = (":", "：")
_HON_GATE = re.compile(_HON_OR_TITLE)
_NUMBERS = (_NUMERAL_RUN, _DIGITS7)


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


def _label_name(m: re.Match[str]) -> Span | None:
    """A name after a label without a colon (投诉人王伟); 行业主管 is not 业主 + a name."""
    label = m.group("pre").strip()
    if label == "业主" and m.start() > 0 and m.string[m.start() - 1] in "行企创物农商产":
        return None
    # 投诉人于晨。: a label naming a person (…人, 姓名) vouches for what ends the phrase; 业主许可， does not
    return _name_check(m, label=label.endswith("人") or label in ("姓名", "名字", "称呼"))


RULES: list[Rule] = [
    # --- e-mail ------------------------------------------------------------------------------
    Rule(
        "email",
        re.compile(
            # from the start of a local part only, and of bounded length: no quadratic scan of a.a.a.a…
            rf"(?<![A-Za-z0-9._%+-])(?P<v>[A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}{_AT_SIGN}[A-Za-z0-9-]{{1,63}}"
            rf"(?:{_DOT}[A-Za-z0-9-]{{1,63}}){{0,4}}?{_DOT}{_TLD})"
            r"(?![A-Za-z0-9])"
        ),
        needs=(_AT,),
    ),
    Rule(
        "email",
        re.compile(
            r"(?P<pre>(?:电子邮箱|电子邮件|邮件地址|邮箱地址|邮箱|E-?mail|e-?mail|EMAIL)\s*(?:是|为)?\s*[:：]?\s*)"
            r"(?P<v>[A-Za-z0-9][A-Za-z0-9._%+@#＠-]{3,60})"
        ),
        needs=(("邮", "mail", "MAIL"),),
    ),
    # --- identity documents ------------------------------------------------------------------
    Rule(
        "id_number",
        re.compile(r"(?<![0-9A-Za-z])(?P<v>\d(?:[ \-]?\d){16}[ \-]?[\dXx])(?![0-9A-Za-z])"),
        _id18,
        needs=_NUMBERS,
    ),
    Rule(
        "id_number",
        re.compile(r"(?<![0-9A-Za-z])(?P<v>\d{6}[ \-]?\d{6}[ \-]?\d{3})(?![0-9A-Za-z])"),
        _id15,
        needs=_NUMBERS,
    ),
    Rule(
        "id_number",
        re.compile(
            r"(?P<pre>(?:公民身份号码|身份证件号|身份证号码|身份证号|身份证|身份号码|证件号码|证件号|ID号?)"
            r"\s*(?:是|为)?\s*[:：]?\s*)(?P<v>[0-9Xx*＊](?:[ \-]?[0-9Xx*＊]){13,17})(?![0-9Xx*＊])"
        ),
        needs=(("身份", "证件", "ID"), _DIGITS2),
    ),
    Rule(
        "passport",
        re.compile(r"(?<![A-Za-z0-9])(?P<v>[EeGg]\d{8}|[Ee][A-Za-z]\d{7})(?![A-Za-z0-9])"),
        needs=(_NUMERAL_RUN, _LETTER_DIGITS),
    ),
    Rule(
        "passport",
        re.compile(rf"(?P<pre>护照{_LABEL_TAIL})(?P<v>[A-Za-z]{{0,2}}\d{{6,9}})(?![A-Za-z0-9])"),
        needs=(("护照",),),
    ),
    Rule(
        "permit",
        re.compile(r"(?<![A-Za-z0-9])(?P<v>[CcWw]\d{8}|[Cc][A-Za-z]\d{7}|[HhMm]\d{8}(?:\d{2})?)(?![A-Za-z0-9])"),
        needs=(_NUMERAL_RUN, _LETTER_DIGITS),
    ),
    Rule(
        "permit",
        re.compile(
            r"(?P<pre>(?:台湾居民来往大陆通行证|港澳居民来往内地通行证|往来港澳通行证|港澳通行证|通行证|回乡证|台胞证)"
            rf"{_LABEL_TAIL})(?P<v>[A-Za-z]{{0,2}}\d{{6,10}}(?:[(（][A-Za-z][)）])?)(?![A-Za-z0-9])"
        ),
        needs=(("通行证", "回乡证", "台胞证"),),
    ),
    # --- bank cards --------------------------------------------------------------------------
    Rule("bank_card", re.compile(r"(?<![0-9])(?P<v>\d(?:[ -]?\d){15,18})(?![0-9])"), _card, needs=_NUMBERS),
    Rule(
        "bank_card",
        re.compile(r"(?<![0-9])(?P<v>\d{4}(?P<s>[ -])\d{4}(?P=s)\d{4}(?P=s)\d{4}(?:(?P=s)\d{1,4})?)(?![0-9])"),
        _card_groups,
        needs=_NUMBERS,
    ),
    Rule(
        "bank_card",
        re.compile(
            r"(?P<pre>(?:银行卡号|银行卡|银行账号|银行账户|开户账号|储蓄卡|信用卡|借记卡|社保卡|医保卡|卡号|账号|账户)"
            r"\s*(?:是|为)?\s*[:：]?\s*)(?P<v>\d(?:[ -]?\d){11,18})(?![0-9])"
        ),
        needs=(_NUMERAL_RUN, ("卡", "账")),
    ),
    # --- phones ------------------------------------------------------------------------------
    # in digits: what follows may be a numeral word (13800138000一直打不通)
    Rule(
        "mobile",
        re.compile(
            rf"(?<![0-9])(?P<v>(?:(?:\(\+?86\)|(?:\+|00)?86)[ \-]?)?1{_SEP}[3-9](?:{_SEP}\d){{9}})"
            r"(?![0-9]|[\-.·][0-9])"
        ),
        needs=_NUMBERS,
    ),
    # in Chinese numerals, or mixed: 一三九…, 幺三七…, 139一二三四5678
    Rule(
        "mobile",
        re.compile(
            rf"(?<![{_NUMERAL}])(?P<v>[1一幺]{_SEP}[3-9三四五六七八九](?:{_SEP}[{_NUMERAL}]){{9}})"
            rf"(?!{_NUMERAL_WORD}[{_NUMERAL}]|[\-.·][{_NUMERAL}])"
        ),
        _mobile,
        needs=(_NUMERAL_RUN,),
    ),
    Rule(
        "landline",
        re.compile(
            r"(?<![0-9])(?P<v>(?:[(（]0\d{2,3}[)）]|0\d{2,3})[ \-.]?[2-9]\d{2,3}[ \-.]?\d{4}"
            r"(?:[ -]?(?:转|-|ext)\d{1,5})?)(?![0-9])"
        ),
        needs=_NUMBERS,
    ),
    Rule(
        "qq",
        re.compile(r"(?P<pre>(?:QQ|qq|Qq|扣扣)(?:号码?)?\s*(?:是|为)?\s*[:：]?\s*)(?P<v>[1-9]\d{4,10})(?![0-9])"),
        needs=(("QQ", "qq", "Qq", "扣扣"),),
    ),
    Rule(
        "wechat",
        re.compile(
            r"(?P<pre>(?:微信号?|VX|vx|Vx|WX|wx|weixin)\s*(?:是|为)?\s*[:：]?\s*)"
            r"(?P<v>[A-Za-z][-_A-Za-z0-9]{5,19})(?![-_A-Za-z0-9])"
        ),
        needs=(_LATIN, ("微信", "VX", "vx", "Vx", "WX", "wx", "weixin")),
    ),
    Rule(
        "mobile",
        re.compile(
            r"(?P<pre>(?:联系电话|联系方式|电话号码|手机号码|手机号|电话|手机|座机|固话|号码|Tel|TEL|tel|Phone|phone)"
            rf"\s*(?:是|为)?\s*[:：]?\s*)(?P<v>[{_NUMERAL}](?:{_SEP}[{_NUMERAL}]){{6,14}})(?![{_NUMERAL}])"
        ),
        _phone_kind,
        needs=(_NUMERAL_RUN,),
    ),
    # --- plates ------------------------------------------------------------------------------
    Rule(
        "plate",
        re.compile(
            rf"(?<![A-Za-z0-9])(?P<v>[{_PROVINCES}][ ·.\-]?[A-Za-z][ ·.\-]?[A-Za-z0-9](?:[ ·]?[A-Za-z0-9]){{3,5}}"
            rf"[{_PLATE_SPECIAL}]?)(?![A-Za-z0-9])"
        ),
        _plate,
        needs=(_LATIN, re.compile(rf"[{_PROVINCES}][ ·.\-]?[A-Za-z]")),
    ),
    Rule(
        "plate",
        re.compile(
            r"(?P<pre>(?:车牌号码|车牌号|车牌|车号|牌照号?)\s*(?:是|为)?\s*[:：]?\s*)"
            rf"(?P<v>[{_PROVINCES}]?[ ·]?[A-Za-z0-9](?:[ ·]?[A-Za-z0-9]){{3,7}}[{_PLATE_SPECIAL}]?)(?![A-Za-z0-9])"
        ),
        _labelled_plate,
        needs=(("车牌", "车号", "牌照"),),
    ),
    # --- rooms and house numbers ---------------------------------------------------------------
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
    # --- names -------------------------------------------------------------------------------
    # 姓名：…, 姓 名：…, "姓名": "…" — fail-closed: the value is masked whatever it looks like
    Rule(
        "name",
        re.compile(
            rf"(?P<pre>(?:{_LABELS_SPACED}|{'|'.join(_LATIN_NAME_KEYS)})[\"”'」』]?\s*[:：]\s*(?P<q3>[\"“'「『]?)\s*)"
            r"(?P<v>[A-Za-z][A-Za-z.'\-]*(?: [A-Za-z][A-Za-z.'\-]*){0,3}"
            r"|[^\s，。；;,、！？!?\"“”'「」『』（）()【】\[\]<>{}〔〕0-9:：]{1,16})"
        ),
        _label_value,
        needs=(_COLON, _LABEL_GATE),
    ),
    # 投诉人王伟 / 举报人刘洋反映 — no colon: a name, ending where the sentence goes on
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:{_LABELS})\s?)(?P<v>{_NAME}){_END}"),
        _label_name,
        needs=(_LABEL_GATE,),
    ),
    # 业主王某, 我是李明, 本人张伟, 租户小王, 独居老人张秀英
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:{_CONTEXT})\s?)(?P<v>{_NAME}){_END}"),
        _contextual_name,
    ),
    # 王女士 / 欧阳先生 / 李阿姨, but not 保安大爷 or 社区阿姨
    Rule(
        "name",
        re.compile(rf"(?P<v>{_COMPOUND}|{_SUR_HON})(?={'|'.join(HONORIFICS)})"),
        _unless_role,
        needs=(_HON_GATE,),
    ),
    # 王师傅 / 李老师 / 张主任, but not 向老师反映, 维修师傅 or 其余老师
    Rule(
        "name",
        re.compile(rf"(?P<v>{_COMPOUND}|{_SUR_TITLE})(?={'|'.join(TITLES)})"),
        _unless_role,
        needs=(_HON_GATE,),
    ),
    Rule(
        "name",
        re.compile(rf"(?P<pre>(?:我|本人|他|她|对方|户主|业主|免贵|贵)姓)(?P<v>{_COMPOUND}|{_SUR})"),
        needs=(("姓",),),
    ),
    # 我叫李明 — but 让我叫驾驶员来: a name, or two or three characters standing alone
    Rule(
        "name",
        re.compile(
            rf"(?P<pre>我叫|本人叫|名叫|我的名字是|名字叫|叫做)"
            rf"(?P<v>(?:{_COMPOUND}|{_SUR})[{_CJK}]{{1,2}}?(?={_NAME_END_WORDS})|[{_CJK}]{{2,3}}(?![{_CJK}]))"
        ),
        needs=(("叫", "名字"),),
    ),
    # the later names of a list: 当事人〔姓名〕、李四、王五
    Rule(
        "name",
        re.compile(rf"(?P<pre>〔姓名〕(?:{_HON_OR_TITLE})?\s*[、,，和及与]\s*)(?P<v>{_NAME}){_END}"),
        _listed_name,
        needs=(("〔姓名〕",),),
        repeat=True,
    ),
]

# numbers labelled as what they are (工单号, 订单号, 案件编号 …) stay: they are kept aside while masking
_PROTECTED = re.compile(
    r"(?:(?:工单|订单|运单|快递单|快递|受理|流水|案件|批次|合同|发票|回执|预约|留言|上报|走访|事件|申请|诉求|业务|交易|退款|支付)"
    r"(?:编号|单号|号码|号)|(?<![证卡牌照份户房门话机])(?:编号|单号))\s*(?:是|为)?\s*[:：]?\s*"
    r"(?P<v>[A-Za-z0-9][A-Za-z0-9\-]{3,40})"
)
_SENTINEL_BASE = 0xF0000  # supplementary private use: never a digit, letter or CJK, so no rule reads into it
_SENTINELS = re.compile("[\U000f0000-\U000fffff]")


def _protect(text: str) -> tuple[str, list[str]]:
    kept: list[str] = []
    if "号" not in text or _SENTINELS.search(text):
        return text, kept

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group("v"))
        return m.string[m.start() : m.start("v")] + chr(_SENTINEL_BASE + len(kept) - 1)

    return _PROTECTED.sub(keep, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return _SENTINELS.sub(lambda m: kept[ord(m.group(0)) - _SENTINEL_BASE], text) if kept else text


def find_pii(text: str) -> list[tuple[str, str]]:
    """The personal data in ``text`` as ``(type, masked text)``, in rule order.

    Examples
    --------
    >>> find_pii("王女士电话13800138000")
    [('mobile', '13800138000'), ('name', '王')]
    """
    found: list[tuple[str, str]] = []
    mask_one(text, found)
    return found


def mask_one(text: str | None, found: list[tuple[str, str]] | None = None) -> str | None:
    """Mask one (normalised) string; optionally append what was masked to ``found``."""
    if not text:
        return text
    text, kept = _protect(text)
    gates: dict[int, bool] = {}
    for rule in RULES:
        runs = True
        for gate in rule.needs:
            ok = gates.get(id(gate))
            if ok is None:
                ok = gates[id(gate)] = _passes(gate, text)
            if not ok:
                runs = False
                break
        if runs:
            text = rule.apply(text, found)
    return _restore(text, kept)


def mask(texts: Iterable[str | None]) -> list[str | None]:
    """Mask personal data in a list of (normalised) texts.

    Examples
    --------
    >>> mask(["王女士反映3栋2单元501室漏水，电话138 0013 8000，拨打12345"])
    ['〔姓名〕女士反映3栋2单元〔房号〕漏水，电话〔手机号〕，拨打12345']
    >>> mask(["业主张伟称5栋1102漏水，手机一三九一二三四五六七八"])
    ['业主〔姓名〕称5栋〔房号〕漏水，手机〔手机号〕']
    """
    return [mask_one(t) for t in texts]


# --- columns that are not free text ------------------------------------------------------------
_UNIT_SPLIT = re.compile(r"([\s,，;；/、|（）()【】\[\]]+)")
_CONTACT_LABEL = re.compile(r"(?:联系人|联系电话|联系方式|负责人|经办人|承办人|电话|手机|座机|姓名|[:：\-])+$")
_UNIT_WORDS = re.compile(
    "公司|集团|中心|委员会|居委会|村委会|业委会|协会|商会|工会|办公室|办事处|管理处|服务站|派出所|医院|学校|银行|"
    "社区|街道|大队|中队|支队|分局|局|所|站|队|处|科|部|委|办|院|厅|室|组|网格|物业|供电|供水|燃气|热力|城管|交警|"
    "消防|政府|法院|检察"
)
_BARE_NAME = re.compile(rf"(?:{_COMPOUND}|{_SUR})[{_CJK}]{{1,2}}")


def _mask_unit(value: str) -> str:
    masked = mask_one(value) or ""
    parts = _UNIT_SPLIT.split(masked)
    for i in range(0, len(parts), 2):  # even positions are segments, odd ones separators
        part = parts[i]
        if _BARE_NAME.fullmatch(part) and not _UNIT_WORDS.search(part) and not _is_common_word(part):
            parts[i] = PLACEHOLDER["name"]
    masked = "".join(parts)
    if masked == value:
        return value
    # keep the unit: each segment up to its first placeholder, without the contact label before it
    kept: list[str] = []
    for i in range(0, len(parts), 2):
        part = parts[i]
        cut = PLACEHOLDER_PATTERN.search(part)
        if cut is not None:
            part = _CONTACT_LABEL.sub("", part[: cut.start()])
        else:
            part = _CONTACT_LABEL.sub("", part) if i > 0 else part
        if part:
            kept.append(part)
    return "".join(kept) if kept else masked


def mask_dept(values: Iterable[str | None]) -> list[str | None]:
    """Handling units (承办单位): a unit name stays; a person or a number in it is removed.

    The column names a unit, so what is left after taking the person out is the unit itself
    (it stays one group in the KPIs); a value that is only a person becomes a placeholder.
    Values are expected to be normalised.

    Examples
    --------
    >>> mask_dept(["物业公司（联系人：王建国，电话13812345678）", "城管执法中队 李队长", "幸福社区居委会", "张伟"])
    ['物业公司', '城管执法中队', '幸福社区居委会', '〔姓名〕']
    """
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for value in values:
        if not value:
            out.append(value)
            continue
        hit = cache.get(value)
        if hit is None:
            hit = cache[value] = _mask_unit(value)
        out.append(hit)
    return out


_ROOM_LEFT = re.compile(r"[\s\-—]*(?:〔房号〕|〔门牌号〕)[\s\-—室号]*")


def mask_building(values: Iterable[str | None]) -> list[str | None]:
    """Buildings (楼栋): the building stays, a room or house number written with it is removed.

    Examples
    --------
    >>> mask_building(["秀水花园2栋1单元302", "锦绣苑5栋1102室", "3-2-501", "翠湖小区7栋"])
    ['秀水花园2栋1单元', '锦绣苑5栋', '3-2', '翠湖小区7栋']
    """
    cache: dict[str, str | None] = {}
    out: list[str | None] = []
    for value in values:
        if not value:
            out.append(value)
            continue
        if value not in cache:
            masked = _ROOM_LEFT.sub("", mask_one(value) or "")
            cache[value] = masked or None
        out.append(cache[value])
    return out


_WORKER_ROLE = re.compile("网格员|网格长|专职|兼职|社工|楼长|组长|队长|书记|主任")
_NOT_NAME_CHARS = re.compile(rf"[^{_CJK}A-Za-z·]")


def grid_worker_keys(values: Iterable[str | None], salt: bytes) -> list[str | None]:
    """Grid workers (网格员) as a role and a salted pseudonym: ``网格员·k3f2ab``.

    The same worker gets the same pseudonym in every record and run (the salt of
    ``contact_key``, with its own domain so a pseudonym never equals a contact key), so
    visits per worker can still be counted; the name itself never leaves ``raw_records``.
    A phone number or role written beside the name does not change the pseudonym.

    Examples
    --------
    >>> a, b, c = grid_worker_keys(["王芳", "王芳（网格员）13800138000", "李强"], b"salt")
    >>> a == b != c, a.startswith("网格员·")
    (True, True)
    """
    out: list[str | None] = []
    cache: dict[str, str] = {}
    for value in values:
        if not value or not value.strip():
            out.append(None)
            continue
        core = _NOT_NAME_CHARS.sub("", _WORKER_ROLE.sub("", value)) or value.strip()
        key = cache.get(core)
        if key is None:
            digest = hashlib.blake2b(("grid_worker:" + core).encode(), key=salt[:64], digest_size=5).digest()
            key = cache[core] = "网格员·" + base64.b32encode(digest).decode("ascii").lower()[:6]
        out.append(key)
    return out


def normalize_contact(value: str | None) -> str | None:
    """A caller's number or account in one canonical form: phone digits without +86, else lower-case."""
    if value is None:
        return None
    v = value.strip().translate({ord(c): None for c in " -()（）"})
    v = "".join(chr(ord(c) - 0xFEE0) if "０" <= c <= "９" else c for c in v)
    if re.fullmatch(r"(?:\+?86|0086)?1[3-9]\d{9}", v):
        return v[-11:]
    return v.lower() or None


def contact_keys(contacts: list[str | None], salt: bytes) -> list[str | None]:
    """Salted hashes of callers' numbers or accounts, for repeat detection without the number.

    Examples
    --------
    >>> a, b = contact_keys(["138-0013-8000", "+86 13800138000"], b"salt")
    >>> a == b
    True
    """
    out: list[str | None] = []
    for value in contacts:
        canonical = normalize_contact(value)
        if canonical is None:
            out.append(None)
            continue
        digest = hashlib.blake2b(canonical.encode(), key=salt[:64], digest_size=10).digest()
        # base32 (a-z, 2-7) rather than hex: a key never reads as a phone or ID number to a scanner
        out.append(base64.b32encode(digest).decode("ascii").lower())
    return out
