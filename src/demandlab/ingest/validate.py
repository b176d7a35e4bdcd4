"""The ingest stage: a table of strings + a mapping → canonical rows accepted, rows rejected.

:func:`prepare_batch` is a pure function. It never drops a row: every row read
is either accepted or rejected with a reason code, the source column and a
message a person can act on. Reasons, in the order they are checked:

=================== =====================================================
malformed_row       the file itself made the row unreadable
missing_id          the id column is empty
bad_time            the creation time is empty or not a date/time
time_out_of_range   the creation time is before 2000 or in the future
unknown_grid        a grid is given but not in the registry (when one is loaded)
empty_text          neither title nor text has any content
duplicate_id        the id already appeared earlier in this file
=================== =====================================================

Optional values that cannot be read (a closing time of 待定, an unknown
satisfaction label) do not reject the row: they become null and are listed as
warnings.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import polars as pl

from .. import schema
from .grids import GridIndex
from .mapping import CODED, Mapping
from .parse import blank_to_null, map_values, parse_count, parse_datetime
from .readers import ROW, Table

EARLIEST = dt.datetime(2000, 1, 1)
REASONS = ("malformed_row", "missing_id", "bad_time", "time_out_of_range", "unknown_grid", "empty_text", "duplicate_id")
_CODED_TYPES = {c: (pl.Boolean() if c == "resolved" else pl.String()) for c in CODED}
_OPEN_STATES = ("open", "dispatched", "responded")


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_batch` returns."""

    accepted: pl.DataFrame  # schema.RECORD + RAW_ONLY + row_number + content_hash
    rejects: pl.DataFrame  # row_number, column_name, reason, message, record_id, raw
    warnings: pl.DataFrame  # row_number, column_name, reason, value

    @property
    def rows_read(self) -> int:
        return self.accepted.height + self.rejects.height


def _canonical_strings(table: Table, mapping: Mapping) -> tuple[pl.DataFrame, dict[str, str]]:
    """Canonical columns as stripped strings (null when blank), plus where each came from."""
    frame = table.frame
    found = mapping.resolve(table.headers)
    exprs = [blank_to_null(pl.col(header)).alias(canonical) for canonical, header in found.items()]
    sources = dict(found)
    for canonical, headers in mapping.combine.items():
        present = [h for h in headers if h in frame.columns]
        if present and canonical not in found:
            exprs.append(blank_to_null(pl.concat_str([pl.col(h).fill_null("") for h in present])).alias(canonical))
            sources[canonical] = "+".join(present)
    for canonical, value in mapping.constants.items():
        if canonical not in sources:
            exprs.append(pl.lit(value, pl.String).alias(canonical))
            sources[canonical] = "(constant)"
    used = set(found.values()) | {h for hs in mapping.combine.values() for h in hs}
    extra_cols = [h for h in table.headers if h not in used]
    raw = pl.struct(table.headers).struct.json_encode().alias("raw") if table.headers else pl.lit("{}").alias("raw")
    extra = (
        pl.struct(extra_cols).struct.json_encode().alias("extra")
        if extra_cols
        else pl.lit(None, pl.String).alias("extra")
    )
    out = frame.select(pl.col(ROW).alias("row_number"), *exprs, raw, extra)
    wanted = [*schema.RECORD, "contact", "room", "grid_raw"]
    missing = [pl.lit(None, pl.String).alias(c) for c in wanted if c not in out.columns]
    return out.with_columns(missing), sources


