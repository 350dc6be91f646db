"""A job for the generation service's tests and benchmark: a known number of steps of a known length.

``run_on_service(slow_clip, {"steps": 20, "step_s": 0.1})`` behaves like an engine
(progress with a preview frame each step, ``cancel`` honoured between steps, a
clip at the end) whose timing the test controls. It lives in the package so the
service's workers can import it by name (tests/ is not on their path).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import numpy as np

from ..engines.base import Cancelled
from ..media import Clip

__all__ = ["busy_clip", "slow_clip"]


def slow_clip(
    steps: int = 10,
    step_s: float = 0.1,
    *,
    size: int = 32,
    label: str | None = None,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
    **meta,
) -> Clip:
    """``steps`` steps of ``step_s`` seconds (sleeping: no CPU), then a clip of ``steps`` grey frames
    (``size`` px square, frame k has value k) and 0.1 s of silence; ``meta`` is copied into ``clip.meta``
    with ``pid`` (the process that ran it). ``label``: first said as ``on_progress(0, 0, None, label=label)``,
    as an engine says "loading model: 1 of 8 parts"."""
    frames = np.zeros((steps, size, size, 3), np.uint8)
    if label and on_progress is not None:
        on_progress(0, 0, None, label=label)
    for k in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled("generation cancelled")
        time.sleep(step_s)
        frames[k] = k % 256
        if on_progress is not None:
            on_progress(k + 1, steps, frames[k])
    return Clip(frames, np.zeros((1, 1600), np.float32), 24, 16_000, {**meta, "pid": os.getpid()})


def busy_clip(
    seconds: float = 1.0,
    *,
    on_progress: Callable | None = None,
    cancel: threading.Event | None = None,
) -> Clip:
    """About ``seconds`` of pure CPU work (numpy on one core) in 20 steps, then a small clip: a job that is
    CPU-bound, for the throughput benchmark."""
    steps = 20
    rng = np.random.default_rng(0)
    a = rng.standard_normal((96, 96))
    deadline_each = seconds / steps
    for k in range(steps):
        if cancel is not None and cancel.is_set():
            raise Cancelled("generation cancelled")
        t0 = time.thread_time()
        while time.thread_time() - t0 < deadline_each:
            a = np.tanh(a @ a.T / 96.0)
        if on_progress is not None:
            on_progress(k + 1, steps, None)
    return Clip(np.zeros((1, 32, 32, 3), np.uint8), np.zeros((1, 1600), np.float32), 24, 16_000,
                {"pid": os.getpid()})
