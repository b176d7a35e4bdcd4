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
#: Formats tried whole-column first; the best one on a sample parses the column, the rest go the slow way.
FAST_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y-%m-%dT%H:%M:%S",
)
DATETIME_FORMATS = (
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y%m%d%H%M%S",
    "%Y%m%d %H:%M:%S",
    "%Y%m%d",
)
EXCEL_EPOCH = dt.datetime(1899, 12, 30)
LOCAL_TIMEZONE = "Asia/Shanghai"
"""Time zone that times carrying a zone (``2025-03-01T02:00:00Z``, a time-zone-aware Parquet
column) are converted to before the zone is dropped: every other export writes naive local
(Beijing) time, and records are compared with them."""
_OFFSET_FORMATS = ("%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M%z")
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000  # 1954 … 2119
#: Values :func:`best_format` judges a column by: the first non-empty ones.
SAMPLE_VALUES = 2_000


def half_width(expr: pl.Expr) -> pl.Expr:
    """Full-width ASCII (０-９, Ａ-Ｚ, ：, －, the ideographic space) → half-width."""
    return expr.str.replace_many(FULL_WIDTH, HALF_WIDTH)


def blank_to_null(expr: pl.Expr) -> pl.Expr:
    stripped = expr.str.strip_chars()
    return pl.when(stripped == "").then(None).otherwise(stripped)


def _datetime_text(expr: pl.Expr) -> pl.Expr:
    """Rewrite the usual written forms into ``YYYY-M-D H:M:S``."""
    e = half_width(expr).str.strip_chars()
    # a date cell and a time cell joined: "2019-02-28 00:00:00 1899-12-31 11:25:05" (calamine's time-only cell)
    e = e.str.replace(
        r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2})(?: 00:00:00)? (?:1899-12-3[01] )?(\d{1,2}:\d{2}(?::\d{2})?)$", "${1} ${2}"
    )
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
    ``2019.02.28``, ``20190228``, full-width digits, Excel serial numbers (``43524.475``) and ISO
    times with a zone (``2019-02-28T03:25:05Z`` → 11:25:05, Beijing time).
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
    # ISO 8601 with a zone (APIs, JSON exports): the same instant in Beijing wall time
    zoned = text.str.replace(r"\s*Z$", "+00:00").str.replace(r"\s+([+-]\d{2}:?\d{2})$", "${1}")
    candidates += [
        zoned.str.strptime(pl.Datetime("us", "UTC"), f, strict=False, exact=True)
        .dt.convert_time_zone(LOCAL_TIMEZONE)
        .dt.replace_time_zone(None)
        for f in _OFFSET_FORMATS
    ]
    serial = text.str.extract(r"^(\d{5}(?:\.\d+)?)$").cast(pl.Float64, strict=False)
    serial_dt = pl.when(serial.is_between(_SERIAL_MIN, _SERIAL_MAX)).then(
        pl.lit(EXCEL_EPOCH, dtype=schema.DATETIME) + pl.duration(seconds=(serial * 86_400).round(0).cast(pl.Int64))
    )
    return pl.coalesce([*candidates, serial_dt])


def best_format(values: pl.Series, formats: Iterable[str] = ()) -> str | None:
    """The strftime format that reads most of a sample of ``values`` (None when none reads any)."""
    sample = values.drop_nulls().head(SAMPLE_VALUES).str.strip_chars()
    best, best_hits = None, 0
    for fmt in (*formats, *FAST_FORMATS):
        hits = sample.str.strptime(schema.DATETIME, fmt, strict=False).is_not_null().sum()
        if hits > best_hits:
            best, best_hits = fmt, hits
            if hits == len(sample):
                break
    return best


def parse_datetime_columns(
    frame: pl.DataFrame, columns: list[str], formats: Iterable[str] = (), chosen: dict[str, str | None] | None = None
) -> pl.DataFrame:
    """Parse several string columns into ``Datetime("us")`` fast.

    Exports write one format per column almost always: the format that reads most of a sample
    parses each whole column (all columns at once, in parallel), and only the values it could not
    read go through the slower :func:`parse_datetime`, which knows every written form.
    ``chosen`` gives a column's fast format instead (:func:`best_format` of the whole file, for a
    part of it).
    """
    formats = tuple(formats)
    fast = []
    for column in columns:
        fmt = chosen[column] if chosen is not None and column in chosen else best_format(frame[column], formats)
        text = pl.col(column).str.strip_chars()
        fast.append(
            text.str.strptime(schema.DATETIME, fmt, strict=False).alias(column)
            if fmt
            else pl.repeat(None, pl.len(), dtype=schema.DATETIME).alias(column)
        )
    parsed = frame.select(fast)
    for column in columns:
        todo = (parsed[column].is_null() & frame[column].is_not_null()).arg_true()
        if len(todo):
            slow = pl.select(parse_datetime(pl.lit(frame[column].gather(todo)), formats)).to_series()
            parsed = parsed.with_columns(parsed[column].scatter(todo, slow))
    return parsed


def parse_datetime_series(values: pl.Series, formats: Iterable[str] = ()) -> pl.Series:
    """:func:`parse_datetime_columns` for one Series."""
    name = values.name or "value"
    return parse_datetime_columns(values.rename(name).to_frame(), [name], formats)[name].alias(values.name)


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
