"""Write synthetic records the way real systems export them, bad rows included.

* ``hotline_12345.csv`` — GB18030, Chinese headers, slash dates, grid written
  in several ways (白鹭社区第1网格, 第1网格, 一网格, DH0101);
* ``snapshot.xlsx`` — a title row above the header, a date column mixing text,
  Excel datetimes and bare serial numbers, scrape residue in the text, and
  hundreds of empty formatted rows at the end;
* ``grid_visits.jsonl`` — UTF-8 JSON lines with Chinese keys.

Each file carries a known number of bad rows, returned so the ground truth can
count them. Row numbers follow what a person sees: the spreadsheet row for
CSV and Excel (header = row 1, or row 2 below a title row), the line for JSON lines.

The rows are made in chunks (:func:`hotline_chunk`, :func:`snapshot_chunk`, :func:`visit_chunk`: the
records of a chunk in, the bytes or cells of its rows out, bad rows inserted), so that a district written
a week at a time appends each week's chunk to its file (:class:`SnapshotBook` for the workbook); the
``write_*`` functions write a whole file from one chunk.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import opencc
import xlsxwriter

from .records import SynthRecord

HOTLINE_FILE = "hotline_12345.csv"
SNAPSHOT_FILE = "snapshot.xlsx"
VISIT_FILE = "grid_visits.jsonl"

HOTLINE_HEADER = [
    "工单编号",
    "来电时间",
    "来电号码",
    "诉求渠道",
    "诉求类型",
    "诉求分类",
    "诉求标题",
    "诉求内容",
    "街道",
    "社区",
    "网格",
    "事件地址",
    "承办单位",
    "受理时间",
    "反馈时间",
    "办结时间",
    "办结期限",
    "办理状态",
    "是否解决",
    "回访满意度",
    "办结层级",
    "重办次数",
    "答复意见",
]
SNAPSHOT_HEADER = [
    "上报编号",
    "上报时间",
    "上报人",
    "问题类型",
    "问题描述",
    "所在网格",
    "位置描述",
    "处置状态",
    "处置完成时间",
]
BAD_ROWS = {
    HOTLINE_FILE: {"missing_id": 6, "bad_time": 5, "unknown_grid": 4, "duplicate_id": 6},
    SNAPSHOT_FILE: {"missing_id": 3, "bad_time": 4, "unknown_grid": 3, "duplicate_id": 3},
    VISIT_FILE: {"missing_id": 2, "bad_time": 3, "unknown_grid": 2, "duplicate_id": 2},
}
#: rows above the first record: the header (and the workbook's title row)
HEADER_ROWS = {HOTLINE_FILE: 1, SNAPSHOT_FILE: 2, VISIT_FILE: 0}
#: the most rows a worksheet holds (Excel's limit), and those a workbook here may give to records: less the
#: title, the header and the empty formatted rows at its end
SHEET_ROWS = 1_048_576
SNAPSHOT_MAX_RECORDS = SHEET_ROWS - 2 - 400
_BAD_TIMES = ["2025-02-30 10:00:00", "待核实", "2025/13/01 08:00", "不详", "20250-1-1", "昨天下午"]
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
# the cells of a worksheet row: (column, kind, value)
_DATE, _NUMBER, _STRING = 0, 1, 2


@dataclass(frozen=True)
class BadRow:
    file: str
    row: int
    reason: str
    record_id: str


@dataclass(frozen=True)
class Chunk:
    """The rows of some records in one export, bad rows inserted: ``data`` to append to a CSV or JSON-lines
    file, or ``cells`` for a worksheet; ``bad`` gives each bad row's (index among the rows, reason, id)."""

    rows: int
    bad: tuple[tuple[int, str, str], ...]
    data: bytes = b""
    cells: tuple[tuple[tuple[int, int, object], ...], ...] = ()


def _slash(ts: dt.datetime | None) -> str:
    return "" if ts is None else f"{ts.year}/{ts.month}/{ts.day} {ts:%H:%M:%S}"


def _iso(ts: dt.datetime | None) -> str:
    return "" if ts is None else f"{ts:%Y-%m-%d %H:%M:%S}"


