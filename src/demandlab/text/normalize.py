"""Text normalisation: what a scraped or typed export leaves that no reader needs.

Steps, in order: HTML entities and tags; links (http…, www…); control and zero-width characters;
decorative symbols (■ ★ ◆ …); full-width digits and Latin letters → half-width
(Chinese punctuation stays); traditional → simplified (OpenCC ``t2s``);
repeated punctuation; runs of whitespace (scrape residue such as ``\\n\\t\\t\\t``).
"""

from __future__ import annotations

import html
import re
from functools import cache

import opencc

_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")
_URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_DECORATIVE = re.compile("[■□▪▫◆◇◈●○◎★☆▲△▼▽►◄♦♥♠♣※✔✘✦✧❤❀✿➤➢❖◉⊙▶◀]+")
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
    }
)
_REPEATED = re.compile(r"([！？。，、；!?,;~～])\1+")
_ELLIPSIS = re.compile(r"(?:\.{3,}|。{2,}|…{2,})")
_SPACE = re.compile(r"\s+")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize_one(text: str | None) -> str | None:
    """Normalise one string; ``None`` stays ``None``, whitespace-only becomes ``None``."""
    if text is None:
        return None
    t = html.unescape(html.unescape(text)) if "&" in text else text
    t = _TAG.sub(" ", t)
    t = _URL.sub(" ", t)
    t = _CONTROL.sub("", t)
    t = _DECORATIVE.sub(" ", t)
    t = t.translate(_WIDTH)
    t = _t2s().convert(t)
    t = _ELLIPSIS.sub("…", t)
    t = _REPEATED.sub(r"\1", t)
    t = _SPACE.sub(" ", t).strip()
    return t or None


def normalize(texts: list[str | None]) -> list[str | None]:
    """Normalise a list of texts (see the module docstring for the steps).

    Examples
    --------
    >>> normalize(["\\n\\t\\t■ 電梯壞了&nbsp;３天了！！！<br/>"])
    ['电梯坏了 3天了！']
    """
    return [normalize_one(t) for t in texts]
