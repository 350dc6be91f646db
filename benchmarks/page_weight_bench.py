"""JavaScript per dashboard, before and after ``auth/page_extensions.py`` (issues 11 and 14), in chromium.

Two servers with logins on the same demo store: "all" serves a copy of the dashboards with
their ``extensions`` metadata removed (every installed widget extension, as Voila does by
default), "declared" serves the dashboards as they are. One logged-in admin opens each
dashboard on both, alternately, each time in a fresh browser context (a cold cache), and the decoded bytes and count of the scripts fetched, and
the seconds from navigation to the page's widgets drawn, are printed with the load average.

Usage: nice .venv/bin/python benchmarks/page_weight_bench.py [--runs 2] [--only studio.ipynb lineage.ipynb]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _studio_page import PASSWORD, launch, logged_in_context  # noqa: E402

from sora_widgets.auth.page_extensions import METADATA_KEY  # noqa: E402
from sora_widgets.testing.page_weight import open_and_weigh  # noqa: E402


def undeclared_copy(src: Path, dst: Path) -> Path:
    """``src``'s dashboards copied to ``dst`` without their extension lists (so every extension loads)."""
    dst.mkdir(parents=True, exist_ok=True)
    for nb in src.glob("*.ipynb"):
        data = json.loads(nb.read_text(encoding="utf-8"))
        (data.get("metadata", {}).get("sora_widgets") or {}).pop(METADATA_KEY, None)
        (dst / nb.name).write_text(json.dumps(data, indent=1), encoding="utf-8")
    for extra in src.iterdir():  # pictures or CSS a dashboard may read beside it
        if extra.is_file() and extra.suffix != ".ipynb":
            shutil.copy(extra, dst / extra.name)
    return dst


def load() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2, help="visits of each dashboard on each server")
    ap.add_argument("--only", nargs="*", help="dashboard file names (default: all)")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from sora_widgets.auth import set_password
    from sora_widgets.demo import ADMIN, seed_demo
    from sora_widgets.serve import dashboards_dir, start_voila
    from sora_widgets.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        home = tmp / "home"
        seed_demo(home, n_clips=20, n_rendered=2, seed=3)
        set_password(open_store(home), ADMIN, PASSWORD)
        folders = {"all": undeclared_copy(dashboards_dir(), tmp / "all"), "declared": dashboards_dir()}
        names = args.only or sorted(p.name for p in dashboards_dir().glob("*.ipynb"))
        env = {"SORA_WIDGETS_HOME": str(home)}
        with start_voila(folders["all"], env=env, timeout_s=120) as s_all, \
                start_voila(folders["declared"], env=env, timeout_s=120) as s_decl, sync_playwright() as pw:
            servers = {"all": s_all, "declared": s_decl}
            browser = launch(pw)
            cookies = {}
            for key, server in servers.items():
                ctx = logged_in_context(browser, server, ADMIN)
                cookies[key] = ctx.storage_state()
                ctx.close()

            def visit(key: str, nb: str) -> dict:
                # A fresh context: an empty cache, as on a first visit.
                ctx = browser.new_context(viewport={"width": 1280, "height": 1000}, storage_state=cookies[key])
                try:
                    return open_and_weigh(ctx.new_page(), servers[key].url(nb), nb)
                finally:
                    ctx.close()

            results: dict[str, dict[str, list[dict]]] = {nb: {"all": [], "declared": []} for nb in names}
            for run in range(args.runs):
                for nb in names:
                    # Alternate which server goes first, so a load spike does not favour one side.
                    for key in (("all", "declared") if run % 2 == 0 else ("declared", "all")):
                        results[nb][key].append(visit(key, nb))
            browser.close()
    print(f"JS per dashboard (decoded MB, files; median s from navigation to widgets drawn), {args.runs} visits each, "
          f"load {load()}")
    print(f"{'dashboard':18s} {'all extensions':>28s} {'declared only':>28s}")
    for nb, by in results.items():
        cells = []
        for key in ("all", "declared"):
            r = by[key]
            cells.append(f"{r[-1]['bytes'] / 1e6:5.2f} MB {r[-1]['files']:4d} files "
                         f"{statistics.median(x['drawn_s'] for x in r):5.2f} s")
        print(f"{nb:18s} {cells[0]:>28s} {cells[1]:>28s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
