"""The report as its readers see it: headless Chromium (Debian's `chromium`) driven by Playwright.

Skips when Chromium is not installed, unless DEMANDLAB_REQUIRE_BROWSER=1 (set by .ci/run), where a
missing browser is a failure.

Three reports of the synthetic district (the district, its busiest street, its busiest community) are
opened at 1366 px (a desk) and 390 px (a phone) and printed on A4 portrait: no chart is wider than the
screen or the paper, no label, title or legend of a chart runs into another, the current week is labelled
on every week axis of the printed page, nothing is in English month names or ISO weeks, nothing is asked
of the network and nothing goes to the console. Screenshots and the PDFs go to reports/screenshots/
(git-ignored) for a person to look at.

A PDF's text is read back with pypdf when it is installed; without it the printed page is checked in
Chromium's print media at the printable width (703 CSS px: A4's 210 mm less report.css's 12 mm side
margins), which is the layout the PDF is made from.
"""

import csv
import re
import time
import unicodedata
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader

from demandlab.report import write_report

SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"  # git-ignored (/reports/)
PRINTABLE = 703  # CSS px between the @page side margins of A4 portrait (210 mm - 2 × 12 mm)
#: what a Chinese reader should never see: "Aug 23 2026" from plotly's English dates, "2026-W46" ISO weeks
ENGLISH_DATES = re.compile(r"[A-Z][a-z]{2} \d|\d{4}-W\d{2}")


@pytest.fixture(scope="module")
def reports(demo_run, tmp_path_factory) -> dict[str, Path]:
    """The demo district's report, and the reports of its busiest street and community in the latest week."""
    store, cfg = demo_run["store"], demo_run["config"]
    records = store.sql("select street, community, week_start from mart_records")
    latest = records.filter(pl.col("week_start") == pl.col("week_start").max()).drop_nulls(["street", "community"])
    top = (
        latest.group_by("street", "community")
        .len()
        .sort(["len", "street", "community"], descending=[True, False, False])
        .row(0, named=True)
    )
    root = tmp_path_factory.mktemp("scoped")
    return {
        "district": demo_run["report"],
        "street": write_report(store, root / "street.html", scope=f"street={top['street']}", config=cfg),
        "community": write_report(store, root / "community.html", scope=f"community={top['community']}", config=cfg),
    }


