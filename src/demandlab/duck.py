"""Settings of the DuckDB connections the package opens (no progress bar, a memory limit, its cache let go), and
names and texts written into DuckDB SQL (:func:`quote`, :func:`literal`)."""

from __future__ import annotations

import contextlib
import re

import duckdb

#: A memory size DuckDB accepts, as ``engine.memory_limit`` may give it ('4GB', '800MiB'); checked before it
#: is written into the ``set`` statement.
MEMORY_SIZE = r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)"


def quote(identifier: str) -> str:
    """Quote an SQL identifier (a table or column name that came from outside)."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A text as an SQL string literal (a path in ``attach``, ``copy … to``, ``read_parquet``: no parameters there)."""
    return "'" + text.replace("'", "''") + "'"


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


#: The memory limit set for a moment to make DuckDB drop the blocks it keeps (:func:`release_cache`).
EVICT_TO = "1MB"


def release_cache(con: duckdb.DuckDBPyConnection, limit: str | None) -> None:
    """Make DuckDB drop the blocks of the database it keeps in memory, then cap it at ``limit`` again (None:
    DuckDB's default). DuckDB keeps what it has read, up to its memory limit, as a cache; a stage that reads
    its records and then works on them in Python holds both (the signals step at ten million records: 2 GB
    of cache under the frames it clustered). Lowering the limit evicts the blocks at once (they are on disk).

    Only between transactions: a limit DuckDB cannot meet (what a query holds, or a transaction's rows that
    cannot go to disk) fails the setting, and inside a transaction that failure aborts the transaction. Outside
    one it fails alone, and what DuckDB could not let go it keeps."""
    try:
        con.execute(f"set memory_limit = '{EVICT_TO}'")
    except duckdb.OutOfMemoryException:
        pass  # held by a query still open: kept
    finally:
        if limit:
            limit_memory(con, limit)
        else:
            con.execute("reset memory_limit")


__all__ = ["EVICT_TO", "MEMORY_SIZE", "limit_memory", "literal", "quiet", "quote", "release_cache"]
