"""The lineage dashboard in a real browser (Debian's chromium via Playwright): interactive time and pan frame time.

    .venv/bin/python benchmarks/lineage_page_bench.py                  # demo community, then a 10,000-node cascade
    .venv/bin/python benchmarks/lineage_page_bench.py --nodes 2000     # a smaller cascade while developing

Prints (issue 14 item 2; targets: page interactive <= 5 s with the demo community, panning smooth,
<= 16-33 ms a frame, on a 10,000-node tree):

- on the demo community (``seed_demo`` defaults: 400 clips, 24 rendered), on a fresh (cold) server and
  on the warm one: navigation -> first tree node drawn, and -> interactive (a click on a node shows
  that clip in the panel: a widget round trip through the kernel);
- then with a 10,000-node cascade added (every node with its own place, thumbnails from 64 pictures,
  so each drawn node carries an image): navigation -> first node drawn, -> interactive, Fit, and
  the frame time while panning the tree at three zooms (the whole tree, 0.35, 1.0): mean and p95 of
  the intervals between animation frames during a 2 s pan that moves the view 8 px every frame (driven
  in the page, so each frame has a move to draw), with the script time of each move and the number of
  tree nodes in the page's DOM; then the same with a real mouse drag through Playwright (fewer moves:
  each is a round trip from Python).

The cascade is written in bulk (a DataFrame through DuckDB) with a fixed seed; the page is the
real ``lineage.ipynb`` behind the login. Wall-clock figures on a shared machine are noisy: the
load average is printed with them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _studio_page import check_chromium, launch, logged_in_context, make_creator, studio_server  # noqa: E402

from sora_widgets.testing.cascade import add_cascade, busy_clip  # noqa: E402

LINEAGE = "lineage.ipynb"
NODE = ".sw-remix-tree .sw-node"
#: A pan driven by the page itself: every animation frame moves the view 8 px (back and forth) the way a drag
#: does, for ``ms`` milliseconds; returns the intervals between frames and the script time of each move (ms).
PAN_IN_PAGE_JS = """(ms) => new Promise((done) => {
  const v = document.querySelector('.sw-remix-viewport');
  const gaps = [], work = [];
  let last = null, start = null, i = 0;
  const tick = (t) => {
    if (start === null) start = t;
    if (last !== null) gaps.push(t - last);
    last = t;
    const w0 = performance.now();
    v.__swPanBy(Math.sin(i / 40) >= 0 ? 8 : -8, Math.sin(i / 17) * 2);
    work.push(performance.now() - w0);
    i++;
    if (t - start < ms) requestAnimationFrame(tick); else done({ gaps, work });
  };
  requestAnimationFrame(tick);
})"""
#: Frame intervals recorded in the page while a drag runs (requestAnimationFrame timestamps).
FRAMES_JS = """() => { window.__swFrames = []; window.__swRun = true;
  const tick = (t) => { window.__swFrames.push(t); if (window.__swRun) requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""
STOP_FRAMES_JS = """() => { window.__swRun = false; const f = window.__swFrames;
  return f.slice(1).map((t, i) => t - f[i]); }"""


def open_page(context, url: str, busy: str | None = None) -> tuple[object, dict]:
    """Open the lineage page; seconds since navigation to the first node drawn and to a working click.

    ``busy``: a clip to bring into view (with its neighbours) when the first look shows no other node."""
    page = context.new_page()
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(NODE, timeout=300_000)
    drawn = time.perf_counter() - t0
    # Interactive: click a node other than the selected one; the panel names it (kernel round trip). A big
    # tree's first look (the original at full size) may show no other node: zoom out to 0.35 in the page first.
    find = f"""() => {{
        const v = document.querySelector('.sw-remix-viewport').getBoundingClientRect();
        const n = [...document.querySelectorAll('{NODE}:not(.sw-node-selected)')].find(e => {{
          const r = e.getBoundingClientRect(); return r.width > 15 && r.left >= v.left && r.right <= v.right
            && r.top >= v.top && r.bottom <= v.bottom; }});
        return n ? n.getAttribute('data-clip-id') : null; }}"""
    page.wait_for_timeout(300)  # the first look is set on the next animation frame
    target = page.evaluate(find)
    if target is None:  # nothing else in the first look: show a busy part of the tree
        if busy is None:
            raise RuntimeError("the first look shows no node to click")
        page.evaluate(f"() => document.querySelector('.sw-remix-viewport').__swShow('{busy}', 1.0)")
        target = page.wait_for_function(find, timeout=60_000, polling=50).json_value()
    page.locator(f"{NODE}[data-clip-id='{target}']").click()
    page.wait_for_function(f"""() => [...document.querySelectorAll('.sw-selected-id')]
                                 .some(e => e.textContent === '{target}')""", timeout=120_000)
    return page, {"drawn": drawn, "interactive": time.perf_counter() - t0}


def pan_frames(page, seconds: float = 2.0) -> dict:
    """Drag the tree for about ``seconds``; frame intervals (ms) meanwhile, and tree nodes in the DOM."""
    box = page.locator(".sw-remix-viewport").bounding_box()
    x0, y0 = box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.5
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.evaluate(FRAMES_JS)
    t0 = time.perf_counter()
    step = 0
    while time.perf_counter() - t0 < seconds:
        step += 1
        dx = 250 * np.sin(step / 25.0)  # back and forth, so the drag stays over the tree
        page.mouse.move(x0 + dx - 250, y0 + 40 * np.sin(step / 13.0))
    page.mouse.up()
    gaps = page.evaluate(STOP_FRAMES_JS)
    nodes = page.evaluate("() => document.querySelectorAll('.sw-remix-tree .sw-node').length")
    gaps = sorted(gaps) or [float("nan")]
    return {"mean": statistics.fmean(gaps), "p95": gaps[int(0.95 * (len(gaps) - 1))], "frames": len(gaps),
            "moves": step, "dom_nodes": nodes}


def pan_in_page(page, seconds: float = 2.0) -> dict:
    """A continuous pan driven by the page (one 8 px move per frame): frame intervals and script time (ms)."""
    r = page.evaluate(PAN_IN_PAGE_JS, int(seconds * 1000))
    gaps, work = sorted(r["gaps"]) or [float("nan")], sorted(r["work"]) or [float("nan")]
    return {"mean": statistics.fmean(gaps), "p95": gaps[int(0.95 * (len(gaps) - 1))], "frames": len(gaps),
            "work_mean": statistics.fmean(work), "work_p95": work[int(0.95 * (len(work) - 1))],
            "dom_nodes": page.evaluate("() => document.querySelectorAll('.sw-remix-tree .sw-node').length")}


def set_zoom(page, k: float | None, busy: str) -> None:
    """Fit (k None: the page's Fit button) or show the crowded part of the tree at zoom ``k``."""
    if k is None:
        page.click(".sw-tree-fit")
    else:
        page.evaluate(f"() => document.querySelector('.sw-remix-viewport').__swShow('{busy}', {k})")
    page.wait_for_timeout(500)


def load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nodes", type=int, default=10_000, help="clips in the big cascade (0: skip it)")
    p.add_argument("--home", default=None, help="store folder (default: a temporary one)")
    p.add_argument("--page", default=LINEAGE, help="dashboard to open: lineage.ipynb (no 3D since the page split) or "
                   "forest3d.ipynb (the explorer with the 3D forest, as lineage.ipynb was before)")
    args = p.parse_args(argv)
    if not check_chromium():
        return 1
    from playwright.sync_api import sync_playwright

    from sora_widgets.demo import seed_demo

    home = Path(args.home or tempfile.mkdtemp(prefix="lineage-page-"))
    t = time.perf_counter()
    seed_demo(home)
    print(f"demo community seeded in {time.perf_counter() - t:.1f} s (load {load()})")
    handle = make_creator(home, f"viewer{int(time.time())}")  # a new account each run (a reused --home keeps old ones)
    with sync_playwright() as pw, studio_server(home) as server:
        browser = launch(pw)
        try:
            context = logged_in_context(browser, server, handle)
            url = server.base_url + "voila/render/" + args.page
            for label in ("cold server", "warm server"):
                page, t = open_page(context, url)
                print(f"{args.page}, demo community, {label}: first node drawn {t['drawn']:.2f} s, "
                      f"interactive {t['interactive']:.2f} s (load {load()})")
                page.close()
            if args.nodes:
                t = time.perf_counter()
                root = add_cascade(home, args.nodes)
                busy = busy_clip(home, root)
                print(f"{args.nodes}-node cascade added in {time.perf_counter() - t:.1f} s")
                page, t = open_page(context, url, busy)
                print(f"{args.nodes}-node tree: first node drawn {t['drawn']:.2f} s, "
                      f"interactive {t['interactive']:.2f} s (load {load()})")
                title = page.locator(".sw-remix-title").inner_text()
                print(f"  {title}")
                for label, k in (("whole tree (Fit)", None), ("zoom 0.35", 0.35), ("zoom 1.0", 1.0)):
                    set_zoom(page, k, busy)
                    f = pan_in_page(page)
                    print(f"  pan, {label}: frame interval mean {f['mean']:.1f} ms, p95 {f['p95']:.1f} ms over "
                          f"{f['frames']} frames (moving the view and drawing: mean {f['work_mean']:.1f} ms, p95 "
                          f"{f['work_p95']:.1f} ms), {f['dom_nodes']} tree nodes in the DOM (load {load()})")
                    f = pan_frames(page)
                    print(f"  drag with the mouse (Playwright), {label}: frame interval mean {f['mean']:.1f} ms, "
                          f"p95 {f['p95']:.1f} ms over {f['frames']} frames ({f['moves']} pointer moves)")
                page.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
