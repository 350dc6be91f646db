"""Memory of idle dashboard kernels, per dashboard, on the real server (issue 13 item 3).

For each dashboard and each count in ``--open`` (default 1 and 4): a fresh Voila server with logins
(``serve.start_voila``) on a small demo store, an admin logs in over HTTP, opens the page that many
times (each view starts its own kernel, which renders it), keeps a websocket on every kernel as the
page's JavaScript would (so none is culled), waits ``--settle`` seconds and then until every kernel is
idle (the Studio's background warm-up done) and reads each kernel's ``/proc/<pid>/smaps_rollup``: RSS, PSS (shared pages
counted in proportion: the fair per-kernel cost) and USS (private pages: what it alone holds), in MiB,
plus which heavy native libraries it has mapped. With several kernels open, PSS falls below RSS by
what they share (code, and the model weights mapped from one file: ``sora_widgets/_shared_weights.py``).
With ``--pool`` it also measures a warm pooled kernel (``auth/kernel_pool.py``) before any page takes it.
``--stages`` prints, in one fresh process, the private memory each step of the Studio's warm-up adds
(what an idle Studio kernel holds, and why).

    .venv/bin/python benchmarks/kernel_rss.py                       # all dashboards, 1 and 4 open, 60 s settle
    .venv/bin/python benchmarks/kernel_rss.py --dashboards admin --open 1 --settle 5   # quick check
    .venv/bin/python benchmarks/kernel_rss.py --stages --dashboards   # the Studio's warm-up, step by step

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
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil

DASHBOARDS = ("studio", "lineage", "my_cameo", "moderation", "admin")
PASSWORD = "benchmark password, long enough"
#: Most seconds to wait after ``--settle`` for the kernels to go idle (s).
IDLE_WAIT_MAX_S = 600.0
#: Most seconds to wait for a page's kernel to accept the held websocket (a Studio kernel warming up on a
#: machine at load 35 took more than 300 s).
HOLD_WAIT_S = 900.0
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
        # Generous timeouts: on a loaded machine a kernel busy warming up answers the upgrade late.
        # The page's own protocol (JupyterLab's and Voila's JS ask for it), and every message read and dropped as
        # the page does. Connected without the subprotocol (as before), Voila's websocket handler reads the
        # first 8 bytes of each legacy-format binary message (the Studio player's video) as a count of offsets
        # and builds a list that long: the server's event loop stalled and its memory grew by ~8 MB/s, so no
        # further page rendered - what kept `--open 4` from finishing (py-spy showed the server in
        # voila/.../kernel_websocket_handler.py read_header_from_binary_message).
        return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}, connect_timeout=HOLD_WAIT_S,
                                                   request_timeout=HOLD_WAIT_S),
                                       on_message_callback=lambda message: None,
                                       subprotocols=["v1.kernel.websocket.jupyter.org"])


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


def smaps_rollup(pid: int) -> dict[str, int]:
    """``/proc/<pid>/smaps_rollup`` in bytes: Rss, Pss, Private_Clean, Private_Dirty, ... (Linux >= 4.14)."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value, *unit = line.split()
        out[key.rstrip(":")] = int(value) * 1024  # kB
    return out


def memory(proc: psutil.Process) -> dict:
    """RSS/PSS/USS in MiB (from smaps_rollup) and the heavy native libraries mapped."""
    r = smaps_rollup(proc.pid)
    libs = set()
    try:
        for m in proc.memory_maps(grouped=True):
            for lib in HEAVY_LIBS:
                if lib in Path(m.path).name:
                    libs.add(lib)
    except psutil.AccessDenied:
        pass
    mib = 2**20
    return {"rss_mib": round(r["Rss"] / mib), "pss_mib": round(r["Pss"] / mib),
            "uss_mib": round((r["Private_Clean"] + r["Private_Dirty"]) / mib), "heavy_libs": sorted(libs)}


def seed(home: Path) -> None:
    from sora_widgets.auth import LOCAL_OWNER, create_account
    from sora_widgets.demo import seed_demo
    from sora_widgets.store import open_store

    seed_demo(home, n_clips=30, n_rendered=2)
    create_account(open_store(home), "rss_admin", password=PASSWORD, birthdate="1990-01-01", role="admin",
                   by=LOCAL_OWNER)


