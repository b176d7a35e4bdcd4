"""The ingest stage: a table of strings + a mapping → canonical rows accepted, rows rejected.

:func:`prepare_batch` is a pure function. It never drops a row: every row read
is either accepted or rejected with a reason code, the source column and a
message a person can act on. Reasons, in the order they are checked:

=================== =====================================================
malformed_row       the file itself made the row unreadable
bad_encoding        a value holds bytes the file's encoding cannot decode
missing_id          the id column is empty
bad_time            the creation time is empty or not a date/time
time_out_of_range   the creation time is before 2000 or in the future
unknown_grid        a grid is given but not in the registry (when one is loaded)
empty_text          neither title nor text has any content
duplicate_id        the id already appeared earlier in this file
unknown_record      (set when writing) a partial export without creation times
                    names a record the database has never seen
=================== =====================================================

Optional values that cannot be read (a closing time of 待定, an unknown
satisfaction label) do not reject the row: they become null and are listed as
warnings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from .. import schema
from .grids import GridIndex
from .mapping import CODED, Mapping
from .parse import blank_to_null, map_values, parse_count, parse_datetime_columns
from .readers import REPLACEMENT, ROW, Table

EARLIEST = dt.datetime(2000, 1, 1)
REASONS = (
    "malformed_row",
    "bad_encoding",
    "missing_id",
    "bad_time",
    "time_out_of_range",
    "unknown_grid",
    "empty_text",
    "duplicate_id",
    "unknown_record",
)
_CODED_TYPES = {c: (pl.Boolean() if c == "resolved" else pl.String()) for c in CODED}
_OPEN_STATES = ("open", "dispatched", "responded")
#: Columns filled from others: when the other is in the file, the derived one counts as carried too.
_DERIVED_FROM = {
    "grid_id": "grid_raw",
    "street": "grid_raw",
    "community": "grid_raw",
    "status": "closed_at",
    "responded_at": "replied_at",
}


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_batch` returns."""

    accepted: pl.DataFrame  # schema.RECORD + RAW_ONLY + row_number (+ sheet)
    rejects: pl.DataFrame  # row_number, column_name, reason, message, record_id, raw (+ sheet)
    warnings: pl.DataFrame  # row_number, column_name, reason, value (+ sheet)
    provided: frozenset[str] = frozenset()  # canonical columns the file carried (a later load keeps the rest)

    @property
    def rows_read(self) -> int:
        return self.accepted.height + self.rejects.height


def _canonical_strings(table: Table, mapping: Mapping) -> tuple[pl.DataFrame, dict[str, str]]:
    """Canonical columns as stripped strings (null when blank), plus where each came from."""
    frame = table.frame
    found = mapping.resolve(table.headers)
    exprs = [blank_to_null(pl.col(header)).alias(canonical) for canonical, header in found.items()]
    sources = dict(found)
    for canonical, (headers, sep) in mapping.combine.items():
        present = [h for h in headers if h in frame.columns]
        if present and canonical not in found:
            joined = pl.concat_str([pl.col(h) for h in present], separator=sep, ignore_nulls=True)
            exprs.append(blank_to_null(joined).alias(canonical))
            sources[canonical] = "+".join(present)
    for canonical, value in mapping.constants.items():
        if canonical not in sources:
            exprs.append(pl.lit(value, pl.String).alias(canonical))
            sources[canonical] = "(constant)"
    used = set(found.values()) | {h for hs, _ in mapping.combine.values() for h in hs}
    extra_cols = [h for h in table.headers if h not in used]
    extra = (
        pl.struct(extra_cols).struct.json_encode().alias("extra")
        if extra_cols
        else pl.lit(None, pl.String).alias("extra")
    )
    out = frame.select(pl.col(ROW).alias("row_number"), *exprs, extra)
    wanted = [*schema.RECORD, "contact", "room", "grid_raw"]
    missing = [pl.lit(None, pl.String).alias(c) for c in wanted if c not in out.columns]
    return out.with_columns(missing), sources


