"""Size limits on what a file may hold, checked before anything large is read.

A value, a line or a whole file beyond its limit is refused with a clear
reason instead of filling memory or the database: a 210 KB workbook whose
shared strings expand to 200 MB, or a CSV with a 40 MB field, is an attack or
a broken export, never a work order. Values kept for people to look at
(``rejects.raw``, ``rejects.value``, ``load_warnings.value``) are capped too.
"""

from __future__ import annotations

MAX_FIELD_BYTES = 1 << 20
"""Largest CSV / JSON line, and largest value of a CSV, JSON or Parquet file, in UTF-8 bytes (1 MiB).

A longer line is rejected on its own line (``field_too_large``) without being
parsed; the rest of the file loads. Work orders run to a few thousand characters.
"""

MAX_CELL_CHARS = 32_767
"""Largest workbook cell, in characters: Excel's own limit, so only a crafted file exceeds it.

A row holding a longer cell is rejected (``cell_too_large``).
"""

MAX_WORKBOOK_BYTES = 1 << 30
"""Largest total decompressed size of an .xlsx / .xlsm (1 GiB), read from the zip directory
before any part is opened; a larger workbook is refused (``workbook_too_large``)."""

MAX_COMPRESSION_RATIO = 100
"""Largest decompressed / compressed ratio of one workbook part larger than
:data:`RATIO_CHECKED_BYTES`. Real exports compress 3–15 times; a zip bomb a thousand times."""

RATIO_CHECKED_BYTES = 16 << 20
"""Parts smaller than this (decompressed) are not held to :data:`MAX_COMPRESSION_RATIO`."""

MAX_JSON_DOCUMENT_BYTES = 256 << 20
"""Largest JSON file read as one document (a JSON array); JSON lines have no such limit."""

HEADER_SEARCH_ROWS = 50
"""The header row is looked for among the first this many rows of a CSV file or a sheet
(titles, notes and blank rows often sit above it)."""

MAX_STORED_CHARS = 500
"""Longest value kept with a reject or a warning (``raw`` keeps each cell up to this); longer
values are cut and end with ``…``."""
