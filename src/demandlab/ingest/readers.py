"""Read an export into a frame of strings, one column per source header.

Every reader returns a :class:`Table`: all values as strings (nothing is guessed yet; parsing
belongs to validation), a ``__row`` column with the row number a person would look up in the
file (the spreadsheet row for Excel, the physical line for CSV and JSON), the rows the file
itself made unreadable (each with its reason), the reader's warnings, and what was detected
(format, encoding, sheet, header row). Headers and JSON keys are normalised
(:func:`~demandlab.ingest.headers.normalize_header`) and made unique.

Readers never silently drop a row, and never load a value beyond the limits of
:mod:`demandlab.ingest.limits`: a row holding one comes back as a reject. CSV:
:mod:`~demandlab.ingest.csvfile`; workbooks: :mod:`~demandlab.ingest.excel`; JSON lines and
arrays: :mod:`~demandlab.ingest.jsonfile`; Parquet here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from .csvfile import read_csv, sniff_encoding
from .excel import read_excel
from .headers import normalize_header, unique_headers
from .jsonfile import read_json
from .limits import MAX_CELL_CHARS, MAX_FIELD_BYTES
from .parse import LOCAL_TIMEZONE
from .table import REPLACEMENT, ROW, BrokenRow, IngestError, Table, TableWarning, drop_blank_rows, refuse_oversize

FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".ods": "ods",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
}

__all__ = [
    "FORMATS",
    "LOCAL_TIMEZONE",
    "REPLACEMENT",
    "ROW",
    "BrokenRow",
    "IngestError",
    "Table",
    "TableWarning",
    "detect_format",
    "read_table",
    "read_tables",
    "sniff_encoding",
]


def detect_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestError(
            path,
            "unknown_format",
            f"无法识别的文件类型 {path.suffix or '（没有扩展名）'}：支持 {'、'.join(sorted(FORMATS))}",
        )
    return fmt


def read_table(path: str | Path, *, sheet: str | None = None, known_headers: Iterable[str] = ()) -> Table:
    """Read ``path`` into a :class:`Table` of strings (for a workbook: the first sheet that fits).

    Parameters
    ----------
    sheet : for Excel, the sheet to read; by default the first sheet whose header matches.
    known_headers : header names the mappings know; used to find the header row below a title
        (in the first 50 rows), and the sheets that hold records.

    Examples
    --------
    >>> table = read_table("exports/hotline_12345.csv")  # doctest: +SKIP
    >>> table.encoding, table.headers[:2]  # doctest: +SKIP
    ('gb18030', ['工单编号', '来电时间'])
    """
    return read_tables(path, sheet=sheet, known_headers=known_headers, first_only=True)[0]


def read_tables(
    path: str | Path,
    *,
    sheet: str | None = None,
    known_headers: Iterable[str] = (),
    first_only: bool = False,
    spill: bool | Path = False,
) -> list[Table]:
    """Every table in ``path``: one for CSV, JSON and Parquet; for a workbook, each visible sheet whose
    header holds at least two known headers (a 说明 or 汇总 sheet is left alone), or only ``sheet``.

    ``spill``: a CSV's rows are kept in a temporary file (:class:`~demandlab.ingest.table.Spill`), read
    back by :meth:`Table.parts`, in TMPDIR or in the folder ``spill`` names; close the table when done
    (ingest does).

    Examples
    --------
    >>> tables = read_tables("exports/2025年工单.xlsx", known_headers={"工单编号", "来电时间"})  # doctest: +SKIP
    >>> [t.sheet for t in tables]  # doctest: +SKIP
    ['3月', '4月']
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(path, "not_found", "文件不存在")
    fmt = detect_format(path)
    if path.stat().st_size == 0:
        raise IngestError(path, "empty_file", "文件是空的")
    known = {normalize_header(h) for h in known_headers}
    if fmt in ("xlsx", "xls", "ods"):
        tables = [refuse_oversize(t, chars=MAX_CELL_CHARS) for t in read_excel(path, sheet, known, first_only)]
    elif fmt == "csv":
        tables = [refuse_oversize(read_csv(path, known, spill=spill), size=MAX_FIELD_BYTES)]
    elif fmt == "jsonl":
        tables = [refuse_oversize(read_json(path), size=MAX_FIELD_BYTES)]
    else:
        tables = [refuse_oversize(_read_parquet(path), size=MAX_FIELD_BYTES)]
    tables = [drop_blank_rows(t) for t in tables]
    for table in tables:
        if not table.headers:
            raise IngestError(path, "no_header", "文件里没有表格：找不到表头或任何列")
    return tables


# --- Parquet ------------------------------------------------------------------------------------
def _read_parquet(path: Path) -> Table:
    """Parquet columns as strings: nested values (lists, structs) as JSON text, time-zone-aware
    timestamps as local wall time in :data:`LOCAL_TIMEZONE`, binary decoded as UTF-8."""
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # pyarrow / polars raise many types for a damaged file
        raise IngestError(path, "unreadable_parquet", "不是可读取的 Parquet 文件（可能已损坏或不完整）") from exc
    names, renamed = unique_headers([normalize_header(c) for c in frame.columns])
    warnings = [
        TableWarning(0, new, "duplicate_header", f"列名「{old}」重复：改名为「{new}」（保存在 extra 中），映射用第一列")
        for _, old, new in renamed
    ]
    columns = []
    for source, name in zip(frame.columns, names, strict=True):
        series = frame[source]
        dtype = series.dtype
        if dtype.is_nested():
            warnings.append(TableWarning(None, name, "nested_value", f"{name}：列表或结构类型的列，已按 JSON 文本读取"))
            values = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in series.to_list()]
            columns.append(pl.Series(name, values, dtype=pl.String))
            continue
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            warnings.append(
                TableWarning(
                    None, name, "timezone_converted", f"{name}：带时区的时间，已换算为北京时间（{LOCAL_TIMEZONE}）"
                )
            )
            series = series.dt.convert_time_zone(LOCAL_TIMEZONE).dt.replace_time_zone(None)
        if dtype == pl.Binary:  # bytes that are not UTF-8 keep a U+FFFD, which validation rejects if mapped
            values = [None if v is None else v.decode("utf-8", errors="replace") for v in series.to_list()]
            series = pl.Series(name, values, dtype=pl.String)
        try:
            columns.append(series.cast(pl.String).alias(name))
        except Exception:  # a type polars cannot cast to text (objects, extension types): its str()
            values = [None if v is None else str(v) for v in series.to_list()]
            columns.append(pl.Series(name, values, dtype=pl.String))
    out = pl.DataFrame(columns).with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias(ROW))
    return Table(frame=out, format="parquet", header_row=0, warnings=warnings)
