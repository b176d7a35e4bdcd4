"""Workbooks as people and scripts really make them: duplicate headers, hidden sheets, merged
cells, formulas never computed, passwords, and a zip bomb."""

import json
import time
import tracemalloc

import pytest
from tests.ingest.files import (
    assert_no_value_in_messages,
    drop_cached_formula_values,
    encrypted_office_file,
    ods,
    prepare,
    rejects,
    rewrite_part,
    xlsx,
    zip_bomb,
)

from demandlab.ingest import IngestError, read_table, read_tables
from demandlab.ingest.limits import MAX_CELL_CHARS, MAX_STORED_CHARS

HEADER = ["工单编号", "来电时间", "诉求内容", "社区"]


def _row(i: int, text: str = "楼道堆物", community: str | None = "白鹭社区") -> list:
    return [f"GD{i}", f"2025/3/{i} 10:00", text, community]


def test_duplicate_headers_keep_both_columns_and_map_the_first(tmp_path):
    path = xlsx(tmp_path / "dup.xlsx", {"工单": [[*HEADER, "诉求内容"], [*_row(1), "补充：楼上也漏"]]})
    prepared = prepare(path)
    row = prepared.accepted.row(0, named=True)
    assert row["text"] == "楼道堆物"
    assert json.loads(row["extra"]) == {"诉求内容_2": "补充：楼上也漏"}
    assert prepared.warnings.select("row_number", "sheet", "column_name", "reason").rows() == [
        (1, "工单", "诉求内容_2", "duplicate_header")
    ]


def test_hidden_sheets_are_skipped_with_a_warning_unless_asked_for(tmp_path):
    sheets = {"三月": [HEADER, _row(1)], "旧数据": [HEADER, _row(2), _row(3)], "四月": [HEADER, _row(4)]}
    path = xlsx(tmp_path / "hidden.xlsx", sheets, hidden=("旧数据",))
    prepared = prepare(path)
    assert prepared.accepted["record_id"].to_list() == ["GD1", "GD4"]
    assert prepared.warnings.select("sheet", "reason", "message").rows() == [
        ("旧数据", "hidden_sheet", "隐藏的工作表，未导入（如需导入，请用 --sheet 指定）")
    ]
    assert prepare(path, sheet="旧数据").accepted["record_id"].to_list() == ["GD2", "GD3"]


def test_a_workbook_whose_only_records_are_hidden_says_so(tmp_path):
    path = xlsx(
        tmp_path / "only_hidden.xlsx", {"说明": [["本表为导出说明"]], "数据": [HEADER, _row(1)]}, hidden=("数据",)
    )
    with pytest.raises(IngestError, match="只有隐藏的工作表含有记录（1 个）：请用 --sheet 指定") as info:
        read_tables(path, known_headers=set(HEADER))
    assert info.value.reason == "only_hidden_sheets"


def test_merged_cells_fill_their_range_with_a_warning(tmp_path):
    # 社区 merged over three rows, as a report groups them; one text merged over two rows
    rows = [["明湖区工单"], HEADER, _row(1, community=None), _row(2, community=None), _row(3, community=None)]
    rows += [_row(4, text=None), _row(5, text=None), _row(6)]
    merges = [
        ("工单", 2, 3, 4, 3, "白鹭社区"),
        ("工单", 5, 2, 6, 2, "两户共用的水管漏水"),
        ("工单", 0, 0, 0, 3, "明湖区工单"),
    ]
    path = xlsx(tmp_path / "merged.xlsx", {"工单": rows}, merges=merges)
    prepared = prepare(path)
    assert prepared.rejects.height == 0  # before: rows 4 to 5 of 社区 empty, rows 6 to 7 empty_text
    accepted = prepared.accepted.select("record_id", "community", "text", "row_number").rows()
    assert accepted[:5] == [
        ("GD1", "白鹭社区", "楼道堆物", 3),
        ("GD2", "白鹭社区", "楼道堆物", 4),
        ("GD3", "白鹭社区", "楼道堆物", 5),
        ("GD4", "白鹭社区", "两户共用的水管漏水", 6),
        ("GD5", "白鹭社区", "两户共用的水管漏水", 7),
    ]
    assert prepared.warnings.select("row_number", "column_name", "reason", "message").rows() == [
        (3, "社区", "merged_cells", "社区：合并单元格（第 3–5 行），已把合并的值填入区域内每个单元格"),
        (6, "诉求内容", "merged_cells", "诉求内容：合并单元格（第 6–7 行），已把合并的值填入区域内每个单元格"),
    ]