def _inject_bad_rows(
    rows: list[dict], counts: dict[str, int], id_key: str, rnd: random.Random, make_bad: dict
) -> tuple[list[dict], list[tuple[int, str, str]]]:
    """Insert ``counts`` bad rows (by reason) at random places; returns the rows and (index, reason, id) of each
    bad one. Without rows there is nothing to copy a bad row from: none is inserted."""
    if not rows:
        return rows, []
    plan: list[tuple[int, str]] = []
    for reason, count in counts.items():
        plan += [(rnd.randrange(len(rows)), reason) for _ in range(count)]
    inserted: list[tuple[int, dict, str]] = []
    for position, reason in plan:
        template = rows[position]
        bad = dict(template)
        if reason == "missing_id":
            bad[id_key] = ""
        elif reason == "duplicate_id":
            if rnd.random() < 0.5:  # a later, different row that reuses the id
                bad = dict(rows[rnd.randrange(len(rows))])
                bad[id_key] = template[id_key]
            position += rnd.randint(1, 40)
        else:
            bad[id_key] = template[id_key] + {"bad_time": "T", "unknown_grid": "G"}[reason]
            make_bad[reason](bad)
        inserted.append((min(position, len(rows)), bad, reason))
    inserted.sort(key=lambda item: item[0], reverse=True)
    out = list(rows)
    markers: list[object] = [None] * len(rows)
    for position, bad, reason in inserted:
        out.insert(position + 1, bad)
        markers.insert(position + 1, reason)
    bad_rows = [(i, reason, out[i][id_key]) for i, reason in enumerate(markers) if reason is not None]
    return out, bad_rows


def _hotline_grid(rec: SynthRecord, rnd: random.Random) -> str:
    r, g = rnd.random(), rec.grid
    if r < 0.55:
        return g.name
    if r < 0.9:
        return rnd.choice(g.aliases)
    return g.grid_id


def _address(rec: SynthRecord, rnd: random.Random, pii_rnd: random.Random) -> str:
    """事件地址: the building, with a room or a house number in some (recorded as planted)."""
    place = f"{rec.grid.street}{rec.grid.community}{rec.compound}"
    address = f"{place}{rec.building}栋"
    if rnd.random() < 0.3:
        room = f"{rnd.randint(1, 3)}单元{rnd.randint(1, 6)}0{rnd.randint(1, 4)}"
        address += room + "室"
        rec.pii.append(("address", "room", room))
        return address
    r = pii_rnd.random()
    if r < 0.1:  # a room without 室
        room = f"{pii_rnd.randint(1, 6)}0{pii_rnd.randint(1, 4)}"
        unit = f"{pii_rnd.randint(1, 3)}门" if pii_rnd.random() < 0.5 else ""
        written = f"{rec.building}栋{unit}{room}"
        rec.pii.append(("address", "room", written))
        return place + written
    if r < 0.16 and rec.compound.endswith("里"):  # a house in a lane-style compound: 锦绣里17号
        written = f"{rec.compound}{pii_rnd.randint(1, 80)}号"
        rec.pii.append(("address", "house_number", written))
        return f"{rec.grid.street}{rec.grid.community}{written}"
    return address


def _csv_bytes(rows: list[dict], header: list[str], with_header: bool = False) -> bytes:
    # GB18030 as the hotline system writes it; the csv module's CRLF line ends
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=header)
    if with_header:
        writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("gb18030")


#: the first line of every hotline export
HOTLINE_HEAD = _csv_bytes([], HOTLINE_HEADER, with_header=True)


def _hotline_row(rec: SynthRecord, rnd: random.Random, pii_rnd: random.Random) -> dict:
    f = rec.fields
    address = _address(rec, rnd, pii_rnd)
    return {
        "工单编号": rec.record_id,
        "来电时间": _slash(rec.created_at),
        "来电号码": f["contact"] or "",
        "诉求渠道": f["channel"],
        "诉求类型": f["kind"],
        "诉求分类": f["category"],
        "诉求标题": f.get("title", ""),
        "诉求内容": rec.text,
        "街道": rec.grid.street,
        "社区": rec.grid.community,
        "网格": _hotline_grid(rec, rnd),
        "事件地址": address,
        "承办单位": f.get("dept_written", f["dept"]),
        "受理时间": _slash(f["accepted_at"]),
        "反馈时间": _slash(f["responded_at"]),
        "办结时间": _slash(f["closed_at"]),
        "办结期限": _slash(f["due_at"]),
        "办理状态": f["status"],
        "是否解决": f["resolved"] or "",
        "回访满意度": f["satisfaction"] or "",
        "办结层级": f["resolved_level"] or "",
        "重办次数": str(f["reopen_count"]),
        "答复意见": f.get("reply", ""),
    }


