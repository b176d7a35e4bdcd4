"""Workbooks (.xlsx, .xlsm, legacy .xls, OpenDocument .ods) through calamine (fastexcel), with
the checks a spreadsheet needs before and after it is read.

Before: an encrypted workbook (an OLE container holding ``EncryptedPackage``) is refused with
what to do; the zip directory gives every part's decompressed size, so a workbook over
:data:`~demandlab.ingest.limits.MAX_WORKBOOK_BYTES`, or a part that expands more than
:data:`~demandlab.ingest.limits.MAX_COMPRESSION_RATIO` times (a zip bomb), is refused before
any part is opened. Hidden sheets (``state="hidden"`` in ``workbook.xml``) are skipped with a
warning unless named with ``--sheet``.

After: calamine gives the top-left value of a merged range only, and nothing for a formula
whose result was never computed (a workbook written by a script and never opened in Excel).
One pass over the sheet's XML finds both; merged values are filled into every cell of their
range from the header row down, with a warning per range, and formula cells are handed to
validation, which names them in rejects and warnings with a hint.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import fastexcel
import polars as pl

from .headers import find_header_row, normalize_header, unique_headers
from .limits import (
    HEADER_SEARCH_ROWS,
    MAX_COMPRESSION_RATIO,
    MAX_WORKBOOK_BYTES,
    RATIO_CHECKED_BYTES,
)
from .table import ROW, IngestError, Table, TableWarning

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CHUNK = 1 << 22
_MERGE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')
_DIMENSION = re.compile(rb'<dimension\s+ref="([A-Z]+)\d+(?::([A-Z]+)\d+)?"')
_CELL = re.compile(rb'<c\s+r="([A-Z]+)(\d+)"[^>]*?(?:/>|>(.*?)</c>)', re.DOTALL)
_CACHED = re.compile(rb"<v>[^<]+</v>|<is>")
_FORMULA = re.compile(rb"<f[\s>/]")
_MIB = 1 << 20
_UNREADABLE = "不是可读取的 Excel 工作簿（文件可能已损坏或不完整）：请在 Excel 中打开后另存，再导入"


@dataclass(frozen=True)
class _Book:
    hidden: frozenset[str] = frozenset()
    parts: dict[str, str] = field(default_factory=dict)  # sheet name → its XML part in the zip


@dataclass
class _SheetXml:
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # row1, col1, row2, col2 (from 1)
    formulas: list[tuple[int, int]] = field(default_factory=list)  # row, col of uncached formulas
    first_col: int | None = None


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _is_encrypted(path: Path) -> bool:
    """An OLE container holding an ``EncryptedPackage`` stream: an Office file with a password."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            if _ENCRYPTED_STREAM in tail + chunk:
                return True
            tail = chunk[-len(_ENCRYPTED_STREAM) :]
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _open_book(path: Path) -> _Book | None:
    """Container checks before calamine opens the file; for .xlsx the sheets' states and parts."""
    with path.open("rb") as handle:
        magic = handle.read(8)
    is_xlsx = path.suffix.lower() in (".xlsx", ".xlsm")
    is_zip = is_xlsx or path.suffix.lower() == ".ods"
    if magic == _OLE_MAGIC:
        if _is_encrypted(path):
            raise IngestError(
                path,
                "encrypted_workbook",
                "工作簿设置了打开密码（已加密），无法读取："
                "请在 Excel 中打开，取消“用密码进行加密”后另存为 .xlsx，再导入",
            )
        if is_xlsx:
            raise IngestError(
                path,
                "unreadable_excel",
                "扩展名是 .xlsx，内容却是旧版 .xls 格式：请改名为 .xls 或另存为 .xlsx 后再导入",
            )
        return None
    if not is_zip:
        return None
    try:
        with zipfile.ZipFile(path) as book:
            infos = book.infolist()
            total = sum(i.file_size for i in infos)
            if total > MAX_WORKBOOK_BYTES:
                raise IngestError(
                    path,
                    "workbook_too_large",
                    f"工作簿解压后共 {total // _MIB:,} MiB，超过 {MAX_WORKBOOK_BYTES // _MIB:,} MiB 的上限："
                    "请拆分后再导入，或另存为 CSV",
                )
            for info in infos:
                if info.file_size > RATIO_CHECKED_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(
                    info.compress_size, 1
                ):
                    raise IngestError(
                        path,
                        "workbook_too_large",
                        f"工作簿中的一个部件压缩比异常（解压后 {info.file_size // _MIB:,} MiB，是压缩后的 "
                        f"{info.file_size // max(info.compress_size, 1):,} 倍，上限 {MAX_COMPRESSION_RATIO} 倍），"
                        "可能是恶意构造的文件，未读取；如确为正常导出，请另存为 CSV 后再导入",
                    )
            return _sheets(book) if is_xlsx else None
    except zipfile.BadZipFile as exc:
        raise IngestError(path, "unreadable_excel", _UNREADABLE) from exc