def measure_page(home: Path, dashboard: str, settle_s: float, n_open: int = 1) -> list[dict]:
    """Open ``dashboard`` ``n_open`` times at once (a kernel each), hold them, settle, and measure each kernel."""
    from sora_widgets.auth.kernels import MAX_KERNELS_PER_USER_ENV
    from sora_widgets.serve import dashboards_dir, start_voila

    env = {"SORA_WIDGETS_HOME": str(home), "SORA_WIDGETS_KERNEL_POOL": "0", MAX_KERNELS_PER_USER_ENV: str(n_open + 4)}
    log = home / f"rss-{dashboard}-{n_open}.log"
    with start_voila(dashboards_dir(), env=env, timeout_s=120, log_path=log) as server:
        client = Client(server.base_url)
        client.login("rss_admin")
        # The held websockets are served by a loop of their own, all the time: the server pings each one every
        # 30 s and closes it after 30 s without a pong (its log: "Setting websocket_ping_timeout=30000"), and its
        # kernel is then culled within a minute. Served only between renders (as before), an earlier page could
        # be dropped while a later Studio page rendered for longer than that on a loaded machine.
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="kernel-rss-websockets", daemon=True)
        thread.start()
        conns, holds, opened = [], [], []
        t_start = time.perf_counter()
        try:
            for i in range(n_open):
                t0 = time.perf_counter()
                status, body = client.get(f"voila/render/{dashboard}.ipynb")
                render_s = time.perf_counter() - t0
                kernels = kernel_processes(server)
                [kernel_id] = [k for k in dict.fromkeys(UUID.findall(body)) if k in kernels] or [None]
                if status != 200 or kernel_id is None:
                    raise RuntimeError(f"{dashboard}: status {status}, no kernel in the page")
                # Not waited for here: a kernel busy with its warm-up answers the upgrade late (minutes at load 35),
                # and the next page renders meanwhile, as a person opening four tabs would.
                holds.append(asyncio.run_coroutine_threadsafe(client.hold(kernel_id), loop))
                opened.append((kernel_id, kernels[kernel_id], render_s))
                print(f"  {dashboard} page {i + 1}/{n_open} rendered in {render_s:.1f} s "
                      f"(t={time.perf_counter() - t_start:.0f} s)", flush=True)
            conns = [h.result(timeout=HOLD_WAIT_S) for h in holds]
            print(f"  {n_open} websockets held (t={time.perf_counter() - t_start:.0f} s)", flush=True)
            peak = {k: 0 for k, _, _ in opened}
            # At least settle_s, then until every kernel is idle (its warm-up done: under 0.1 s of CPU in the
            # last 5 s; on a loaded machine a Studio warm-up takes minutes), at most IDLE_WAIT_MAX_S more.
            start = time.monotonic()
            cpu = {k: [] for k, _, _ in opened}
            last_report = 0.0
            while True:
                for k, proc, _ in opened:
                    if not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE:
                        raise RuntimeError(f"{dashboard}: kernel {k} ended while held (culled? see {log})")
                    peak[k] = max(peak[k], proc.memory_info().rss)
                    t = proc.cpu_times()
                    cpu[k] = (cpu[k] + [t.user + t.system])[-6:]
                elapsed = time.monotonic() - start
                idle = all(len(c) == 6 and c[-1] - c[0] < 0.1 for c in cpu.values())
                if elapsed >= settle_s and (idle or elapsed >= settle_s + IDLE_WAIT_MAX_S):
                    break
                if elapsed - last_report >= 30:  # a long wait says what it waits for
                    last_report = elapsed
                    busy = [f"{c[-1] - c[0]:.2f}" for c in cpu.values() if len(c) > 1]
                    print(f"  waiting {elapsed:.0f} s for idle kernels; CPU s in the last 5 s: {', '.join(busy)}",
                          flush=True)
                time.sleep(1.0)
            rows = []
            for i, (k, proc, render_s) in enumerate(opened, 1):
                m = memory(proc)
                rows.append({"kernel": f"{dashboard} page", "open": n_open, "index": i, "render_s": round(render_s, 1),
                             **m, "peak_rss_mib": round(max(peak[k], proc.memory_info().rss) / 2**20)})
            if "WebSocket ping timeout" in log.read_text(errors="replace"):
                raise RuntimeError(f"{dashboard}: the server dropped a held page (ping timeout, see {log})")
            for c in conns:
                loop.call_soon_threadsafe(c.close)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
    return rows


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