def _typed(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Parse timestamps, counts and coded values; keep the original strings as ``<col>__text``."""
    exprs = []
    for column in schema.TIMESTAMPS:
        exprs += [
            pl.col(column).alias(f"{column}__text"),
            parse_datetime(pl.col(column), mapping.date_formats).alias(column),
        ]
    for column in ("likes", "reopen_count"):
        exprs += [
            pl.col(column).alias(f"{column}__text"),
            parse_count(pl.col(column)).cast(schema.RECORD[column]).alias(column),
        ]
    for column in CODED:
        exprs += [
            pl.col(column).alias(f"{column}__text"),
            map_values(pl.col(column), mapping.values.get(column, {}), _CODED_TYPES[column]).alias(column),
        ]
    typed = frame.with_columns(exprs)
    # a reply is a response; a closing time means closed unless the record was reopened
    return typed.with_columns(
        pl.coalesce("responded_at", "replied_at").alias("responded_at"),
        pl.when(pl.col("closed_at").is_not_null() & (pl.col("status").is_null() | pl.col("status").is_in(_OPEN_STATES)))
        .then(pl.lit("closed"))
        .otherwise(pl.col("status"))
        .alias("status"),
    )


def _resolve_grids(frame: pl.DataFrame, grids: GridIndex | None) -> pl.DataFrame:
    if grids is None or len(grids) == 0:
        return frame.with_columns(pl.col("grid_raw").alias("grid_id"), pl.lit(True).alias("__grid_ok"))
    pairs = frame.select("community", "grid_raw").unique()
    resolved = pairs.with_columns(
        pl.Series("grid_id", [grids.resolve(c, g) for c, g in pairs.iter_rows()], dtype=pl.String)
    )
    info = pl.DataFrame(
        {
            "grid_id": list(grids.info),
            "__street": [v[0] for v in grids.info.values()],
            "__community": [v[1] for v in grids.info.values()],
        },
        schema={"grid_id": pl.String, "__street": pl.String, "__community": pl.String},
    )
    out = (
        frame.drop("grid_id")
        .join(resolved, on=["community", "grid_raw"], how="left", nulls_equal=True)
        .join(info, on="grid_id", how="left")
        .with_columns(
            pl.coalesce("street", "__street").alias("street"),
            pl.coalesce("community", "__community").alias("community"),
            (pl.col("grid_raw").is_null() | pl.col("grid_id").is_not_null()).alias("__grid_ok"),
        )
        .drop("__street", "__community")
    )
    return out.sort("row_number")


def _reasons(frame: pl.DataFrame, sources: dict[str, str], now: dt.datetime) -> pl.DataFrame:
    """Add ``reason``, ``column_name`` and ``message`` (null for good rows)."""
    col_id, col_time = sources.get("record_id", "record_id"), sources.get("created_at", "created_at")
    col_grid, col_text = sources.get("grid_raw", "grid"), sources.get("text", "text")
    latest = now + dt.timedelta(days=1)
    checks: list[tuple[pl.Expr, str, str, pl.Expr]] = [
        (pl.col("record_id").is_null(), "missing_id", col_id, pl.lit(f"{col_id} is empty")),
        (
            pl.col("created_at").is_null() & pl.col("created_at__text").is_null(),
            "bad_time",
            col_time,
            pl.lit(f"{col_time} is empty"),
        ),
        (
            pl.col("created_at").is_null(),
            "bad_time",
            col_time,
            pl.format("{} {} is not a date/time", pl.lit(col_time), pl.col("created_at__text")),
        ),
        (
            pl.col("created_at") < EARLIEST,
            "time_out_of_range",
            col_time,
            pl.format("{} {} is before 2000", pl.lit(col_time), pl.col("created_at__text")),
        ),
        (
            pl.col("created_at") > latest,
            "time_out_of_range",
            col_time,
            pl.format("{} {} is in the future", pl.lit(col_time), pl.col("created_at__text")),
        ),
        (
            ~pl.col("__grid_ok"),
            "unknown_grid",
            col_grid,
            pl.format("{} {} is not in the grid registry", pl.lit(col_grid), pl.col("grid_raw")),
        ),
        (pl.col("text").is_null() & pl.col("title").is_null(), "empty_text", col_text, pl.lit(f"{col_text} is empty")),
    ]
    reason = column = message = None
    for condition, code, col, msg in reversed(checks):
        reason = (
            pl.when(condition).then(pl.lit(code)).otherwise(reason if reason is not None else pl.lit(None, pl.String))
        )
        column = (
            pl.when(condition).then(pl.lit(col)).otherwise(column if column is not None else pl.lit(None, pl.String))
        )
        message = pl.when(condition).then(msg).otherwise(message if message is not None else pl.lit(None, pl.String))
    frame = frame.with_columns(reason.alias("reason"), column.alias("column_name"), message.alias("message"))
    # duplicates among rows that are otherwise good: the first occurrence wins
    first_row = pl.col("row_number").min().over(["source", "record_id"])
    good = frame.filter(pl.col("reason").is_null()).with_columns(first_row.alias("__first"))
    frame = frame.join(good.select("row_number", "__first"), on="row_number", how="left")
    duplicate = (
        pl.col("reason").is_null() & pl.col("__first").is_not_null() & (pl.col("row_number") > pl.col("__first"))
    )
    return frame.with_columns(
        pl.when(duplicate).then(pl.lit("duplicate_id")).otherwise("reason").alias("reason"),
        pl.when(duplicate).then(pl.lit(col_id)).otherwise("column_name").alias("column_name"),
        pl.when(duplicate)
        .then(pl.format("{} {} already appears at row {}", pl.lit(col_id), pl.col("record_id"), pl.col("__first")))
        .otherwise("message")
        .alias("message"),
    ).drop("__first")


def _warnings(frame: pl.DataFrame, sources: dict[str, str]) -> pl.DataFrame:
    parts = []
    checks = [(c, "bad_time") for c in schema.TIMESTAMPS if c != "created_at"]
    checks += [(c, "bad_number") for c in ("likes", "reopen_count")]
    checks += [(c, "unknown_value") for c in CODED]
    for column, reason in checks:
        if column not in sources or sources[column] == "(constant)":
            continue
        bad = frame.filter(pl.col(column).is_null() & pl.col(f"{column}__text").is_not_null())
        if bad.height:
            parts.append(
                bad.select(
                    "row_number",
                    pl.lit(sources[column]).alias("column_name"),
                    pl.lit(reason).alias("reason"),
                    pl.col(f"{column}__text").alias("value"),
                )
            )
    empty = pl.DataFrame(
        schema={"row_number": pl.Int64, "column_name": pl.String, "reason": pl.String, "value": pl.String}
    )
    return pl.concat(parts) if parts else empty


def content_hash(frame: pl.DataFrame, columns: list[str]) -> pl.Series:
    """A stable hash of the canonical values (independent of the polars version)."""
    text = frame.select(
        pl.concat_str(
            [
                (
                    pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S%.f")
                    if frame.schema[c] == schema.DATETIME
                    else pl.col(c).cast(pl.String)
                ).fill_null("\x00")
                for c in columns
            ],
            separator="\x1f",
        )
    ).to_series()
    return pl.Series(
        "content_hash", [hashlib.blake2b(t.encode(), digest_size=16).hexdigest() for t in text], dtype=pl.String
    )


def _rejects_frame(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    bad = frame.filter(pl.col("reason").is_not_null()).select(
        "row_number", "column_name", "reason", "message", "record_id", "raw"
    )
    broken = pl.DataFrame(
        {
            "row_number": [b.row for b in table.broken],
            "column_name": [None] * len(table.broken),
            "reason": [b.reason for b in table.broken],
            "message": [b.message for b in table.broken],
            "record_id": [None] * len(table.broken),
            "raw": [b.raw for b in table.broken],
        },
        schema=bad.schema,
    )
    return pl.concat([bad, broken]).sort("row_number")


def prepare_batch(table: Table, mapping: Mapping, grids: GridIndex | None, now: dt.datetime) -> Prepared:
    """Map, parse and validate one table.

    Parameters
    ----------
    table : what a reader returned.
    mapping : the mapping chosen for the file.
    grids : the registry look-up; ``None`` (or empty) skips the unknown-grid check.
    now : the load time; creation times more than a day after it are rejected.

    Examples
    --------
    >>> table = read_table(path)  # doctest: +SKIP
    >>> prepared = prepare_batch(table, presets()["hotline_12345"], None, dt.datetime.now())  # doctest: +SKIP
    >>> prepared.rows_read == table.frame.height + len(table.broken)  # doctest: +SKIP
    True
    """
    strings, sources = _canonical_strings(table, mapping)
    typed = _resolve_grids(_typed(strings, mapping), grids)
    checked = _reasons(typed, sources, now)
    warnings = _warnings(checked.filter(pl.col("reason").is_null()), sources)
    accepted = checked.filter(pl.col("reason").is_null())
    columns = list(schema.RECORD) + list(schema.RAW_ONLY)
    accepted = accepted.select(
        *[pl.col(c).cast(t) for c, t in {**schema.RECORD, **schema.RAW_ONLY}.items()], "row_number"
    )
    accepted = accepted.with_columns(content_hash(accepted, [c for c in columns if c not in ("raw", "extra")]))
    return Prepared(accepted=accepted, rejects=_rejects_frame(checked, table), warnings=warnings)
