"""The stage runner: the only code that reads from and writes to DuckDB.

For each stage it reads the input (:mod:`.inputs`), builds the context (:mod:`.contexts`), calls
the pure stage function (:mod:`demandlab.stages`) and writes the output (:mod:`.outputs`) in one
transaction, so a crash leaves the database as it was before the stage — except the rows stages,
which commit every few batches (:mod:`.batches`). Every stage is incremental: it works only on what
changed since it last ran, so the next run completes what a crash left.

>>> import demandlab as dl
>>> pipe = dl.Pipeline(dl.connect(":memory:"))
>>> pipe.run().records
0
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import resource
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from functools import partial
from pathlib import Path

import polars as pl

from .. import clock
from ..config import Config
from ..duck import limit_memory
from ..errors import UsageError
from ..ingest import GridIndex, read_registry
from ..marts import read
from ..marts.build import build_marts, sql_models
from ..signals import PLACES_VERSION
from ..signals.places import LocateContext, PlaceEvidence, Scanned, learn_places, locate_records, scan_places
from ..signals.stage import SIGNAL_MARTS_ORDER, SIGNALS_VERSION
from ..stages import KeyRunner, in_process
from ..store import Store
from ..text.clean import focus_column
from ..text.segment import Segmenter
from ..themes.fit import Previous, fit_themes
from ..themes.model import ThemeModel
from ..themes.policy import refit_reason
from ..themes.registry import Overrides
from . import analysis, batches, contexts, inputs, outputs, runs
from .inbox import ingest_inbox
from .loading import load_file, scratch_path
from .reports import BatchReport, Progress, RunReport, log, silent
from .signal_pass import run_signals


class Pipeline:
    """Runs the stages against one :class:`~demandlab.store.Store` (the restricted file attached).

    Parameters
    ----------
    store : the database. config : settings; defaults when omitted.
    progress : a factory of progress callbacks (rich bars, log lines: :mod:`.reports`).
    now : the clock (:func:`demandlab.clock.now`; tests pin it).
    """

    def __init__(
        self,
        store: Store,
        config: Config | None = None,
        progress: Progress | None = None,
        now: Callable[[], dt.datetime] = clock.now,
    ) -> None:
        self.store, self.config, self.progress, self.now = store, config or Config(), progress or silent, now
        if self.config.engine.memory_limit:
            limit_memory(store.con, self.config.engine.memory_limit)
            store.memory_limit = self.config.engine.memory_limit  # restored after its cache is let go
        if not store.read_only:
            store.attach_restricted()

    # --- one rows stage: read, run, write, batch by batch -------------------------------------
    def _rows(self, stage: str, ctx, query: inputs.Query, write: str | Callable, label: str, then=None) -> int:
        """Run the rows stage ``stage`` over ``query`` in batches (:func:`.batches.run_rows`); its rows replace
        those of table ``write`` with the same record key (or ``write(con, out)`` lands them), committed every few
        batches. Returns the number of rows written."""
        write = partial(_replace_rows, write) if isinstance(write, str) else write
        engine, workers = self.config.engine, contexts.workers(self.config)
        run = partial(batches.run_rows, label=label, progress=self.progress, batch_rows=engine.batch_rows)
        mapper = _spark_mapper(self, stage, ctx) if engine.name == "spark" else None
        return run(self.store, stage, ctx, query.sql, query.params, write, workers=workers, then=then, mapper=mapper)

    # --- grids and files ----------------------------------------------------------------------
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

    def ingest(self, path: str | Path, mapping: str | None = None, sheet: str | None = None) -> BatchReport:
        """Load one export (:func:`.loading.load_file`); the same bytes twice change nothing."""
        loaded_at = self.now().replace(microsecond=0)
        return load_file(self.store, path, self.config, self.grid_index(), loaded_at, mapping, sheet)

    def ingest_inbox(self, inbox: Path | None = None, archive: Path | None = None) -> list[BatchReport]:
        """Load every file in the inbox and archive what loaded (:mod:`.inbox`)."""
        paths = self.config.paths
        return ingest_inbox(inbox or paths.inbox, archive or paths.archive, self.ingest, self.now)

    def purge(self, before: dt.date) -> dict[str, int]:
        """Delete the restricted data of files loaded before ``before`` and rewrite the restricted file."""
        counts = self.store.purge_restricted(dt.datetime.combine(before, dt.time()))
        log.info("purge before %s: %s", before, counts)
        return counts

    # --- row stages ---------------------------------------------------------------------------
    def clean(self) -> int:
        """Normalise and mask the current version of every record with a version not yet seen."""
        ctx = contexts.clean(self.config, self.now().replace(microsecond=0))
        cleaned = self._rows("clean", ctx, inputs.pending_raw(), "records", "清洗与脱敏 clean + mask")
        untagged = inputs.untagged_focus(self.store)  # records cleaned before 一老一小 tags existed (version 8)
        if untagged.height:
            with self.progress("一老一小 focus", untagged.height) as advance:
                tagged = untagged.select("source", "record_id", focus_column(untagged["title"], untagged["text"]))
                advance(untagged.height)
            with self.store.transaction() as con:
                outputs.focus(con, tagged)
        return cleaned

    def segmenter(self) -> Segmenter:
        """The segmenter for this database: shipped lexicon, the user's words, the registry's place names."""
        return contexts.segment(self.store, self.config).segmenter()

    def segment(self) -> int:
        """Segment records whose text changed or that the current segmenter has not cut."""
        ctx = contexts.segment(self.store, self.config)
        # one process per batch: the batches are what runs in parallel, not the blocks of one batch
        ctx = dataclasses.replace(ctx, workers=1)
        return self._rows("segment", ctx, inputs.pending_tokens(ctx.segmenter().name), "tokens", "分词 segment")

    # --- themes ---------------------------------------------------------------------------------
    def overrides(self) -> Overrides:
        return Overrides.load(self.config.themes.overrides)

    def current_model(self) -> tuple[str, ThemeModel] | None:
        version = self.store.meta("theme_model")
        path = self.config.paths.models / str(version) / "themes"
        return (version, ThemeModel.load(path)) if version and path.with_suffix(".npz").exists() else None

    def refit_reason(self, version: str, model: ThemeModel | None = None) -> str | None:
        """Why the current model should be fitted again, by the configured policy (None: it need not)."""
        window_end, data_end, newer, share = inputs.model_facts(self.store, version)
        degraded = model.degraded_ if model is not None else None
        return refit_reason(self.config.themes, window_end, data_end, degraded, newer, share)

    def themes(self, refit: bool = False) -> tuple[int, bool, str | None]:
        """Assign new records to the current themes; fit (or refit) when the policy says so (:mod:`..themes.policy`).

        Returns (records assigned, whether the model was fitted, model version).
        """
        overrides, current, recorded = self.overrides(), self.current_model(), self.store.meta("theme_model")
        reason = "asked" if refit else ("no model yet" if current is None else self.refit_reason(*current))
        if not reason and current is not None and self._boilerplate_decisions_changed(current[0], overrides):
            reason = "boilerplate overrides changed"
        if current is None and recorded:  # the database names a model whose files are not where the config says
            reason = f"model {recorded} not found under {self.config.paths.models}"
            log.warning("themes: %s; fitting a new model (check [paths] models)", reason)
        if reason:
            fitted = self._fit(reason, overrides)
            if fitted is not None or current is None:
                return fitted or (0, False, None)
        version, model = current
        return self._assign(version, model, overrides), False, version

    def apply_overrides(self) -> tuple[int, str]:
        """Apply the analysts' decisions (``themes.toml``) to the current model and assign pending records:
        never a fit, whatever the refit policy says, so what changes is the decisions' effect alone.

        Returns (records assigned, model version). Raises :class:`UsageError` when the database has no model
        or its files are not under ``[paths] models``.
        """
        current, recorded = self.current_model(), self.store.meta("theme_model")
        if current is None:
            where = self.config.paths.models
            raise UsageError(
                f"主题模型 {recorded} 不在 {where} 下，请指明模型目录（[paths] models 或 DEMANDLAB_MODELS）"
                if recorded
                else "数据库中还没有主题模型：请先运行 demandlab run"
            )
        version, model = current
        return self._assign(version, model, self.overrides()), version

    def _assign(self, version: str, model: ThemeModel, overrides: Overrides) -> int:
        ctx = contexts.assign(self.store, self.config, version, model, overrides)
        assigned = self._rows("assign", ctx, inputs.pending_assign(version), "assignments", "主题归类 assign")
        with self.store.transaction() as con:
            outputs.overrides(con, version, overrides, dict(ctx.clusters))
            outputs.theme_stats(con)
        return assigned

    def _fit(self, reason: str, overrides: Overrides) -> tuple[int, bool, str] | None:
        """Fit on the window — at most ``themes.fit_sample`` of its records, a fixed sample by key — and assign
        every other record afterwards, in batches, like new records (the fit never holds the database)."""
        cfg, data_end = self.config.themes, inputs.data_end(self.store)
        if data_end is None:
            return None
        start = data_end - dt.timedelta(weeks=cfg.window_weeks - 1) if cfg.window_weeks else dt.date(1900, 1, 1)
        window = inputs.fit_tokens(self.store, start, cfg.fit_sample)
        if window.height == 0:
            return None
        keys = window.select("source", "record_id")
        prior = inputs.prior_clusters(self.store, keys)
        previous = Previous(inputs.previous_assignments(self.store, keys), inputs.known_themes(self.store))
        ctx = contexts.fit(self.store, self.config, overrides, self.store.meta("theme_model"))
        with self.progress("主题发现 themes", 1) as advance:
            result = fit_themes(window, window.clear(), prior, previous, ctx)
            advance(1)
        del window, prior, previous
        path = result.model.save(self.config.paths.models / result.version / "themes")
        result.exclusions.save(contexts.exclusions_path(self.config, result.version))
        with self.store.transaction() as con:
            outputs.fit(con, result, str(path), reason, (start if cfg.window_weeks else None, data_end), self.now())
            outputs.overrides(con, result.version, overrides, result.final)
            outputs.theme_stats(con)
        fitted = result.assignments.height
        rest = self._assign(result.version, result.model, overrides)
        return fitted + rest, True, result.version

    def _boilerplate_decisions_changed(self, version: str, overrides: Overrides) -> bool:
        """Whether the analysts' boilerplate phrases differ from those the model ``version`` was fitted with."""
        fitted = contexts.exclusions(self.config, version)
        if not (overrides.boilerplate_keep or overrides.boilerplate_drop or fitted.keep or fitted.drop):
            return False
        now = contexts.cut_decisions(overrides, self.segmenter())
        return (fitted.keep, fitted.drop) != (now.boilerplate_keep, now.boilerplate_drop)

    # --- marts and signals ----------------------------------------------------------------------
    def marts(self) -> list[str]:
        """Bring the SQL models up to date (:func:`demandlab.marts.build.build_marts`), noting what changed."""
        build_marts(self.store, then=self._note_changed)
        return [name for name, _ in sql_models()]

    def _note_changed(self, con, changed: str | None) -> None:
        pending = self.store.meta("signals_since")
        if changed is not None:
            since = "all" if "all" in (changed, pending) else min(filter(None, (pending, changed)))
            Store.set_meta(con, "signals_since", since)

    def locate(self) -> tuple[int, bool]:
        """Find the place each record names (``record_places``) for records whose text is new or changed;
        all of them again when the registry's compounds changed.

        The names to look for are learned from all records (:func:`learn_places`): a compound name is
        learned only when several records write it in different contexts, which no batch alone shows;
        what earlier records showed is kept in ``meta.place_evidence``, so only new records are read.
        A record located before a name was learned keeps its place until everything is located again."""
        compounds = inputs.compounds(self.store)
        fingerprint = _digest("\x1f".join((PLACES_VERSION, *LocateContext(tuple(compounds)).finders()[0].known)))
        everything = self.store.meta("place_finder") != fingerprint
        pending = inputs.pending_places(everything)
        earlier = None if everything else PlaceEvidence.from_json(self.store.meta("place_evidence"))
        evidence, only = _evidence(self.store, pending, compounds, earlier, self.config.engine.batch_rows)
        ctx = learn_places(None, compounds, evidence=evidence)
        cleared = not everything

        def write(con, found: pl.DataFrame) -> None:
            nonlocal cleared
            if not cleared:  # the registry's compounds changed: every record is located again
                con.execute("delete from record_places")
                cleared = True
            outputs.replace_rows(con, "record_places", found)

        def then(con) -> None:
            Store.set_meta(con, "place_finder", fingerprint)

        _note_evidence(self.store, evidence)
        placed = _locate(self, ctx, pending, only, write, then)
        return placed, everything and placed > 0

    def signal_records(self, text: bool = False, start: dt.datetime | None = None) -> pl.DataFrame:
        """Records with theme and place, keys unified (:func:`demandlab.marts.read.signal_records`)."""
        return read.signal_records(self.store, text, start)

    def signals(self) -> RunReport:
        """Places, then alerts, repeats, hot issues and surge tests (:func:`.signal_pass.run_signals`): nothing
        when no record changed; when some did, only the weeks, repeat groups and people they can change."""
        placed, relocated = self.locate()
        settings = {**asdict(self.config.signals), "model": self.store.meta("theme_model"), "version": SIGNALS_VERSION}
        settings = json.dumps(settings, sort_keys=True)
        since_text, tables = self.store.meta("signals_since"), set(self.store.tables())
        full = relocated or since_text == "all" or settings != self.store.meta("signals_settings")
        full = full or not set(SIGNAL_MARTS_ORDER) <= tables
        if full or since_text or placed:
            since = None if full or not since_text else dt.datetime.fromisoformat(since_text)
            current = self.current_model()
            ctx = contexts.signals(self.config, current[1] if current else None, since)
            run_signals(self.store, ctx, settings, self.progress, _key_runner(self.config))
        return analysis.signal_counts(self.store, RunReport(placed=placed))

    # --- everything after ingest --------------------------------------------------------------------
    def run(self, refit: bool = False, record: bool = True) -> RunReport:
        """Clean, segment, assign themes (fitting when needed), bring the marts and the signals up to date.

        ``record``: note the run in the ``runs`` table (``running``, then ``done`` with the report or
        ``failed`` with the error's type); the weekly job, which records itself, passes False.
        """
        if not record:
            return self._run(refit)
        with runs.recorded(self.store, "run", self.now) as done:
            report = done(self._run(refit))
        write_configured_lake(self.store, self.config)  # after the run's row: the lake holds it
        return report

    def _run(self, refit: bool) -> RunReport:
        report, started = RunReport(), time.perf_counter()
        report.cleaned = self._timed(report, "clean", self.clean)
        report.segmented = self._timed(report, "segment", self.segment)
        report.assigned, report.refit, report.model_version = self._timed(report, "themes", lambda: self.themes(refit))
        self._timed(report, "marts", self.marts)
        found = self._timed(report, "signals", self.signals)
        report.placed, report.alerts, report.repeat_groups = found.placed, found.alerts, found.repeat_groups
        report.hot_issues = found.hot_issues
        analysis.run_counts(self.store, report)
        report.peak_memory_mib = peak_memory_mib()
        log.info("run: %d records in %.1f s", report.records, time.perf_counter() - started)
        return report

    def _timed(self, report: RunReport, name: str, step: Callable):
        started = time.perf_counter()
        result = step()
        report.timings[name] = round(time.perf_counter() - started, 3)
        log.info("stage %s: %s in %.1f s", name, "" if isinstance(result, RunReport) else result, report.timings[name])
        return result

    # --- analysts' tools (:mod:`.analysis`) ------------------------------------------------------------
    def evaluate_themes(self, label_column: str | None = None, stability_sample: int | None = 5_000) -> dict:
        return analysis.evaluate_themes(self, label_column, stability_sample)

    def export_themes(self, out: str | Path) -> int:
        return analysis.export_themes(self.store, out)

    def classifier_data(self, label_column: str, source: str | None = None) -> pl.DataFrame:
        return inputs.classifier_data(self.store, label_column, source)

    def cross_validate_categories(self, label_column: str, folds: int = 5, source: str | None = None) -> dict:
        return analysis.cross_validate_categories(self, label_column, folds, source)

    def route(self, label_column: str = "category", source: str | None = None) -> int:
        return analysis.route(self, label_column, source)


