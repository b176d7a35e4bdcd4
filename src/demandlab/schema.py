"""Column names and types of the canonical tables: the one place they are spelled out.

Every stage imports its column lists from here, so that a renamed column is a
one-line change and the docs test (tests/test_docs.py) can check the README.
"""

from __future__ import annotations

import polars as pl

from . import labels

DATETIME = pl.Datetime("us")

#: The canonical record, shared by every source (see docs: "Canonical record").
RECORD: dict[str, pl.DataType] = {
    "source": pl.String(),
    "record_id": pl.String(),
    "kind": pl.String(),
    "channel": pl.String(),
    "created_at": DATETIME,
    "title": pl.String(),
    "text": pl.String(),
    "street": pl.String(),
    "community": pl.String(),
    "grid_id": pl.String(),
    "building": pl.String(),
    "address": pl.String(),
    "category": pl.String(),
    "dept": pl.String(),
    "status": pl.String(),
    "accepted_at": DATETIME,
    "responded_at": DATETIME,
    "closed_at": DATETIME,
    "due_at": DATETIME,
    "resolved": pl.Boolean(),
    "satisfaction": pl.String(),
    "resolved_level": pl.String(),
    "reopen_count": pl.Int32(),
    "likes": pl.Int64(),
    "grid_worker": pl.String(),
    "reply": pl.String(),
    "replied_at": DATETIME,
}

#: Columns only the restricted ``raw_records`` table holds: personal data in clear,
#: the place as written, and the source columns no mapping names (as JSON).
RAW_ONLY: dict[str, pl.DataType] = {
    "contact": pl.String(),
    "room": pl.String(),
    "grid_raw": pl.String(),
    "extra": pl.String(),
}

#: What the content hash covers: everything a record says, nothing about where it was loaded.
HASHED = [*RECORD, *RAW_ONLY]

#: Lineage columns on ``raw_records``.
RAW_LINEAGE: dict[str, pl.DataType] = {
    "version": pl.Int32(),
    "batch_id": pl.String(),
    "row_number": pl.Int64(),
    "content_hash": pl.String(),
    "loaded_at": DATETIME,
}

#: Derived columns on ``records`` (cleaned and masked).
RECORD_DERIVED: dict[str, pl.DataType] = {
    "contact_key": pl.String(),
    "iso_week": pl.String(),
    "week_start": pl.Date(),
    "version": pl.Int32(),
    "batch_id": pl.String(),
    "content_hash": pl.String(),
    "focus": pl.List(pl.String()),  # 一老一小: 'elderly', 'children' (text/focus.py); [] for neither
}

KEY = ["source", "record_id"]
TIMESTAMPS = [c for c, t in RECORD.items() if t == DATETIME]
TEXT_COLUMNS = ["title", "text"]

#: Accepted canonical values of the coded columns.
VALUES: dict[str, tuple[str, ...]] = {
    "kind": ("complaint", "request", "consult", "suggestion", "praise", "visit", "report"),
    "channel": ("phone", "app", "web", "wechat", "walk-in", "visit"),
    "status": ("open", "dispatched", "responded", "closed", "reopened"),
    "satisfaction": ("satisfied", "basic", "dissatisfied", "not_surveyed"),
    "resolved_level": ("grid", "community", "street", "district"),
}

#: Chinese labels for coded values and sources: defined in :mod:`demandlab.labels`, named here too
#: because code written against this module imports them from here.
LABELS_ZH = labels.LABELS_ZH
SOURCE_LABELS_ZH = labels.SOURCE_LABELS_ZH


def empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=columns)


def sql_type(dtype: pl.DataType) -> str:
    """The DuckDB type for a polars type used in this schema."""
    if dtype == DATETIME:
        return "TIMESTAMP"
    if isinstance(dtype, pl.List):
        return f"{sql_type(dtype.inner)}[]"
    return {
        pl.String(): "VARCHAR",
        pl.Boolean(): "BOOLEAN",
        pl.Int32(): "INTEGER",
        pl.Int64(): "BIGINT",
        pl.Float64(): "DOUBLE",
        pl.Date(): "DATE",
    }[dtype]


def columns_ddl(columns: dict[str, pl.DataType]) -> str:
    return ",\n    ".join(f"{name} {sql_type(dtype)}" for name, dtype in columns.items())
