"""Broken CSV files: each defect costs only its own line, reported on the line a text editor shows.

Every test asserts rows read = accepted + rejected (in ``prepare``), which line was rejected and
why, and the row numbers of what loaded.
"""

import csv
import io
import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ingest.files import assert_no_value_in_messages, prepare, rejects

from demandlab.ingest import csvfile, read_table
from demandlab.ingest.limits import MAX_FIELD_BYTES, MAX_STORED_CHARS

HEADER = "工单编号,来电时间,诉求内容,回访满意度\n"


def _row(i: int, text: str = "楼道堆物") -> str:
    return f"GD{i},2025/3/{i % 28 + 1} 10:00:00,{text},满意\n"


def test_two_gb18030_lines_in_a_utf8_file_cost_only_those_lines(tmp_path):
    path = tmp_path / "mixed.csv"
    lines = [_row(1, "电梯坏了").encode(), _row(2, "油烟扰民").encode("gb18030"), _row(3, "路灯不亮").encode()]
    lines += [_row(4, "噪音").encode(), _row(5, "漏水严重").encode("gb18030"), _row(6, "垃圾满了").encode()]
    path.write_bytes(HEADER.encode() + b"".join(lines))
    prepared = prepare(path)
    assert rejects(prepared) == [(3, "bad_encoding"), (6, "bad_encoding")]
    assert prepared.accepted.select("record_id", "row_number").rows() == [
        ("GD1", 2),
        ("GD3", 4),
        ("GD4", 5),
        ("GD6", 7),
    ]
    # the restricted copy of the line is decoded as what it is, not as ????
    assert [r.split(",")[2] for r in prepared.rejects["raw"]] == ["油烟扰民", "漏水严重"]
    assert (
        prepared.rejects["message"][0]
        == "该行含有不是 UTF-8 编码的字节（按 GB18030 可以读出，像是混入了另一种编码的行），未导入"
    )
    assert_no_value_in_messages(prepared)


def test_gb18030_lines_after_the_first_megabyte_of_a_utf8_file_are_decoded_for_the_reject(tmp_path):
    path = tmp_path / "late.csv"
    body = "".join(_row(i, "楼道里飞线充电很危险") for i in range(1, 40_001))  # UTF-8 Chinese, over 1 MB
    path.write_bytes((HEADER + body).encode() + _row(40_001, "油烟扰民").encode("gb18030") + _row(40_002).encode())
    prepared = prepare(path)
    assert rejects(prepared) == [(40_002, "bad_encoding")]
    assert prepared.rejects["raw"][0].split(",")[2] == "油烟扰民"
    assert prepared.accepted.height == 40_001 and prepared.accepted["row_number"][-1] == 40_003


def test_a_gb18030_file_whose_first_megabyte_is_ascii_is_decoded_whole(tmp_path):
    path = tmp_path / "ascii_first.csv"
    body = "".join(f"GD{i},2025/3/1 10:00:00,abc,\n" for i in range(60_000))
    path.write_bytes((HEADER + body + "GDX,2025/3/1 10:00:00,油烟扰民,满意\n").encode("gb18030"))
    prepared = prepare(path)
    assert prepared.rejects.height == 0
    assert prepared.accepted.filter(prepared.accepted["record_id"] == "GDX")["text"].to_list() == ["油烟扰民"]


def test_nul_bytes_cost_only_their_line(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes((HEADER + _row(1) + "GD2,2025/3/2 10:00:00,漏\x00水,满意\n" + _row(3)).encode())
    prepared = prepare(path)
    assert rejects(prepared) == [(3, "nul_byte")]
    assert prepared.accepted["row_number"].to_list() == [2, 4]
    assert prepared.rejects["raw"][0] == "GD2,2025/3/2 10:00:00,漏水,满意"


def test_a_40_mb_field_is_refused_on_its_true_line_without_being_kept(tmp_path):
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + _row(1) + _row(2))
        out.write("GD3,2025/3/3 10:00:00," + "楼" * 14_000_000 + ",满意\n")  # 42 MB on line 4
        out.write(_row(4))
    prepared = prepare(path)
    assert rejects(prepared) == [(4, "field_too_large")]
    assert prepared.rejects["message"][0] == "该行超过 1 MiB 的上限，未读取（可能是损坏或异常的文件）"
    assert len(prepared.rejects["raw"][0]) <= MAX_STORED_CHARS
    assert prepared.accepted["row_number"].to_list() == [2, 3, 5]


