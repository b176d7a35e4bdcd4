"""Property-based tests over the parsers, and a corpus of broken files.

Whatever a file holds, loading it ends one of two ways: an IngestError naming the file and the
reason with the database unchanged, or a batch where rows read = rows accepted + rows rejected.
"""

import csv
import datetime as dt
import io
import json
import zipfile

import polars as pl
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ingest.files import drop_cached_formula_values, encrypted_office_file, rewrite_part, xlsx

import demandlab as dl
from demandlab.config import Config, PathsConfig, PrivacyConfig
from demandlab.ingest import IngestError
from demandlab.ingest.parse import EXCEL_EPOCH, parse_count, parse_datetime

TABLES = ("raw_records", "rejects", "batches", "load_warnings")
HEADER = ["工单编号", "来电时间", "诉求内容", "回访满意度"]


def _parse(values: list[str | None]) -> list:
    return pl.select(parse_datetime(pl.lit(pl.Series(values, dtype=pl.String)))).to_series().to_list()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(max_size=40)), min_size=1, max_size=20))
def test_parsers_never_raise_on_any_text(values):
    parsed = _parse(values)
    assert len(parsed) == len(values)
    assert all(v is None or isinstance(v, dt.datetime) for v in parsed)
    counts = pl.select(parse_count(pl.lit(pl.Series(values, dtype=pl.String)))).to_series().to_list()
    assert all(c is None or isinstance(c, int) for c in counts)


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2035, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    )
)
def test_every_written_form_of_a_time_reads_back(d):
    full_width = f"{d:%Y-%m-%d %H:%M:%S}".translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789-:"})
    serial = round((d - EXCEL_EPOCH).total_seconds() / 86400, 8)
    forms = [
        f"{d.year}/{d.month}/{d.day} {d:%H:%M:%S}",
        f"{d:%Y-%m-%d %H:%M:%S}",
        f"{d:%Y-%m-%dT%H:%M:%S}",
        f"{d.year}年{d.month}月{d.day}日 {d.hour}时{d.minute}分{d.second}秒",
        full_width,
        f"{serial}",
        f" {d:%Y/%m/%d %H:%M:%S} ",
    ]
    assert _parse(forms) == [d] * len(forms)


@pytest.fixture
def fresh(tmp_path):
    def make():
        root = tmp_path / f"db{len(list(tmp_path.glob('db*')))}"
        cfg = Config(paths=PathsConfig(db=root / "x.duckdb"), privacy=PrivacyConfig(salt_file=root / "salt"))
        return dl.Pipeline(dl.connect(cfg.paths.db), cfg)

    return make


def _outcome(pipe: dl.Pipeline, path) -> str:
    before = {t: pipe.store.count(t) for t in TABLES}
    try:
        report = pipe.ingest(path)
    except IngestError as exc:
        assert path.name in str(exc) and exc.reason
        assert {t: pipe.store.count(t) for t in TABLES} == before, "a failed file changed the database"
        return exc.reason
    assert report.rows_read == report.rows_accepted + report.rows_rejected
    assert pipe.store.count("raw_records") - before["raw_records"] == report.rows_new + report.rows_updated
    assert pipe.store.count("rejects") - before["rejects"] == report.rows_rejected
    return "loaded"


# a bare \r inside an unquoted field is a line break to some readers and not to others (Python's csv
# module does not quote it when the line ends in \n), so exact row counts are checked without it
cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=30)
any_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(st.tuples(st.integers(0, 999), cell, cell, cell), min_size=1, max_size=25),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_csv_loads_completely_or_not_at_all(fresh, tmp_path, rows, encoding, newline):
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(HEADER)
    for i, (n, time, text, satisfaction) in enumerate(rows):
        writer.writerow([f"GD{i}-{n}", time, text, satisfaction])
    path = tmp_path / "any.csv"
    path.write_bytes(buffer.getvalue().encode(encoding))
    pipe = fresh()
    outcome = _outcome(pipe, path)
    if outcome == "loaded":
        assert pipe.store.scalar("select rows_read from batches") == len(rows)
    pipe.store.close()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(any_cell, any_cell, any_cell, any_cell), min_size=1, max_size=10))
def test_any_cells_at_all_never_break_the_count(fresh, tmp_path, rows):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows([HEADER, *rows])
    path = tmp_path / "cells.csv"
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    pipe = fresh()
    _outcome(pipe, path)
    pipe.store.close()


def _xlsx(path, rows):
    book = xlsxwriter.Workbook(path)
    sheet = book.add_worksheet()
    for i, row in enumerate(rows):
        sheet.write_row(i, 0, row)
    book.close()
    return path


