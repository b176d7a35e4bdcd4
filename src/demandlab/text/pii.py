"""Personal-data masking: typed placeholders instead of numbers and names.

What is masked, in this order (later patterns see earlier placeholders):

============ ======================================================== ============
type         what it catches                                          placeholder
============ ======================================================== ============
email        name@host.tld                                            〔邮箱〕
id_number    18-digit (date-valid or checksum-valid) and 15-digit IDs 〔身份证号〕
bank_card    16–19 digits, optionally spaced, passing the Luhn check  〔银行卡号〕
mobile       1[3-9]x xxxx xxxx with +86/0086, spaces or dashes        〔手机号〕
landline     0xx(x)-xxxxxxx(x), (0xx)xxxxxxxx, with extension          〔座机号〕
qq / wechat  the value after QQ / 微信 / VX labels                     〔QQ号〕/〔微信号〕
plate        浙A12345, 浙A·D12345 (new-energy, 8 characters), 挂/学/警 〔车牌号〕
room         3栋2单元501室 → 3栋2单元〔房号〕, 3-2-501, 501室          〔房号〕
name         姓名：… / 联系人… / 举报人…, 王先生 / 李阿姨, 我姓王, 我叫…      〔姓名〕
============ ======================================================== ============

It leaves what analysts need: the 12345 line, dates and times, money, bus
routes, building and unit numbers. Text is expected to be normalised first
(:func:`demandlab.text.normalize`), so full-width digits are already ASCII.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

PLACEHOLDER = {
    "email": "〔邮箱〕",
    "id_number": "〔身份证号〕",
    "bank_card": "〔银行卡号〕",
    "mobile": "〔手机号〕",
    "landline": "〔座机号〕",
    "qq": "〔QQ号〕",
    "wechat": "〔微信号〕",
    "plate": "〔车牌号〕",
    "room": "〔房号〕",
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
# characters that are surnames but far more often a preposition or verb right before an honorific
_NOT_BEFORE_HONORIFIC = set("和与对给跟被把让叫请找问帮替为同")
HONORIFICS = ("先生", "女士", "小姐", "阿姨", "大爷", "大妈", "大娘", "奶奶", "爷爷", "大姐", "大哥", "老太", "老伯")
# titles that also follow prepositions (向老师反映, 于师傅处): 向 / 于 are not taken as surnames before them
TITLES = ("老师", "师傅", "同志")
NAME_LABELS = (
    "姓名",
    "联系人",
    "举报人",
    "投诉人",
    "来电人",
    "反映人",
    "当事人",
    "申请人",
    "户主",
    "求助人",
    "报警人",
    "业主姓名",
)

_CN = "\u4e00-\u9fa5"
_LABELS = "|".join(NAME_LABELS)
_COMPOUND = "|".join(COMPOUND_SURNAMES)
# where a name written after a label without a colon ends: the verb or particle that follows it
_AFTER_NAME = "反映|称|表示|说|来电|投诉|举报|要求|希望|家|住|的|在|于|女士|先生|同志|报警|求助|诉求"
_SUR = "[" + SURNAMES + "]"
_SUR_HON = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC) + "]"
_SUR_TITLE = "[" + "".join(c for c in SURNAMES if c not in _NOT_BEFORE_HONORIFIC | {"向", "于"}) + "]"
_NUM_CN = "0-9一二三四五六七八九十两"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_checksum_ok(number: str) -> bool:
    """True if the 18-character ID number carries a valid GB 11643 check character."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return _ID_CHECK[sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True)) % 11] == number[17].upper()