def _spark(config: Config):
    """The Spark session of ``engine.spark_master``; where Spark cannot run, a usage error saying what to install,
    raised before any stage uses it."""
    from ..spark.session import session, unavailable

    if (reason := unavailable()) is not None:
        raise UsageError(f'engine.name = "spark" 无法运行：{reason}')
    return session(config.engine.spark_master)


def write_configured_lake(store: Store, config: Config) -> dict[str, int] | None:
    """``paths.lake`` set: the database as a folder of Parquet (:func:`demandlab.lake.write_lake`), its marts built
    by Spark from the lake's records under ``engine.name = "spark"``; the rows per table, None when it is unset."""
    if config.paths.lake is None:
        return None
    from ..lake import write_lake

    marts = None
    if config.engine.name == "spark":
        from ..spark.lake import spark_marts

        marts = spark_marts(_spark(config))
    started = time.perf_counter()
    rows = write_lake(store, config.paths.lake, marts)
    log.info("lake %s: %d tables, %d records in %.1f s", config.paths.lake, len(rows), rows["records"],
             time.perf_counter() - started)  # fmt: skip
    return rows


def _key_runner(config: Config) -> KeyRunner:
    """The signal pass's key stages: in Spark (``engine.name = "spark"``), else in this process."""
    if config.engine.name != "spark":
        return in_process
    from ..spark.stages import key_runner

    return key_runner(_spark(config))


