"""Memory of one idle dashboard kernel, per dashboard, on the real server (issue 13 item 3).

For each dashboard: a fresh Voila server with logins (``serve.start_voila``) on a small demo store,
an admin logs in over HTTP, opens the page (the kernel renders it), keeps a websocket on the kernel
as the page's JavaScript would (so it is not culled), waits ``--settle`` seconds (the Studio's
background warm-up runs meanwhile) and reads the kernel process's memory: RSS, PSS (shared pages
counted in proportion: the fair per-kernel cost) and USS (what it alone holds), in MiB, plus which
heavy native libraries it has mapped. With ``--pool`` it also measures a warm pooled kernel
(``auth/kernel_pool.py``) before any page takes it.

    .venv/bin/python benchmarks/kernel_rss.py                       # all dashboards, 60 s settle
    .venv/bin/python benchmarks/kernel_rss.py --dashboards admin --settle 5   # quick check

Prints one line per kernel and a JSON summary.
"""

from __future__ import annotations

import argparse
import asyncio
import http.cookiejar
import json
import re
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

DASHBOARDS = ("studio", "lineage", "my_cameo", "moderation", "admin")
PASSWORD = "benchmark password, long enough"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Native libraries worth naming when a kernel has them mapped (what makes a kernel big).
HEAVY_LIBS = ("libtorch", "onnxruntime", "libopencv", "cv2", "pocketsphinx", "libav", "numba", "llvmlite",
              "tokenizers", "duckdb", "scipy", "libespeak")


class Client:
    """A cookie-keeping HTTP client that logs in through the real login form."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base_url + path, timeout=600) as r:
                return r.status, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def login(self, handle: str) -> None:
        _, body = self.get("login")
        xsrf = re.search(r'name=.?_xsrf.? value="([^"]+)"', body).group(1)
        data = urllib.parse.urlencode({"_xsrf": xsrf, "handle": handle, "password": PASSWORD, "next": "/"})
        self.opener.open(self.base_url + "login", data.encode(), timeout=120).read()

    async def hold(self, kernel_id: str):
        from tornado.httpclient import HTTPRequest
        from tornado.websocket import websocket_connect

        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        url = self.base_url.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"
        return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}))


def kernel_processes(server) -> dict[str, psutil.Process]:
    """Kernel id -> process, for the server's kernels now."""
    out = {}
    for p in psutil.Process(server.process.pid).children(recursive=True):
        try:
            m = re.search(r"kernel-([0-9a-f-]{36})\.json", " ".join(p.cmdline()))
        except psutil.NoSuchProcess:
            continue
        if m:
            out[m.group(1)] = p
    return out


def memory(proc: psutil.Process) -> dict:
    """RSS/PSS/USS in MiB and the heavy native libraries mapped."""
    info = proc.memory_full_info()
    libs = set()
    try:
        for m in proc.memory_maps(grouped=True):
            for lib in HEAVY_LIBS:
                if lib in Path(m.path).name:
                    libs.add(lib)
    except psutil.AccessDenied:
        pass
    mib = 2**20
    return {"rss_mib": round(info.rss / mib), "pss_mib": round(info.pss / mib), "uss_mib": round(info.uss / mib),
            "heavy_libs": sorted(libs)}


def seed(home: Path) -> None:
    from sora_widgets.auth import LOCAL_OWNER, create_account
    from sora_widgets.demo import seed_demo
    from sora_widgets.store import open_store

    seed_demo(home, n_clips=30, n_rendered=2)
    create_account(open_store(home), "rss_admin", password=PASSWORD, birthdate="1990-01-01", role="admin",
                   by=LOCAL_OWNER)


def measure_page(home: Path, dashboard: str, settle_s: float) -> dict:
    from sora_widgets.serve import dashboards_dir, start_voila

    env = {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_KERNEL_POOL": "0"}
    with start_voila(dashboards_dir(), env=env, timeout_s=120, log_path=home / f"rss-{dashboard}.log") as server:
        client = Client(server.base_url)
        client.login("rss_admin")
        t0 = time.perf_counter()
        status, body = client.get(f"voila/render/{dashboard}.ipynb")
        render_s = time.perf_counter() - t0
        kernels = kernel_processes(server)
        [kernel_id] = [k for k in dict.fromkeys(UUID.findall(body)) if k in kernels] or [None]
        if status != 200 or kernel_id is None:
            raise RuntimeError(f"{dashboard}: status {status}, no kernel in the page")
        loop = asyncio.new_event_loop()
        try:
            conn = loop.run_until_complete(client.hold(kernel_id))
            peak = 0
            deadline = time.monotonic() + settle_s
            while time.monotonic() < deadline:
                peak = max(peak, kernels[kernel_id].memory_info().rss)
                loop.run_until_complete(asyncio.sleep(1.0))
            out = {"kernel": f"{dashboard} page", "render_s": round(render_s, 1), **memory(kernels[kernel_id]),
                   "peak_rss_mib": round(max(peak, kernels[kernel_id].memory_info().rss) / 2**20)}
            conn.close()
        finally:
            loop.close()
    return out


def measure_pool(home: Path, settle_s: float) -> dict:
    from sora_widgets.serve import dashboards_dir, start_voila

    log = home / "rss-pool.log"
    env = {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_KERNEL_POOL": "1"}
    with start_voila(dashboards_dir(), env=env, timeout_s=120, log_path=log) as server:
        deadline = time.monotonic() + 300
        while "warm kernel" not in log.read_text(errors="replace") or "ready" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline:
                raise RuntimeError("no warm kernel after 300 s")
            time.sleep(0.5)
        time.sleep(settle_s)  # the detectors load on a low-priority thread after "ready"
        [proc] = kernel_processes(server).values()
        return {"kernel": "pooled warm kernel", **memory(proc)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dashboards", nargs="*", default=list(DASHBOARDS), choices=DASHBOARDS)
    ap.add_argument("--settle", type=float, default=60.0, help="seconds to wait after the page rendered (s)")
    ap.add_argument("--pool", action="store_true", help="also measure a warm pooled kernel")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="kernel-rss-") as tmp:
        home = Path(tmp)
        seed(home)
        for name in args.dashboards:
            row = measure_page(home, name, args.settle)
            rows.append(row)
            print(f"{row['kernel']:<22} RSS {row['rss_mib']:>5} MiB  PSS {row['pss_mib']:>5} MiB  "
                  f"USS {row['uss_mib']:>5} MiB  peak RSS {row['peak_rss_mib']:>5} MiB  render {row['render_s']} s  "
                  f"libs: {', '.join(row['heavy_libs']) or '-'}", flush=True)
        if args.pool:
            row = measure_pool(home, args.settle)
            rows.append(row)
            print(f"{row['kernel']:<22} RSS {row['rss_mib']:>5} MiB  PSS {row['pss_mib']:>5} MiB  "
                  f"USS {row['uss_mib']:>5} MiB  libs: {', '.join(row['heavy_libs']) or '-'}", flush=True)
    print(json.dumps({"settle_s": args.settle, "kernels": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
