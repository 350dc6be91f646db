"""Studio timings in a real browser (Debian's chromium via Playwright), against the Voila dashboard with logins.

Prints, for a 4 s 256x256 sim clip (the Studio's defaults):
- the issue-11 goal, "page load -> first clip playable (type, Generate) <= 2 s on a cold server",
  read on the fresh server's first page (a logged-in user opens the Studio; the page itself types the
  prompt and clicks Generate the moment Generate is enabled, so no reaction time and no harness round
  trip is counted; until the new <video> can play, readyState >= 3):
  (a) navigation start -> first clip playable (everything the user waits for), on the page's own
      clock (``performance.now()``, from the navigation's start: Navigation Timing's origin) and on
      this script's (from the ``goto`` call until Playwright sees the video);
  (b) Generate enabled -> type + Generate -> playable (what is left once the page is usable: the
      prompt's update and the click reaching the kernel, generating and encoding the first take);
  (c) the browser's ``load`` event -> first clip playable (both read on the page's own clock): what
      a reader who starts the clock when the browser says the page has loaded would see. It differs
      from (b) because Voila's page fires ``load`` once its scripts are in, before the widgets are
      drawn and Generate is enabled.
  With ``--cold-servers N``, (a) and (b) on N fresh servers one after another (median and runs):
  one reading swings by +-0.3 s on a shared 2-core machine.
  Also (a) for later pages on the now warm server (each page still gets a new kernel);
- page load -> interactive: until a widget round trip through the kernel works (the seed dice);
- click -> first preview / click -> playable clip: on the first page, after its first generation.
Targets (issues 4 and 11) on a 2-core machine: first clip playable <= 2 s from page load on a
cold server; interactive <= 5 s; first preview <= 0.5 s; playable <= 2 s.

Usage: .venv/bin/python benchmarks/studio_bench.py [--runs 3] [--cold-servers 5]
Numbers are wall-clock and noisy on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _studio_page import (  # noqa: E402
    MARK_OLD_VIDEOS_JS,
    NEW_VIDEO_PLAYABLE_JS,
    STUDIO,
    check_chromium,
    launch,
    logged_in_context,
    make_creator,
    open_tab,
    set_seed,
    studio_server,
    wait_for_warm_kernel,
)

PROMPT = "a red ball bounces on a wooden floor"
#: What the sim engine says it drew for PROMPT (the Studio shows it under the player).
PROMPT_THING = "red ball"


#: Runs in the page from its start, given the prompt to type: the moment Generate is first enabled it types
#: the prompt (the value and the "input" event a keyboard gives the box, as Playwright's fill does) and
#: clicks Generate, then notes (performance.now(), ms since the navigation started) when the first <video>
#: could play. Typing and clicking from inside the page leave out the harness: Playwright noticing the
#: button, then filling and clicking through its driver, took 0.05-0.45 s more on a busy machine.
FIRST_PLAYABLE_JS = """(prompt) => {
  const poll = () => {
    const button = document.querySelector('button.sw-generate:not([disabled])');
    if (window.__swEnabled === undefined && button) {
      window.__swEnabled = performance.now();
      const box = document.querySelector('.sw-prompt textarea');
      box.value = prompt;
      box.dispatchEvent(new Event('input', { bubbles: true }));
      button.click();
    }
    const v = [...document.querySelectorAll('.sw-main-player video')].find((x) => x.readyState >= 3);
    if (v) { window.__swFirstPlayable = performance.now(); return; }
    requestAnimationFrame(poll);
  };
  poll();
}"""
LOAD_EVENT_JS = "() => performance.getEntriesByType('navigation')[0].loadEventEnd"


def page_load_to_first_clip(context, url: str) -> tuple[dict, object]:
    """Open the Studio; the page types the prompt and clicks Generate the moment it is enabled
    (:data:`FIRST_PLAYABLE_JS`); seconds since navigation for each milestone.

    ``page_enabled`` and ``page_playable`` are read on the page's own clock (``performance.now()``: from the
    navigation's start, the Navigation Timing origin); ``playable`` on this script's (from the ``goto`` call
    until it sees the video, so with Playwright's round trips). ``load_to_playable`` is reading (c): the
    page's ``load`` event -> its first playable video.
    """
    page = open_tab(context)
    page.add_init_script(f"({FIRST_PLAYABLE_JS})({json.dumps(PROMPT)})")
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(NEW_VIDEO_PLAYABLE_JS, timeout=120_000, polling=20)
    t_playable = time.perf_counter() - t0
    page.wait_for_function("() => window.__swFirstPlayable !== undefined", timeout=10_000)
    page_ms = page.evaluate("() => [window.__swEnabled, window.__swFirstPlayable]")
    load_to_playable = (page_ms[1] - page.evaluate(LOAD_EVENT_JS)) / 1000
    drew = page.locator(".sw-understood").first.inner_text()
    if PROMPT_THING not in drew:
        raise RuntimeError(f"the first take was not made from the typed prompt: the engine {drew!r}")
    # Interactive: a widget round trip through the kernel (the dice changes the seed).
    before = page.locator(".sw-seed input").input_value()
    page.locator(".sw-dice").click()
    page.wait_for_function(f"() => document.querySelector('.sw-seed input').value !== '{before}'", timeout=30_000)
    return {"playable": t_playable, "page_enabled": page_ms[0] / 1000, "page_playable": page_ms[1] / 1000,
            "load_to_playable": load_to_playable}, page


def interactive_after_load(context, url: str) -> float:
    """Seconds from navigation until the seed dice answers (widgets talk to the kernel)."""
    page = open_tab(context)
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_selector(".sw-dice", timeout=120_000)
    before = page.locator(".sw-seed input").input_value()
    page.locator(".sw-dice").click()
    page.wait_for_function(f"() => document.querySelector('.sw-seed input').value !== '{before}'", timeout=30_000)
    took = time.perf_counter() - t0
    page.close()
    return took


GENERATE_JS = """() => new Promise((resolve) => {
  document.querySelectorAll('.sw-main-player video').forEach(v => v.dataset.old = '1');
  const oldPreview = (document.querySelector('img.sw-preview, .sw-preview img') || {}).src;
  const t = {};
  const t0 = performance.now();
  document.querySelector('button.sw-generate').click();
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


def cold_server_first_clip(playwright) -> dict:
    """Reading (a) on one more fresh server: its first page, once its kernel pool is warm, in a new browser."""
    home = Path(tempfile.mkdtemp(prefix="studio-bench-cold-"))
    handle = make_creator(home, "bench")
    with studio_server(home) as server:
        wait_for_warm_kernel(server)
        browser = launch(playwright)
        try:
            times, page = page_load_to_first_clip(logged_in_context(browser, server, handle), server.url(STUDIO))
            page.close()
        finally:
            browser.close()
    return times


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else float("nan")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="pages opened and generations timed")
    ap.add_argument("--cold-servers", type=int, default=1,
                    help="fresh servers whose first page is timed (reading (a) on each; one sample swings "
                         "+-0.3 s on a shared 2-core machine, so the goal is read on the median)")
    args = ap.parse_args()
    if not check_chromium():
        return 2
    from playwright.sync_api import sync_playwright

    load_at_start = " ".join(f"{x:.2f}" for x in os.getloadavg())
    home = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    handle = make_creator(home, "bench")
    t_start = time.perf_counter()
    with sync_playwright() as p:
        with studio_server(home) as server:
            # The server keeps one warm kernel ready (auth/kernel_pool.py): "cold" is its first page,
            # opened once the pool is warm; how long that takes after start is printed too.
            warm_ok = wait_for_warm_kernel(server)
            t_pool = time.perf_counter() - t_start
            browser = launch(p)
            context = logged_in_context(browser, server, handle)
            url = server.url(STUDIO)
            # The cold server's first page, then more takes on that page, before any other page exists:
            # every page is a kernel, and a kernel warming up its models competes for the 2 cores.
            times, page = page_load_to_first_clip(context, url)
            firsts = [times]
            page.wait_for_timeout(3000)  # the user watches the first take
            gens = []
            for i in range(args.runs):
                set_seed(page, 100 + i)
                page.evaluate(MARK_OLD_VIDEOS_JS)
                gens.append(page.evaluate(GENERATE_JS))
                page.wait_for_timeout(1000)
            page.close()  # its kernel is culled later
            for _ in range(args.runs - 1):
                times, page = page_load_to_first_clip(context, url)
                firsts.append(times)
                page.close()
            interactive = [interactive_after_load(context, url) for _ in range(args.runs)]
            browser.close()
            log = server.log_path.read_text(errors="replace")
            pooled_pages = log.count("page served by warm kernel")  # the rest started a fresh kernel
            pages = 2 * args.runs
        # Each further cold server starts once the first has stopped (its kernels would compete for the cores).
        colds = [firsts[0]] + [cold_server_first_clip(p) for _ in range(args.cold_servers - 1)]

    cold, warm = firsts[0], firsts[1:]
    print(f"studio benchmark ({os.cpu_count()} CPUs, logins on, sim 4 s 256x256 @ 24 fps), load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end (at the start: {load_at_start})")
    print(f"  server start -> warm kernel in the pool      : {t_pool:.2f} s" + ("" if warm_ok else " (timed out)"))
    print("  cold server, first page (issue 11 goal: <= 2 s):")
    print(f"    (a) navigation start -> first clip playable          : {cold['page_playable']:.2f} s on the page's clock, "
          f"{cold['playable']:.2f} s on this script's")
    print(f"        of which navigation start -> Generate enabled    : {cold['page_enabled']:.2f} s")
    print(f"    (b) Generate enabled -> type + Generate -> playable  : {cold['page_playable'] - cold['page_enabled']:.2f} s "
          "(page's clock)")
    print(f"    (c) browser 'load' event -> first clip playable      : {cold['load_to_playable']:.2f} s")
    if len(colds) > 1:
        print(f"  {len(colds)} cold servers, (a) on the page's clock    : median {_med([c['page_playable'] for c in colds]):.2f} s  "
              f"runs {[round(c['page_playable'], 2) for c in colds]}  (Generate enabled: median "
              f"{_med([c['page_enabled'] for c in colds]):.2f} s, (b) median "
              f"{_med([c['page_playable'] - c['page_enabled'] for c in colds]):.2f} s)")
    if warm:
        print(f"  page load -> first clip playable, warm server : median {_med([w['page_playable'] for w in warm]):.2f} s  "
              f"runs {[round(w['page_playable'], 2) for w in warm]}  (Generate enabled: median "
              f"{_med([w['page_enabled'] for w in warm]):.2f} s; page's clock)")
    if warm:
        print(f"  (c) on the warm server: median {_med([w['load_to_playable'] for w in warm]):.2f} s")
    print(f"  page load -> interactive                      : median {_med(interactive):.2f} s  "
          f"runs {[round(x, 2) for x in interactive]}  (target <= 5 s)")
    print(f"  pages served by a pooled kernel               : {pooled_pages} of {pages} (the others: a fresh kernel;"
          " the pool refills once the page that took its kernel has connected, +5 s)")
    print(f"  click -> first preview                        : median {_med([g.get('preview') for g in gens]):.2f} s  "
          f"runs {[g.get('preview') and round(g['preview'], 2) for g in gens]}  (target <= 0.5 s)")
    print(f"  click -> playable clip                        : median {_med([g.get('playable') for g in gens]):.2f} s  "
          f"runs {[g.get('playable') and round(g['playable'], 2) for g in gens]}  (target <= 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
