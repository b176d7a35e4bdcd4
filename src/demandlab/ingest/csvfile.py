"""CSV exports: encoding, line endings, bad lines and the header row, then DuckDB's reader.

A clean UTF-8 file (no NUL byte, no bare ``\\r``, no line over
:data:`~demandlab.ingest.limits.MAX_FIELD_BYTES`) goes to DuckDB as it is, after one fast pass
over its bytes. Anything else — GB18030/GBK or UTF-16, lines in another encoding, NUL bytes,
mixed line endings, a line of 40 MB — is first copied to a temporary UTF-8 file *with the same
line numbers*: each bad line is blanked there (DuckDB skips blank lines) and comes back as one
reject on its own line, decoded in whichever encoding reads it (never ``????``). So every reject
and every row carries the physical line a text editor shows (the passes over bytes and lines are
in :mod:`~demandlab.ingest.lines`).

DuckDB reports errors per column; they are folded into one reject per line. Where DuckDB cannot
make sense of the file at all, Python's ``csv`` module reads it instead.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from ..duck import quiet
from ..errors import disk_problem
from .headers import find_header_row, normalize_header, unique_headers
from .limits import HEADER_SEARCH_ROWS, MAX_FIELD_BYTES
from .lines import _CHUNK, _good_lines, _line_blocks, _lines_after, _scan
from .table import COPY_PREFIX, ROW, BrokenRow, IngestError, Spill, Table, TableWarning, cap, scratch_folder

_SNIFF_BYTES = 1 << 20
_READ_BATCH = 100_000  # rows DuckDB hands over at a time
_MAX_BAD_SHARE = 0.001  # share of undecodable bytes beyond which a file is in some other encoding
_DELIMITERS = (",", "\t", ";", "|")
_SEP_LINE = re.compile(r"^\s*sep=(.)\s*$", re.IGNORECASE)
_LABEL = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}
_DUCK_ERRORS = {
    "MISSING COLUMNS": ("malformed_row", "列数比表头少"),
    "TOO MANY COLUMNS": ("malformed_row", "列数比表头多"),
    "UNQUOTED VALUE": ("malformed_row", "引号用法不规范：引号外还有字符"),
    "UNTERMINATED QUOTE": ("malformed_row", "引号没有闭合"),
    "LINE SIZE OVER LIMIT": ("field_too_large", "该行超过 CSV 行的大小上限，未读取"),
}


# --- encoding ---------------------------------------------------------------------------------
def sniff_encoding(path: Path) -> str:
    """``utf-8``, ``utf-8-sig``, ``utf-16`` or ``gb18030``, from the BOM and the first non-ASCII megabyte.

    A file whose first megabyte is plain ASCII is read on until some Chinese shows which encoding
    it is in. Mostly-valid UTF-8 with a few foreign lines stays UTF-8 (those lines are rejected);
    a file valid in neither is read in the encoding it breaks least when it breaks rarely, and is
    refused when it is in some other encoding altogether.

    Examples
    --------
    >>> sniff_encoding(Path("exports/hotline_12345.csv"))  # doctest: +SKIP
    'gb18030'
    """
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        nul_lines = sum(b"\x00" in line for line in head.splitlines()) if b"\x00" in head else 0
        if head.count(b"\x00") > max(16, len(head) // 100) or nul_lines > max(2, head.count(b"\n") // 100):
            raise IngestError(
                path,
                "binary_file",
                "不是文本文件（含有大量 NUL 字节，可能是二进制文件或没有 BOM 的 UTF-16）："
                "请导出为 UTF-8 的 CSV 后再导入",
            )
        sample = head
        while sample.isascii():
            more = handle.read(_SNIFF_BYTES)
            if not more:
                return "utf-8"
            sample = more
        final = len(sample) < _SNIFF_BYTES
    # a sample cut in the middle of a character: decode up to its last line
    if not final and b"\n" in sample:
        sample = sample[: sample.rfind(b"\n") + 1]
    sample = sample.replace(b"\x00", b"")
    # judged line by line: a UTF-8 export with a few lines pasted from a GB18030 one stays UTF-8
    # (GB18030 text is hardly ever valid UTF-8, while UTF-8 text often decodes as GB18030)
    if _decodes(sample, "utf-8"):
        return "utf-8"
    wide = [line for line in sample.split(b"\n") if not line.isascii()]
    if sum(_decodes(line, "utf-8") for line in wide) * 2 >= len(wide):
        return "utf-8"
    if _decodes(sample, "gb18030") or sum(_decodes(line, "gb18030") for line in wide) * 2 > len(wide):
        return "gb18030"
    bad = {}
    for encoding in ("utf-8", "gb18030"):
        decoded = sample.decode(encoding, errors="replace")
        bad[encoding] = decoded.count("\ufffd") - sample.count("\ufffd".encode())
    for encoding in ("utf-8", "gb18030"):
        if bad[encoding] <= max(2, _MAX_BAD_SHARE * len(sample)):
            return encoding  # a few stray bytes (a truncated copy): only their lines are rejected
    raise IngestError(
        path,
        "unknown_encoding",
        f"既不是 UTF-8 也不是 GB18030 编码（抽样的 {len(sample):,} 字节中分别有 {bad['utf-8']} / "
        f"{bad['gb18030']} 个无法解码的字节）：请另存为 UTF-8 编码的 CSV 后再导入",
    )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


# --- a clean copy with the same line numbers ------------------------------------------------------
def _decode_any(data: bytes, encoding: str, own_first: bool = False) -> tuple[str, str | None]:
    """``data`` decoded by the other of UTF-8 / GB18030 (by the file's own encoding first with
    ``own_first``); the encoding that read it (None: none did, undecodable bytes replaced)."""
    own = "utf-8" if encoding.startswith("utf-8") else encoding
    others = ("gb18030",) if own == "utf-8" else ("utf-8",)
    for other in (own, *others) if own_first else others:
        try:
            return data.decode(other), other
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8" if encoding.startswith("utf-8") else encoding, errors="replace"), None


def _bad_line(line_no: int, data: bytes, encoding: str) -> BrokenRow | None:
    """A reject for one line of the source, or None when the line is fine."""
    if b"\x00" in data:
        text, _ = _decode_any(data.replace(b"\x00", b""), encoding, own_first=True)
        return BrokenRow(line_no, "nul_byte", "该行含有 NUL（\\0）字节，可能是损坏的文件，未导入", cap(text))
    try:
        data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
        return None
    except UnicodeDecodeError:
        text, other = _decode_any(data, encoding)
        own = _LABEL.get(encoding, encoding)
        why = f"按 {_LABEL[other]} 可以读出，像是混入了另一种编码的行" if other else "可能是文件被截断或损坏"
        return BrokenRow(line_no, "bad_encoding", f"该行含有不是 {own} 编码的字节（{why}），未导入", cap(text))


def _clean_copy(path: Path, encoding: str, target: Path) -> tuple[list[BrokenRow], int]:
    """Copy ``path`` as UTF-8 with ``\\n`` line endings to ``target``, line for line; each line
    that is too long, holds a NUL byte or does not decode is left blank there and returned, with
    the number of lines written."""
    broken: list[BrokenRow] = []
    line_no = 1
    source_encoding = "utf-8" if encoding == "utf-8-sig" else encoding
    with path.open("rb") as src, target.open("wb") as dst:
        for block, too_long in _line_blocks(src):
            if too_long:  # its first bytes only: the last character may be cut
                text = block.decode(source_encoding, errors="ignore")
                broken.append(
                    BrokenRow(
                        line_no,
                        "field_too_large",
                        f"该行超过 {MAX_FIELD_BYTES // (1 << 20)} MiB 的上限，未读取（可能是损坏或异常的文件）",
                        cap(text),
                    )
                )
                dst.write(b"\n")
                line_no += 1
                continue
            n_lines = block.count(b"\n")
            if b"\x00" not in block:
                try:
                    text = block.decode(source_encoding)
                    dst.write(block if source_encoding == "utf-8" else text.encode("utf-8"))
                    line_no += n_lines
                    continue
                except UnicodeDecodeError:
                    pass
            for line in block.split(b"\n")[:-1]:
                bad = _bad_line(line_no, line, encoding)
                if bad is None:
                    text = line if source_encoding == "utf-8" else line.decode(source_encoding).encode("utf-8")
                    dst.write(text + b"\n")
                else:
                    broken.append(bad)
                    dst.write(b"\n")
                line_no += 1
    return broken, line_no - 1


def _transcode_utf16(path: Path, target: Path) -> None:
    """UTF-16 (with its BOM) to UTF-8; undecodable units become U+FFFD, which validation rejects."""
    decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    with path.open("rb") as src, target.open("wb") as dst:
        while True:
            chunk = src.read(_CHUNK)
            dst.write(decoder.decode(chunk, final=not chunk).encode("utf-8"))
            if not chunk:
                break


# --- the header row --------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Layout:
    delimiter: str
    header_line: int  # first physical line of the header record
    data_line: int  # first physical line after the header record
    names: list[str]
    renamed: list[tuple[int, str, str]]
    quote: str = '"'


def _records(text: str, delimiter: str, limit: int) -> list[tuple[int, int, list[str]]]:
    """(first line, last line, fields) of the first ``limit`` records of ``text``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    out, last = [], 0
    try:
        for fields in reader:
            out.append((last + 1, reader.line_num, fields))
            last = reader.line_num
            if len(out) >= limit:
                break
    except csv.Error:
        pass
    return out


