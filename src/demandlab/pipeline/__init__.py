"""The pipeline: a thin runner over pure stages (:mod:`demandlab.stages`).

* :mod:`.runner` — :class:`Pipeline`: for each stage, read its input, build its context, call the
  pure function, write its output (one transaction, or committed every few batches for a rows stage),
  time and report it;
* :mod:`.inputs` / :mod:`.outputs` — what stages read and how frames land (SQL in ``sql/io``);
* :mod:`.contexts` — the plain-data contexts stages run with;
* :mod:`.loading` / :mod:`.inbox` — loading one export, and the inbox of files to load;
* :mod:`.analysis` — the analysts' tools (theme quality, export, the category classifier);
* :mod:`.reports` — :class:`BatchReport`, :class:`RunReport`, progress.
"""

from .inbox import ERROR_SUFFIX
from .loading import sha256_file
from .reports import BatchReport, Progress, RunReport, log_progress, silent
from .runner import Pipeline

#: Kept for callers of the earlier private name.
_silent = silent

__all__ = ["ERROR_SUFFIX", "BatchReport", "Pipeline", "Progress", "RunReport", "log_progress", "sha256_file", "silent"]
