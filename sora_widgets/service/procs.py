"""Ray's processes on this machine: which run, and stopping the ones this process started.

Ray's ``Cluster`` test utility (tests, benchmarks) starts a node's processes
(``gcs_server``, ``raylet``, its Python agents) as children of the calling
process. When a node fails to start (its raylet misses Ray's start-up window on
a loaded machine), ``Cluster.add_node`` raises before it records the node, so
``Cluster.shutdown()`` never stops what had already started: a half-started
cluster stays up until the caller exits, and ``ray.init(address="auto")`` in
the next test finds it. :func:`stop_new_children` stops exactly those: the
caller's own children that appeared since a snapshot, never another user's or
another test's Ray. Reads ``/proc`` (Linux), imports no Ray.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

__all__ = ["NODE_PROCESS_NAMES", "children", "descendants", "node_pids", "stop_new_children", "stop_tree"]

#: A Ray node's own processes, as ``ps -o comm`` names them: one running means a cluster is up.
NODE_PROCESS_NAMES = ("gcs_server", "raylet")


def _stat(pid: int) -> tuple[str, str, int] | None:
    """``(comm, state, ppid)`` of ``pid`` from ``/proc/<pid>/stat``, or None if it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = text[text.index("(") + 1 : text.rindex(")")]
    state, ppid = text[text.rindex(")") + 2 :].split()[:2]
    return comm, state, int(ppid)


def _pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def node_pids(*, include_zombies: bool = True) -> list[int]:
    """PIDs of Ray node processes (``gcs_server``, ``raylet``) on this machine, any owner.

    Args:
        include_zombies (`bool`, *optional*, defaults to `True`): also list exited processes not yet reaped
            by their parent (``ps`` shows them, so a check with ``ps`` sees them too).
    """
    out = []
    for pid in _pids():
        st = _stat(pid)
        if st is not None and st[0] in NODE_PROCESS_NAMES and (include_zombies or st[1] != "Z"):
            out.append(pid)
    return sorted(out)


def children(pid: int | None = None) -> set[int]:
    """PIDs whose parent is ``pid`` (default: this process)."""
    pid = os.getpid() if pid is None else pid
    return {p for p in _pids() if (st := _stat(p)) is not None and st[2] == pid}


def descendants(pid: int) -> set[int]:
    """PIDs of ``pid``'s children, their children, and so on (not ``pid`` itself)."""
    parent_of = {p: st[2] for p in _pids() if (st := _stat(p)) is not None}
    out: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {p for p, pp in parent_of.items() if pp in frontier and p not in out}
        out |= frontier
    return out


def stop_tree(pid: int, timeout_s: float = 30.0) -> list[int]:
    """Stop ``pid`` and every process under it (SIGTERM to all at once, SIGKILL to what is left after
    ``timeout_s`` seconds), e.g. a ``ray start --head --block`` and the node it runs. Returns the PIDs that
    were still running after ``timeout_s`` (killed). Zombies of ``pid`` itself are for its parent to reap.

    Args:
        pid (`int`): the root process (one this process started).
        timeout_s (`float`, *optional*, defaults to 30): seconds to wait for SIGTERM to work.
    """
    tree = descendants(pid) | {pid}
    for p in tree:
        _signal(p, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and (alive := _running(tree)):
        tree |= descendants(pid)  # started while stopping (a worker being replaced)
        time.sleep(0.2)
    alive = _running(tree | descendants(pid))
    for p in alive:
        _signal(p, signal.SIGKILL)
    return sorted(alive)


def _running(pids: set[int]) -> set[int]:
    return {p for p in pids if (st := _stat(p)) is not None and st[1] != "Z"}


def stop_new_children(before: set[int], timeout_s: float = 30.0) -> list[int]:
    """Stop this process's children that are not in ``before`` (SIGTERM, then SIGKILL after ``timeout_s``
    seconds) and reap them, so no zombie is left either. Returns the PIDs stopped.

    Args:
        before (`set[int]`): :func:`children` taken before the start that failed.
        timeout_s (`float`, *optional*, defaults to 30): seconds to wait for SIGTERM to work.
    """
    new = sorted(children() - set(before))
    for pid in new:
        _signal(pid, signal.SIGTERM)
    left = set(new)
    for sig_after, wait_s in ((signal.SIGKILL, timeout_s), (None, 10.0)):
        deadline = time.monotonic() + wait_s
        while left and time.monotonic() < deadline:
            for pid in list(left):
                try:
                    done, _status = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # reaped elsewhere (a Popen object's wait)
                    done = pid
                if done == pid:
                    left.discard(pid)
            time.sleep(0.1 if left else 0)
        if sig_after is not None:
            for pid in left:
                _signal(pid, sig_after)
    return new


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
