"""Every notebook in notebooks/ and every dashboard in dashboards/ runs top to bottom, headless.

Each runs in a fresh kernel with its own temporary ``SORA_WIDGETS_HOME``. Unless a
notebook's metadata says ``{"sora_widgets": {"seed_demo": false}}``, that home starts
as a copy of the demo community (``sora_widgets.demo.seed_demo``, built once per session).
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import REPO
from nbclient import NotebookClient

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "dashboards").glob("*.ipynb"))

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="session")
def demo_home(tmp_path_factory) -> Path | None:
    """A seeded demo home, made once; None if the demo module is not there yet."""
    if importlib.util.find_spec("sora_widgets.demo") is None:
        return None
    from sora_widgets.demo import seed_demo

    home = tmp_path_factory.mktemp("demo-home")
    seed_demo(home)
    return home


def wants_demo(nb) -> bool:
    return bool(nb.metadata.get("sora_widgets", {}).get("seed_demo", True))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(REPO)) for p in NOTEBOOKS])
def test_notebook_runs_headless(path, tmp_path, monkeypatch, request):
    nb = nbformat.read(path, as_version=4)
    home = tmp_path / "home"
    if wants_demo(nb):
        seeded = request.getfixturevalue("demo_home")
        if seeded is not None:
            shutil.copytree(seeded, home)
    home.mkdir(exist_ok=True)
    # The kernel inherits this process's environment.
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(home))
    monkeypatch.setenv("SORA_WIDGETS_USER", "notebook_tester")
    # current_user never creates an account (issue 12): the personal-notebook user must exist.
    from sora_widgets.social.accounts import sign_up
    from sora_widgets.store import open_store

    sign_up(open_store(home), "notebook_tester", birthdate="1990-01-01")
    client = NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError, with the failing cell and its traceback
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors
    # Widgets were really produced (a dashboard that displays nothing is broken too).
    if path.parent.name == "dashboards":
        mimes = {k for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) for k in o.get("data", {})}
        assert "application/vnd.jupyter.widget-view+json" in mimes, f"{path.name} displayed no widget"