def _sheets(book: zipfile.ZipFile) -> _Book:
    names = set(book.namelist())
    if "xl/workbook.xml" not in names:
        return _Book()
    targets = {}
    if "xl/_rels/workbook.xml.rels" in names:
        for rel in ET.fromstring(book.read("xl/_rels/workbook.xml.rels")):
            target = rel.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[rel.get("Id")] = path
    hidden, parts = set(), {}
    for element in ET.fromstring(book.read("xl/workbook.xml")).iter():
        if _local(element.tag) != "sheet":
            continue
        name = element.get("name", "")
        if element.get("state") in ("hidden", "veryHidden"):
            hidden.add(name)
        rid = next((v for k, v in element.attrib.items() if _local(k) == "id"), None)
        if rid in targets and targets[rid] in names:
            parts[name] = targets[rid]
    return _Book(frozenset(hidden), parts)


def _scan_sheet(path: Path, part: str) -> _SheetXml:
    """Merged ranges and formulas without a cached value in one sheet's XML.

    The first pass only decompresses and looks for the two markers; cells are parsed only in a
    sheet that holds an uncached formula or a merged range, to learn which column calamine's
    frame starts at.
    """
    found = _SheetXml()
    has_formula, tail, head = False, b"", b""
    with zipfile.ZipFile(path) as book, book.open(part) as xml:
        while chunk := xml.read(_CHUNK):
            if not head:
                head = chunk[:4096]
            seam = tail + chunk[:256]  # a marker cut in two by the chunk boundary
            # "<f" also starts a few rarer tags (<filterColumn>): the second pass tells them apart
            has_formula = has_formula or b"<f" in chunk or b"<f" in seam
            if b"<mergeCell " in chunk or b"<mergeCell " in seam:
                window = tail + chunk
                for m in _MERGE.finditer(window):
                    if m.end() > len(tail):
                        r1, c1 = int(m.group(2)), _col_number(m.group(1))
                        r2 = int(m.group(4)) if m.group(4) else r1
                        c2 = _col_number(m.group(3)) if m.group(3) else c1
                        found.merges.append((r1, c1, r2, c2))
            tail = chunk[-256:]
    found.merges = sorted(set(found.merges))
    if not (has_formula or found.merges):
        return found
    dimension = _DIMENSION.search(head)
    first_col = _col_number(dimension.group(1)) if dimension else None
    min_col = None
    with zipfile.ZipFile(path) as book, book.open(part) as xml:
        carry = b""
        while True:
            chunk = xml.read(_CHUNK)
            data = carry + chunk
            cut = data.rfind(b"</row>") + 6 if chunk else len(data)
            if chunk and cut < 6:
                carry = data
                continue
            body, carry = data[:cut], data[cut:]
            for m in _CELL.finditer(body):
                content = m.group(3) or b""
                cached = _CACHED.search(content) is not None
                col = _col_number(m.group(1))
                if cached and (min_col is None or col < min_col):
                    min_col = col
                if has_formula and not cached and _FORMULA.search(content):
                    found.formulas.append((int(m.group(2)), col))
            if not chunk:
                break
    found.first_col = min_col if min_col is not None else first_col
    return found


def _fill_merges(raw: pl.DataFrame, sheet: _SheetXml, header_index: int) -> tuple[pl.DataFrame, list]:
    """Each merged range's top-left value in every cell of the range, from the header row down."""
    if not sheet.merges or sheet.first_col is None:
        return raw, []
    columns = {name: raw[name].to_list() for name in raw.columns}
    names = raw.columns
    filled = []
    for r1, c1, r2, c2 in sheet.merges:
        top, left = r1 - 1, c1 - sheet.first_col
        if r2 - 1 < header_index or left < 0 or left >= len(names) or top >= raw.height:
            continue
        value = columns[names[left]][top]
        if value is None:
            continue
        for c in range(left, min(c2 - sheet.first_col, len(names) - 1) + 1):
            cells = columns[names[c]]
            for r in range(max(top, header_index), min(r2 - 1, raw.height - 1) + 1):
                cells[r] = value
        filled.append((max(r1, header_index + 1), left, r1, r2))
    return pl.DataFrame(columns, schema=raw.schema), filled


