"""Text normalisation: what a scraped or typed export leaves that no reader needs.

Steps, in order: HTML entities and tags; links (http…, www…); control, zero-width and
bidirectional-override characters (U+200B–U+200F, U+202A–U+202E, U+2060–U+2069, U+FEFF …: a
right-to-left override inside a number must not split it before masking); a ``○`` written
among numerals as the zero it stands for; decorative symbols (■ ★ ◆ …); full-width digits and
Latin letters → half-width (Chinese punctuation stays) and the middle dots people use (・ • ‧) →
``·``; traditional → simplified (OpenCC ``t2s``); repeated punctuation; runs of whitespace
(scrape residue such as ``\\n\\t\\t\\t``).

Each step first checks, with one cheap search, whether the text needs it: most texts need
only a few of them.
"""

from __future__ import annotations

import html
import re
from functools import cache

import opencc

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
# C0/C1 controls, soft hyphen, zero-width and joiners, directional marks, embeddings, overrides and
# isolates, invisible operators, the Mongolian vowel separator and the byte-order mark
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]"
)
_NUMERAL = "〇零一二三四五六七八九幺两0-9"
# ○ (white circle) is decorative, except among numerals where people write it for 〇: 一三九○…
_CIRCLE_ZERO = re.compile(f"(?<=[{_NUMERAL}])[○◯]|[○◯](?=[{_NUMERAL}])")
_DECORATIVE = re.compile("[■□▪▫◆◇◈●○◎★☆▲△▼▽►◄♦♥♠♣※✔✘✦✧❤❀✿➤➢❖◉⊙▶◀◯]+")
_NEEDS_WIDTH = re.compile("[\uff01-\uff5e\u3000\u30fb\u2022\u2027\u2219\u22c5\uff65]")
_WIDTH = str.maketrans(
    {
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF10, 0xFF1A)},  # ０-９
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF21, 0xFF3B)},  # Ａ-Ｚ
        **{chr(c): chr(c - 0xFEE0) for c in range(0xFF41, 0xFF5B)},  # ａ-ｚ
        "＋": "+",
        "－": "-",
        "．": ".",
        "＠": "@",
        "／": "/",
        "＿": "_",
        "＃": "#",
        "％": "%",
        "\u3000": " ",
        # middle dots of other scripts and fonts, as people type them in plates and foreign names
        "\u30fb": "·",
        "\uff65": "·",
        "\u2022": "·",
        "\u2027": "·",
        "\u2219": "·",
        "\u22c5": "·",
    }
)
_REPEATED = re.compile(r"([！？。，、；!?,;~～])\1+")
_ELLIPSIS = re.compile(r"(?:\.{3,}|。{2,}|…{2,})")
_NEEDS_PUNCT = re.compile(r"([！？。，、；!?,;~～.…])\1")
_SPACE = re.compile(r"\s+")
_NON_ASCII = re.compile("[^\x00-\x7f]")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _before_t2s(text: str) -> str:
    t = html.unescape(html.unescape(text)) if "&" in text else text
    if "<" in t:
        t = _TAG.sub(" ", t)
    if "www." in t or "http" in t:
        t = _URL.sub(" ", t)
    t = _CONTROL.sub("", t)
    if "○" in t or "◯" in t:
        t = _CIRCLE_ZERO.sub("〇", t)
    t = _DECORATIVE.sub(" ", t)
    if _NEEDS_WIDTH.search(t):
        t = t.translate(_WIDTH)
    # whitespace is collapsed before t2s so that a batch can be joined with newlines and converted at once
    return _SPACE.sub(" ", t).strip()


def _after_t2s(t: str) -> str | None:
    if _NEEDS_PUNCT.search(t):
        t = _ELLIPSIS.sub("…", t)
        t = _REPEATED.sub(r"\1", t)
    return t or None


def normalize_one(text: str | None) -> str | None:
    """Normalise one string; ``None`` stays ``None``, whitespace-only becomes ``None``."""
    if text is None:
        return None
    t = _before_t2s(text)
    if _NON_ASCII.search(t):
        t = _t2s().convert(t)
    return _after_t2s(t)


def normalize(texts: list[str | None]) -> list[str | None]:
    """Normalise a list of texts (see the module docstring for the steps).

    Traditional → simplified runs once over the whole batch (joined by newlines, which the
    earlier steps have removed from every text), not once per text.

    Examples
    --------
    >>> normalize(["\\n\\t\\t■ 電梯壞了&nbsp;３天了！！！<br/>"])
    ['电梯坏了 3天了！']
    >>> normalize(["电话1\\u202e38\\u202c0013８０００"])
    ['电话13800138000']
    """
    before = [None if t is None else _before_t2s(t) for t in texts]
    present = [t for t in before if t]
    if not present:
        return [None for _ in texts]
    converted = iter(_t2s().convert("\n".join(present)).split("\n"))
    return [None if not t else _after_t2s(next(converted)) for t in before]
