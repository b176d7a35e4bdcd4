"""The clean stage: restricted raw rows → canonical records with normalised, masked text.

Personal data never passes this stage: text, title and address are
normalised then masked; the caller's number becomes a salted ``contact_key``;
the room number stays behind in ``raw_records``. Derived keys (ISO week, week
start) are computed here so that every engine downstream sees the same ones.
"""

from __future__ import annotations

import polars as pl

from .. import schema
from .normalize import normalize
from .pii import contact_keys, mask


def clean_text(texts: list[str | None]) -> list[str | None]:
    """Normalise, then mask: what every text goes through before anything reads it."""
    return mask(normalize(texts))


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
    salt : the secret salt of ``contact_key``.

    Returns
    -------
    A frame with the columns of ``schema.RECORD`` and ``schema.RECORD_DERIVED``;
    the input is not modified.
    """
    cleaned = {
        column: pl.Series(column, clean_text(raw[column].to_list()), dtype=pl.String)
        for column in ("title", "text", "address")
    }
    out = raw.with_columns(
        *cleaned.values(),
        pl.Series("contact_key", contact_keys(raw["contact"].to_list(), salt), dtype=pl.String),
        iso_week().alias("iso_week"),
        pl.col("created_at").dt.truncate("1w").cast(pl.Date).alias("week_start"),
    )
    return out.select([pl.col(c).cast(t) for c, t in {**schema.RECORD, **schema.RECORD_DERIVED}.items()])
