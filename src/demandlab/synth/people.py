"""Fake personal data planted in synthetic text: phones, ID numbers, names, plates, rooms.

Everything here is generated; none of it belongs to a real person. ID numbers
carry a valid GB 11643 checksum so that a checksum-aware masker must find them.
"""

from __future__ import annotations

import datetime as dt
import random

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
