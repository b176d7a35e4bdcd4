"""Parsers for what exports write: Chinese and mixed dates, Excel serials, full-width digits, counts.

All parsers are polars expressions over string columns; they return null where
a value cannot be read, and the caller decides whether that rejects the row or
only warns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import polars as pl

from .. import schema

FULL_WIDTH = [chr(c) for c in range(0xFF01, 0xFF5F)] + ["\u3000"]
HALF_WIDTH = [chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F)] + [" "]
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000  # 1954 … 2119


def half_width(expr: pl.Expr) -> pl.Expr:
    """Full-width ASCII (０-９, Ａ-Ｚ, ：, －, the ideographic space) → half-width."""
    return expr.str.replace_many(FULL_WIDTH, HALF_WIDTH)


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _datetime_text(expr: pl.Expr) -> pl.Expr:
    """Rewrite the usual written forms into ``YYYY-M-D H:M:S``."""
    e = half_width(expr).str.strip_chars()
    e = e.str.replace_all(r"(\d{1,2})时(\d{1,2})分(?:(\d{1,2})秒)?", "${1}:${2}:${3}")
    e = e.str.replace_all(r":$", "")
    e = e.str.replace_all(r"(\d)\s*年\s*(\d)", "${1}-${2}").str.replace_all(r"(\d)\s*月\s*(\d)", "${1}-${2}")
    e = e.str.replace_all(r"(\d)\s*[日号]", "${1} ")
    e = e.str.replace_all(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})", "${1}-${2}-${3}")
    e = e.str.replace_all(r"(\d)T(\d)", "${1} ${2}").str.replace_all(r"\s+", " ")
    return e.str.strip_chars()


def parse_datetime(expr: pl.Expr, formats: Iterable[str] = ()) -> pl.Expr:
    """Parse a string column into ``Datetime("us")``; null where no format fits.

    Understands ``2019/2/28 11:25:05``, ``2019-02-28T11:25``, ``2019年2月28日 11时25分``,
    ``2019.02.28``, ``20190228``, full-width digits and Excel serial numbers (``43524.475``).
    ``formats`` (strftime patterns) are tried first.

    Examples
    --------
    >>> s = pl.Series(["2019/2/28 11:25:05", "2019年2月28日", "43524.5", "待核实"])
    >>> pl.select(parse_datetime(pl.lit(s))).to_series().to_list()[2]
    datetime.datetime(2019, 2, 28, 12, 0)
    """
    text = _datetime_text(expr)
    candidates = [
        text.str.strptime(schema.DATETIME, f, strict=False, exact=True) for f in (*formats, *DATETIME_FORMATS)
    ]
    serial = text.str.extract(r"^(\d{5}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    serial_dt = pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX)).then(
        pl.lit(EXCEL_EPOCH, dtype=schema.DATETIME) + pl.duration(seconds=(serial * 86_400).round(0).cast(pl.Int64))
    )
    return pl.coalesce([*candidates, serial_dt])


def parse_count(expr: pl.Expr) -> pl.Expr:
    """``"1,234"``, ``"１２"``, ``"12次"`` → integers; anything else → null."""
    digits = half_width(expr).str.replace_all(r"[,\s]", "").str.extract(r"^(-?\d+)(?:\.0+)?\D{0,3}$")
    return digits.cast(pl.Int64, strict=False)


def map_values(expr: pl.Expr, table: dict[str, object], dtype: pl.DataType) -> pl.Expr:
    """Translate coded values with ``table`` (keys compared after stripping); unknown → null."""
    keys = list(table)
    return (
        half_width(expr)
        .str.strip_chars()
        .replace_strict(keys, [table[k] for k in keys], default=None, return_dtype=dtype)
    )