def _open(browser, path: Path, width: int, height: int):
    page = browser.new_page(viewport={"width": width, "height": height})
    problems, requests = [], []
    page.on(
        "console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    _wait(page, "() => document.documentElement.getAttribute('data-rendered') !== null")
    return page, problems, requests


def _wait(page, predicate: str, timeout_s: float = 30.0) -> None:
    """Poll ``predicate`` (a JavaScript function) until it holds. Playwright's ``wait_for_function``
    evaluates its predicate with ``eval``, which the report's Content Security Policy forbids."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}"
        page.wait_for_timeout(50)


#: For every drawn chart: its box, and every pair of its texts that run into each other (titles, legend,
#: annotations, tick labels; rotated tick labels of one axis by their spacing along the axis).
LAYOUT_JS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('.js-plotly-plot')) {
    const box = el.querySelector('.svg-container').getBoundingClientRect();
    if (box.width === 0) { continue; }  // hidden (sparklines on a phone)
    const items = [];
    const push = (group, node) => {
      const text = (node.textContent || '').trim(), r = node.getBoundingClientRect();
      if (!text || r.width < 1 || r.height < 1) { return; }
      const turn = (node.getAttribute('transform') || '') + (node.parentNode.getAttribute('transform') || '');
      const m = /rotate\\((-?[\\d.]+)/.exec(turn);
      items.push({group, text, r, angle: m ? Math.abs(parseFloat(m[1])) % 180 : 0,
                  size: parseFloat(getComputedStyle(node).fontSize) || 12});
    };
    el.querySelectorAll('text[class$="title"]').forEach(n => push('title', n));
    el.querySelectorAll('g.legend').forEach(n => push('legend', n));
    el.querySelectorAll('g.annotation').forEach(n => push('annotation', n));
    el.querySelectorAll('g[class$="tick"] > text').forEach(n => push('tick ' + n.parentNode.getAttribute('class'), n));
    const clashes = [];
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i], b = items[j];
        if (a.group === b.group && a.group.startsWith('tick') && (a.angle || b.angle)) {
          const along = a.group.startsWith('tick x')
            ? Math.abs(a.r.left + a.r.right - b.r.left - b.r.right) / 2
            : Math.abs(a.r.top + a.r.bottom - b.r.top - b.r.bottom) / 2;
          if (along * Math.sin(Math.max(a.angle, b.angle) * Math.PI / 180) < 0.9 * a.size) {
            clashes.push(`${a.group} «${a.text}» × «${b.text}»`);
          }
          continue;
        }
        const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
        const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
        if (w > 1 && h > 1) { clashes.push(`${a.group} «${a.text}» × ${b.group} «${b.text}»`); }
      }
    }
    out.push({id: el.id, left: box.left, right: box.right, clashes});
  }
  return out;
}"""

#: For every week axis (layout.meta.week_axes): the label drawn at the last week, and where it is.
LAST_WEEK_JS = """() => {
  const figures = JSON.parse(document.getElementById('figures').textContent);
  const out = [];
  for (const [id, fig] of Object.entries(figures)) {
    const el = document.getElementById(id);
    const axes = el ? ((fig.layout || {}).meta || {}).week_axes || [] : [];
    for (const name of axes) {
      const ref = name.replace('axis', ''), ax = el._fullLayout[name];
      const trace = fig.data.find(t => (t.xaxis || 'x') === ref && Array.isArray(t.x));
      const weeks = (fig.layout[name] || {}).categoryarray || (trace && trace.x);
      if (!weeks) { continue; }
      const last = ax.d2l(weeks[weeks.length - 1]);
      const tick = [...el.querySelectorAll(`g.${ref}tick > text`)].find(t => Math.abs(t.__data__.x - last) < 1e-6);
      const r = tick ? tick.getBoundingClientRect() : null;
      out.push({id, axis: name, text: tick ? tick.textContent.trim() : null, right: r ? r.right : null});
    }
  }
  return out;
}"""

VISIBLE_TEXT_JS = """() => document.body.innerText + ' ' +
  [...document.querySelectorAll('.js-plotly-plot svg text')].map(t => t.textContent).join(' ')"""


def _check_layout(page, width: int, where: str) -> list[dict]:
    """No chart wider than ``width`` or off its left edge, and no two texts of a chart on each other."""
    charts = page.evaluate(LAYOUT_JS)
    assert charts, where
    too_wide = [c["id"] for c in charts if c["left"] < -0.5 or c["right"] > width + 0.5]
    assert too_wide == [], f"{where}: charts outside the {width} px: {too_wide}"
    clashes = {c["id"]: c["clashes"] for c in charts if c["clashes"]}
    assert clashes == {}, f"{where}: texts on each other: {clashes}"
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width + 1, f"{where}: the page is {overflow} px wide"
    return charts


REPORTS = ["district", "street", "community"]


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("name", REPORTS)
def test_every_chart_fits_the_screen_and_no_text_covers_another(browser, reports, name, width):
    page, problems, requests = _open(browser, reports[name], width, 900 if width > 800 else 844)
    assert problems == [], problems
    assert requests == [reports[name].as_uri()], "the page asked for something besides itself"
    charts = _check_layout(page, width, f"{name} at {width} px")
    assert {"fig-weekly", "fig-rates"} <= {c["id"] for c in charts}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("name", REPORTS)
def test_the_printed_page_fits_a4_and_labels_the_current_week(browser, reports, name):
    page, problems, _ = _open(browser, reports[name], 1366, 900)
    page.set_viewport_size({"width": PRINTABLE, "height": 1000})  # the print layout's width
    page.emulate_media(media="print")  # what the browser does on Ctrl+P: the charts are drawn again
    _wait(page, "() => document.documentElement.getAttribute('data-layout') === 'print'")
    _check_layout(page, PRINTABLE, f"{name} printed")
    weeks = page.evaluate(LAST_WEEK_JS)
    time_charts = {w["id"] for w in weeks}
    assert {"fig-weekly", "fig-rates"} <= time_charts
    assert [w for w in weeks if not w["text"]] == [], "a week axis without its last week's label"
    assert [w for w in weeks if w["right"] > PRINTABLE + 0.5] == [], "a last week's label off the paper"
    # page breaks fall between blocks, never inside a chart or a table
    inside = page.evaluate("[...document.querySelectorAll('.figure, table')].map(e => getComputedStyle(e).breakInside)")
    assert set(inside) == {"avoid"}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pdf = SCREENSHOTS / f"{name}-A4.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.stat().st_size > 10_000
    # NFKC: the PDF maps some glyphs to their compatibility forms (⽉ U+2F49 for 月)
    text = unicodedata.normalize("NFKC", "".join(p.extract_text() for p in PdfReader(pdf).pages)).replace(" ", "")
    assert [w["text"] for w in weeks if w["text"].replace(" ", "") not in text] == []
    assert problems == [], problems
    page.close()


@pytest.mark.parametrize("name", REPORTS)
def test_no_english_month_names_or_iso_weeks_are_shown(browser, reports, name):
    page, _, _ = _open(browser, reports[name], 1366, 900)
    shown = page.evaluate(VISIBLE_TEXT_JS)
    page.close()
    assert sorted(set(ENGLISH_DATES.findall(shown))) == []


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
