"""The rule machinery every kind of personal data is masked by: placeholders, gates, :class:`Rule`.

A rule is a pattern with a group ``v`` (the value) and an optional check that decides what of a
match to mask, and as what. The character classes and the gate shared by rules of several kinds
live here too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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

_CJK = "\u3400-\u4dbf\u4e00-\u9fff"
_CJK_CHAR = re.compile("[\u3400-\u4dbf\u4e00-\u9fff·]")
# gates: a rule runs only on a text that passes its cheap gates (most texts pass few of them)
_DIGITS2 = re.compile(r"\d\d")

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
