import json

import polars as pl
import pytest
import xlsxwriter

from demandlab.ingest.readers import ROW, IngestError, read_table, sniff_encoding

HEADER = "工单编号,来电时间,诉求内容\n"
ROWS = "GD1,2025/3/1 10:00:00,楼道里飞线充电\nGD2,2025/3/2 11:00:00,电梯又坏了😡\n"


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030")]
)
def test_csv_in_every_common_encoding_reads_the_same(tmp_path, encoding, expected):
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + ROWS).encode(encoding))
    table = read_table(path)
    assert table.encoding == expected
    assert table.headers == ["工单编号", "来电时间", "诉求内容"]
    assert table.frame["诉求内容"].to_list() == ["楼道里飞线充电", "电梯又坏了😡"]
    assert table.frame[ROW].to_list() == [2, 3]
    assert sniff_encoding(path) == expected


def test_gb18030_after_the_first_megabyte_is_still_decoded(tmp_path):
    path = tmp_path / "late.csv"
    body = "".join(f"GD{i},2025/3/1 10:00:00,abc\n" for i in range(60_000))  # ASCII for over 1 MB
    path.write_bytes((HEADER + body + "GDX,2025/3/1 10:00:00,油烟扰民\n").encode("gb18030"))
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.frame["诉求内容"][-1] == "油烟扰民"


def test_malformed_csv_lines_come_back_with_their_row_numbers(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(HEADER + "GD1,2025/3/1,一\nGD2,只有两列\nGD3,2025/3/3,三\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame["工单编号"].to_list() == ["GD1", "GD3"]
    assert table.frame[ROW].to_list() == [2, 4]
    assert [(b.row, b.reason) for b in table.broken] == [(3, "malformed_row")]


def test_excel_with_a_title_row_mixed_dates_and_trailing_formatted_rows(tmp_path):
    path = tmp_path / "snap.xlsx"
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet("清单")
    fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_row(0, 0, ["明湖区随手拍问题清单"])
    sheet.write_row(1, 0, ["上报编号", "上报时间", "问题描述"])
    sheet.write_row(2, 0, ["S1", "2025/3/1 10:00", "路灯不亮"])
    sheet.write(3, 0, "S2")
    sheet.write_number(3, 1, 45717.5, fmt)
    sheet.write(3, 2, "垃圾满了")
    for r in range(4, 300):
        sheet.write_blank(r, 0, None, book.add_format({"border": 1}))
    book.close()
    table = read_table(path, known_headers={"上报编号", "上报时间", "问题描述"})
    assert table.header_row == 2
    assert table.sheet == "清单"
    assert table.frame["上报编号"].to_list() == ["S1", "S2"]
    assert table.frame[ROW].to_list() == [3, 4]
    assert table.frame["上报时间"][1].startswith("2025-03-01 12:00")


def test_json_lines_keep_line_numbers_and_report_broken_lines(tmp_path):
    path = tmp_path / "visits.jsonl"
    lines = [
        json.dumps({"走访编号": "Z1", "走访情况": "正常", "次数": 2}, ensure_ascii=False),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"走访编号": "Z2", "走访情况": "楼道堆物"}, ensure_ascii=False),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path)
    assert table.frame.select("走访编号", "次数", ROW).rows() == [("Z1", "2", 1), ("Z2", None, 5)]
    assert [(b.row, b.reason) for b in table.broken] == [(3, "malformed_row"), (4, "malformed_row")]
    assert table.blank_rows == 1


def test_parquet_values_become_strings(tmp_path):
    path = tmp_path / "x.parquet"
    pl.DataFrame({"工单编号": ["A"], "点赞数": [3]}).write_parquet(path)
    table = read_table(path)
    assert table.frame.select("工单编号", "点赞数").rows() == [("A", "3")]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.csv", b"", "empty_file"),
        ("binary.csv", b"\x00\x01\x02PK\x00" * 100, "binary_file"),
        ("data.docx", b"PK", "unknown_format"),
        ("truncated.xlsx", b"PK\x03\x04 not really a zip", "unreadable_excel"),
        ("old.xls", b"\xd0\xcf\x11\xe0 cut short", "unreadable_excel"),
    ],
)
def test_files_that_cannot_be_read_raise_a_clear_error_naming_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(IngestError, match=name) as info:
        read_table(path)
    assert info.value.reason == reason
