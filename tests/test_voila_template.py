"""Our page template (``auth/voila_template``): voila.js starts after the first cell, once, on every lab page.

Rendered by Voila's real exporter and templates; the kernel's two calls (start it, run the cells one by
one) are played by small coroutines that hand back the cells as a kernel that ran them would. The real
server and browser run it in every browser test (``tests/test_auth_browser.py`` checks a served page).
"""

from __future__ import annotations

import re

import nbformat
from own_loop import run_on_own_loop
from voila.exporter import VoilaExporter
from voila.paths import collect_template_paths

from sora_widgets.auth.voila_app import PAGE_TEMPLATE_BASE, page_template_dir, voila_class

STATIC = "/voila/static"
MAIN = re.compile(r"<script[^>]*voila\.js")


def _notebook(n_cells: int) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "language": "python",
                                                           "display_name": "Python 3"}})
    nb.cells = [nbformat.v4.new_markdown_cell(f"cell number {i}") for i in range(n_cells)]
    return nb


def _page(nb: nbformat.NotebookNode, cells_run: int | None = None) -> tuple[str, list[str]]:
    """The page's HTML, and what of it had been sent when each cell after the first was about to run."""
    exporter = VoilaExporter(template_paths=[str(page_template_dir()),
                                             *collect_template_paths(["voila", "nbconvert"], PAGE_TEMPLATE_BASE)],
                             template_name=PAGE_TEMPLATE_BASE)

    async def kernel_start(nb):
        return "kernel-1"

    sent: list[str] = []
    sent_before_cell: list[str] = []

    async def cell_generator(nb, kernel_id):
        for i, cell in enumerate(nb.cells[:cells_run]):  # a failing cell stops the page's cells there
            if i:
                sent_before_cell.append("".join(sent))
            yield cell

    extra = {"frontend": "voila", "main_js": "voila.js", "kernel_start": kernel_start,
             "cell_generator": cell_generator, "progressive_rendering": False}
    resources = {"base_url": "/", "theme": "light", "template": PAGE_TEMPLATE_BASE, "labextensions": []}

    async def render():
        async for html, _ in exporter.generate_from_notebook_node(nb, resources=resources, extra_context=extra,
                                                                   page_config={"fullStaticUrl": STATIC}):
            sent.append(html)

    run_on_own_loop(render())
    return "".join(sent), sent_before_cell


def test_voila_js_starts_once_right_after_the_first_cell_before_the_others_run():
    html, sent_before_cell = _page(_notebook(3))
    assert len(MAIN.findall(html)) == 1
    tag = MAIN.search(html)
    assert 'async data-sw-voila-main src="/voila/static/voila.js"' in html
    config_at = html.index('id="jupyter-config-data"')  # where voila.js reads its chunks' URLs
    first, second = html.index("cell number 0"), html.index("cell number 1")
    assert config_at < tag.start() < first < second
    # Sent before the second cell runs, so the browser evaluates it while the kernel works.
    assert len(sent_before_cell) == 2
    assert MAIN.search(sent_before_cell[0]) and "cell number 1" not in sent_before_cell[0]
    # The fallback in the footer sees it and adds nothing.
    assert 'querySelector("script[data-sw-voila-main]")' in html[second:]


def test_a_page_whose_cells_stopped_before_the_first_still_gets_voila_js_from_its_footer():
    for nb, cells_run in ((_notebook(0), None), (_notebook(2), 0)):
        html, _ = _page(nb, cells_run)
        assert not MAIN.search(html)  # no tag from a cell ...
        assert 'main.src = "/voila/static/voila.js"' in html  # ... the footer's script adds it
        assert html.rstrip().endswith("</html>")


def test_the_server_puts_the_template_first_for_lab_pages_only(tmp_path):
    app = voila_class()()
    app.voila_configuration = type("Conf", (), {"template": PAGE_TEMPLATE_BASE})()
    app.notebook_path = ""
    app.setup_template_dirs()
    assert app.template_paths[0] == str(page_template_dir())
    assert (page_template_dir() / "index.html.j2").is_file()
