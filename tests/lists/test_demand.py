"""需求清单 (demandlab.lists): the recurring demands of each community, in Python, on the command line and as a
workbook that a second reader (calamine) and LibreOffice read back."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.lists.demand import RECORD_COLUMNS, demand_list, priority_of
from demandlab.lists.xlsx import DEMAND_COLUMNS, demand_rows, write_demand
from demandlab.marts import read
from tests.lists.office import to_pdf

AS_OF = dt.date(2026, 11, 16)  # a Monday: the window's last week is 11月16日–22日


def _records(rows: list[tuple]) -> pl.DataFrame:
    """Records of 翠竹社区 from (record_id, weeks before AS_OF's week, theme_id, contact, focus, status, resolved)."""
    out = []
    for record_id, weeks_back, theme, contact, focus, status, resolved in rows:
        out.append({
            "source": "12345", "record_id": record_id, "street": "东湖街道", "community": "翠竹社区", "grid_id": "G1",
            "theme_id": theme, "theme_label": {1: "飞线充电", 2: "噪音", 3: "漏水"}.get(theme, "未归类"),
            "category": "安全", "week_start": AS_OF - dt.timedelta(weeks=weeks_back), "status": status,
            "resolved": resolved, "satisfaction": None, "due_at": None, "contact_key": contact, "focus": focus,
            "text": f"诉求{record_id}", "theme_score": 0.5,
        })  # fmt: skip
    return pl.DataFrame(out).select(RECORD_COLUMNS)


def test_a_demand_is_a_theme_several_people_raise_in_several_weeks():
    rows = [
        # 飞线充电: three people over three weeks, one of them five times; rising (4 in the last four weeks, 0 before)
        *[(f"a{i}", 0, 1, "p1", [], "closed", i % 2 == 0) for i in range(5)],
        ("b1", 1, 1, "p2", ["elderly"], "closed", False),
        ("c1", 10, 1, "p3", ["children"], "open", None),
        # 噪音: one person every week (一人多诉, not a demand of the community)
        *[(f"d{i}", i, 2, "p4", [], "open", None) for i in range(6)],
        # 漏水: two people in one week (not recurring yet); unassigned records are no demand
        ("e1", 0, 3, "p5", [], "open", None),
        ("e2", 0, 3, "p6", [], "open", None),
        ("f1", 0, -1, "p7", [], "open", None),
        ("f2", 3, -1, "p8", [], "open", None),
    ]
    listed = demand_list(_records(rows), None, AS_OF)
    assert listed["theme_id"].to_list() == [1]
    row = listed.row(0, named=True)
    assert (row["n"], row["n_people"], row["weeks_active"], row["recent"], row["before"]) == (7, 3, 3, 6, 0)
    assert row["trend"] == "上升" and row["people_basis"] == "contact"
    assert row["unresolved_share"] == pytest.approx(3 / 6)  # closed with 是否解决 known: a1…a4 and b1; a1, a3, b1 not
    assert row["elderly_share"] == pytest.approx(1 / 7) and row["children_share"] == pytest.approx(1 / 7)
    assert row["unsatisfied_share"] is None  # no follow-up answered: unknown, not 0
    assert row["priority"] == priority_of(3, 3, 12, 0.5, 0.0, 2 / 7, 6, 0)
    assert len(row["examples"]) == 2
    by_grid = demand_list(_records(rows), None, AS_OF, level="grid")
    assert by_grid["grid_id"].to_list() == ["G1"] and by_grid["n"].to_list() == [7]
    assert demand_list(_records(rows), None, AS_OF, min_people=4).height == 0


def test_the_demo_demand_list_counts_the_records_of_its_window(demo_run):
    store = demo_run["store"]
    listed = dl.lists.demand(store)
    as_of = read.latest_week_start(store)
    assert listed.height > 20 and listed["community"].n_unique() > 5
    window = store.sql(
        "select community, theme_id, count(*) as n, count(distinct week_start) as weeks from mart_records "
        "where week_start between ? and ? and theme_id >= 0 group by all",
        [as_of - dt.timedelta(weeks=11), as_of],
    )
    checked = listed.join(window, on=["community", "theme_id"], suffix="_sql")
    assert checked.height == listed.height
    assert (checked["n"] == checked["n_sql"]).all() and (checked["weeks_active"] == checked["weeks"]).all()
    assert (listed["n_people"] >= 2).all() and (listed["weeks_active"] >= 2).all()
    # each community's list comes by priority, and one community's list is the whole list's rows for it
    for _, part in listed.group_by("community"):
        assert part["priority"].to_list() == sorted(part["priority"].to_list(), reverse=True)
    community = listed["community"][0]
    assert dl.lists.demand(store, community=community).equals(listed.filter(pl.col("community") == community))


@pytest.fixture(scope="module")
def workbook(demo_run, tmp_path_factory):
    store = demo_run["store"]
    listed = dl.lists.demand(store)
    path = write_demand(listed, tmp_path_factory.mktemp("lists") / "需求清单.xlsx", title="测试区需求清单",
                        as_of=read.latest_week_start(store), weeks=12)  # fmt: skip
    return listed, path


def test_the_workbook_reads_back_with_calamine_as_its_frame(workbook):
    listed, path = workbook
    sheets = pl.read_excel(path, sheet_id=0, engine="calamine", read_options={"header_row": 1})
    assert next(iter(sheets)) == "汇总" and len(sheets) == 1 + listed["community"].n_unique()
    summary = sheets["汇总"]
    assert summary["需求条数"].sum() == listed.height and summary["涉及件数"].sum() == listed["n"].sum()
    expected = demand_rows(listed)
    headers = {column: DEMAND_COLUMNS[column][0] for column in expected.columns}
    for street, community in listed.select("street", "community").unique(maintain_order=True).iter_rows():
        sheet = next(frame for name, frame in sheets.items() if name.startswith(community[:28]))
        mine = expected.filter((pl.col("community") == community) & pl.col("street").eq_missing(street))
        assert sheet.columns == list(headers.values())
        assert sheet.height == mine.height
        for column, header in headers.items():
            got, want = sheet[header].to_list(), mine[column].to_list()
            if mine.schema[column] == pl.Float64:
                assert got == pytest.approx(want, nan_ok=True) or [g is None for g in got] == [w is None for w in want]
            else:
                assert [str(v) if v is not None else None for v in got] == [
                    str(v) if v is not None else None for v in want
                ]


def _same(got, want) -> bool:
    """A cell as calamine reads it is the frame's value: blank for None, numbers to the double's precision."""
    if want is None:
        return got is None
    if isinstance(want, float):
        return got == pytest.approx(want)
    return str(got) == str(want)


def test_the_workbook_converts_to_pdf_with_libreoffice(workbook, tmp_path):
    """Printed for Monday's meeting: LibreOffice headless (Debian's libreoffice-calc) turns it into a PDF."""
    listed, path = workbook
    pages = to_pdf(path, tmp_path).pages
    assert len(pages) >= 1 + listed["community"].n_unique()  # each sheet starts a page
    first_community = pages[1].extract_text()
    assert "需求清单" in first_community and "优先级" in first_community and "第 2 页" in first_community


def test_lists_demand_on_the_command_line(demo_run, tmp_path):
    runner = CliRunner()
    db = str(demo_run["store"].path)
    demo_run["store"].con.execute("checkpoint")
    copy = tmp_path / "db.duckdb"
    shutil.copyfile(db, copy)
    out = tmp_path / "清单.xlsx"
    result = runner.invoke(app, ["lists", "demand", "--db", str(copy), "--out", str(out)])
    assert result.exit_code == 0 and out.exists(), result.output
    assert "已写出需求清单" in result.output
    listed = runner.invoke(app, ["lists", "demand", "--db", str(copy), "--format", "json"])
    assert listed.exit_code == 0 and len(pl.read_json(listed.stdout.encode())) == len(
        dl.lists.demand(demo_run["store"])
    )
    wrong = runner.invoke(app, ["lists", "demand", "--db", str(copy), "--out", str(tmp_path / "x.csv")])
    assert wrong.exit_code == 2 and "应为 .xlsx" in wrong.output
