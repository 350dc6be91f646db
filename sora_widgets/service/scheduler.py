"""``Scheduler``: the one Ray actor every kernel talks to (named, detached, in a fixed namespace).

It holds the queue (:class:`~.fairness.FairQueue`: per-user fairness and limit),
the workers it started and which job each runs, and when each caller was last
heard from. It never runs a generation and never touches the arrays: a job it
grants is streamed by the caller straight from the worker.

A job's life, as the caller (:mod:`.client`) drives it::

    submit -> wait_turn ... (position) ... -> granted a worker -> caller streams it -> finish
                                            \\-> worker died -> worker_failed -> queued again (once) or failed

Faults handled here: a worker that died is replaced and its job queued again at
the front of its user's line, once (``max_attempts``); a caller that stops
sending heartbeats for ``OWNER_TIMEOUT_S`` (kernel shut down, killed, network
gone) has its queued jobs dropped and its running ones cancelled on their
workers, and the jobs are recorded as cancelled in the caller's Store.

An async actor: every method runs on one event loop, so the queue needs no lock.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from . import jobs_log
from .config import OWNER_TIMEOUT_S, Settings
from .fairness import FairQueue

__all__ = ["Scheduler"]

log = logging.getLogger(__name__)


@dataclass
class _Job:
    job_id: str
    user: str
    owner: str
    home: str | None
    summary: dict
    model_key: str
    submitted: float = field(default_factory=time.time)
    state: str = "queued"  # queued | granted | done | failed | cancelled
    worker: str | None = None
    tried: list[str] = field(default_factory=list)
    granted: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""


@dataclass
class _Worker:
    worker_id: str
    handle: Any
    num_gpus: float
    job: str | None = None
    holds: set[str] = field(default_factory=set)


class Scheduler:
    """See the module docstring. ``settings``: a :class:`~.config.Settings` dict."""

    def __init__(self, settings: dict):
        self.settings = Settings(settings)
        self.queue = FairQueue(int(self.settings["per_user_limit"]))
        self.jobs: dict[str, _Job] = {}
        self.workers: dict[str, _Worker] = {}
        self.owners: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._reaper: asyncio.Task | None = None
        self.replaced = 0
        self.ended: dict[str, tuple[str, str]] = {}  # recent ends, for a caller that asks after the fact
        for _ in range(int(self.settings["workers"])):
            self._start_worker()

    # ------------------------------------------------------------------ workers
    def _start_worker(self) -> _Worker:
        import ray

        from .worker import GenerationWorker

        worker_id = f"w{next(self._ids)}"
        gpus = float(self.settings["gpus_per_worker"])
        handle = ray.remote(GenerationWorker).options(
            num_cpus=float(self.settings["cpus_per_worker"]),
            num_gpus=gpus,
            max_concurrency=4,  # run + cancel/info calls while a job runs
            scheduling_strategy="SPREAD",  # across nodes: a dead node takes one worker, not all
            name=f"sora-widgets-{worker_id}",
        ).remote(worker_id, gpus)
        w = _Worker(worker_id, handle, gpus)
        self.workers[worker_id] = w
        return w

    async def set_workers(self, n: int) -> int:
        """Keep ``n`` workers (idle ones are stopped first when shrinking); returns how many there are."""
        import ray

        n = max(1, int(n))
        while len(self.workers) < n:
            self._start_worker()
        for w in [w for w in self.workers.values() if w.job is None][: max(0, len(self.workers) - n)]:
            del self.workers[w.worker_id]
            ray.kill(w.handle)
        self.settings["workers"] = len(self.workers)
        self._dispatch()
        return len(self.workers)

    # ------------------------------------------------------------------ a job's life
    async def submit(self, user: str, owner: str, summary: dict, home: str | None = None) -> dict:
        """Queue a job for ``user`` on behalf of the caller ``owner``; returns ``{"job_id", "position"}``.

        ``summary``: ``engine``, ``model`` (or None), ``prompt`` (for the log and ``info``).
        """
        self._ensure_reaper()
        self.owners[owner] = time.monotonic()
        job_id = f"job-{owner.rsplit(':', 1)[-1][:8]}-{next(self._ids)}"
        model_key = str(summary.get("engine", "sim")) + (f" ({summary['model']})" if summary.get("model") else "")
        job = _Job(job_id, user, owner, home, dict(summary), model_key)
        self.jobs[job_id] = job
        self.queue.push(job_id, user)
        self._dispatch()
        return {"job_id": job_id, "position": self.queue.position(job_id)}

    async def wait_turn(self, job_id: str, timeout_s: float = 1.0) -> dict:
        """Wait up to ``timeout_s`` for the job's turn (also a heartbeat of its caller).

        Returns ``{"state": "queued", "position": n}``, ``{"state": "granted", "worker": handle,
        "worker_id": id, "attempt": k}`` or ``{"state": "cancelled" | "failed", "reason": ...}``.
        """
        job = self.jobs.get(job_id)
        if job is None:
            state, reason = self.ended.get(job_id, ("cancelled", "the service does not know this job (restarted?)"))
            return {"state": state, "reason": reason}
        self.owners[job.owner] = time.monotonic()
        if job.state == "queued":
            try:
                await asyncio.wait_for(job.granted.wait(), timeout_s)
            except TimeoutError:
                pass
        if job.state == "granted":
            w = self.workers[job.worker]
            return {"state": "granted", "worker": w.handle, "worker_id": w.worker_id, "attempt": len(job.tried)}
        if job.state == "queued":
            return {"state": "queued", "position": self.queue.position(job_id)}
        return {"state": job.state, "reason": job.reason}

    async def finish(self, job_id: str, state: str, reason: str = "") -> None:
        """The caller ends ``job_id`` (``done``, ``failed`` or ``cancelled``); its worker is free again."""
        job = self.jobs.get(job_id)
        if job is None:
            return
        self._end(job, state, reason)
        self._dispatch()

    async def cancel(self, job_id: str) -> None:
        """Cancel a job that is queued (dropped) or running (its worker stops at the next step)."""
        job = self.jobs.get(job_id)
        if job is not None:
            await self._cancel(job, "cancelled by its caller")
            self._dispatch()

    async def worker_failed(self, job_id: str, worker_id: str, error: str = "") -> dict:
        """The caller lost ``worker_id`` while streaming ``job_id`` (the process died: killed, out of memory).

        The worker is replaced. Returns ``{"retry": True}`` when the job was queued again (at the front of
        its user's line) or ``{"retry": False, "reason": ...}`` when it has had its tries.
        """
        job = self.jobs.get(job_id)
        w = self.workers.pop(worker_id, None)
        if w is not None:
            import ray

            ray.kill(w.handle)  # already dead, or wedged: either way it is replaced
            self._start_worker()
            self.replaced += 1
        if job is None or job.state != "granted":
            return {"retry": False, "reason": "the job is no longer running"}
        self.queue.release(job.user)
        job.worker = None
        if len(job.tried) >= int(self.settings["max_attempts"]):
            job.state, job.reason = "failed", (
                f"the worker running this generation stopped {len(job.tried)} times (killed or out of memory"
                f"{': ' + error if error else ''}); try a shorter or smaller clip, or ask an admin to check "
                "the workers (sora-widgets info)")
            self._forget(job)
            self._dispatch()
            return {"retry": False, "reason": job.reason}
        job.state = "queued"
        job.granted = asyncio.Event()
        self.queue.push(job_id, job.user, front=True)
        self._dispatch()
        return {"retry": True}

    async def heartbeat(self, owner: str) -> None:
        """The caller ``owner`` is alive (it sends this every ``HEARTBEAT_S`` while it has jobs)."""
        self.owners[owner] = time.monotonic()

    # ------------------------------------------------------------------ questions
    async def status(self) -> dict:
        """Workers (with what each holds, asked of the worker itself), queued and running jobs."""
        import ray

        workers = []
        for w in list(self.workers.values()):
            try:
                info = await asyncio.wait_for(w.handle.info.remote(), 5.0)
            except Exception as exc:  # a dead or starting worker is shown as such
                info = {"worker_id": w.worker_id, "num_gpus": w.num_gpus, "error": f"{type(exc).__name__}"}
            info["job"] = w.job
            workers.append(info)
        return {
            "workers": workers,
            "queued": self.queue.queued(),
            "running_jobs": sum(1 for j in self.jobs.values() if j.state == "granted"),
            "per_user_limit": self.queue.per_user_limit,
            "workers_replaced": self.replaced,
            "resources": ray.cluster_resources(),
        }

    async def ping(self) -> bool:
        return True

    # ------------------------------------------------------------------ internals
    def _dispatch(self) -> None:
        """Give free workers to the jobs the fair queue picks, preferring a worker that holds the model
        and, for a retry, one the job has not died on."""
        while True:
            free = [w for w in self.workers.values() if w.job is None]
            if not free:
                return
            picked = self.queue.pop_next()
            if picked is None:
                return
            job = self.jobs[picked[0]]
            free.sort(key=lambda w: (w.worker_id in job.tried, job.model_key not in w.holds))
            w = free[0]
            w.job, job.worker, job.state = job.job_id, w.worker_id, "granted"
            w.holds.add(job.model_key)
            job.tried.append(w.worker_id)
            job.granted.set()

    def _end(self, job: _Job, state: str, reason: str) -> None:
        if job.state == "queued":
            self.queue.remove(job.job_id)
        elif job.state == "granted":
            self.queue.release(job.user)
            w = self.workers.get(job.worker or "")
            if w is not None and w.job == job.job_id:
                w.job = None
        job.state, job.reason = state, reason
        job.granted.set()
        self._forget(job)

    def _forget(self, job: _Job) -> None:
        self.jobs.pop(job.job_id, None)
        self.ended[job.job_id] = (job.state, job.reason)
        while len(self.ended) > 1000:
            self.ended.pop(next(iter(self.ended)))

    async def _cancel(self, job: _Job, reason: str) -> None:
        w = self.workers.get(job.worker or "") if job.state == "granted" else None
        self._end(job, "cancelled", reason)
        if w is not None:
            try:
                await asyncio.wait_for(w.handle.cancel.remote(job.job_id), 5.0)
            except Exception:  # a dead worker has nothing left to cancel
                log.warning("could not reach worker %s to cancel %s", w.worker_id, job.job_id)

    def _ensure_reaper(self) -> None:
        if self._reaper is None or self._reaper.done():
            self._reaper = asyncio.get_running_loop().create_task(self._reap())

    async def _reap(self) -> None:
        """Cancel the jobs of callers not heard from for ``OWNER_TIMEOUT_S`` (their kernel is gone)."""
        while True:
            await asyncio.sleep(min(1.0, OWNER_TIMEOUT_S / 4))
            now = time.monotonic()
            gone = {o for o, t in self.owners.items() if now - t > OWNER_TIMEOUT_S}
            if not gone:
                continue
            for job in [j for j in self.jobs.values() if j.owner in gone]:
                reason = f"its kernel went away (no heartbeat for {OWNER_TIMEOUT_S:.0f} s)"
                await self._cancel(job, reason)
                await self._log_end(job, reason)
            for o in gone:
                self.owners.pop(o, None)
            self._dispatch()

    @staticmethod
    async def _log_end(job: _Job, reason: str) -> None:
        """Record in the caller's Store that its job was cancelled (the caller cannot any more)."""
        now = jobs_log.utcnow()
        row = {"job_id": job.job_id, "user_handle": job.user, "engine": job.summary.get("engine", "sim"),
               "model": job.summary.get("model"), "prompt": job.summary.get("prompt"), "state": "cancelled",
               "error": reason, "submitted_at": now, "finished_at": now}
        if job.home:
            try:
                await asyncio.to_thread(jobs_log.record_now, job.home, row)
            except Exception:
                log.exception("could not record cancelled job %s", job.job_id)
