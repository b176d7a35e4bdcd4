"""Read an export into a frame of strings, one column per source header.

Every reader returns a :class:`Table`: all values as strings (nothing is
guessed yet; parsing belongs to validation), a ``__row`` column with the row
number a person would look up in the file (the spreadsheet row for CSV and
Excel, the line for JSON lines), rows the file itself made unreadable, and
what was detected (format, encoding, sheet, header row).

CSV goes through DuckDB's reader. DuckDB only decodes UTF-8/UTF-16/Latin-1
offline, so GB18030/GBK files are decoded in a streaming way into a temporary
UTF-8 file first (never as one Python string). Excel goes through calamine
(fastexcel). Readers never silently drop a row: a malformed CSV line or JSON
line comes back in ``Table.broken`` with its row number and DuckDB's or the
JSON parser's message.
"""

from __future__ import annotations

import codecs
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fastexcel
import polars as pl

ROW = "__row"
_SNIFF_BYTES = 1 << 20
_CHUNK = 1 << 22
FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}


class IngestError(Exception):
    """A file that cannot be loaded at all. ``reason`` is a short code, the message names the file."""

    def __init__(self, path: str | Path, reason: str, message: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True)
class BrokenRow:
    """A row the file itself made unreadable (wrong number of fields, invalid JSON)."""

    row: int
    reason: str
    message: str
    raw: str


@dataclass
class Table:
    frame: pl.DataFrame
    format: str
    encoding: str | None = None
    sheet: str | None = None
    header_row: int = 1
    blank_rows: int = 0
    broken: list[BrokenRow] = field(default_factory=list)

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(
            path, "unknown_format", f"unknown file type {path.suffix!r}; expected one of {', '.join(sorted(FORMATS))}"
        )
    return fmt


def read_table(path: str | Path, *, sheet: str | None = None, known_headers: Iterable[str] = ()) -> Table:
    """Read ``path`` into a :class:`Table` of strings (for a workbook: the first sheet that fits).

    Parameters
    ----------
    sheet : for Excel, the sheet to read; by default the first sheet whose header matches.
    known_headers : header names the mappings know; used to find the header row of
        a spreadsheet that has a title above it, and the sheets that hold records.

    Examples
    --------
    >>> table = read_table("exports/hotline_12345.csv")  # doctest: +SKIP
    >>> table.encoding, table.headers[:2]  # doctest: +SKIP
    ('gb18030', ['工单编号', '来电时间'])
    """
    return read_tables(path, sheet=sheet, known_headers=known_headers, first_only=True)[0]


def read_tables(
    path: str | Path, *, sheet: str | None = None, known_headers: Iterable[str] = (), first_only: bool = False
) -> list[Table]:
    """Every table in ``path``: one for CSV, JSON lines and Parquet; for a workbook, each sheet whose
    header holds at least two known headers (a 说明 or 汇总 sheet is left alone), or only ``sheet``."""
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "not_found", "no such file")
    fmt = detect_format(path)
    if path.stat().st_size == 0:
        raise IngestError(path, "empty_file", "the file is empty")
    if fmt in ("xlsx", "xls"):
        tables = _read_excel(path, sheet, set(known_headers), first_only)
    elif fmt == "csv":
        tables = [_read_csv(path)]
    elif fmt == "jsonl":
        tables = [_read_jsonl(path)]
    else:
        tables = [_read_parquet(path)]
    tables = [_drop_blank_rows(t) for t in tables]
    for table in tables:
        if not table.headers:
            raise IngestError(path, "no_header", "no columns found: the file holds no table")
    return tables


# --- CSV --------------------------------------------------------------------------------
REPLACEMENT = "\ufffd"
_MAX_BAD_BYTES = 0.001  # share of undecodable bytes beyond which a file is in some other encoding


def sniff_encoding(path: Path) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16`` or ``gb18030``, from the BOM and the first megabyte.

    A file valid in neither is read in the encoding it breaks least, when it breaks rarely: a
    few bad bytes (a truncated copy, a stray byte) cost only their rows (``bad_encoding``
    rejects); a file in some other encoding altogether is refused.
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise IngestError(path, "binary_file", "contains NUL bytes: not a text file (binary or UTF-16 without BOM)")
    final = len(head) < _SNIFF_BYTES
    bad = {}
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=final)
            return encoding
        except UnicodeDecodeError:
            decoded = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=final)
            bad[encoding] = decoded.count(REPLACEMENT) - head.count(REPLACEMENT.encode("utf-8"))
    encoding = min(bad, key=bad.get)
    if bad[encoding] > max(2, _MAX_BAD_BYTES * len(head)):
        raise IngestError(
            path,
            "unknown_encoding",
            f"neither UTF-8 nor GB18030: {bad['utf-8']} / {bad['gb18030']} undecodable bytes in the first "
            f"{len(head):,} bytes; convert it to UTF-8",
        )
    return encoding


