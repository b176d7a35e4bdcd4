"""What the ingest stage returns: :class:`Prepared`, the codes of its rejects and warnings, and
the columns of both frames (see :mod:`~demandlab.ingest.validate` for what each code means and
the order in which reasons are checked)."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

REASONS = (
    "malformed_row",
    "bad_encoding",
    "nul_byte",
    "field_too_large",
    "cell_too_large",
    "missing_id",
    "bad_time",
    "time_out_of_range",
    "unknown_grid",
    "empty_text",
    "formula_no_value",
    "duplicate_id",
    "unknown_record",
)
#: Warning codes in ``Prepared.warnings`` (``load_warnings``): the row is kept.
WARNINGS = (
    "bad_time",  # an optional time that cannot be read → null
    "bad_number",  # a count that is not a number → null
    "unknown_value",  # a coded value no map knows → null
    "id_conflict",  # same id, other title and time: kept under a derived id
    "duplicate_header",  # the second of two equal headers, renamed <header>_2 and kept in extra
    "hidden_sheet",  # a hidden sheet, not loaded
    "merged_cells",  # a merged range, its value filled into each cell
    "formula_no_value",  # a formula cell without a cached value, read as empty
    "nested_value",  # a list / struct column (Parquet), read as JSON text
    "timezone_converted",  # a time-zone-aware column, converted to Beijing time
)
REJECT_COLUMNS = {
    "row_number": pl.Int64,
    "sheet": pl.String,
    "column_name": pl.String,
    "reason": pl.String,
    "message": pl.String,
    "record_id": pl.String,
    "raw": pl.String,
    "value": pl.String,
}
WARNING_COLUMNS = {
    "row_number": pl.Int64,
    "sheet": pl.String,
    "column_name": pl.String,
    "reason": pl.String,
    "message": pl.String,
    "value": pl.String,
}


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_batch` returns.

    ``rejects`` has :data:`REJECT_COLUMNS` and ``warnings`` :data:`WARNING_COLUMNS`; their
    ``raw`` and ``value`` hold data in clear and belong in the restricted database only.
    ``accepted`` holds ``schema.RECORD`` + ``schema.RAW_ONLY`` (``extra``: the unmapped columns
    as a JSON object) + ``row_number``.
    """

    accepted: pl.DataFrame
    rejects: pl.DataFrame
    warnings: pl.DataFrame
    provided: frozenset[str] = frozenset()  # canonical columns the file carried (a later load keeps the rest)
    rows_blank: int = 0  # blank rows found as the chunk was read (a spilled CSV's; others count theirs up front)

    @property
    def rows_read(self) -> int:
        return self.accepted.height + self.rejects.height


def _empty(columns: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=columns)
