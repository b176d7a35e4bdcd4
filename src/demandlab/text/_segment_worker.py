"""Worker process for :func:`demandlab.text.segment.tokens_frame`.

Run as ``python -m demandlab.text._segment_worker``: reads a pickled
``(Segmenter, blocks)`` from stdin and writes the pickled list of space-joined
tokens of each block to stdout. A plain subprocess, unlike a multiprocessing pool, never
re-imports the caller's ``__main__`` — so a user's script without an
``if __name__ == "__main__"`` guard cannot start itself again.
"""

from __future__ import annotations

import pickle
import sys


def main() -> None:
    from demandlab.text.segment import _cut_blocks

    segmenter, blocks = pickle.load(sys.stdin.buffer)
    joined = _cut_blocks(segmenter, blocks)
    pickle.dump(joined, sys.stdout.buffer, protocol=pickle.HIGHEST_PROTOCOL)
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