def transcode_to_utf8(path: Path, encoding: str, target: Path, errors: str = "strict") -> int:
    """Decode ``path`` chunk by chunk into a UTF-8 file (never the whole file in memory).

    Line endings become ``\\n`` (exports that were pasted together mix ``\\r\\n``, ``\\n`` and ``\\r``).
    With ``errors="replace"`` undecodable bytes become U+FFFD; returns how many.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors=errors)
    offset, replaced, pending_cr = 0, 0, False
    with path.open("rb") as src, target.open("wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                reason = "truncated_file" if not chunk else "bad_encoding"
                raise IngestError(path, reason, f"invalid {encoding} byte at offset {offset + exc.start}") from exc
            if pending_cr:
                text = "\r" + text
            pending_cr = text.endswith("\r") and bool(chunk)
            if pending_cr:
                text = text[:-1]
            replaced += text.count(REPLACEMENT)
            dst.write(text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8"))
            offset += len(chunk)
            if not chunk:
                break
    return replaced


def _read_csv(path: Path) -> Table:
    """DuckDB reads UTF-8 directly; anything else, or a file DuckDB cannot make sense of as it is,
    is transcoded to a temporary UTF-8 file with normalised line endings and read again."""
    encoding = sniff_encoding(path)
    if encoding in ("utf-8", "utf-8-sig", "utf-16"):
        try:
            return _duckdb_csv(path, path, encoding)
        except IngestError as exc:
            if exc.reason not in ("bad_encoding", "unreadable_csv"):
                raise
            first_error = exc
    else:
        first_error = None
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="demandlab-")
    os.close(fd)
    try:
        decode_as = "utf-16" if encoding == "utf-16" else encoding
        try:
            transcode_to_utf8(path, decode_as, Path(tmp))
        except IngestError:
            if encoding == "utf-8":  # valid UTF-8 in the first megabyte only: try GB18030 strictly first
                try:
                    transcode_to_utf8(path, "gb18030", Path(tmp))
                    decode_as = "gb18030"
                except IngestError:
                    transcode_to_utf8(path, decode_as, Path(tmp), errors="replace")
            else:
                transcode_to_utf8(path, decode_as, Path(tmp), errors="replace")
        try:
            return _duckdb_csv(path, Path(tmp), decode_as)
        except IngestError:
            if first_error is not None:
                raise first_error from None
            raise
    finally:
        Path(tmp).unlink(missing_ok=True)


def _duckdb_csv(original: Path, path: Path, encoding: str) -> Table:
    con = duckdb.connect()
    try:
        duck_encoding = "utf-16" if encoding == "utf-16" else "utf-8"
        relation = con.sql(
            "select * from read_csv(?, all_varchar = true, header = true, encoding = ?, "
            "ignore_errors = true, store_rejects = true, null_padding = false, "
            "strict_mode = true, sample_size = 20480, max_line_size = 33554432)",
            params=[str(path), duck_encoding],
        )
        frame = relation.pl()
        rejects = con.sql(
            "select line, error_type, error_message, csv_line from reject_errors order by line"
        ).fetchall()
    except duckdb.InvalidInputException as exc:
        message = str(exc).splitlines()[0]
        reason = "bad_encoding" if "unicode" in message.lower() or "utf" in message.lower() else "unreadable_csv"
        raise IngestError(original, reason, f"DuckDB cannot read this CSV: {message}") from exc
    finally:
        con.close()
    broken_lines = [int(r[0]) for r in rejects]
    broken = [
        BrokenRow(
            row=int(line),
            reason="bad_encoding" if etype == "INVALID ENCODING" else "malformed_row",
            message=f"{etype}: {msg}",
            raw=raw or "",
        )
        for line, etype, msg, raw in rejects
    ]
    rows = _row_numbers(frame.height, broken_lines, first=2)
    frame = frame.with_columns(pl.Series(ROW, rows, dtype=pl.Int64))
    return Table(frame=frame, format="csv", encoding=encoding, header_row=1, broken=broken)


def _row_numbers(n_good: int, skipped: list[int], first: int) -> list[int]:
    """Row numbers of the good rows when ``skipped`` rows were taken out of a run starting at ``first``."""
    skip = set(skipped)
    rows, candidate = [], first
    while len(rows) < n_good:
        if candidate not in skip:
            rows.append(candidate)
        candidate += 1
    return rows


# --- Excel ------------------------------------------------------------------------------
def _read_excel(path: Path, sheet: str | None, known: set[str], first_only: bool) -> list[Table]:
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:  # calamine raises its own error types for zips and XML
        raise IngestError(path, "unreadable_excel", f"not a readable workbook ({type(exc).__name__}: {exc})") from exc
    names = reader.sheet_names
    if sheet is not None and sheet not in names:
        raise IngestError(path, "no_such_sheet", f"no sheet named {sheet!r}; sheets: {names}")
    fitting: list[Table] = []
    fallback: Table | None = None
    for name in [sheet] if sheet else names:
        try:
            # eager (Arrow) loading is what polars.read_excel uses: faster than the lazy sheet here
            raw = pl.DataFrame(reader.load_sheet_eager(name, header_row=None, skip_rows=0, dtypes="string"))
        except Exception as exc:
            raise IngestError(
                path, "unreadable_excel", f"sheet {name!r} cannot be read ({type(exc).__name__}: {exc})"
            ) from exc
        if raw.height == 0 or raw.width == 0:
            continue
        header_index, score = _find_header(raw, known)
        table = _sheet_table(path, name, raw, header_index)
        if sheet or (known and score >= 2):
            fitting.append(table)
            if first_only:
                break
        elif fallback is None:
            fallback = table
    if fitting:
        return fitting
    if fallback is not None:  # no sheet has known headers: let the mapping step say what is missing
        return [fallback]
    raise IngestError(path, "empty_file", "no sheet holds any data")


def _sheet_table(path: Path, name: str, raw: pl.DataFrame, header_index: int) -> Table:
    header = [(v or "").strip() for v in raw.row(header_index)]
    keep = [i for i, h in enumerate(header) if h]
    if not keep:
        raise IngestError(path, "no_header", f"sheet {name!r}: no header row found")
    data = raw.slice(header_index + 1).select([raw.columns[i] for i in keep])
    data.columns = _dedupe([header[i] for i in keep])
    data = data.with_columns(pl.int_range(header_index + 2, header_index + 2 + data.height, dtype=pl.Int64).alias(ROW))
    return Table(
        frame=data, format="xlsx" if path.suffix.lower() != ".xls" else "xls", sheet=name, header_row=header_index + 1
    )


def _find_header(raw: pl.DataFrame, known: set[str]) -> tuple[int, int]:
    """Index of the header row among the first 20 rows, and how many known headers it holds."""
    best_index, best_score = 0, -1
    for i in range(min(20, raw.height)):
        cells = [(v or "").strip() for v in raw.row(i)]
        filled = sum(bool(c) for c in cells)
        matches = sum(c in known for c in cells)
        score = matches * 100 + filled if known else filled
        if filled >= 2 and score > best_score:
            best_index, best_score = i, score
    return best_index, max(best_score // 100 if known else best_score, 0)


def _dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        out.append(n if seen[n] == 1 else f"{n}_{seen[n]}")
    return out


# --- JSON lines and Parquet -----------------------------------------------------------------
def _read_jsonl(path: Path) -> Table:
    rows: list[dict[str, str | None]] = []
    numbers: list[int] = []
    broken: list[BrokenRow] = []
    blank = 0
    with path.open("rb") as handle:
        for line_no, line in enumerate(handle, start=1):
            text = line.strip()
            if not text:
                blank += 1
                continue
            try:
                value = json.loads(text)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                broken.append(
                    BrokenRow(line_no, "malformed_row", f"not valid JSON: {exc}", text.decode("utf-8", "replace"))
                )
                continue
            if not isinstance(value, dict):
                broken.append(
                    BrokenRow(
                        line_no, "malformed_row", "a JSON line must be an object", text.decode("utf-8", "replace")
                    )
                )
                continue
            rows.append({str(k): _json_cell(v) for k, v in value.items()})
            numbers.append(line_no)
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    frame = pl.DataFrame(rows, schema={c: pl.String for c in columns}) if rows else pl.DataFrame()
    frame = frame.with_columns(pl.Series(ROW, numbers, dtype=pl.Int64))
    return Table(frame=frame, format="jsonl", encoding="utf-8", header_row=0, blank_rows=blank, broken=broken)


def _json_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _read_parquet(path: Path) -> Table:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise IngestError(path, "unreadable_parquet", f"not a readable Parquet file: {exc}") from exc
    frame = frame.with_columns(pl.all().cast(pl.String)).with_columns(
        pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW)
    )
    return Table(frame=frame, format="parquet", header_row=0)


def _drop_blank_rows(table: Table) -> Table:
    """Rows whose every cell is empty are not records; they are counted, not kept."""
    values = [c for c in table.frame.columns if c != ROW]
    if not values or table.frame.height == 0:
        return table
    blank = pl.all_horizontal([pl.col(c).is_null() | (pl.col(c) == "") for c in values])
    n_blank = table.frame.select(blank.sum()).item()
    if n_blank:
        table.frame = table.frame.filter(~blank)
        table.blank_rows += n_blank
    return table