def read_excel(path: Path, sheet: str | None, known: set[str], first_only: bool) -> list[Table]:
    """Every sheet of the workbook that holds records (or only ``sheet``), as tables."""
    book = _open_book(path)
    try:
        reader = fastexcel.read_excel(str(path))
        names = reader.sheet_names
    except Exception as exc:  # calamine raises its own error types for zips and XML
        raise IngestError(path, "unreadable_excel", _UNREADABLE) from exc
    if sheet is not None and sheet not in names:
        raise IngestError(path, "no_such_sheet", f"没有名为「{sheet}」的工作表；工作簿中的工作表：{'、'.join(names)}")
    hidden = book.hidden if book is not None else frozenset(n for n in names if _xls_hidden(reader, n))
    fitting: list[Table] = []
    fallback: Table | None = None
    for name in [sheet] if sheet else [n for n in names if n not in hidden]:
        table, matches = _read_sheet(path, reader, name, book, known)
        if table is None:
            continue
        if sheet or (known and matches >= 2):
            fitting.append(table)
            if first_only:
                break
        elif fallback is None:
            fallback = table
    skipped = [] if sheet else [n for n in names if n in hidden]
    if not fitting and skipped:
        holding = [n for n in skipped if (_read_sheet(path, reader, n, book, known)[1] >= 2)]
        if holding:
            raise IngestError(
                path,
                "only_hidden_sheets",
                f"只有隐藏的工作表含有记录（{len(holding)} 个）："
                "请用 --sheet 指定要导入的工作表，或在 Excel 中取消隐藏",
            )
    tables = fitting or ([fallback] if fallback is not None else [])
    if not tables:
        raise IngestError(path, "empty_file", "工作簿中没有任何数据")
    tables[0].warnings[:0] = [
        TableWarning(None, None, "hidden_sheet", "隐藏的工作表，未导入（如需导入，请用 --sheet 指定）", sheet=n)
        for n in skipped
    ]
    return tables


def _xls_hidden(reader, name: str) -> bool:
    try:
        return reader.load_sheet(name, header_row=None, n_rows=1).visible != "visible"
    except Exception:
        return False


def _read_sheet(path: Path, reader, name: str, book: _Book | None, known: set[str]) -> tuple[Table | None, int]:
    try:
        # eager (Arrow) loading is what polars.read_excel uses: faster than the lazy sheet here
        raw = pl.DataFrame(reader.load_sheet_eager(name, header_row=None, skip_rows=0, dtypes="string"))
    except Exception as exc:
        raise IngestError(
            path, "unreadable_excel", f"工作表「{name}」无法读取（可能已损坏）：请在 Excel 中打开后另存，再导入"
        ) from exc
    if raw.height == 0 or raw.width == 0:
        return None, 0
    header_index, matches = find_header_row(raw.head(HEADER_SEARCH_ROWS).rows(), known)
    xml = _scan_sheet(path, book.parts[name]) if book is not None and name in book.parts else _SheetXml()
    raw, merged = _fill_merges(raw, xml, header_index)
    header = [normalize_header(v) for v in raw.row(header_index)]
    keep = [i for i, h in enumerate(header) if h or raw[raw.columns[i]].slice(header_index + 1).drop_nulls().len()]
    if not any(header[i] for i in keep):
        raise IngestError(path, "no_header", f"工作表「{name}」找不到表头")
    names, renamed = unique_headers([header[i] for i in keep])
    data = raw.slice(header_index + 1).select([raw.columns[i] for i in keep])
    data.columns = names
    first_row = header_index + 2
    data = data.with_columns(pl.int_range(first_row, first_row + data.height, dtype=pl.Int64).alias(ROW))
    header_row = header_index + 1
    warnings = [
        TableWarning(
            header_row,
            new,
            "duplicate_header",
            f"表头「{old}」重复：第 {keep[i] + 1} 列改名为「{new}」（保存在 extra 中），映射使用第一列",
        )
        for i, old, new in renamed
    ]
    position = {raw_index: names[j] for j, raw_index in enumerate(keep)}
    for row, left, r1, r2 in merged:
        column = position.get(left)
        if column is None:
            continue
        rows = f"第 {r1} 行" if r1 == r2 else f"第 {r1}–{r2} 行"
        message = f"{column}：合并单元格（{rows}），已把合并的值填入区域内每个单元格"
        warnings.append(TableWarning(row, column, "merged_cells", message))
    formula_cells = set()
    if xml.formulas and xml.first_col is not None:
        for row, col in xml.formulas:
            column = position.get(col - xml.first_col)
            if column is not None and row >= first_row:
                formula_cells.add((row, column))
    table = Table(
        frame=data,
        format={".xls": "xls", ".ods": "ods"}.get(path.suffix.lower(), "xlsx"),
        sheet=name,
        header_row=header_row,
        warnings=warnings,
        formula_cells=frozenset(formula_cells),
    )
    return table, matches