def luhn_ok(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_DATE8 = r"(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
_DATE6 = r"\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"

Rule = tuple[str, re.Pattern[str], Callable[[re.Match[str]], str | None]]


def _whole(kind: str) -> Callable[[re.Match[str]], str]:
    return lambda m: PLACEHOLDER[kind]


def _value_group(kind: str) -> Callable[[re.Match[str]], str]:
    """Keep the label (group 1), mask the value."""
    return lambda m: m.group(1) + PLACEHOLDER[kind]


def _id18(m: re.Match[str]) -> str | None:
    number = m.group(0).replace(" ", "")
    date_ok = re.fullmatch(r"\d{6}" + _DATE8 + r"\d{3}[\dXx]", number) is not None
    return PLACEHOLDER["id_number"] if date_ok or id_checksum_ok(number) else None


def _card(m: re.Match[str]) -> str | None:
    digits = re.sub(r"[ -]", "", m.group(0))
    return PLACEHOLDER["bank_card"] if 16 <= len(digits) <= 19 and luhn_ok(digits) else None


# two characters ending in a surname that name a role, not a person: 保安 (安), 社区 (区), 语文 (文) …
ROLE_WORDS = frozenset(
    """
    保安 门卫 维修 装修 宿管 社区 语文 音乐 主任 物管 网格 楼长 班长 村长 队长 校长 院长 所长 站长 店长
    厂长 组长 科长 局长 处长 部长 司机 保洁 护工 月嫂 家政 厨房 食堂 后勤 城管 交警 民警 辅警 法官 律师
    医生 护士 党员 居民 市民 业主 住户 租户 网友 同事 邻居 老人 小孩 孩子 学生 家长 员工 领导 干部
    """.split()
)


def _unless_role(m: re.Match[str]) -> str | None:
    """Mask the surname unless it ends a role word (保安师傅, 社区阿姨)."""
    start = m.start()
    if start > 0 and m.string[start - 1 : start + 1] in ROLE_WORDS:
        return None
    return PLACEHOLDER["name"]


def _room(m: re.Match[str]) -> str:
    return m.group(1) + PLACEHOLDER["room"]


RULES: list[Rule] = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), _whole("email")),
    ("id_number", re.compile(r"(?<![0-9A-Za-z])\d{6} ?\d{4} ?\d{4} ?\d{3}[0-9Xx](?![0-9A-Za-z])"), _id18),
    ("id_number", re.compile(r"(?<![0-9A-Za-z])\d{6}" + _DATE6 + r"\d{3}(?![0-9A-Za-z])"), _whole("id_number")),
    ("bank_card", re.compile(r"(?<![0-9])\d(?:[ -]?\d){15,18}(?![0-9])"), _card),
    (
        "mobile",
        re.compile(r"(?<![0-9])(?:\(?(?:\+|00)?86\)?[ -]?)?1[ -]?[3-9](?:[ -]?\d){9}(?![0-9])"),
        _whole("mobile"),
    ),
    (
        "landline",
        re.compile(
            r"(?<![0-9])(?:[(（]0\d{2,3}[)）]|0\d{2,3})[ -]?[2-9]\d{2,3}[ -]?\d{4}"
            r"(?:[ -]?(?:转|-|ext)\d{1,5})?(?![0-9])"
        ),
        _whole("landline"),
    ),
    (
        "landline",
        re.compile(r"((?:电话|座机|固话|办公电话|家里电话)[:： ]*)[2-9]\d{6,7}(?![0-9])"),
        _value_group("landline"),
    ),
    ("qq", re.compile(r"((?:QQ|qq|扣扣)(?:号码?)?[:： ]*)[1-9]\d{4,10}(?![0-9])"), _value_group("qq")),
    (
        "wechat",
        re.compile(r"((?:微信号?|VX|vx|WX|wx|weixin)[:： ]*)[A-Za-z][-_A-Za-z0-9]{5,19}(?![-_A-Za-z0-9])"),
        _value_group("wechat"),
    ),
    (
        "plate",
        re.compile(
            r"[京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼][A-HJ-NP-Z][ ·•.]?"
            r"(?:[DF][A-HJ-NP-Z0-9]\d{4}|\d{5}[DF]|[A-HJ-NP-Z0-9]{4}[A-HJ-NP-Z0-9挂学警港澳])[挂学警港澳]?(?![A-Za-z0-9])"
        ),
        _whole("plate"),
    ),
    (
        "room",
        re.compile(
            rf"((?:[{_NUM_CN}]+\s*(?:栋|幢|号楼|座|号)\s*)?[{_NUM_CN}]+\s*单元\s*)\d{{2,4}}\s*(?:室|号|房)?(?![0-9])"
        ),
        _room,
    ),
    ("room", re.compile(rf"([{_NUM_CN}]+\s*(?:栋|幢|号楼)\s*)\d{{3,4}}\s*(?:室|号|房)(?![0-9])"), _room),
    ("room", re.compile(r"(?<![0-9-])(\d{1,3}-\d{1,2}-)\d{3,4}(?![0-9-])"), _room),
    ("room", re.compile(r"(?<![0-9])()\d{3,4}\s*室"), _room),
    # 姓名：张三 / 联系人：欧阳娜娜 — after a colon, the name runs to the next punctuation
    ("name", re.compile(rf"((?:{_LABELS})\s*[:：]\s*)[{_CN}·]{{2,4}}(?![{_CN}])"), _value_group("name")),
    # 姓名：张三住在… — the name runs on into the sentence: a surname and one or two characters
    ("name", re.compile(rf"((?:{_LABELS})\s*[:：]\s*)(?:{_COMPOUND}|{_SUR})[{_CN}]{{1,2}}"), _value_group("name")),
    # 投诉人王伟 / 举报人刘洋反映 — no colon: a surname, then the name ends where a verb begins
    (
        "name",
        re.compile(
            rf"((?:{_LABELS}))(?:{_COMPOUND}|{_SUR})(?!{'|'.join(HONORIFICS + TITLES)})"
            rf"[{_CN}]{{1,2}}?(?=[^{_CN}]|$|{_AFTER_NAME})"
        ),
        _value_group("name"),
    ),
    # 王女士 / 欧阳先生 / 李阿姨, but not 保安大爷 or 社区阿姨
    ("name", re.compile(rf"(?:{_COMPOUND}|{_SUR_HON})(?=(?:{'|'.join(HONORIFICS)}))"), _unless_role),
    # 王师傅 / 李老师, but not 向老师反映 or 维修师傅
    ("name", re.compile(rf"(?:{_SUR_TITLE})(?=(?:{'|'.join(TITLES)}))"), _unless_role),
    ("name", re.compile(rf"(我姓|本人姓)({_SUR})"), lambda m: m.group(1) + PLACEHOLDER["name"]),
    ("name", re.compile(rf"((?:我叫|本人叫|名叫|我的名字是))[{_CN}]{{2,3}}(?=[^{_CN}]|$)"), _value_group("name")),
]


def find_pii(text: str) -> list[tuple[str, str]]:
    """The personal data in ``text`` as ``(type, matched text)``, in rule order."""
    found: list[tuple[str, str]] = []
    mask_one(text, found)
    return found


def mask_one(text: str | None, found: list[tuple[str, str]] | None = None) -> str | None:
    """Mask one string; optionally append what was masked to ``found``."""
    if not text:
        return text
    for kind, pattern, replace in RULES:

        def _sub(m: re.Match[str], kind: str = kind, replace: Callable = replace) -> str:
            out = replace(m)
            if out is None:
                return m.group(0)
            if found is not None:
                found.append((kind, m.group(0)))
            return out

        text = pattern.sub(_sub, text)
    return text


def mask(texts: list[str | None]) -> list[str | None]:
    """Mask personal data in a list of (normalised) texts.

    Examples
    --------
    >>> mask(["王女士反映3栋2单元501室漏水，电话138 0013 8000，拨打12345"])
    ['〔姓名〕女士反映3栋2单元〔房号〕漏水，电话〔手机号〕，拨打12345']
    """
    return [mask_one(t) for t in texts]


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
