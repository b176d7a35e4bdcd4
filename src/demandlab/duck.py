"""Settings of the DuckDB connections the package opens: no progress bar, a memory limit."""

from __future__ import annotations

import contextlib
import re

import duckdb


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
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]?i?B", limit.strip()):
        raise ValueError(f"not a memory size: {limit!r}")
    con.execute(f"set memory_limit = '{limit.strip()}'")


__all__ = ["limit_memory", "quiet"]
