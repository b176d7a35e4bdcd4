"""The scheduled weekly job: inbox → every stage → reports → run summary, safe to run unattended.

``demandlab weekly --config demandlab.toml [--week 2026-W47]`` calls :func:`run_weekly`:

1. takes the run lock (a file lock beside the database; the operating system releases it when
   the process dies, even by ``kill -9``): a second run waits ``wait`` seconds, then gives up
   with :data:`EXIT_LOCKED` and writes nothing;
2. marks runs a killed job left as ``running`` as ``interrupted``;
3. loads the grid registry when one is configured, ingests the inbox (files move to the archive
   only after their batch committed), and runs every stage incrementally — each stage is one
   transaction, so a run killed at any point leaves the database as it was before that stage and
   the next run carries on;
   (``refit`` fits the theme model again whatever the refit policy says);
4. writes the district report (and one per street when asked) for the week, atomically;
5. writes the run summary (JSON) beside the reports and into the ``runs`` table.

The report's week defaults to the last complete ISO week before today, or the latest week with
data when the data ends earlier. Re-running a week rewrites the same report (only the generation
time differs) because every figure comes from the database and the seeded model.

Exit codes, for the scheduler: 0 done; 1 unexpected error (the summary says which); 2 bad usage
or configuration; 3 an inbox file could not be loaded (the others were, the report was written);
4 no data for the week; 5 another run holds the lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import time
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import clock
from .config import Config
from .pipeline import Pipeline, Progress, _silent
from .report import ReportError, write_report
from .store import Store

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INPUT, EXIT_NO_DATA, EXIT_LOCKED = 0, 1, 2, 3, 4, 5
log = logging.getLogger("demandlab.weekly")


class Locked(RuntimeError):
    """Another run holds the lock."""


@contextlib.contextmanager
def run_lock(path: Path, wait: float = 0.0) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` for the block; wait up to ``wait`` seconds for it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = path.open("a+")
    deadline = time.monotonic() + wait
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "another run"
                    raise Locked(f"{path} is held by {holder}") from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {dt.datetime.now():%Y-%m-%d %H:%M:%S}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing releases the lock


@dataclass
class WeeklySummary:
    """What one weekly run did: written as JSON beside the reports and into ``runs``."""

    run_id: str
    week: str | None = None
    status: str = "running"  # done | input_failed | no_data | failed | locked
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
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def default_week(store: Store, today: dt.date) -> str | None:
    """The last complete ISO week before ``today``, or the latest week with data when that is earlier."""
    last = store.scalar("select max(week_start) from records")
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
    progress: Progress = _silent,
    now: Callable[[], dt.datetime] = clock.now,
) -> WeeklySummary:
    """Run the weekly job (see the module docstring); never raises for an expected failure."""
    summary = WeeklySummary(run_id=uuid.uuid4().hex[:12], started_at=now().isoformat(timespec="seconds"))
    db = Path(config.paths.db)
    try:
        with run_lock(db.with_name(db.name + ".lock"), wait):
            log.info("run %s: lock taken on %s", summary.run_id, db)
            with Store(db) as store:
                try:
                    _run(store, config, summary, week, per_street, refit, progress, now)
                except Exception as exc:  # the scheduler needs a summary whatever went wrong
                    summary.status, summary.exit_code = "failed", EXIT_ERROR
                    summary.error = f"{type(exc).__name__}: {exc}"
                    log.error("run %s: failed: %s\n%s", summary.run_id, summary.error, traceback.format_exc())
                _record(store, summary, now)
    except Locked as exc:
        summary.status, summary.exit_code, summary.error = "locked", EXIT_LOCKED, str(exc)
        log.error("run %s: not started: %s", summary.run_id, exc)
        return summary  # writes nothing: the running job owns the database and the reports
    except Exception as exc:  # the scheduler needs a summary whatever went wrong
        summary.status, summary.exit_code = "failed", EXIT_ERROR
        summary.error = f"{type(exc).__name__}: {exc}"
        log.error("run %s: failed: %s\n%s", summary.run_id, summary.error, traceback.format_exc())
        summary.finished_at = now().isoformat(timespec="seconds")
    _write_summary(config, summary)
    return summary


def _run(
    store: Store,
    config: Config,
    summary: WeeklySummary,
    week: str | None,
    per_street: bool,
    refit: bool,
    progress: Progress,
    now: Callable[[], dt.datetime],
) -> None:
    with store.transaction() as con:
        con.execute("update runs set status = 'interrupted' where status = 'running'")
        con.execute(
            "insert into runs values (?, 'weekly', ?, null, 'running', null)",
            [summary.run_id, dt.datetime.fromisoformat(summary.started_at)],
        )
    pipe = Pipeline(store, config, progress=progress)
    started = time.perf_counter()
    if config.paths.grids:
        pipe.load_grids(config.paths.grids)
    batches = pipe.ingest_inbox()
    summary.timings["ingest"] = round(time.perf_counter() - started, 2)
    for b in batches:
        summary.files.append(
            {k: getattr(b, k) for k in ("path", "status", "rows_read", "rows_accepted", "rows_rejected", "message")}
        )
        summary.rows_read += b.rows_read
        summary.rows_accepted += b.rows_accepted
        summary.rows_rejected += b.rows_rejected
        for reason, n in b.reasons.items():
            summary.rejects_by_reason[reason] = summary.rejects_by_reason.get(reason, 0) + n
        log.info(
            "file %s: %s, read %d, accepted %d, rejected %d",
            Path(b.path).name,
            b.status,
            b.rows_read,
            b.rows_accepted,
            b.rows_rejected,
        )
    report = pipe.run(refit=refit)
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
    summary.week = week or default_week(store, now().date())
    if summary.week is None:
        summary.status, summary.exit_code = "no_data", EXIT_NO_DATA
        summary.error = "the database holds no records"
        return
    started = time.perf_counter()
    folder = Path(config.paths.reports) / summary.week
    scopes: list[tuple[str | None, str]] = [(None, "全区")]
    if per_street:
        streets = store.sql("select distinct street from records where street is not null order by 1")["street"]
        scopes += [(f"street={s}", s) for s in streets.to_list()]
    try:
        for scope, name in scopes:
            path = write_report(store, folder / f"{name}.html", week=summary.week, scope=scope, config=config)
            summary.reports.append(str(path))
            log.info("report %s: %s (%.1f MB)", name, path, path.stat().st_size / 1e6)
    except ReportError as exc:
        summary.status, summary.exit_code, summary.error = "no_data", EXIT_NO_DATA, str(exc)
        log.error("report: %s", exc)
        return
    summary.timings["report"] = round(time.perf_counter() - started, 2)
    alerts = store.sql(
        "select kind, count(*) from mart_alerts where iso_week = ? group by all order by 1", [summary.week]
    )
    summary.alerts_this_week = dict(alerts.rows())
    summary.hot_issues = store.count("mart_hot_issues")
    failed = [f for f in summary.files if f["status"] == "failed"]
    if failed:
        summary.status, summary.exit_code = "input_failed", EXIT_INPUT
        summary.error = f"{len(failed)} inbox file(s) could not be loaded; see the .error.txt beside each"
    else:
        summary.status = "done"


def _record(store: Store, summary: WeeklySummary, now: Callable[[], dt.datetime]) -> None:
    summary.finished_at = now().isoformat(timespec="seconds")
    with store.transaction() as con:
        con.execute(
            "update runs set finished_at = ?, status = ?, summary = ? where run_id = ?",
            [
                dt.datetime.fromisoformat(summary.finished_at),
                summary.status,
                json.dumps(summary.as_dict(), ensure_ascii=False),
                summary.run_id,
            ],
        )


def _write_summary(config: Config, summary: WeeklySummary) -> Path:
    folder = Path(config.paths.reports) / (summary.week or "no-week")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "run-summary.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(summary.as_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)
    log.info("summary %s: status %s, exit %d", path, summary.status, summary.exit_code)
    return path


__all__ = [
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
