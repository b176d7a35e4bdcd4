"""Numbers and accounts: e-mail, identity documents, passports and permits, bank cards, phones,
QQ and WeChat accounts, number plates.

Each kind is found by its form (an 18-digit ID with a valid date or check character, a card
passing the Luhn check, a mobile written in digits or Chinese numerals …) and, fail-closed, by
the label written before it (身份证, 卡号, 电话, 车牌 …).
"""

from __future__ import annotations

import re

from .rules import _DIGITS2, Rule, Span

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


def _digits(text: str) -> str:
    return _NOT_DIGIT.sub("", text.translate(_NUMERAL_VALUE))


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


# a phone's digits, with a space, a dash, a dot or a middle dot anywhere between them
_SEP = r"[ \u00a0]?[\-.·]?[ \u00a0]?"
_DOT = r"(?:\s*[.。．]\s*|\s*[(\[（【]\s*(?:dot|DOT|点)\s*[)\]）】]\s*|\s+(?:dot|DOT)\s+|点)"
_AT_SIGN = r"(?:\s*[@＠#]\s*|\s*[(\[（【]\s*(?:at|AT|艾特)\s*[)\]）】]\s*|\s+(?:at|AT)\s+)"
_TLD = r"(?:com|cn|net|org|edu|gov|top|vip|cc|io|me|info|biz|co|hk|tw|mo|uk|us|de|jp|xyz|COM|CN|NET|ORG)"
_LABEL_TAIL = r"\s*(?:号码|号)?\s*(?:是|为)?\s*[:：]?\s*"

# a numeral that begins the next word, not a twelfth digit: …零零零一直打不通
_NUMERAL_WORD = "(?!一[直下个些起样般定共切旦再同边点天次]|两[个天次人])"

# gates: a rule runs only on a text that passes its cheap gates (most texts pass few of them)
_NUMERAL_RUN = re.compile(f"[{_NUMERAL}](?:{_SEP}[{_NUMERAL}]){{6}}")
_DIGITS7 = re.compile(r"\d(?:[ \-.·]?\d){6}")
_LETTER_DIGITS = re.compile(r"[A-Za-z]\d{7}")
_LATIN = re.compile("[A-Za-z]")
_AT = ("@", "＠", "#", " at ", " AT ", "(at)", "[at]", "（at）", "【at】", "艾特")
_NUMBERS = (_NUMERAL_RUN, _DIGITS7)

#: the rules for numbers and accounts, in the order they run
NUMBER_RULES: list[Rule] = [
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
]
