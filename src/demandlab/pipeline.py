"""The stage runner: the only code that reads from and writes to DuckDB.

Each stage reads what it needs, calls a pure function over polars frames and
writes the result in one transaction, so a crash leaves the database as it
was before the stage. Every stage is incremental: it works only on what
changed since it last ran.

>>> import demandlab as dl
>>> pipe = dl.Pipeline(dl.connect(":memory:"))
>>> pipe.run().records
0
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from . import clock, schema
from .config import Config
from .errors import describe
from .ingest import (
    GridIndex,
    IngestError,
    Prepared,
    choose_mapping,
    derived_id,
    is_id_conflict,
    merge_sheets,
    prepare_batch,
    read_registry,
    read_tables,
)
from .ingest.mapping import available_mappings
from .marts.build import build_marts, sql_models
from .signals import (
    PLACES_VERSION,
    PlaceFinder,
    SurgeModel,
    crowd_alerts,
    find_places,
    find_repeats,
    hot_issues,
    repeat_caller_alerts,
    score_surges,
    surge_alerts,
    unify_keys,
    update_repeats,
)
from .store import Store, quote, registered
from .text import Segmenter, clean_records, tokens_frame
from .text.segment import governance_lexicon, read_user_words
from .themes.model import UNASSIGNED, ThemeModel
from .themes.registry import Matching, Overrides, describe_clusters, first_fit, match_clusters
from .themes.taxonomy import load_taxonomy

ERROR_SUFFIX = ".error.txt"
log = logging.getLogger("demandlab.pipeline")
_EPOCH = "timestamp '1900-01-01'"
#: How far along the closed loop a version is; the most advanced version of a record is its current one.
PROGRESS = (
    "coalesce(r.reopen_count, 0) desc, "
    f"greatest(coalesce(r.closed_at, {_EPOCH}), coalesce(r.responded_at, {_EPOCH}), "
    f"coalesce(r.replied_at, {_EPOCH}), coalesce(r.accepted_at, {_EPOCH})) desc, "
    "case r.status when 'closed' then 5 when 'reopened' then 4 when 'responded' then 3 when 'dispatched' then 2 "
    "when 'open' then 1 else 0 end desc, (r.satisfaction is not null) desc, r.version desc"
)
Progress = Callable[[str, int], contextlib.AbstractContextManager[Callable[[int], None]]]
#: What the restricted file keeps of a reject (the original row and the offending value) and of a warning.
RESTRICTED_REJECT_COLUMNS = ("batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "value", "raw")
RESTRICTED_WARNING_COLUMNS = ("batch_id", "file_name", "sheet", "row_number", "column_name", "reason", "value")


@contextlib.contextmanager
def _silent(description: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class BatchReport:
    """What loading one file did."""

    path: str
    status: str  # loaded | skipped | failed | archive_failed (loaded, but still in the inbox)
    batch_id: str | None = None
    mapping: str | None = None
    format: str | None = None
    encoding: str | None = None
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_blank: int = 0
    rows_new: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    warnings: int = 0
    message: str = ""
    failure: str | None = None  # why a file was not loaded: the IngestError reason, not_a_file, unexpected

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunReport:
    """What one ``run`` (every stage after ingest) did."""

    records: int = 0
    cleaned: int = 0
    segmented: int = 0
    assigned: int = 0
    refit: bool = False
    refit_reason: str | None = None
    model_version: str | None = None
    n_themes: int = 0
    unassigned: int = 0
    placed: int = 0
    alerts: dict[str, int] = field(default_factory=dict)
    repeat_groups: int = 0
    hot_issues: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


class Pipeline:
    """Runs the stages against one :class:`~demandlab.store.Store`.

    Parameters
    ----------
    store : the database.
    config : settings; defaults when omitted.
    progress : a factory of progress callbacks (the CLI passes rich progress bars).
    now : the clock, for tests.
    """

    def __init__(
        self,
        store: Store,
        config: Config | None = None,
        progress: Progress | None = None,
        now: Callable[[], dt.datetime] = clock.now,
    ) -> None:
        self.store = store
        if not store.read_only:
            store.attach_restricted()
        self.config = config or Config()
        self.progress = progress or _silent
        self.now = now

    # --- grid registry -----------------------------------------------------------------------
    def load_grids(self, path: str | Path) -> int:
        """Replace the grid registry with the one in ``path``; returns the number of grids."""
        grids, places = read_registry(path)
        with self.store.transaction() as con:
            con.execute("delete from grids")
            con.execute("delete from places")
            Store.insert(con, "grids", grids)
            Store.insert(con, "places", places)
        return grids.height

    def grid_index(self) -> GridIndex | None:
        grids = self.store.table("grids")
        return GridIndex.from_frame(grids) if grids.height else None

    # --- ingest ------------------------------------------------------------------------------
    def ingest(self, path: str | Path, mapping: str | None = None, sheet: str | None = None) -> BatchReport:
        """Load one export (every sheet of a workbook that holds records). The same bytes twice change nothing.

        Raises :class:`~demandlab.ingest.IngestError` when the file cannot be
        loaded at all; the database is then unchanged.
        """
        path = Path(path)
        if not path.is_file():
            raise IngestError(path, "not_found", "文件不存在或不是普通文件")
        digest = sha256_file(path)
        previous = self.store.scalar("select batch_id from batches where sha256 = ? limit 1", [digest])
        if previous:
            return BatchReport(
                str(path), "skipped", batch_id=previous, message=f"此前已导入（批次 {previous}），未作改动"
            )
        user_mappings = self.config.paths.mappings
        known = {h for m in available_mappings(user_mappings).values() for h in m.headers}
        tables = read_tables(path, sheet=sheet, known_headers=known)
        loaded_at = self.now().replace(microsecond=0)
        grids = self.grid_index()
        mappings, parts = [], []
        for table in tables:
            chosen = choose_mapping(path, table.headers, mapping, user_mappings)
            mappings.append(chosen.name)
            parts.append((table.sheet, prepare_batch(table, chosen, grids, loaded_at)))
        prepared = merge_sheets(parts)
        batch_id = f"b{loaded_at:%Y%m%d%H%M%S}-{digest[:10]}"
        prepared = self._id_conflicts(prepared)
        report = BatchReport(
            str(path),
            "loaded",
            batch_id=batch_id,
            mapping=", ".join(dict.fromkeys(mappings)),
            format=tables[0].format,
            encoding=tables[0].encoding,
            rows_read=prepared.rows_read,
            rows_accepted=prepared.accepted.height,
            rows_rejected=prepared.rejects.height,
            rows_blank=sum(t.blank_rows for t in tables),
            warnings=prepared.warnings.height,
        )
        report.reasons = dict(prepared.rejects.group_by("reason").len().sort("reason").iter_rows())
        sheets = ", ".join(t.sheet for t in tables if t.sheet) or None
        tag = [pl.lit(batch_id).alias("batch_id"), pl.lit(path.name).alias("file_name")]
        # personal data first, into the restricted file; the batch exists once the analysts' file
        # commits below (a run killed in between leaves rows that attach_restricted() removes)
        with self.store.restricted_transaction() as con:
            states, unknown = self._write_versions(con, prepared.accepted, prepared.provided, batch_id, loaded_at)
            rejects = pl.concat([prepared.rejects, unknown], how="diagonal_relaxed").with_columns(tag)
            warnings = prepared.warnings.with_columns(tag)
            Store.insert(con, "restricted.reject_values", _only(rejects, RESTRICTED_REJECT_COLUMNS))
            Store.insert(con, "restricted.warning_values", _only(warnings, RESTRICTED_WARNING_COLUMNS))
        if unknown.height:
            report.rows_accepted -= unknown.height
            report.rows_rejected += unknown.height
            report.reasons = dict(rejects.group_by("reason").len().sort("reason").iter_rows())
        report.rows_new, report.rows_updated = states["new"], states["updated"]
        report.rows_unchanged = states["unchanged"]
        try:
            with self.store.transaction() as con:
                Store.insert(con, "rejects", rejects.drop("raw", "value", strict=False))
                Store.insert(con, "load_warnings", warnings.drop("value", strict=False))
                con.execute(
                    "insert into batches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        batch_id,
                        str(path.resolve()),
                        path.name,
                        digest,
                        path.stat().st_size,
                        report.format,
                        report.encoding,
                        sheets,
                        tables[0].header_row,
                        report.mapping,
                        report.rows_read,
                        report.rows_accepted,
                        report.rows_rejected,
                        report.rows_blank,
                        report.rows_new,
                        report.rows_updated,
                        report.rows_unchanged,
                        loaded_at,
                    ],
                )
        except BaseException:
            with contextlib.suppress(Exception):
                self.store.drop_orphans()
            raise
        return report

    def _id_conflicts(self, prepared: Prepared) -> Prepared:
        """Apply the one-id-two-messages rule (:func:`~demandlab.ingest.is_id_conflict`) against what is
        already loaded, not only inside the file.

        Whoever already holds a plain id keeps it: a row that repeats that message takes the plain
        id (even where the file itself renamed it because an earlier row of the file took the id),
        and a row with another title and time is kept under its derived id with an ``id_conflict``
        warning naming the row it collided with — instead of silently replacing that record.
        """
        accepted = prepared.accepted
        if accepted.height == 0 or accepted["title"].is_null().all():
            return prepared
        rows = accepted.select("source", "record_id", "created_at", "title", "row_number").rows()
        originals = [_original_id(r, c, t) for _, r, c, t, _ in rows]
        keys = pl.DataFrame({"source": [r[0] for r in rows], "record_id": originals}).unique()
        with registered(self.store.con, "_keys", keys):
            existing = self.store.sql(
                "select r.source, r.record_id, r.created_at, r.title, r.batch_id, r.row_number "
                "from restricted.raw_records r semi join _keys k using (source, record_id) "
                "qualify row_number() over (partition by r.source, r.record_id order by r.version desc) = 1 "
                "union all by name "
                "select c.source, c.record_id, c.created_at, c.title, c.batch_id, null::bigint as row_number "
                "from main.records c semi join _keys k using (source, record_id) "
                "where not exists (select 1 from restricted.raw_records r "
                "  where r.source = c.source and r.record_id = c.record_id)"
            )
        known = {(s, r): (c, t, b, n) for s, r, c, t, b, n in existing.iter_rows()}
        ids, dropped, notes = [], set(), []
        for (source, record_id, created, title, row), original in zip(rows, originals, strict=True):
            before = known.get((source, original))
            if before is None:
                ids.append(record_id)
                continue
            if not is_id_conflict(before[0], before[1], created, title):
                ids.append(original)
                if record_id != original:  # the file renamed it, but it is the record already loaded
                    dropped.add((row, original))
                continue
            ids.append(derived_id(original, created, title))
            if record_id == original:
                where = f"批次 {before[2]}" + (f" 第 {before[3]} 行" if before[3] is not None else "")
                message = f"编号与此前导入的另一条记录（{where}）相同，但标题和创建时间都不同"
                notes.append(
                    (row, "record_id", "id_conflict", f"{message}：本行另存为新编号 {ids[-1]}，两条都保留", original)
                )
        if ids == [r[1] for r in rows]:
            return prepared
        warnings = prepared.warnings
        if dropped:
            keep = ~pl.struct("row_number", "value").is_in(
                pl.DataFrame(list(dropped), schema=["row_number", "value"], orient="row").to_struct().implode()
            ) | (pl.col("reason") != "id_conflict")
            warnings = warnings.filter(keep)
        extra = pl.DataFrame(notes, schema=["row_number", "column_name", "reason", "message", "value"], orient="row")
        log.warning("%d rows reuse the id of another record already loaded: kept under derived ids", len(notes))
        return replace(
            prepared,
            accepted=accepted.with_columns(pl.Series("record_id", ids, pl.String)),
            warnings=pl.concat([warnings, extra], how="diagonal_relaxed"),
        )

    @staticmethod
    def _write_versions(
        con, accepted: pl.DataFrame, provided: frozenset[str], batch_id: str, loaded_at: dt.datetime
    ) -> tuple[dict[str, int], pl.DataFrame]:
        """Append each accepted row to ``raw_records`` as a new version unless nothing changed.

        Returns the counts of new, updated and unchanged rows, and the rows refused because
        a partial export named a record that was never loaded (``unknown_record``).

        A column the file does not carry at all keeps the value of the record's previous
        version (a 回访 export without 诉求内容 must not erase the text). The content hash is
        DuckDB's md5 over the canonical values (stable across library versions), in base64 so
        that no run of its characters reads as a phone number; computed where the rows are
        written, on every core.
        """

        def previous(c: str) -> str:
            # the raw version, or where retention purged it (purge), the masked record
            return f"coalesce(l.{quote(c)}, k.{quote(c)})" if c in schema.RECORD else f"l.{quote(c)}"

        merged = {c: (f"a.{quote(c)}" if c in provided or c in schema.KEY else previous(c)) for c in schema.HASHED}
        values = ", ".join(f"coalesce(cast({expr} as varchar), chr(0))" for expr in merged.values())
        columns = ", ".join(f"{expr} as {quote(c)}" for c, expr in merged.items())
        with registered(con, "_accepted", accepted):
            con.execute(
                "create or replace temp table _latest as select r.* from restricted.raw_records r "
                "semi join _accepted a on r.source = a.source and r.record_id = a.record_id "
                "qualify row_number() over (partition by r.source, r.record_id order by r.version desc) = 1"
            )
            con.execute(
                "create or replace temp table _known as select k.* from main.records k "
                "semi join _accepted a on k.source = a.source and k.record_id = a.record_id"
            )
            unknown = con.sql(
                "select a.row_number, a.record_id from _accepted a "
                "anti join _latest l on l.source = a.source and l.record_id = a.record_id "
                "anti join _known k on k.source = a.source and k.record_id = a.record_id "
                "where a.created_at is null order by a.row_number"
            ).pl()
            con.execute(
                "insert into restricted.raw_records by name select * exclude (previous) from ("
                f" select {columns}, a.row_number, {_hash(values)} as content_hash,"
                " coalesce(l.content_hash, k.content_hash) as previous,"
                " (coalesce(l.version, k.version, 0) + 1)::integer as version,"
                " ?::varchar as batch_id, ?::timestamp as loaded_at"
                " from _accepted a left join _latest l on l.source = a.source and l.record_id = a.record_id"
                " left join _known k on k.source = a.source and k.record_id = a.record_id"
                ") where previous is distinct from content_hash and created_at is not null",
                [batch_id, loaded_at],
            )
        con.execute("drop table if exists _latest")
        con.execute("drop table if exists _known")
        new, updated = con.execute(
            "select count(*) filter (where version = 1), count(*) filter (where version > 1) "
            "from restricted.raw_records where batch_id = ?",
            [batch_id],
        ).fetchall()[0]
        refused = unknown.select(
            "row_number",
            pl.lit("record_id").alias("column_name"),
            pl.lit("unknown_record").alias("reason"),
            pl.lit("编号：此前从未导入该记录，而本文件没有它的创建时间（部分导出须在完整导出之后导入）").alias(
                "message"
            ),
            "record_id",
        )
        counts = {"new": new, "updated": updated, "unchanged": accepted.height - new - updated - unknown.height}
        return counts, refused

    def ingest_inbox(self, inbox: Path | None = None, archive: Path | None = None) -> list[BatchReport]:
        """Load every file in the inbox; move each to the archive only once its batch committed.

        One file never stops the others: whatever goes wrong with a file (it cannot be read, a
        bug, a full temporary folder) leaves it in the inbox with ``<name>.error.txt`` beside it
        saying why — in Chinese, without any value from the file — and the next file is taken.
        It is tried again next time (fix the mapping, or replace the file). A file whose batch
        committed but that could not be moved (a read-only archive) is reported as
        ``archive_failed``; next time it is recognised as loaded and only the move is retried.
        Symbolic links, folders and other special entries are refused, never followed.
        Files are taken in name order; hidden files and error files are left alone.
        """
        inbox = inbox or self.config.paths.inbox
        archive = archive or self.config.paths.archive
        inbox.mkdir(parents=True, exist_ok=True)
        reports = []
        for path in sorted(inbox.iterdir(), key=lambda p: p.name):
            if path.name.startswith(".") or path.name.endswith(ERROR_SUFFIX):
                continue
            refused = _refuse_entry(path)
            if refused:
                reports.append(self._failed(path, "not_a_file", refused))
                continue
            try:
                report = self.ingest(path)
            except IngestError as exc:
                reports.append(self._failed(path, exc.reason, _ingest_message(exc, path)))
                continue
            except Exception as exc:  # one file must never stop the others
                log.error("file %s: %s", path.name, describe(exc), exc_info=log.isEnabledFor(logging.DEBUG))
                reports.append(self._failed(path, "unexpected", describe(exc)))
                continue
            reports.append(self._archive(path, archive, report))
        return reports

    def _failed(self, path: Path, reason: str, message: str) -> BatchReport:
        """A file that could not be loaded: its error file beside it, and the report that says why."""
        note = (
            f"文件：{path.name}\n原因：{message}\n代码：{reason}\n时间：{self.now():%Y-%m-%d %H:%M:%S}\n"
            "处理：修正或替换该文件后，下次运行会自动重试；本文件的数据未写入数据库。\n"
        )
        error = path.with_name(path.name + ERROR_SUFFIX)
        try:
            if error.is_symlink():
                error.unlink()
            error.write_text(note, encoding="utf-8")
        except OSError as exc:
            log.error("file %s: cannot write %s: %s", path.name, error.name, describe(exc))
        log.warning("file %s: not loaded (%s): %s", path.name, reason, message)
        return BatchReport(str(path), "failed", message=message, failure=reason)

    def _archive(self, path: Path, archive: Path, report: BatchReport) -> BatchReport:
        """Move a loaded (or already loaded) file into ``archive/<date>/``; a failure is reported, not raised."""
        target = archive / f"{self.now():%Y-%m-%d}" / path.name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target = target.with_name(f"{target.stem}.{report.batch_id}{target.suffix}")
            shutil.move(str(path), target)
        except OSError as exc:
            report.status = "archive_failed"
            report.message = (
                f"{report.message} 已导入，但无法移入归档目录：{describe(exc)}；下次运行只重试移动，不会重复导入"
            ).strip()
            log.error("file %s: loaded but not archived: %s", path.name, describe(exc))
            return report
        path.with_name(path.name + ERROR_SUFFIX).unlink(missing_ok=True)
        report.message = f"{report.message} 已归档至 {target}".strip()
        return report

    # --- retention -----------------------------------------------------------------------------
    def purge(self, before: dt.date) -> dict[str, int]:
        """Delete the personal data of every file loaded before ``before`` from the restricted file.

        Removes, for batches loaded before that day: their raw rows (numbers and names in clear),
        the values of their rejected cells and of their warnings; then rewrites the restricted
        file so that deleted rows do not linger in its free space. The analysts' file is not
        touched: records stay, masked, with their themes and trends. A record whose raw rows are
        gone still takes later versions (numbered after its last one); a later *partial* export
        fills the columns it lacks from the masked record.

        Returns the number of rows deleted per restricted table.
        """
        cutoff = dt.datetime.combine(before, dt.time())
        old = "select batch_id from main.batches where loaded_at < ?"
        counts = {}
        with self.store.restricted_transaction() as con:
            for table in ("raw_records", "reject_values", "warning_values"):
                counts[table] = con.execute(
                    f"delete from restricted.{table} where batch_id in ({old})", [cutoff]
                ).fetchall()[0][0]
        self.store.compact_restricted()
        log.info("purge before %s: %s", before, counts)
        return counts

    # --- clean ---------------------------------------------------------------------------------
    def clean(self) -> int:
        """Normalise and mask the current version of every record that has a version not yet seen.

        The current version is the most advanced one, not the last loaded: reopened before
        closed before responded, then the latest closed-loop time, then a 回访 answer, then the
        version number — so an older export loaded after a newer one does not undo it.
        """
        raw = self.store.sql(
            "with pending as (select distinct r.source, r.record_id from restricted.raw_records r anti join records c "
            "  on r.source = c.source and r.record_id = c.record_id and r.version <= c.version), "
            "current as (select r.* from restricted.raw_records r semi join pending p "
            "  on r.source = p.source and r.record_id = p.record_id "
            f"  qualify row_number() over (partition by r.source, r.record_id order by {PROGRESS}) = 1) "
            "select c.* from current c anti join records x "
            "  on c.source = x.source and c.record_id = x.record_id and c.version = x.version"
        )
        if raw.height == 0:
            return 0
        with self.progress("清洗与脱敏 clean + mask", raw.height) as advance:
            records = clean_records(raw, self.config.salt())
            advance(raw.height)
        records = records.with_columns(pl.lit(self.now().replace(microsecond=0), schema.DATETIME).alias("cleaned_at"))
        with self.store.transaction() as con:
            Store.replace_keys(con, "records", records, schema.KEY)
        return records.height

    # --- segment -------------------------------------------------------------------------------
    def segmenter(self) -> Segmenter:
        """The segmenter for this database: shipped lexicon, the user's words, and the registry's place names."""
        places = self.store.sql(
            "select distinct compound as name from places where compound is not null "
            "union select distinct community from grids where community is not null "
            "union select distinct street from grids where street is not null order by name"
        )["name"].to_list()
        user = read_user_words(str(self.config.text.user_words)) if self.config.text.user_words else ()
        extra_stop = ()
        if self.config.text.stopwords:
            extra_stop = Path(self.config.text.stopwords).read_text("utf-8").split()
        return Segmenter(user_words=user, stopwords=extra_stop, places=places)

    def segment(self) -> int:
        """Segment records whose text changed or that the current segmenter has not cut."""
        segmenter = self.segmenter()
        pending = self.store.sql(
            "select r.source, r.record_id, r.content_hash, r.title, r.text from records r "
            "left join tokens t on r.source = t.source and r.record_id = t.record_id "
            "where t.content_hash is distinct from r.content_hash or t.segmenter is distinct from ? "
            "order by r.source, r.record_id",
            [segmenter.name],
        )
        if pending.height == 0:
            return 0
        workers = self.config.text.workers or max(1, min(4, _cpu_count()))
        with self.progress("分词 segment", pending.height) as advance:
            tokens = tokens_frame(pending, segmenter, workers=workers)
            advance(pending.height)
        with self.store.transaction() as con:
            Store.replace_keys(con, "tokens", tokens, schema.KEY)
        return tokens.height

    # --- themes --------------------------------------------------------------------------------
    def _model_path(self, version: str) -> Path:
        return self.config.paths.models / version / "themes"

    def current_model(self) -> tuple[str, ThemeModel] | None:
        version = self.store.meta("theme_model")
        if version is None:
            return None
        path = self._model_path(version)
        if not path.with_suffix(".npz").exists():
            return None
        return version, ThemeModel.load(path)

    def overrides(self) -> Overrides:
        return Overrides.load(self.config.themes.overrides)

    def refit_reason(self, version: str) -> str | None:
        """Why the current model should be fitted again, by the configured policy (None: it need not)."""
        cfg = self.config.themes
        row = self.store.sql(
            "select m.window_end, (select max(week_start) from records) as data_end from theme_models m "
            "where m.model_version = ?",
            [version],
        )
        if row.height == 0 or row["window_end"][0] is None:
            return "the current model has no recorded window"
        window_end, data_end = row.row(0)
        current = self.current_model()
        if current is not None and current[1].degraded_ and data_end and data_end > window_end:
            # a first week too small or too uniform for themes is fitted again as soon as more records come
            return f"the current model is degraded ({current[1].degraded_}) and newer records arrived"
        weeks = (data_end - window_end).days // 7 if data_end else 0
        if cfg.refit_after_weeks and weeks >= cfg.refit_after_weeks:
            return f"the data runs {weeks} weeks past the model's window (bound {cfg.refit_after_weeks})"
        newer = self.store.sql(
            "select count(*) as n, avg(case when a.theme_id < 0 then 1.0 else 0.0 end) as share "
            "from assignments a join records r using (source, record_id) where r.week_start > ?",
            [window_end],
        ).row(0)
        if newer[0] >= 200 and newer[1] > cfg.refit_unassigned_share:
            return f"{newer[1]:.1%} of {newer[0]} newer records are 未归类 (bound {cfg.refit_unassigned_share:.0%})"
        return None

    def themes(self, refit: bool = False) -> tuple[int, bool, str | None]:
        """Assign new records to the current themes; fit (or refit) the model when the policy says so.

        The policy (``[themes]`` in the config): fit when there is no model, when asked, when the
        data runs ``refit_after_weeks`` past the model's window, or when more than
        ``refit_unassigned_share`` of the records since stay 未归类. Analysts' overrides
        (``themes.toml``) are applied every time.

        Returns (records assigned, whether the model was fitted, model version).
        """
        overrides = self.overrides()
        current = self.current_model()
        reason = "asked" if refit else ("no model yet" if current is None else self.refit_reason(current[0]))
        recorded = self.store.meta("theme_model")
        if current is None and recorded:
            # the database names a model whose files are not where the config says: say so, loudly
            reason = f"model {recorded} not found under {self.config.paths.models}"
            log.warning("themes: %s; fitting a new model (check [paths] models)", reason)
        if reason:
            fitted = self._fit_themes(reason, overrides)
            if fitted is not None or current is None:
                return fitted or (0, False, None)
        version, model = current
        pending = self.store.sql(
            "select t.source, t.record_id, t.content_hash, t.tokens from tokens t "
            "left join assignments a on t.source = a.source and t.record_id = a.record_id "
            "where a.model_version is distinct from ? or a.content_hash is distinct from t.content_hash "
            "order by t.source, t.record_id",
            [version],
        )
        final = self._final_mapping(version, overrides)
        assignments = None
        if pending.height:
            clusters, scores, reasons = model.assign(pending["tokens"].to_list())
            assignments = self._assignments(pending, clusters, scores, reasons, version, final)
        with self.store.transaction() as con:
            if assignments is not None:
                Store.replace_keys(con, "assignments", assignments, schema.KEY)
            self._apply_overrides(con, version, overrides, final)
            self._refresh_theme_stats(con)
        return pending.height, False, version

    def _fit_themes(self, reason: str, overrides: Overrides) -> tuple[int, bool, str] | None:
        cfg = self.config.themes
        data_end = self.store.scalar("select max(week_start) from records")
        if data_end is None:
            return None
        start = data_end - dt.timedelta(weeks=cfg.window_weeks - 1) if cfg.window_weeks else dt.date(1900, 1, 1)
        tokens = self.store.sql(
            "select t.source, t.record_id, t.content_hash, t.tokens, r.text, r.week_start >= ? as in_window "
            "from tokens t join records r using (source, record_id) order by t.source, t.record_id",
            [start],
        )
        window = tokens.filter(pl.col("in_window"))
        if window.height == 0:
            return None
        model = ThemeModel(
            min_themes=cfg.min_themes, max_themes=cfg.max_themes, n_components=cfg.n_components, random_state=cfg.seed
        )
        # a refit starts from the themes the records had, so that ids do not churn (ThemeModel.fit)
        prior = window.select("source", "record_id").join(
            self.store.sql("select source, record_id, cluster from assignments where cluster is not null"),
            on=["source", "record_id"],
            how="left",
            maintain_order="left",
        )["cluster"]
        with self.progress("主题发现 themes", 1) as advance:
            model.fit(
                window["tokens"].to_list(),
                prior_labels=prior.fill_null(-1).to_numpy() if prior.is_not_null().any() else None,
            )
            advance(1)
        fingerprint = hashlib.blake2b(
            json.dumps(model.params_json(), sort_keys=True).encode()
            + "".join(window["content_hash"]).encode()
            + (self.store.meta("theme_model") or "").encode(),  # the fit depends on the model it starts from
            digest_size=6,
        ).hexdigest()
        version = f"tm-{fingerprint}"
        model.save(self._model_path(version))
        reasons = model.reasons_
        fitted = window.select("source", "record_id", "content_hash", "text").with_columns(
            pl.Series("cluster", model.labels_, dtype=pl.Int32),
            pl.Series("score", model.scores_, dtype=pl.Float64),
            pl.Series("reason", reasons, dtype=pl.String),
        )
        outside = tokens.filter(~pl.col("in_window"))
        if outside.height:
            clusters, scores, why = model.assign(outside["tokens"].to_list())
            fitted = pl.concat(
                [
                    fitted,
                    outside.select("source", "record_id", "content_hash", "text").with_columns(
                        pl.Series("cluster", clusters, dtype=pl.Int32),
                        pl.Series("score", scores, dtype=pl.Float64),
                        pl.Series("reason", why, dtype=pl.String),
                    ),
                ]
            )
        matching = self._match(fitted, model)
        taxonomy = load_taxonomy(cfg.taxonomy)
        prefer = {e.word for e in governance_lexicon()} | {t for c in taxonomy for t in c.seed_terms}
        described = describe_clusters(model, fitted, taxonomy, prefer).with_columns(
            pl.col("cluster").replace_strict(matching.cluster_theme, return_dtype=pl.Int32).alias("theme_id")
        )
        final = {c: overrides.resolve(t) for c, t in matching.cluster_theme.items()}
        assignments = self._assignments(
            fitted, fitted["cluster"].to_numpy(), fitted["score"].to_numpy(), fitted["reason"].to_list(), version, final
        )
        now = self.now().replace(microsecond=0)
        with self.store.transaction() as con:
            Store.insert(
                con,
                "theme_clusters",
                pl.DataFrame(
                    {"cluster": list(matching.cluster_theme), "theme_id": list(matching.cluster_theme.values())},
                    schema={"cluster": pl.Int32, "theme_id": pl.Int32},
                ).with_columns(pl.lit(version).alias("model_version")),
            )
            con.execute("delete from assignments")
            Store.insert(con, "assignments", assignments)
            self._write_themes(con, described, matching, version)
            Store.insert(
                con,
                "theme_events",
                pl.DataFrame(matching.events, schema=["theme_id", "event", "detail"], orient="row").with_columns(
                    pl.col("theme_id").cast(pl.Int32),
                    pl.lit(version).alias("model_version"),
                    pl.lit(now, schema.DATETIME).alias("recorded_at"),
                ),
            )
            params = {
                **model.params_json(),
                "n_themes_": model.n_themes_,
                "merge_trace": getattr(model, "merge_trace_", None),
                "degraded": model.degraded_,
            }
            con.execute(
                "insert or replace into theme_models by name select ? as model_version, ? as created_at, "
                "? as n_records, ? as params, ? as path, ? as window_start, ? as window_end, ? as refit_reason",
                [
                    version,
                    now,
                    window.height,
                    json.dumps(params, ensure_ascii=False),
                    str(self._model_path(version)),
                    start if cfg.window_weeks else None,
                    data_end,
                    reason,
                ],
            )
            Store.set_meta(con, "theme_model", version)
            self._apply_overrides(con, version, overrides, final)
            self._refresh_theme_stats(con)
        return assignments.height, True, version

    def _match(self, fitted: pl.DataFrame, model: ThemeModel) -> Matching:
        """Stable ids for a new fit's clusters, matched against the themes of the previous model."""
        # the theme each record's cluster had in the previous fit, before analysts' merges: a merge
        # stays an override (and can be taken back) instead of becoming the new fit's identity
        previous = self.store.sql(
            "select a.source, a.record_id, c.theme_id from assignments a join theme_clusters c "
            "on c.model_version = a.model_version and c.cluster = a.cluster where a.cluster >= 0"
        )
        known = self.store.sql(
            "select theme_id, keywords, coalesce(fit_status, status) as status from themes where theme_id >= 0"
        )
        next_id = int(known["theme_id"].max() + 1) if known.height else 0
        if previous.height == 0 or known.height == 0:
            return first_fit(model.n_themes_, start=next_id)
        shared = previous.join(
            fitted.filter(pl.col("cluster") >= 0).select("source", "record_id", "cluster"), on=["source", "record_id"]
        )
        return match_clusters(
            shared.select("theme_id", "cluster"),
            [list(k) for k in model.keywords_],
            {t: list(k or []) for t, k in known.select("theme_id", "keywords").iter_rows()},
            dict(known.select("theme_id", "status").iter_rows()),
            next_id,
        )

    def _final_mapping(self, version: str, overrides: Overrides) -> dict[int, int]:
        """Cluster → the theme its records count as, analysts' merges applied."""
        rows = self.store.sql("select cluster, theme_id from theme_clusters where model_version = ?", [version])
        return {c: overrides.resolve(t) for c, t in rows.iter_rows()}

    @staticmethod
    def _assignments(
        frame: pl.DataFrame, clusters, scores, reasons, version: str, final: dict[int, int]
    ) -> pl.DataFrame:
        cluster = pl.Series("cluster", clusters, dtype=pl.Int32)
        theme = cluster.replace_strict(final, default=UNASSIGNED, return_dtype=pl.Int32).alias("theme_id")
        return frame.select("source", "record_id", "content_hash").with_columns(
            cluster,
            theme,
            pl.Series("score", scores, dtype=pl.Float64).round(4),
            pl.Series("reason", reasons, dtype=pl.String),
            pl.lit(version).alias("model_version"),
        )

    @staticmethod
    def _write_themes(con, described: pl.DataFrame, matching: Matching, version: str) -> None:
        """Upsert the themes of this fit; every other theme keeps its row with its new status."""
        rows = described.with_columns(
            pl.lit(version).alias("model_version"), pl.lit("active").alias("fit_status")
        ).drop("cluster")
        if rows["theme_id"].n_unique() < rows.height:  # cannot happen: the matching is one to one
            raise RuntimeError("two clusters matched one theme id")
        con.execute(
            "insert into themes (theme_id, label, label_source, category, keywords, status) "
            "select -1, '未归类', 'auto', '其他', [], 'active' where not exists "
            "(select 1 from themes where theme_id = -1)"
        )
        with registered(con, "_described", rows):
            con.execute(
                "insert into themes (theme_id, label_source) select d.theme_id, 'auto' from _described d "
                "anti join themes t on t.theme_id = d.theme_id"
            )
            con.execute(
                "update themes set auto_label = d.auto_label, keywords = d.keywords, auto_category = d.auto_category, "
                "representatives = d.representatives, model_version = d.model_version, fit_status = 'active' "
                "from _described d where themes.theme_id = d.theme_id"
            )
        for theme, status in matching.status.items():
            if theme not in matching.cluster_theme.values():
                con.execute("update themes set fit_status = ? where theme_id = ?", [status, theme])

    @staticmethod
    def _apply_overrides(con, version: str, overrides: Overrides, final: dict[int, int]) -> None:
        """Bring assignments and theme rows in line with ``themes.toml`` (idempotent, reversible)."""
        mapping = pl.DataFrame(
            {"cluster": list(final), "final": list(final.values())}, schema={"cluster": pl.Int32, "final": pl.Int32}
        )
        with registered(con, "_final", mapping):
            con.execute(
                "update assignments set theme_id = f.final from _final f where assignments.model_version = ? "
                "and assignments.cluster = f.cluster and assignments.theme_id is distinct from f.final",
                [version],
            )
        con.execute("update themes set status = coalesce(fit_status, status) where theme_id >= 0")
        for theme, target in overrides.merges.items():
            con.execute("update themes set status = 'merged' where theme_id = ?", [theme])
            del target
        con.execute(
            "update themes set label = auto_label, label_source = 'auto' where theme_id >= 0 and "
            "(label_source is null or label_source = 'auto' "
            "or (label_source = 'analyst' and not list_contains(?, theme_id)) "
            "or (label_source = 'pinned' and not list_contains(?, theme_id)))",
            [list(overrides.labels), list(overrides.pinned)],
        )
        for theme, label in overrides.labels.items():
            con.execute("update themes set label = ?, label_source = 'analyst' where theme_id = ?", [label, theme])
        for theme in overrides.pinned - set(overrides.labels):
            con.execute(
                "update themes set label_source = 'pinned' where theme_id = ? and label_source = 'auto'", [theme]
            )
        con.execute("update themes set category = auto_category where theme_id >= 0")
        for theme, category in overrides.categories.items():
            con.execute("update themes set category = ? where theme_id = ?", [category, theme])

    @staticmethod
    def _refresh_theme_stats(con) -> None:
        con.execute("update themes set size = 0 where theme_id >= 0")
        con.execute(
            "update themes set size = s.n, first_seen = s.first_seen, last_seen = s.last_seen from ("
            " select a.theme_id, count(*) as n,"
            " min(r.created_at)::date as first_seen, max(r.created_at)::date as last_seen"
            " from assignments a join records r using (source, record_id) group by a.theme_id) s"
            " where themes.theme_id = s.theme_id"
        )

    # --- theme quality, export, routing ------------------------------------------------------
    def _label_column(self, name: str) -> str:
        if name not in schema.RECORD:
            raise ValueError(f"unknown label column {name!r}; a records column such as 'category' or 'kind'")
        return quote(name)

    def evaluate_themes(self, label_column: str | None = None, stability_sample: int = 20_000) -> dict:
        """Quality figures of the current themes (see :mod:`demandlab.themes.evaluate`) as a dict."""
        from .themes import evaluate

        current = self.current_model()
        if current is None:
            raise ValueError("no theme model yet: run the pipeline first")
        version, model = current
        label = f"r.{self._label_column(label_column)}" if label_column else "null"
        frame = self.store.sql(
            f"select a.theme_id, t.tokens, {label} as label from assignments a "
            "join tokens t using (source, record_id) join records r using (source, record_id) "
            "order by a.source, a.record_id"
        )
        docs = frame["tokens"].to_list()
        keywords = self.store.sql(
            "select keywords from themes where theme_id >= 0 and status = 'active' and size > 0 order by theme_id"
        )["keywords"].to_list()
        cfg = self.config.themes
        sample = (
            docs
            if len(docs) <= stability_sample
            else [docs[i] for i in np.random.default_rng(cfg.seed).choice(len(docs), stability_sample, replace=False)]
        )
        params = {k: v for k, v in model.get_params().items() if k != "random_state"}
        out = {
            "model_version": version,
            "records": frame.height,
            "themes": len(keywords),
            "unassigned_share": round(float((frame["theme_id"] < 0).mean()), 4),
            "topic_diversity": round(evaluate.topic_diversity(keywords), 4),
            "npmi_coherence": round(evaluate.npmi_coherence(keywords, docs), 4),
            "stability_ari": evaluate.stability(
                sample, lambda seed: ThemeModel(**params, random_state=seed), (cfg.seed, cfg.seed + 1)
            ),
            "stability_sample": len(sample),
        }
        if label_column:
            out["against"] = {
                "label_column": label_column,
                **evaluate.agreement(frame["label"].to_list(), frame["theme_id"].to_list()),
            }
        return out

    def export_themes(self, out: str | Path) -> int:
        """Write record_id, source, theme_id, theme_label, category, score to a Parquet file."""
        frame = self.store.sql(
            "select a.record_id, a.source, a.theme_id, coalesce(t.label, '未归类') as theme_label, "
            "coalesce(t.category, '其他') as category, a.score, a.model_version "
            "from assignments a left join themes t using (theme_id) order by a.source, a.record_id"
        )
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(out)
        return frame.height

    def classifier_data(self, label_column: str, source: str | None = None) -> pl.DataFrame:
        """Records with tokens, text and the label (null where the record has none)."""
        column = self._label_column(label_column)
        where = "where r.source = ?" if source else ""
        return self.store.sql(
            f"select r.source, r.record_id, t.tokens, concat_ws(' ', r.title, r.text) as text, r.{column} as label "
            f"from records r join tokens t using (source, record_id) {where} order by r.source, r.record_id",
            [source] if source else None,
        )

    def cross_validate_categories(self, label_column: str, folds: int = 5, source: str | None = None) -> dict:
        """Cross-validated figures of the category classifier on the records that carry ``label_column``."""
        from .themes.classify import cross_validate

        data = self.classifier_data(label_column, source).filter(pl.col("label").is_not_null())
        if data.height < folds * 2:
            raise ValueError(f"only {data.height} records carry {label_column!r}; too few to cross-validate")
        figures = cross_validate(
            list(zip(data["tokens"], data["text"], strict=True)),
            data["label"].to_list(),
            folds,
            self.config.themes.seed,
        )
        return {"label_column": label_column, "source": source, **figures}

    def route(self, label_column: str = "category", source: str | None = None) -> int:
        """Train on the records that carry ``label_column`` and route those that lack it (``routed_categories``)."""
        from .themes.classify import CategoryClassifier

        data = self.classifier_data(label_column, source)
        known, unknown = data.filter(pl.col("label").is_not_null()), data.filter(pl.col("label").is_null())
        if known.height < 20 or known["label"].n_unique() < 2 or unknown.height == 0:
            return 0
        model = CategoryClassifier(random_state=self.config.themes.seed)
        model.fit(list(zip(known["tokens"], known["text"], strict=True)), known["label"].to_list())
        proba = model.predict_proba(list(zip(unknown["tokens"], unknown["text"], strict=True)))
        routed = unknown.select("source", "record_id").with_columns(
            pl.lit(label_column).alias("label_column"),
            pl.Series("category", model.classes_[proba.argmax(axis=1)].astype(str), dtype=pl.String),
            pl.Series("probability", proba.max(axis=1).round(4)),
            pl.lit(known.height, pl.Int64).alias("trained_on"),
            pl.lit(self.now().replace(microsecond=0), schema.DATETIME).alias("routed_at"),
        )
        with self.store.transaction() as con:
            con.execute("delete from routed_categories where label_column = ?", [label_column])
            Store.insert(con, "routed_categories", routed)
        return routed.height

    # --- marts ---------------------------------------------------------------------------------
    def marts(self) -> list[str]:
        """Bring the SQL models up to date (:func:`demandlab.marts.build.build_marts`); the records whose
        row of ``mart_records`` changed are what the signals stage looks at again."""
        build_marts(self.store, then=self._note_changed)
        return [name for name, _ in sql_models()]

    def _note_changed(self, con, changed: str | None) -> None:
        if changed is not None:
            pending = self.store.meta("signals_since")
            Store.set_meta(
                con, "signals_since", "all" if "all" in (changed, pending) else min(filter(None, (pending, changed)))
            )

    # --- signals -------------------------------------------------------------------------------
    def place_finder(self) -> PlaceFinder:
        """The place finder for this database: the registry's compounds first, then name patterns."""
        compounds = self.store.sql("select distinct compound from places where compound is not null order by 1")
        return PlaceFinder.build(compounds["compound"].to_list())

    def locate(self) -> tuple[int, bool]:
        """Find the place each record names (``record_places``), for records whose text is new or changed.

        All records are read again when the registry's compounds changed since the last time.
        Compounds named with their suffix elsewhere (魅力之城小区) are recognised without it in new
        records; records located earlier are not read again for names learned later.
        """
        finder = self.place_finder()
        fingerprint = _hash_text("\x1f".join((PLACES_VERSION, *finder.known)))
        everything = self.store.meta("place_finder") != fingerprint
        pending = self.store.sql(
            "select r.source, r.record_id, r.content_hash, r.title, r.text, r.address, r.building from records r "
            "left join record_places p on r.source = p.source and r.record_id = p.record_id "
            f"where {'true' if everything else 'p.content_hash is distinct from r.content_hash'} "
            "order by r.source, r.record_id"
        )
        if pending.height:
            known = (
                []
                if everything
                else self.store.sql("select distinct place_key from record_places where place_kind = 'compound'")[
                    "place_key"
                ].to_list()
            )
            with self.progress("识别地点 places", pending.height) as advance:
                found = find_places(pending, finder, unify=False, known=known)
                advance(pending.height)
            found = found.select(
                "source", "record_id", "content_hash", "place_kind", "place", "place_key", "place_road"
            )
        with self.store.transaction() as con:
            if pending.height:
                if everything:
                    con.execute("delete from record_places")
                Store.replace_keys(con, "record_places", found, schema.KEY)
            Store.set_meta(con, "place_finder", fingerprint)
        return pending.height, everything and pending.height > 0

    def signal_records(self, text: bool = False, start: dt.datetime | None = None) -> pl.DataFrame:
        """Records with their theme and place (keys unified across the database): what signals read.

        ``text`` adds title, text and tokens (space-joined); ``start`` keeps records created then or later.
        """
        extra = "m.title, m.text, t.tokens, " if text else ""
        where = "where m.created_at >= ? " if start else ""
        frame = self.store.sql(
            "select m.source, m.record_id, m.created_at, m.week_start, m.iso_week, m.street, m.community, "
            f"m.grid_id, m.theme_id, m.theme_label, m.category, m.contact_key, m.likes, {extra}"
            "p.place_kind, p.place, p.place_key, p.place_road "
            "from mart_records m "
            "left join record_places p on m.source = p.source and m.record_id = p.record_id "
            + ("left join tokens t on m.source = t.source and m.record_id = t.record_id " if text else "")
            + where
            + "order by m.created_at, m.source, m.record_id",
            [start] if start else None,
        )
        keys = self.store.sql(
            "select distinct place_key, place_kind from record_places where place_key is not null order by all"
        )
        unified = keys.with_columns(
            pl.Series("unified", unify_keys(keys["place_key"].to_list(), keys["place_kind"].to_list()), pl.String)
        )
        return (
            frame.join(unified, on=["place_key", "place_kind"], how="left", maintain_order="left")
            .with_columns(place_key=pl.col("unified"))
            .drop("unified")
        )

    def signals(self) -> RunReport:
        """Places, alerts, repeats and hot issues → ``mart_alerts``, ``mart_repeats``, ``mart_hot_issues``,
        and every grid × theme × week's surge test → ``mart_surge_scores`` (baseline, expected, p, q).

        Reads the marts, so run after :meth:`marts`. Parameters come from ``[signals]`` in the config.
        Incremental: nothing is done when no record changed since the last run (and the settings
        and places are the same); otherwise the alerts and hot issues, which read light columns,
        are recomputed, while repeats compare only the records of the last window with the new
        ones (:func:`~demandlab.signals.repeats.update_repeats`), unless the theme model, the
        settings or the places changed, when everything is computed again.
        """
        cfg = self.config.signals
        placed, relocated = self.locate()
        report = RunReport(placed=placed)
        settings = json.dumps({**asdict(cfg), "model": self.store.meta("theme_model")}, sort_keys=True)
        since_text = self.store.meta("signals_since")
        tables = set(self.store.tables())
        full = (
            relocated
            or since_text == "all"
            or settings != self.store.meta("signals_settings")
            or not {"mart_alerts", "mart_repeats", "mart_hot_issues", "mart_surge_scores"} <= tables
        )
        if not full and not since_text and not placed:
            return self._signal_counts(report)
        since = None if full or not since_text else dt.datetime.fromisoformat(since_text)
        records = self.signal_records()
        cells = self.store.sql(
            "select grid_id, theme_id, week_start, iso_week, theme_label, category, n from mart_grid_theme_week"
        )
        model = SurgeModel(window=cfg.surge_window, fdr=cfg.surge_fdr, min_count=cfg.surge_min_count)
        with self.progress("预警 alerts", 3) as advance:
            scored = score_surges(cells, model)
            parts = [surge_alerts(records, cells, model, scored)]
            advance(1)
            parts.append(crowd_alerts(records, cfg.crowd_min_contacts, cfg.crowd_days))
            advance(1)
            parts.append(repeat_caller_alerts(records, cfg.repeat_caller_min_records, cfg.repeat_caller_gap_days))
            advance(1)
        alerts = pl.concat(parts, how="vertical").sort(
            ["week_start", "kind", "p_value", "n", "alert_id"], descending=[True, False, False, True, False]
        )
        repeats = self._repeats(since)
        latest = records["created_at"].max()
        hot_start = latest - dt.timedelta(weeks=cfg.hot_weeks) if cfg.hot_weeks and latest else None
        hot = hot_issues(
            records,
            weeks=cfg.hot_weeks or None,
            min_records=cfg.hot_min_records,
            texts=self.signal_records(text=True, start=hot_start) if latest else None,
        )
        with self.store.transaction() as con:
            surge_scores = scored.select(
                "grid_id", "theme_id", "week_start", "n", "baseline", "expected", "p_value", "q_value", "is_alert"
            )
            for name, frame in (
                ("mart_alerts", alerts),
                ("mart_repeats", repeats),
                ("mart_hot_issues", hot),
                ("mart_surge_scores", surge_scores),
            ):
                with registered(con, "_signal_frame", frame):
                    con.execute(f"create or replace table {name} as select * from _signal_frame")
            con.execute("delete from meta where key = 'signals_since'")
            Store.set_meta(con, "signals_settings", settings)
        return self._signal_counts(report)

    def _signal_counts(self, report: RunReport) -> RunReport:
        report.alerts = dict(self.store.sql("select kind, count(*) from mart_alerts group by 1 order by 1").rows())
        report.repeat_groups = self.store.scalar("select count(distinct repeat_group_id) from mart_repeats")
        report.hot_issues = self.store.count("mart_hot_issues")
        return report

    def _repeats(self, since: dt.datetime | None) -> pl.DataFrame:
        """Repeat groups: found again for every record, or brought up to date from ``since`` on."""
        cfg = self.config.signals
        current = self.current_model()
        vectorize = current[1].tfidf if current else None
        options = {"threshold": cfg.repeat_similarity, "window_days": cfg.repeat_window_days, "vectorize": vectorize}
        start = since - dt.timedelta(days=cfg.repeat_window_days) if since else None
        records = self.signal_records(text=True, start=start).drop("title", "text")
        with self.progress("重复诉求 repeats", records.height) as advance:
            if since is None:
                out = find_repeats(records, **options)
            else:
                out = update_repeats(self.store.table("mart_repeats"), records, since, **options)
            advance(records.height)
        return out

    # --- everything after ingest ------------------------------------------------------------------
    def run(self, refit: bool = False) -> RunReport:
        """Clean, segment, assign themes (fitting when needed), bring the marts and the signals up to date."""
        report = RunReport()
        for name, step in (("clean", self.clean), ("segment", self.segment)):
            started = time.perf_counter()
            done = step()
            setattr(report, {"clean": "cleaned", "segment": "segmented"}[name], done)
            report.timings[name] = round(time.perf_counter() - started, 3)
            log.info("stage %s: %d records in %.1f s", name, done, report.timings[name])
        started = time.perf_counter()
        report.assigned, report.refit, report.model_version = self.themes(refit=refit)
        if report.refit:
            report.refit_reason = self.store.scalar(
                "select refit_reason from theme_models where model_version = ?", [report.model_version]
            )
        report.timings["themes"] = round(time.perf_counter() - started, 3)
        log.info("stage themes: %d assigned, model %s, refit %s", report.assigned, report.model_version, report.refit)
        started = time.perf_counter()
        self.marts()
        report.timings["marts"] = round(time.perf_counter() - started, 3)
        log.info("stage marts: %.1f s", report.timings["marts"])
        started = time.perf_counter()
        signals = self.signals()
        report.placed, report.alerts = signals.placed, signals.alerts
        report.repeat_groups, report.hot_issues = signals.repeat_groups, signals.hot_issues
        report.timings["signals"] = round(time.perf_counter() - started, 3)
        log.info("stage signals: alerts %s, %.1f s", report.alerts, report.timings["signals"])
        report.records = self.store.count("records")
        report.n_themes = self.store.scalar("select count(*) from themes where theme_id >= 0")
        report.unassigned = self.store.scalar("select count(*) from assignments where theme_id < 0")
        return report


