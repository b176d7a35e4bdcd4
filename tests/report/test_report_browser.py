"""The report as a browser shows it: headless Chromium (Debian's `chromium`) driven by Playwright.

Skips when Chromium is not installed, unless DEMANDLAB_REQUIRE_BROWSER=1 (set by .ci/run), where a
missing browser is a failure.
"""

import csv
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # tests/artifacts, git-ignored


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("DEMANDLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "Chromium is required (DEMANDLAB_REQUIRE_BROWSER=1) but not installed: apt-get install chromium"
            )
        pytest.skip("Chromium not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


def _open(browser, path: Path, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems, requests = [], []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_function("document.documentElement.getAttribute('data-rendered') !== null", timeout=30_000)
    return page, problems, requests


def test_report_renders_every_chart_offline_without_errors(browser, demo_run):
    path = demo_run["report"]
    page, problems, requests = _open(browser, path, 1280, 900)
    assert problems == []
    assert requests == [path.as_uri()], "the page asked for something besides itself"
    figure_ids = page.evaluate("Object.keys(JSON.parse(document.getElementById('figures').textContent))")
    assert len(figure_ids) >= 5
    for fid in figure_ids:
        assert page.evaluate(f"document.getElementById('{fid}').querySelector('svg.main-svg') !== null"), fid
    assert "本周概况" in page.inner_text("#overview") and "变化最大的网格" in page.inner_text("#grids")
    # the planted surge of the district's last weeks is an alert with its chart; hot issues and the
    # closed loop by handling unit are drawn too
    assert "激增" in page.inner_text("#alerts") and "fig-alert-0" in figure_ids
    assert {"fig-hot", "fig-loop"} <= set(figure_ids)
    assert "按期办结率" in page.inner_text("#loop") and page.locator("#hot tbody tr").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    page.close()


def test_report_fits_a_phone_screen(browser, demo_run):
    page, problems, _ = _open(browser, demo_run["report"], 375, 740)
    assert problems == []
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"page is {overflow}px wider than a phone"
    page.screenshot(path=str(ARTIFACTS / "report-phone.png"))
    page.close()


def test_report_prints_on_a4(browser, demo_run, tmp_path):
    page, _, _ = _open(browser, demo_run["report"], 1280, 900)
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 10_000
    page.close()


#: grid names and handling units as an attacker would write them (issue: they became links and an overlay)
HOSTILE_GRIDS = [
    '<a href="http://listener.example/grid">幸福第1网格</a>',
    '<span style="position:fixed;top:0;left:0;width:100%;height:100%;background:#c00">幸福第2网格</span>',
    "<b>幸福第3网格</b><br>更多",
]
HOSTILE_UNITS = [
    '<a href="http://listener.example/unit">城管局</a>',
    '<span style="position:fixed;inset:0;background:#c00">物业公司</span>',
    "<b>街道办</b>",
]


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """A small district whose grid names and 承办单位 hold markup, run and reported."""
    import demandlab as dl
    from demandlab.config import demo_config
    from demandlab.report import write_report

    root = tmp_path_factory.mktemp("hostile")
    registry = root / "grids.csv"
    with registry.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["街道", "社区", "网格编号", "网格名称", "网格别名"])
        for i, name in enumerate(HOSTILE_GRIDS, start=1):
            writer.writerow(["东湖街道", "幸福社区", f"XF0{i}", name, f"第{i}网格"])
    orders = root / "orders.csv"
    topics = ["楼道 飞线充电 电瓶车 火灾隐患", "垃圾 清运 臭味 垃圾桶", "电梯 故障 困人 维保", "广场舞 音响 扰民 音乐"]
    with orders.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["工单编号", "来电时间", "诉求内容", "街道", "社区", "网格", "承办单位"])
        for i in range(160):
            day = f"2026/{10 + i % 2}/{1 + i % 28} 10:{i % 60:02d}:00"
            unit = HOSTILE_UNITS[i % len(HOSTILE_UNITS)]
            writer.writerow([f"GD{i}", day, topics[i % 4], "东湖街道", "幸福社区", f"第{1 + i % 3}网格", unit])
    cfg = demo_config(root / "data", root / "reports")
    store = dl.connect(cfg.paths.db)
    pipe = dl.Pipeline(store, cfg)
    pipe.load_grids(registry)
    pipe.ingest(orders)
    pipe.run()
    path = write_report(store, root / "reports" / "hostile.html", config=cfg)
    store.close()
    return path


def test_markup_in_grid_and_unit_names_is_shown_as_text_inside_the_charts(browser, hostile_report):
    page, problems, requests = _open(browser, hostile_report, 1280, 900)
    assert problems == [] and requests == [hostile_report.as_uri()]
    figure_ids = page.evaluate("Object.keys(JSON.parse(document.getElementById('figures').textContent))")
    assert {"fig-grids", "fig-heatmap", "fig-loop"} <= set(figure_ids)
    found = page.evaluate(
        """() => {
          const svgs = [...document.querySelectorAll('.figure svg.main-svg, .spark svg.main-svg')];
          const all = svgs.flatMap(svg => [...svg.querySelectorAll('*')]);
          return {
            svgs: svgs.length,
            links: all.filter(e => e.tagName.toLowerCase() === 'a').length,
            styled: all.map(e => (e.getAttribute('style') || '').replace(/\\s/g, ''))
                       .filter(s => /position:|inset:|background:|#c00|width:100%/.test(s)),
            text: svgs.map(svg => svg.textContent).join(' '),
          };
        }"""
    )
    assert found["svgs"] >= 3
    assert found["links"] == 0, "a name from the data became a link"
    assert found["styled"] == [], "a style from the data reached the chart"
    # the names are still there, as the characters they were written with
    assert '<a href="http://listener.example/grid">幸福第1网格</a>' in found["text"]
    assert "<b>幸福第3网格</b><br>更多" in found["text"]
    assert "城管局" in found["text"]  # cleaning may already strip the tags from 承办单位; the chart shows the unit
    page.close()
