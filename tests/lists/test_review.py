"""双向评议 with numbers (demandlab.lists.review): the demand a project was for, before and after its start,
against comparable communities. Planted effects are found with their sign; where none was planted the
review says so, at about the rate its 95 % interval promises."""

from __future__ import annotations

import datetime as dt
import random
import shutil

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.ingest import read_tables
from demandlab.lists.effects import did
from demandlab.lists.load import load_list
from demandlab.synth import plan as synth_plan
from demandlab.synth.district import build_district
from demandlab.synth.grammar import load_catalog
from tests.lists.office import to_pdf


def test_too_few_weeks_after_or_records_before_are_said_so():
    assert did([3] * 12 + [1, 1, 1], [1] * 15, 12)["verdict"] == "为时尚早"
    assert did([0, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0] + [0] * 6, [1] * 18, 12)["verdict"] == "数据不足"
    flat = did([3, 4, 2, 3, 3, 4, 2, 3, 3, 4, 2, 3] * 2, [1] * 24, 12)
    assert flat["verdict"] == "未见明显变化" and flat["effect"] == 0 and flat["low"] < 0 < flat["high"]


def _plan_reviews(seeds: range) -> tuple[list[str], list[str]]:
    """Reviews of the projects each seed's plan plants (counts as the plan draws them, no pipeline)."""
    catalog, found, none = load_catalog(), [], []
    for seed in seeds:
        district = build_district(random.Random(seed))
        plan = synth_plan.build_plan(district, catalog, 6000, dt.date(2026, 11, 15), 104, seed)
        communities = sorted({g.community for g in district.grids})
        for project in plan.projects:
            j = next(k for k, p in enumerate(catalog.problems) if p.key == project.problem)
            first = project.start - 12

            def weekly(community, j=j, first=first, grids=district.grids, counts=plan.background):
                idx = [i for i, g in enumerate(grids) if g.community == community]
                return counts[:, idx, j, first:].sum(axis=(0, 1)).tolist()

            busy = {q.community for q in plan.projects if q.problem == project.problem}
            comparison = np.mean([weekly(c) for c in communities if c not in busy], axis=0).tolist()
            verdict = did(weekly(project.community), comparison, 12)["verdict"]
            (found if project.effect else none).append(verdict)
    return found, none


def test_over_many_districts_effects_are_found_and_false_ones_are_rare():
    """100 synthetic plans: the planted −70 % is found nearly always; a project without effect is judged to
    have one at about the 5 % its interval allows (bench/review_quality.py records 200)."""
    found, none = _plan_reviews(range(100))
    assert sum(v == "需求下降" for v in found) / len(found) >= 0.9
    assert sum(v != "未见明显变化" for v in none) / len(none) <= 0.1


@pytest.fixture(scope="module")
def reviewed(demo_run, district, truth_records, tmp_path_factory):
    """The demo database (a copy) with the planted projects recorded on the themes their problems became."""
    store = demo_run["store"]
    store.con.execute("checkpoint")
    db = tmp_path_factory.mktemp("review") / "db.duckdb"
    shutil.copyfile(store.path, db)
    copy = dl.connect(db)
    assigned = truth_records.join(
        copy.sql("select source, record_id, theme_id from assignments"), on=["source", "record_id"]
    )
    rows = []
    for p in district.truth["projects"]:
        theme = (
            assigned.filter(pl.col("problem") == p["problem"]).group_by("theme_id").len().sort("len")["theme_id"][-1]
        )
        rows.append({"name": p["project_id"], "community": p["community"], "theme_ids": [theme],
                     "start_date": dt.date.fromisoformat(p["start"])})  # fmt: skip
    assert dl.lists.add_projects(copy, pl.DataFrame(rows)) == len(rows)
    yield copy, db, dl.lists.review(copy)
    copy.close()


def test_the_review_finds_the_planted_effects_with_their_sign(reviewed, district):
    _, _, review = reviewed
    planted = {p["project_id"]: p["effect"] for p in district.truth["projects"]}
    assert set(review["name"]) == set(planted)
    for row in review.iter_rows(named=True):
        if planted[row["name"]]:
            assert row["verdict"] == "需求下降" and row["high"] < 0 and -0.95 < row["relative"] < -0.45, row
        else:
            assert row["verdict"] == "未见明显变化" and row["low"] < 0 < row["high"], row
        assert row["weeks_before"] == 12 and row["weeks_after"] >= 4 and row["comparison_communities"] > 5


def test_review_in_the_community_report_and_on_the_command_line(reviewed, demo_run, district, tmp_path):
    store, db, review = reviewed
    community = review.filter(pl.col("verdict") == "需求下降")["community"][0]
    data = dl.report.collect(store, scope=f"community={community}", config=demo_run["config"])
    assert [r["name"] for r in data.reviews] == review.filter(pl.col("community") == community)["name"].to_list()
    html = dl.report.render(data)
    assert '<section id="reviews">' in html and "需求下降" in html
    store.con.execute("checkpoint")
    out = tmp_path / "评议.xlsx"
    result = CliRunner().invoke(app, ["lists", "review", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheet = pl.read_excel(out, engine="calamine", read_options={"header_row": 1})
    assert sheet["结论"].to_list() == review["verdict"].to_list()
    assert "需求下降" in to_pdf(out, tmp_path / "pdf").pages[0].extract_text()


def test_a_project_list_loads_with_its_themes_by_name_and_bad_rows_rejected(demo_run, tmp_path):
    demo_run["store"].con.execute("checkpoint")
    db = tmp_path / "db.duckdb"
    shutil.copyfile(demo_run["store"].path, db)
    with dl.connect(db) as store:
        label, theme = store.sql(
            "select label, theme_id from themes where theme_id >= 0 order by size desc limit 1"
        ).row(0)
        community = store.sql("select community from grids order by 1 limit 1").item()
        path = tmp_path / "项目清单.csv"
        path.write_text(
            "项目名称,社区,问题,开始日期,结束日期\n"
            f"楼道整治,{community},{label},2026年9月1日,\n"
            f"无名问题,{community},没有这个问题,2026-09-01,\n"
            f"日期不对,{community},{theme},下个月,\n",
            encoding="utf-8",
        )
        report = load_list(store, path, demo_run["config"].with_db(db), dt.datetime(2026, 11, 16, 9))
        assert (report.rows_read, report.rows_accepted, report.rows_rejected) == (3, 1, 2)
        assert report.reasons == {"bad_date": 1, "unknown_theme": 1} and report.mapping == "projects"
        project = store.sql("select * from projects").row(0, named=True)
        assert project["theme_ids"] == [theme] and project["start_date"] == dt.date(2026, 9, 1)
        assert project["street"] and project["end_date"] is None


def test_the_project_template_is_a_project_list(tmp_path):
    from demandlab.lists.projects import HEADERS, is_project_list

    result = CliRunner().invoke(app, ["lists", "template", "projects", "--out", str(tmp_path / "项目.xlsx")])
    assert result.exit_code == 0, result.output
    [table] = read_tables(tmp_path / "项目.xlsx", known_headers={h for names in HEADERS.values() for h in names})
    assert table.sheet == "项目清单" and is_project_list(table.headers) and table.frame.height == 0
