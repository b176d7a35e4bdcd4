"""Worker process of :class:`demandlab.pipeline.batches.RowsPool`.

Run as ``python -m demandlab.pipeline._rows_worker``. It reads framed messages on stdin and
answers on stdout (see :mod:`.batches` for the framing): first the pickled ``(stage name,
context)``, then one Arrow IPC frame per batch, each answered with the stage's output as Arrow
IPC. A plain subprocess, unlike a multiprocessing pool, never re-imports the caller's
``__main__`` — a user's script without an ``if __name__ == "__main__"`` guard cannot start itself
again. Heavy objects (the segmenter, the fitted model) are built once, from the context, by the
stage functions' own caches.

An error is answered with the exception's type and the stack (file, line, code) — never its
message, which may quote a record.
"""

from __future__ import annotations

import pickle
import sys
import traceback
from pathlib import Path


def where(exc: BaseException) -> str:
    """``TypeError at clean.py:110 clean_records (inner: frame.py:2 collect)``: the exception's type, the deepest
    place in demandlab's code and the innermost frame — never the message, which may quote a record."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/demandlab/" in f.filename.replace("\\", "/")] or frames
    place = ours[-1] if ours else None
    text = type(exc).__name__
    if place is not None:
        text += f" at {Path(place.filename).name}:{place.lineno} {place.name}"
    if frames and frames[-1] is not place:
        text += f" (inner: {Path(frames[-1].filename).name}:{frames[-1].lineno} {frames[-1].name})"
    return text


def main() -> None:
    from demandlab.pipeline.batches import ERROR, OK, from_ipc, read_message, to_ipc, write_message
    from demandlab.stages import STAGES

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    name, ctx = pickle.loads(read_message(stdin))
    stage = STAGES[name]
    while (payload := read_message(stdin)) is not None:
        try:
            out = stage.fn(from_ipc(payload), ctx)
        except Exception as exc:  # reported to the parent, which raises
            write_message(stdout, ERROR + where(exc).encode())
        else:
            write_message(stdout, OK + to_ipc(out))


if __name__ == "__main__":
    main()