def stages() -> list[dict]:
    """Private memory (USS, MiB) added by each step of the Studio's warm-up, in this fresh process."""
    proc = psutil.Process()
    rows, last = [], [0]

    def step(name: str, fn) -> None:
        t = time.process_time()
        fn()
        uss = (lambda r: r["Private_Clean"] + r["Private_Dirty"])(smaps_rollup(proc.pid)) / 2**20
        rows.append({"stage": name, "uss_mib": round(uss), "adds_mib": round(uss - last[0]),
                     "cpu_s": round(time.process_time() - t, 2)})
        last[0] = uss
        print(f"{name:<58} USS {uss:6.0f} MiB  +{rows[-1]['adds_mib']:4d}  cpu {rows[-1]['cpu_s']} s", flush=True)

    clip = {}

    def sim():
        from sora_widgets.engines import generate
        from sora_widgets.widgets._warm_up import WARM_CLIP

        clip["c"] = generate("a ball bounces", engine="sim", **WARM_CLIP)

    step("python + numpy", lambda: __import__("numpy"))
    step("import sora_widgets.widgets.prompt_studio", lambda: __import__("sora_widgets.widgets.prompt_studio"))
    step("text encoder (MiniLM)", lambda: __import__("sora_widgets.text_encoder", fromlist=["x"]).get_encoder())
    step("prompt check", lambda: __import__("sora_widgets.moderation.text", fromlist=["x"]).check_prompt("a red ball"))
    step("sim engine, first clip", sim)
    step("player media (MP4, waveform, spectrogram)",
         lambda: __import__("sora_widgets.widgets.clip_player", fromlist=["x"]).ClipPlayer.media_traits(clip["c"]))
    step("provenance marks", lambda: __import__("sora_widgets.provenance.stamp", fromlist=["x"]).mark(
        clip["c"], creator="warm_up"))
    step("engine list", lambda: __import__("sora_widgets.engines", fromlist=["x"]).available())
    step("nudity detector (onnxruntime)", lambda: __import__("sora_widgets.moderation.visual", fromlist=["x"])._load())
    step("speech recogniser (Whisper, CTranslate2)", lambda: __import__("sora_widgets.speech.model", fromlist=["x"]).load())
    step("output check on the clip", lambda: __import__("sora_widgets.moderation.clip", fromlist=["x"]).check_clip(clip["c"]))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--dashboards", nargs="*", default=list(DASHBOARDS), choices=DASHBOARDS)
    ap.add_argument("--open", nargs="*", type=int, default=[1, 4], help="how many views of a page to hold at once")
    ap.add_argument("--settle", type=float, default=60.0,
                    help="seconds to wait after the pages rendered, then until the kernels are idle (s)")
    ap.add_argument("--pool", action="store_true", help="also measure a warm pooled kernel")
    ap.add_argument("--stages", action="store_true", help="print what each step of the Studio's warm-up adds")
    args = ap.parse_args(argv)
    rows = []
    if args.stages:
        rows += stages()
    with tempfile.TemporaryDirectory(prefix="kernel-rss-") as tmp:
        home = Path(tmp)
        if args.dashboards or args.pool:
            seed(home)
        for name in args.dashboards:
            for n_open in args.open:
                got = measure_page(home, name, args.settle, n_open)
                rows += got
                for row in got:
                    print(f"{row['kernel']:<16} {row['index']}/{row['open']}  RSS {row['rss_mib']:>5} MiB  "
                          f"PSS {row['pss_mib']:>5} MiB  USS {row['uss_mib']:>5} MiB  "
                          f"peak RSS {row['peak_rss_mib']:>5} MiB  render {row['render_s']} s  "
                          f"libs: {', '.join(row['heavy_libs']) or '-'}", flush=True)
                if n_open > 1:
                    print(f"{name} x{n_open}: sum RSS {sum(r['rss_mib'] for r in got)} MiB, "
                          f"sum PSS {sum(r['pss_mib'] for r in got)} MiB", flush=True)
        if args.pool:
            row = measure_pool(home, args.settle)
            rows.append(row)
            print(f"{row['kernel']:<22} RSS {row['rss_mib']:>5} MiB  PSS {row['pss_mib']:>5} MiB  "
                  f"USS {row['uss_mib']:>5} MiB  libs: {', '.join(row['heavy_libs']) or '-'}", flush=True)
    print(json.dumps({"settle_s": args.settle, "load_avg": Path("/proc/loadavg").read_text().split()[:3],
                      "kernels": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
