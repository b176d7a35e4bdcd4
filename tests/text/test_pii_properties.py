"""Property tests: generated phones, IDs, plates and cards in every shape of their family are masked,
wherever they sit in a sentence, and the sentence around them survives."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from demandlab.text import mask, normalize
from demandlab.text.pii import PLACEHOLDER, id_checksum_ok, luhn_ok

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True)

_CN = {"0": "零〇", "1": "一幺", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七", "8": "八", "9": "九"}
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_REGIONS = ["330106", "110105", "430104", "440305", "510107", "320508", "420106"]

# what people write around the data; none of it ends in a digit, a numeral or a province, so the value's
# edges are its own
PREFIXES = ["", "来电人称，", "楼道灯坏了，", "联系电话：", "手机", "请回电", "他说", "物业说 ", "（", "停在门口的"]
SUFFIXES = ["", "，请尽快处理。", "。", " 谢谢", "，一直打不通", "已登记", "）", "，物业不管", "的事还没解决"]


def _digits(draw, n: int) -> str:
    return "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=n, max_size=n)))


def _embedded(value: str, kind: str | tuple[str, ...], prefix: str, suffix: str) -> None:
    kinds = (kind,) if isinstance(kind, str) else kind
    text = prefix + value + suffix
    out = mask(normalize([text]))[0]
    assert any(out == normalize([prefix + PLACEHOLDER[k] + suffix])[0] for k in kinds), (text, out)


@st.composite
def mobiles(draw) -> str:
    digits = "1" + draw(st.sampled_from("3456789")) + _digits(draw, 9)
    cn = draw(st.booleans())
    out = []
    for i, d in enumerate(digits):
        if cn or draw(st.integers(0, 3)) == 0:
            out.append(draw(st.sampled_from(_CN[d] + (d if not cn else ""))))
        else:
            out.append(d)
        if i < 10:
            out.append(draw(st.sampled_from(["", "", "", "", " ", "-", ".", " - "])))
    return "".join(out)


@st.composite
def ids(draw) -> str:
    birth = draw(st.dates(dt.date(1930, 1, 1), dt.date(2015, 12, 31)))
    region = draw(st.sampled_from(_REGIONS))
    seq = f"{draw(st.integers(0, 999)):03d}"
    if draw(st.integers(0, 4)) == 0:  # a 15-digit ID of before 1999
        return region + birth.strftime("%y%m%d") + seq
    first17 = region + birth.strftime("%Y%m%d") + seq
    check = next(c for c in "0123456789X" if id_checksum_ok(first17 + c))
    number = first17 + (check.lower() if check == "X" and draw(st.booleans()) else check)
    style = draw(st.integers(0, 3))
    if style == 1:
        return f"{number[:6]} {number[6:14]} {number[14:]}"
    if style == 2:
        return " ".join(number[i : i + 4] for i in range(0, 18, 4))
    return number


@st.composite
def plates(draw) -> str:
    province = draw(st.sampled_from(_PROVINCES))
    letter = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
    if draw(st.booleans()):  # new-energy: D/F then five digits, or five digits then D/F
        digits = _digits(draw, 5)
        tail = draw(st.sampled_from("DF")) + digits if draw(st.booleans()) else digits + draw(st.sampled_from("DF"))
    else:
        chars = list(_digits(draw, 5))
        for at in draw(st.sets(st.integers(0, 4), max_size=2)):
            chars[at] = draw(st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ"))
        if draw(st.booleans()):  # O and I written for 0 and 1, as long as two real digits remain
            confused = ["O" if c == "0" else "I" if c == "1" else c for c in chars]
            if sum(c.isdigit() for c in confused) >= 2:
                chars = confused
        tail = "".join(chars)
    if draw(st.booleans()):
        letter, tail = letter.lower(), tail.lower()
    first, second = draw(st.sampled_from(["", "", " ", "·"])), draw(st.sampled_from(["", "", " ", "·"]))
    return f"{province}{first}{letter}{second}{tail}"


def _luhn_complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@st.composite
def luhn_cards(draw) -> str:
    length = draw(st.sampled_from([16, 17, 19]))
    body = draw(st.sampled_from(["622202", "622848", "621700", "436742", "552801"]))
    body += _digits(draw, length - 7)
    number = _luhn_complete(body)
    if length == 16 and draw(st.booleans()):
        sep = draw(st.sampled_from([" ", "-"]))
        return sep.join(number[i : i + 4] for i in range(0, 16, 4))
    return number


@st.composite
def labelled_cards(draw) -> tuple[str, str]:
    """A card number after its label, whether or not it passes the Luhn check."""
    label = draw(st.sampled_from(["银行卡号", "银行卡", "卡号：", "账号", "银行账号：", "开户账号"]))
    length = draw(st.integers(12, 19))
    number = draw(st.sampled_from("123456789")) + _digits(draw, length - 1)
    if draw(st.booleans()):
        number = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return label, number


@SETTINGS
@given(mobiles(), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES))
def test_every_written_mobile_is_masked_and_its_sentence_survives(value, prefix, suffix):
    _embedded(value, "mobile", prefix, suffix)


@SETTINGS
@given(ids(), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES))
def test_every_written_id_number_is_masked(value, prefix, suffix):
    _embedded(value, "id_number", prefix, suffix)


@SETTINGS
@given(plates(), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES))
def test_every_written_plate_is_masked(value, prefix, suffix):
    _embedded(value, "plate", prefix, suffix)


@SETTINGS
@given(luhn_cards(), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES))
def test_every_card_passing_luhn_is_masked(value, prefix, suffix):
    _embedded(value, ("bank_card", "id_number"), prefix, suffix)


@SETTINGS
@given(labelled_cards(), st.sampled_from(PREFIXES), st.sampled_from(SUFFIXES))
def test_every_labelled_card_is_masked_luhn_or_not(labelled, prefix, suffix):
    label, number = labelled
    _embedded(number, ("bank_card", "id_number", "mobile"), prefix + label, suffix)
