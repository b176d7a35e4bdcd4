"""Notebooks are committed without outputs and run end to end against demo data."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs_against_the_demo_database(path, demo_run, tmp_path, monkeypatch):
    store = demo_run["store"]
    store.con.execute("checkpoint")
    db = tmp_path / "demo.duckdb"
    shutil.copyfile(store.path, db)
    monkeypatch.setenv("DEMANDLAB_DB", str(db))
    monkeypatch.setenv("DEMANDLAB_MODELS", str(demo_run["config"].paths.models))
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(
        "application/vnd.plotly.v1+json" in o.get("data", {})
        for o in outputs
        if o.output_type == "display_data" or o.output_type == "execute_result"
    )


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
