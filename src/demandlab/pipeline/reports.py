"""What the pipeline tells its callers: one report per file loaded and per run, and progress.

Progress is a factory ``progress(description, total)`` returning a context manager whose value
advances by a count. The CLI passes rich progress bars on a terminal; :func:`log_progress` writes
a log line every few seconds where no one watches a terminal (cron, CI, a notebook); :func:`silent`
says nothing.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

Advance = Callable[[int], None]
Progress = Callable[[str, int], contextlib.AbstractContextManager[Advance]]
log = logging.getLogger("demandlab.pipeline")


@contextlib.contextmanager
def silent(description: str, total: int) -> Iterator[Advance]:
    """Progress that says nothing."""
    yield lambda n: None


def log_progress(every: float = 5.0, logger: logging.Logger = log) -> Progress:
    """Progress as log lines: when a step starts, every ``every`` seconds while it runs (whether or not it
    advances: a theme fit is one long step), and when it ends. For cron, CI and notebooks, where no one
    watches a terminal and a scheduler's log is all there is.

    >>> with log_progress()("分词 segment", 10) as advance:
    ...     advance(10)
    """

    @contextlib.contextmanager
    def step(description: str, total: int) -> Iterator[Advance]:
        started = time.monotonic()
        done = 0
        stop = threading.Event()
        logger.info("%s: %d to do", description, total)

        def advance(n: int) -> None:
            nonlocal done
            done += n

        def heartbeat() -> None:
            while not stop.wait(every):
                logger.info("%s: %d of %d (%.0f s)", description, done, total, time.monotonic() - started)

        beating = threading.Thread(target=heartbeat, name=f"progress {description}", daemon=True)
        beating.start()
        try:
            yield advance
        finally:
            stop.set()
            beating.join()
        logger.info("%s: done, %d in %.1f s", description, total, time.monotonic() - started)

    return step


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
    peak_memory_mib: int = 0  # peak resident memory of the run's process (or its largest worker)

    def as_dict(self) -> dict:
        return asdict(self)
