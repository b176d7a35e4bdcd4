"""The weekly report: escaping, the offline page, clear errors, and scopes that show only their own place."""

import csv
import datetime as dt
import re
import shutil

import polars as pl
import pytest

import demandlab as dl
from demandlab.config import demo_config
from demandlab.errors import UsageError
from demandlab.labels import grid_label
from demandlab.marts import read
from demandlab.report import ReportError, collect, render, write_report

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SPECIAL = '价格<5元 & 面积>90平 "引号"'


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny")
    topics = ["楼道 飞线充电 电瓶车 火灾隐患", "垃圾 清运 臭味 垃圾桶", "电梯 故障 困人 维保", "广场舞 音响 扰民 音乐"]
    path = root / "orders.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工单编号", "来电时间", "诉求内容", "街道", "社区", "网格"])
        for i in range(120):
            text = topics[i % 4] + " " + SPECIAL + (EVIL if i % 4 == 0 else "")
            street = "东湖街道" if i % 3 else "西城街道"
            writer.writerow(
                [f"GD{i}", f"2026/{10 + i % 2}/{1 + i % 28} 10:00:00", text, street, "幸福社区", f"第{1 + i % 3}网格"]
            )
    cfg = demo_config(root, root / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.ingest(path)
    pipe.run()
    yield store, cfg
    store.close()


def test_tags_never_reach_records_and_the_report_escapes_the_rest(tiny, tmp_path):
    store, cfg = tiny
    texts = store.sql("select text from records")["text"].to_list()
    assert not any("<script" in t or "<img" in t for t in texts)
    html = write_report(store, tmp_path / "r.html", config=cfg).read_text("utf-8")
    assert "价格&lt;5元 &amp; 面积&gt;90平 &#34;引号&#34;" in html
    assert SPECIAL not in html and EVIL not in html and "<img src=x" not in html
    figures = re.search(r'<script id="figures" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert "<" not in figures


def test_the_page_is_one_offline_file_with_a_strict_content_security_policy(tiny, tmp_path):
    store, cfg = tiny
    html = write_report(store, tmp_path / "r.html", config=cfg).read_text("utf-8")
    assert '<meta http-equiv="Content-Security-Policy" content="default-src \'none\';' in html
    assert "connect-src 'none'" in html
    assert not re.search(r"<script[^>]+src=", html)
    assert not re.search(r"<link[^>]+href=", html)
    assert not re.search(r"<img[^>]+src=[\"']?https?:", html)
    assert html.count("<script>") == 2  # plotly.js (with its locale) once, then the drawing script
    assert html.count("plotly.js (cartesian - minified) v") == 1  # the partial bundle (report/vendor), once


def test_unknown_week_and_empty_scope_are_clear_errors(tiny):
    store, cfg = tiny
    with pytest.raises(ReportError, match=r"2019-W01 没有数据；现有数据覆盖 2026-W40 … 2026-W47"):
        collect(store, week="2019-W01", config=cfg)
    with pytest.raises(ReportError, match="没有记录"):
        collect(store, scope="street=南山街道", config=cfg)
    with pytest.raises(UsageError, match="street="):
        collect(store, scope="province=浙江", config=cfg)


def test_a_street_report_counts_only_that_street(tiny):
    store, cfg = tiny
    district = collect(store, config=cfg)
    east = collect(store, scope="street=东湖街道", config=cfg)
    west = collect(store, scope="街道=西城街道", config=cfg)
    assert east.headline["n"] + west.headline["n"] == district.headline["n"]
    assert east.scope_label == "东湖街道"


def test_rendering_twice_gives_the_same_page_apart_from_its_generation_time(tiny):
    store, cfg = tiny
    first, second = collect(store, config=cfg), collect(store, config=cfg)
    second.generated_at = first.generated_at.replace(year=first.generated_at.year + 1)
    a, b = render(first), render(second)
    strip = lambda html: re.sub(r'<span id="generated-at">[^<]*</span>', "", html)  # noqa: E731
    assert a != b and strip(a) == strip(b)


def test_a_street_report_shows_only_that_streets_alerts_and_hot_issues(district, demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    everything = collect(store, config=cfg)
    street = next(a["street"] for a in everything.alerts if a["street"])
    scoped = collect(store, scope=f"street={street}", config=cfg)
    assert scoped.alerts and {a["street"] for a in scoped.alerts} == {street}
    assert len(scoped.alerts) <= len(everything.alerts)
    assert all(h["street"] == street for h in scoped.hot)
    assert scoped.loop["total"]["n"] <= everything.loop["total"]["n"]


def test_a_database_without_the_marts_gets_a_clear_error(tiny, tmp_path):
    with dl.connect(tmp_path / "empty.duckdb") as store, pytest.raises(ReportError, match="数据库中还没有记录"):
        collect(store)
    store, _ = tiny
    store.con.execute("checkpoint")
    old = tmp_path / "upgraded.duckdb"
    shutil.copyfile(store.path, old)
    with dl.connect(old) as upgraded:
        upgraded.con.execute("drop table mart_kpi")  # as after an upgrade that added a mart, before `run`
        with pytest.raises(ReportError, match="还没有汇总表 mart_kpi：请先运行一次 demandlab run"):
            collect(upgraded)


def _busiest_community(store) -> tuple[str, str]:
    """The community with the most records in the latest week, and that week."""
    week = read.weeks(store)["iso_week"][-1]
    records = read.records(store, iso_week=week).filter(pl.col("community").is_not_null())
    counts = records.group_by("community").len().sort(["len", "community"], descending=[True, False])
    return counts["community"][0], week


def test_a_community_report_lists_only_its_own_grids(demo_run):
    # issue: 变化最大的网格 of a community report listed 2–5 other communities' grids of its 6 rows, because
    # mart_grid_week cross-joins the whole grid registry and only mart_records was scoped
    store, cfg = demo_run["store"], demo_run["config"]
    community, week = _busiest_community(store)
    own = dl.marts.grid_week(store).filter((pl.col("community") == community) & (pl.col("iso_week") == week))
    own_ids = set(own["grid_id"])
    data = collect(store, scope=f"community={community}", config=cfg)
    assert data.changed_grids, "a community with records this week has grids to show"
    assert {g["grid_id"] for g in data.changed_grids} <= own_ids
    assert {g["community"] for g in data.changed_grids} == {community}
    assert len(data.changed_grids) <= len(own_ids)
    own_labels = {grid_label(name, community) for name in own["grid_name"]}
    assert set(data.grid_panels["grid_label"]) <= own_labels
    assert data.heatmap.height and set(data.heatmap["grid_label"]) <= set(own["grid_name"])


def test_a_community_reports_figures_are_its_records_figures(demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    community, week = _busiest_community(store)
    data = collect(store, scope=f"community={community}", config=cfg)
    records = read.records(store).filter(pl.col("community") == community)
    this_week = records.filter(pl.col("iso_week") == week)
    assert data.headline["n"] == this_week.height
    assert data.headline["grids_active"] == this_week["grid_id"].drop_nulls().n_unique()
    first = data.week_start - dt.timedelta(weeks=3)
    recent = records.filter(pl.col("week_start").is_between(first, data.week_start))
    assert data.loop["total"]["n"] == recent.height
    assert data.loop["total"]["n_accepted"] == recent["accepted_at"].is_not_null().sum()
    # 一老一小: the community's tagged records of the four weeks, and of the four before
    focus = {g["group"]: g for g in data.focus["groups"]}
    earlier = records.filter(
        pl.col("week_start").is_between(first - dt.timedelta(weeks=4), first - dt.timedelta(days=1))
    )
    for group in ("elderly", "children"):
        assert focus[group]["n"] == recent["focus"].list.contains(group).sum() > 0
        assert focus[group]["before"] == earlier["focus"].list.contains(group).sum()
        assert focus[group]["share"] == pytest.approx(focus[group]["n"] / recent.height)
        assert sum(t["n"] for t in focus[group]["themes"]) <= focus[group]["n"]
    assert focus["all"]["n"] == recent.height and focus["all"]["response_rate"] == data.loop["total"]["response_rate"]
    # 需求清单: the community's first demands by priority, as dl.lists.demand gives them
    listed = dl.lists.demand(store, community=community, as_of=data.week_start).head(8)
    assert [d["theme_id"] for d in data.demands] == listed["theme_id"].to_list() and data.demands
    assert '<section id="demands">' in render(data) and not collect(store, config=cfg).demands
    # 典型诉求 quote the community's own records (they were drawn from every record of the district)
    texts = {t for t in this_week["text"].drop_nulls()}
    quoted = [t for e in data.examples for t in e["texts"]]
    assert quoted and all(t in texts or (t.endswith("…") and any(x.startswith(t[:-1]) for x in texts)) for t in quoted)


def test_the_closed_loop_says_how_many_new_problems_the_grid_found_first(demo_run):
    """主动发现率 of the four weeks: problems (grid × theme episodes) begun then, and those a grid worker found."""
    store, cfg = demo_run["store"], demo_run["config"]
    data = collect(store, config=cfg)
    first = data.week_start - dt.timedelta(weeks=3)
    weeks = dl.marts.proactive(store, "week").filter(pl.col("week_start").is_between(first, data.week_start))
    pro = data.loop["proactive"]
    assert (pro["problems"], pro["found_by_grid"]) == (weeks["problems"].sum(), weeks["found_by_grid"].sum())
    assert 0 < pro["rate"] < 1
    html = render(data)
    assert f"主动发现率 <strong>{pro['rate'] * 100:.1f}%</strong>" in html
