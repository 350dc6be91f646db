"""Studio timings in a real browser (Debian's chromium via Playwright), against the Voila dashboard.

Prints, for a 4 s 256x256 sim clip:
- page load -> interactive: navigation start until the Generate button is visible
  and a widget round trip through the kernel works (the seed dice answers);
- click -> first preview: Generate clicked until a preview frame is on screen;
- click -> playable clip: Generate clicked until the new <video> can play (readyState >= 3).
Targets (issue 4): <= 5 s, <= 0.5 s, <= 2 s on a 2-core machine.

Usage: .venv/bin/python benchmarks/studio_bench.py [--runs 3] [--preheat]
Numbers are wall-clock and noisy on a shared machine; the first generation in a
kernel also pays one-off model loading (reported separately as "cold").
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from sora_widgets.serve import dashboards_dir, free_port, voila_argv

CHROMIUM = "/usr/bin/chromium"


@contextlib.contextmanager
def voila_server(env: dict[str, str], preheat: bool):
    # Ready = any HTTP answer (serve.start_voila waits for /api, which Voila answers with 404).
    port = free_port()
    target = dashboards_dir()
    proc = subprocess.Popen(voila_argv(target, port=port, preheat=preheat), env={**os.environ, **env}, cwd=target,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(base, timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("voila did not start") from None
                time.sleep(0.2)
        yield base + "voila/render/studio.ipynb"
    finally:
        proc.terminate()
        proc.wait(10)


def page_load_to_interactive(browser, url: str) -> tuple[float, float, object]:
    """(seconds to widgets answering, seconds to Generate enabled, the page)."""
    page = browser.new_page(viewport={"width": 1280, "height": 1200})
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".sw-generate", timeout=120_000)
    before = page.locator(".sw-seed input").input_value()
    page.locator(".sw-dice").click()
    page.wait_for_function(f"() => document.querySelector('.sw-seed input').value !== '{before}'", timeout=30_000)
    t_interactive = time.perf_counter() - t0
    page.wait_for_selector(".sw-generate:not([disabled])", timeout=120_000)  # engines checked
    return t_interactive, time.perf_counter() - t0, page


GENERATE_JS = """() => new Promise((resolve) => {
  const oldVideo = document.querySelector('.sw-main-player video');
  if (oldVideo) oldVideo.dataset.old = '1';
  const oldPreview = (document.querySelector('img.sw-preview, .sw-preview img') || {}).src;
  const t = {};
  const t0 = performance.now();
  document.querySelector('.sw-generate').click();
  const poll = () => {
    const now = performance.now();
    const img = document.querySelector('img.sw-preview, .sw-preview img');
    if (t.preview === undefined && img && img.src && img.src !== oldPreview && img.offsetParent !== null) {
      t.preview = (now - t0) / 1000;
    }
    const v = [...document.querySelectorAll('.sw-main-player video')].find((x) => !x.dataset.old);
    if (v && v.readyState >= 3) {
      t.playable = (now - t0) / 1000;
      if (t.preview === undefined) t.preview = null;
      return resolve(t);
    }
    if (now - t0 > 120000) return resolve(t);
    requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="page loads and generations to time")
    ap.add_argument("--preheat", action="store_true", help="serve with --preheat_kernel (a warm kernel per page)")
    args = ap.parse_args()
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} missing: install Debian's chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    env = {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_USER": "bench"}
    with voila_server(env, args.preheat) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM,
                                    args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])
        loads, ready, pages = [], [], []
        for _ in range(args.runs):
            s, r, page = page_load_to_interactive(browser, url)
            loads.append(s)
            ready.append(r)
            pages.append(page)
        for page in pages[:-1]:
            page.close()  # their kernels are culled later; the timings below use the last page only
        page = pages[-1]
        page.get_by_label("Prompt", exact=True).fill("a red ball bounces on a wooden floor")
        # defaults are the benchmark's clip: 4 s, 24 fps, 1:1, 256 px, engine sim
        gens = []
        # The studio pays one-off costs (models) on a thread after it appears; a user typing a prompt
        # gives it that time. Wait for it, and report how long it took, so warm and cold are not mixed.
        t_warm = time.perf_counter()
        page.wait_for_selector(".sw-studio.sw-warm", state="attached", timeout=120_000)
        warm_s = time.perf_counter() - t_warm
        for i in range(args.runs + 1):
            page.locator(".sw-seed input").fill(str(100 + i))
            page.locator(".sw-seed input").press("Tab")
            time.sleep(0.2)
            gens.append(page.evaluate(GENERATE_JS))
        browser.close()

    cold, warm = gens[0], gens[1:]
    med = lambda xs: statistics.median(x for x in xs if x is not None) if any(x is not None for x in xs) else None  # noqa: E731
    print(f"studio benchmark ({os.cpu_count()} CPUs, preheat={args.preheat}, sim 4 s 256x256 @ 24 fps)")
    print(f"  page load -> interactive : median {statistics.median(loads):.2f} s  runs {[round(x, 2) for x in loads]}"
          "  (target <= 5 s)")
    print(f"  page load -> can Generate: median {statistics.median(ready):.2f} s  runs {[round(x, 2) for x in ready]}")
    print(f"  warm-up after the page   : {warm_s:.2f} s more (models loading in the background)")
    print(f"  click -> first preview   : median {med([g.get('preview') for g in warm]):.2f} s  "
          f"cold {cold.get('preview')}  runs {[g.get('preview') and round(g['preview'], 2) for g in warm]}"
          "  (target <= 0.5 s)")
    print(f"  click -> playable clip   : median {med([g.get('playable') for g in warm]):.2f} s  "
          f"cold {cold.get('playable')}  runs {[g.get('playable') and round(g['playable'], 2) for g in warm]}"
          "  (target <= 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
