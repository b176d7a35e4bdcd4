"""资源清单 (demandlab.lists.resources / load): loaded like an export — every row accepted or rejected with a
reason, the same file never twice, a member's name and every phone number never in clear."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from typer.testing import CliRunner

import demandlab as dl
from demandlab.cli import app
from demandlab.config import demo_config
from demandlab.ingest import read_tables
from demandlab.lists.load import load_list
from demandlab.lists.resources import HEADERS, is_resource_list, resource_type, write_template
from tests.lists.office import to_pdf

NOW = dt.datetime(2026, 11, 16, 9)
MEMBER, PHONE = "李卫国", "13912345678"


@pytest.fixture
def site(district, tmp_path):
    cfg = demo_config(tmp_path / "data", tmp_path / "reports")
    store = dl.connect(cfg.paths.db)
    dl.Pipeline(store, cfg).load_grids(district.registry)
    communities = store.sql("select community, min(street) as street from grids group by 1 order by 1")
    yield store, cfg, communities["community"].to_list()
    store.close()


def _sheet(path, rows):
    header = "提供方,提供方类型,报到社区,资源类型,描述,服务对象,可用时间,容量,联系人,联系电话\n"
    path.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _rows(a: str, b: str) -> list[tuple]:
    return [
        (
            "区司法局",
            "单位",
            a,
            "法律服务",
            "每月一次法律咨询进社区",
            "全体",
            "每月第一个周六",
            "2",
            "王科长",
            "0571-87654321",
        ),
        (MEMBER, "党员", a, "教育", f"四点半课堂作业辅导，电话{PHONE}", "儿童", "工作日下午", "", MEMBER, PHONE),
        ("区人民医院", "单位", b, "医疗", "老年人义诊", "老人", "每季度", "3", "", ""),
        ("某某公司", "单位", "不存在的社区", "场地", "会议室", "全体", "", "1", "", ""),
        ("区文化馆", "单位", a, "唱歌", "合唱指导", "全体", "", "1", "", ""),
        ("区图书馆", "单位", a, "文体", "流动图书角", "全体", "", "两个", "", ""),
        ("", "单位", a, "物资", "捐赠桌椅", "全体", "", "1", "", ""),
    ]


def test_a_resource_list_lands_with_every_row_accepted_or_rejected(site, tmp_path):
    store, cfg, communities = site
    path = _sheet(tmp_path / "资源清单.csv", _rows(communities[0], communities[1]))
    report = load_list(store, path, cfg, NOW)
    assert report.rows_read == 7 == report.rows_accepted + report.rows_rejected
    assert report.reasons == {"bad_capacity": 1, "bad_resource_type": 1, "missing_provider": 1, "unknown_community": 1}
    resources = store.sql("select * from resources order by provider_kind, provider")
    assert resources.height == 3 and set(resources["resource_type"]) == {"法律", "教育", "医疗"}
    assert dict(zip(resources["resource_type"], resources["target"], strict=True)) == {
        "法律": "all", "教育": "children", "医疗": "elderly"
    }  # fmt: skip
    member = resources.filter(pl.col("provider_kind") == "member").row(0, named=True)
    assert member["provider"].startswith("党员·") and member["capacity"] == 1 and member["contact_key"]
    assert member["description"] == "四点半课堂作业辅导，电话〔手机号〕" and member["street"]
    rejects = store.sql("select row_number, column_name, reason, message from rejects order by row_number")
    assert rejects.rows()[0] == (5, "报到社区", "unknown_community", "报到社区：不在网格登记表的社区中")
    assert "应为 场地、资金" in rejects.filter(pl.col("reason") == "bad_resource_type")["message"][0]
    # no name of a member and no phone number in any table of the analysts' file
    for table in store.tables():
        text = repr(store.sql(f"select * from {table}").rows())
        assert MEMBER not in text and PHONE not in text and "87654321" not in text, table


def test_the_same_list_twice_changes_nothing_and_a_changed_one_replaces_its_rows(site, tmp_path):
    store, cfg, communities = site
    rows = _rows(communities[0], communities[1])[:3]
    first = load_list(store, _sheet(tmp_path / "a.csv", rows), cfg, NOW)
    assert (first.rows_new, first.rows_updated) == (3, 0)
    again = load_list(store, _sheet(tmp_path / "b.csv", rows), cfg, NOW + dt.timedelta(hours=1))
    assert again.status == "skipped" and store.scalar("select count(*) from batches") == 1
    changed = [(*rows[0][:7], "5", *rows[0][8:]), *rows[1:]]
    later = load_list(store, _sheet(tmp_path / "c.csv", changed), cfg, NOW + dt.timedelta(days=1))
    assert (later.rows_new, later.rows_updated) == (0, 3)
    assert store.scalar("select count(*) from resources") == 3
    assert store.scalar("select capacity from resources where resource_type = '法律'") == 5


def test_the_template_is_a_resource_list_and_names_every_column(tmp_path):
    path = write_template(tmp_path / "模板.xlsx")
    [table] = read_tables(path, known_headers={h for names in HEADERS.values() for h in names})
    assert table.sheet == "资源清单" and is_resource_list(table.headers) and table.frame.height == 0
    assert table.headers == [names[0] for names in HEADERS.values()]
    assert [resource_type(v) for v in ("法律咨询", "维修服务", "场地（会议室）")] == ["法律", "维修", "场地"]
    assert "资源类型" in "".join(page.extract_text() for page in to_pdf(path, tmp_path / "pdf").pages)


def test_lists_load_loads_the_good_files_and_names_the_bad_one(site, tmp_path):
    store, cfg, communities = site
    store.close()
    good = _sheet(tmp_path / "资源.csv", _rows(communities[0], communities[1])[:2])
    bad = tmp_path / "工单.csv"
    bad.write_text("工单编号,来电时间,诉求内容\nGD1,2026-11-10,漏水\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["lists", "load", str(bad), str(good), "--db", str(cfg.paths.db)])
    assert result.exit_code == 3, result.output
    assert "没有找到资源清单" in result.output and "资源.csv" in result.output
    with dl.connect(cfg.paths.db, read_only=True) as reopened:
        assert reopened.scalar("select count(*) from resources") == 2
    template = CliRunner().invoke(app, ["lists", "template", "budgets", "--out", str(tmp_path / "x.xlsx")])
    assert template.exit_code == 2 and "没有 'budgets' 模板" in template.output
