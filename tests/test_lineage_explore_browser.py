"""The lineage tree can be explored (issue 14 item 2): fit, wheel zoom, drag, the selected clip in view.

The demo community's lineage dashboard in Debian's chromium at desktop and phone size;
screenshots in test-artifacts/lineage-explore-*.png.
"""

from __future__ import annotations

import pytest
from conftest import give_password, login

from sora_widgets.demo import seed_demo
from sora_widgets.serve import dashboards_dir

pytestmark = [pytest.mark.slow, pytest.mark.browser]

NODES_JS = """() => [...document.querySelectorAll('.sw-remix-tree .sw-node')].map(n => {
  const r = n.getBoundingClientRect();
  return {id: n.getAttribute('data-clip-id'), x: r.left + r.width / 2, y: r.top + r.height / 2, w: r.width,
          sel: n.classList.contains('sw-node-selected')};
})"""
VIEW_JS = """() => { const r = document.querySelector('.sw-remix-viewport').getBoundingClientRect();
  return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; }"""


def inside(n, v) -> bool:
    return v["left"] <= n["x"] <= v["right"] and v["top"] <= n["y"] <= v["bottom"]


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("lineage-explore")
    seed_demo(home, n_clips=120, n_rendered=4, seed=3)
    return home


@pytest.mark.parametrize("size", [(1280, 900), (390, 844)], ids=["desktop", "phone"])
def test_fit_zoom_drag_and_the_selected_clip_stays_in_view(voila, browser, demo_home, artifacts_dir, size):
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(demo_home)}, name="lineage-explore")
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = ctx.new_page()
    login(page, server, give_password(demo_home, "ana"), notebook="lineage.ipynb")
    page.wait_for_selector(".sw-remix-tree .sw-node", timeout=120_000)
    page.wait_for_timeout(500)
    view = page.evaluate(VIEW_JS)
    assert view["right"] <= size[0] + 1  # the explorer fits the screen

    # Fit: every node of the tree is inside the view.
    page.click(".sw-tree-fit")
    page.locator(".sw-remix-viewport").scroll_into_view_if_needed()
    view = page.evaluate(VIEW_JS)
    nodes = page.evaluate(NODES_JS)
    assert len(nodes) > 5 and all(inside(n, view) for n in nodes), [n for n in nodes if not inside(n, view)][:3]
    page.screenshot(path=str(artifacts_dir / f"lineage-explore-fit-{size[0]}.png"), full_page=True)

    # The wheel zooms around the pointer: the nodes grow.
    cx, cy = (view["left"] + view["right"]) / 2, (view["top"] + view["bottom"]) / 2
    before = max(n["w"] for n in nodes)
    page.mouse.move(cx, cy)
    for _ in range(4):
        page.mouse.wheel(0, -300)
    page.wait_for_timeout(200)
    zoomed = page.evaluate(NODES_JS)
    assert max(n["w"] for n in zoomed) > 1.5 * before

    # A drag pans: every node moves by the drag; it selects nothing.
    selected_before = [n["id"] for n in zoomed if n["sel"]]
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 60, cy - 30, steps=6)
    page.mouse.up()
    page.wait_for_timeout(200)
    panned = page.evaluate(NODES_JS)
    moved = [(b["x"] - a["x"], b["y"] - a["y"]) for a, b in zip(zoomed, panned, strict=True)]
    assert all(abs(dx + 60) < 2 and abs(dy + 30) < 2 for dx, dy in moved), moved[:3]
    assert [n["id"] for n in panned if n["sel"]] == selected_before

    # Pick a node after fitting, zoom far away from it, then "Selected" brings it back into view.
    page.click(".sw-tree-fit")
    page.locator(".sw-remix-viewport").scroll_into_view_if_needed()
    view = page.evaluate(VIEW_JS)
    target = page.evaluate(NODES_JS)[-1]
    page.mouse.click(target["x"], target["y"])
    page.wait_for_selector(f".sw-node-selected[data-clip-id='{target['id']}']", timeout=30_000)
    page.mouse.move(view["left"] + 5, view["top"] + 5)
    for _ in range(8):
        page.mouse.wheel(0, -400)
    page.wait_for_timeout(200)
    page.click(".sw-tree-sel")
    sel = next(n for n in page.evaluate(NODES_JS) if n["id"] == target["id"])
    assert inside(sel, page.evaluate(VIEW_JS))
    page.screenshot(path=str(artifacts_dir / f"lineage-explore-selected-{size[0]}.png"), full_page=True)
    ctx.close()
