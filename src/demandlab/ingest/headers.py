"""Header rows: one normal form for a header, unique names, and where the header row is.

Exports write the same header in several ways: ``"走访编号 "`` with a trailing space, full-width
``（）`` or letters, an ideographic space, a zero-width space pasted from a web page. Every reader
passes its headers (and JSON keys) through :func:`normalize_header`, and mappings compare their
candidates in the same form, so one variant in one line does not make a column go missing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from .limits import HEADER_SEARCH_ROWS

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACE_BY_WIDE = re.compile(r"(?<=[^\x00-\x7f])\s+|\s+(?=[^\x00-\x7f])")
_SPACES = re.compile(r"\s+")


def normalize_header(name: object) -> str:
    """The normal form of a header: NFKC (full-width → half-width), no invisible characters,
    trimmed, no space next to a Chinese character, inner runs of spaces as one.

    Examples
    --------
    >>> normalize_header(" 走访编号\\u3000"), normalize_header("来电时间（北京）"), normalize_header("走访 编号")
    ('走访编号', '来电时间(北京)', '走访编号')
    >>> normalize_header("Record  ID")
    'Record ID'
    """
    if name is None:
        return ""
    text = unicodedata.normalize("NFKC", str(name)).translate(_INVISIBLE)
    return _SPACES.sub(" ", _SPACE_BY_WIDE.sub("", text)).strip()


def unique_headers(names: Sequence[str]) -> tuple[list[str], list[tuple[int, str, str]]]:
    """Headers made unique: the second ``诉求内容`` becomes ``诉求内容_2``; an empty header
    becomes ``列N`` (N its position, from 1).

    Returns the names and, for each renamed duplicate, ``(position, header, new name)``.

    Examples
    --------
    >>> unique_headers(["诉求内容", "诉求内容", "", "诉求内容_2"])
    (['诉求内容', '诉求内容_3', '列3', '诉求内容_2'], [(1, '诉求内容', '诉求内容_3')])
    """
    taken = set(names)
    out: list[str] = []
    renamed: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        if not name:
            new, k = f"列{i + 1}", 1
            while new in taken or new in seen:
                k += 1
                new = f"列{i + 1}_{k}"
        elif name in seen:
            k = 2
            while f"{name}_{k}" in taken or f"{name}_{k}" in seen:
                k += 1
            new = f"{name}_{k}"
            renamed.append((i, name, new))
        else:
            new = name
        seen.add(new)
        out.append(new)
    return out, renamed


def find_header_row(rows: Iterable[Sequence[object]], known: set[str]) -> tuple[int, int]:
    """Index of the header row among the first :data:`~demandlab.ingest.limits.HEADER_SEARCH_ROWS`
    rows, and how many known headers it holds.

    With ``known`` headers, the row holding most of them wins (ties: the fuller row, then the
    first); without, the first of the fullest rows. A row needs at least two filled cells.

    Examples
    --------
    >>> rows = [["工单导出"], ["工单编号", "来电时间", "备注"], ["GD1", "2025/3/1", "x"]]
    >>> find_header_row(rows, {"工单编号", "来电时间"})
    (1, 2)
    """
    best_index, best_score = 0, (-1, -1)
    for i, row in enumerate(rows):
        if i >= HEADER_SEARCH_ROWS:
            break
        cells = [normalize_header(v) for v in row]
        filled = sum(bool(c) for c in cells)
        matches = sum(c in known for c in cells) if known else 0
        if filled >= 2 and (matches, filled) > best_score:
            best_index, best_score = i, (matches, filled)
    return best_index, max(best_score[0], 0)
