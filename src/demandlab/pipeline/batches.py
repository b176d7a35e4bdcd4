"""Rows stages in batches: memory bounded by the batch, not the table, and every core at work.

A rows stage (:mod:`demandlab.stages`) gives the same rows whatever the split. So the runner reads
a stage's input as Arrow record batches of ``batch_rows`` rows through a cursor of its own (DuckDB
streams the query; the cursor sees the database as it was when the stage began, whatever the
stage has written since), runs the stage on each batch — in ``workers`` worker processes
(:mod:`._rows_worker`) from :data:`POOL_BATCHES` batches on — and writes each batch's output, in the
order read. The output equals one call over every row (``tests/pipeline/test_batches.py``).

The writes commit every :data:`COMMIT_BATCHES` batches: DuckDB holds a transaction's uncommitted
rows outside its ``memory_limit``, so a stage in one transaction grew with the stage (clean at ten
million records passed 8 GiB). Every rows stage is incremental — its input is what it has not yet
written — so a stage killed between commits keeps the batches it committed and the next run does
the rest; the output equals an uninterrupted run's. A stage's ``then`` (locate's: the place finder it
used, which a stopped relocation of every record must not note) commits with its last batches.

Batches travel to the workers as Arrow IPC and the context once, pickled: the contract of
:mod:`demandlab.stages` (plain data; the segmenter and the model are rebuilt once per process).
"""

from __future__ import annotations

import collections
import concurrent.futures
import contextlib
import io
import itertools
import pickle
import queue
import struct
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, BinaryIO

import polars as pl
import pyarrow as pa

from ..duck import release_cache
from ..store import Store
from .reports import Progress

OK, ERROR = b"\x00", b"\x01"
#: A rows stage commits its writes every this many batches (see the module's docstring).
COMMIT_BATCHES = 5
#: Batches from which a rows stage runs in worker processes (a worker costs a second to start).
POOL_BATCHES = 3
_LENGTH = struct.Struct(">Q")


