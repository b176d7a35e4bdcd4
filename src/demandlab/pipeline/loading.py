"""Loading one export: read it, validate it (pure, :mod:`demandlab.ingest`), then land it —
``engine.batch_rows`` rows at a time (:class:`~demandlab.ingest.TablePlan`), so that beyond the
strings read, memory follows the chunk and not the file.

Personal data lands first, in the restricted file (committed every few chunks): every accepted row
as a new version of its record unless nothing changed, and the values of rejected and warned cells.
The batch exists once the analysts' file commits its row in ``batches`` with the rejects and warnings
(without values); until then its restricted rows belong to no batch, and a run killed before leaves
rows that the next attach removes. The same bytes twice change nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import polars as pl

from .. import schema, sql
from ..config import Config
from ..ingest import (
    GridIndex,
    IngestError,
    Prepared,
    TablePlan,
    available_mappings,
    choose_mapping,
    derived_id,
    is_id_conflict,
    merge_sheets,
    prepare_batch,
    read_tables,
)
from ..store import Store, quote, registered
from .batches import COMMIT_BATCHES, commit_so_far
from .reports import BatchReport, log

#: What the restricted file keeps of a reject (the original row and the offending value) and of a warning.
REJECT_VALUES = ("batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "value", "raw")
WARNING_VALUES = ("batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "value")
#: A load keeps a CSV's rows in ``<db>.spill`` while it checks them (readable by this user only, removed when the
#: load ends): beside the database, not in TMPDIR, which is often a tmpfs (memory) and shared.
SCRATCH_SUFFIX = ".spill"


def scratch_path(store: Store) -> Path | None:
    """The private folder beside the database where rows wait on disk (``<db>.spill``); None for ``:memory:``."""
    return None if store.path == ":memory:" else Path(store.path + SCRATCH_SUFFIX)


@dataclass(frozen=True)
class Loaded:
    """A file read and checked, ready to land: ``parts`` gives its prepared rows a chunk at a time."""

    path: Path
    digest: str
    batch_id: str
    loaded_at: dt.datetime
    parts: Iterable[Prepared]
    provided: frozenset[str]
    rows: int  # rows read (the parts together)
    report: BatchReport
    sheets: str | None
    header_row: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def load_file(
    store: Store,
    path: str | Path,
    config: Config,
    grids: GridIndex | None,
    loaded_at: dt.datetime,
    mapping: str | None = None,
    sheet: str | None = None,
) -> BatchReport:
    """Load one export (every sheet of a workbook that holds records), ``engine.batch_rows`` rows
    at a time: the whole file is held only as the strings read.

    Raises :class:`~demandlab.ingest.IngestError` when the file cannot be loaded at all; the
    database is then unchanged.
    """
    path = Path(path)
    digest, skipped = seen_before(store, path)
    if skipped:
        return skipped
    scratch = scratch_path(store) or True
    try:
        loaded = read_file(path, digest, config, grids, loaded_at, mapping, sheet, scratch)
        try:
            return land(store, loaded)
        finally:
            if isinstance(loaded.parts, TablePlan):
                loaded.parts.close()
    finally:
        if isinstance(scratch, Path):
            with contextlib.suppress(OSError):
                scratch.rmdir()  # removed when empty only


def seen_before(store: Store, path: Path) -> tuple[str, BatchReport | None]:
    """The file's SHA-256, and the report of a skip when the same bytes were loaded before (any kind of file).
    Raises :class:`IngestError` when ``path`` is not a regular file."""
    if not path.is_file():
        raise IngestError(path, "not_found", "文件不存在或不是普通文件")
    digest = sha256_file(path)
    previous = store.scalar("select batch_id from batches where sha256 = ? limit 1", [digest])
    if previous:
        return digest, BatchReport(
            str(path), "skipped", batch_id=previous, message=f"此前已导入（批次 {previous}），未作改动"
        )
    return digest, None


def read_file(
    path: Path,
    digest: str,
    config: Config,
    grids: GridIndex | None,
    loaded_at: dt.datetime,
    mapping: str | None,
    sheet: str | None,
    scratch: Path | bool = True,
) -> Loaded:
    """Read and map every table of ``path``: nothing is written. One table is checked
    ``engine.batch_rows`` rows at a time as ``parts`` is iterated; the sheets of a workbook with
    several are checked together (an id repeated across sheets). A CSV's rows wait on disk in ``scratch``
    (a folder; True: TMPDIR)."""
    user_mappings = config.paths.mappings
    known = {h for m in available_mappings(user_mappings).values() for h in m.headers}
    tables = read_tables(path, sheet=sheet, known_headers=known, spill=scratch)
    try:
        mappings = [choose_mapping(path, table.headers, mapping, user_mappings) for table in tables]
        if len(tables) == 1:
            plan = TablePlan(tables[0], mappings[0], grids, loaded_at, config.engine.batch_rows)
            parts: Iterable[Prepared] = plan
            provided = plan.provided
        else:
            merged = merge_sheets(
                [(t.sheet, prepare_batch(t, m, grids, loaded_at)) for t, m in zip(tables, mappings, strict=True)]
            )
            parts, provided = [merged], merged.provided
    except BaseException:
        for table in tables:
            table.close()  # a spilled CSV's temporary file
        raise
    report = BatchReport(
        str(path),
        "loaded",
        batch_id=f"b{loaded_at:%Y%m%d%H%M%S}-{digest[:10]}",
        mapping=", ".join(dict.fromkeys(m.name for m in mappings)),
        format=tables[0].format,
        encoding=tables[0].encoding,
        rows_blank=sum(t.blank_rows for t in tables),
    )
    sheets = ", ".join(t.sheet for t in tables if t.sheet) or None
    rows = sum(t.height + len(t.broken) for t in tables)
    return Loaded(path, digest, report.batch_id, loaded_at, parts, provided, rows, report, sheets, tables[0].header_row)


def land(store: Store, loaded: Loaded) -> BatchReport:
    """Write a checked file chunk by chunk: personal data into the restricted file (committed every
    :data:`~.batches.COMMIT_BATCHES` chunks), then the batch into the analysts' file in one
    transaction. Until that commits, the restricted rows belong to no batch: a failure removes them,
    and after a kill the next attach does. Each chunk's ids are compared with what the database held
    under them before this file (:func:`existing_ids`)."""
    report = loaded.report
    tag = [pl.lit(loaded.batch_id).alias("batch_id"), pl.lit(loaded.path.name).alias("file_name")]
    rejected, warned, accepted, unknown_rows = [], [], 0, 0
    released: set[tuple[str, str]] = set()  # plain ids a row of the file gave up to a record loaded before
    report.rows_read = 0
    try:
        with store.restricted_transaction() as con:
            for done, part in enumerate(loaded.parts, start=1):
                existing = existing_ids(con, part.accepted, loaded.batch_id)
                prepared = resolve_id_conflicts(part, existing, released)
                unknown = write_versions(con, prepared.accepted, loaded.provided, loaded.batch_id, loaded.loaded_at)
                rejects = pl.concat([prepared.rejects, unknown], how="diagonal_relaxed").with_columns(tag)
                warnings = prepared.warnings.with_columns(tag)
                Store.insert(con, "restricted.reject_values", _only(rejects, REJECT_VALUES))
                Store.insert(con, "restricted.warning_values", _only(warnings, WARNING_VALUES))
                rejected.append(rejects.drop("raw", "value", strict=False))
                warned.append(warnings.drop("value", strict=False))
                report.rows_read += prepared.rows_read
                report.rows_blank += part.rows_blank
                accepted += prepared.accepted.height
                unknown_rows += unknown.height
                if prepared.rows_read < loaded.rows:  # a file in several chunks: say how far it is
                    log.info("%s: %d / %d rows checked and written", loaded.path.name, report.rows_read, loaded.rows)
                if done % COMMIT_BATCHES == 0:
                    commit_so_far(con, store)  # the chunks are read by pyarrow: no query of DuckDB's is open
            new, updated = con.execute(sql.text("io/batch_versions"), [loaded.batch_id]).fetchall()[0]
        rejects = pl.concat(rejected, how="diagonal_relaxed")
        report.rows_accepted = accepted - unknown_rows
        report.rows_rejected = rejects.height
        report.reasons = dict(rejects.group_by("reason").len().sort("reason").iter_rows())
        report.warnings = sum(w.height for w in warned)
        report.rows_new, report.rows_updated = new, updated
        report.rows_unchanged = report.rows_accepted - new - updated
        with store.transaction() as con:
            Store.insert(con, "rejects", rejects)
            Store.insert(con, "load_warnings", pl.concat(warned, how="diagonal_relaxed"))
            con.execute(sql.text("io/insert_batch"), _batch_row(loaded))
    except BaseException:
        with contextlib.suppress(Exception):
            store.drop_orphans()
        raise
    return report


def _batch_row(loaded: Loaded) -> list:
    r = loaded.report
    path = loaded.path
    return [
        loaded.batch_id, str(path.resolve()), path.name, loaded.digest, path.stat().st_size, r.format, r.encoding,
        loaded.sheets, loaded.header_row, r.mapping, r.rows_read, r.rows_accepted, r.rows_rejected, r.rows_blank,
        r.rows_new, r.rows_updated, r.rows_unchanged, loaded.loaded_at,
    ]  # fmt: skip


def write_versions(
    con: duckdb.DuckDBPyConnection,
    accepted: pl.DataFrame,
    provided: frozenset[str],
    batch_id: str,
    loaded_at: dt.datetime,
) -> pl.DataFrame:
    """Append each accepted row to ``raw_records`` as a new version unless nothing changed.

    Returns the rows refused because a partial export named a record that was never loaded
    (``unknown_record``); ``io/batch_versions`` counts the new and updated rows of the batch. A column the file
    does not carry at all keeps the value of the record's previous version (a 回访 export
    without 诉求内容 must not erase the text); where retention purged the raw rows, the
    cleaned record's value.
    """

    def previous(c: str) -> str:
        return f"coalesce(l.{quote(c)}, k.{quote(c)})" if c in schema.RECORD else f"l.{quote(c)}"

    merged = {c: (f"a.{quote(c)}" if c in provided or c in schema.KEY else previous(c)) for c in schema.HASHED}
    values = ", ".join(f"coalesce(cast({expr} as varchar), chr(0))" for expr in merged.values())
    columns = ", ".join(f"{expr} as {quote(c)}" for c, expr in merged.items())
    content_hash = f"rtrim(to_base64(unhex(md5(concat_ws(chr(31), {values})))), '=')"
    with registered(con, "_accepted", accepted):
        con.execute(sql.text("io/latest_versions"))
        con.execute(sql.text("io/known_records"))
        unknown = con.sql(sql.text("io/unknown_rows")).pl()
        con.execute(sql.text("io/insert_versions", columns=columns, hash=content_hash), [batch_id, loaded_at])
    con.execute("drop table if exists _latest")
    con.execute("drop table if exists _known")
    return unknown.select(
        "row_number",
        pl.lit("record_id").alias("column_name"),
        pl.lit("unknown_record").alias("reason"),
        pl.lit("编号：此前从未导入该记录，而本文件没有它的创建时间（部分导出须在完整导出之后导入）").alias("message"),
        "record_id",
    )


def existing_ids(con: duckdb.DuckDBPyConnection, accepted: pl.DataFrame, batch_id: str) -> pl.DataFrame:
    """The message loaded before batch ``batch_id`` under each id of ``accepted`` (a chunk of the
    batch: source, record_id, created_at, title); a derived id counts as the id it derives from."""
    if accepted.height == 0 or accepted["title"].is_null().all():
        return pl.DataFrame()
    keys = accepted.select("source", "record_id")
    derived = accepted.filter(pl.col("record_id").str.contains("~", literal=True))
    if derived.height:  # only an id with a ~ can be one the file derived
        rows = derived.select("source", "record_id", "created_at", "title").rows()
        originals = pl.DataFrame(
            {"source": [r[0] for r in rows], "record_id": [original_id(r, c, t) for _, r, c, t in rows]},
            schema={"source": pl.String, "record_id": pl.String},
        )
        keys = pl.concat([keys, originals])
    with registered(con, "_keys", keys.unique()):
        return con.sql(sql.text("io/existing_ids"), params=[batch_id]).pl()


def resolve_id_conflicts(prepared: Prepared, existing: pl.DataFrame, released: set[tuple[str, str]]) -> Prepared:
    """Apply the one-id-two-messages rule (:func:`~demandlab.ingest.is_id_conflict`) against what is
    already loaded (``existing``: source, record_id, created_at, title, batch_id, row_number), not
    only inside the file.

    Whoever already holds a plain id keeps it: a row with another title and time than the record
    loaded under its id is kept under its derived id with an ``id_conflict`` warning naming that
    record — instead of silently replacing it. The plain id it leaves (``released``, kept across the
    chunks of a file) goes to the first later row of the file that repeats the loaded message, which
    the file itself had renamed; while a row of the file holds the plain id, a row the file renamed
    keeps its derived id (two rows the file tells apart never become one record).
    """
    if existing.height == 0:
        return prepared
    accepted = prepared.accepted
    rows = accepted.select("source", "record_id", "created_at", "title", "row_number").rows()
    known = {(s, r): (c, t, b, n) for s, r, c, t, b, n in existing.iter_rows()}
    ids, dropped, notes = [], set(), []
    for source, record_id, created, title, row in rows:
        original = original_id(record_id, created, title)
        before = known.get((source, original))
        if before is None:
            ids.append(record_id)
        elif not is_id_conflict(before[0], before[1], created, title):
            if record_id == original:
                ids.append(record_id)
            elif (source, original) in released:  # the file renamed it, but it is the record already loaded
                released.discard((source, original))
                ids.append(original)
                dropped.add((row, original))
            else:  # the plain id is another row's of this file
                ids.append(record_id)
        else:
            ids.append(derived_id(original, created, title))
            if record_id == original:
                released.add((source, original))
                where = f"批次 {before[2]}" + (f" 第 {before[3]} 行" if before[3] is not None else "")
                message = (
                    f"编号与此前导入的另一条记录（{where}）相同，但标题和创建时间都不同：本行另存为新编号 {ids[-1]}"
                )
                notes.append((row, "record_id", "id_conflict", message + "，两条都保留", original))
    if ids == [r[1] for r in rows]:
        return prepared
    warnings = prepared.warnings
    if dropped:
        renamed = pl.DataFrame(list(dropped), schema=["row_number", "value"], orient="row").to_struct().implode()
        warnings = warnings.filter(
            ~pl.struct("row_number", "value").is_in(renamed) | (pl.col("reason") != "id_conflict")
        )
    extra = pl.DataFrame(notes, schema=["row_number", "column_name", "reason", "message", "value"], orient="row")
    log.warning("%d rows reuse the id of another record already loaded: kept under derived ids", len(notes))
    return replace(
        prepared,
        accepted=accepted.with_columns(pl.Series("record_id", ids, pl.String)),
        warnings=pl.concat([warnings, extra], how="diagonal_relaxed"),
    )


def original_id(record_id: str, created: dt.datetime | None, title: str | None) -> str:
    """The id a row had before :func:`~demandlab.ingest.derived_id` renamed it (it if it was not renamed)."""
    base, tilde, _ = record_id.rpartition("~")
    if tilde and created is not None and derived_id(base, created, title) == record_id:
        return base
    return record_id


def _only(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """The ``columns`` of ``frame`` that it has (a reader may not give every one)."""
    return frame.select([c for c in columns if c in frame.columns])