def test_a_value_over_the_limit_spread_over_short_lines_is_refused_with_its_column(tmp_path):
    path = tmp_path / "long_value.csv"
    piece = "楼" * 200_000  # 600 KB a line: each line is under the limit, the value is not
    path.write_text(HEADER + _row(1) + f'GD2,2025/3/2 10:00:00,"{piece}\n{piece}",满意\n' + _row(3), encoding="utf-8")
    prepared = prepare(path)
    assert prepared.rejects.select("row_number", "column_name", "reason").rows() == [(3, "诉求内容", "field_too_large")]
    assert (
        prepared.rejects["message"][0]
        == f"诉求内容：字段超过 {MAX_FIELD_BYTES >> 20} MiB 的上限，可能是损坏或异常的文件"
    )
    assert len(prepared.rejects["value"][0]) == MAX_STORED_CHARS
    assert all(len(v) <= MAX_STORED_CHARS for v in json.loads(prepared.rejects["raw"][0]).values())
    assert prepared.accepted["row_number"].to_list() == [2, 5]


def test_the_sep_line_excel_writes_is_honoured(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        "sep=;\n工单编号;来电时间;诉求内容\nGD1;2025/3/1 10:00;漏水，很严重\nGD2;2025/3/2 10:00;噪音\n", "utf-8"
    )
    table = read_table(path)
    assert (table.header_row, table.headers) == (2, ["工单编号", "来电时间", "诉求内容"])
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "text", "row_number").rows() == [
        ("GD1", "漏水，很严重", 3),
        ("GD2", "噪音", 4),
    ]


def test_a_header_on_row_23_is_found(tmp_path):
    path = tmp_path / "titled.csv"
    notes = "".join(f"说明第{i}行,,\n" for i in range(1, 21)) + "明湖区12345工单导出\n导出时间：2025年3月5日\n"
    path.write_text(
        notes + "工单编号,来电时间,诉求内容\nGD1,2025/3/1 10:00,漏水\nGD2,二\nGD3,2025/3/3 10:00,噪音\n", "utf-8"
    )
    prepared = prepare(path)
    assert read_table(path, known_headers={"工单编号", "来电时间", "诉求内容"}).header_row == 23
    assert rejects(prepared) == [(25, "malformed_row")]
    assert prepared.accepted["row_number"].to_list() == [24, 26]


def test_mixed_line_endings_keep_their_line_numbers(tmp_path):
    path = tmp_path / "newlines.csv"
    path.write_bytes(
        ("工单编号,来电时间,诉求内容\r\nGD1,2025/3/1,一\nGD2,2025/3/2,二\rGD3,2025/3/3,三\r\nGD4,四\n").encode()
    )
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "row_number").rows() == [("GD1", 2), ("GD2", 3), ("GD3", 4)]
    assert rejects(prepared) == [(5, "malformed_row")]


def test_ragged_rows_are_one_reject_per_line_however_many_columns_they_lack(tmp_path):
    header = ["工单编号", "来电时间", "诉求内容", *[f"备注{i}" for i in range(22)]]
    lines = [",".join(header)]
    for i in range(300):
        full = [f"GD{i}", "2025/3/1 10:00", "漏水", *["x"] * 22]
        lines.append(",".join(full[:2] if i % 10 == 0 else full + (["多余"] if i % 10 == 5 else [])))
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    prepared = prepare(path)
    assert prepared.rows_read == 300
    assert rejects(prepared) == [(i + 2, "malformed_row") for i in range(300) if i % 10 in (0, 5)]
    assert prepared.rejects["message"][:2].to_list() == ["列数比表头少（表头 25 列）", "列数比表头多（表头 25 列）"]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_line_breaks_inside_quotes_and_blank_lines_keep_true_line_numbers(tmp_path, newline):
    path = tmp_path / "multiline.csv"
    path.write_text(
        HEADER + '"GD1",2025/3/1 10:00,"第一行\n第二行\n第三行",满意\n\nGD2,2025/3/2 10:00,噪音,满意\nGD3,坏行\n'
        '\n\nGD4,2025/3/4 10:00,"又一\n条",满意\nGD5,2025/3/5 10:00,漏水,满意\n\n\n',
        encoding="utf-8",
        newline=newline,
    )
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "row_number").rows() == [
        ("GD1", 2),
        ("GD2", 6),
        ("GD4", 10),
        ("GD5", 12),
    ]
    assert rejects(prepared) == [(7, "malformed_row")]
    assert prepared.accepted["text"][0] == newline.join(["第一行", "第二行", "第三行"])


