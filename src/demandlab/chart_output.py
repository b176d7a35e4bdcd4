"""Figures out of Python: saved as images for documents, shown in notebooks without the network.

:func:`save` writes any plotly figure as PNG, SVG, PDF, JPEG or WebP, for a Word document or a slide.
It draws with kaleido, which drives the machine's Chromium (``apt-get install chromium``, or
``BROWSER_PATH`` naming a Chrome) with the plotly.js that plotly.py ships: nothing is fetched, and
kaleido's MathJax (a CDN script) is switched off. Chinese needs a CJK font on the machine
(``apt-get install fonts-noto-cjk``); without one every character is an empty box.

:func:`use_in_notebooks` makes figures in a Jupyter notebook show everywhere the notebook goes:
JupyterLab draws them from their JSON (plotly's own JupyterLab extension, installed with plotly),
``jupyter nbconvert --to html`` and any viewer that runs a notebook's HTML draw them from an HTML
copy. plotly.js (and its zh-CN locale) is embedded once, in the output of the first figure shown,
so the saved notebook and its HTML need no network. plotly's own ``notebook`` renderer would add a
MathJax ``<script src="https://…">`` to every figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

#: formats :func:`save` writes, by file suffix
IMAGE_FORMATS = {"png": "png", "svg": "svg", "pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "webp": "webp"}
#: drawn at their size whatever ``scale`` says (a vector image has no pixels to multiply)
VECTOR_FORMATS = {"svg", "pdf"}
#: a figure without its own width is drawn this wide: 16 cm of an A4 page at 150 dpi, before ``scale``
DOCUMENT_WIDTH = 960
RENDERER = "demandlab"
#: plotly.js's zh-CN locale, vendored with the report's plotly.js (report/vendor/README.md)
PLOTLY_LOCALE = Path(__file__).parent / "report" / "vendor" / "plotly-locale-zh-cn.js"


class ImageExportError(RuntimeError):
    """A figure could not be drawn as an image (no browser, an unknown format)."""


def save(fig: Any, path: str | Path, *, width: int | None = None, height: int | None = None, scale: float = 2) -> Path:
    """Write ``fig`` (a plotly figure or its dict) as an image; the format is the suffix of ``path``.

    ``width`` and ``height`` in CSS pixels default to the figure's own (its height is set by every
    chart of :mod:`demandlab.charts`), else 960 × 480; ``scale`` multiplies the pixels of a PNG, JPEG
    or WebP (2: sharp on paper). Returns the path written.

    >>> import demandlab as dl
    >>> fig = dl.charts.theme_trends(trend)              # doctest: +SKIP
    >>> dl.charts.save(fig, "主要问题周趋势.png")          # doctest: +SKIP
    PosixPath('主要问题周趋势.png')
    """
    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in IMAGE_FORMATS:
        known = "、".join(f".{s}" for s in IMAGE_FORMATS)
        raise ImageExportError(f"无法保存为 {path.name}：图片格式只支持 {known}")
    layout = _layout(fig)
    opts = {
        "format": IMAGE_FORMATS[suffix],
        "width": int(width or layout.get("width") or DOCUMENT_WIDTH),
        "height": int(height or layout.get("height") or DOCUMENT_WIDTH // 2),
        "scale": 1 if IMAGE_FORMATS[suffix] in VECTOR_FORMATS else scale,
    }
    import kaleido  # imported here: only saving needs it

    try:
        image = kaleido.calc_fig_sync(fig, opts=opts, kopts={"mathjax": False})
    except Exception as error:  # kaleido names no common base class; a missing browser is the usual cause
        if type(error).__name__ == "ChromeNotFoundError":
            raise ImageExportError(
                "保存图片需要 Chromium 浏览器：apt-get install chromium（或用环境变量 BROWSER_PATH 指明 Chrome 的位置）"
            ) from error
        raise
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image)
    return path


def _layout(fig: Any) -> dict:
    if isinstance(fig, dict):
        return dict(fig.get("layout") or {})
    return fig.layout.to_plotly_json()


def offline_script() -> str:
    """The HTML that defines ``Plotly`` in a notebook's output: plotly.py's full plotly.js (every trace
    type an analyst may draw) and the zh-CN locale. ``define`` is hidden while the bundle runs, so a
    page with require.js (classic notebook pages, nbconvert's HTML) still gets ``window.Plotly``."""
    from plotly.offline import get_plotlyjs

    return (
        "<script>window.PlotlyConfig = {MathJaxConfig: 'local'};"
        " window.__demandlabDefine = window.define; window.define = undefined;</script>\n"
        f"<script>{get_plotlyjs()}</script>\n"
        f"<script>window.define = window.__demandlabDefine; {plotly_locale_script()}</script>"
    )


def plotly_locale_script() -> str:
    """JavaScript registering plotly.js's zh-CN locale: the locale file is a CommonJS module
    (``module.exports = {…}``), so it runs with a ``module`` of its own and its export goes to ``Plotly.register``."""
    locale = PLOTLY_LOCALE.read_text("utf-8")
    return f"(function () {{\nvar module = {{exports: {{}}}};\n{locale}\nPlotly.register(module.exports);\n}})();"


def use_in_notebooks() -> None:
    """Show figures in this notebook so they need no network anywhere (see the module's text).

    Call it once, in the notebook's first cell; every later figure is shown this way:

    >>> import demandlab as dl
    >>> dl.charts.use_in_notebooks()                     # doctest: +SKIP
    """
    import plotly.io as pio

    if RENDERER not in pio.renderers:
        pio.renderers[RENDERER] = _offline_renderer()
    pio.renderers.default = RENDERER


def _offline_renderer() -> Any:
    from plotly.io import to_html
    from plotly.io.base_renderers import MimetypeRenderer, PlotlyRenderer

    config = {"locale": "zh-CN", "displaylogo": False}

    class OfflineNotebookRenderer(MimetypeRenderer):
        """The figure's JSON for JupyterLab and an HTML copy for everything else; plotly.js once."""

        def activate(self) -> None:
            from IPython.display import HTML, display

            display(HTML(offline_script()))

        def to_mimebundle(self, fig_dict: dict) -> dict:
            bundle = PlotlyRenderer(config=config).to_mimebundle(fig_dict)
            html = to_html(fig_dict, config=config, include_plotlyjs=False, include_mathjax=False, full_html=False)
            return bundle | {"text/html": html}

    return OfflineNotebookRenderer()
