"""Where a Studio page's kernel time goes: the dashboard's cells run in a warm pooled kernel, timed and profiled.

What the server does for a page, without the server and the browser (so the figures are CPU
times of one kernel, comparable on a busy machine): a kernel is started with the server's
environment, runs the pool's warm-up (``auth.kernel_pool.WARM_CODE``) until it is fully warm,
then runs the identity cell (``auth.hook``) and ``dashboards/studio.ipynb``'s code cells.
Printed per cell: wall and process CPU seconds, widgets created (each is one model the page
must build); then the kernel CPU used by what the page started in the background
(``PromptStudio``'s threads) in the next seconds, and optionally the top of a cProfile of the
studio cell (``--profile``).

Usage: nice .venv/bin/python benchmarks/studio_cells_profile.py [--profile 25] [--after-s 8]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _studio_page import STUDIO, make_creator  # noqa: E402

#: Run in the kernel around each cell: wall and CPU time, widgets created (printed as one JSON line).
_TIMED = """\
import json as _j, time as _t, ipywidgets as _W
_c0, _w0, _n0 = _t.process_time(), _t.perf_counter(), len(_W.Widget.widgets)
{body}
print("@@" + _j.dumps({{"cpu_s": _t.process_time() - _c0, "wall_s": _t.perf_counter() - _w0,
                       "widgets": len(_W.Widget.widgets) - _n0}}))
"""
_PROFILED = """\
import cProfile as _cp, pstats as _ps, io as _io
_pr = _cp.Profile(); _pr.enable()
{body}
_pr.disable(); _s = _io.StringIO(); _ps.Stats(_pr, stream=_s).sort_stats("cumulative").print_stats({n})
print("@@PROFILE" + _s.getvalue())
"""
#: What a click on Generate does, until the clip is in the player (the studio's state "done").
_GENERATE = """\
studio.prompt.value = "a red ball bounces on a wooden floor"
studio.generate().join(120)
assert studio.worker.state == "done", studio.worker.state
"""
_ENABLED = """\
while studio.generate_button.disabled:
    _t.sleep(0.005)
"""
_CPU_NOW = "import time as _t; print('@@' + str(_t.process_time()))"


def _run(client, code: str, timeout: float = 300.0) -> str:
    out: list[str] = []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            out.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(code, timeout=timeout, output_hook=hook)
    text = "".join(out)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(text)
    return text


def _marked(text: str) -> str:
    return next(line[2:] for line in text.splitlines() if line.startswith("@@"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", type=int, default=0, help="print this many lines of the studio cell's cProfile")
    ap.add_argument("--after-s", type=float, default=8.0, help="seconds to watch the page's background work (s)")
    ap.add_argument("--cold", action="store_true", help="skip the pool's warm-up (a fresh kernel)")
    ap.add_argument("--generate", action="store_true",
                    help="then generate the first clip as the Generate button does (CPU and wall until it is shown)")
    ap.add_argument("--spy", metavar="PATH", help="with --generate: py-spy the kernel during the first Generate "
                                                  "(collapsed stacks of all its threads in PATH)")
    ap.add_argument("--early", action="store_true",
                    help="run the cells as soon as the pool's warm-up started (a page taking a warming kernel)")
    args = ap.parse_args()

    from jupyter_client.manager import KernelManager

    from sora_widgets.auth.hook import _IDENTITY_CELL
    from sora_widgets.auth.kernel_pool import STILL_WARMING, WARM_CODE
    from sora_widgets.auth.kernel_token import issue_token
    from sora_widgets.auth.keys import kernel_key
    from sora_widgets.serve import dashboards_dir
    from sora_widgets.store import open_store

    home = Path(tempfile.mkdtemp(prefix="studio-profile-"))
    handle = make_creator(home, "profiler")
    token = issue_token(kernel_key(open_store(home).home), handle)
    env = dict(os.environ, SORA_WIDGETS_HOME=str(home), VOILA_BASE_URL="/", VOILA_SERVER_URL="/",
               VOILA_PREHEAT="False")
    cells = [("identity", _IDENTITY_CELL.format(token=token, logout_url="/logout"))]
    nb = json.loads((dashboards_dir() / STUDIO).read_text())
    cells += [(f"studio cell {i}", "".join(c["source"])) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]

    km = KernelManager(kernel_name="python3")
    t0 = time.perf_counter()
    km.start_kernel(env=env, cwd=str(dashboards_dir()))
    client = km.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=120)
        if not args.cold:
            _run(client, WARM_CODE)
            t_first = time.perf_counter() - t0  # (the warm-up runs on its thread: this is the kernel answering)
            while not args.early:
                reply = client.execute_interactive("", silent=True, user_expressions={"a": STILL_WARMING}, timeout=60)
                if reply["content"]["user_expressions"]["a"]["data"]["text/plain"] != "True":
                    break
                time.sleep(0.2)
            if not args.early:
                print(f"pooled kernel: answers after warm-up code {t_first:.2f} s, fully warm {time.perf_counter() - t0:.2f} s "
                      f"(wall, from start)")
        print(f"{'cell':<16} {'wall s':>7} {'cpu s':>7} {'widgets':>8}")
        total_cpu = 0.0
        for name, body in cells:
            if args.profile and name != "identity":
                text = _run(client, _PROFILED.format(body=body, n=args.profile))
                stats = text.split("@@PROFILE", 1)[1]
            else:
                stats = None
            # (A profiled cell runs once only: the studio cell is then timed in a second kernel run.)
            row = json.loads(_marked(_run(client, _TIMED.format(body=body)))) if stats is None else None
            if row is not None:
                total_cpu += row["cpu_s"]
                print(f"{name:<16} {row['wall_s']:7.3f} {row['cpu_s']:7.3f} {row['widgets']:8d}")
            else:
                print(f"{name:<16} (profiled)\n{stats}")
        if args.generate:
            row = json.loads(_marked(_run(client, _TIMED.format(body=_ENABLED))))
            print(f"{'until enabled':<16} {row['wall_s']:7.3f} {row['cpu_s']:7.3f} {row['widgets']:8d}  "
                  "(after the cells, until Generate is enabled)")
            spy = None
            if args.spy:
                import subprocess

                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid",
                                        str(km.provisioner.process.pid), "--rate", "250", "--format", "raw",
                                        "-o", args.spy], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(1.0)  # py-spy attaches
            row = json.loads(_marked(_run(client, _TIMED.format(body=_GENERATE))))
            if spy is not None:
                import signal

                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            print(f"{'first Generate':<16} {row['wall_s']:7.3f} {row['cpu_s']:7.3f} {row['widgets']:8d}  "
                  "(click -> clip in the player, kernel side; all threads: the pre-screen starts meanwhile)")
            _run(client, "studio.publish_panel.prescreen_job.join(120)")
            row = json.loads(_marked(_run(client, _TIMED.format(body=_GENERATE))))
            print(f"{'second Generate':<16} {row['wall_s']:7.3f} {row['cpu_s']:7.3f} {row['widgets']:8d}  "
                  "(after the first one's pre-screen ended)")
        cpu0 = float(_marked(_run(client, _CPU_NOW)))
        time.sleep(args.after_s)
        cpu1 = float(_marked(_run(client, _CPU_NOW)))
        print(f"{'cells total':<16} {'':>7} {total_cpu:7.3f}")
        print(f"background work the page started: {cpu1 - cpu0:.3f} s CPU in the next {args.after_s:.0f} s")
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
