"""``SORA_WIDGETS_RAY=ray://host:port``: a kernel joins an existing cluster through Ray Client.

A real cluster: ``ray start --head --ray-client-server-port=<free port> --block`` on this machine (a child
of this test, so it stops exactly what it started), and a kernel (a subprocess, as Voila starts one) that
knows only the ``ray://`` address. The kernel runs the same ``generate()``: progress and previews reach it,
the clip equals the in-process one, a clip larger than one frame piece comes back whole, cancel stops a
job. Ray Client cannot consume streaming generators, so this path asks the worker for items batch by batch
(``service.client._pulled``): these tests are what prove it.

Kept apart from tests/test_service.py and tests/test_service_local.py: one Ray cluster at a time on this
machine (checked before and after).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from sora_widgets.service.procs import node_pids, stop_tree

pytestmark = pytest.mark.slow

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RAY_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_raylet_start_wait_time_s": "120", "OMP_NUM_THREADS": "1"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def client_address():
    """A one-node Ray cluster with its Ray Client server; yields ``ray://127.0.0.1:<port>``."""
    pytest.importorskip("ray")
    deadline = time.monotonic() + 60  # an earlier module's cluster may still be exiting on a busy machine
    while node_pids() and time.monotonic() < deadline:
        time.sleep(1)
    assert not node_pids(), f"a Ray cluster is already running on this machine: {node_pids()}"
    temp_dir = tempfile.mkdtemp(prefix="swrc-")  # short: Ray's socket paths live under it
    head, gcs_port, client_port, log = _start_head(temp_dir)
    try:
        yield f"ray://127.0.0.1:{client_port}"
    finally:
        stop_tree(head.pid)  # SIGTERM, then SIGKILL for what a loaded machine has not stopped in 30 s
        head.wait(30)
        log.close()
        _forget_address(gcs_port)
        deadline = time.monotonic() + 30
        while node_pids() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not node_pids(), f"Ray processes left after stopping the cluster: {node_pids()}"
        shutil.rmtree(temp_dir, ignore_errors=True)


def _start_head(temp_dir: str, tries: int = 3):
    """``ray start --head --block`` with a Ray Client server, as a child of this process; returns
    ``(process, gcs_port, client_port, log_file)`` once the client port listens. On a loaded 2-core machine a
    raylet can miss Ray's fixed 30 s start-up window (``ray start`` then exits): tried ``tries`` times."""
    ray_cli = str(Path(sys.executable).parent / "ray")
    # The cluster's workers start in this environment: generation runs in them, a quick owner timeout.
    env = {**os.environ, **RAY_ENV, "SORA_WIDGETS_RAY": "", "SORA_WIDGETS_RAY_OWNER_TIMEOUT_S": "4"}
    log_path = Path(temp_dir) / "ray-start.log"
    for attempt in range(tries):
        gcs_port, client_port = _free_port(), _free_port()
        cmd = [ray_cli, "start", "--head", "--block", f"--port={gcs_port}",
               f"--ray-client-server-port={client_port}", "--num-cpus=1", "--include-dashboard=false",
               f"--object-store-memory={200 * 2**20}", "--disable-usage-stats", f"--temp-dir={temp_dir}"]
        log = open(log_path, "w")  # noqa: SIM115 - closed by the fixture
        head = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=REPO)
        deadline = time.monotonic() + 240
        while head.poll() is None and time.monotonic() < deadline and not _listening(client_port):
            time.sleep(1)
        if head.poll() is None and _listening(client_port):
            return head, gcs_port, client_port, log
        stop_tree(head.pid)
        head.wait(30)
        log.close()
        _forget_address(gcs_port)
        if attempt == tries - 1:
            raise RuntimeError(f"ray start failed {tries} times:\n{log_path.read_text()[-3000:]}")
    raise AssertionError("unreachable")


def _forget_address(gcs_port: int) -> None:
    """``ray start`` wrote its address where ``ray.init(address="auto")`` looks; remove it if it is ours."""
    from ray._common.utils import get_ray_address_file

    path = Path(get_ray_address_file(None))
    if path.exists() and path.read_text().strip().endswith(f":{gcs_port}"):
        path.unlink()


KERNEL = textwrap.dedent("""
    import json, os, sys, threading
    import numpy as np
    import sora_widgets as sw
    from sora_widgets.service import describe
    from sora_widgets.service.client import run_on_service
    from sora_widgets.testing.slow_job import slow_clip

    steps, labels, previews = [], [], []
    def on_progress(step, total, preview=None, label=""):
        if label:
            labels.append(label)
        else:
            steps.append((step, total))
            previews.append(preview is not None)

    ask = dict(prompt="a red ball bounces off the backboard", seed=7, duration=1.0, width=128, height=128)
    clip = sw.generate(**ask, on_progress=on_progress)
    mode = os.environ.pop("SORA_WIDGETS_RAY")
    here = sw.generate(**ask)
    os.environ["SORA_WIDGETS_RAY"] = mode

    # 40 frames of 512 px: 31 MB, more than one frame piece (16 MiB)
    big = run_on_service(slow_clip, {"steps": 40, "step_s": 0.0, "size": 512})

    cancel, seen = threading.Event(), []
    def stop_after_two(step, total, preview=None):
        seen.append(step)
        if step >= 2:
            cancel.set()
    try:
        run_on_service(slow_clip, {"steps": 200, "step_s": 0.05}, on_progress=stop_after_two, cancel=cancel)
        cancelled = None
    except sw.Cancelled as exc:
        cancelled = str(exc)
    d = describe()
    print(json.dumps({
        "same": bool(np.array_equal(clip.frames, here.frames) and np.array_equal(clip.audio, here.audio)),
        "same_recipe": clip.meta["recipe"] == here.meta["recipe"],
        "writeable": bool(clip.frames.flags.writeable),
        "service": clip.meta["service"], "steps": steps, "previews": sum(previews), "labels": labels,
        "big": [big.frames.shape, [int(f[0, 0, 0]) for f in big.frames]],
        "cancelled": cancelled, "last_step_seen": max(seen),
        "mode": d["mode"], "address": d["address"], "workers": [w["worker_id"] for w in d["workers"]],
    }))
""")


def test_a_kernel_generates_through_ray_client(client_address, tmp_path):
    env = {**os.environ, **RAY_ENV, "SORA_WIDGETS_RAY": client_address, "SORA_WIDGETS_USER": "ana",
           "SORA_WIDGETS_RAY_WORKERS": "1", "SORA_WIDGETS_HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", KERNEL], capture_output=True, text=True, env=env, timeout=600,
                         cwd=REPO)
    assert out.returncode == 0, out.stderr[-4000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["same"] and got["same_recipe"] and got["writeable"]  # the in-process clip, owning its memory
    assert got["service"]["user"] == "ana" and got["service"]["worker"] == "w1" and got["service"]["attempts"] == 1
    assert got["steps"][-1][0] == got["steps"][-1][1] > 1 and got["previews"] >= 1  # progress and previews
    assert any(label.startswith("starting on worker") for label in got["labels"])
    assert got["big"] == [[40, 512, 512, 3], list(range(40))]  # every piece, in its place
    assert got["cancelled"] is not None and got["last_step_seen"] < 200  # cancel stopped it between steps
    assert got["mode"] == "cluster" and got["workers"] == ["w1"]
