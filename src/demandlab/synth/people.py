"""Fake personal data planted in synthetic exports: phones, ID numbers, names, plates, rooms …

Everything here is generated; none of it belongs to a real person. ID numbers
carry a valid GB 11643 checksum so that a checksum-aware masker must find them;
bank-card numbers pass the Luhn check unless written as ones that do not.

The ``*_written`` methods give the forms people and systems really produce and a
masker has to recognise as a family (issue 11): numbers in Chinese numerals or
with dots and spaces anywhere, plates in lower case or with O/I for 0/1, an
invisible right-to-left override inside a number, e-mail written to dodge scrapers.
"""

from __future__ import annotations

import datetime as dt
import random

from ..text.pii import reads_as_word

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建国志新文斌宁利清飞彬富顺信子杰涛昌成康星光"
    "天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆民友裕河哲江超浩亮政谦亨奇固之轮翰"
    "朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
)
HONORIFICS = ["先生", "女士", "阿姨", "大爷", "师傅", "奶奶", "大姐", "老师"]
_MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
]
_AREA_CODES = ["010", "021", "022", "023", "0571", "0574", "0731", "0755", "020", "027", "028", "0512"]
_REGIONS = ["330106", "330102", "430104", "430105", "110105", "310115", "440305", "420106", "510107", "320508"]
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O on plates
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_CN_DIGITS = "零一二三四五六七八九"
#: invisible characters that an export can carry inside a value: bidi overrides and isolates, zero-width ones
INVISIBLE = ("\u202e", "\u202d", "\u2066", "\u2069", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u200e")
_MAIL_HOSTS = ["qq", "163", "126", "sina", "foxmail", "outlook", "gmail"]
_LATIN = "abcdefghijklmnopqrstuvwxyz"
_CARD_PREFIXES = ["622202", "622848", "621700", "622588", "623058", "621226", "436742", "552801"]
_ID_CHECK = "10X98765432"


def id_checksum(first17: str) -> str:
    """GB 11643-1999 check character for the first 17 digits of an ID number."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


class PeopleFaker:
    """Generates fake personal data with a private ``random.Random``."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def mobile(self) -> str:
        return self.rnd.choice(_MOBILE_PREFIXES) + f"{self.rnd.randrange(10**8):08d}"

    def mobile_written(self, number: str) -> str:
        """The number as people write it: plain, spaced, dashed, +86, full-width."""
        style = self.rnd.random()
        if style < 0.55:
            return number
        if style < 0.70:
            return f"{number[:3]} {number[3:7]} {number[7:]}"
        if style < 0.80:
            return f"{number[:3]}-{number[3:7]}-{number[7:]}"
        if style < 0.90:
            return "+86 " + number if self.rnd.random() < 0.5 else "+86-" + number
        return number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

    def landline(self) -> str:
        code = self.rnd.choice(_AREA_CODES)
        digits = 6 if len(code) == 4 else 7  # 0571-8xxxxxxx has 7 or 8 digits, 010-6xxxxxxx has 8
        local = str(self.rnd.randint(2, 8)) + f"{self.rnd.randrange(10**digits):0{digits}d}"
        sep = self.rnd.choice(["-", "-", " ", ""])
        return f"{code}{sep}{local}"

    def id_number(self) -> str:
        birth = dt.date(1940, 1, 1) + dt.timedelta(days=self.rnd.randrange(365 * 65))
        first17 = self.rnd.choice(_REGIONS) + birth.strftime("%Y%m%d") + f"{self.rnd.randrange(1000):03d}"
        return first17 + id_checksum(first17)

    def full_name(self) -> str:
        given = self.rnd.choice(GIVEN) + (self.rnd.choice(GIVEN) if self.rnd.random() < 0.7 else "")
        return self.rnd.choice(SURNAMES) + given

    def surname(self) -> str:
        return self.rnd.choice(SURNAMES)

    def honorific_name(self) -> str:
        """王女士, 李师傅 …; never 向老师 or 于师傅, which read as 'to the teacher' even to people."""
        honorific = self.rnd.choice(HONORIFICS)
        surname = self.surname()
        while honorific in ("老师", "师傅") and surname in "向于":
            surname = self.surname()
        return surname + honorific

    def plate(self) -> str:
        head = self.rnd.choice("浙浙浙湘京沪苏粤") + self.rnd.choice(_PLATE_LETTERS[:6])
        if self.rnd.random() < 0.3:  # new-energy plate: 8 characters, D/F then 5 digits
            tail = self.rnd.choice("DF") + f"{self.rnd.randrange(10**5):05d}"
        else:
            chars = [self.rnd.choice(_PLATE_LETTERS + "0123456789") for _ in range(2)]
            tail = "".join(chars) + f"{self.rnd.randrange(10**3):03d}"
        sep = self.rnd.choice(["", "", "·", " "])
        return head + sep + tail

    def room(self, floors: int) -> str:
        floor = self.rnd.randint(1, floors)
        return f"{floor}{self.rnd.randint(1, 4):02d}"


def luhn_digit(body: str) -> str:
    """The Luhn check digit that makes ``body + digit`` a valid card number."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


class FamilyFaker(PeopleFaker):
    """The forms of issue 11, each a family a masker must recognise rather than a literal case."""

    def invisible(self, value: str) -> str:
        """``value`` with an invisible character (a right-to-left override, a zero-width space …) inside."""
        at = self.rnd.randint(1, len(value) - 1)
        return value[:at] + self.rnd.choice(INVISIBLE) + value[at:]

    def mobile_family(self) -> str:
        number = self.mobile()
        style = self.rnd.random()
        if style < 0.25:  # 一三九…, 1 as 幺 and 0 as 零 or 〇 the way people read numbers out
            one, zero = self.rnd.choice([("一", "零"), ("幺", "零"), ("一", "〇"), ("幺", "洞")])
            zero = "零" if zero == "洞" else zero
            digits = _CN_DIGITS.replace("一", one).replace("零", zero)
            return "".join(digits[int(d)] for d in number)
        if style < 0.35:  # half digits, half numerals
            cut = self.rnd.randint(3, 7)
            return number[:cut] + "".join(_CN_DIGITS[int(d)] for d in number[cut:])
        if style < 0.55:  # 136.5012.7789
            return f"{number[:3]}.{number[3:7]}.{number[7:]}"
        if style < 0.7:  # a dash or a space anywhere
            sep = self.rnd.choice(["-", " ", " - "])
            cuts = sorted(self.rnd.sample(range(1, 11), 2))
            return sep.join([number[: cuts[0]], number[cuts[0] : cuts[1]], number[cuts[1] :]])
        if style < 0.8:  # one digit at a time
            return " ".join(number)
        return self.invisible(self.mobile_written(number))

    def id_family(self) -> str:
        style = self.rnd.random()
        if style < 0.2:  # a 15-digit ID of before 1999: region, yymmdd, sequence
            birth = dt.date(1930, 1, 1) + dt.timedelta(days=self.rnd.randrange(365 * 50))
            return self.rnd.choice(_REGIONS) + birth.strftime("%y%m%d") + f"{self.rnd.randrange(1000):03d}"
        number = self.id_number()
        while style < 0.4 and not number.endswith("X"):  # a check character X, written in lower case
            number = self.id_number()
        if style < 0.4:
            return number[:-1] + "x"
        if style < 0.6:
            return f"{number[:6]} {number[6:10]} {number[10:14]} {number[14:]}"
        if style < 0.75:
            return "-".join(number[i : i + 4] for i in range(0, 18, 4))
        return self.invisible(number)

    def plate_family(self) -> str:
        province = self.rnd.choice("浙湘京沪苏粤琼鄂豫川")
        letter = self.rnd.choice(_PLATE_LETTERS[:8])
        if self.rnd.random() < 0.25:
            tail = self.rnd.choice("DF") + f"{self.rnd.randrange(10**5):05d}"
        else:
            tail = "".join(self.rnd.choice("0123456789" if i != 1 else _PLATE_LETTERS + "0123456789") for i in range(5))
        style = self.rnd.random()
        if style < 0.25:  # 粤b62478
            return province + letter.lower() + tail.lower()
        if style < 0.45:  # 浙 A 8K3M9
            return f"{province} {letter} {tail}"
        look_alike = tail.replace("0", "O").replace("1", "I")
        if style < 0.6 and sum(c.isdigit() for c in look_alike) >= 2:  # 琼AOOS16: O and I for 0 and 1
            return province + letter + look_alike
        if style < 0.75:
            return f"{province}{letter}·{tail}"
        if style < 0.85:
            return f"{province}{letter.lower()}·{tail}"
        return self.invisible(province + letter + tail)

    def passport(self) -> str:
        if self.rnd.random() < 0.5:
            return "E" + f"{self.rnd.randrange(10**8):08d}"
        if self.rnd.random() < 0.5:
            return "E" + self.rnd.choice(_PLATE_LETTERS) + f"{self.rnd.randrange(10**7):07d}"
        return "G" + f"{self.rnd.randrange(10**8):08d}"

    def permit(self) -> str:
        """港澳通行证 C + 8 digits, 回乡证 H/M + 8 or 10 digits."""
        head = self.rnd.choice("CCHM")
        digits = 10 if head in "HM" and self.rnd.random() < 0.5 else 8
        return head + f"{self.rnd.randrange(10**digits):0{digits}d}"

    def email(self) -> str:
        local = "".join(self.rnd.choice(_LATIN) for _ in range(self.rnd.randint(4, 8)))
        local += str(self.rnd.randint(1, 99)) if self.rnd.random() < 0.5 else ""
        host = self.rnd.choice(_MAIL_HOSTS)
        style = self.rnd.random()
        if style < 0.3:
            return f"{local}@{host}.com"
        if style < 0.5:
            return f"{local}@{host}。com"
        if style < 0.7:
            return f"{local} at {host} dot com"
        if style < 0.85:
            return f"{local}(at){host}.com"
        return f"{local}＠{host}.com"

    def bank_card(self, luhn: bool) -> str:
        body = self.rnd.choice(_CARD_PREFIXES) + f"{self.rnd.randrange(10**9):09d}"
        check = luhn_digit(body)
        if not luhn:
            check = str((int(check) + self.rnd.randint(1, 9)) % 10)
        return body + check

    def grouped(self, number: str) -> str:
        sep = self.rnd.choice([" ", "-"])
        return sep.join(number[i : i + 4] for i in range(0, len(number), 4))

    def nickname(self) -> str:
        """小王, 老李 — never one that reads as a word (小区, 老公) or a shop (老王烧烤)."""
        name = self.rnd.choice("小老") + self.rnd.choice(SURNAMES[:60])
        while name.startswith("老") or reads_as_word(name):
            name = "小" + self.rnd.choice(SURNAMES[:60])
        return name

    def context_name(self) -> str:
        """A full name as it follows 业主 / 我是 with no label: never one that reads as words there
        (向/于 as prepositions, 白河 or 韩国刚 as words), which no reader would take for a name either."""
        name = self.full_name()
        while name[0] in "向于" or reads_as_word(name):
            name = self.full_name()
        return name