def _refuse_entry(path: Path) -> str | None:
    """Why an inbox entry is not read at all (a link could point anywhere on the machine), or None."""
    if path.is_symlink():
        return "这是符号链接：出于安全原因不读取链接，请把导出文件本身放入收件箱"
    if path.is_dir():
        return "这是文件夹：请把其中的导出文件直接放入收件箱"
    if not path.is_file():
        return "这不是普通文件（设备、管道或套接字），不读取"
    return None


def _ingest_message(exc: IngestError, path: Path) -> str:
    """The reason of an :class:`IngestError` without the path it starts with."""
    text = str(exc)
    for prefix in (f"{exc.path}: ", f"{path}: "):
        text = text.removeprefix(prefix)
    return text


def _original_id(record_id: str, created: dt.datetime | None, title: str | None) -> str:
    """The id a row had before :func:`~demandlab.ingest.derived_id` renamed it (it if it was not renamed)."""
    base, tilde, _ = record_id.rpartition("~")
    if tilde and created is not None and derived_id(base, created, title) == record_id:
        return base
    return record_id


def _only(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    """The ``columns`` of ``frame`` that it has (a reader may not give every one)."""
    return frame.select([c for c in columns if c in frame.columns])


def _hash_text(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _hash(values: str) -> str:
    """SQL for the content hash of a row: base64 of md5 over its canonical values joined by \\x1f."""
    return f"rtrim(to_base64(unhex(md5(concat_ws(chr(31), {values})))), '=')"


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
