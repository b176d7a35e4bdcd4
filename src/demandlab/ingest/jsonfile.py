"""JSON exports: JSON lines (one object per line) or one JSON array, UTF-8 or GB18030.

JSON lines are read line by line, so one broken line costs only itself: invalid JSON, a value
that is not an object, bytes in another encoding (decoded in whichever encoding reads them, for
the reject), a NUL byte, or a line over :data:`~demandlab.ingest.limits.MAX_FIELD_BYTES` (never
held in memory whole). A file whose first character is ``[`` is one array (pretty-printed or
not) and is read whole, up to :data:`~demandlab.ingest.limits.MAX_JSON_DOCUMENT_BYTES`; each
object's row number is the line it starts on.

Keys pass through :func:`~demandlab.ingest.headers.normalize_header`, so ``"走访编号 "`` in one
line is the same column as ``"走访编号"`` in the others.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from .csvfile import _decode_any, sniff_encoding
from .headers import normalize_header
from .limits import MAX_FIELD_BYTES, MAX_JSON_DOCUMENT_BYTES, MAX_STORED_CHARS
from .table import ROW, BrokenRow, IngestError, Table, cap

_WHITESPACE = " \t\r\n\ufeff"
_LABEL = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "gb18030": "GB18030", "utf-16": "UTF-16"}
_NUL = "该行含有 NUL（\\0）字节，可能是损坏的文件，未导入"
_NOT_JSON = "不是有效的 JSON（可能被截断或缺少引号、括号）"


def read_json(path: Path) -> Table:
    """Read JSON lines or a JSON array into a :class:`Table` (see the module's docstring)."""
    encoding = sniff_encoding(path)
    with path.open("rb") as handle:
        start = handle.read(4096).decode(encoding if encoding == "utf-16" else "latin-1", errors="replace")
    if start.lstrip(_WHITESPACE + "\x00").startswith("["):
        return _read_array(path, encoding)
    if encoding == "utf-16":
        raise IngestError(path, "unknown_encoding", "UTF-16 编码的 JSON lines 无法读取：请另存为 UTF-8 后再导入")
    return _read_lines(path, encoding)


#: Objects held as Python dicts before they become a frame's columns (a file of 1.25 million objects, 725 MB, held
#: whole as dicts peaked at 3.4 GiB: bench/ingest_memory.py --kind visits).
CHUNK_ROWS = 50_000


class _Rows:
    """Rows of strings keyed by normalised keys, with their row numbers; every :data:`CHUNK_ROWS` rows they
    become a frame (strings in Arrow's columns take a fraction of what Python's do)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str | None]] = []
        self.numbers: list[int] = []
        self.keys: dict[str, str] = {}
        self.frames: list[pl.DataFrame] = []

    def add(self, line_no: int, value: dict) -> None:
        row: dict[str, str | None] = {}
        for key, cell in value.items():
            name = self.keys.get(key)
            if name is None:
                name = self.keys[key] = normalize_header(key) or "列"
            text = _json_cell(cell)
            if row.get(name) is None:  # two spellings of one key in one object: the first non-empty wins
                row[name] = text
        self.rows.append(row)
        self.numbers.append(line_no)
        if len(self.rows) >= CHUNK_ROWS:
            self._flush()

    def _flush(self) -> None:
        columns: dict[str, None] = {}
        for row in self.rows:
            columns.update(dict.fromkeys(row))
        frame = pl.DataFrame(self.rows, schema=dict.fromkeys(columns, pl.String)) if self.rows else pl.DataFrame()
        self.frames.append(frame.with_columns(pl.Series(ROW, self.numbers, dtype=pl.Int64)))
        self.rows, self.numbers = [], []

    def frame(self) -> pl.DataFrame:
        """Every row, columns in the order their keys first appear (a key a chunk lacks is null there)."""
        if self.rows or not self.frames:
            self._flush()
        frame = pl.concat(self.frames, how="diagonal") if len(self.frames) > 1 else self.frames[0]
        self.frames = []
        return frame.select(pl.exclude(ROW), ROW)


def _read_lines(path: Path, encoding: str) -> Table:
    rows = _Rows()
    broken: list[BrokenRow] = []
    blank = 0
    own = "utf-8" if encoding == "utf-8-sig" else encoding
    with path.open("rb") as handle:
        line_no = 0
        while line := handle.readline(MAX_FIELD_BYTES + 1):
            line_no += 1
            if len(line) > MAX_FIELD_BYTES and not line.endswith(b"\n"):
                text = line[: MAX_STORED_CHARS * 4].decode(own, errors="ignore")  # the last character may be cut
                broken.append(
                    BrokenRow(
                        line_no,
                        "field_too_large",
                        f"该行超过 {MAX_FIELD_BYTES >> 20} MiB 的上限，未读取（可能是损坏或异常的文件）",
                        cap(text),
                    )
                )
                while (rest := handle.readline(MAX_FIELD_BYTES)) and not rest.endswith(b"\n"):
                    pass
                continue
            data = line.strip()
            if line_no == 1:
                data = data.removeprefix(b"\xef\xbb\xbf")
            if not data:
                blank += 1
                continue
            if b"\x00" in data:
                text, _ = _decode_any(data.replace(b"\x00", b""), encoding, own_first=True)
                broken.append(BrokenRow(line_no, "nul_byte", _NUL, cap(text)))
                continue
            try:
                text = data.decode(own)
            except UnicodeDecodeError:
                text, other = _decode_any(data, encoding)
                why = f"按 {_LABEL[other]} 可以读出，像是混入了另一种编码的行" if other else "可能是文件被截断或损坏"
                message = f"该行含有不是 {_LABEL[own]} 编码的字节（{why}），未导入"
                broken.append(BrokenRow(line_no, "bad_encoding", message, cap(text)))
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                broken.append(BrokenRow(line_no, "malformed_row", _NOT_JSON, cap(text)))
                continue
            if not isinstance(value, dict):
                broken.append(BrokenRow(line_no, "malformed_row", "JSON 行必须是一个对象（{…}）", cap(text)))
                continue
            rows.add(line_no, value)
    return Table(frame=rows.frame(), format="jsonl", encoding=encoding, header_row=0, blank_rows=blank, broken=broken)


def _read_array(path: Path, encoding: str) -> Table:
    size = path.stat().st_size
    if size > MAX_JSON_DOCUMENT_BYTES:
        raise IngestError(
            path,
            "json_too_large",
            f"JSON 数组文件有 {size >> 20:,} MiB，超过 {MAX_JSON_DOCUMENT_BYTES >> 20} MiB 的上限："
            "请导出为 JSON lines（每行一个对象）后再导入",
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig" if encoding.startswith("utf-8") else encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(
            path, "bad_encoding", f"JSON 数组中有不是 {_LABEL[encoding]} 编码的字节：请另存为 UTF-8 后再导入"
        ) from exc
    decoder = json.JSONDecoder()
    rows, broken = _Rows(), []
    index = len(text) - len(text.lstrip(_WHITESPACE)) + 1
    line = 1 + text.count("\n", 0, index)
    counted = index
    try:
        while True:
            while index < len(text) and text[index] in _WHITESPACE:
                index += 1
            if index < len(text) and text[index] == "]":
                break
            line += text.count("\n", counted, index)
            counted = index
            value, end = decoder.raw_decode(text, index)
            if isinstance(value, dict):
                rows.add(line, value)
            else:
                broken.append(BrokenRow(line, "malformed_row", "数组中的元素必须是对象（{…}）", cap(json.dumps(value))))
            index = end
            while index < len(text) and text[index] in _WHITESPACE:
                index += 1
            if index < len(text) and text[index] == ",":
                index += 1
            elif index >= len(text) or text[index] != "]":
                raise json.JSONDecodeError("expected , or ]", text, index)
    except json.JSONDecodeError as exc:
        where = 1 + text.count("\n", 0, exc.pos)
        raise IngestError(
            path,
            "unreadable_json",
            f"不是有效的 JSON 数组（第 {where} 行附近出错）：请检查文件是否完整，或导出为 JSON lines（每行一个对象）",
        ) from exc
    return Table(frame=rows.frame(), format="json", encoding=encoding, header_row=0, broken=broken)


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
