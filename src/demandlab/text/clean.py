"""The clean stage: restricted raw rows → canonical records with normalised, masked text.

Personal data never passes this stage. Every free-text column is normalised then masked:

============= =========================================================================
column        what leaves the stage
============= =========================================================================
title, text,  masked in full (:func:`demandlab.text.mask`)
reply,
address
dept          the unit; a person or a number written in it is removed (:func:`mask_dept`)
building      the building; a room or house number written in it is removed
grid_worker   a role and a salted pseudonym, ``网格员·k3f2ab`` (:func:`grid_worker_keys`)
contact       only as the salted ``contact_key``; the room stays behind in ``raw_records``
============= =========================================================================

Derived keys (ISO week, week start) are computed here so that every engine downstream sees the
same ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from .. import schema
from .focus import focus_tags
from .normalize import normalize
from .pii import contact_keys, grid_worker_keys, mask, mask_building, mask_dept

#: columns masked in full
FREE_TEXT = ("title", "text", "reply", "address")


def clean_text(texts: list[str | None]) -> list[str | None]:
    """Normalise, then mask: what every text goes through before anything reads it.

    Examples
    --------
    >>> clean_text(["业主王建国反映５栋１１０２漏水"])
    ['业主〔姓名〕反映5栋〔房号〕漏水']
    """
    return mask(normalize(texts))


def _by_value(column: pl.Series, fn: Callable[[list[str | None]], list[str | None]]) -> pl.Series:
    """Apply ``fn`` once per distinct value (addresses, units and buildings repeat a lot)."""
    distinct = column.drop_nulls().unique(maintain_order=True)
    if distinct.len() == 0:
        return column.cast(pl.String)
    if distinct.len() > 0.8 * column.len():
        return pl.Series(column.name, fn(column.to_list()), dtype=pl.String)
    cleaned = pl.Series(fn(distinct.to_list()), dtype=pl.String)
    return column.replace_strict(distinct, cleaned, default=None, return_dtype=pl.String)


def focus_column(title: pl.Series, text: pl.Series) -> pl.Series:
    """``focus`` of each record (一老一小, :func:`~demandlab.text.focus.focus_tags`) from its masked title and text.

    >>> focus_column(pl.Series(["独居老人家中漏水"]), pl.Series([None])).to_list()
    [['elderly']]
    """
    joined = [f"{a or ''}。{b or ''}" for a, b in zip(title.to_list(), text.to_list(), strict=True)]
    return pl.Series("focus", focus_tags(joined), dtype=pl.List(pl.String))


def iso_week(column: str = "created_at") -> pl.Expr:
    """``2026-W47`` for a datetime column."""
    c = pl.col(column)
    return pl.format("{}-W{}", c.dt.iso_year(), c.dt.week().cast(pl.String).str.zfill(2))


def clean_records(raw: pl.DataFrame, salt: bytes) -> pl.DataFrame:
    """Turn ``raw_records`` rows into ``records`` rows.

    Parameters
    ----------
    raw : rows with the columns of ``schema.RECORD`` plus ``contact``, ``version``,
        ``batch_id`` and ``content_hash``.
    salt : the secret salt of ``contact_key`` and of the grid workers' pseudonyms.

    Returns
    -------
    A frame with the columns of ``schema.RECORD`` and ``schema.RECORD_DERIVED``;
    the input is not modified.

    Examples
    --------
    >>> import datetime as dt
    >>> raw = pl.DataFrame({"text": ["我是李明，电话13800138000"], "dept": ["物业公司 王经理"],
    ...                     "building": ["翠湖小区5栋1102"], "grid_worker": ["王芳"], "contact": ["13800138000"],
    ...                     "created_at": [dt.datetime(2026, 11, 16, 9)]})
    >>> out = clean_records(raw, b"salt")
    >>> out.select("text", "dept", "building").row(0)
    ('我是〔姓名〕，电话〔手机号〕', '物业公司', '翠湖小区5栋')
    >>> out["grid_worker"][0].startswith("网格员·")
    True
    """
    frame = raw.with_columns(pl.lit(None, pl.String).alias(c) for c in schema.RECORD if c not in raw.columns)
    if "contact" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("contact"))
    out = frame.with_columns(
        *(_by_value(frame[c].cast(pl.String), clean_text).alias(c) for c in FREE_TEXT),
        _by_value(frame["dept"].cast(pl.String), lambda v: mask_dept(normalize(v))).alias("dept"),
        _by_value(frame["building"].cast(pl.String), lambda v: mask_building(normalize(v))).alias("building"),
        _by_value(frame["grid_worker"].cast(pl.String), lambda v: grid_worker_keys(normalize(v), salt)).alias(
            "grid_worker"
        ),
        pl.Series("contact_key", contact_keys(frame["contact"].to_list(), salt), dtype=pl.String),
        iso_week().alias("iso_week"),
        pl.col("created_at").dt.truncate("1w").cast(pl.Date).alias("week_start"),
    )
    out = out.with_columns(focus_column(out["title"], out["text"]))
    missing = [pl.lit(None, t).alias(c) for c, t in schema.RECORD_DERIVED.items() if c not in out.columns]
    columns = {**schema.RECORD, **schema.RECORD_DERIVED}
    return out.with_columns(missing).select([pl.col(c).cast(t) for c, t in columns.items()])


@dataclass(frozen=True)
class CleanContext:
    """What the clean stage needs besides the rows: plain data that pickles to any worker.

    ``salt`` keys callers and grid workers; ``cleaned_at`` is stamped on every row (the runner's clock).
    """

    salt: bytes
    cleaned_at: dt.datetime | None = None


def clean_stage(raw: pl.DataFrame, ctx: CleanContext) -> pl.DataFrame:
    """The clean stage (partitioned by rows): :func:`clean_records` plus the time of cleaning.

    >>> import datetime as dt
    >>> raw = pl.DataFrame({"text": ["电话13800138000"], "created_at": [dt.datetime(2026, 11, 16, 9)]})
    >>> clean_stage(raw, CleanContext(b"salt", dt.datetime(2026, 11, 17)))["cleaned_at"].to_list()
    [datetime.datetime(2026, 11, 17, 0, 0)]
    """
    return clean_records(raw, ctx.salt).with_columns(pl.lit(ctx.cleaned_at, schema.DATETIME).alias("cleaned_at"))
