"""The one background-job helper (generate, publish, remix): progress with ETA, throttled previews, cancel, errors."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from sora_widgets.engines import Cancelled, check_cancel
from sora_widgets.widgets._worker import BackgroundJob, GenerationWorker, Progress, format_eta


def collect():
    got = {"progress": [], "done": [], "cancelled": 0, "error": []}
    kw = dict(
        on_progress=got["progress"].append,
        on_done=got["done"].append,
        on_cancelled=lambda: got.__setitem__("cancelled", got["cancelled"] + 1),
        on_error=got["error"].append,
    )
    return got, kw


def test_progress_eta_and_result():
    def job(on_progress, cancel):
        for i in range(1, 11):
            time.sleep(0.01)
            on_progress(i, 10, np.full((32, 48, 3), i * 20, np.uint8))
        return "clip"

    got, kw = collect()
    w = BackgroundJob(job, preview_interval_s=0.0, progress_interval_s=0.0, **kw).start()
    assert w.join(5)
    assert w.state == "done" and got["done"] == ["clip"] and not got["error"]
    steps = [p.step for p in got["progress"]]
    assert steps == list(range(1, 11))
    last = got["progress"][-1]
    assert last.eta_s == 0 and last.fraction == 1.0
    mid = got["progress"][4]  # 5 of 10 done: about as long again to go (whatever the machine's load)
    assert 0.3 * mid.elapsed_s < mid.eta_s < 3 * mid.elapsed_s
    assert mid.describe().startswith("step 5/10, ETA ")
    assert got["progress"][0].preview_png[:8] == b"\x89PNG\r\n\x1a\n"


def test_previews_are_throttled_but_the_first_and_last_report_arrive():
    def job(on_progress, cancel):
        for i in range(1, 201):
            on_progress(i, 200, np.zeros((16, 16, 3), np.uint8))
        return 1

    got, kw = collect()
    w = BackgroundJob(job, preview_interval_s=10.0, progress_interval_s=10.0, **kw).start()
    assert w.join(5)
    pngs = [p for p in got["progress"] if p.preview_png]
    assert len(pngs) == 1 and pngs[0].step == 1  # first preview at once, then none within 10 s
    assert got["progress"][-1].step == 200  # the final step always gets through


def test_cancel_stops_the_job_between_steps():
    started = threading.Event()

    def job(on_progress, cancel):
        for i in range(1000):
            started.set()
            check_cancel(cancel)
            time.sleep(0.01)
            on_progress(i + 1, 1000, None)
        return "finished"

    got, kw = collect()
    w = BackgroundJob(job, **kw).start()
    assert started.wait(5)
    t0 = time.perf_counter()
    w.cancel()
    assert w.join(2), "the worker did not stop after cancel"
    assert time.perf_counter() - t0 < 1.0
    assert w.state == "cancelled" and got["cancelled"] == 1 and not got["done"] and not got["error"]


def test_errors_are_reported_not_raised():
    def job(on_progress, cancel):
        raise ValueError("duration must be between 0.1 and 20 seconds")

    got, kw = collect()
    w = BackgroundJob(job, **kw).start()
    assert w.join(5)
    assert w.state == "error" and isinstance(got["error"][0], ValueError) and not got["done"]


def test_cancelled_exception_from_the_engine_counts_as_cancelled():
    def job(on_progress, cancel):
        raise Cancelled("generation cancelled")

    got, kw = collect()
    w = BackgroundJob(job, **kw).start()
    assert w.join(5) and w.state == "cancelled" and got["cancelled"] == 1


def test_a_worker_runs_once():
    w = BackgroundJob(lambda p, c: None).start()
    w.join(5)
    with pytest.raises(RuntimeError):
        w.start()


def test_format_eta():
    assert format_eta(None) == "…"
    assert format_eta(3.25) == "3.2 s" or format_eta(3.25) == "3.3 s"
    assert format_eta(125) == "2 min 05 s"
    assert Progress(0, 0, 0.0, None).fraction == 0.0


def test_labelled_progress_for_work_that_is_not_generation_steps():
    def job(on_progress, cancel):
        on_progress(1, 3, None, label="checking the clip")
        on_progress(3, 3, None, label="checking the clip")
        return "saved"

    got, kw = collect()
    w = BackgroundJob(job, progress_interval_s=0.0, name="sora-widgets-publish", **kw).start()
    assert w.join(5) and got["done"] == ["saved"]
    assert got["progress"][0].describe().startswith("checking the clip 1/3, ETA ")
    assert GenerationWorker is BackgroundJob  # the earlier name still works in notebooks


def test_a_committed_result_is_reported_even_if_cancel_came_late():
    """A save that finished is a save: its job reports done; a generation's late result is dropped."""
    for keep, expected in ((True, "done"), (False, "cancelled")):
        def job(on_progress, cancel):
            cancel.set()  # the user pressed Cancel while the last, uninterruptible part ran
            return "clip c1 saved"

        got, kw = collect()
        w = BackgroundJob(job, keep_late_result=keep, **kw).start()
        assert w.join(5) and w.state == expected
        assert got["done"] == (["clip c1 saved"] if keep else [])


def test_background_work_runs_at_a_lower_priority():
    import os

    seen = {}

    def job(on_progress, cancel):
        tid = threading.get_native_id()
        seen["job"] = os.getpriority(os.PRIO_PROCESS, tid)
        inner = threading.Thread(target=lambda: seen.__setitem__(
            "inner", os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))
        inner.start()
        inner.join()

    me = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    w = BackgroundJob(job, background_nice=5).start()
    assert w.join(5) and w.state == "done"
    assert seen["job"] == min(19, me + 5) and seen["inner"] == seen["job"]  # threads it starts inherit it
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == me  # the caller is untouched


def test_the_first_eta_is_not_inflated_by_start_up_work():
    """A job that loads for 1 s and then renders 20 steps of 20 ms: every ETA shown is within 2x of the
    time really left (counting the load in the pace made a 1.7 s render's first ETA 1 min 32 s)."""
    ends: list[tuple[float, float | None]] = []

    def job(on_progress, cancel):
        time.sleep(1.0)  # a model loading, a prompt read: once
        for i in range(1, 21):
            time.sleep(0.02)
            on_progress(i, 20, None)
        return "clip"

    got, kw = collect()
    kw["on_progress"] = lambda p: ends.append((time.perf_counter(), p.eta_s))
    w = BackgroundJob(job, progress_interval_s=0.0, **kw).start()
    assert w.join(10) and w.state == "done"
    finished = ends[-1][0]
    shown = [(t, eta) for t, eta in ends[:-1] if eta is not None]
    assert ends[0][1] is None and shown  # no guess before the pace is known
    for t, eta in shown[:5]:
        left = finished - t
        assert left / 2 <= eta <= 2 * left + 0.05, (eta, left)
