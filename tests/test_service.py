"""The generation service on a real Ray cluster: two nodes on this machine (Ray's own ``Cluster`` test
utility stands for a second machine), the real scheduler and worker actors, the real engines.

Fast tests (no Ray): the fairness rule (examples and a stateful property test), the store log, and that
with ``SORA_WIDGETS_RAY`` unset Ray is never imported. The cluster tests are ``slow``: the cluster takes
~30 s to start on a 2-core machine, so one cluster serves the module and is shut down at its end (the
last test checks that no process of it is left).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sora_widgets.service.fairness import FairQueue, ordinal
from sora_widgets.service.procs import children, node_pids, stop_new_children

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ====================================================================== the fairness rule (no Ray)
def test_a_submits_ten_then_b_one_b_starts_before_as_fourth():
    q = FairQueue(per_user_limit=1)
    for i in range(10):
        q.push(f"a{i}", "alice")
    started = [q.pop_next()[0]]  # a0 runs
    q.push("b0", "bob")
    assert q.position("b0") == 1 and ordinal(q.position("b0")) == "1st"
    assert q.position("a1") == 2
    started.append(q.pop_next()[0])  # a free worker: bob's first, not alice's second
    assert started == ["a0", "b0"]
    assert q.pop_next() is None  # both at their limit of 1 running
    q.release("alice")
    assert q.pop_next()[0] == "a1"


def test_limit_and_retry_at_the_front():
    q = FairQueue(per_user_limit=2)
    for i in range(4):
        q.push(i, "a")
    assert [q.pop_next()[0], q.pop_next()[0]] == [0, 1]
    assert q.pop_next() is None
    q.release("a")
    q.push(0, "a", front=True)  # its worker died: it goes again before 2 and 3
    assert q.order() == [0, 2, 3]
    assert q.pop_next()[0] == 0
    with pytest.raises(ValueError):
        FairQueue(0)


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "101st", "111th", "112th"]


class FairQueueMachine(RuleBasedStateMachine):
    """Users submit, jobs start and end in any order; the rule's promises hold after every step."""

    def __init__(self):
        super().__init__()
        self.limit = 2
        self.q = FairQueue(self.limit)
        self.next_id = 0
        self.submitted: dict[str, list[int]] = {}
        self.started: dict[str, list[int]] = {}
        self.running: dict[str, list[int]] = {}
        self.queued: dict[int, str] = {}
        # a user's first job, when it was submitted: how many jobs other users started since
        self.others_started_since_first: dict[int, int] = {}

    @rule(user=st.sampled_from(["a", "b", "c"]), n=st.integers(1, 5))
    def submit(self, user, n):
        for _ in range(n):
            job = self.next_id
            self.next_id += 1
            if not self.q.queued(user):
                self.others_started_since_first[job] = 0
            self.q.push(job, user)
            self.submitted.setdefault(user, []).append(job)
            self.queued[job] = user

    @rule()
    def start(self):
        order_before = self.q.order()
        picked = self.q.pop_next()
        if picked is None:
            # work-conserving: nothing may start only when every waiting user is at the limit
            assert all(len(self.running.get(u, [])) >= self.limit for u in set(self.queued.values()))
            return
        job, user = picked
        assert self.queued.pop(job) == user
        # the job that starts is the first one of its user still waiting (FIFO per user)
        assert job == min(j for j in self.submitted[user] if j not in self.started.get(user, []))
        # and the first eligible one in the order callers were shown
        eligible = [j for j in order_before if len(self.running.get(self._user(j, user), [])) < self.limit]
        assert eligible and eligible[0] == job
        self.started.setdefault(user, []).append(job)
        self.running.setdefault(user, []).append(job)
        for first in list(self.others_started_since_first):
            if first in self.queued and self.queued[first] != user:
                self.others_started_since_first[first] += 1
                # fairness: a waiting user's job is never passed over by more than one job of each other user
                # (two other users here) between its arrival at the head and its start
                assert self.others_started_since_first[first] <= 2 * self.limit + 2
            elif first not in self.queued:
                del self.others_started_since_first[first]

    def _user(self, job, default):
        return self.queued.get(job, default)

    @precondition(lambda self: any(self.running.values()))
    @rule(data=st.data())
    def finish(self, data):
        user = data.draw(st.sampled_from(sorted(u for u, js in self.running.items() if js)))
        self.running[user].pop(0)
        self.q.release(user)

    @precondition(lambda self: bool(self.queued))
    @rule(data=st.data())
    def cancel_queued(self, data):
        job = data.draw(st.sampled_from(sorted(self.queued)))
        assert self.q.remove(job)
        user = self.queued.pop(job)
        self.submitted[user].remove(job)
        self.others_started_since_first.pop(job, None)

    @invariant()
    def within_limit_and_counted(self):
        for user, jobs in self.running.items():
            assert len(jobs) <= self.limit
            assert self.q.running(user) == len(jobs)
        assert self.q.queued() == len(self.queued)
        order = self.q.order()
        assert sorted(order) == sorted(self.queued)
        assert [self.q.position(j) for j in order] == list(range(1, len(order) + 1))