def _broken_files(tmp_path):
    tmp_path.mkdir(parents=True, exist_ok=True)
    good_xlsx = _xlsx(tmp_path / "good.xlsx", [HEADER, ["GD1", "2025/3/1 10:00", "漏水", "满意"]])
    data = good_xlsx.read_bytes()
    (tmp_path / "truncated.xlsx").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(tmp_path / "notxlsx.xlsx", "w") as z:
        z.writestr("hello.txt", "not a workbook")
    huge = "楼" * 5_000_000
    files = {
        "empty.csv": b"",
        "header_only.csv": ",".join(HEADER).encode(),
        "binary.csv": bytes(range(256)) * 40,
        "png_named.csv": b"\x89PNG\r\n\x1a\n" + bytes(500),
        "wrong_encoding.csv": (
            ",".join(HEADER) + "\n" + "".join(f"GD{i},2025/3/1,楼道堆物,满意\n" for i in range(200))
        ).encode()
        + b"GDX,2025/3/1,\xff\xfe\xff\xfe\xff,\n",
        "nul_bytes.csv": (",".join(HEADER) + "\nGD1,2025/3/1 10:00,漏\x00水,满意\n").encode(),
        "emoji.csv": (",".join(HEADER) + "\nGD1,2025/3/1 10:00,电梯坏了😡🔥🙏,满意\n").encode(),
        "mixed_newlines.csv": (
            ",".join(HEADER) + "\r\nGD1,2025/3/1 10:00,一,满意\nGD2,2025/3/2 10:00,二,\rGD3,2025/3/3,三,\r\n"
        ).encode(),
        "huge_field.csv": (",".join(HEADER) + f"\nGD1,2025/3/1 10:00,{huge},满意\n").encode(),
        "ragged.csv": (",".join(HEADER) + "\nGD1,2025/3/1 10:00,一,满意\nGD2,二\nGD3,2025/3/3,三,满意,多余\n").encode(),
        "unterminated_quote.csv": (",".join(HEADER) + '\nGD1,2025/3/1 10:00,"没有结束的引号,满意\n').encode(),
        "truncated_gb18030.csv": (
            ",".join(HEADER) + "\nGD0,2025/3/1 10:00,噪音,满意\nGD1,2025/3/1 10:00,油烟,满意"
        ).encode("gb18030")[:-1],
        "broken.jsonl": (
            '{"走访编号": "Z1", "走访时间": "2025-03-01", "走访情况": "正常"}\n{"走访编号": "Z2", "走访'.encode()
        ),
        "not_json.jsonl": b"hello\nworld\n",
        "garbage.parquet": b"PAR1 this is not parquet",
        "notes.txt": "随便写的一段话，没有表格".encode(),
        "unknown.docx": b"PK\x03\x04",
        "latin1.csv": (
            ",".join(HEADER) + "\n" + "\n".join(f"GD{i},2025/3/1,\xe9t\xe9 \xe0 la plage\xff,ok" for i in range(50))
        ).encode("latin-1", errors="replace"),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    _xlsx(tmp_path / "title_only.xlsx", [["明湖区工单导出"]])
    _xlsx(tmp_path / "header_only.xlsx", [HEADER])
    return sorted(p for p in tmp_path.iterdir() if p.suffix and not p.name.startswith("db"))


EXPECTED = {
    "empty.csv": "empty_file",
    "binary.csv": "binary_file",
    "png_named.csv": "binary_file",
    "truncated.xlsx": "unreadable_excel",
    "notxlsx.xlsx": "unreadable_excel",
    "garbage.parquet": "unreadable_parquet",
    "unknown.docx": "unknown_format",
    "not_json.jsonl": "no_header",
    "notes.txt": "no_mapping",
    "title_only.xlsx": "no_mapping",
    "truncated_gb18030.csv": "loaded",
    "latin1.csv": "unknown_encoding",
    "header_only.csv": "loaded",
    "header_only.xlsx": "loaded",
    "emoji.csv": "loaded",
    "huge_field.csv": "loaded",
    "good.xlsx": "loaded",
    "mixed_newlines.csv": "loaded",
    "ragged.csv": "loaded",
    "nul_bytes.csv": "loaded",
    "broken.jsonl": "loaded",
    "wrong_encoding.csv": "loaded",
    "unterminated_quote.csv": "loaded",
}


def test_a_corpus_of_broken_files_never_raises_anything_but_a_clear_error(tmp_path, fresh):
    corpus = _broken_files(tmp_path / "corpus")
    assert {p.name for p in corpus} == set(EXPECTED)
    outcomes = {}
    for path in corpus:
        pipe = fresh()
        outcomes[path.name] = _outcome(pipe, path)
        pipe.store.close()
    assert outcomes == EXPECTED


def test_a_few_undecodable_bytes_cost_only_their_rows(tmp_path, fresh):
    files = {p.name: p for p in _broken_files(tmp_path / "corpus")}
    pipe = fresh()
    report = pipe.ingest(files["wrong_encoding.csv"])
    assert (report.rows_read, report.rows_accepted, report.reasons) == (201, 200, {"bad_encoding": 1})
    assert pipe.store.sql("select row_number, message from rejects").row(0) == (
        202,
        "该行含有不是 UTF-8 编码的字节（可能是文件被截断或损坏），未导入",
    )
    pipe = fresh()
    report = pipe.ingest(files["truncated_gb18030.csv"])
    assert (report.encoding, report.reasons) == ("gb18030", {"bad_encoding": 1})
    assert pipe.store.sql("select row_number, message from rejects").row(0) == (
        3,
        "该行含有不是 GB18030 编码的字节（可能是文件被截断或损坏），未导入",
    )
    pipe = fresh()
    report = pipe.ingest(files["mixed_newlines.csv"])
    assert (report.rows_read, report.rows_accepted) == (3, 3)
    assert pipe.store.sql("select record_id, row_number from raw_records order by 1").rows() == [
        ("GD1", 2),
        ("GD2", 3),
        ("GD3", 4),
    ]


def _more_broken_files(root):
    """The defects of the broken-file corpus (test_broken_*.py), loaded here through the pipeline."""
    root.mkdir(parents=True, exist_ok=True)
    head = ",".join(HEADER) + "\n"
    rows = [f"GD{i},2025/3/{i} 10:00,楼道堆物{i},满意\n" for i in range(1, 6)]
    (root / "gb_lines.csv").write_bytes(
        head.encode() + rows[0].encode() + rows[1].encode("gb18030") + rows[2].encode() + rows[3].encode("gb18030")
    )
    (root / "nul_line.csv").write_bytes((head + rows[0] + "GD9,2025/3/9,漏\x00水,满意\n" + rows[1]).encode())
    (root / "sep_title.csv").write_text(
        "sep=;\n" + "说明;;\n" * 22 + ";".join(HEADER) + "\n" + rows[0].replace(",", ";")
    )
    array = [{"走访编号": f"Z{i}", "走访时间": "2025-03-01", "走访情况": "正常"} for i in range(3)]
    (root / "array.json").write_text(json.dumps(array, ensure_ascii=False, indent=2), "utf-8")
    (root / "cut_array.json").write_text(json.dumps(array, ensure_ascii=False, indent=2)[:-30], "utf-8")
    (root / "gb.jsonl").write_bytes("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in array).encode("gb18030"))
    pl.DataFrame(
        {"工单编号": ["GD1"], "来电时间": [dt.datetime(2025, 3, 1, 2)], "诉求内容": ["漏水"], "标签": [["物业"]]}
    ).with_columns(pl.col("来电时间").dt.replace_time_zone("UTC")).write_parquet(root / "nested.parquet")
    encrypted_office_file(root / "encrypted.xlsx")
    xlsx(
        root / "hidden_only.xlsx",
        {"说明": [["导出说明"]], "数据": [HEADER, ["GD1", "2025/3/1", "漏水", "满意"]]},
        ("数据",),
    )
    formulas = xlsx(root / "formulas.xlsx", {"工单": [HEADER, ['="GD"&"1"', "2025/3/1", "漏水", "满意"]]})
    rewrite_part(formulas, "xl/worksheets/sheet1.xml", drop_cached_formula_values)
    return sorted(root.iterdir())


MORE_EXPECTED = {
    "gb_lines.csv": ("loaded", {"bad_encoding": 2}),
    "nul_line.csv": ("loaded", {"nul_byte": 1}),
    "sep_title.csv": ("loaded", {}),
    "array.json": ("loaded", {}),
    "cut_array.json": ("unreadable_json", None),
    "gb.jsonl": ("loaded", {}),
    "nested.parquet": ("loaded", {}),
    "encrypted.xlsx": ("encrypted_workbook", None),
    "hidden_only.xlsx": ("only_hidden_sheets", None),
    "formulas.xlsx": ("loaded", {"formula_no_value": 1}),
}


def test_the_broken_file_corpus_loads_completely_or_not_at_all_through_the_pipeline(tmp_path, fresh):
    outcomes = {}
    for path in _more_broken_files(tmp_path / "more"):
        pipe = fresh()
        outcome = _outcome(pipe, path)
        reasons = (
            dict(pipe.store.sql("select reason, count(*) from rejects group by 1").rows())
            if outcome == "loaded"
            else None
        )
        outcomes[path.name] = (outcome, reasons)
        pipe.store.close()
    assert outcomes == MORE_EXPECTED


def test_lines_ending_in_an_apostrophe_are_two_rows_not_one_quoted_field(tmp_path, fixed_now):
    """Found by the property test above: DuckDB's sniffer took ' for the quote and read two rows as one."""
    from demandlab.config import demo_config

    path = tmp_path / "apostrophes.csv"
    path.write_text(
        "工单编号,来电时间,诉求内容,回访满意度\nGD0,2026-11-10 09:00,路灯不亮,'\nGD1,2026-11-10 10:00,电梯坏了,'\n",
        encoding="utf-8",
    )
    cfg = demo_config(tmp_path / "data", tmp_path / "reports")
    with dl.connect(cfg.paths.db) as store:
        report = dl.Pipeline(store, cfg, now=lambda: fixed_now).ingest(path)
    assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (2, 2, 0)