def _layout(path: Path, known: set[str]) -> _Layout:
    """The delimiter and the header row (the ``sep=`` line Excel writes is honoured)."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if len(head) == _SNIFF_BYTES and b"\n" in head:
        head = head[: head.rfind(b"\n") + 1]
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first_line, _, rest = text.partition("\n")
    sep = _SEP_LINE.match(first_line)
    skipped = 1 if sep else 0
    if sep:
        text = rest
    candidates = (sep.group(1),) if sep else _DELIMITERS
    best = None
    for delimiter in candidates:
        records = _records(text, delimiter, HEADER_SEARCH_ROWS)
        if not records:
            continue
        index, matches = find_header_row([fields for _, _, fields in records], known)
        fields = records[index][2]
        score = (matches, sum(bool(normalize_header(f)) for f in fields))
        if best is None or score > best[0]:
            best = (score, delimiter, records[index])
    if best is None:
        raise IngestError(path, "no_header", "文件里没有表格：找不到表头")
    _, delimiter, (start, end, fields) = best
    names, renamed = unique_headers([normalize_header(f) for f in fields])
    return _Layout(delimiter, start + skipped, end + skipped + 1, names, renamed)


# --- reading -------------------------------------------------------------------------------------------
def read_csv(path: Path, known: set[str], spill: bool | Path = False) -> Table:
    """Read a CSV export into a :class:`Table` (see the module's docstring); with ``spill``, the rows
    DuckDB reads go to a temporary Parquet file (:class:`~demandlab.ingest.table.Spill`), not memory: in
    TMPDIR, or in the folder ``spill`` names, where a clean copy of the file goes too."""
    encoding = sniff_encoding(path)
    scan = _scan(path) if encoding.startswith("utf-8") else None
    if scan is not None and scan.clean:
        table = _read_clean(path, path, encoding, known, [], scan.newlines, spill=spill)
        if table is not None:
            return table
    folder = scratch_folder(spill if isinstance(spill, Path) else None)
    fd, name = tempfile.mkstemp(suffix=".csv", prefix=COPY_PREFIX, dir=folder)  # readable by this user only
    os.close(fd)
    tmp = Path(name)
    try:
        if encoding == "utf-16":
            _transcode_utf16(path, tmp)
            broken, newlines = _clean_copy(tmp, "utf-8", tmp.with_suffix(".clean.csv"))
            tmp.with_suffix(".clean.csv").replace(tmp)
        else:
            broken, newlines = _clean_copy(path, encoding, tmp)
        table = _read_clean(path, tmp, encoding, known, broken, newlines, final=True, spill=spill)
        assert table is not None
        return table
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_suffix(".clean.csv").unlink(missing_ok=True)


def _read_clean(
    original: Path,
    path: Path,
    encoding: str,
    known: set[str],
    broken: list[BrokenRow],
    newlines: int,
    final: bool = False,
    spill: bool | Path = False,
) -> Table | None:
    """Read a UTF-8 file with normal line endings; None when it turns out to hold lines in another
    encoding and is not yet the clean copy (the caller then makes one)."""
    layout = _layout(path, known)
    blanked = {b.row for b in broken}
    folder = spill if isinstance(spill, Path) else None
    spilled = Spill(layout.names, pl.Series(ROW, [], pl.Int64), MAX_FIELD_BYTES, folder) if spill else None
    try:
        frame, height, errors = _duckdb_read(path, layout, spilled)
    except _Unreadable:
        if spilled is not None:
            spilled.close()
        frame, more, lines = _python_read(path, layout)
        table_broken = sorted(broken + more, key=lambda b: b.row)
        frame = frame.with_columns(pl.Series(ROW, lines, dtype=pl.Int64))
        return _table(frame, encoding, layout, table_broken)
    if not final and any(reason == "bad_encoding" for _, reason, _, _ in errors.values()):
        if spilled is not None:
            spilled.close()
        return None
    # DuckDB's line_byte_position is two bytes past where the previous record's line break starts
    # (a \n, the \r of \r\n, or a run of blank lines): the bad line is the first one after that
    ends = {position: max(position - 2, 0) for position in errors}
    error_lines = _lines_after(path, sorted(set(ends.values())))
    more = []
    for position, (_, reason, message, raw) in sorted(errors.items()):
        line = error_lines[ends[position]]
        if line in blanked:
            continue
        if reason == "bad_encoding":
            message = "该行含有无法解码的字节，未导入"
        more.append(BrokenRow(line, reason, message, cap(raw) or ""))
    lines = _good_lines(path, layout.data_line, layout.quote, height, {b.row for b in more} | blanked, newlines)
    if frame is not None:
        frame = frame.with_columns(lines)
    else:
        assert spilled is not None
        spilled.lines = lines
        frame = pl.DataFrame(schema={**dict.fromkeys(layout.names, pl.String), ROW: pl.Int64})
    table = _table(frame, encoding, layout, sorted(broken + more, key=lambda b: b.row))
    table.spill = spilled
    return table


def _table(frame: pl.DataFrame, encoding: str, layout: _Layout, broken: list[BrokenRow]) -> Table:
    broken = [b for b in broken if b.row >= layout.data_line]  # a title line above the header is no row
    warnings = [
        TableWarning(
            layout.header_line,
            new,
            "duplicate_header",
            f"表头「{old}」重复：第 {i + 1} 列改名为「{new}」（保存在 extra 中），映射使用第一列",
        )
        for i, old, new in layout.renamed
    ]
    return Table(
        frame=frame,
        format="csv",
        encoding=encoding,
        header_row=layout.header_line,
        broken=broken,
        warnings=warnings,
    )


class _Unreadable(Exception):
    pass


@cache
def _rows_query() -> str:
    """The query DuckDB reads a clean file's rows with (``sql/io/read_csv_rows.sql``)."""
    return resources.files("demandlab").joinpath("sql/io/read_csv_rows.sql").read_text("utf-8")


def _duckdb_read(
    path: Path, layout: _Layout, spill: Spill | None = None
) -> tuple[pl.DataFrame | None, int, dict[int, tuple[str, str, str, str]]]:
    """The good rows (columns named by the layout; None when they went to ``spill``'s Parquet file
    instead), how many there are, and per byte position of a bad record (DuckDB's error type, reason,
    message, the line as DuckDB saw it)."""
    con = duckdb.connect()
    try:
        quiet(con)  # no progress bar on standard output, into ingest --json
        relation = con.sql(
            _rows_query(), params=[str(path), layout.header_line - 1, layout.delimiter, 4 * MAX_FIELD_BYTES]
        )
        if len(relation.columns) != len(layout.names):
            raise _Unreadable
        if spill is not None:
            # in file order (DuckDB keeps it for COPY): row i of the Parquet file is good record i
            relation.write_parquet(str(spill.path), compression="snappy")
            frame, height = None, pq.ParquetFile(spill.path).metadata.num_rows
        else:
            # batch by batch: DuckDB never holds the whole file as a result beside the frame built from it
            reader = relation.to_arrow_reader(_READ_BATCH)
            parts = [pl.from_arrow(batch) for batch in reader]
            frame = pl.concat(parts, rechunk=False) if parts else pl.from_arrow(reader.schema.empty_table())
            frame.columns = layout.names
            height = frame.height
        rejects = con.sql(
            "select line_byte_position, error_type, csv_line from reject_errors order by line_byte_position, column_idx"
        ).fetchall()
    except duckdb.Error as exc:
        if disk_problem(exc):  # a full or read-only disk (the spill's temporary folder): not the file's fault
            raise
        raise _Unreadable from exc
    finally:
        con.close()
    errors: dict[int, tuple[str, str, str, str]] = {}
    for position, etype, raw in rejects:
        if position in errors:  # DuckDB reports each missing column: one reject per line
            continue
        if etype == "INVALID ENCODING":
            reason, message = "bad_encoding", "该行含有无法解码的字节，未导入"
        else:
            reason, detail = _DUCK_ERRORS.get(str(etype), ("malformed_row", "该行无法按 CSV 读取"))
            message = f"{detail}（表头 {len(layout.names)} 列）" if reason == "malformed_row" else detail
        errors[int(position)] = (str(etype), reason, message, raw or "")
    return frame, height, errors


def _python_read(path: Path, layout: _Layout) -> tuple[pl.DataFrame, list[BrokenRow], list[int]]:
    """Python's csv module on a file DuckDB could not read: rows, broken lines and row lines."""
    width = len(layout.names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    broken: list[BrokenRow] = []
    lines: list[int] = []
    csv.field_size_limit(max(MAX_FIELD_BYTES * 4, 1 << 20))
    with path.open("r", encoding="utf-8", errors="replace", newline="") as handle:
        for _ in range(layout.data_line - 1):
            handle.readline()
        reader = csv.reader(handle, delimiter=layout.delimiter, strict=False)
        last = layout.data_line - 1
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error:
                broken.append(BrokenRow(last + 1, "field_too_large", "该行超过 CSV 行的大小上限，未读取", ""))
                last = layout.data_line - 1 + reader.line_num
                continue
            start, last = last + 1, layout.data_line - 1 + reader.line_num
            if not fields or not any(fields):
                continue
            if len(fields) != width:
                more = "多" if len(fields) > width else "少"
                raw = layout.delimiter.join(fields)
                broken.append(BrokenRow(start, "malformed_row", f"列数比表头{more}（表头 {width} 列）", cap(raw)))
                continue
            for i, value in enumerate(fields):
                columns[i].append(value if value != "" else None)
            lines.append(start)
    frame = pl.DataFrame(dict(zip(layout.names, columns, strict=True)), schema=dict.fromkeys(layout.names, pl.String))
    return frame, broken, lines


__all__ = ["read_csv", "sniff_encoding"]
