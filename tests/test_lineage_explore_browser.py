"""The lineage tree can be explored (issue 14 item 2): fit, wheel zoom, drag, the selected clip in view.

The demo community's lineage dashboard in Debian's chromium at desktop and phone size;
screenshots in test-artifacts/lineage-explore-*.png.
"""

from __future__ import annotations

import pytest
from conftest import give_password, login, served_here

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
    with served_here(home):  # the same demo, seeded without a file open per store operation
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
    page.click(".sw-tree-all")
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
    page.click(".sw-tree-all")
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


@pytest.fixture(scope="module")
def big_home(tmp_path_factory):
    """Creators and one 1,500-clip cascade (above FULL_DRAW_MAX: drawn in layers), built as the benchmark does."""
    from sora_widgets.demo import CREATORS
    from sora_widgets.social.accounts import sign_up
    from sora_widgets.testing.cascade import add_cascade, busy_clip

    home = tmp_path_factory.mktemp("lineage-big")
    with served_here(home) as store:  # built without a file open per store operation
        for h in CREATORS:
            sign_up(store, h, birthdate="1995-05-05")
        root = add_cascade(home, 1500)
        return home, busy_clip(home, root)


def test_a_big_tree_draws_what_is_in_view_and_stays_usable(voila, browser, big_home, artifacts_dir):
    from sora_widgets.widgets.remix_explorer import FULL_DRAW_MAX

    home, busy = big_home
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="lineage-big")
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, server, give_password(home, "ana"), notebook="lineage.ipynb")
    page.wait_for_selector(".sw-remix-tree .sw-node-selected", timeout=120_000)
    svg = page.locator(".sw-remix-svg")
    assert svg.get_attribute("data-drawing") == "layers" and int(svg.get_attribute("data-nodes")) == 1500
    count = "() => document.querySelectorAll('.sw-remix-tree .sw-node').length"

    # Zoomed in on a crowded part: full nodes for what is in view only, with their own pictures, asked for lazily.
    page.evaluate(f"() => document.querySelector('.sw-remix-viewport').__swShow('{busy}', 0.6)")
    page.wait_for_function("() => document.querySelectorAll('.sw-remix-tree .sw-node image').length > 5",
                           timeout=60_000)
    assert 5 < page.evaluate(count) < FULL_DRAW_MAX
    page.screenshot(path=str(artifacts_dir / "lineage-big-zoomed.png"), full_page=True)

    # A full node is clickable: the panel opens that clip (through the kernel).
    target = page.evaluate("""() => { const v = document.querySelector('.sw-remix-viewport').getBoundingClientRect();
        const n = [...document.querySelectorAll('.sw-remix-tree .sw-node:not(.sw-node-selected)')].find(e => {
          const r = e.getBoundingClientRect(); return r.left >= v.left && r.right <= v.right && r.top >= v.top
            && r.bottom <= v.bottom; });
        return n.getAttribute('data-clip-id'); }""")
    page.locator(f".sw-remix-tree .sw-node[data-clip-id='{target}']").click()
    page.wait_for_selector(f".sw-remix-tree .sw-node-selected[data-clip-id='{target}']", timeout=30_000)
    page.wait_for_function(f"() => [...document.querySelectorAll('.sw-selected-id')].some(e => e.textContent === '{target}')",
                           timeout=60_000)

    # A mouse drag moves the drawn tile with the pointer and selects nothing.
    node = page.locator(f".sw-remix-tree .sw-node[data-clip-id='{target}']")
    before = node.bounding_box()
    box = page.locator(".sw-remix-viewport").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx - 80, cy - 20, steps=8)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = node.bounding_box()
    assert abs(after["x"] - before["x"] + 80) < 2 and abs(after["y"] - before["y"] + 20) < 2, (before, after)
    assert page.locator(".sw-remix-tree .sw-node-selected").get_attribute("data-clip-id") == target

    # Fit: the whole tree as boxes on the canvas, no full node left in the page.
    page.click(".sw-tree-all")
    page.wait_for_function(count.replace("=> ", "=> 0 === "), timeout=30_000)
    inked = page.evaluate("""() => { const c = document.querySelector('.sw-remix-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }""")
    assert inked > 500
    page.screenshot(path=str(artifacts_dir / "lineage-big-fit.png"), full_page=True)
    assert not errors, errors
