"""The scheduled weekly job: inbox → every stage → reports → run summary, safe to run unattended.

``demandlab weekly --config demandlab.toml [--week 2026-W47]`` calls :func:`run_weekly`:

1. checks the week before anything else (a mistyped week changes nothing: exit 2);
2. takes the database's write lock (a file lock beside the database; the operating system
   releases it when the process dies, even by ``kill -9``) and opens the database, waiting
   ``wait`` seconds for another run or a reader (a notebook) to let go: when they do not, it
   gives up with :data:`EXIT_BUSY` naming who holds it, and writes nothing;
3. marks runs a killed job left as ``running`` as ``interrupted``;
4. loads the grid registry when one is configured, ingests the inbox — one file at a time: a
   file that fails for any reason stays in the inbox with ``<name>.error.txt`` and the others are
   loaded; files move to the archive only after their batch committed, and a move that fails
   is retried next time without loading again — and runs every stage incrementally (a run killed
   at any point leaves each stage's work whole or not begun, or for a rows stage the batches it
   committed, which the next run completes);
5. writes the district report (and one per street when asked; a street with no records that
   week is skipped with a note) for the week, atomically, under names that cannot leave the
   reports folder;
6. writes the run summary (JSON) beside the reports and into the ``runs`` table. The summary,
   like the log, names files, counts and reasons, never a value from a record.

The report's week defaults to the last complete ISO week before today, or the latest week with
data when the data ends earlier. Re-running a week rewrites the same report (only the generation
time differs) because every figure comes from the database and the seeded model.

Exit codes, for the scheduler: 0 done; 1 unexpected error (the summary says which, without
data); 2 bad usage or configuration; 3 an inbox file could not be loaded or archived (the others
were, the report was written); 4 no data for the week; 5 the database stayed busy.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import clock
from .config import Config
from .errors import EXIT_BUSY, EXIT_ERROR, EXIT_INPUT, EXIT_NO_DATA, EXIT_OK, EXIT_USAGE, describe, exit_code
from .marts import read
from .options import inside, parse_week, safe_name
from .pipeline import Pipeline, Progress, runs, silent
from .pipeline.runner import write_configured_lake
from .report import ReportError, write_report
from .store import Store, StoreBusy, writer_lock

#: Kept for callers of the earlier name: the lock a run holds is the database's write lock.
EXIT_LOCKED = EXIT_BUSY
Locked = StoreBusy
run_lock = writer_lock
log = logging.getLogger("demandlab.weekly")
DISTRICT_REPORT = "全区"


@dataclass
class WeeklySummary:
    """What one weekly run did: written as JSON beside the reports and into ``runs``."""

    run_id: str
    week: str | None = None
    status: str = "running"  # done | input_failed | no_data | failed | busy | usage
    exit_code: int = EXIT_OK
    started_at: str = ""
    finished_at: str | None = None
    files: list[dict] = field(default_factory=list)
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejects_by_reason: dict[str, int] = field(default_factory=dict)
    run: dict = field(default_factory=dict)
    alerts_this_week: dict[str, int] = field(default_factory=dict)
    hot_issues: int = 0
    model_version: str | None = None
    reports: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was skipped and why (Chinese)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)

    def fail(self, status: str, code: int, error: str) -> None:
        self.status, self.exit_code, self.error = status, code, error


def default_week(store: Store, today: dt.date) -> str | None:
    """The last complete ISO week before ``today``, or the latest week with data when that is earlier."""
    last = read.latest_week_start(store)
    if last is None:
        return None
    monday = today - dt.timedelta(days=today.weekday())
    week_start = min(monday - dt.timedelta(weeks=1), last)
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def run_weekly(
    config: Config,
    week: str | None = None,
    per_street: bool = False,
    wait: float = 0.0,
    refit: bool = False,
    progress: Progress = silent,
    now: Callable[[], dt.datetime] = clock.now,
) -> WeeklySummary:
    """Run the weekly job (see the module docstring); never raises for an expected failure."""
    summary = WeeklySummary(run_id=uuid.uuid4().hex[:12], started_at=now().isoformat(timespec="seconds"))
    try:
        summary.week = parse_week(week)
    except ValueError as exc:
        summary.fail("usage", EXIT_USAGE, describe(exc))
        log.error("run %s: not started: %s", summary.run_id, summary.error)
        return summary  # writes nothing: not even a summary folder for a week that does not exist
    db = Path(config.paths.db)
    try:
        with writer_lock(db, wait, "demandlab weekly"), Store(db, wait=wait) as store:
            log.info("run %s: lock taken on %s", summary.run_id, db)
            try:
                _run(store, config, summary, per_street, refit, progress, now)
            except Exception as exc:  # the scheduler needs a summary whatever went wrong
                summary.fail("failed", exit_code(exc), describe(exc))
                log.error("run %s: failed: %s", summary.run_id, summary.error, exc_info=log.isEnabledFor(logging.DEBUG))
            _record(store, summary, now)
            _write_lake(store, config, summary, now)
    except StoreBusy as exc:
        summary.fail("busy", EXIT_BUSY, str(exc))
        log.error("run %s: not started: %s", summary.run_id, exc)
        return summary  # writes nothing: the running job owns the database and the reports
    except Exception as exc:  # the database could not be opened (corrupt, full disk …)
        summary.fail("failed", exit_code(exc), describe(exc))
        log.error("run %s: failed: %s", summary.run_id, summary.error)
        summary.finished_at = now().isoformat(timespec="seconds")
    _write_summary(config, summary)
    return summary


def _run(
    store: Store,
    config: Config,
    summary: WeeklySummary,
    per_street: bool,
    refit: bool,
    progress: Progress,
    now: Callable[[], dt.datetime],
) -> None:
    runs.start(store, summary.run_id, "weekly", dt.datetime.fromisoformat(summary.started_at))
    pipe = Pipeline(store, config, progress=progress, now=now)
    started = time.perf_counter()
    registry_failed = False
    if config.paths.grids:
        try:
            pipe.load_grids(config.paths.grids)
        except Exception as exc:  # a broken registry must not stop the week: keep the one loaded before
            registry_failed = True
            summary.notes.append(f"网格台账 {Path(config.paths.grids).name} 未能导入，沿用原台账：{describe(exc)}")
            log.error("registry %s: %s", config.paths.grids, describe(exc))
    batches = pipe.ingest_inbox()
    summary.timings["ingest"] = round(time.perf_counter() - started, 2)
    for b in batches:
        summary.files.append(
            {k: getattr(b, k) for k in ("path", "status", "rows_read", "rows_accepted", "rows_rejected", "message")}
            | {"failure": b.failure}
        )
        summary.rows_read += b.rows_read
        summary.rows_accepted += b.rows_accepted
        summary.rows_rejected += b.rows_rejected
        for reason, n in b.reasons.items():
            summary.rejects_by_reason[reason] = summary.rejects_by_reason.get(reason, 0) + n
        if b.status in ("failed", "archive_failed"):  # a scheduler's log must say why, not only that
            log.warning("file %s: %s (%s): %s", Path(b.path).name, b.status, b.failure or "archive", b.message)
        else:
            log.info(
                "file %s: %s, read %d, accepted %d, rejected %d",
                Path(b.path).name,
                b.status,
                b.rows_read,
                b.rows_accepted,
                b.rows_rejected,
            )
    report = pipe.run(refit=refit, record=False)  # the weekly job records itself
    summary.run = report.as_dict()
    summary.timings.update(report.timings)
    summary.model_version = report.model_version
    log.info(
        "run: %d records, %d new or changed, %d themes (%s), alerts %s",
        report.records,
        report.cleaned,
        report.n_themes,
        "refit: " + (report.refit_reason or "") if report.refit else "assigned",
        report.alerts,
    )
    summary.week = summary.week or default_week(store, now().date())
    if summary.week is None:
        summary.fail("no_data", EXIT_NO_DATA, "数据库中还没有任何记录")
        return
    started = time.perf_counter()
    if not _write_reports(store, config, summary, per_street):
        return
    summary.timings["report"] = round(time.perf_counter() - started, 2)
    summary.alerts_this_week = read.alert_counts(store, summary.week)
    summary.hot_issues = store.count("mart_hot_issues")
    failed = [f for f in summary.files if f["status"] in ("failed", "archive_failed")]
    if failed or registry_failed:
        problems = len(failed) + registry_failed
        summary.fail(
            "input_failed", EXIT_INPUT, f"{problems} 个输入文件未能导入或归档；原因见各文件旁的 .error.txt 或本摘要"
        )
    else:
        summary.status = "done"


def _write_reports(store: Store, config: Config, summary: WeeklySummary, per_street: bool) -> bool:
    """The district report, then one per street; False when the district itself has no data that week."""
    folder = inside(Path(config.paths.reports), summary.week)  # the week was checked; this is the last guard
    try:
        path = write_report(store, inside(folder, f"{DISTRICT_REPORT}.html"), week=summary.week, config=config)
    except ReportError as exc:
        summary.fail("no_data", EXIT_NO_DATA, str(exc))
        log.error("report: %s", exc)
        return False
    summary.reports.append(str(path))
    log.info("report %s: %s (%.1f MB)", DISTRICT_REPORT, path, path.stat().st_size / 1e6)
    if not per_street:
        return True
    streets = read.street_counts(store, summary.week)
    used: set[str] = {DISTRICT_REPORT}
    for street, n in streets.rows():
        if n == 0:
            summary.notes.append(f"{street}：{summary.week} 没有记录，未生成街道报告")
            continue
        name = safe_name(street)
        if name in used:  # two streets whose safe names meet: keep both files
            name = safe_name(f"{street}#{len(used)}")
        used.add(name)
        try:
            path = write_report(
                store, inside(folder, f"{name}.html"), week=summary.week, scope=f"street={street}", config=config
            )
        except ReportError as exc:
            summary.notes.append(f"{street}：未生成街道报告（{exc}）")
            continue
        summary.reports.append(str(path))
        log.info("report %s: %s (%.1f MB)", name, path, path.stat().st_size / 1e6)
    return True


def _record(store: Store, summary: WeeklySummary, now: Callable[[], dt.datetime]) -> None:
    summary.finished_at = now().isoformat(timespec="seconds")
    finished = dt.datetime.fromisoformat(summary.finished_at)
    runs.finish(store, summary.run_id, finished, summary.status, summary.as_dict())


def _write_lake(store: Store, config: Config, summary: WeeklySummary, now: Callable[[], dt.datetime]) -> None:
    """``paths.lake``: the database as a folder of Parquet once the run is recorded (the lake holds the run's row),
    after a run that processed its data; a lake that cannot be written fails the run (recorded again), the lake
    written before left whole."""
    if config.paths.lake is None or summary.status not in ("done", "input_failed"):
        return
    started = time.perf_counter()
    try:
        write_configured_lake(store, config)
    except Exception as exc:
        summary.fail("failed", exit_code(exc), f"Parquet 数据湖 {config.paths.lake} 未能写入：{describe(exc)}")
        log.error("run %s: %s", summary.run_id, summary.error)
        _record(store, summary, now)
        return
    summary.timings["lake"] = round(time.perf_counter() - started, 2)


def _write_summary(config: Config, summary: WeeklySummary) -> Path | None:
    """``<reports>/<week>/run-summary.json``, atomically; a folder that cannot be written is logged, not raised."""
    folder = Path(config.paths.reports) / (summary.week or "no-week")
    path = folder / "run-summary.json"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        log.error("summary %s not written: %s", path, describe(exc))
        if summary.exit_code == EXIT_OK:
            summary.fail("failed", EXIT_ERROR, describe(exc))
        return None
    log.info("summary %s: status %s, exit %d", path, summary.status, summary.exit_code)
    return path


__all__ = [
    "EXIT_BUSY",
    "EXIT_ERROR",
    "EXIT_INPUT",
    "EXIT_LOCKED",
    "EXIT_NO_DATA",
    "EXIT_OK",
    "EXIT_USAGE",
    "Locked",
    "WeeklySummary",
    "default_week",
    "run_lock",
    "run_weekly",
]
