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
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path

import polars as pl

from . import schema
from .config import Config
from .ingest import (
    GridIndex,
    IngestError,
    choose_mapping,
    merge_sheets,
    prepare_batch,
    read_registry,
    read_tables,
)
from .ingest.mapping import available_mappings
from .store import Store, quote, registered
from .text import Segmenter, clean_records, tokens_frame
from .text.segment import governance_lexicon, read_user_words
from .themes.model import UNASSIGNED, ThemeModel
from .themes.taxonomy import load_taxonomy, map_to_categories

ERROR_SUFFIX = ".error.txt"
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


@contextlib.contextmanager
def _silent(description: str, total: int) -> Iterator[Callable[[int], None]]:
    yield lambda n: None


@dataclass
class BatchReport:
    """What loading one file did."""

    path: str
    status: str  # loaded | skipped | failed
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
    model_version: str | None = None
    n_themes: int = 0
    unassigned: int = 0
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
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.store = store
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
            raise IngestError(path, "not_found", "no such file")
        digest = sha256_file(path)
        previous = self.store.scalar("select batch_id from batches where sha256 = ? limit 1", [digest])
        if previous:
            return BatchReport(
                str(path), "skipped", batch_id=previous, message=f"already loaded as batch {previous}; nothing changed"
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
        with self.store.transaction() as con:
            states, unknown = self._write_versions(con, prepared.accepted, prepared.provided, batch_id, loaded_at)
            rejects = pl.concat([prepared.rejects, unknown], how="diagonal_relaxed")
            if unknown.height:
                report.rows_accepted -= unknown.height
                report.rows_rejected += unknown.height
                report.reasons = dict(rejects.group_by("reason").len().sort("reason").iter_rows())
            tag = [pl.lit(batch_id).alias("batch_id"), pl.lit(path.name).alias("file_name")]
            Store.insert(con, "rejects", rejects.with_columns(tag))
            Store.insert(con, "load_warnings", prepared.warnings.with_columns(tag))
            report.rows_new, report.rows_updated = states["new"], states["updated"]
            report.rows_unchanged = states["unchanged"]
            con.execute(
                "insert into batches values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    batch_id, str(path.resolve()), path.name, digest, path.stat().st_size, report.format,
                    report.encoding, sheets, tables[0].header_row, report.mapping, report.rows_read,
                    report.rows_accepted, report.rows_rejected, report.rows_blank, report.rows_new,
                    report.rows_updated, report.rows_unchanged, loaded_at,
                ],
            )  # fmt: skip
        return report

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
        merged = {c: (f"a.{quote(c)}" if c in provided or c in schema.KEY else f"l.{quote(c)}") for c in schema.HASHED}
        values = ", ".join(f"coalesce(cast({expr} as varchar), chr(0))" for expr in merged.values())
        columns = ", ".join(f"{expr} as {quote(c)}" for c, expr in merged.items())
        with registered(con, "_accepted", accepted):
            con.execute(
                "create or replace temp table _latest as select r.* from raw_records r "
                "semi join _accepted a on r.source = a.source and r.record_id = a.record_id "
                "qualify row_number() over (partition by r.source, r.record_id order by r.version desc) = 1"
            )
            unknown = con.sql(
                "select a.row_number, a.record_id from _accepted a anti join _latest l "
                "on l.source = a.source and l.record_id = a.record_id where a.created_at is null"
            ).pl()
            con.execute(
                "insert into raw_records by name select * exclude (previous) from ("
                f" select {columns}, a.row_number, {_hash(values)} as content_hash,"
                " l.content_hash as previous, (coalesce(l.version, 0) + 1)::integer as version,"
                " ?::varchar as batch_id, ?::timestamp as loaded_at"
                " from _accepted a left join _latest l on l.source = a.source and l.record_id = a.record_id"
                ") where previous is distinct from content_hash and created_at is not null",
                [batch_id, loaded_at],
            )
        con.execute("drop table if exists _latest")
        new, updated = con.execute(
            "select count(*) filter (where version = 1), count(*) filter (where version > 1) "
            "from raw_records where batch_id = ?",
            [batch_id],
        ).fetchall()[0]
        refused = unknown.select(
            "row_number",
            pl.lit("record_id").alias("column_name"),
            pl.lit("unknown_record").alias("reason"),
            pl.format("record_id {} was never loaded and this file has no creation time for it", "record_id").alias(
                "message"
            ),
            "record_id",
        )
        counts = {"new": new, "updated": updated, "unchanged": accepted.height - new - updated - unknown.height}
        return counts, refused

    def ingest_inbox(self, inbox: Path | None = None, archive: Path | None = None) -> list[BatchReport]:
        """Load every file in the inbox; move each to the archive only once its batch committed.

        A file that cannot be loaded stays in the inbox with ``<name>.error.txt`` beside it
        saying why; it is tried again next time (fix the mapping, or replace the file).
        Files are taken in name order; hidden files and error files are left alone.
        """
        inbox = inbox or self.config.paths.inbox
        archive = archive or self.config.paths.archive
        inbox.mkdir(parents=True, exist_ok=True)
        reports = []
        for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
            if path.name.endswith(ERROR_SUFFIX):
                continue
            error = path.with_name(path.name + ERROR_SUFFIX)
            try:
                report = self.ingest(path)
            except IngestError as exc:
                error.write_text(f"{exc}\nreason: {exc.reason}\nat: {self.now():%Y-%m-%d %H:%M:%S}\n", encoding="utf-8")
                reports.append(BatchReport(str(path), "failed", message=str(exc)))
                continue
            target = archive / f"{self.now():%Y-%m-%d}" / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target = target.with_name(f"{target.stem}.{report.batch_id}{target.suffix}")
            shutil.move(str(path), target)
            error.unlink(missing_ok=True)
            report.message = (report.message + f" archived to {target}").strip()
            reports.append(report)
        return reports

    # --- clean ---------------------------------------------------------------------------------
    def clean(self) -> int:
        """Normalise and mask the current version of every record that has a version not yet seen.

        The current version is the most advanced one, not the last loaded: reopened before
        closed before responded, then the latest closed-loop time, then a 回访 answer, then the
        version number — so an older export loaded after a newer one does not undo it.
        """
        raw = self.store.sql(
            "with pending as (select distinct r.source, r.record_id from raw_records r anti join records c "
            "  on r.source = c.source and r.record_id = c.record_id and r.version <= c.version), "
            "current as (select r.* from raw_records r semi join pending p "
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

    def themes(self, refit: bool = False) -> tuple[int, bool, str | None]:
        """Assign new records to themes; fit (or refit) the model when there is none or asked.

        Returns (records assigned, whether the model was fitted, model version).
        """
        current = None if refit else self.current_model()
        if current is None:
            return self._fit_themes()
        version, model = current
        pending = self.store.sql(
            "select t.source, t.record_id, t.content_hash, t.tokens from tokens t "
            "left join assignments a on t.source = a.source and t.record_id = a.record_id "
            "where a.model_version is distinct from ? or a.content_hash is distinct from t.content_hash "
            "order by t.source, t.record_id",
            [version],
        )
        if pending.height == 0:
            return 0, False, version
        labels, scores, reasons = model.assign(pending["tokens"].to_list())
        assignments = self._assignments(pending, labels, scores, reasons, version)
        with self.store.transaction() as con:
            Store.replace_keys(con, "assignments", assignments, schema.KEY)
            self._refresh_theme_stats(con)
        return assignments.height, False, version

    def _fit_themes(self) -> tuple[int, bool, str | None]:
        tokens = self.store.sql(
            "select t.source, t.record_id, t.content_hash, t.tokens, r.text from tokens t "
            "join records r using (source, record_id) order by t.source, t.record_id"
        )
        if tokens.height < 50:
            return 0, False, None
        cfg = self.config.themes
        model = ThemeModel(
            min_themes=cfg.min_themes, max_themes=cfg.max_themes, n_components=cfg.n_components, random_state=cfg.seed
        )
        with self.progress("主题发现 themes", 1) as advance:
            model.fit(tokens["tokens"].to_list())
            advance(1)
        fingerprint = hashlib.blake2b(
            json.dumps(model.params_json(), sort_keys=True).encode()
            + "".join(tokens["content_hash"].to_list()).encode(),
            digest_size=6,
        ).hexdigest()
        version = f"tm-{fingerprint}"
        model.save(self._model_path(version))
        labels, scores = model.labels_, model.scores_
        reasons = [
            None if lab >= 0 else ("no_known_terms" if s == 0 else "too_far_from_themes")
            for lab, s in zip(labels.tolist(), scores.tolist(), strict=True)
        ]
        assignments = self._assignments(tokens, labels, scores, reasons, version)
        themes = self._theme_table(model, tokens, labels, scores, version)
        now = self.now().replace(microsecond=0)
        with self.store.transaction() as con:
            con.execute("delete from assignments")
            con.execute("delete from themes")
            Store.insert(con, "assignments", assignments)
            Store.insert(con, "themes", themes)
            Store.insert(
                con,
                "theme_events",
                themes.select(
                    pl.lit(version).alias("model_version"),
                    "theme_id",
                    pl.lit("new").alias("event"),
                    pl.col("label").alias("detail"),
                    pl.lit(now, schema.DATETIME).alias("recorded_at"),
                ),
            )
            con.execute(
                "insert or replace into theme_models values (?, ?, ?, ?, ?)",
                [
                    version,
                    now,
                    tokens.height,
                    json.dumps(
                        {
                            **model.params_json(),
                            "n_themes_": model.n_themes_,
                            "merge_trace": getattr(model, "merge_trace_", None),
                        },
                        ensure_ascii=False,
                    ),
                    str(self._model_path(version)),
                ],
            )
            Store.set_meta(con, "theme_model", version)
            self._refresh_theme_stats(con)
        return assignments.height, True, version

    @staticmethod
    def _assignments(frame: pl.DataFrame, labels, scores, reasons, version: str) -> pl.DataFrame:
        return frame.select("source", "record_id", "content_hash").with_columns(
            pl.Series("theme_id", labels, dtype=pl.Int32),
            pl.Series("score", scores, dtype=pl.Float64).round(4),
            pl.Series("reason", reasons, dtype=pl.String),
            pl.lit(version).alias("model_version"),
        )

    def _theme_table(self, model: ThemeModel, tokens: pl.DataFrame, labels, scores, version: str) -> pl.DataFrame:
        taxonomy = load_taxonomy(self.config.themes.taxonomy)
        categories = map_to_categories(model.keywords_, model.keyword_weights_, taxonomy)
        prefer = {e.word for e in governance_lexicon()} | {t for c in taxonomy for t in c.seed_terms}
        frame = tokens.select("text").with_columns(
            pl.Series("theme_id", labels, dtype=pl.Int32), pl.Series("score", scores, dtype=pl.Float64)
        )
        representatives = (
            frame.filter(pl.col("theme_id") >= 0)
            .sort(["theme_id", "score"], descending=[False, True])
            .group_by("theme_id", maintain_order=True)
            .agg(pl.col("text").unique(maintain_order=True).head(3).alias("representatives"))
        )
        rows = pl.DataFrame(
            {
                "theme_id": [*range(model.n_themes_), UNASSIGNED],
                "label": [*(model.label(t, prefer=prefer) for t in range(model.n_themes_)), "未归类"],
                "keywords": [*model.keywords_, []],
                "category": [*categories, "其他"],
            },
            schema={"theme_id": pl.Int32, "label": pl.String, "keywords": pl.List(pl.String), "category": pl.String},
        )
        return rows.join(representatives, on="theme_id", how="left").with_columns(
            pl.lit(version).alias("model_version"), pl.lit("active").alias("status")
        )

    @staticmethod
    def _refresh_theme_stats(con) -> None:
        con.execute(
            "update themes set size = s.n, first_seen = s.first_seen, last_seen = s.last_seen from ("
            " select a.theme_id, count(*) as n,"
            " min(r.created_at)::date as first_seen, max(r.created_at)::date as last_seen"
            " from assignments a join records r using (source, record_id) group by a.theme_id) s"
            " where themes.theme_id = s.theme_id"
        )

    # --- marts ---------------------------------------------------------------------------------
    def marts(self) -> list[str]:
        """Rebuild the SQL models under ``sql/`` in dependency order: staging views, then mart tables."""
        with self.store.transaction() as con:
            for name, sql in sql_models():
                kind = "view" if name.startswith("stg_") else "table"
                con.execute(f"create or replace {kind} {name} as\n{sql}")
        return [name for name, _ in sql_models()]

    # --- everything after ingest ------------------------------------------------------------------
    def run(self, refit: bool = False) -> RunReport:
        """Clean, segment, assign themes (fitting when needed) and rebuild the marts."""
        report = RunReport()
        for name, step in (("clean", self.clean), ("segment", self.segment)):
            started = time.perf_counter()
            setattr(report, {"clean": "cleaned", "segment": "segmented"}[name], step())
            report.timings[name] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        report.assigned, report.refit, report.model_version = self.themes(refit=refit)
        report.timings["themes"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        self.marts()
        report.timings["marts"] = round(time.perf_counter() - started, 3)
        report.records = self.store.count("records")
        report.n_themes = self.store.scalar("select count(*) from themes where theme_id >= 0")
        report.unassigned = self.store.scalar("select count(*) from assignments where theme_id < 0")
        return report


def _hash(values: str) -> str:
    """SQL for the content hash of a row: base64 of md5 over its canonical values joined by \\x1f."""
    return f"rtrim(to_base64(unhex(md5(concat_ws(chr(31), {values})))), '=')"


def sql_models() -> list[tuple[str, str]]:
    """The SQL models of ``sql/`` as (name, query), each after the models it reads from."""
    folder = resources.files(__package__).joinpath("sql")
    models = {e.name.removesuffix(".sql"): e.read_text("utf-8") for e in folder.iterdir() if e.name.endswith(".sql")}
    ordered: list[str] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise RuntimeError(f"SQL models depend on each other in a cycle: {' -> '.join((*path, name))}")
        body = re.sub(r"--[^\n]*", "", models[name])
        for other in sorted(models):
            if other != name and re.search(rf"\b(?:from|join)\s+{other}\b", body):
                visit(other, (*path, name))
        ordered.append(name)

    for name in sorted(models):
        visit(name, ())
    return [(name, models[name]) for name in ordered]


def _cpu_count() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
