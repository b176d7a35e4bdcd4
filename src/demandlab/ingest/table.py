"""What every reader returns: a :class:`Table` of strings, the rows the file made unreadable, and
the reader's warnings; and :class:`IngestError` for a file that cannot be loaded at all.

Messages are simplified Chinese and never hold a data value (a value may be a name or a phone
number): they name the column and what is wrong. The offending text, when there is one, travels
apart in ``raw`` / ``value``, which the runner keeps in the restricted database only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ..errors import EXIT_INPUT, DemandlabError
from .limits import MAX_STORED_CHARS

ROW = "__row"
REPLACEMENT = "\ufffd"


class IngestError(DemandlabError):
    """A file that cannot be loaded at all (exit code 3).

    ``reason`` is a short code; the message (Chinese) names the file and what to do, and never
    holds a data value.
    """

    def __init__(self, path: str | Path, reason: str, message: str) -> None:
        self.path = str(path)
        self.reason = reason
        self.message = message
        super().__init__(f"{path}: {message}")

    exit_code = EXIT_INPUT


@dataclass(frozen=True)
class BrokenRow:
    """A row the file itself made unreadable (wrong number of fields, invalid JSON, bad bytes, too large)."""

    row: int
    reason: str
    message: str
    raw: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class TableWarning:
    """Something the reader changed or left out, kept in ``load_warnings``.

    ``row`` is None for what concerns a whole column or sheet; ``sheet`` is set only when the
    warning is about another sheet than the table's (a hidden sheet that was skipped).
    """

    row: int | None
    column: str | None
    reason: str
    message: str
    value: str | None = None
    sheet: str | None = None


@dataclass
class Table:
    frame: pl.DataFrame
    format: str
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    blank_rows: int = 0
    broken: list[BrokenRow] = field(default_factory=list)
    warnings: list[TableWarning] = field(default_factory=list)
    #: (row, header) of workbook cells holding a formula without a cached value
    formula_cells: frozenset[tuple[int, str]] = frozenset()

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]


def cap(text: str | None, limit: int = MAX_STORED_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters (ending in ``…`` when cut).

    Examples
    --------
    >>> cap("漏水" * 3, 4)
    '漏水漏…'
    """
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def cap_expr(expr: pl.Expr, limit: int = MAX_STORED_CHARS) -> pl.Expr:
    """:func:`cap` as a polars expression."""
    return pl.when(expr.str.len_chars() > limit).then(expr.str.slice(0, limit - 1) + "…").otherwise(expr)


def row_json(values: dict[str, str | None]) -> str:
    """A row as JSON with every value capped (for ``rejects.raw``)."""
    return json.dumps({k: cap(v) for k, v in values.items()}, ensure_ascii=False)
