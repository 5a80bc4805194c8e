"""docs/notebooks/quickstart.ipynb runs top to bottom: a failing cell fails this test."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = Path(__file__).resolve().parents[2] / "docs" / "notebooks" / "quickstart.ipynb"
KERNEL = "segmint-test"


@pytest.fixture
def this_python_kernel(tmp_path, monkeypatch):
    """A kernelspec that runs this interpreter (the virtualenv's), found through JUPYTER_PATH."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    return KERNEL


def test_quickstart_runs_top_to_bottom(tmp_path, this_python_kernel):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(
        notebook, kernel_name=this_python_kernel, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    dashboard = tmp_path / "segmint_dashboard.html"
    assert dashboard.exists() and dashboard.stat().st_size > 10_000
    last = notebook.cells[-1].outputs[0]["data"]
    assert last["text/html"].startswith("<iframe srcdoc=")
    images = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 2


def test_a_failing_cell_fails_the_run(tmp_path, this_python_kernel):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("raise ValueError('boom')")])
    client = nbclient.NotebookClient(notebook, kernel_name=this_python_kernel, timeout=60)
    with pytest.raises(nbclient.exceptions.CellExecutionError, match="boom"):
        client.execute()
