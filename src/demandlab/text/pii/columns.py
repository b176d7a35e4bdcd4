"""Columns that are not free text: handling units, buildings, grid workers, callers' contacts.

A unit or a building keeps what locates the matter and loses the person or the room written
with it; a grid worker and a caller become salted pseudonyms, so they can still be counted.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable

from .free_text import mask_one
from .names import _COMPOUND, _SUR, _is_common_word
from .rules import _CJK, PLACEHOLDER, PLACEHOLDER_PATTERN

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