TestFairQueueMachine = FairQueueMachine.TestCase
TestFairQueueMachine.settings = settings(max_examples=60, stateful_step_count=40, deadline=None)


# ====================================================================== no Ray when the mode is unset
def test_unset_mode_runs_in_process_and_never_imports_ray(tmp_path):
    code = textwrap.dedent("""
        import sys
        import sora_widgets as sw
        clip = sw.generate("a red ball bounces", seed=3, duration=0.5, width=64, height=64)
        assert "service" not in clip.meta
        print(sorted(m for m in ("ray", "sora_widgets.service.client", "sora_widgets.service.cluster")
                     if m in sys.modules))
    """)
    env = {k: v for k, v in os.environ.items() if k != "SORA_WIDGETS_RAY"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180, env=env,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "[]"
    assert not (tmp_path / "data").exists()  # generating creates no store


def test_job_rows_in_the_store(store):
    from sora_widgets.service import jobs_log

    t0 = jobs_log.utcnow()
    jobs_log.record(store.home, {"job_id": "j1", "user_handle": "ana", "engine": "sim", "state": "queued",
                                 "submitted_at": t0})
    jobs_log.record(store.home, {"job_id": "j1", "state": "running", "queue_s": 0.5, "attempts": 1})
    assert jobs_log.flush()
    jobs_log.record(store.home, {"job_id": "j1", "state": "done", "run_s": 2.0, "submitted_at": jobs_log.utcnow()})
    assert jobs_log.flush()
    row = store.sql("SELECT * FROM generation_jobs").iloc[0]
    assert (row.state, row.user_handle, row.queue_s, row.run_s, row.attempts) == ("done", "ana", 0.5, 2.0, 1)
    assert row.submitted_at == t0  # the first submitted_at is kept
    with pytest.raises(ValueError):
        jobs_log.record_now(store.home, {"job_id": "j2", "state": "lost"})


# ====================================================================== shared-memory frames (no Ray)
def test_shared_frames_reach_only_a_caller_on_this_node_and_user_and_leave_nothing(monkeypatch):
    from sora_widgets.service import shared_frames as sf

    frames = np.random.default_rng(3).integers(0, 256, (6, 64, 48, 3), dtype=np.uint8)
    me = sf.caller_identity("node-a")
    assert me == {"node": "node-a", "uid": os.getuid()}
    assert sf.write_frames(frames, me, "node-b") is None  # another machine's worker: pieces instead
    assert sf.write_frames(frames, {**me, "uid": os.getuid() + 1}, "node-a") is None  # another user
    assert sf.write_frames(frames, None, "node-a") is None
    path = sf.write_frames(frames, me, "node-a")
    assert path and oct(os.stat(path).st_mode & 0o777) == "0o600"
    got = sf.read_frames(path, frames.shape)
    assert not os.path.exists(path)  # unlinked on arrival: the memory goes with the array
    assert np.array_equal(got, frames) and got.flags.writeable
    got[:] = 0  # the caller's own copy: writing it changes nothing of the worker's
    assert frames.any()
    with pytest.raises(ValueError, match="not a shared frames file"):
        sf.read_frames("/etc/passwd", (1,))
    monkeypatch.setenv("SORA_WIDGETS_RAY_SHARED_FRAMES", "0")
    assert sf.caller_identity("node-a") is None
    # a caller that went away: its file is swept by the worker's next job, a fresh one is kept
    old, new = sf.write_frames(frames, me, "node-a"), sf.write_frames(frames, me, "node-a")
    os.utime(old, (time.time() - 600, time.time() - 600))
    assert sf.sweep() == 1 and not os.path.exists(old) and os.path.exists(new)
    os.unlink(new)


# ====================================================================== stopping only what we started (no Ray)
def test_stop_new_children_stops_and_reaps_only_what_started_after_the_snapshot():
    from sora_widgets.service.procs import descendants, stop_tree

    older = subprocess.Popen(["sleep", "60"])
    try:
        before = children()
        assert older.pid in before
        newer = [subprocess.Popen(["sleep", "60"]) for _ in range(2)]
        stopped = stop_new_children(before, timeout_s=10)
        assert sorted(stopped) == sorted(p.pid for p in newer)
        assert not ({p.pid for p in newer} & children())  # gone and reaped: no zombie either
        assert older.poll() is None  # started before the snapshot: untouched
        # a tree (a "ray start --block" and the node under it): the root and every process below it
        root = subprocess.Popen(["bash", "-c", "sleep 60 & sleep 60 & wait"])
        deadline = time.monotonic() + 10
        while len(descendants(root.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        below = descendants(root.pid)
        assert len(below) == 2
        assert stop_tree(root.pid, timeout_s=10) == []  # SIGTERM was enough
        root.wait(10)
        assert all(not os.path.exists(f"/proc/{p}") or open(f"/proc/{p}/stat").read().split(")")[-1].split()[0] == "Z"
                   for p in below)
    finally:
        older.kill()
        older.wait()


# ====================================================================== a real two-node Ray cluster
@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Two Ray nodes on this machine (1 CPU each, small object stores), ``SORA_WIDGETS_RAY`` pointing at
    them, two CPU workers; everything stopped at the end, and checked gone."""
    pytest.importorskip("ray")
    import ray
    from ray.cluster_utils import Cluster

    from sora_widgets.service import cluster as service_cluster

    saved = dict(os.environ)
    # read by the scheduler and workers (started by these nodes, with this environment)
    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_raylet_start_wait_time_s": "120",
                       "SORA_WIDGETS_RAY_OWNER_TIMEOUT_S": "4",
                       "SORA_WIDGETS_RAY_WORKERS": "2", "SORA_WIDGETS_RAY_PER_USER": "1",
                       "OMP_NUM_THREADS": "1", "SORA_WIDGETS_USER": "ana"})
    os.environ.pop("SORA_WIDGETS_RAY", None)
    _no_cluster_running()
    before = children()
    c = _start_cluster(Cluster)
    os.environ["SORA_WIDGETS_RAY"] = c.address
    service_cluster.forget()
    try:
        yield c
    finally:
        service_cluster.forget()
        ray.shutdown()
        c.shutdown()
        os.environ.clear()
        os.environ.update(saved)
        # Everything this module started is gone: what c.shutdown() missed is stopped here, and is a failure.
        left = stop_new_children(before)
        assert not left, f"Ray processes left running after the cluster shut down: {left}"
        assert not node_pids(), f"a Ray node is still running: {node_pids()}"


def _no_cluster_running(wait_s: float = 60.0) -> None:
    """No Ray node runs on this machine (``ray.init(address="auto")`` would find it); an earlier one may still
    be exiting on a busy machine, so wait up to ``wait_s`` seconds."""
    deadline = time.monotonic() + wait_s
    while node_pids() and time.monotonic() < deadline:
        time.sleep(1)
    assert not node_pids(), f"a Ray cluster is already running on this machine: {node_pids()}; stop it first"


_START_FAILED: list[BaseException] = []


def _start_cluster(Cluster, tries: int = 3):
    """A head and a second node; on a loaded 2-core machine a raylet can miss Ray's fixed 30 s start-up
    window (its dashboard agent is slow to write its port file), so a failed start is shut down and tried
    again. After ``tries`` failures the module's other tests fail at once with the same error."""
    if _START_FAILED:
        raise RuntimeError("the Ray cluster could not start earlier in this module") from _START_FAILED[0]
    node_args = {"num_cpus": 1, "include_dashboard": False, "object_store_memory": 150 * 2**20}
    for attempt in range(tries):
        before = children()
        c = Cluster(initialize_head=False)
        try:
            c.add_node(**node_args)
            c.add_node(**{k: v for k, v in node_args.items() if k != "include_dashboard"})
            c.wait_for_nodes()
            return c
        except Exception as exc:
            c.shutdown()
            # A node that failed to start is not in ``c``: its gcs_server and raylet would outlive the module.
            stop_new_children(before)
            if attempt == tries - 1:
                _START_FAILED.append(exc)
                raise
    raise AssertionError("unreachable")


def _sched():
    from sora_widgets.service.cluster import scheduler

    return scheduler()


def _status() -> dict:
    import ray

    return ray.get(_sched().status.remote(), timeout=60)


def _workers(n: int) -> None:
    import ray

    assert ray.get(_sched().set_workers.remote(n), timeout=120) == n


def _wait(predicate, timeout_s=60.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def _slow(**kw):
    from sora_widgets.service.client import run_on_service
    from sora_widgets.testing.slow_job import slow_clip

    callbacks = {k: kw.pop(k) for k in ("on_progress", "cancel") if k in kw}
    return run_on_service(slow_clip, kw, **callbacks)


class Recorder:
    """An ``on_progress`` that takes a label, as the widgets' BackgroundJob does."""

    def __init__(self):
        self.steps, self.previews, self.labels = [], 0, []

    def __call__(self, step, total, preview=None, label=""):
        if label:
            self.labels.append(label)
        else:
            self.steps.append((step, total))
            self.previews += preview is not None


@pytest.mark.slow
def test_generate_through_the_service_gives_the_in_process_clip(cluster, store):
    import sora_widgets as sw
    from sora_widgets.service import jobs_log

    rec = Recorder()
    clip = sw.generate("a red ball bounces off the backboard", seed=7, duration=1.0, width=128, height=128,
                       on_progress=rec)
    service = clip.meta["service"]
    assert service["worker"] in {"w1", "w2"} and service["attempts"] == 1 and service["user"] == "ana"
    assert rec.steps[-1][0] == rec.steps[-1][1] > 1 and rec.previews >= 1  # progress and previews reached us
    assert any(lbl.startswith("starting on worker") for lbl in rec.labels)
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SORA_WIDGETS_RAY")
        here = sw.generate("a red ball bounces off the backboard", seed=7, duration=1.0, width=128, height=128)
    assert np.array_equal(here.frames, clip.frames) and np.array_equal(here.audio, clip.audio)
    assert clip.meta["recipe"] == here.meta["recipe"]
    # copied out of the object store piece by piece: the clip owns its memory, as an in-process one does
    assert clip.frames.flags.writeable and clip.frames.flags.owndata
    clip.save(store.home / "through-service.mp4")
    assert jobs_log.flush()
    row = store.sql("SELECT * FROM generation_jobs WHERE job_id = ?", [service["job_id"]]).iloc[0]
    assert (row.state, row.user_handle, row.engine, row.attempts) == ("done", "ana", "sim", 1)
    assert row.queue_s >= 0 and row.run_s > 0 and row.finished_at >= row.started_at >= row.submitted_at


@pytest.mark.slow
def test_an_engines_own_label_reaches_the_caller(cluster):
    """A diffusers model's first load says "loading model: 3 of 8 parts" through ``label``: through the service
    too (the worker used to drop it and the Studio showed a bare "step 0/0")."""
    rec = Recorder()
    _slow(steps=2, step_s=0.01, label="loading model: 1 of 8 parts (vae)", on_progress=rec)
    assert "loading model: 1 of 8 parts (vae)" in rec.labels
    assert rec.steps[-1] == (2, 2)


@pytest.mark.slow
def test_a_clip_larger_than_the_object_store_comes_back_whole(cluster, monkeypatch):
    # 54 frames of 1024 px: 170 MB against 150 MB stores; it travels in pieces of <= FRAME_CHUNK_BYTES
    # (this caller turns the shared-memory file off, so the pieces are what is tested, whichever node runs it)
    from sora_widgets.service.config import FRAME_CHUNK_BYTES

    monkeypatch.setenv("SORA_WIDGETS_RAY_SHARED_FRAMES", "0")
    rec = Recorder()
    clip = _slow(steps=54, step_s=0.0, size=1024, on_progress=rec)
    assert clip.meta["service"]["transport"] == "pieces"
    assert clip.frames.nbytes > 150 * 2**20 > 4 * FRAME_CHUNK_BYTES
    assert clip.frames.shape == (54, 1024, 1024, 3)
    assert [int(f[0, 0, 0]) for f in clip.frames] == list(range(54))  # every piece, in its place
    assert all(int(f.min()) == int(f.max()) for f in clip.frames[::13])
    assert rec.steps[-1] == (54, 54)


@pytest.mark.slow
def test_a_big_clip_from_a_worker_on_this_node_comes_through_shared_memory(cluster):
    # 40 frames of 1024 px (126 MB, 8 pieces' worth), twice: the two workers may sit on either node. From
    # the driver's own node the frames come in one shared-memory file, mapped and already unlinked; from
    # the other node in pieces. Either way every frame is in its place and the clip is writable.
    import ray

    from sora_widgets.service.shared_frames import SHARED_DIR

    here = ray.get_runtime_context().get_node_id()
    for _ in range(2):
        clip = _slow(steps=40, step_s=0.0, size=1024)
        service = clip.meta["service"]
        assert service["transport"] == ("shared memory" if service["node"] == here else "pieces")
        assert clip.frames.shape == (40, 1024, 1024, 3) and clip.frames.flags.writeable
        assert [int(f[0, 0, 0]) for f in clip.frames] == list(range(40))
        assert all(int(f.min()) == int(f.max()) for f in clip.frames[::9])
        clip.frames[0] = 0  # the caller's own memory
        del clip
    assert not list(SHARED_DIR.glob("sora-widgets-frames-*"))  # nothing left behind in /dev/shm


@pytest.mark.slow
def test_engine_errors_come_back_as_themselves_and_a_model_that_cannot_load_is_not_retried(cluster, tmp_path):
    import sora_widgets as sw

    with pytest.raises(ValueError, match="duration"):
        sw.generate("a ball", duration=99.0)
    t0 = time.monotonic()
    with pytest.raises(sw.EngineUnavailable, match="does not exist"):
        sw.generate("a ball", engine="ltx2", model=str(tmp_path / "no-model-here"), steps=2)
    assert time.monotonic() - t0 < 30
    st_ = _status()
    assert st_["running_jobs"] == 0 and st_["queued"] == 0 and st_["workers_replaced"] == 0


@pytest.mark.slow
def test_cancel_stops_a_running_job_between_steps_and_drops_a_queued_one(cluster, store):
    import sora_widgets as sw
    from sora_widgets.service import jobs_log

    first, second = threading.Event(), threading.Event()
    rec1, rec2 = Recorder(), Recorder()
    errors: dict = {}

    def run(name, rec, cancel):
        try:
            _slow(steps=200, step_s=0.05, on_progress=rec, cancel=cancel)
        except BaseException as exc:  # noqa: BLE001
            errors[name] = (exc, time.monotonic())

    t1 = threading.Thread(target=run, args=("first", rec1, first))
    t1.start()
    _wait(lambda: len(rec1.steps) >= 2, what="the first job's progress")
    # ana may run one job at a time: her second waits in line, and is told so
    t2 = threading.Thread(target=run, args=("second", rec2, second))
    t2.start()
    _wait(lambda: any("in line" in lbl for lbl in rec2.labels), what="a queue position")
    assert rec2.labels[0] == "queued: 1st in line" and not rec2.steps
    second.set()
    t2.join(30)
    assert isinstance(errors["second"][0], sw.Cancelled) and not rec2.steps
    step_at_cancel = rec1.steps[-1][0]
    t_cancel = time.monotonic()
    first.set()
    t1.join(30)
    exc, t_end = errors["first"]
    assert isinstance(exc, sw.Cancelled) and t_end - t_cancel < 5
    assert rec1.steps[-1][0] < 200 and rec1.steps[-1][0] <= step_at_cancel + 40
    _wait(lambda: _status()["running_jobs"] == 0, what="the worker to be free")
    assert _slow(steps=2, step_s=0.01).num_frames == 2  # the worker took the next job
    assert jobs_log.flush()
    states = store.sql("SELECT state, count(*) AS n FROM generation_jobs GROUP BY state ORDER BY state")
    assert dict(zip(states.state, states.n, strict=True)) == {"cancelled": 2, "done": 1}


@pytest.mark.slow
def test_a_worker_killed_mid_job_is_replaced_and_the_job_retried_once(cluster):
    rec = Recorder()
    result: dict = {}

    def run():
        try:
            result["clip"] = _slow(steps=30, step_s=0.1, on_progress=rec)
        except BaseException as exc:  # noqa: BLE001
            result["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    _wait(lambda: len(rec.steps) >= 3, what="progress")
    busy = [w for w in _status()["workers"] if w.get("busy")]
    assert len(busy) == 1
    os.kill(busy[0]["pid"], signal.SIGKILL)
    t.join(120)
    assert "error" not in result, result.get("error")
    clip = result["clip"]
    assert clip.meta["service"]["attempts"] == 2 and clip.meta["pid"] != busy[0]["pid"]
    assert clip.num_frames == 30
    assert any("trying again" in lbl for lbl in rec.labels)
    st_ = _status()
    assert len(st_["workers"]) == 2 and st_["workers_replaced"] >= 1
    assert all("error" not in w for w in st_["workers"])


@pytest.mark.slow
def test_a_job_whose_worker_dies_twice_ends_in_a_clear_error(cluster):
    from sora_widgets.service.client import ServiceError

    rec = Recorder()
    result: dict = {}

    def run():
        try:
            result["clip"] = _slow(steps=100, step_s=0.1, on_progress=rec)
        except BaseException as exc:  # noqa: BLE001
            result["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    killed = []
    for _ in range(2):
        _wait(lambda: any(w.get("busy") and w["pid"] not in killed for w in _status()["workers"]),
              timeout_s=90, what="the job running on a worker")
        pid = next(w["pid"] for w in _status()["workers"] if w.get("busy") and w["pid"] not in killed)
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)
    t.join(120)
    assert isinstance(result.get("error"), ServiceError), result
    assert "stopped 2 times" in str(result["error"]) and "sora-widgets info" in str(result["error"])
    _wait(lambda: _status()["running_jobs"] == 0 and len(_status()["workers"]) == 2, what="replacements")


@pytest.mark.slow
def test_fairness_on_the_real_scheduler_a_ten_then_b_one(cluster):
    import ray

    sched = _sched()
    _workers(1)
    try:
        owner = "test-fairness:1"
        jobs = [ray.get(sched.submit.remote("alice", owner, {"engine": "sim"}))["job_id"] for _ in range(10)]
        bob = ray.get(sched.submit.remote("bob", owner, {"engine": "sim"}))
        assert bob["position"] == 1  # told at once: next in line
        jobs.append(bob["job_id"])
        started = []
        while len(started) < len(jobs):
            for job in jobs:
                if job not in started:
                    turn = ray.get(sched.wait_turn.remote(job, 0.0))
                    if turn["state"] == "granted":
                        started.append(job)
                        ray.get(sched.finish.remote(job, "done"))
        assert started.index(bob["job_id"]) < started.index(jobs[3])
        assert started.index(bob["job_id"]) == 1
        assert [j for j in started if j != bob["job_id"]] == jobs[:10]  # alice's in her order
    finally:
        _workers(2)


@pytest.mark.slow
def test_two_concurrent_callers_share_one_loaded_tiny_pipeline(cluster, tmp_path):
    pytest.importorskip("diffusers")
    import sora_widgets as sw
    from sora_widgets.testing.tiny_pipelines import save_tiny_model

    folder = save_tiny_model("ltx2", tmp_path / "ltx2")
    _workers(1)  # one GPU's worth: both callers need the same model
    try:
        recs = [Recorder(), Recorder()]
        clips: dict = {}

        def call(i):
            clips[i] = sw.generate("a red ball bounces", engine="ltx2", model=str(folder), width=64, height=64,
                                   fps=24, duration=0.375, steps=3, seed=i, on_progress=recs[i])

        threads = [threading.Thread(target=call, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        assert sorted(clips) == [0, 1]
        for i in range(2):
            assert clips[i].frames.shape[1:3] == (64, 64)
            assert recs[i].steps and recs[i].steps[-1][0] == recs[i].steps[-1][1] and recs[i].previews >= 1
        timings = [clips[i].meta["timings"]["load_s"] for i in range(2)]
        assert sum(t > 0 for t in timings) == 1  # loaded by the first job only
        (worker,) = _status()["workers"]
        assert worker["loads"] == 1 and any(str(folder) in h for h in worker["holds"])
    finally:
        _workers(2)


@pytest.mark.slow
def test_a_caller_that_goes_away_frees_its_queue_slots(cluster, tmp_home):
    from sora_widgets.service import jobs_log
    from sora_widgets.store import open_store

    store = open_store(tmp_home)
    code = textwrap.dedent("""
        import threading, sys
        from sora_widgets.service.client import run_on_service
        from sora_widgets.testing.slow_job import slow_clip
        started = threading.Event()
        def go():
            run_on_service(slow_clip, {"steps": 600, "step_s": 0.1}, on_progress=lambda s, t, p: started.set())
        for _ in range(3):
            threading.Thread(target=go, daemon=True).start()
        started.wait(120)
        print("running", flush=True)
        threading.Event().wait()
    """)
    env = {**os.environ, "SORA_WIDGETS_USER": "ghost", "SORA_WIDGETS_HOME": str(tmp_home)}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout.readline().strip() == "running"
        _wait(lambda: _status()["running_jobs"] == 1 and _status()["queued"] == 2, what="ghost's 3 jobs")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    t_gone = time.monotonic()
    _wait(lambda: _status()["running_jobs"] == 0 and _status()["queued"] == 0, timeout_s=30,
          what="ghost's jobs to be dropped")
    assert time.monotonic() - t_gone < 4 + 6  # the owner timeout (4 s here) plus a reaper round
    assert _slow(steps=2, step_s=0.01).num_frames == 2
    assert jobs_log.flush()
    rows = store.sql("SELECT state, error FROM generation_jobs WHERE user_handle = 'ghost'")
    assert len(rows) == 3 and set(rows.state) == {"cancelled"}
    assert all("went away" in e for e in rows.error)


@pytest.mark.slow
def test_a_stopped_scheduler_is_made_again_on_the_next_job(cluster):
    import ray

    old = _status()["workers"]
    ray.kill(_sched())  # an admin stops it (its workers go with it)
    clip = _slow(steps=2, step_s=0.01)
    assert clip.num_frames == 2 and clip.meta["service"]["attempts"] == 1
    new = _status()["workers"]
    assert len(new) == 2 and not {w["pid"] for w in new} & {w["pid"] for w in old}


@pytest.mark.slow
def test_info_shows_the_mode_and_the_workers(cluster, tmp_home, capsys):
    from sora_widgets.cli import main

    assert main(["--home", str(tmp_home), "info"]) == 0
    out = capsys.readouterr().out
    assert "generation service: cluster at" in out
    assert out.count("worker w") == 2 and "holds" in out