def _typed(frame: pl.DataFrame, mapping: Mapping) -> pl.DataFrame:
    """Parse timestamps, counts and coded values; keep the original strings as ``<col>__text``."""
    times = parse_datetime_columns(frame, schema.TIMESTAMPS, mapping.date_formats)
    exprs: list[pl.Expr | pl.Series] = []
    for column in schema.TIMESTAMPS:
        exprs += [pl.col(column).alias(f"{column}__text"), times[column]]
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
    checks: list[tuple[pl.Expr, str, str | pl.Expr, pl.Expr]] = [
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
    # the values as read: coded and time columns keep their text in <column>__text
    as_read = {
        c: f"{c}__text" if f"{c}__text" in frame.columns else c for c in (*schema.RECORD, "contact", "room", "grid_raw")
    }
    undecodable = [c for c, col in as_read.items() if c in sources and frame.schema.get(col) == pl.String()]
    if undecodable:
        has = [pl.col(as_read[c]).str.contains(REPLACEMENT, literal=True).fill_null(False) for c in undecodable]
        first = pl.coalesce([pl.when(h).then(pl.lit(sources[c])) for h, c in zip(has, undecodable, strict=True)])
        message = pl.format("{} holds bytes that are not valid in the file's encoding", first)
        checks.insert(1, (pl.any_horizontal(has), "bad_encoding", first, message))
    # a partial export (say, 回访 results: id and satisfaction only) is checked on what it carries;
    # the runner keeps the rest from the record's previous version
    carried = {
        "bad_time": "created_at" in sources,
        "time_out_of_range": "created_at" in sources,
        "empty_text": "text" in sources or "title" in sources,
    }
    checks = [c for c in checks if carried.get(c[1], True)]
    reason = column = message = None
    for condition, code, col, msg in reversed(checks):
        reason = (
            pl.when(condition).then(pl.lit(code)).otherwise(reason if reason is not None else pl.lit(None, pl.String))
        )
        column = (
            pl.when(condition)
            .then(pl.lit(col) if isinstance(col, str) else col)
            .otherwise(column if column is not None else pl.lit(None, pl.String))
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


def _rejects_frame(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Rejected rows with the file's original values as JSON (only for these rows: it is costly)."""
    bad = frame.filter(pl.col("reason").is_not_null()).select(
        "row_number", "column_name", "reason", "message", "record_id"
    )
    originals = table.frame.filter(pl.col(ROW).is_in(bad["row_number"].implode())).select(
        pl.col(ROW).alias("row_number"),
        (pl.struct(table.headers).struct.json_encode() if table.headers else pl.lit("{}")).alias("raw"),
    )
    bad = bad.join(originals, on="row_number", how="left")
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
    accepted = checked.filter(pl.col("reason").is_null()).select(
        *[pl.col(c).cast(t) for c, t in {**schema.RECORD, **schema.RAW_ONLY}.items()], "row_number"
    )
    provided = set(sources) | {derived for derived, base in _DERIVED_FROM.items() if base in sources}
    return Prepared(
        accepted=accepted, rejects=_rejects_frame(checked, table), warnings=warnings, provided=frozenset(provided)
    )


def merge_sheets(parts: list[tuple[str | None, Prepared]]) -> Prepared:
    """One :class:`Prepared` from the sheets of a workbook, each tagged with its sheet.

    An id that a later sheet repeats is rejected there as ``duplicate_id`` (the first sheet wins),
    as within a sheet.
    """
    tagged = [
        (
            p.accepted.with_columns(pl.lit(sheet, pl.String).alias("sheet")),
            p.rejects.with_columns(pl.lit(sheet, pl.String).alias("sheet")),
            p.warnings.with_columns(pl.lit(sheet, pl.String).alias("sheet")),
        )
        for sheet, p in parts
    ]
    accepted = pl.concat([a for a, _, _ in tagged], how="diagonal_relaxed")
    rejects = pl.concat([r for _, r, _ in tagged], how="diagonal_relaxed")
    warnings = pl.concat([w for _, _, w in tagged], how="diagonal_relaxed")
    if len(parts) > 1:
        order = pl.int_range(pl.len()).alias("__order")
        accepted = accepted.with_columns(order)
        first = pl.col("__order").min().over(["source", "record_id"])
        repeated = accepted.filter(pl.col("__order") > first)
        if repeated.height:
            first_sheet = accepted.group_by(["source", "record_id"]).agg(pl.col("sheet").first().alias("__first_sheet"))
            repeated = repeated.join(first_sheet, on=["source", "record_id"], how="left")
            rejects = pl.concat(
                [
                    rejects,
                    repeated.select(
                        "row_number",
                        pl.lit("record_id").alias("column_name"),
                        pl.lit("duplicate_id").alias("reason"),
                        pl.format("record_id {} already appears in sheet {}", "record_id", "__first_sheet").alias(
                            "message"
                        ),
                        "record_id",
                        pl.lit(None, pl.String).alias("raw"),
                        "sheet",
                    ),
                ],
                how="diagonal_relaxed",
            )
            accepted = accepted.filter(pl.col("__order") == first)
        accepted = accepted.drop("__order")
    provided = frozenset().union(*(p.provided for _, p in parts)) if parts else frozenset()
    return Prepared(accepted=accepted.drop("sheet"), rejects=rejects, warnings=warnings, provided=provided)
