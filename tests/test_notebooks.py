"""Notebooks are committed without outputs and run end to end against demo data."""

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert any(nb.name == "01-explore.ipynb" for nb in NOTEBOOKS)


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
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any(
        "application/vnd.plotly.v1+json" in o.get("data", {})
        for o in outputs
        if o.output_type == "display_data" or o.output_type == "execute_result"
    )
