"""What a dashboard page costs the browser: the JavaScript it fetched, for tests and benchmarks (never the product).

Used by ``tests/test_page_weight_browser.py`` and ``benchmarks/page_weight_bench.py`` with a
Playwright page that is already logged in.
"""

from __future__ import annotations

import time

__all__ = ["DRAWN", "js_weight", "open_and_weigh"]

#: What proves each dashboard's own widgets drew (beyond ``.jupyter-widgets``): a CSS selector.
DRAWN = {
    "studio.ipynb": "button.sw-generate",
    "lineage.ipynb": ".sw-remix-tree .sw-node",
    "forest3d.ipynb": ".sw-remix-forest3d canvas",
    "my_cameo.ipynb": ".lm-TabBar-tab",
}

#: Every script the page fetched (Resource Timing): [url, decoded bytes].
_JS_ENTRIES = """() => performance.getEntriesByType('resource')
  .filter(e => /\\.js(\\?|$)/.test(e.name))
  .map(e => [e.name, e.decodedBodySize])"""


def js_weight(page) -> dict:
    """The scripts ``page`` has fetched so far.

    Args:
        page: a Playwright page.

    Returns:
        `dict`: ``bytes`` (decoded, all scripts), ``files`` (count), ``extensions`` (the JupyterLab
        extensions whose files were among them, sorted).
    """
    files = page.evaluate(_JS_ENTRIES)
    marker = "/voila/labextensions/"
    return {"bytes": sum(size for _url, size in files), "files": len(files),
            "extensions": sorted({url.split(marker, 1)[1].rsplit("/static/", 1)[0] for url, _s in files if marker in url})}


def open_and_weigh(page, url: str, notebook: str, *, timeout_ms: float = 120_000) -> dict:
    """Open ``url`` (the dashboard ``notebook``), wait until its widgets drew and the network is idle.

    Args:
        page: a logged-in Playwright page.
        url (`str`): the dashboard's address.
        notebook (`str`): its file name (picks the selector in :data:`DRAWN`).
        timeout_ms (`float`): how long each wait may take (ms).

    Returns:
        `dict`: :func:`js_weight`'s figures plus ``drawn_s``, seconds from navigation to the page's
        widgets drawn (wall clock, so noisy on a shared machine).
    """
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".jupyter-widgets", timeout=timeout_ms)
    page.wait_for_selector(DRAWN.get(notebook, ".jupyter-widgets"), timeout=timeout_ms)
    drawn_s = time.perf_counter() - t0
    page.wait_for_load_state("networkidle", timeout=timeout_ms)  # every script the page asked for has arrived
    return {**js_weight(page), "drawn_s": drawn_s}
