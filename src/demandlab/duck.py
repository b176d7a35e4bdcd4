"""Settings of the DuckDB connections the package opens: no progress bar, a memory limit."""

from __future__ import annotations

import contextlib
import re

import duckdb

#: A memory size DuckDB accepts, as ``engine.memory_limit`` may give it ('4GB', '800MiB'); checked before it
#: is written into the ``set`` statement.
MEMORY_SIZE = r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)"


def quiet(con: duckdb.DuckDBPyConnection) -> None:
    """Turn DuckDB's progress bar off. Outside Jupyter DuckDB draws it on *standard output* for a query over two
    seconds, into a command's ``--format json`` or ``ingest --json``; the stages report their own progress. In a
    Jupyter kernel without ipywidgets DuckDB refuses to change the setting at all (it would render the bar as a
    widget): left as it is there.
    """
    with contextlib.suppress(duckdb.InvalidInputException):
        con.execute("set enable_progress_bar = false")


def limit_memory(con: duckdb.DuckDBPyConnection, limit: str) -> None:
    """Cap DuckDB's memory (``'4GB'``): beyond it, sorts, joins and aggregates spill to ``<db>.tmp``."""
    if not re.fullmatch(MEMORY_SIZE, limit.strip()):
        raise ValueError(f"not a memory size: {limit!r}")
    con.execute(f"set memory_limit = '{limit.strip()}'")


__all__ = ["MEMORY_SIZE", "limit_memory", "quiet"]
