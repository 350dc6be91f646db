"""The server's one-time page work (``auth/server_warm_up.py``): pages share compiled templates, never stale ones.

The real Voila exporter and Jinja; the log line of a real server is checked in
``test_auth_browser.py`` (the warm-up ran there before two people used the Studio).
"""

from __future__ import annotations

import types
from pathlib import Path

import jinja2
import pytest
import voila.notebook_renderer
from own_loop import run_on_own_loop
from voila.paths import collect_static_paths, collect_template_paths

from sora_widgets.auth.server_warm_up import (
    compiled_template_count,
    page_exporter_class,
    use_page_exporter,
    warm_up_server,
)
from sora_widgets.auth.voila_app import voila_class
from sora_widgets.serve import dashboards_dir


@pytest.fixture
def compiles(monkeypatch) -> list[str]:
    """The names of the templates Jinja compiles from source from now on."""
    names: list[str] = []
    original = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        names.append(name)
        return original(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    return names


def _lab_exporter(paths=None):
    exporter = page_exporter_class()(template_paths=paths or collect_template_paths(["voila", "nbconvert"], "lab"),
                                     template_name="lab")
    from nbconvert.filters.highlight import Highlight2HTML

    exporter.register_filter("highlight_code", Highlight2HTML(parent=exporter))  # as a page does before it renders
    return exporter


def test_voila_renders_pages_with_the_shared_template_exporter():
    voila_class()
    assert voila.notebook_renderer.VoilaExporter is page_exporter_class()
    use_page_exporter()  # twice is harmless
    assert voila.notebook_renderer.VoilaExporter is page_exporter_class()


def test_a_second_page_compiles_none_of_the_templates_the_first_compiled(compiles):
    first = _lab_exporter()
    names = ["index.html.j2", "base.html.j2", "display_priority.j2", "celltags.j2", "mathjax.html.j2"]
    for name in names:
        first.environment.get_template(name)
    assert compiled_template_count() >= len(names)
    compiles.clear()
    second = _lab_exporter()  # a new page: a new exporter, a new Jinja environment
    assert second.environment is not first.environment
    for name in names:
        second.environment.get_template(name)
    assert compiles == []


def test_an_edited_template_is_compiled_again_not_served_stale(tmp_path, compiles):
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "page.j2").write_text("version one: {{ x }}")
    first = _lab_exporter([str(folder)])
    assert run_on_own_loop(first.environment.get_template("page.j2").render_async(x=1)) == "version one: 1"
    (folder / "page.j2").write_text("version two: {{ x }}")
    compiles.clear()
    second = _lab_exporter([str(folder)])
    assert run_on_own_loop(second.environment.get_template("page.j2").render_async(x=2)) == "version two: 2"
    assert compiles == ["page.j2"]


def test_the_warm_up_compiles_the_page_templates_reads_the_dashboards_and_hashes_the_scripts(compiles):
    app = types.SimpleNamespace(
        template_paths=collect_template_paths(["voila", "nbconvert"], "lab"), config=None,
        voila_configuration=types.SimpleNamespace(template="lab"), root_dir=str(dashboards_dir()),
        static_paths=collect_static_paths(["voila", "nbconvert"], "lab"), labextensions_path=[])
    done = warm_up_server(app)
    assert done["templates"] >= 8  # voila's index, nbconvert's lab index and base, their macros
    assert done["notebooks"] == len(list(Path(dashboards_dir()).glob("*.ipynb")))
    assert done["static_files"] > 0
    # A page after the warm-up compiles none of them.
    compiles.clear()
    page = _lab_exporter()
    _ = page.template
    for name in ("base.html.j2", "display_priority.j2", "celltags.j2"):
        page.environment.get_template(name)
    assert compiles == []