def write_message(stream: BinaryIO, payload: bytes) -> None:
    """One framed message: its length (8 bytes, big-endian), then the bytes; an empty one means "stop"."""
    stream.write(_LENGTH.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def read_message(stream: BinaryIO) -> bytes | None:
    """The next framed message, or None at "stop" or the end of the stream."""
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None
    (size,) = _LENGTH.unpack(head)
    if size == 0:
        return None
    data = stream.read(size)
    if len(data) < size:
        raise EOFError(f"message cut short: {len(data)} of {size} bytes")
    return data


def to_ipc(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_ipc(buffer, compression="uncompressed")
    return buffer.getvalue()


def from_ipc(data: bytes) -> pl.DataFrame:
    return pl.read_ipc(io.BytesIO(data))


class WorkerError(RuntimeError):
    """A stage failed in a worker process (the message names the exception's type and where, never a value)."""


class RowsPool:
    """``workers`` processes running one rows stage with one context; :meth:`map` keeps the input's order.

    >>> from demandlab.text.clean import CleanContext
    >>> import datetime as dt
    >>> raw = pl.DataFrame({"text": ["电话13800138000"], "created_at": [dt.datetime(2026, 11, 16, 9)]})
    >>> with RowsPool("clean", CleanContext(b"salt"), workers=1) as pool:
    ...     [f["text"][0] for f in pool.map([raw])]
    ['电话〔手机号〕']
    """

    def __init__(self, stage: str, ctx: Any, workers: int) -> None:
        self.stage, self.ctx, self.workers = stage, ctx, workers
        self._procs: list[subprocess.Popen] = []
        self._free: queue.Queue[subprocess.Popen] = queue.Queue()

    def __enter__(self) -> RowsPool:
        context = pickle.dumps((self.stage, self.ctx), protocol=pickle.HIGHEST_PROTOCOL)
        for _ in range(self.workers):
            proc = subprocess.Popen(
                [sys.executable, "-m", "demandlab.pipeline._rows_worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
            )
            write_message(proc.stdin, context)
            self._procs.append(proc)
            self._free.put(proc)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            try:
                write_message(proc.stdin, b"")
                proc.stdin.close()
            except OSError:
                pass
        for proc in self._procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._procs.clear()

    def _run(self, frame: pl.DataFrame) -> pl.DataFrame:
        proc = self._free.get()
        try:
            write_message(proc.stdin, to_ipc(frame))
            answer = read_message(proc.stdout)
        except OSError as exc:
            answer = None
            failure = f"{type(exc).__name__}"
        else:
            failure = "no answer"
        finally:
            self._free.put(proc)
        if answer is None:
            raise WorkerError(f"stage {self.stage}: worker process ended ({failure}, exit {proc.poll()})")
        if answer[:1] == ERROR:
            raise WorkerError(f"stage {self.stage} failed in a worker: {answer[1:].decode(errors='replace')}")
        return from_ipc(answer[1:])

    def map(self, frames: Iterable[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        """The stage's output of each frame, in order; at most two frames per worker in flight."""
        with concurrent.futures.ThreadPoolExecutor(self.workers) as threads:
            pending: collections.deque[concurrent.futures.Future] = collections.deque()
            for frame in frames:
                pending.append(threads.submit(self._run, frame))
                while len(pending) > 2 * self.workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()


def commit_so_far(con: Any, let_go: Store | None = None) -> None:
    """Inside :meth:`Store.transaction`: commit what it wrote so far and go on in a new transaction
    (a long stage whose work is incremental; DuckDB holds uncommitted rows outside its memory limit).

    ``let_go``: between the two transactions its DuckDB drops the blocks it kept from what it read and wrote
    (:func:`.duck.release_cache`; at ten million records 2 GB stayed under each chunk or block's frames). Only
    for a stage with no query of its own still open: a streaming read beside it could meet the moment's limit."""
    con.execute("commit")
    if let_go is not None:
        release_cache(con, let_go.memory_limit)
    con.execute("begin transaction")


def read_batches(store: Store, query: str, params: list | None, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The rows of ``query`` as frames of at most ``batch_rows`` rows, streamed through a cursor of its own."""
    cursor = store.con.cursor()
    try:
        reader = cursor.sql(query, params=params).to_arrow_reader(batch_rows)
        for batch in reader:
            if batch.num_rows:
                yield pl.from_arrow(pa.Table.from_batches([batch]))
    finally:
        cursor.close()


def run_rows(
    store: Store,
    stage: str,
    ctx: Any,
    query: str,
    params: list | None,
    write: Callable[[Any, pl.DataFrame], None],
    *,
    label: str,
    progress: Progress,
    batch_rows: int,
    workers: int = 1,
    then: Callable[[Any], None] | None = None,
    mapper: Callable[[Iterator[pl.DataFrame]], Iterator[pl.DataFrame]] | None = None,
) -> int:
    """Run the rows stage ``stage`` over the rows of ``query`` batch by batch; ``write(con, out)`` lands each
    batch's output, committed every :data:`COMMIT_BATCHES` batches. Returns the number of rows written.

    ``workers`` > 1 runs the batches in that many worker processes when there are :data:`POOL_BATCHES` or
    more, else they run in this process; fewer are read once (no count first). ``then(con)`` runs last, in the
    transaction of the last batches (what must not commit before every row: locate's place finder).
    ``mapper`` (input batches → output batches, the same rows in any order and batching) runs the stage instead
    of this process and its workers: another engine's (:class:`demandlab.spark.rows.SparkRows`).
    """
    from ..stages import STAGES

    with contextlib.closing(read_batches(store, query, params, batch_rows)) as reader:
        head = list(itertools.islice(reader, POOL_BATCHES))  # a week's records are one batch: no count read
        if not head:
            if then is not None:
                with store.transaction() as con:
                    then(con)
            return 0
        # counted (the query run again) only when there are more batches than read ahead, to show progress
        many = len(head) == POOL_BATCHES
        total = store.scalar(f"select count(*) from ({query})", params) if many else sum(f.height for f in head)
        fn, heights = STAGES[stage].fn, collections.deque()

        def frames() -> Iterator[pl.DataFrame]:
            for frame in itertools.chain(head, reader):
                heights.append(frame.height)
                yield frame

        written = 0
        with progress(label, total) as advance, store.transaction() as con:
            # a worker costs a second to start: worth it from POOL_BATCHES batches
            pool = None
            if mapper is None and workers > 1 and many:
                pool = RowsPool(stage, ctx, min(workers, -(-total // batch_rows)))
            with pool or contextlib.nullcontext():
                if mapper is not None:  # its batches are not the input's: progress counts what it gives
                    outputs = mapper(itertools.chain(head, reader))
                else:
                    outputs = pool.map(frames()) if pool else (fn(frame, ctx) for frame in frames())
                # closed when a write fails too: the mapper's files are removed now, not when it is collected
                with contextlib.closing(outputs) if hasattr(outputs, "close") else contextlib.nullcontext():
                    for done, out in enumerate(outputs, start=1):
                        write(con, out)
                        written += out.height
                        advance(out.height if mapper is not None else heights.popleft())
                        if done % COMMIT_BATCHES == 0:
                            commit_so_far(con)
            if then is not None:
                then(con)
    return written