def _spark_mapper(pipe: Pipeline, stage: str, ctx) -> Callable:
    """``engine.name = "spark"``: the stage's batches through Spark (:class:`demandlab.spark.rows.SparkRows`),
    exchanged as Parquet in the private folder beside the database."""
    from ..spark.rows import SparkRows

    engine, spark = pipe.config.engine, _spark(pipe.config)
    folder = scratch_path(pipe.store) or Path(tempfile.gettempdir())
    context = spark.sparkContext
    log.info("stage %s: in Spark (%s, %d cores)", stage, context.master, context.defaultParallelism)
    return SparkRows(spark, stage, ctx, folder, engine.batch_rows).map


def _replace_rows(table: str, con, out: pl.DataFrame) -> None:
    outputs.replace_rows(con, table, out)


def _note_evidence(store: Store, evidence: PlaceEvidence) -> None:
    """Note the place evidence before any record is located, as locate's rows commit every few batches: a stage
    stopped midway is finished by the next run with the same evidence (the pending records' part of it noted
    again changes nothing), and a relocation of every record (its place finder not yet noted) is done again."""
    with store.transaction() as con:
        Store.set_meta(con, "place_evidence", evidence.to_json())


def _locate(pipe: Pipeline, ctx: LocateContext, pending: inputs.Query, only, write, then) -> int:
    """The locate stage over the pending records; when they were one batch (a week's records, ``only``:
    the batch and what the evidence pass found in it), located with what that pass read and scanned
    rather than read and scanned again — on this machine's engine; Spark's reads them again."""
    if only is None or pipe.config.engine.name != "duckdb":
        return pipe._rows("locate", ctx, pending, write, "识别地点 places", then=then)
    frame, scanned = only
    with pipe.store.transaction() as con:
        found = locate_records(frame, ctx, scanned)
        write(con, found)
        then(con)
    return found.height


def _evidence(
    store: Store, pending: inputs.Query, compounds: list[str], earlier: PlaceEvidence | None, batch_rows: int
) -> tuple[PlaceEvidence, tuple[pl.DataFrame, tuple[Scanned, ...]] | None]:
    """What the pending records show of each place name, batch by batch, added to what earlier records
    showed (``meta.place_evidence``): only new records are read, and all of them before any is located.
    When they were one batch, also that batch and what reading it found (:func:`scan_places`)."""
    evidence, only = earlier, None
    for i, batch in enumerate(batches.read_batches(store, pending.sql, pending.params, batch_rows)):
        found, scanned = scan_places(batch, compounds)
        evidence = evidence.merge(found) if evidence is not None else found
        only = (batch, scanned) if i == 0 else None
    return evidence or PlaceEvidence(), only


def peak_memory_mib() -> int:
    """Peak resident memory of this process and of the largest worker process it waited for, in MiB."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, workers) / 1024)  # Linux reports KiB


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
