"""Notebooks are committed without outputs, run end to end against demo data, and draw their figures
without the network when exported to HTML (``dl.charts.use_in_notebooks``)."""

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import urlopen

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert [nb.name for nb in NOTEBOOKS] == [
        "01-explore.ipynb",
        "02-themes.ipynb",
        "03-grid-deep-dive.ipynb",
        "04-closed-loop.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_a_papermill_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "DB = " in tagged[0].source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: strip outputs before committing"


def _fingerprint(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` (or the file itself) with the hash of its bytes."""
    files = [f for root in roots for f in ([root] if root.is_file() else sorted(root.rglob("*"))) if f.is_file()]
    return {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


@pytest.fixture(scope="module")
def executed(demo_run, tmp_path_factory) -> dict[str, dict]:
    """Every notebook executed against a copy of the demo database (its models where the run wrote them),
    then converted to HTML as ``jupyter nbconvert --to html`` does; with what the run wrote to the database
    and the models it was given."""
    store = demo_run["store"]
    store.con.execute("checkpoint")
    root = tmp_path_factory.mktemp("notebooks")
    db, models = root / "demo.duckdb", demo_run["config"].paths.models
    shutil.copyfile(store.path, db)
    results = {}
    for path in NOTEBOOKS:
        before = _fingerprint(db, models)
        with pytest.MonkeyPatch.context() as env:
            env.setenv("DEMANDLAB_DB", str(db))
            env.setenv("DEMANDLAB_MODELS", str(models))
            nb = nbformat.read(path, as_version=4)
            client = NotebookClient(
                nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
            )
            client.execute()
        html, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
        out = root / f"{path.stem}.html"
        out.write_text(html, encoding="utf-8")
        results[path.name] = {"nb": nb, "html": out, "unchanged": before == _fingerprint(db, models)}
    return results


def _outputs(nb) -> list:
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


def _figures(nb) -> list:
    return [o for o in _outputs(nb) if "application/vnd.plotly.v1+json" in o.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_against_the_demo_database(path, executed):
    nb = executed[path.name]["nb"]
    assert not [o for o in _outputs(nb) if o.output_type == "error"]
    assert _figures(nb), f"{path.name} shows no figure"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_never_writes_into_the_database_or_models_it_was_given(path, executed):
    """Notebook 02 once fitted a new model into the demo's models folder when pointed at another database."""
    assert executed[path.name]["unchanged"]


def test_the_themes_notebook_merge_moves_records_without_adding_any(executed):
    """A merge of 62 + 42 records was once reported as 179: the copy was refitted, not given the decisions."""
    nb = executed["02-themes.ipynb"]["nb"]
    printed = "".join(o.get("text", "") for o in _outputs(nb) if o.output_type == "stream")
    counted = re.search(r"before: ([\d + ]+) = (\d+) records; after: (\d+) under theme", printed)
    assert counted, printed
    parts = [int(n) for n in counted.group(1).split(" + ")]
    assert len(parts) == 2 and sum(parts) == int(counted.group(2)) == int(counted.group(3))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_html_carries_every_figure_and_plotly_js_once(path, executed):
    """Exported to HTML, every figure is drawn from the page itself: one embedded plotly.js, no script of ours
    from the network (nbconvert's own template still names require.js and MathJax on a CDN; neither is needed)."""
    html = executed[path.name]["html"].read_text("utf-8")
    figures = _figures(executed[path.name]["nb"])
    assert html.count("Plotly.newPlot(") == len(figures)
    assert html.count("window.__demandlabDefine = window.define") == 1
    assert html.count("Plotly.register(module.exports)") == 1  # the zh-CN locale
    remote = set(re.findall(r'<script[^>]*src="(https?://[^"]+)"', html))
    assert {urlparse(u).path.rsplit("/", 1)[-1] for u in remote} <= {"require.min.js", "latest.js"}


@pytest.mark.parametrize("require_js", [False, True], ids=["offline", "with-require.js"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_html_draws_its_figures_without_the_network(path, require_js, executed, browser):
    """Opened in Chromium with every request refused, the figures are drawn. With require.js present (online,
    nbconvert's template loads it), plotly.js would define itself as an AMD module and leave no ``Plotly``."""
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def answer(route):
        url = route.request.url
        if url.startswith("file:"):
            route.continue_()
        elif require_js and url.endswith("require.min.js"):
            route.fulfill(body=AMD_LOADER, content_type="text/javascript")
        else:
            route.abort()

    page.route("**/*", answer)
    page.goto(executed[path.name]["html"].as_uri())
    expected = len(_figures(executed[path.name]["nb"]))
    page.wait_for_function(f"() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= {expected}")
    drawn = page.evaluate("() => document.querySelectorAll('.js-plotly-plot').length")
    page.close()
    assert drawn == expected and not errors


#: what matters of require.js here: a global ``define`` with ``define.amd``, which UMD bundles obey
AMD_LOADER = "window.define = function (deps, factory) { window.__amd = factory; }; window.define.amd = {};"


def test_a_notebook_runs_from_a_command_with_parameters(demo_run, tmp_path):
    """papermill injects parameters after the tagged cell: the grid deep dive for a chosen grid."""
    import papermill

    store = demo_run["store"]
    store.con.execute("checkpoint")
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(store.path, db)
    grid = store.sql("select grid_id from grids order by grid_id limit 1").item()
    path = next(p for p in NOTEBOOKS if p.name == "03-grid-deep-dive.ipynb")
    out = tmp_path / "out.ipynb"
    papermill.execute_notebook(
        str(path), str(out), parameters={"DB": str(db), "GRID_ID": grid, "WEEKS": 8}, cwd=str(path.parent),
        progress_bar=False, kernel_name="python3",
    )  # fmt: skip
    printed = "".join(
        o.get("text", "") for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code" for o in c.outputs
    )
    assert printed.startswith(grid)


def test_make_lab_opens_jupyterlab_on_the_notebooks_with_plotly_drawn_offline(tmp_path):
    """``make lab`` (the README's third command) serves notebooks/ with plotly's JupyterLab extension, which
    draws a figure from its JSON with the plotly.js it ships. The demo is not remade here (``-o``)."""
    root = Path(__file__).resolve().parents[1]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(8)
    args = f"LAB_ARGS=--no-browser --port={port} --IdentityProvider.token={token}"
    log = (tmp_path / "lab.log").open("w")
    lab = subprocess.Popen(
        ["make", "-s", "-o", "data/demo/demandlab.duckdb", "lab", args],
        cwd=root, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        contents = None
        for _ in range(120):
            try:
                with urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=2) as answer:
                    contents = json.load(answer)
                break
            except OSError:
                assert lab.poll() is None, (tmp_path / "lab.log").read_text()
                time.sleep(0.5)
        assert contents is not None, (tmp_path / "lab.log").read_text()
        assert {nb.name for nb in NOTEBOOKS} <= {item["name"] for item in contents["content"]}
        with urlopen(f"http://127.0.0.1:{port}/lab?token={token}", timeout=10) as answer:
            assert "jupyterlab-plotly" in answer.read().decode("utf-8")
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        log.close()
