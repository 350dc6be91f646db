"""One Studio page in chromium, taken apart: where the seconds from navigation to an enabled Generate go.

A fresh server with logins (as ``studio_bench.py``), its pool fully warm; a logged-in
browser opens the Studio once. Printed, in seconds since navigation: the HTML's first
and last byte (Voila streams the page while the kernel runs the cells), DOMContentLoaded,
the kernel websocket opening, the first widget drawn, Generate shown and enabled; the
JavaScript and CSS fetched (count, bytes, slowest); the websocket messages (count, bytes,
by type) until Generate is enabled; and the server log lines about the page's kernel,
stamped relative to the navigation.

Usage: nice .venv/bin/python benchmarks/studio_page_timeline.py [--pages 2] [--waterfall]
       nice .venv/bin/python benchmarks/studio_page_timeline.py --pages 1 \
           --record-scripts sora_widgets/auth/page_scripts.json   # after upgrading Voila or a widget library
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _studio_page import (  # noqa: E402
    STUDIO,
    check_chromium,
    launch,
    logged_in_context,
    make_creator,
    open_tab,
    studio_server,
    wait_for_warm_kernel,
)

#: Polled in the page from the start: when each milestone first holds (performance.now(), ms).
MILESTONES_JS = """() => {
  const t = {};
  const poll = () => {
    const now = performance.now();
    if (t.widget === undefined && document.querySelector('.widget-box, .jupyter-widgets')) t.widget = now;
    if (t.generate === undefined && document.querySelector('button.sw-generate')) t.generate = now;
    if (t.enabled === undefined && document.querySelector('button.sw-generate:not([disabled])')) t.enabled = now;
    if (t.enabled === undefined) requestAnimationFrame(poll);
  };
  poll();
  window.__swMilestones = t;
}"""


def one_page(context, url: str) -> dict:
    page = open_tab(context)
    frames: list[tuple[float, str, int, str]] = []  # (t, direction, bytes, msg_type)
    ws_open: list[float] = []
    t0 = time.perf_counter()

    def on_ws(ws):
        ws_open.append(time.perf_counter() - t0)

        def add(direction, payload):
            kind = "?"
            if isinstance(payload, str):
                try:
                    msg = json.loads(payload)
                    kind = msg.get("msg_type") or msg.get("header", {}).get("msg_type", "?")
                    if kind == "comm_msg":
                        kind += ":" + str(msg.get("content", {}).get("data", {}).get("method", "?"))
                except ValueError:
                    pass
            else:
                kind = "binary"
            frames.append((time.perf_counter() - t0, direction, len(payload), kind))

        ws.on("framesent", lambda p: add("sent", p))
        ws.on("framereceived", lambda p: add("received", p))

    page.on("websocket", on_ws)
    page.add_init_script("(" + MILESTONES_JS + ")()")
    page.goto(url, wait_until="commit")
    page.wait_for_selector("button.sw-generate:not([disabled])", timeout=120_000)
    t_enabled = time.perf_counter() - t0
    page.wait_for_timeout(500)
    nav = page.evaluate("() => JSON.parse(JSON.stringify(performance.getEntriesByType('navigation')[0]))")
    res = page.evaluate("() => performance.getEntriesByType('resource').map(r => ({name: r.name, "
                        "type: r.initiatorType, start: r.startTime, end: r.responseEnd, "
                        "bytes: r.encodedBodySize, decoded: r.decodedBodySize}))")
    ms = page.evaluate("() => window.__swMilestones")
    page.close()
    return {"t_enabled": t_enabled, "nav": nav, "res": res, "ms": ms, "frames": frames, "ws_open": ws_open}


def report(r: dict, log_lines: list[str], waterfall: bool = False) -> None:
    nav, ms = r["nav"], r["ms"]
    s = lambda v: f"{v / 1000:6.2f}" if v is not None else "   n/a"  # noqa: E731
    print(f"  HTML first byte {s(nav['responseStart'])}  last byte {s(nav['responseEnd'])}  "
          f"DOMContentLoaded {s(nav['domContentLoadedEventEnd'])}  load {s(nav['loadEventEnd'])}")
    print(f"  kernel websocket open {r['ws_open'][0] if r['ws_open'] else float('nan'):6.2f}  first widget "
          f"{s(ms.get('widget'))}  Generate shown {s(ms.get('generate'))}  enabled {s(ms.get('enabled'))}  "
          f"(python clock: {r['t_enabled']:.2f})")
    by_type = collections.defaultdict(lambda: [0, 0])
    for res in r["res"]:
        ext = "js" if re.search(r"\.m?js(\?|$)", res["name"]) else "css" if ".css" in res["name"] else res["type"]
        by_type[ext][0] += 1
        by_type[ext][1] += res["decoded"] or 0
    print("  resources: " + ", ".join(f"{k} {n} ({b / 1e6:.2f} MB)" for k, (n, b) in sorted(by_type.items())))
    per_ext = collections.defaultdict(lambda: [0, 0, 0.0])
    for res in r["res"]:
        m = re.search(r"labextensions/((?:@[^/]+/)?[^/]+)/", res["name"])
        name = m.group(1) if m else res["name"].split("/")[3] if res["name"].count("/") > 3 else res["name"]
        per_ext[name][0] += 1
        per_ext[name][1] += res["decoded"] or 0
        per_ext[name][2] = max(per_ext[name][2], res["end"] / 1000)
    print("  by origin (files, kB, done at s): " + "; ".join(
        f"{k} {n} {b / 1e3:.0f} {e:.2f}" for k, (n, b, e) in sorted(per_ext.items(), key=lambda x: -x[1][1])))
    slow = sorted(r["res"], key=lambda x: x["end"] - x["start"], reverse=True)[:5]
    for res in slow:
        print(f"    {res['start'] / 1000:5.2f}-{res['end'] / 1000:5.2f} s {res['decoded'] / 1e3:8.0f} kB "
              f"{res['name'][-70:]}")
    if waterfall:
        # When each script was asked for and arrived, in order: what waits on what.
        for res in sorted(r["res"], key=lambda x: x["start"]):
            print(f"    wf {res['start'] / 1000:5.2f}-{res['end'] / 1000:5.2f} s {res['decoded'] / 1e3:7.0f} kB "
                  f"{res['name'].split('//', 1)[-1].split('/', 1)[-1][-80:]}")
    enabled_s = (ms.get("enabled") or 0) / 1000
    before = [f for f in r["frames"] if f[0] <= r["t_enabled"]]
    kinds = collections.Counter((f[1], f[3]) for f in before)
    print(f"  websocket until enabled: {len(before)} frames, "
          f"{sum(f[2] for f in before) / 1e3:.0f} kB; first {before[0][0] if before else float('nan'):.2f} s, "
          f"last {before[-1][0] if before else float('nan'):.2f} s (enabled at {enabled_s:.2f} s in-page)")
    for (direction, kind), n in kinds.most_common(8):
        print(f"    {direction:<8} {kind:<28} {n}")
    for line in log_lines:
        print("  log: " + line)


def record_scripts(r: dict, path: Path) -> None:
    """Write ``auth/page_scripts.json``'s content: the chunks the page fetched until Generate was enabled.

    What ``page_extensions.preload_urls`` lists anyway (``voila.js``, the ``remoteEntry`` files) and what is
    not a script of Voila or of an extension (the kernel API, CSS, the CDN) are left out; the order is kept.
    """
    from importlib.metadata import version
    from urllib.parse import urlsplit

    scripts = []
    for res in r["res"]:
        if res["end"] > (r["ms"].get("enabled") or 0):
            continue
        url = urlsplit(res["name"])
        rel = url.path.lstrip("/") + (f"?{url.query}" if url.query else "")
        if (url.path.endswith(".js") and rel.startswith(("voila/static/", "voila/labextensions/"))
                and rel != "voila/static/voila.js" and "/remoteEntry." not in rel and rel not in scripts):
            scripts.append(rel)
    doc = {
        "about": "Scripts a widget dashboard's page asks for, in order, after voila.js starts and before its first "
                 "widget is drawn (webpack chunks whose names only the running code knows). Recorded from the Studio "
                 "page in chromium by `benchmarks/studio_page_timeline.py --record-scripts "
                 "sora_widgets/auth/page_scripts.json` (again after upgrading Voila or a widget library); "
                 "page_extensions.preload_urls keeps those that exist and belong to an extension the page loads.",
        "recorded_with": {name: version(name) for name in ("voila", "ipywidgets", "anywidget")},
        "scripts": scripts,
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(scripts)} scripts to {path}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2, help="pages opened one after another")
    ap.add_argument("--spy", metavar="PATH", help="sample the server and its kernels with py-spy during the first "
                                                  "page (collapsed stacks in PATH)")
    ap.add_argument("--gap-s", type=float, default=0.0, help="seconds between pages (s)")
    ap.add_argument("--waterfall", action="store_true", help="list every resource the page fetched, by start time")
    ap.add_argument("--record-scripts", metavar="PATH",
                    help="write the scripts the first page fetched until Generate was enabled (what "
                         "auth/page_scripts.json lists: python -m sora_widgets.auth.page_extensions --record PATH)")
    args = ap.parse_args()
    if not check_chromium():
        return 2
    from playwright.sync_api import sync_playwright

    home = Path(tempfile.mkdtemp(prefix="studio-timeline-"))
    handle = make_creator(home, "timeline")
    with studio_server(home) as server, sync_playwright() as p:
        wait_for_warm_kernel(server)
        browser = launch(p)
        context = logged_in_context(browser, server, handle)
        for i in range(args.pages):
            n_log = len(server.log_path.read_text(errors="replace").splitlines())
            spy = None
            if args.spy and i == 0:
                import subprocess

                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                        str(server.process.pid), "--subprocesses", "--rate", "250", "--format",
                                        "raw", "-o", args.spy], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # py-spy attaches
            r = one_page(context, server.url(STUDIO))
            if args.record_scripts and i == 0:
                record_scripts(r, Path(args.record_scripts))
            if spy is not None:
                import signal

                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            time.sleep(0.5)
            new = server.log_path.read_text(errors="replace").splitlines()[n_log:]
            print(f"page {i + 1}:")
            report(r, [ln[:160] for ln in new if "kernel" in ln.lower() or "Error" in ln][:12], args.waterfall)
            time.sleep(args.gap_s)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