def test_duplicate_headers_keep_both_columns(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text(
        "工单编号,来电时间,诉求内容,诉求内容,备注\nGD1,2025/3/1 10:00,漏水,补充：三楼,无\n", encoding="utf-8"
    )
    prepared = prepare(path)
    row = prepared.accepted.row(0, named=True)
    assert row["text"] == "漏水"
    assert json.loads(row["extra"]) == {"诉求内容_2": "补充：三楼", "备注": "无"}
    assert prepared.warnings.select("row_number", "column_name", "reason", "message").rows() == [
        (
            1,
            "诉求内容_2",
            "duplicate_header",
            "表头「诉求内容」重复：第 4 列改名为「诉求内容_2」（保存在 extra 中），映射使用第一列",
        )
    ]


def test_header_variants_are_normalised_before_mapping(tmp_path):
    path = tmp_path / "variants.csv"
    path.write_text(
        " 工单编号 ,来电时间\u3000,诉求内容\u200b,回访满意度（结果）\nGD1,2025/3/1 10:00,漏水,满意\n", "utf-8"
    )
    table = read_table(path)
    assert table.headers == ["工单编号", "来电时间", "诉求内容", "回访满意度(结果)"]
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "text").rows() == [("GD1", "漏水")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_every_encoding_gives_the_same_rows_and_lines(tmp_path, encoding):
    path = tmp_path / f"{encoding}.csv"
    path.write_bytes((HEADER + _row(1, "电梯坏了") + "GD2,二\n" + _row(3, "油烟")).encode(encoding))
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "text", "row_number").rows() == [
        ("GD1", "电梯坏了", 2),
        ("GD3", "油烟", 4),
    ]
    assert rejects(prepared) == [(3, "malformed_row")]


cell = st.text(alphabet=st.sampled_from(list('楼道漏水噪音ab1 ,"\n')), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(st.tuples(st.booleans(), cell), min_size=1, max_size=15),
    newline=st.sampled_from(["\n", "\r\n"]),
    blank_after=st.sets(st.integers(0, 14), max_size=3),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_every_row_and_reject_is_numbered_by_its_physical_line(tmp_path_factory, rows, newline, blank_after, encoding):
    """Line breaks inside quoted fields, blank lines and short rows in any order: the numbers a text editor shows."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(["工单编号", "来电时间", "诉求内容"])
    line, expected_rows, expected_rejects = 2, [], []
    for i, (good, text) in enumerate(rows):
        before = out.tell()
        writer.writerow([f"GD{i}", "2025/3/1 10:00", "诉" + text] if good else [f"GD{i}"])
        (expected_rows if good else expected_rejects).append(line)
        line += out.getvalue()[before:].count("\n")
        if i in blank_after:
            out.write(newline)
            line += 1
    path = tmp_path_factory.mktemp("prop") / "rows.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    prepared = prepare(path)
    assert prepared.accepted["row_number"].to_list() == expected_rows
    assert prepared.rejects["row_number"].to_list() == expected_rejects


def test_the_fallback_reader_gives_what_duckdb_gives(tmp_path, monkeypatch):
    """Where DuckDB cannot make sense of a file, Python's csv module reads it: same rows, same lines."""
    path = tmp_path / "both.csv"
    path.write_text(
        "说明\n" + HEADER + _row(1) + 'GD2,2025/3/2 10:00:00,"两行\n文字",满意\n\nGD3,坏\n' + _row(4) + "GD5,a,b,c,d\n",
        encoding="utf-8",
    )
    by_duckdb = prepare(path)

    def refuse(*args):
        raise csvfile._Unreadable

    monkeypatch.setattr(csvfile, "_duckdb_read", refuse)
    by_python = prepare(path)
    columns = ["record_id", "text", "row_number"]
    assert by_python.accepted.select(columns).rows() == by_duckdb.accepted.select(columns).rows()
    assert by_python.accepted.select(columns).rows() == [
        ("GD1", "楼道堆物", 3),
        ("GD2", "两行\n文字", 4),
        ("GD4", "楼道堆物", 8),
    ]
    assert rejects(by_python) == rejects(by_duckdb) == [(7, "malformed_row"), (9, "malformed_row")]


def test_reading_a_file_shows_no_progress_bar(tmp_path):
    """``demandlab ingest --json`` writes its results to standard output, where DuckDB draws its progress bar for
    a slow read (a file of millions of rows): the reader's connection has it off when it reads. In a process of
    its own: under pytest DuckDB leaves the bar off by itself."""
    path = tmp_path / "orders.csv"
    path.write_text(HEADER + "".join(_row(i) for i in range(1, 100)), encoding="utf-8")
    program = f"""
from demandlab.ingest import csvfile, read_table
real, seen = csvfile.duckdb.connect, []
class Watched:
    def __init__(self, con):
        self.con = con
    def __getattr__(self, name):
        return getattr(self.con, name)
    def sql(self, *args, **kwargs):
        seen.append(self.con.sql("select current_setting('enable_progress_bar')").fetchall()[0][0])
        return self.con.sql(*args, **kwargs)
csvfile.duckdb.connect = lambda *a, **k: Watched(real(*a, **k))
assert read_table({str(path)!r}).frame.height == 99
assert seen and not any(seen), seen
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
