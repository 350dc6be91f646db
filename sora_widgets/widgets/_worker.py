"""``BackgroundJob``: run one piece of long work on a thread, with progress, ETA, previews and cancel.

The one helper every widget uses for work that takes seconds: the Studio's
generate, pre-screen and publish, and RemixExplorer's "Remix this".

Why a thread: a widget's click handler runs on the kernel's shell thread; if it
did the work there, the kernel could not answer any other widget (not even the
Cancel button) until it finished. The job runs on its own thread and reports
through plain callbacks, which the widget turns into trait updates (ipykernel
>= 6 sends comm messages from any thread).

The engines do numpy/physics work between ``on_progress`` calls, which lets
the shell thread run (the GIL is released by numpy and at least every
``sys.getswitchinterval()`` seconds), so the kernel stays responsive.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._threads import start_background
from ..engines import Cancelled

__all__ = ["BackgroundJob", "GenerationWorker", "Progress", "format_eta", "lower_thread_priority"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """One progress report: ``step`` of ``total`` done after ``elapsed_s`` seconds.

    ``eta_s`` is the estimated seconds left (None before the first step);
    ``preview_png`` holds PNG bytes of a preview frame when one is due (throttled);
    ``label`` names the work when it is not generation steps (e.g. "checking the clip").
    """

    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview_png: bytes | None = None
    label: str = ""

    @property
    def fraction(self) -> float:
        return 0.0 if self.total <= 0 else min(1.0, self.step / self.total)

    def describe(self) -> str:
        """"step k/n, ETA s" (or "<label> k/n, ETA s") as shown under a progress bar."""
        return f"{self.label or 'step'} {self.step}/{self.total}, ETA {format_eta(self.eta_s)}"


def format_eta(eta_s: float | None) -> str:
    if eta_s is None:
        return "…"
    if eta_s < 60:
        return f"{eta_s:.1f} s"
    return f"{int(eta_s // 60)} min {int(eta_s % 60):02d} s"


def _preview_png(frame: np.ndarray, longest_px: int) -> bytes:
    from ..frames import resize_frame
    from ..media import encode_png

    return encode_png(resize_frame(np.asarray(frame, np.uint8), longest_px))


class BackgroundJob:
    """Runs ``job(on_progress, cancel)`` on a daemon thread and reports back.

    ``job`` calls ``on_progress(step, total, preview_frame_or_None, label="")`` as
    it goes (the engines' progress signature, plus an optional label) and checks
    ``cancel`` (a ``threading.Event``) between steps, raising
    :class:`~sora_widgets.engines.Cancelled` (any exception after ``cancel`` was
    set counts as cancelled too).

    Callbacks (all called on the job's thread):
    ``on_progress(Progress)``, then exactly one of ``on_done(result)``,
    ``on_cancelled()``, ``on_error(exc)``.

    ``preview_interval_s``: at most one preview PNG per this many seconds (the
    first preview is always sent at once, so the user sees something quickly).
    ``preview_px``: longest side of the preview PNG in pixels.
    """

    def __init__(
        self,
        job: Callable[[Callable, threading.Event], Any],
        *,
        on_progress: Callable[[Progress], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        preview_interval_s: float = 0.15,
        preview_px: int = 256,
        progress_interval_s: float = 0.05,
        name: str = "sora-widgets-job",
        keep_late_result: bool = False,
        background_nice: int = 0,
    ):
        """``name``: the thread's name (shows in debuggers and ``threading.enumerate()``).

        ``keep_late_result``: a job that returns although ``cancel`` was set counts as done, not
        cancelled. For jobs whose result is already committed when they return (a save): the
        user must hear that it was saved. Otherwise (a generation) such a result is dropped.

        ``background_nice``: added to the job thread's niceness (Linux; threads started by the job
        inherit it) for work nobody waits for yet, such as the Studio's pre-screen: on 2 cores it
        must not slow the generation the user is watching.
        """
        self._job = job
        self.name = name
        self.keep_late_result = keep_late_result
        self.background_nice = background_nice
        self._on_progress = on_progress or (lambda p: None)
        self._on_done = on_done or (lambda r: None)
        self._on_cancelled = on_cancelled or (lambda: None)
        self._on_error = on_error or (lambda e: None)
        self.preview_interval_s = preview_interval_s
        self.preview_px = preview_px
        self.progress_interval_s = progress_interval_s
        self.cancel_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0
        self._last_preview = -1e9
        self._last_report = -1e9
        self._first_step: tuple[int, float] | None = None  # (step, time) of the first report with step > 0
        self.state = "idle"  # idle | running | done | cancelled | error
        self.result: Any = None
        self.error: BaseException | None = None

    # ------------------------------------------------------------ control
    def start(self) -> BackgroundJob:
        if self._thread is not None:
            raise RuntimeError("a BackgroundJob runs once; make a new one")
        self.state = "running"
        self._t0 = time.perf_counter()
        self._thread = start_background(self._run, name=self.name)
        return self

    def cancel(self) -> None:
        """Ask the job to stop; it checks the event between steps (engines, moderation checks)."""
        self.cancel_event.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True if it finished."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------ internals
    def _progress(self, step: int, total: int, preview: np.ndarray | None = None, label: str = "") -> None:
        now = time.perf_counter()
        elapsed = now - self._t0
        if self._first_step is None and step > 0:
            self._first_step = (int(step), now)
        png = None
        if preview is not None and now - self._last_preview >= self.preview_interval_s:
            self._last_preview = now
            try:
                png = _preview_png(preview, self.preview_px)
            except Exception:  # a bad preview must not kill the generation
                log.exception("could not encode a preview frame")
        last = total > 0 and step >= total
        if png is None and not last and now - self._last_report < self.progress_interval_s:
            return  # throttle: the browser does not need 1000 updates a second
        self._last_report = now
        eta = self._eta(step, total, now)
        self._on_progress(Progress(int(step), int(total), elapsed, eta, png, label))

    def _eta(self, step: int, total: int, now: float) -> float | None:
        """Seconds left, from the pace *since the first step* (s): what came before it (a model loading, a
        prompt read, a physics run) happens once, and counting it made a 1.7 s render's first ETA 1 min 32 s.
        None until a second step shows the pace."""
        if total > 0 and step >= total:
            return 0.0
        if self._first_step is None or step <= self._first_step[0]:
            return None
        first, t_first = self._first_step
        return (now - t_first) / (step - first) * max(0, total - step)

    def _run(self) -> None:
        if self.background_nice:
            lower_thread_priority(self.background_nice)
        try:
            result = self._job(self._progress, self.cancel_event)
        except Cancelled:
            self.state = "cancelled"
            self._safe(self._on_cancelled)
            return
        except BaseException as exc:  # noqa: BLE001 - reported to the user, never re-raised on a thread
            if self.cancel_event.is_set():
                self.state = "cancelled"
                self._safe(self._on_cancelled)
                return
            self.state, self.error = "error", exc
            self._safe(self._on_error, exc)
            return
        if self.cancel_event.is_set() and not self.keep_late_result:
            self.state = "cancelled"
            self._safe(self._on_cancelled)
            return
        self.state, self.result = "done", result
        self._safe(self._on_done, result)

    @staticmethod
    def _safe(fn: Callable, *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            log.exception("a background job's callback failed")


def lower_thread_priority(increment: int) -> None:
    """Raise the calling thread's niceness by ``increment`` (Linux: a thread is a task); no-op elsewhere."""
    import os

    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + int(increment)))
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        log.debug("could not lower the priority of %s", threading.current_thread().name, exc_info=True)


#: The earlier name (it ran generations only); kept for notebooks that import it.
GenerationWorker = BackgroundJob
