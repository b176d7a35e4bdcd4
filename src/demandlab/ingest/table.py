"""What every reader returns: a :class:`Table` of strings, the rows the file made unreadable, and
the reader's warnings; and :class:`IngestError` for a file that cannot be loaded at all.

Messages are simplified Chinese and never hold a data value (a value may be a name or a phone
number): they name the column and what is wrong. The offending text, when there is one, travels
apart in ``raw`` / ``value``, which the runner keeps in the restricted database only.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from ..errors import EXIT_INPUT, DemandlabError
from .limits import MAX_STORED_CHARS

ROW = "__row"
REPLACEMENT = "\ufffd"


class IngestError(DemandlabError):
    """A file that cannot be loaded at all (exit code 3).

    ``reason`` is a short code; the message (Chinese) names the file and what to do, and never
    holds a data value.
    """

    def __init__(self, path: str | Path, reason: str, message: str) -> None:
        self.path = str(path)
        self.reason = reason
        self.message = message
        super().__init__(f"{path}: {message}")

    exit_code = EXIT_INPUT


@dataclass(frozen=True)
class BrokenRow:
    """A row the file itself made unreadable (wrong number of fields, invalid JSON, bad bytes, too large)."""

    row: int
    reason: str
    message: str
    raw: str
    column: str | None = None
    value: str | None = None


@dataclass(frozen=True)
class TableWarning:
    """Something the reader changed or left out, kept in ``load_warnings``.

    ``row`` is None for what concerns a whole column or sheet; ``sheet`` is set only when the
    warning is about another sheet than the table's (a hidden sheet that was skipped).
    """

    row: int | None
    column: str | None
    reason: str
    message: str
    value: str | None = None
    sheet: str | None = None


@dataclass
class Table:
    frame: pl.DataFrame
    format: str
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    blank_rows: int = 0
    broken: list[BrokenRow] = field(default_factory=list)
    warnings: list[TableWarning] = field(default_factory=list)
    #: (row, header) of workbook cells holding a formula without a cached value
    formula_cells: frozenset[tuple[int, str]] = frozenset()
    #: the rows kept on disk rather than in ``frame`` (which then holds no row, only the columns)
    spill: Spill | None = None

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]

    @property
    def height(self) -> int:
        """Rows of the table, on disk or in ``frame`` (blank and oversized rows of a spill not yet left out)."""
        return self.spill.height if self.spill is not None else self.frame.height

    def parts(self, rows: int) -> Iterator[tuple[Table, int | None]]:
        """The table ``rows`` rows at a time, each part a table of its own with only the rows the part
        made unreadable (a value over the limit, found as a spill is read) and its blank rows, and the last
        row the part reaches (None for the last part): a row the file made unreadable belongs to the part
        that reaches past it."""
        if self.spill is not None:
            yield from self.spill.parts(self, rows)
            return
        starts = range(0, max(self.frame.height, 1), rows)
        for i, start in enumerate(starts):
            part = self.frame.slice(start, rows)
            last = i == len(starts) - 1
            top = None if last or part.height == 0 else part[ROW].max()
            yield replace(self, frame=part, broken=[], warnings=[], blank_rows=0), top

    def close(self) -> None:
        """Remove the spill's file, if there is one (also done when the table is garbage-collected)."""
        if self.spill is not None:
            self.spill.close()


#: What ingest names its temporary files: a CSV's rows (a folder) and a clean UTF-8 copy of a CSV (a file).
SPILL_PREFIX, COPY_PREFIX = "demandlab-spill-", "demandlab-"
#: Temporary files older than this are a load that was killed (a load removes its own when it ends or fails).
STALE_SECONDS = 24 * 3600


def scratch_folder(folder: Path | None) -> Path:
    """Where ingest keeps a file's rows while it checks them: ``folder`` (the pipeline's is beside the database,
    created readable by this user only), else TMPDIR."""
    if folder is None:
        return Path(tempfile.gettempdir())
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def sweep_stale(now: float | None = None, folder: Path | None = None) -> list[Path]:
    """Remove ingest's temporary files in ``folder`` (None: TMPDIR) left by a load that was killed more than a
    day ago (they hold an export's rows in clear); a load running beside this one is never a day old. Returns
    what was removed."""
    root = folder if folder is not None else Path(tempfile.gettempdir())
    cutoff = (time.time() if now is None else now) - STALE_SECONDS
    removed = []
    copies = [f"{COPY_PREFIX}{'?' * 8}{suffix}" for suffix in (".csv", ".clean.csv")]  # mkstemp's 8 characters
    for path in [*root.glob(f"{SPILL_PREFIX}*"), *(p for pattern in copies for p in root.glob(pattern))]:
        try:
            if path.lstat().st_mtime >= cutoff or path.is_symlink():
                continue
            shutil.rmtree(path) if path.is_dir() else path.unlink()
            removed.append(path)
        except OSError:  # gone meanwhile, or another user's: left alone
            continue
    return removed


