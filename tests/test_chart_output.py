"""Figures out of Python: ``dl.charts.save`` for documents, ``dl.charts.use_in_notebooks`` for notebooks."""

import re
import struct
import unicodedata
import xml.etree.ElementTree as ET
from io import BytesIO

import plotly.io as pio
import polars as pl
import pytest
from pypdf import PdfReader

import demandlab as dl
from demandlab.chart_output import RENDERER, ImageExportError, offline_script


@pytest.fixture(scope="module")
def trend(demo_run):
    """The demo's five largest themes week by week, as notebook 01 draws them."""
    store = demo_run["store"]
    top = dl.marts.themes(store).filter(pl.col("theme_id") >= 0).head(5)["theme_id"].to_list()
    weeks = dl.marts.theme_week(store).filter(pl.col("theme_id").is_in(top)).sort("week_start")
    return dl.charts.theme_trends(weeks.group_by("theme_id", maintain_order=True).tail(12))


def test_a_chart_saves_as_png_at_its_own_height_and_twice_the_pixels(trend, chromium, tmp_path):
    written = dl.charts.save(trend, tmp_path / "图" / "主要问题周趋势.png")
    data = written.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    assert (width, height) == (2 * 960, 2 * trend.layout.height)


def test_a_chart_saves_as_svg_and_pdf_with_its_chinese_text(trend, chromium, tmp_path):
    svg = ET.parse(dl.charts.save(trend, tmp_path / "trend.svg", width=800))
    assert svg.getroot().get("width") == "800"
    texts = "".join(el.text or "" for el in svg.iter() if el.tag.endswith("text"))
    assert "主要问题周趋势" in texts and "月" in texts  # the title, and weeks named by their Monday (11月9日)
    pdf = PdfReader(BytesIO(dl.charts.save(trend, tmp_path / "trend.pdf").read_bytes()))
    assert "主要问题周趋势" in unicodedata.normalize("NFKC", pdf.pages[0].extract_text())


def test_an_unknown_image_format_is_refused_in_chinese_before_anything_is_drawn(trend, tmp_path):
    with pytest.raises(ImageExportError, match=r"无法保存为 trend\.docx：图片格式只支持 \.png"):
        dl.charts.save(trend, tmp_path / "trend.docx")
    assert not list(tmp_path.iterdir())


def test_without_a_browser_saving_says_what_to_install(trend, tmp_path, monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-chrome-here"))
    with pytest.raises(ImageExportError, match="保存图片需要 Chromium"):
        dl.charts.save(trend, tmp_path / "trend.png")
    assert not (tmp_path / "trend.png").exists()


def test_in_notebooks_a_figure_carries_its_json_and_an_html_copy_that_needs_no_network(trend):
    before = pio.renderers.default
    try:
        dl.charts.use_in_notebooks()
        assert pio.renderers.default == RENDERER
        bundle = pio.renderers[RENDERER].to_mimebundle(trend.to_dict())
    finally:
        pio.renderers.default = before
    assert bundle["application/vnd.plotly.v1+json"]["data"]  # JupyterLab draws this
    html = bundle["text/html"]
    assert "Plotly.newPlot(" in html and '"locale": "zh-CN"' in html
    assert not re.search(r"<script[^>]*src=", html)  # plotly.js comes once, from offline_script
    script = offline_script()
    assert not re.search(r"<script[^>]*src=", script)  # the bundle itself, never a link to one
    assert script.count("<script>") == 3 and "Plotly.register(module.exports)" in script
