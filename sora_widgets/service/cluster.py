"""Joining the Ray cluster and finding (or creating) the one scheduler.

``SORA_WIDGETS_RAY=local``: the first kernel that generates starts a Ray head on
this machine with ``ray start --head`` (its own processes, so it outlives that
kernel), under a file lock so two kernels starting at once make one cluster;
every kernel then joins it with ``ray.init(address="auto")``. Sized for a small
machine: no dashboard, ``SORA_WIDGETS_RAY_OBJECT_STORE_MB`` (default 512) of
object store, ``SORA_WIDGETS_RAY_CPUS`` (default: the machine's) CPUs.
Any other value is an address to join (``ray://head:10001`` through Ray Client,
or ``head:6379`` from a machine of the cluster).

The scheduler is a detached actor named ``SCHEDULER_NAME`` in ``NAMESPACE``:
whichever kernel comes first creates it (``get_if_exists``), the others find it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from .config import NAMESPACE, RAY_ENV, SCHEDULER_NAME, service_mode, settings_from_env

__all__ = ["connect", "scheduler", "start_local_head", "status", "stop_local_head", "through_client"]

_LOCK = threading.Lock()
_scheduler = None
#: Tries of ``ray start --head`` before giving up (see :func:`start_local_head`).
START_TRIES = 3
#: Serialises starting the local head across processes.
LOCAL_LOCK_PATH = Path(os.environ.get("TMPDIR", "/tmp")) / "sora-widgets-ray-start.lock"


def _ray_env() -> None:
    # No usage reports leave the machine; Ray's own token auth stays off for a local cluster.
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # The raylet waits this long (s; Ray's default 15) for its agents' port files: on a loaded small
    # machine the Python agents take longer to start, and the raylet then dies at start-up.
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")


def _cli() -> str:
    """The ``ray`` command installed beside this Python (the venv's)."""
    here = Path(sys.executable).parent / "ray"
    return str(here) if here.exists() else "ray"


def start_local_head() -> None:
    """Start a Ray head on this machine (``ray start --head``) sized for a small machine; waits until up."""
    _ray_env()
    cpus = os.environ.get("SORA_WIDGETS_RAY_CPUS") or str(os.cpu_count() or 1)
    store_mb = int(os.environ.get("SORA_WIDGETS_RAY_OBJECT_STORE_MB", "512"))
    cmd = [_cli(), "start", "--head", "--num-cpus", cpus, "--include-dashboard=false",
           f"--object-store-memory={store_mb * 2**20}", "--disable-usage-stats"]
    env = {**os.environ, RAY_ENV: ""}  # the head's workers run generations in-process
    for _attempt in range(START_TRIES):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
        if out.returncode == 0:
            return
        # Ray gives its raylet a fixed 30 s to register; a loaded machine can miss it. Clear the
        # half-started head and try again.
        stop_local_head()
    raise RuntimeError(f"could not start a local Ray cluster ({' '.join(cmd)}, {START_TRIES} tries):\n"
                       f"{out.stderr[-2000:]}")


def stop_local_head() -> None:
    """``ray stop`` (every Ray process of this machine's local cluster; for tests and `make` targets)."""
    subprocess.run([_cli(), "stop", "--force"], capture_output=True, text=True, timeout=120)


#: Tries to join a cluster through Ray Client (``ray://``) before giving up.
_CLIENT_TRIES = 3


def connect() -> None:
    """Join the cluster ``SORA_WIDGETS_RAY`` names (starting the local one if needed), once per process."""
    import ray

    if ray.is_initialized():
        return
    _ray_env()
    mode = service_mode()
    if not mode:
        raise RuntimeError(f"{RAY_ENV} is not set: generation runs in-process, there is no service to join")
    kw = dict(namespace=NAMESPACE, logging_level="ERROR", log_to_driver=False, configure_logging=False)
    if mode != "local":
        for attempt in range(_CLIENT_TRIES):
            try:
                ray.init(address=mode, **kw)
                return
            except ConnectionAbortedError:
                # Ray Client's proxy starts a server process per client; that start can fail once under
                # load ("Initialization failure from server": seen in a fresh-clone test run), and a
                # second try gets a new one.
                ray.shutdown()
                if attempt == _CLIENT_TRIES - 1:
                    raise
                time.sleep(2.0)
    try:
        ray.init(address="auto", **kw)
        return
    except ConnectionError:
        pass
    with open(LOCAL_LOCK_PATH, "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another kernel may be starting it right now
        try:
            ray.init(address="auto", **kw)
        except ConnectionError:
            start_local_head()
            ray.init(address="auto", **kw)


def scheduler():
    """The scheduler actor's handle (joining the cluster and creating the scheduler on first use)."""
    global _scheduler
    with _LOCK:
        if _scheduler is not None:
            return _scheduler
        connect()
        import ray

        from .scheduler import Scheduler

        try:
            _scheduler = ray.get_actor(SCHEDULER_NAME, namespace=NAMESPACE)
        except ValueError:
            settings = settings_from_env(ray.cluster_resources().get("GPU", 0.0))
            _scheduler = ray.remote(Scheduler).options(
                name=SCHEDULER_NAME, namespace=NAMESPACE, lifetime="detached", get_if_exists=True,
                num_cpus=0, max_concurrency=1000,
            ).remote(settings)
        return _scheduler


#: How long a caller waits for a stopped scheduler's replacement (``ray.kill`` returns before the actor is
#: gone, so for a moment its name still finds the dying actor), seconds.
SCHEDULER_RESTART_S = 60.0


def ask_scheduler(method: str, *args, timeout: float | None = None):
    """Call ``method(*args)`` on the scheduler and return ``(handle, answer)``. A scheduler that was stopped (an
    admin killed it, its node died) is made again and asked instead, for up to :data:`SCHEDULER_RESTART_S`.

    Args:
        method (`str`): the :class:`.scheduler.Scheduler` method (``"submit"``, ``"status"``...).
        *args: its arguments.
        timeout (`float`, *optional*): seconds to wait for one answer (``None``: as long as it takes).
    """
    import time

    import ray

    end = time.monotonic() + SCHEDULER_RESTART_S
    while True:
        sched = scheduler()
        try:
            return sched, ray.get(getattr(sched, method).remote(*args), timeout=timeout)
        except ray.exceptions.RayActorError:
            forget()
            if time.monotonic() > end:
                raise
            time.sleep(0.5)


def through_client() -> bool:
    """True when this process joined through Ray Client (``ray://``): it cannot consume streaming
    generators, so :mod:`.client` asks the worker for a job's items batch by batch instead."""
    from ray.util.client import ray as client_ray

    return client_ray.is_connected()


def forget() -> None:
    """Drop the cached handle (after the scheduler was killed or the cluster restarted; tests)."""
    global _scheduler
    with _LOCK:
        _scheduler = None


def _running_local() -> bool:
    import ray

    try:
        ray.init(address="auto", namespace=NAMESPACE, logging_level="ERROR", log_to_driver=False,
                 configure_logging=False)
        return True
    except ConnectionError:
        return False


def status(*, start: bool = False) -> dict:
    """What :func:`sora_widgets.service.describe` returns (see there)."""
    import ray

    mode = service_mode()
    out: dict = {"mode": mode if mode == "local" else "cluster", "address": mode}
    if not ray.is_initialized() and mode == "local" and not start and not _running_local():
        return {**out, "running": False, "note": "no local cluster yet: the first generate() starts one"}
    _, answer = ask_scheduler("status", timeout=60)
    out.update(running=True, address=ray.get_runtime_context().gcs_address, **answer)
    return out