class Spill:
    """A table's rows as strings in a temporary Parquet file, read back ``rows`` at a time: a CSV
    export of millions of rows is never held whole (the strings of a 1.2 GB file took 3 GB). The file is in
    ``folder`` (:func:`scratch_folder`; TMPDIR is often a tmpfs, which holds its files in memory).

    ``lines`` are the rows' line numbers in file order; the columns are renamed to ``names``.
    A value over the size limit and a blank row are found as each part is read
    (:func:`refuse_oversize`, :func:`drop_blank_rows`), as a reader does for a table in memory.
    """

    def __init__(self, names: list[str], lines: pl.Series, size_limit: int, folder: Path | None = None) -> None:
        root = scratch_folder(folder)
        sweep_stale(folder=root)
        self._dir = tempfile.TemporaryDirectory(prefix=SPILL_PREFIX, dir=root)  # a private folder (mode 0700)
        self.path = Path(self._dir.name) / "rows.parquet"
        self.names, self.lines, self.size_limit = names, lines, size_limit

    @property
    def height(self) -> int:
        return len(self.lines)

    def parts(self, table: Table, rows: int) -> Iterator[tuple[Table, int | None]]:
        """:meth:`Table.parts` of ``table``, whose rows this holds: at most ``rows`` rows a part, each row given
        its line in file order however many rows a batch of the file holds."""
        done = 0
        if self.height:
            with pq.ParquetFile(self.path) as rows_file:
                for batch in rows_file.iter_batches(batch_size=rows):
                    if batch.num_rows == 0:
                        continue
                    frame = pl.from_arrow(batch)
                    assert isinstance(frame, pl.DataFrame)
                    frame.columns = self.names
                    frame = frame.with_columns(self.lines.slice(done, frame.height).alias(ROW))
                    done += frame.height
                    yield self._checked(table, frame), None if done >= self.height else frame[ROW].max()
        if done < self.height:
            raise RuntimeError(f"{self.path}: {done:,} rows read back of {self.height:,} written")
        if not self.height:  # no row: one empty part, which the rows the file made unreadable go with
            empty = pl.DataFrame(schema={**dict.fromkeys(self.names, pl.String), ROW: pl.Int64})
            yield self._checked(table, empty), None

    def _checked(self, table: Table, frame: pl.DataFrame) -> Table:
        part = replace(table, frame=frame, spill=None, broken=[], warnings=[], blank_rows=0)
        return drop_blank_rows(refuse_oversize(part, size=self.size_limit))

    def close(self) -> None:
        self._dir.cleanup()


def cap(text: str | None, limit: int = MAX_STORED_CHARS) -> str | None:
    """``text`` cut to ``limit`` characters (ending in ``…`` when cut).

    Examples
    --------
    >>> cap("漏水" * 3, 4)
    '漏水漏…'
    """
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def cap_expr(expr: pl.Expr, limit: int = MAX_STORED_CHARS) -> pl.Expr:
    """:func:`cap` as a polars expression."""
    return pl.when(expr.str.len_chars() > limit).then(expr.str.slice(0, limit - 1) + "…").otherwise(expr)


def refuse_oversize(table: Table, *, size: int | None = None, chars: int | None = None) -> Table:
    """Rows holding a value beyond the limit become rejects (the value is kept cut short)."""
    headers = table.headers
    if not headers or table.frame.height == 0:
        return table
    # bytes are free to measure; characters only where the bytes already exceed the limit
    bound = size if size is not None else chars
    over = [pl.col(h).str.len_bytes() > bound for h in headers]
    suspects = table.frame.filter(pl.any_horizontal(over))
    if suspects.height == 0:
        return table
    if chars is not None:
        over = [pl.col(h).str.len_chars() > chars for h in headers]
        suspects = suspects.filter(pl.any_horizontal(over))
        if suspects.height == 0:
            return table
    broken = []
    for row in suspects.iter_rows(named=True):
        column = next(
            h
            for h in headers
            if row[h] is not None and (len(row[h]) > chars if chars is not None else len(row[h].encode()) > size)
        )
        if chars is not None:
            reason = "cell_too_large"
            message = f"{column}：单元格超过 {chars:,} 个字符（Excel 的上限），可能是损坏或异常的文件"
        else:
            assert size is not None
            reason, message = "field_too_large", f"{column}：字段超过 {size >> 20} MiB 的上限，可能是损坏或异常的文件"
        raw = row_json({h: row[h] for h in headers})
        broken.append(BrokenRow(row[ROW], reason, message, raw, column=column, value=cap(row[column])))
    table.frame = table.frame.filter(~pl.col(ROW).is_in(suspects[ROW].implode()))
    table.broken = sorted([*table.broken, *broken], key=lambda b: b.row)
    return table


def drop_blank_rows(table: Table) -> Table:
    """Rows whose every cell is empty are not records; they are counted, not kept."""
    values = table.headers
    if not values or table.frame.height == 0:
        return table
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in values])
    n_blank = table.frame.select(blank.sum()).item()
    if n_blank:
        table.frame = table.frame.filter(~blank)
        table.blank_rows += n_blank
    return table


def row_json(values: dict[str, str | None]) -> str:
    """A row as JSON with every value capped (for ``rejects.raw``)."""
    return json.dumps({k: cap(v) for k, v in values.items()}, ensure_ascii=False)
