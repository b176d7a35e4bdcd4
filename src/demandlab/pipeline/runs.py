"""The ``runs`` table: one row per run of ``demandlab run`` or the weekly job, with its summary.

A run starts as ``running``; a run killed before it finished stays so until the next run marks it
``interrupted``. The summary is JSON without any value from a record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterator

from ..errors import describe
from ..store import Store


def start(store: Store, run_id: str, command: str, started_at: dt.datetime) -> None:
    """Mark runs a killed job left ``running`` as ``interrupted`` and record this one as ``running``."""
    with store.transaction() as con:
        con.execute("update runs set status = 'interrupted' where status = 'running'")
        con.execute("insert into runs values (?, ?, ?, null, 'running', null)", [run_id, command, started_at])


def finish(store: Store, run_id: str, finished_at: dt.datetime, status: str, summary: dict) -> None:
    """Record how a run ended and what it did."""
    text = json.dumps(summary, ensure_ascii=False, default=str)
    with store.transaction() as con:
        con.execute(
            "update runs set finished_at = ?, status = ?, summary = ? where run_id = ?",
            [finished_at, status, text, run_id],
        )


@contextlib.contextmanager
def recorded(store: Store, command: str, now: Callable[[], dt.datetime]) -> Iterator[Callable]:
    """Record the run of ``command`` around the block: ``running``, then ``done`` with the report the block
    passes to the function it is given (which returns it), or ``failed`` with the error's safe description."""
    run_id = uuid.uuid4().hex[:12]
    start(store, run_id, command, now().replace(microsecond=0))

    def done(report):
        finish(store, run_id, now(), "done", report.as_dict())
        return report

    try:
        yield done
    except Exception as exc:
        finish(store, run_id, now(), "failed", {"error": describe(exc)})
        raise
