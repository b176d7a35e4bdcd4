"""Masking free text: every rule in order, with numbers labelled as work-order or case numbers kept aside."""

from __future__ import annotations

import re
from collections.abc import Iterable

from .names import NAME_RULES
from .numbers import NUMBER_RULES
from .places import PLACE_RULES
from .rules import Rule, _passes

#: every rule, in the order they run: later rules see earlier placeholders
RULES: list[Rule] = [*NUMBER_RULES, *PLACE_RULES, *NAME_RULES]

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
