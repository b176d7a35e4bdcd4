"""项目清单 (demandlab.lists.match): demands matched with resources by fit, within capacity, with reasons;
on the synthetic district every planted match is proposed and no decoy is."""

from __future__ import annotations

import datetime as dt
import shutil

import polars as pl
import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.lists.load import load_list
from demandlab.lists.match import match_demands
from tests.lists.office import to_pdf


def _demand(community, street, theme_id, label, category, priority, elderly=0.0, children=0.0):
    return {"street": street, "community": community, "grid_id": None, "theme_id": theme_id,
            "theme_label": label, "category": category, "priority": priority, "elderly_share": elderly,
            "children_share": children}  # fmt: skip


def _resource(rid, community, street, kind, description, target="all", capacity=1):
    return {"resource_id": rid, "provider": f"单位{rid}", "provider_kind": "unit", "street": street,
            "community": community, "resource_type": kind, "description": description, "target": target,
            "available": None, "capacity": capacity, "contact_key": None}  # fmt: skip


def _match(demands, resources, keywords):
    return match_demands(pl.DataFrame(demands), pl.DataFrame(resources), keywords, dl.text.segment)


def test_a_resource_goes_where_it_fits_best_and_never_beyond_its_capacity():
    demands = [
        _demand("翠竹社区", "东湖街道", 1, "下水道堵塞", "市政设施", 3.0),
        _demand("翠竹社区", "东湖街道", 2, "暖气不热", "供水供暖", 2.0, elderly=0.5),
        _demand("光明社区", "西城街道", 3, "邻里噪音", "邻里纠纷", 1.0),
    ]
    resources = [
        _resource("r1", "翠竹社区", "东湖街道", "维修", "暖气维修上门服务", target="elderly"),
        _resource("r2", "荷塘社区", "东湖街道", "维修", "管道疏通"),
        _resource("r3", "荷塘社区", "东湖街道", "文体", "合唱指导", capacity=5),
    ]
    keywords = {1: ["下水道", "堵塞", "管道"], 2: ["暖气", "供暖", "不热"], 3: ["噪音", "邻居"]}
    m = _match(demands, resources, keywords)
    proposed = {(r["theme_id"], r["resource_id"]) for r in m.projects.iter_rows(named=True)}
    # the heating repair goes to the heating demand (a better fit), though the sewer has the higher priority;
    # the sewer gets the pipe service of the neighbouring community; the choir fits nothing
    assert proposed == {(2, "r1"), (1, "r2")}
    heating = m.projects.filter(pl.col("theme_id") == 2).row(0, named=True)
    assert heating["reason"] == "类型相符（维修）；关键词：暖气；服务对象相符（老人）；同一社区"
    assert heating["score"] == pytest.approx(0.5 + 0.3 * 0.5 + 0.2)  # one keyword of two: half the keyword fit
    sewer = m.projects.filter(pl.col("theme_id") == 1).row(0, named=True)
    assert "同街道相邻社区" in sewer["reason"] and sewer["score"] == pytest.approx(0.7 * 0.75)
    assert m.gaps["theme_id"].to_list() == [3]
    assert m.communities["community"].to_list() == ["光明社区", "翠竹社区"]  # unmet demand first
    # a resource of capacity 1 serves one demand: the same demand twice in two communities gets it once
    twice = [demands[1], {**demands[1], "community": "荷塘社区", "priority": 5.0}]
    again = _match(twice, resources[:1], keywords)
    assert again.projects.height == 1 and again.projects["community"].to_list() == ["翠竹社区"]
    assert again.gaps["community"].to_list() == ["荷塘社区"]


@pytest.fixture(scope="module")
def matched(demo_run, district, tmp_path_factory):
    """The demo database (a copy) with the district's 资源清单 loaded, and its matching."""
    store = demo_run["store"]
    store.con.execute("checkpoint")
    db = tmp_path_factory.mktemp("match") / "db.duckdb"
    shutil.copyfile(store.path, db)
    cfg = demo_run["config"].with_db(db)
    copy = dl.connect(db)
    report = load_list(copy, district.lists["resources"], cfg, dt.datetime(2026, 11, 16, 9))
    yield copy, report, dl.lists.match(copy), db
    copy.close()


def test_every_planted_match_is_proposed_in_its_community_and_no_decoy_is(matched, district):
    store, report, m, _ = matched
    assert report.rows_rejected == 0 and report.rows_accepted == report.rows_read
    planted = district.truth["resources"]["planted_matches"]
    assert len(planted) >= 3
    proposed = m.projects.select("community", "resource_type", "provider", "resource_community", "reason")
    for p in planted:
        hit = proposed.filter(
            (pl.col("community") == p["community"]) & (pl.col("resource_type") == p["resource_type"])
            & (pl.col("provider") == p["provider"]) & (pl.col("resource_community") == p["community"])
        )  # fmt: skip
        assert hit.height == 1 and "类型相符" in hit["reason"][0], p
    assert m.projects.filter(pl.col("resource_type") == "文体").height == 0
    name, phone = district.truth["resources"]["member_name"], district.truth["resources"]["member_phone"]
    for table in ("resources", "rejects", "batches"):
        text = repr(store.sql(f"select * from {table}").rows())
        assert name not in text and phone not in text


def test_lists_match_writes_the_three_sheets(matched, tmp_path):
    _, _, m, db = matched
    out = tmp_path / "项目清单.xlsx"
    result = CliRunner().invoke(app, ["lists", "match", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    sheets = pl.read_excel(out, sheet_id=0, engine="calamine", read_options={"header_row": 1})
    assert list(sheets) == ["项目清单", "资源缺口", "社区排序"]
    assert sheets["项目清单"]["提供方"].to_list() == m.projects["provider"].to_list()
    assert sheets["项目清单"]["匹配理由"].to_list() == m.projects["reason"].to_list()
    assert sheets["资源缺口"].height == m.gaps.height and sheets["社区排序"].height == m.communities.height
    pages = to_pdf(out, tmp_path / "pdf").pages
    assert "项目清单" in pages[0].extract_text() and "匹配理由" in pages[0].extract_text()


def test_lists_match_without_a_resource_list_says_how_to_make_one(demo_run, tmp_path):
    demo_run["store"].con.execute("checkpoint")
    db = tmp_path / "db.duckdb"
    shutil.copyfile(demo_run["store"].path, db)
    result = CliRunner().invoke(app, ["lists", "match", "--db", str(db)])
    assert result.exit_code == 4 and "lists template resources" in result.output