def hotline_chunk(records: list[SynthRecord], rnd: random.Random, pii_rnd: random.Random, bad: dict[str, int]) -> Chunk:
    """The work orders of ``records`` as CSV lines (GB18030), with ``bad`` bad rows (by reason) among them."""
    rows = [_hotline_row(rec, rnd, pii_rnd) for rec in records]
    make_bad = {
        "bad_time": lambda row: row.update({"来电时间": rnd.choice(_BAD_TIMES)}),
        "unknown_grid": lambda row: row.update({"网格": f"{row['社区']}第{rnd.randint(9, 12)}网格"}),
    }
    rows, bad_rows = _inject_bad_rows(rows, bad, "工单编号", rnd, make_bad)
    return Chunk(len(rows), tuple(bad_rows), data=_csv_bytes(rows, HOTLINE_HEADER))


def write_hotline(
    records: list[SynthRecord], path: Path, rnd: random.Random, pii_rnd: random.Random | None = None
) -> list[BadRow]:
    chunk = hotline_chunk(records, rnd, pii_rnd or random.Random(0), BAD_ROWS[HOTLINE_FILE])
    path.write_bytes(HOTLINE_HEAD + chunk.data)
    return [BadRow(HOTLINE_FILE, i + 2, reason, rid) for i, reason, rid in chunk.bad]


_SENTENCE_END = re.compile(r"。(?![A-Za-z0-9])")


def _scrape(text: str, rnd: random.Random, to_traditional: opencc.OpenCC) -> str:
    """Residue that real portal scrapes leave in text."""
    if rnd.random() < 0.03:
        text = to_traditional.convert(text)
    # at the end of a sentence, never inside a planted value (an e-mail written 126。com stays whole)
    if rnd.random() < 0.12:
        text = _SENTENCE_END.sub("。&nbsp;", text, count=1)
    if rnd.random() < 0.06:
        text = _SENTENCE_END.sub("。<br/>", text, count=1)
    if rnd.random() < 0.05:
        text = rnd.choice(["■", "★", "◆", "●"]) + text
    if rnd.random() < 0.04:
        text = text.replace("，", "，\u200b", 1)
    if rnd.random() < 0.5:
        text = "\n\t\t\t\t\t\n\t\t\t\t\t" + text
    if rnd.random() < 0.1:
        text += "\u3000\u3000\n\t\t\t\t"
    return text


def _as_written(rec: SynthRecord, column: str, written: str, to_traditional: opencc.OpenCC) -> None:
    """Record each value planted in ``column`` as the scrape left it (a traditional-script text converts it)."""
    for i, (col, kind, value) in enumerate(rec.pii):
        if col == column and value not in written:
            converted = to_traditional.convert(value)
            if converted in written:
                rec.pii[i] = (col, kind, converted)


