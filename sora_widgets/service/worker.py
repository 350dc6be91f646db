"""``GenerationWorker``: a Ray actor that runs generations one at a time and keeps its pipelines warm.

A worker is a long-lived process: the diffusers engines cache a loaded pipeline
per process (``engines.diffusers.loading``), so the second job for a model
finds it in memory. The scheduler gives a worker one job at a time; the caller
then streams the job from it directly (:meth:`run`, a Ray streaming generator:
progress items, then the clip's arrays, which travel through Ray's object store
with no MP4 in between, the frames in pieces of ``FRAME_CHUNK_BYTES``, or, for a caller on this
worker's own Ray node, in one shared-memory file: :mod:`.shared_frames`), or, for a
caller through Ray Client, :meth:`start` and :meth:`take` (the same items, asked
for batch by batch). :meth:`cancel` runs on a second thread of the actor
(``max_concurrency`` > 1) and sets the job's cancel event, so the engine stops
between steps.

The job is any picklable callable taking ``on_progress`` and ``cancel`` keywords
and returning a :class:`~sora_widgets.media.Clip` (``sora_widgets.generate``
itself: this module imports no engine, only ``engines.base`` for ``Cancelled``,
so the engines may route through the service without an import cycle). The worker's process has
``SORA_WIDGETS_RAY`` emptied, so that ``generate`` runs here, in-process.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..engines.base import Cancelled
from .config import CHUNKS_IN_FLIGHT, FRAME_CHUNK_BYTES, PROGRESS_INTERVAL_S, RAY_ENV
from .placement import offload_needed
from .shared_frames import sweep, write_frames

__all__ = ["GenerationWorker", "clip_items"]

_END = object()


class GenerationWorker:
    """Runs jobs (see the module docstring); one job at a time.

    Args:
        worker_id (`str`): the scheduler's name for this worker (shown by ``sora-widgets info``).
        num_gpus (`float`): GPUs Ray gave it (0 for a CPU worker); jobs on a GPU worker default to
            ``device="cuda"``.
    """

    def __init__(self, worker_id: str, num_gpus: float = 0.0):
        os.environ[RAY_ENV] = ""  # generate() here runs in this process, never back through the service
        self.worker_id = worker_id
        self.num_gpus = float(num_gpus)
        self.loads = 0
        self.jobs = 0
        self.holds: list[str] = []
        self.busy: str | None = None
        self.last_error: str | None = None
        self._cancels: dict[str, threading.Event] = {}
        self._pulled: dict[str, queue.Queue] = {}  # jobs started for a Ray Client caller (start/take)
        self._one_at_a_time = threading.Lock()

    def info(self) -> dict:
        """Who and where this worker is and what it holds (``sora-widgets info``)."""
        return {
            "worker_id": self.worker_id,
            "node": _node_id(),
            "pid": os.getpid(),
            "num_gpus": self.num_gpus,
            "holds": list(self.holds),
            "loads": self.loads,
            "jobs": self.jobs,
            "busy": self.busy,
            "last_error": self.last_error,
            **_gpu_info(),
        }

    def cancel(self, job_id: str) -> bool:
        """Stop ``job_id`` at its next step (True if it was running here)."""
        event = self._cancels.get(job_id)
        if event is not None:
            event.set()
        return event is not None

    def run(self, job_id: str, fn: Callable[..., Any], kwargs: dict, caller: dict | None = None
            ) -> Iterator[tuple]:
        """Run ``fn(**kwargs, on_progress=..., cancel=...)`` and stream it (a Ray streaming generator).

        Yields ``("started", worker_id, node_id, pid)``, then ``("progress", step, total, preview_or_None, label_or_None)`` at
        most every ``PROGRESS_INTERVAL_S`` seconds (the last step always; ``preview`` the latest frame the
        engine offered since the last item), then ``("clip", frames_shape, audio, fps, sample_rate, meta)``
        followed by ``("frames", first_frame_index, frames)`` pieces of at most ``FRAME_CHUNK_BYTES`` (the
        caller copies them into one array), or by one ``("frames-file", path)`` when ``caller``
        (:func:`.shared_frames.caller_identity`) shares this worker's node and user and the frames are
        bigger than one piece. An exception of ``fn`` (``Cancelled`` included) is raised to the caller.
        """
        yield from self._items(job_id, fn, kwargs, self._cancel_event(job_id), caller)

    def start(self, job_id: str, fn: Callable[..., Any], kwargs: dict) -> None:
        """Start the job of :meth:`run` in the background, its items read with :meth:`take`.

        For callers through Ray Client (``ray://``), which cannot consume a streaming generator.
        """
        cancel = self._cancel_event(job_id)
        out: queue.Queue = queue.Queue()
        # One job at a time: a queue left by an earlier job belongs to a caller that never read it to the end.
        self._pulled.clear()
        self._pulled[job_id] = out

        def pump() -> None:
            items = self._items(job_id, fn, kwargs, cancel)
            try:
                for item in items:
                    # Hold at most CHUNKS_IN_FLIGHT unread items; a caller gone for good is cancelled by the
                    # scheduler (owner timeout), which ends this wait.
                    while out.qsize() >= CHUNKS_IN_FLIGHT and not cancel.is_set():
                        time.sleep(0.01)
                    if cancel.is_set() and item[0] == "frames":
                        raise Cancelled("generation cancelled")
                    out.put(item)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller by take()
                out.put(("error", exc))
            finally:
                items.close()
            out.put(("end",))

        threading.Thread(target=pump, name=f"sora-widgets-pump-{job_id}", daemon=True).start()

    def take(self, job_id: str, timeout_s: float = 0.5) -> list[tuple]:
        """The items of a :meth:`start`-ed job produced since the last call (waits up to ``timeout_s`` for the
        first; at most one frame piece per call). The last list ends with ``("end",)``; an exception of the
        job is raised here."""
        out = self._pulled.get(job_id)
        if out is None:
            return [("end",)]
        items: list[tuple] = []
        try:
            items.append(out.get(timeout=timeout_s))
            while items[-1][0] not in ("frames", "end", "error"):
                items.append(out.get_nowait())
        except queue.Empty:
            pass
        if items and items[-1][0] == "error":
            self._pulled.pop(job_id, None)
            raise items[-1][1]
        if items and items[-1][0] == "end":
            self._pulled.pop(job_id, None)
        return items

    def _cancel_event(self, job_id: str) -> threading.Event:
        cancel = threading.Event()
        self._cancels[job_id] = cancel
        return cancel

    def _items(self, job_id: str, fn: Callable[..., Any], kwargs: dict, cancel: threading.Event,
               caller: dict | None = None) -> Iterator[tuple]:
        items: queue.Queue = queue.Queue()
        with self._one_at_a_time:  # a cancelled job finishes its step before the next job starts
            self.busy = job_id
            sweep()  # shared frames files of callers that went away before reading them
            kwargs = self._placed(kwargs)
            last = [0.0, None]  # time of the last item sent, latest preview not yet sent

            def on_progress(step: int, total: int, preview=None, *_args, label: str | None = None, **_kw) -> None:
                if preview is not None:
                    last[1] = preview
                now = time.monotonic()
                # a label ("loading model: 3 of 8 parts") is rare and says what a bare step can't: never held back
                if label or now - last[0] >= PROGRESS_INTERVAL_S or (total > 0 and step >= total):
                    frame = None if last[1] is None else last[1].copy()  # the engine may reuse its buffer
                    last[0], last[1] = now, None
                    items.put(("progress", int(step), int(total), frame, str(label) if label else None))

            def work() -> None:
                try:
                    items.put(("result", fn(**kwargs, on_progress=on_progress, cancel=cancel)))
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    items.put(("error", exc))
                items.put(_END)

            thread = threading.Thread(target=work, name=f"sora-widgets-job-{job_id}", daemon=True)
            thread.start()
            try:
                yield ("started", self.worker_id, _node_id(), os.getpid())
                while (item := items.get()) is not _END:
                    if item[0] == "error":
                        self.last_error = f"{type(item[1]).__name__}: {item[1]}"
                        raise item[1]
                    if item[0] == "result":
                        clip = item[1]
                        self._count(kwargs, clip.meta)
                        yield from clip_items(clip, caller)
                    else:
                        yield item
            finally:
                cancel.set()  # the caller stopped listening (cancelled, or gone): stop the engine too
                thread.join()
                self._cancels.pop(job_id, None)
                self.busy = None

    def _placed(self, kwargs: dict) -> dict:
        """On a GPU worker: the GPU unless the caller chose a device, and offload when the model does not fit."""
        if not self.num_gpus or kwargs.get("engine", "sim") == "sim":
            return kwargs
        kwargs = dict(kwargs)
        kwargs.setdefault("device", "cuda")
        if "cpu_offload" not in kwargs and offload_needed(kwargs.get("model"), kwargs["device"]):
            kwargs["cpu_offload"] = True
        held = self._model_key(kwargs)
        if self.holds and held not in self.holds:
            # One model on this GPU at a time: free the previous pipeline before loading another.
            from ..engines.diffusers.loading import clear_cache

            clear_cache()
            self.holds.clear()
        return kwargs

    @staticmethod
    def _model_key(kwargs: dict) -> str:
        model = kwargs.get("model")
        return f"{kwargs.get('engine', 'sim')}" + (f" ({model})" if model else "")

    def _count(self, kwargs: dict, meta: dict) -> None:
        self.jobs += 1
        key = self._model_key(kwargs)
        if key not in self.holds:
            self.holds.append(key)
        if float((meta.get("timings") or {}).get("load_s") or 0.0) > 0.0:
            self.loads += 1


def clip_items(clip, caller: dict | None = None) -> Iterator[tuple]:
    """A clip as the items a worker sends: ``("clip", frames_shape, audio, fps, sample_rate, meta)``, then
    ``("frames", first_frame_index, frames)`` pieces of at most ``FRAME_CHUNK_BYTES`` (one frame at least),
    or one ``("frames-file", path)`` for a ``caller`` on this node (:func:`.shared_frames.write_frames`)
    when the frames are bigger than one piece."""
    frames = np.ascontiguousarray(clip.frames)
    yield ("clip", tuple(frames.shape), clip.audio, clip.fps, clip.sample_rate, clip.meta)
    if frames.nbytes > FRAME_CHUNK_BYTES and caller is not None:
        path = write_frames(frames, caller, _node_id())
        if path is not None:
            yield ("frames-file", path)
            return
    per = max(1, FRAME_CHUNK_BYTES // max(1, frames[0].nbytes))
    for first in range(0, frames.shape[0], per):
        yield ("frames", first, frames[first:first + per])


def _node_id() -> str:
    import ray

    return ray.get_runtime_context().get_node_id()


def _gpu_info() -> dict:
    """The GPUs Ray gave this worker and, once torch is in use here, its peak GPU memory (bytes)."""
    import sys

    import ray

    out: dict = {"gpu_ids": [str(g) for g in ray.get_gpu_ids()]}
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        out["gpu_peak_bytes"] = int(torch.cuda.max_memory_allocated())
    return out
