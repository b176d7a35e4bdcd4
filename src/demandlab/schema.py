"""Column names and types of the canonical tables: the one place they are spelled out.

Every stage imports its column lists from here, so that a renamed column is a
one-line change and the docs test (tests/test_docs.py) can check the README.
"""

from __future__ import annotations

import polars as pl

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

#: Chinese labels for coded values, used in charts and the report.
LABELS_ZH: dict[str, str] = {
    "complaint": "投诉",
    "request": "求助",
    "consult": "咨询",
    "suggestion": "建议",
    "praise": "表扬",
    "visit": "走访",
    "report": "上报",
    "phone": "电话",
    "app": "APP",
    "web": "网站",
    "wechat": "微信",
    "walk-in": "来访",
    "open": "待受理",
    "dispatched": "已派单",
    "responded": "处理中",
    "closed": "已办结",
    "reopened": "重办",
    "satisfied": "满意",
    "basic": "基本满意",
    "dissatisfied": "不满意",
    "not_surveyed": "未回访",
    "grid": "网格",
    "community": "社区",
    "street": "街道",
    "district": "区级",
    "12345": "12345热线",
    "snapshot": "随手拍",
    "message_board": "网上留言",
}
SOURCE_LABELS_ZH = {"12345": "12345热线", "snapshot": "随手拍", "visit": "网格走访", "message_board": "网上留言"}


def empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    """An empty frame with the given schema."""
    return pl.DataFrame(schema=columns)


def sql_type(dtype: pl.DataType) -> str:
    """The DuckDB type for a polars type used in this schema."""
    if dtype == DATETIME:
        return "TIMESTAMP"
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
