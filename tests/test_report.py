import csv
import re
import shutil

import pytest

import demandlab as dl
from demandlab.cli import demo_config
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
    assert html.count("<script>") == 2  # plotly.js once, then the drawing script
    assert html.count("plotly.js v") == 1


def test_unknown_week_and_empty_scope_are_clear_errors(tiny):
    store, cfg = tiny
    with pytest.raises(ReportError, match=r"no data for week 2019-W01; the data covers 2026-W40 … 2026-W47"):
        collect(store, week="2019-W01", config=cfg)
    with pytest.raises(ReportError, match="no records"):
        collect(store, scope="street=南山街道", config=cfg)
    with pytest.raises(ReportError, match="scope must look like"):
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
    with dl.connect(tmp_path / "empty.duckdb") as store, pytest.raises(ReportError, match="holds no records yet"):
        collect(store)
    store, _ = tiny
    store.con.execute("checkpoint")
    old = tmp_path / "upgraded.duckdb"
    shutil.copyfile(store.path, old)
    with dl.connect(old) as upgraded:
        upgraded.con.execute("drop table mart_kpi")  # as after an upgrade that added a mart, before `run`
        with pytest.raises(ReportError, match="no mart_kpi: run `demandlab run` once to build the marts"):
            collect(upgraded)
