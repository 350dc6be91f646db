"""What a kernel runs when ``SORA_WIDGETS_RAY`` is set: submit, wait in line, stream, cancel, retry.

:func:`run_on_service` is called by :func:`sora_widgets.generate` with itself as
the job: the worker calls the same ``generate`` in its own process (where the
variable is empty), so every engine, option and check is the one the in-process
path uses, and the same code runs unchanged in every mode.

What the caller sees is what it sees in-process:

- ``on_progress(step, total, preview)`` from the engine (at most every 0.1 s, the
  last step always), and, while the job waits, ``on_progress(0, 0, None,
  label="queued: 3rd in line")`` when ``on_progress`` takes a ``label`` keyword
  (the widgets' ``BackgroundJob`` does; a plain 3-argument callback is never
  given one); the engine's own labels ("loading model: 3 of 8 parts") arrive
  the same way.
- ``cancel`` (a ``threading.Event``): set it and a queued job leaves the queue,
  a running one stops at its next step; ``Cancelled`` is raised.
- The :class:`~sora_widgets.media.Clip`, its frames copied out of Ray's object
  store piece by piece as they arrive (so the clip owns its memory, as in-process,
  and the store holds only the pieces in flight) or, from a worker on this
  kernel's own Ray node, mapped from the one shared-memory file the worker wrote
  (:mod:`.shared_frames`: writable, freed with the array); ``meta["service"]``
  saying which job, worker and node ran it, how long it waited and how the frames
  came (``"transport"``: ``"pieces"`` or ``"shared memory"``).
- Errors of the engine are raised as themselves (``ValueError``,
  ``EngineUnavailable``: a model that cannot load is reported, never retried).
  A worker that dies mid-job (killed, out of memory) is replaced and the job
  runs again once, from the start; a second death raises :class:`ServiceError`.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..engines.base import Cancelled, label_reporter
from ..media import Clip
from . import jobs_log
from .config import CHUNKS_IN_FLIGHT, HEARTBEAT_S
from .fairness import ordinal
from .shared_frames import caller_identity, read_frames

__all__ = ["ServiceError", "run_on_service"]

#: This process, as the scheduler knows it (its jobs are cancelled when it stops sending heartbeats).
OWNER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex}"

_live = 0
_live_lock = threading.Lock()
_beat_thread: threading.Thread | None = None


class ServiceError(RuntimeError):
    """The generation service could not run the job (its worker died twice, or the cluster is gone);
    the message says what to do."""


def run_on_service(
    fn: Callable[..., Clip],
    kwargs: dict[str, Any],
    *,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
) -> Clip:
    """Run ``fn(**kwargs, on_progress=..., cancel=...)`` on a worker of the service and return its clip.

    Args:
        fn (`Callable[..., Clip]`): a picklable function (by reference: a module-level function such as
            ``sora_widgets.generate``) the worker calls.
        kwargs (`dict`): its arguments except the two callbacks; ``prompt``, ``engine`` and ``model`` are
            also recorded with the job.
        on_progress (`Callable[[int, int, np.ndarray | None], None]`, *optional*): see the module docstring.
        cancel (`threading.Event`, *optional*): set it to stop the job; ``Cancelled`` is raised.

    Returns:
        `Clip`: the clip ``fn`` made on the worker.

    Raises:
        Cancelled: ``cancel`` was set (or the service cancelled the job).
        ServiceError: the worker died on both tries, or the service failed the job.
        Exception: whatever ``fn`` raised on the worker (``ValueError``, ``EngineUnavailable``...).
    """
    user = _user()
    home = _home()
    summary = {"engine": str(kwargs.get("engine", "sim")), "model": kwargs.get("model"),
               "prompt": str(kwargs.get("prompt", ""))[:500]}
    t_submit = time.time()
    for _ in range(RESUBMITS):
        try:
            return _submit_and_run(fn, kwargs, on_progress, cancel, user, home, summary, t_submit)
        except _SchedulerGone:
            continue  # the scheduler stopped while the job waited: submitted again to its replacement
    raise ServiceError("the generation service's scheduler kept stopping; try again in a minute")


#: How many times a job is submitted again when the scheduler stops under it (an admin restarts it).
RESUBMITS = 3


class _SchedulerGone(Exception):
    """The scheduler died while a job of this caller was in its care (:func:`run_on_service` resubmits)."""


def _submit_and_run(fn, kwargs, on_progress, cancel, user, home, summary, t_submit) -> Clip:
    import ray

    from .cluster import ask_scheduler, forget

    # A stopped scheduler (an admin killed it, its node died) is made again on demand by ask_scheduler.
    sched, ticket = ask_scheduler("submit", user, OWNER, summary, home)
    job_id = ticket["job_id"]
    row = {"job_id": job_id, "user_handle": user, "engine": summary["engine"], "model": summary["model"],
           "prompt": summary["prompt"], "submitted_at": jobs_log.utcnow(), "attempts": 0}
    jobs_log.record(home, {**row, "state": "queued"})
    say = label_reporter(on_progress)
    state = {"queue_s": None, "attempts": 0, "started": None, "worker": None, "node": None, "transport": None}
    _alive(+1)
    try:
        clip = _run(sched, job_id, fn, kwargs, on_progress, cancel, say, ticket.get("position"), state, t_submit)
    except _SchedulerGone:
        forget()
        jobs_log.record(home, {**row, **_timing_row(state), "state": "failed",
                               "error": "the scheduler stopped; the job was submitted again"})
        raise
    except BaseException as exc:
        end = "cancelled" if isinstance(exc, Cancelled) or (cancel is not None and cancel.is_set()) else "failed"
        why = str(exc)[:500]
        _safe(lambda: ray.get(sched.finish.remote(job_id, end, why), timeout=10))
        jobs_log.record(home, {**row, **_timing_row(state), "state": end,
                               "error": f"{type(exc).__name__}: {exc}"[:1000]})
        raise
    finally:
        _alive(-1)
    _safe(lambda: ray.get(sched.finish.remote(job_id, "done"), timeout=10))  # the clip is made whatever the bookkeeping
    jobs_log.record(home, {**row, **_timing_row(state), "state": "done"})
    clip.meta["service"] = {"job_id": job_id, "user": user, "queue_s": state["queue_s"], "worker": state["worker"],
                            "node": state["node"], "attempts": state["attempts"], "transport": state["transport"]}
    return clip


def _run(sched, job_id, fn, kwargs, on_progress, cancel, say, position, state, t_submit) -> Clip:
    import ray

    shown = None
    while True:
        # ---- wait in line
        while True:
            if cancel is not None and cancel.is_set():
                ray.get(sched.cancel.remote(job_id))
                raise Cancelled("generation cancelled while waiting in line")
            if position is not None and position != shown and say is not None:
                say(f"queued: {ordinal(position)} in line")
                shown = position
            try:
                turn = ray.get(sched.wait_turn.remote(job_id, 0.5))
            except ray.exceptions.RayActorError:
                raise _SchedulerGone() from None
            if turn["state"] == "granted":
                break
            if turn["state"] == "queued":
                position = turn["position"]
                continue
            if turn["state"] == "cancelled":
                raise Cancelled(f"generation cancelled by the service: {turn.get('reason', '')}")
            raise ServiceError(turn.get("reason") or "the generation service failed this job")
        # ---- run on the granted worker
        worker, worker_id = turn["worker"], turn["worker_id"]
        state["attempts"], state["worker"] = turn["attempt"], worker_id
        if state["queue_s"] is None:
            state["queue_s"] = time.time() - t_submit
        state["started"] = time.time()
        if say is not None:
            say(f"starting on worker {worker_id}…")
        try:
            return _stream(worker, job_id, fn, kwargs, on_progress, cancel, state)
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError, ray.exceptions.ObjectLostError) as exc:
            if cancel is not None and cancel.is_set():
                raise Cancelled("generation cancelled") from None
            try:
                verdict = ray.get(sched.worker_failed.remote(job_id, worker_id, type(exc).__name__))
            except ray.exceptions.RayActorError:
                raise _SchedulerGone() from None  # the scheduler went, and its workers with it
            if not verdict["retry"]:
                raise ServiceError(verdict["reason"]) from None
            position, shown = 1, None
            if say is not None:
                say("the worker stopped; trying again on another…")


def _stream(worker, job_id, fn, kwargs, on_progress, cancel, state) -> Clip:
    from .cluster import through_client

    done = threading.Event()

    def watch_cancel() -> None:  # cancel reaches the worker at once, not at the next progress item
        while not done.is_set():
            if cancel.wait(0.05):
                _safe(lambda: worker.cancel.remote(job_id))
                return

    if cancel is not None:
        threading.Thread(target=watch_cancel, name=f"sora-widgets-cancel-{job_id}", daemon=True).start()
    items = _pulled(worker, job_id, fn, kwargs) if through_client() else _streamed(worker, job_id, fn, kwargs)
    try:
        return _collect(items, on_progress, state, job_id)
    finally:
        done.set()
        items.close()


def _collect(items, on_progress, state, job_id) -> Clip:
    """Hand progress to ``on_progress`` and assemble the clip from its frame pieces (see
    :meth:`.worker.GenerationWorker.run`). The frames are copied out of the object store piece by piece, so
    the clip owns its memory (writable, as in-process) and the store holds only the pieces in flight."""
    head, frames, filled = None, None, 0
    takes_label = label_reporter(on_progress) is not None
    for item in items:
        kind = item[0]
        if kind == "progress":
            label = item[4] if len(item) > 4 else None  # the engine's own words (a model's first load)
            if on_progress is not None and label and takes_label:
                on_progress(item[1], item[2], item[3], label=label)
            elif on_progress is not None:
                on_progress(item[1], item[2], item[3])
        elif kind == "started":
            state["node"] = item[2]
        elif kind == "clip":
            head = item
            frames = np.empty(item[1], np.uint8)  # a Clip's frames are uint8
        elif kind == "frames":
            first, piece = item[1], item[2]
            frames[first:first + len(piece)] = piece
            filled += len(piece)
            state["transport"] = "pieces"
        elif kind == "frames-file":
            frames = read_frames(item[1], head[1])
            filled = len(frames)
            state["transport"] = "shared memory"
        if head is not None and filled == head[1][0]:
            _kind, _shape, audio, fps, sample_rate, meta = head
            return Clip(frames=frames, audio=np.array(audio), fps=fps, sample_rate=sample_rate, meta=dict(meta))
    raise ServiceError(f"worker {state['worker']} ended job {job_id} without a clip")


def _streamed(worker, job_id, fn, kwargs) -> Iterator[tuple]:
    """The job's items from the worker's streaming generator (a caller of the cluster itself)."""
    import ray

    caller = caller_identity(ray.get_runtime_context().get_node_id())  # a worker on this node may share memory
    gen = worker.run.options(num_returns="streaming", _generator_backpressure_num_objects=CHUNKS_IN_FLIGHT
                             ).remote(job_id, fn, kwargs, caller)
    for ref in gen:
        yield _unwrapped(lambda r=ref: ray.get(r))
        del ref  # a frame piece leaves the object store as soon as it is copied


def _pulled(worker, job_id, fn, kwargs) -> Iterator[tuple]:
    """The job's items asked of the worker batch by batch: Ray Client (``ray://``) cannot consume a
    streaming generator."""
    import ray

    _unwrapped(lambda: ray.get(worker.start.remote(job_id, fn, kwargs)))
    while True:
        for item in _unwrapped(lambda: ray.get(worker.take.remote(job_id, 0.5))):
            if item[0] == "end":
                return
            yield item


def _unwrapped(get: Callable[[], Any]) -> Any:
    """``get()``, an exception the job raised on the worker re-raised as itself (``ValueError``,
    ``Cancelled``, ``EngineUnavailable``...)."""
    import ray

    try:
        return get()
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, BaseException):
            raise cause from None
        raise


def _timing_row(state: dict) -> dict:
    now = time.time()
    started = state["started"]
    return {
        "attempts": state["attempts"],
        "worker": state["worker"],
        "node": state["node"],
        "queue_s": state["queue_s"],
        "started_at": None if started is None else jobs_log.utcnow() - _seconds(now - started),
        "finished_at": jobs_log.utcnow(),
        "run_s": None if started is None else now - started,
    }


def _seconds(s: float):
    import datetime as dt

    return dt.timedelta(seconds=s)


def _user() -> str:
    """Whose job this is: ``session.current_user()`` (the server's identity), else ``anonymous``."""
    from ..session import NotLoggedIn, current_user

    try:
        return current_user()
    except NotLoggedIn:
        return "anonymous"


def _home() -> str | None:
    """The Store this kernel uses, if it exists (generating never creates a Store)."""
    from ..store import Store, default_home

    home = default_home().absolute()
    return str(home) if (home / Store.DB_NAME).exists() else None


def _alive(delta: int) -> None:
    """Count this process's live jobs; a thread sends heartbeats while there are any."""
    global _live, _beat_thread
    with _live_lock:
        _live += delta
        if _live > 0 and (_beat_thread is None or not _beat_thread.is_alive()):
            _beat_thread = threading.Thread(target=_beat, name="sora-widgets-heartbeat", daemon=True)
            _beat_thread.start()


def _beat() -> None:
    from .cluster import scheduler

    while True:
        with _live_lock:
            if _live <= 0:
                return
        _safe(lambda: scheduler().heartbeat.remote(OWNER))
        time.sleep(HEARTBEAT_S)


def _safe(fn: Callable[[], Any]) -> None:
    try:
        fn()
    except Exception:  # best effort: the scheduler's own timeouts cover what this could not say
        pass