def test_a_sheet_that_starts_in_column_c_fills_merges_in_the_right_column(tmp_path):
    rows = [[None, None, *HEADER], [None, None, *_row(1, community=None)], [None, None, *_row(2, community=None)]]
    path = xlsx(tmp_path / "offset.xlsx", {"工单": rows}, merges=[("工单", 1, 5, 2, 5, "白鹭社区")])
    prepared = prepare(path)
    assert prepared.accepted.select("community", "text").rows() == [("白鹭社区", "楼道堆物")] * 2


def test_formulas_without_a_cached_value_are_named_with_a_hint(tmp_path):
    rows = [
        [*HEADER, "诉求分类"],
        [*_row(1), '="环境"&"卫生"'],
        ['="GD"&"2"', *_row(2)[1:], "噪音"],
        [*_row(3), "市容"],
    ]
    path = xlsx(tmp_path / "formulas.xlsx", {"工单": rows})
    rewrite_part(path, "xl/worksheets/sheet1.xml", drop_cached_formula_values)
    prepared = prepare(path)
    hint = "公式没有缓存值：请在 Excel 中打开并保存后再导出"
    assert prepared.rejects.select("row_number", "column_name", "reason", "message").rows() == [
        (3, "工单编号", "formula_no_value", f"工单编号：{hint}")
    ]
    assert prepared.warnings.select("row_number", "column_name", "reason", "message").rows() == [
        (2, "诉求分类", "formula_no_value", f"诉求分类：{hint}")
    ]
    assert prepared.accepted.select("record_id", "category").rows() == [("GD1", None), ("GD3", "市容")]


def test_formulas_with_their_cached_value_read_as_values(tmp_path):
    path = xlsx(tmp_path / "computed.xlsx", {"工单": [[*HEADER, "诉求分类"], [*_row(1), ('="环"&"境"', "环境")]]})
    prepared = prepare(path)
    assert (prepared.rejects.height, prepared.warnings.height) == (0, 0)
    assert prepared.accepted["category"].to_list() == ["环境"]


def test_an_encrypted_workbook_is_refused_with_what_to_do(tmp_path):
    path = encrypted_office_file(tmp_path / "加密.xlsx")
    with pytest.raises(IngestError, match="工作簿设置了打开密码（已加密），无法读取") as info:
        read_table(path)
    assert info.value.reason == "encrypted_workbook" and "加密.xlsx" in str(info.value)


def test_a_zip_bomb_is_refused_from_the_zip_directory_before_any_part_is_read(tmp_path):
    path = zip_bomb(tmp_path / "bomb.xlsx", [HEADER, _row(1)])
    assert path.stat().st_size < 400_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(IngestError, match="压缩比异常") as info:
        read_table(path)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert info.value.reason == "workbook_too_large"
    assert elapsed < 1 and peak < 10 << 20


def test_a_cell_beyond_excels_limit_rejects_its_row_and_is_stored_cut(tmp_path):
    path = xlsx(tmp_path / "big_cell.xlsx", {"工单": [HEADER, _row(1), _row(2, text="PLACEHOLDER"), _row(3)]})
    rewrite_part(
        path, "xl/sharedStrings.xml", lambda d: d.replace(b"PLACEHOLDER", "楼".encode() * (MAX_CELL_CHARS + 1))
    )
    prepared = prepare(path)
    assert prepared.rejects.select("row_number", "column_name", "reason", "message").rows() == [
        (3, "诉求内容", "cell_too_large", "诉求内容：单元格超过 32,767 个字符（Excel 的上限），可能是损坏或异常的文件")
    ]
    assert len(prepared.rejects["value"][0]) == MAX_STORED_CHARS
    assert prepared.accepted["row_number"].to_list() == [2, 4]
    assert rejects(prepared) == [(3, "cell_too_large")]
    assert_no_value_in_messages(prepared)


def test_header_cells_with_spaces_and_full_width_brackets_are_mapped(tmp_path):
    path = xlsx(
        tmp_path / "variants.xlsx", {"工单": [["工单编号 ", "来电时间", "诉求内容\u3000", "备注（内部）"], _row(1)]}
    )
    table = read_table(path)
    assert table.headers == ["工单编号", "来电时间", "诉求内容", "备注(内部)"]
    assert prepare(path).accepted["record_id"].to_list() == ["GD1"]


def test_an_opendocument_spreadsheet_loads_like_a_workbook(tmp_path):
    path = ods(tmp_path / "wps.ods", {"说明": [["导出说明"]], "工单": [["明湖区工单"], HEADER, _row(1), ["GD2", "坏"]]})
    prepared = prepare(path)
    assert prepared.accepted.select("record_id", "row_number").rows() == [("GD1", 3)]
    assert prepared.rejects.select("sheet", "row_number", "reason").rows() == [("工单", 4, "bad_time")]
