"""The report in Chinese throughout (issue 16): dates and weeks as staff write them, codes and ids named,
the district from the config or the data, and a page under 2 MB with a plotly.js bundle that matches
plotly.py's."""

import csv
import datetime as dt
import hashlib
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import plotly.offline
import polars as pl
import pytest
from tests.figures import figure_strings

import demandlab as dl
from demandlab import dates
from demandlab.chart_output import PLOTLY_LOCALE
from demandlab.config import Config, ReportConfig, demo_config
from demandlab.labels import (
    REJECT_REASONS_ZH,
    district_of,
    grid_label,
    reject_reason_zh,
    scope_name,
    short_version,
    source_zh,
)
from demandlab.marts import read
from demandlab.report import collect, render, write_report
from demandlab.report.render import PLOTLY_BUNDLE, VENDOR, plotly_js

#: What a reader must never see: an English month name (Aug 23, Sep 6) or an ISO week code.
ENGLISH_MONTH = re.compile(r"[A-Z][a-z]{2} \d")
ISO_WEEK = re.compile(r"\d{4}-W\d{2}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # 2026-10-19 in a sentence: staff write 10月19日
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class _VisibleText(HTMLParser):
    """The text a reader sees (and tooltips: ``title`` attributes), without scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [value for name, value in attrs if name == "title" and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def figure_json(html: str) -> dict:
    return json.loads(re.search(r'<script id="figures" type="application/json">(.*?)</script>', html, re.S).group(1))


# --- dates and weeks -------------------------------------------------------------------------------------------
def test_weeks_read_as_their_days_and_number():
    assert dates.week_title("2026-W46") == "2026年第46周（11月9日–15日）"
    assert dates.week_range(dt.date(2026, 11, 30)) == "11月30日–12月6日"
    assert dates.week_hover(dt.date(2025, 12, 29)) == "12月29日–1月4日（第1周）"
    assert dates.day_label(dt.date(2026, 3, 2)) == "3月2日"
    assert dates.iso_week_start("2026-W46") == dt.date(2026, 11, 9)
    assert dates.iso_week_start("2026-46") is None and dates.iso_week_start(None) is None


def test_week_labels_are_unique_and_say_the_year_when_it_changes():
    weeks = [
        f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in (dt.date(2025, 12, 22), dt.date(2026, 1, 5))
    ]
    assert dates.week_labels(weeks) == {"2025-W52": "12月22日", "2026-W02": "2026年1月5日"}
    # over years, each label stands for one week: the year is written where it changes, and on every label
    # once a day of the month comes back on a Monday (the calendar repeats after about six years)
    mondays = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(60)]
    labels = dates.week_labels(f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in mondays)
    assert len(set(labels.values())) == 60 and [x for x in labels.values() if "年" in x] == ["2026年1月5日"]
    mondays = [dt.date(2020, 1, 6) + dt.timedelta(weeks=i) for i in range(400)]
    labels = dates.week_labels(f"{d.isocalendar().year}-W{d.isocalendar().week:02d}" for d in mondays)
    assert len(set(labels.values())) == 400 and all("年" in x for x in labels.values())


# --- codes and names -------------------------------------------------------------------------------------------
def test_every_reject_reason_has_a_chinese_name_and_an_unknown_code_is_still_shown():
    from demandlab.lists.projects import REASONS as PROJECT_REASONS
    from demandlab.lists.resources import REASONS as RESOURCE_REASONS

    assert set(REJECT_REASONS_ZH) == set(dl.ingest.REASONS) | set(RESOURCE_REASONS) | set(PROJECT_REASONS)
    assert reject_reason_zh("bad_time") == "时间缺失或无法识别" and reject_reason_zh("missing_id") == "缺少编号"
    assert reject_reason_zh("a_new_rule") == "其他原因（a_new_rule）"
    assert source_zh("snapshot") == "随手拍" and source_zh("hotline2") == "其他来源（hotline2）"
    assert short_version("tm-9681afb88815") == "9681af"


def test_a_scope_is_named_by_its_place_not_its_id():
    grids = [
        {"grid_id": "XH0101", "grid_name": "曙光社区第1网格", "community": "曙光社区", "street": "北山街道"},
        {"grid_id": "XH0102", "grid_name": "第2网格", "community": "曙光社区", "street": "北山街道"},
    ]
    assert scope_name("grid_id", "XH0102", grids) == "曙光社区第2网格（北山街道）"
    assert scope_name("community", "曙光社区", grids) == "曙光社区（北山街道）"
    assert scope_name("street", "北山街道", grids) == "北山街道"
    assert scope_name("grid_id", "ZZ9999", grids) == "ZZ9999"  # nothing names it: the id is all there is


def test_the_district_is_the_one_most_streets_are_written_in():
    assert district_of({"西湖区北山街道": 3, "西湖区灵隐街道": 2, "上城区湖滨街道": 1}) == "西湖区"
    assert district_of({"浙江省杭州市西湖区北山街道": 1}) == "西湖区"
    assert district_of({"瑞安市安阳街道": 4}) == "瑞安市"
    assert district_of({"A市A1区B街道": 1}) == "A1区"
    # no district written, a 社区 or 小区 ending in 区, or no district named by most: no name at all
    assert district_of({"北山街道": 5, "灵隐街道": 3}) is None
    assert district_of({"湖滨社区东街道": 3}) is None
    assert district_of({"西湖区北山街道": 1, "北山街道": 2}) is None
    assert district_of({}) is None


def test_the_demo_names_its_synthetic_district_and_a_user_without_config_gets_no_default():
    from demandlab.synth.district import DISTRICT

    assert demo_config(Path("d"), Path("r")).report.district == DISTRICT
    assert Config().report.district == ""


def _store(root: Path, streets: list[str], config: Config) -> dl.Store:
    """A small district of two streets with a registry (streets written as given), run through every stage."""
    registry = root / "grids.csv"
    with registry.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["街道", "社区", "网格编号", "网格名称", "网格别名"])
        for s, street in enumerate(streets):
            for g in range(1, 3):
                writer.writerow([street, f"第{s + 1}社区", f"G{s}{g}", f"第{s + 1}社区第{g}网格", f"第{g}网格"])
    orders = root / "orders.csv"
    topics = ["楼道 飞线充电 电瓶车 火灾隐患", "垃圾 清运 臭味 垃圾桶", "电梯 故障 困人 维保", "广场舞 音响 扰民 音乐"]
    with orders.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工单编号", "来电时间", "诉求内容", "街道", "社区", "网格"])
        for i in range(120):  # every grid has records in October and November, up to 15 November
            s, g = i % len(streets), 1 + (i // 2) % 2
            day = f"2026/{10 + (i // 4) % 2}/{1 + (i // 8) % 28} 10:00:00"
            writer.writerow([f"GD{i}", day, topics[i % 4], streets[s], f"第{s + 1}社区", f"第{g}网格"])
    store = dl.connect(config.paths.db)
    pipe = dl.Pipeline(store, config)
    pipe.load_grids(registry)
    pipe.ingest(orders)
    pipe.run()
    return store


@pytest.fixture(scope="module")
def other_district(tmp_path_factory):
    """A user's database without a config file (every default), its registry of 西湖区 streets."""
    root = tmp_path_factory.mktemp("xihu")
    config = Config().with_db(root / "data" / "demandlab.duckdb")
    store = _store(root, ["西湖区北山街道", "西湖区灵隐街道"], config)
    yield store, config
    store.close()


def test_a_report_without_config_is_titled_with_the_district_its_data_names(other_district, tmp_path):
    # issue: without a config every user's report was titled with the demo district 明湖区
    store, config = other_district
    data = collect(store, config=config)
    assert data.district == "西湖区"
    html = write_report(store, tmp_path / "r.html", config=config).read_text("utf-8")
    assert "明湖区" not in html
    assert "<h1>西湖区社区诉求分析周报</h1>" in html
    # a grid report is headed by the grid's name, its community and street, not by its id
    grid = collect(store, scope="grid=G02", config=config)
    assert grid.scope_label == "第1社区第2网格（西湖区北山街道）"
    assert "范围：第1社区第2网格（西湖区北山街道）" in render(grid)
    assert collect(store, scope="community=第2社区", config=config).scope_label == "第2社区（西湖区灵隐街道）"


def test_a_report_whose_data_names_no_district_has_none(tmp_path):
    config = Config().with_db(tmp_path / "data" / "demandlab.duckdb")
    with _store(tmp_path, ["北山街道", "灵隐街道"], config) as store:
        data = collect(store, config=config)
        assert data.district == ""
        assert "<h1>社区诉求分析周报</h1>" in render(data) and "明湖区" not in render(data)
        configured = Config(report=ReportConfig(district="西湖区")).with_db(config.paths.db)
        assert collect(store, config=configured).district == "西湖区"  # the config, when set, wins


# --- the demo report ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_html(demo_run) -> str:
    return demo_run["report"].read_text("utf-8")


def test_no_english_month_or_iso_week_is_visible(demo_html):
    text = visible_text(demo_html)
    assert not ENGLISH_MONTH.findall(text) and not ISO_WEEK.findall(text)
    assert not ISO_DATE.findall(text)
    assert "第" in text and re.search(r"\d{4}年第\d{1,2}周（\d{1,2}月\d{1,2}日–", text)


def test_no_english_month_or_iso_week_reaches_a_chart(demo_html):
    figs = figure_json(demo_html)
    for fid, fig in figs.items():
        for key, text in figure_strings(fig):
            assert not ENGLISH_MONTH.search(text) and not ISO_WEEK.search(text), (fid, key, text)
    # weekly axes list their weeks as Chinese text, and hover text names the week's days
    weekly = figs["fig-weekly"]
    assert weekly["layout"]["xaxis"]["type"] == "category"
    assert all(re.fullmatch(r"(\d{4}年)?\d{1,2}月\d{1,2}日", x) for x in weekly["data"][0]["x"])
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日–(\d{1,2}月)?\d{1,2}日（第\d{1,2}周）", weekly["data"][0]["customdata"][-1])


def test_every_axis_of_dates_is_formatted_in_chinese(demo_html):
    # a date axis plotly labels itself reads "Aug 23 2026" unless it is given a format
    for fid, fig in figure_json(demo_html).items():
        layout = fig["layout"]
        for trace in fig["data"]:
            xs = [x for x in trace.get("x", []) if isinstance(x, str)]
            if not xs or not all(re.match(r"\d{4}-\d{2}-\d{2}", x) for x in xs):
                continue
            axis = layout.get("xaxis" + trace.get("xaxis", "x")[1:], {})
            assert "月" in axis.get("tickformat", "") and "月" in axis.get("hoverformat", ""), fid
            assert "%{x}" not in trace.get("hovertemplate", "%{x}"), fid  # %{x|%-m月%-d日} or none of x


def test_reason_codes_sources_and_the_model_are_named_in_chinese(demo_run, demo_html):
    store = demo_run["store"]
    notes = visible_text(demo_html.split('<section id="notes">')[1])
    reasons = read.reject_reasons(store)["reason"].to_list()
    assert reasons, "the synthetic district plants rejected rows"
    for code in reasons:
        assert code not in notes and reject_reason_zh(code) in notes
    assert "随手拍" in notes and "12345热线" in notes
    model = read.model_version(store)
    assert model not in visible_text(demo_html) and f"版本 {short_version(model)}" in notes


def test_a_grid_report_is_headed_by_the_grids_name(demo_run):
    store, cfg = demo_run["store"], demo_run["config"]
    week = read.weeks(store)["iso_week"][-1]
    row = read.grid_week(store).filter((pl.col("iso_week") == week) & (pl.col("n") > 0)).row(0, named=True)
    data = collect(store, scope=f"grid={row['grid_id']}", config=cfg)
    assert data.scope_label == f"{grid_label(row['grid_name'], row['community'])}（{row['street']}）"
    assert row["grid_id"] not in visible_text(render(data).split("</header>")[0])


def test_the_demo_page_is_under_2_mb(demo_html):
    assert len(demo_html.encode("utf-8")) < 2_000_000


# --- plotly.js ---------------------------------------------------------------------------------------------------
def test_the_bundle_is_plotly_pys_plotly_js_version():
    # an upgrade of plotly without `make vendor-plotly` would draw plotly.py's figures with another plotly.js
    header = PLOTLY_BUNDLE.read_text("utf-8")[:200]
    version = re.search(r"plotly\.js \(cartesian - minified\) v(\d+\.\d+\.\d+)", header).group(1)
    assert version == plotly.offline.get_plotlyjs_version()
    assert f"`plotly.js-cartesian-dist-min` {version}" in (VENDOR / "README.md").read_text("utf-8")


def test_the_vendored_files_are_the_ones_the_readme_names():
    readme = (VENDOR / "README.md").read_text("utf-8")
    for line in (VENDOR / "SHA256SUMS").read_text("utf-8").splitlines():
        digest, name = line.split()
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
        assert f"| `{name}` |" in readme and digest in readme, name


def test_every_trace_the_charts_draw_is_in_the_bundle(demo_html):
    bundled = set(re.findall(r'moduleType:"trace",name:"(\w+)"', PLOTLY_BUNDLE.read_text("utf-8")))
    assert {"bar", "scatter", "heatmap"} <= bundled
    drawn = {trace["type"] for fig in figure_json(demo_html).values() for trace in fig["data"]}
    assert drawn and drawn <= bundled, drawn - bundled


def test_the_page_inlines_the_bundle_and_registers_the_chinese_locale():
    js = plotly_js()
    assert js.startswith(PLOTLY_BUNDLE.read_text("utf-8")) and "Plotly.register(module.exports);" in js
    assert "name: 'zh-CN'" in PLOTLY_LOCALE.read_text("utf-8")
    assert "</script" not in js.lower()


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (apt-get install chromium)")
def test_in_a_browser_the_charts_read_in_chinese(demo_run):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(demo_run["report"].as_uri())
        page.wait_for_function("document.documentElement.getAttribute('data-rendered') !== null", timeout=30_000)
        shown = page.evaluate("[...document.querySelectorAll('svg.main-svg')].map(s => s.textContent).join(' ')")
        # the locale is registered: a month drawn with %B by plotly itself reads in Chinese
        month = page.evaluate(
            """() => { const div = document.createElement('div'); document.body.appendChild(div);
                 return Plotly.newPlot(div, [{x: ['2026-11-02', '2026-11-30'], y: [1, 2]}],
                                       {xaxis: {tickformat: '%B'}}, {locale: 'zh-CN'})
                   .then(() => div.querySelector('.xtick text').textContent); }"""
        )
        body = page.inner_text("body")
        browser.close()
    assert errors == []
    assert month == "十一月"
    for text in (shown, body):
        assert not ENGLISH_MONTH.findall(text) and not ISO_WEEK.findall(text)
    assert re.search(r"\d{1,2}月\d{1,2}日", shown)


def test_statistics_are_said_in_words_and_kept_in_tooltips(demo_html):
    # issue: "p=2.3e-12" and "热度 8.0" were shown raw
    text = visible_text(re.sub(r'\stitle="[^"]*"', "", demo_html))  # the page without its tooltips
    assert not re.search(r"p\s*=\s*[0-9.]+e-?\d", text) and "显著高于常态" in text
    assert re.search(r'title="[^"]*p=[0-9.]+e-\d+', demo_html)  # the figures, for who asks
    assert 'class="heat-bar" style="width:100%"' in demo_html and 'title="热度 ' in demo_html
