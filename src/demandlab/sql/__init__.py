"""The project's SQL, one file a query: ``staging/`` and ``marts/`` (the models, see
:mod:`demandlab.marts.build`), ``io/`` (what the pipeline reads and how frames land), ``read/``
(what analysts and the report read). ``models.toml`` documents and tests every mart column.

Python never holds SQL longer than a line: it asks for a file here. A file may name parts that
only the caller knows (a list of quoted column names) as ``{part}``; values always travel as
parameters.
"""

from __future__ import annotations

import functools
from importlib import resources


@functools.cache
def _read(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.sql").read_text("utf-8")


def text(name: str, **parts: str) -> str:
    """The SQL of ``<name>.sql`` (e.g. ``"io/pending_raw"``), with ``{part}`` filled from ``parts``.

    >>> text("io/pending_raw").lstrip().startswith("--")
    True
    """
    sql = _read(name)
    return sql.format(**parts) if parts else sql