def snapshot_chunk(
    records: list[SynthRecord],
    rnd: random.Random,
    pii_rnd: random.Random,
    bad: dict[str, int],
    to_traditional: opencc.OpenCC,
) -> Chunk:
    """The 随手拍 reports of ``records`` as worksheet cells, with ``bad`` bad rows (by reason) among them; the
    report time is written as a date, a serial number or text, as real exports mix them."""
    rows = []
    for rec in records:
        f = rec.fields
        text = _scrape(rec.text, rnd, to_traditional)
        _as_written(rec, "text", text, to_traditional)
        location = f"{rnd.choice(rec.grid.roads)}{rec.compound}附近"
        if pii_rnd.random() < 0.06:
            room = f"{rec.building}栋{pii_rnd.randint(1, 3)}单元{pii_rnd.randint(1, 6)}0{pii_rnd.randint(1, 4)}"
            rec.pii.append(("address", "room", room))
            location = location.replace("附近", room + "门口")
        rows.append(
            {
                "上报编号": rec.record_id,
                "上报时间": rec.created_at,
                "上报人": f["contact"] or "",
                "问题类型": f["category"],
                "问题描述": text,
                "所在网格": rec.grid.grid_id,
                "位置描述": location,
                "处置状态": f["status"],
                "处置完成时间": f["closed_at"],
            }
        )
    make_bad = {
        "bad_time": lambda row: row.update({"上报时间": rnd.choice(_BAD_TIMES)}),
        "unknown_grid": lambda row: row.update({"所在网格": f"ZZ{rnd.randint(10, 99)}{rnd.randint(10, 99)}"}),
    }
    rows, bad_rows = _inject_bad_rows(rows, bad, "上报编号", rnd, make_bad)
    cells = []
    for row in rows:
        row_cells: list[tuple[int, int, object]] = []
        for j, key in enumerate(SNAPSHOT_HEADER):
            value = row[key]
            if isinstance(value, dt.datetime):
                style = rnd.random() if key == "上报时间" else 0.0
                if style < 0.6:
                    row_cells.append((j, _DATE, value))
                elif style < 0.75:
                    row_cells.append((j, _NUMBER, (value - _EXCEL_EPOCH).total_seconds() / 86400))
                elif style < 0.9:
                    row_cells.append((j, _STRING, _slash(value)))
                else:
                    row_cells.append((j, _STRING, f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"))
            elif value is None or value == "":
                continue
            else:
                row_cells.append((j, _STRING, str(value)))
        cells.append(tuple(row_cells))
    return Chunk(len(rows), tuple(bad_rows), cells=tuple(cells))


class SnapshotBook:
    """A 随手拍 workbook written row by row (constant memory): a title row, the header, the chunks' cells as
    they come, and on :meth:`close` the empty formatted rows real exports end with.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "snapshot.xlsx"
    >>> book = SnapshotBook(path, "明湖区“随手拍”问题清单")
    >>> book.append(Chunk(1, (), cells=(((0, _STRING, "SSP2611000001"),),)))
    >>> book.rows, book.close() or path.exists()
    (1, True)
    """

    def __init__(self, path: Path, title: str) -> None:
        self.workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        self.workbook.set_properties({"created": dt.datetime(2026, 1, 1)})  # same bytes for the same seed
        self.sheet = self.workbook.add_worksheet("随手拍问题清单")
        self.date_format = self.workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.empty_format = self.workbook.add_format({"border": 1})
        self.sheet.write_row(0, 0, [title])
        self.sheet.write_row(1, 0, SNAPSHOT_HEADER)
        self.rows = 0

    def append(self, chunk: Chunk) -> None:
        if self.rows + chunk.rows > SNAPSHOT_MAX_RECORDS:
            raise ValueError(f"a worksheet holds {SNAPSHOT_MAX_RECORDS:,} reports here, not {self.rows + chunk.rows:,}")
        sheet = self.sheet
        for i, row in enumerate(chunk.cells, start=2 + self.rows):
            for j, kind, value in row:
                if kind == _DATE:
                    sheet.write_datetime(i, j, value, self.date_format)
                elif kind == _NUMBER:
                    sheet.write_number(i, j, value)
                else:
                    sheet.write_string(i, j, value)
        self.rows += chunk.rows

    def close(self) -> None:
        for i in range(self.rows + 2, self.rows + 2 + 400):  # empty rows that still carry a format
            self.sheet.write_blank(i, 0, None, self.empty_format)
        self.workbook.close()


def write_snapshot(
    records: list[SynthRecord],
    path: Path,
    rnd: random.Random,
    title: str,
    pii_rnd: random.Random | None = None,
) -> list[BadRow]:
    chunk = snapshot_chunk(records, rnd, pii_rnd or random.Random(0), BAD_ROWS[SNAPSHOT_FILE], opencc.OpenCC("s2t"))
    book = SnapshotBook(path, title)
    book.append(chunk)
    book.close()
    return [BadRow(SNAPSHOT_FILE, i + 3, reason, rid) for i, reason, rid in chunk.bad]


def visit_chunk(records: list[SynthRecord], rnd: random.Random, bad: dict[str, int]) -> Chunk:
    """The grid visits of ``records`` as JSON lines (UTF-8), with ``bad`` bad rows (by reason) among them."""
    rows = []
    for rec in records:
        f = rec.fields
        rows.append(
            {
                "走访编号": rec.record_id,
                "走访时间": _iso(rec.created_at),
                "网格员": f.get("grid_worker_written", f["grid_worker"]),
                "网格编号": rec.grid.grid_id,
                "小区": rec.compound,
                "楼栋": f.get("building_written", f"{rec.building}栋"),
                "房号": f["room"],
                "走访对象": f["target"],
                "走访情况": rec.text,
                "发现问题": f["found_problem"],
                "处理情况": f["outcome"],
                "办结时间": _iso(f["closed_at"]) or None,
                "办结层级": f["resolved_level"],
            }
        )
    make_bad = {
        "bad_time": lambda row: row.update({"走访时间": rnd.choice(_BAD_TIMES)}),
        "unknown_grid": lambda row: row.update({"网格编号": f"XX{rnd.randint(1000, 9999)}"}),
    }
    rows, bad_rows = _inject_bad_rows(rows, bad, "走访编号", rnd, make_bad)
    data = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode("utf-8")
    return Chunk(len(rows), tuple(bad_rows), data=data)


def write_visits(records: list[SynthRecord], path: Path, rnd: random.Random) -> list[BadRow]:
    chunk = visit_chunk(records, rnd, BAD_ROWS[VISIT_FILE])
    path.write_bytes(chunk.data)
    return [BadRow(VISIT_FILE, i + 1, reason, rid) for i, reason, rid in chunk.bad]
