"""The ``demandlab`` command line (Typer). Every command has ``--help`` with an example.

Exit codes, for schedulers (see :mod:`demandlab.errors`): 0 done; 1 unexpected error, full disk
or broken database; 2 bad usage or configuration, or a database that does not exist; 3 an input
file could not be loaded (the others were); 4 nothing to report for the asked week or scope;
5 the database stayed busy for ``--wait`` seconds.

Commands that write (``ingest``, ``run``, ``weekly``, ``grids load``, ``classify route``,
``purge``, ``demo``) take the database's write lock; commands that read open it read-only and
refuse a database that does not exist. Both wait for a busy database (``--wait``). Messages
name files, rows, columns and reasons, never a value from a record.

The commands live by what they touch: :mod:`.data` (synth, grids, ingest, run, purge, demo),
:mod:`.reports` (report, weekly, init), :mod:`.rejects`, :mod:`.lists`, :mod:`.themes` (themes, classify),
:mod:`.signals`.
"""

from __future__ import annotations

import sys

from ..config import demo_config
from ..errors import EXIT_BUSY, EXIT_ERROR, EXIT_INPUT, EXIT_NO_DATA, EXIT_OK, EXIT_USAGE
from . import data, lists, rejects, reports, signals, themes  # noqa: F401  (each registers its commands)
from .app import app
from .common import err

__all__ = [
    "EXIT_BUSY",
    "EXIT_ERROR",
    "EXIT_INPUT",
    "EXIT_NO_DATA",
    "EXIT_OK",
    "EXIT_USAGE",
    "app",
    "demo_config",
    "main",
]


def main() -> None:
    """Console entry point."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("已中断")
        sys.exit(130)
