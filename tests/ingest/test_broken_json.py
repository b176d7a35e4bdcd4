"""Broken and unusual JSON exports: arrays, GB18030, key variants, oversize and foreign lines."""

import json

import pytest
from tests.ingest.files import assert_no_value_in_messages, prepare, rejects

from demandlab.ingest import IngestError, read_table
from demandlab.ingest.limits import MAX_FIELD_BYTES


def _visit(i: int, **extra) -> dict:
    return {"走访编号": f"Z{i}", "走访时间": f"2025-03-{i:02d} 10:00", "走访情况": f"第{i}户楼道堆物", **extra}


def _lines(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_a_pretty_printed_json_array_loads_with_the_line_each_object_starts_on(tmp_path):
    path = tmp_path / "visits.json"
    path.write_text(json.dumps([_visit(1), _visit(2), _visit(3, 网格员="李")], ensure_ascii=False, indent=2), "utf-8")
    prepared = prepare(path)
    # "[" is line 1; each object of five (six) keys takes five (six) lines
    assert prepared.accepted.select("record_id", "row_number").rows() == [("Z1", 2), ("Z2", 7), ("Z3", 12)]
    assert prepared.accepted["grid_worker"].to_list() == [None, None, "李"]


def test_a_json_array_that_is_cut_short_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "cut.json"
    text = json.dumps([_visit(1), _visit(2)], ensure_ascii=False, indent=2)
    path.write_text(text[:-40], "utf-8")
    with pytest.raises(IngestError, match="不是有效的 JSON 数组（第 9 行附近出错）") as info:
        read_table(path)
    assert info.value.reason == "unreadable_json"


def test_gb18030_json_lines_load(tmp_path):
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(_lines([_visit(1), _visit(2)]).encode("gb18030"))
    table = read_table(path)
    assert table.encoding == "gb18030"
    prepared = prepare(path)
    assert prepared.accepted["text"].to_list() == ["第1户楼道堆物", "第2户楼道堆物"]


def test_a_key_with_a_trailing_space_or_full_width_letters_does_not_lose_the_other_rows(tmp_path):
    rows = [_visit(i) for i in range(1, 19)]
    rows[3] = {"走访编号 ": "Z4", "走访时间": "2025-03-04 10:00", "走访情况": "正常"}
    rows[7] = {"走访编号": "Z8", "走访时间\u3000": "2025-03-08 10:00", "走访情况": "正常", "ＩＤ": "x"}
    path = tmp_path / "variants.jsonl"
    path.write_text(_lines(rows), "utf-8")
    prepared = prepare(path)
    assert prepared.rejects.height == 0
    assert prepared.accepted["record_id"].to_list() == [f"Z{i}" for i in range(1, 19)]
    assert json.loads(prepared.accepted.filter(prepared.accepted["record_id"] == "Z8")["extra"][0]) == {"ID": "x"}


def test_broken_foreign_and_oversize_lines_cost_only_themselves(tmp_path):
    path = tmp_path / "mixed.jsonl"
    with path.open("wb") as out:
        out.write(_lines([_visit(1)]).encode())
        out.write(_lines([_visit(2)]).encode("gb18030"))  # line 2: another encoding
        out.write(b'{"\xe8\xb5\xb0\xe8\xae\xbf\xe7\xbc\x96\xe5\x8f\xb7": "Z3", \n')  # line 3: cut short
        out.write(_lines([_visit(4, 走访情况="漏\x00水")]).replace("\\u0000", "\x00").encode())  # line 4: a NUL
        out.write(b"[1, 2]\n")  # line 5: not an object
        out.write(_lines([_visit(6, 走访情况="楼" * (MAX_FIELD_BYTES // 2))]).encode())  # line 6: 1.5 MB
        out.write(b"\n")  # line 7: blank
        out.write(_lines([_visit(8)]).encode())
    prepared = prepare(path)
    assert rejects(prepared) == [
        (2, "bad_encoding"),
        (3, "malformed_row"),
        (4, "nul_byte"),
        (5, "malformed_row"),
        (6, "field_too_large"),
    ]
    assert prepared.accepted.select("record_id", "row_number").rows() == [("Z1", 1), ("Z8", 8)]
    assert json.loads(prepared.rejects["raw"][0])["走访情况"] == "第2户楼道堆物"  # decoded, not ????
    assert prepared.rejects["message"].to_list()[:2] == [
        "该行含有不是 UTF-8 编码的字节（按 GB18030 可以读出，像是混入了另一种编码的行），未导入",
        "不是有效的 JSON（可能被截断或缺少引号、括号）",
    ]
    assert_no_value_in_messages(prepared)


@pytest.mark.parametrize("chunk", [1, 2, 3, 50_000])
def test_json_lines_held_a_chunk_at_a_time_read_as_one_frame(tmp_path, monkeypatch, chunk):
    """Objects become a frame every CHUNK_ROWS rows (a file of 1.25 million held as dicts took 3.4 GiB): keys a
    later chunk brings first, keys a chunk lacks, a blank and a broken line between chunks, and a key spelled two
    ways give the frame of one chunk — columns in the order keys first appear, rows in file order."""
    from demandlab.ingest import jsonfile

    rows = [_visit(1), _visit(2), _visit(3, 网格员="李"), _visit(4), _visit(5, **{"小区 ": "翠湖", "网格员": None})]
    text = _lines(rows[:2]) + "\n" + "{broken\n" + _lines(rows[2:])
    path = tmp_path / "visits.jsonl"
    path.write_text(text, "utf-8")
    monkeypatch.setattr(jsonfile, "CHUNK_ROWS", chunk)
    table = jsonfile.read_json(path)
    assert table.frame.columns == ["走访编号", "走访时间", "走访情况", "网格员", "小区", "__row"]
    assert table.frame.rows() == [
        ("Z1", "2025-03-01 10:00", "第1户楼道堆物", None, None, 1),
        ("Z2", "2025-03-02 10:00", "第2户楼道堆物", None, None, 2),
        ("Z3", "2025-03-03 10:00", "第3户楼道堆物", "李", None, 5),
        ("Z4", "2025-03-04 10:00", "第4户楼道堆物", None, None, 6),
        ("Z5", "2025-03-05 10:00", "第5户楼道堆物", None, "翠湖", 7),
    ]
    assert table.blank_rows == 1 and [b.row for b in table.broken] == [4]


def test_json_lines_with_only_broken_lines_give_a_frame_without_rows(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text("{broken\n[1, 2]\n", "utf-8")
    from demandlab.ingest import jsonfile

    table = jsonfile.read_json(path)
    assert table.frame.columns == ["__row"] and table.frame.height == 0 and len(table.broken) == 2
