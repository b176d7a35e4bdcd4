"""The ingest stage: a table of strings + a mapping → canonical rows accepted, rows rejected.

:func:`prepare_batch` is a pure function. It never drops a row: every row read is either
accepted or rejected with one reason code, the source column, and a message in Chinese that
names the column and what is wrong — never the value, which travels apart in ``value`` and
``raw`` (restricted). Reasons, in the order they are checked:

=================== =====================================================
malformed_row       the file itself made the row unreadable (columns, quotes, JSON)
bad_encoding        the line, or a value, holds bytes the file's encoding cannot decode
nul_byte            the line holds a NUL byte
field_too_large     a CSV / JSON line or value beyond ``limits.MAX_FIELD_BYTES``
cell_too_large      a workbook cell beyond Excel's 32,767 characters
missing_id          the id column is empty
bad_time            the creation time is empty or not a date/time
time_out_of_range   the creation time is before 2000 or in the future
unknown_grid        a grid is given but not in the registry (when one is loaded)
empty_text          neither title nor text has any content
formula_no_value    the cell behind any of the four above is a formula that was never computed
duplicate_id        the id already appeared earlier in this file, for the same matter
unknown_record      (set when writing) a partial export without creation times
                    names a record the database has never seen
=================== =====================================================

Rows that share an id but whose title *and* creation time both differ are two different
messages, not one record twice (:func:`is_id_conflict`): the later one is kept under a derived,
deterministic id (:func:`derived_id`) with an ``id_conflict`` warning naming both rows
(see :mod:`~demandlab.ingest.repeats`).

Optional values that cannot be read (a closing time of 待定, an unknown satisfaction label) do
not reject the row: they become null and are listed as warnings, as is whatever the reader
changed (see :data:`WARNINGS`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace

import polars as pl

from .. import schema
from .grids import GridIndex
from .mapping import CODED, Mapping
from .parse import SAMPLE_VALUES, best_format, blank_to_null, map_values, parse_count, parse_datetime_columns
from .prepared import REASONS, REJECT_COLUMNS, WARNING_COLUMNS, WARNINGS, Prepared, _empty
from .repeats import Repeats, _repeats_across_sheets, apply_repeats, derived_id, is_id_conflict
from .table import REPLACEMENT, ROW, Table, cap_expr

EARLIEST = dt.datetime(2000, 1, 1)
FORMULA_HINT = "公式没有缓存值：请在 Excel 中打开并保存后再导出"
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


# --- mapping and typing ------------------------------------------------------------------------
def _column_sources(headers: list[str], mapping: Mapping) -> tuple[dict[str, str], list[str]]:
    """Where each canonical column comes from (a header, headers joined by ``+``, or ``(constant)``)
    and the headers no mapping names (kept in ``extra``)."""
    found = mapping.resolve(headers)
    sources = dict(found)
    for canonical, (combined, _) in mapping.combine.items():
        present = [h for h in combined if h in headers]
        if present and canonical not in sources:
            sources[canonical] = "+".join(present)
    for canonical in mapping.constants:
        sources.setdefault(canonical, "(constant)")
    used = set(found.values()) | {h for hs, _ in mapping.combine.values() for h in hs}
    return sources, [h for h in headers if h not in used]


def _canonical_strings(table: Table, mapping: Mapping, only: tuple[str, ...] | None = None) -> pl.DataFrame:
    """Canonical columns as stripped strings (null when blank), unmapped values as ``extra``;
    ``only``: just these canonical columns (no ``extra``)."""
    frame = table.frame
    found = mapping.resolve(table.headers)
    exprs = [blank_to_null(pl.col(header)).alias(canonical) for canonical, header in found.items()]
    for canonical, (headers, sep) in mapping.combine.items():
        present = [h for h in headers if h in frame.columns]
        if present and canonical not in found:
            joined = pl.concat_str([pl.col(h) for h in present], separator=sep, ignore_nulls=True)
            exprs.append(blank_to_null(joined).alias(canonical))
    named = {e.meta.output_name() for e in exprs}
    exprs += [pl.lit(v, pl.String).alias(c) for c, v in mapping.constants.items() if c not in named]
    wanted = [*schema.RECORD, "contact", "room", "grid_raw"]
    if only is not None:
        exprs, wanted = [e for e in exprs if e.meta.output_name() in only], list(only)
    else:
        exprs.append(_extra(_column_sources(table.headers, mapping)[1]))
    out = frame.select(pl.col(ROW).alias("row_number"), *exprs)
    return out.with_columns([pl.lit(None, pl.String).alias(c) for c in wanted if c not in out.columns])


def _extra(columns: list[str]) -> pl.Expr:
    """The non-empty unmapped values of a row as one JSON object (null when there are none): a
    column that is empty everywhere, or added empty by a later export, changes nothing."""
    if not columns:
        return pl.lit(None, pl.String).alias("extra")
    pieces = [
        pl.when(pl.col(c).is_not_null() & (pl.col(c) != "")).then(
            pl.struct(pl.col(c)).struct.json_encode().str.slice(1).str.head(-1)
        )
        for c in columns
    ]
    joined = pl.concat_str(pieces, separator=",", ignore_nulls=True)
    return pl.when(joined != "").then(pl.concat_str(pl.lit("{"), joined, pl.lit("}"))).alias("extra")


def _value_table(column: str, mapping: Mapping) -> dict[str, object]:
    """The mapping's ``[values]`` for ``column`` over its canonical codes, which stand for themselves.

    A constant such as ``kind = "visit"`` or a file that already writes ``closed`` is kept, not
    nulled as unknown.
    """
    canonical: dict[str, object] = {v: v for v in schema.VALUES.get(column, ())}
    return canonical | mapping.values.get(column, {})


def _typed(frame: pl.DataFrame, mapping: Mapping, chosen: dict[str, str | None] | None = None) -> pl.DataFrame:
    """Parse timestamps (``chosen``: the file's fast formats), counts and coded values; keep the
    original strings as ``<col>__text``."""
    times = parse_datetime_columns(frame, schema.TIMESTAMPS, mapping.date_formats, chosen)
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
            map_values(pl.col(column), _value_table(column, mapping), _CODED_TYPES[column]).alias(column),
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


# --- checks ----------------------------------------------------------------------------------------
def _reasons(frame: pl.DataFrame, sources: dict[str, str], now: dt.datetime) -> pl.DataFrame:
    """Add ``reason``, ``column_name``, ``message`` and ``value`` (null for good rows)."""
    col_id, col_time = sources.get("record_id", "record_id"), sources.get("created_at", "created_at")
    col_grid = sources.get("grid_raw", "grid")
    col_text = sources.get("text") or sources.get("title") or "text"
    latest = now + dt.timedelta(days=1)
    none = pl.lit(None, pl.String)
    checks: list[tuple[pl.Expr, str, str | pl.Expr, pl.Expr, pl.Expr]] = [
        (pl.col("record_id").is_null(), "missing_id", col_id, pl.lit(f"{col_id}：编号为空"), none),
        (
            pl.col("created_at").is_null() & pl.col("created_at__text").is_null(),
            "bad_time",
            col_time,
            pl.lit(f"{col_time}：创建时间为空"),
            none,
        ),
        (
            pl.col("created_at").is_null(),
            "bad_time",
            col_time,
            pl.lit(f"{col_time}：无法识别的日期时间"),
            pl.col("created_at__text"),
        ),
        (
            pl.col("created_at") < EARLIEST,
            "time_out_of_range",
            col_time,
            pl.lit(f"{col_time}：时间早于 2000 年"),
            pl.col("created_at__text"),
        ),
        (
            pl.col("created_at") > latest,
            "time_out_of_range",
            col_time,
            pl.lit(f"{col_time}：时间晚于导入时间（未来的时间）"),
            pl.col("created_at__text"),
        ),
        (
            ~pl.col("__grid_ok"),
            "unknown_grid",
            col_grid,
            pl.lit(f"{col_grid}：不在网格登记表中"),
            pl.col("grid_raw"),
        ),
        (
            pl.col("text").is_null() & pl.col("title").is_null(),
            "empty_text",
            col_text,
            pl.lit(f"{col_text}：标题和内容都为空"),
            none,
        ),
    ]
    # the values as read: coded and time columns keep their text in <column>__text
    as_read = {
        c: f"{c}__text" if f"{c}__text" in frame.columns else c for c in (*schema.RECORD, "contact", "room", "grid_raw")
    }
    undecodable = [
        c
        for c, col in as_read.items()
        if c in sources and sources[c] != "(constant)" and frame.schema.get(col) == pl.String()
    ]
    if undecodable:
        has = [pl.col(as_read[c]).str.contains(REPLACEMENT, literal=True).fill_null(False) for c in undecodable]
        first = pl.coalesce([pl.when(h).then(pl.lit(sources[c])) for h, c in zip(has, undecodable, strict=True)])
        value = pl.coalesce([pl.when(h).then(pl.col(as_read[c])) for h, c in zip(has, undecodable, strict=True)])
        message = pl.format("{}：含有无法按文件编码解码的字节", first)
        checks.insert(1, (pl.any_horizontal(has), "bad_encoding", first, message, value))
    # a partial export (say, 回访 results: id and satisfaction only) is checked on what it carries;
    # the runner keeps the rest from the record's previous version
    carried = {
        "bad_time": "created_at" in sources,
        "time_out_of_range": "created_at" in sources,
        "empty_text": "text" in sources or "title" in sources,
    }
    checks = [c for c in checks if carried.get(c[1], True)]
    reason = column = message = value = none
    for condition, code, col, msg, val in reversed(checks):
        reason = pl.when(condition).then(pl.lit(code)).otherwise(reason)
        column = pl.when(condition).then(pl.lit(col) if isinstance(col, str) else col).otherwise(column)
        message = pl.when(condition).then(msg).otherwise(message)
        value = pl.when(condition).then(val).otherwise(value)
    return frame.with_columns(
        reason.alias("reason"), column.alias("column_name"), message.alias("message"), value.alias("value")
    )


def _warnings(frame: pl.DataFrame, sources: dict[str, str]) -> pl.DataFrame:
    parts = []
    checks = [(c, "bad_time", "无法识别的日期时间，已置空") for c in schema.TIMESTAMPS if c != "created_at"]
    checks += [(c, "bad_number", "不是数字，已置空") for c in ("likes", "reopen_count")]
    checks += [(c, "unknown_value", "未知的取值，已置空（可在映射的 [values] 中补充）") for c in CODED]
    for column, reason, what in checks:
        if column not in sources or sources[column] == "(constant)":
            continue
        bad = frame.filter(pl.col(column).is_null() & pl.col(f"{column}__text").is_not_null())
        if bad.height:
            parts.append(
                bad.select(
                    "row_number",
                    pl.lit(None, pl.String).alias("sheet"),
                    pl.lit(sources[column]).alias("column_name"),
                    pl.lit(reason).alias("reason"),
                    pl.lit(f"{sources[column]}：{what}").alias("message"),
                    cap_expr(pl.col(f"{column}__text")).alias("value"),
                )
            )
    return pl.concat(parts) if parts else _empty(WARNING_COLUMNS)


def _rejects_frame(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Rejected rows with the file's original values as JSON (only for these rows: it is costly)."""
    bad = frame.filter(pl.col("reason").is_not_null()).select(
        "row_number", "column_name", "reason", "message", "record_id", cap_expr(pl.col("value")).alias("value")
    )
    if table.formula_cells and bad.height:
        # an empty id, time or text that is an uncomputed formula: say so, and how to fix it
        cells = pl.DataFrame(
            list(table.formula_cells), schema={"row_number": pl.Int64, "column_name": pl.String}, orient="row"
        ).with_columns(pl.lit(True).alias("__formula"))
        bad = (
            bad.join(cells, on=["row_number", "column_name"], how="left")
            .with_columns(
                pl.when(pl.col("__formula")).then(pl.lit("formula_no_value")).otherwise("reason").alias("reason"),
                pl.when(pl.col("__formula"))
                .then(pl.format("{}：{}", "column_name", pl.lit(FORMULA_HINT)))
                .otherwise("message")
                .alias("message"),
            )
            .drop("__formula")
        )
    headers = table.headers
    originals = table.frame.filter(pl.col(ROW).is_in(bad["row_number"].implode())).select(
        pl.col(ROW).alias("row_number"),
        (
            pl.struct([cap_expr(pl.col(h)).alias(h) for h in headers]).struct.json_encode() if headers else pl.lit("{}")
        ).alias("raw"),
    )
    bad = bad.join(originals, on="row_number", how="left")
    broken = pl.DataFrame(
        {
            "row_number": [b.row for b in table.broken],
            "column_name": [b.column for b in table.broken],
            "reason": [b.reason for b in table.broken],
            "message": [b.message for b in table.broken],
            "record_id": [None] * len(table.broken),
            "value": [b.value for b in table.broken],
            "raw": [b.raw for b in table.broken],
        },
        schema=bad.schema,
    )
    out = pl.concat([bad, broken]).sort("row_number")
    return out.with_columns(pl.lit(table.sheet, pl.String).alias("sheet")).select(list(REJECT_COLUMNS))


def _reader_warnings(table: Table, accepted_rows: pl.Series) -> pl.DataFrame:
    """The reader's warnings, and one per uncomputed formula cell of an accepted row."""
    rows = [(w.row, w.sheet, w.column, w.reason, w.message, w.value) for w in table.warnings]
    accepted = set(accepted_rows.to_list()) if table.formula_cells else set()
    rows += [
        (row, None, column, "formula_no_value", f"{column}：{FORMULA_HINT}", None)
        for row, column in sorted(table.formula_cells)
        if row in accepted
    ]
    return pl.DataFrame(rows, schema=WARNING_COLUMNS, orient="row")


def prepare_batch(table: Table, mapping: Mapping, grids: GridIndex | None, now: dt.datetime) -> Prepared:
    """Map, parse and validate one table (:class:`TablePlan` in one piece).

    Parameters
    ----------
    table : what a reader returned.
    mapping : the mapping chosen for the file.
    grids : the registry look-up; ``None`` (or empty) skips the unknown-grid check.
    now : the load time; creation times more than a day after it are rejected.

    Examples
    --------
    >>> table = read_table(path)  # doctest: +SKIP
    >>> prepared = prepare_batch(table, presets()["hotline_12345"], None, dt.datetime(2026, 11, 16))  # doctest: +SKIP
    >>> prepared.rows_read == table.frame.height + len(table.broken)  # doctest: +SKIP
    True
    """
    return concat_prepared(list(TablePlan(table, mapping, grids, now)))


class TablePlan:
    """One table mapped, parsed and validated ``rows`` rows at a time, with the same rows, reasons
    and warnings as the whole table in one piece (so memory follows ``rows``, not the file).

    Each chunk is read once. What needs more than the chunk: the fast format of each time column,
    chosen first on the file's first non-empty values (:func:`~demandlab.ingest.parse.best_format`),
    and the repeat rule, which decides each chunk against the keys of the rows kept before it
    (:class:`~demandlab.ingest.repeats.Repeats`). Iterating gives one :class:`Prepared` per chunk,
    in file order; a row the file made unreadable and a reader's warning come with the chunk of the
    rows around them (a warning about the whole table with the first).

    Examples
    --------
    >>> plan = TablePlan(read_table(path), presets()["hotline_12345"], None, now, rows=100_000)  # doctest: +SKIP
    >>> sum(part.rows_read for part in plan) == plan.rows_read  # doctest: +SKIP
    True
    """

    def __init__(
        self, table: Table, mapping: Mapping, grids: GridIndex | None, now: dt.datetime, rows: int | None = None
    ) -> None:
        self.table, self.mapping, self.grids, self.now = table, mapping, grids, now
        height = table.height
        self.rows = max(rows or height, 1)
        self.sources, unmapped = _column_sources(table.headers, mapping)
        self.has_extra = bool(unmapped)
        self.chosen = self._file_formats() if height > self.rows else None

    @property
    def rows_read(self) -> int:
        """Rows read (of a spilled table, blank rows included until the parts find them)."""
        return self.table.height + len(self.table.broken)

    @property
    def provided(self) -> frozenset[str]:
        """Canonical columns the table carries (a later load keeps the rest)."""
        provided = set(self.sources) | {derived for derived, base in _DERIVED_FROM.items() if base in self.sources}
        return frozenset(provided | ({"extra"} if self.has_extra else set()))

    def close(self) -> None:
        """Remove the table's spill file (:meth:`Table.close`)."""
        self.table.close()

    def __iter__(self) -> Iterator[Prepared]:
        col_id = self.sources.get("record_id", "record_id")
        repeats = Repeats()
        for chunk in self._chunks():
            strings = _canonical_strings(chunk, self.mapping)
            typed = _resolve_grids(_typed(strings, self.mapping, self.chosen), self.grids)
            checked = _reasons(typed, self.sources, self.now)
            keys = checked.select(*Repeats.KEYS, "reason").filter(pl.col("reason").is_null())
            checked, conflicts = apply_repeats(checked, repeats.decide(keys), col_id)
            good = checked.filter(pl.col("reason").is_null())
            warnings = pl.concat(
                [_reader_warnings(chunk, good["row_number"]), _warnings(good, self.sources), conflicts],
                how="vertical_relaxed",
            )
            warnings = warnings.with_columns(pl.coalesce("sheet", pl.lit(chunk.sheet, pl.String)).alias("sheet"))
            accepted = good.select(
                *[pl.col(c).cast(t) for c, t in {**schema.RECORD, **schema.RAW_ONLY}.items()], "row_number"
            )
            yield Prepared(
                accepted=accepted,
                rejects=_rejects_frame(checked, chunk),
                warnings=warnings.sort("row_number", nulls_last=False, maintain_order=True),
                provided=self.provided,
                rows_blank=chunk.blank_rows,
            )

    def _chunks(self) -> Iterator[Table]:
        """The table ``rows`` rows at a time (:meth:`Table.parts`); each unreadable row and reader
        warning goes with the chunk whose rows reach past it (the last chunk takes the rest)."""
        table = self.table
        reached = None
        for i, (part, top) in enumerate(table.parts(self.rows)):

            def here(row: int | None, top: int | None = top, low: int | None = reached, first: bool = i == 0) -> bool:
                if row is None:
                    return first
                return (low is None or row > low) and (top is None or row <= top)

            broken = [b for b in table.broken if here(b.row)]
            yield replace(
                part,
                broken=sorted([*broken, *part.broken], key=lambda b: b.row) if part.broken else broken,
                warnings=[w for w in table.warnings if here(w.row)],
            )
            reached = top if top is not None else reached

    def _file_formats(self) -> dict[str, str | None]:
        """Each time column's fast format, judged on the file's first non-empty values (as whole)."""
        samples: dict[str, list[pl.Series]] = {c: [] for c in schema.TIMESTAMPS}
        for chunk, _ in self.table.parts(self.rows):
            strings = _canonical_strings(chunk, self.mapping, only=tuple(samples))
            for column, parts in samples.items():
                have = sum(len(p) for p in parts)
                if have < SAMPLE_VALUES:
                    parts.append(strings[column].drop_nulls().head(SAMPLE_VALUES - have))
            if all(sum(len(p) for p in parts) >= SAMPLE_VALUES for parts in samples.values()):
                break
        return {c: best_format(pl.concat(parts), self.mapping.date_formats) for c, parts in samples.items()}


def concat_prepared(parts: list[Prepared]) -> Prepared:
    """The chunks of one table as one :class:`Prepared` (file order kept)."""
    if len(parts) == 1:
        return parts[0]
    return Prepared(
        accepted=pl.concat([p.accepted for p in parts]),
        rejects=pl.concat([p.rejects for p in parts]),
        warnings=pl.concat([p.warnings for p in parts], how="vertical_relaxed"),
        provided=parts[0].provided,
        rows_blank=sum(p.rows_blank for p in parts),
    )


def merge_sheets(parts: list[tuple[str | None, Prepared]]) -> Prepared:
    """One :class:`Prepared` from the sheets of a workbook, each tagged with its sheet.

    An id that a later sheet repeats is rejected there as ``duplicate_id`` (the first sheet
    wins), as within a sheet — unless title and time both differ (:func:`is_id_conflict`): then
    the later row is kept under :func:`derived_id` with an ``id_conflict`` warning.
    """

    def tag(frame: pl.DataFrame, sheet: str | None) -> pl.DataFrame:
        if "sheet" in frame.columns:
            return frame.with_columns(pl.coalesce("sheet", pl.lit(sheet, pl.String)).alias("sheet"))
        return frame.with_columns(pl.lit(sheet, pl.String).alias("sheet"))

    accepted = pl.concat(
        [tag(p.accepted, s).with_columns(pl.lit(i, pl.Int32).alias("__sheet")) for i, (s, p) in enumerate(parts)],
        how="diagonal_relaxed",
    )
    rejects = pl.concat([tag(p.rejects, s) for s, p in parts], how="diagonal_relaxed")
    warnings = pl.concat([tag(p.warnings, s) for s, p in parts], how="diagonal_relaxed")
    if len(parts) > 1:
        accepted = accepted.with_columns(pl.int_range(pl.len()).alias("__order"))
        accepted, rejects, warnings = _repeats_across_sheets(accepted, rejects, warnings)
        accepted = accepted.sort("__order").drop("__order")
    provided = frozenset().union(*(p.provided for _, p in parts)) if parts else frozenset()
    return Prepared(
        accepted=accepted.drop("sheet", "__sheet"),
        rejects=rejects.select(list(REJECT_COLUMNS)),
        warnings=warnings.select(list(WARNING_COLUMNS)),
        provided=frozenset(provided),
        rows_blank=sum(p.rows_blank for _, p in parts),
    )


__all__ = [
    "EARLIEST",
    "FORMULA_HINT",
    "REASONS",
    "REJECT_COLUMNS",
    "WARNINGS",
    "WARNING_COLUMNS",
    "Prepared",
    "TablePlan",
    "concat_prepared",
    "derived_id",
    "is_id_conflict",
    "merge_sheets",
    "prepare_batch",
]
