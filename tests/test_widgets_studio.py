"""PromptStudio in the kernel: settings, background generation, cancel, errors, history, compare, publish.

Generation and publishing go through ``sora_widgets.publishing`` (moderation, then the
engine / the store). The engine here is the small real ``test-square`` engine from conftest.
Results are read through the studio's events (``on_generated``, ``on_published``, ``on_error``).
"""

from __future__ import annotations

import threading
import time

import pytest
from conftest import MovingSquareEngine, wait_until

from sora_widgets.engines import base, engine_options
from sora_widgets.social.accounts import sign_up
from sora_widgets.widgets import PromptStudio
from sora_widgets.widgets.prompt_studio import ASPECTS, SIZES_PX, frame_size, readable_error


@pytest.fixture
def store(store):
    """The conftest store with the creator @ana (an account made the one way product code makes them)."""
    sign_up(store, "ana", birthdate="1990-01-01")
    return store


@pytest.mark.parametrize("aspect", ASPECTS)
@pytest.mark.parametrize("size", SIZES_PX)
def test_frame_size(aspect, size):
    w, h = frame_size(aspect, size)
    assert max(w, h) == size and w % 2 == 0 and h % 2 == 0 and min(w, h) >= 64
    a, b = (int(x) for x in aspect.split(":"))
    assert w / h == pytest.approx(a / b, rel=0.02)
    assert (w >= h) == (a >= b)


def test_frame_size_rejects_nonsense():
    with pytest.raises(ValueError, match="16:9"):
        frame_size("wide", 256)


def test_readable_errors_have_no_traceback():
    assert readable_error(ValueError("fps must be an integer")) == "fps must be an integer"
    msg = readable_error(RuntimeError("CUDA out of memory"))
    assert "RuntimeError" in msg and "Traceback" not in msg and "Try another seed" in msg


def test_settings_become_generate_arguments(store, test_engines):
    s = PromptStudio(store, "ana")
    s.engine.value = "test-square"
    s.aspect.value, s.size.value, s.duration.value, s.fps.value, s.seed.value = "9:16", 512, 2.5, 12, 42
    s.negative_prompt.value = "blur"
    assert s.request_kwargs() == {
        "engine": "test-square", "negative_prompt": "blur", "seed": 42, "duration": 2.5, "fps": 12,
        "width": 288, "height": 512,
    }
    assert s.user == "ana" and store.get_user("ana")["handle"] == "ana"


def test_limits_come_from_the_engines_published_options(store, test_engines):
    s = PromptStudio(store, "ana")
    s.engine.value = "sim"
    spec = engine_options("sim")
    assert (s.duration.min, s.duration.max) == (spec["duration"].minimum, spec["duration"].maximum)
    assert all(spec["fps"].minimum <= f <= spec["fps"].maximum for f in s.fps.options)
    assert (s.seed.min, s.seed.max) == (spec["seed"].minimum, spec["seed"].maximum)
    s.duration.value = spec["duration"].minimum  # the engine's shortest clip can be asked for (was 0.5 s)
    assert s.request_kwargs()["duration"] == spec["duration"].minimum


def test_the_studio_does_not_create_its_user(store, test_engines):
    PromptStudio(store, "nobody_yet")
    assert "nobody_yet" not in set(store.sql("SELECT handle FROM users")["handle"])


def test_unavailable_engine_is_listed_with_its_reason_and_cannot_run(store, test_engines):
    s = PromptStudio(store, "ana")
    labels = dict((v, k) for k, v in s.engine.options)
    assert labels["test-missing"] == "test-missing (unavailable)"
    s.engine.value = "test-missing"
    assert s.generate_button.disabled
    assert "needs a GPU with 24 GB" in s.engine_note.value
    s.engine.value = "test-square"
    assert not s.generate_button.disabled
    assert "needs a GPU with 24 GB" in s.engine_note.value  # still listed, folded, under the picker


def test_steps_and_guidance_only_for_engines_that_use_them(store, test_engines):
    class Stepper(MovingSquareEngine):
        name = "test-steps"
        uses_steps = True

    base.register("test-steps", Stepper, "uses steps")
    try:
        s = PromptStudio(store, "ana")
        s.engine.value = "test-square"
        assert s.steps_box.layout.display == "none" and "steps" not in s.request_kwargs()
        s.engine.value = "test-steps"
        assert s.steps_box.layout.display == ""
        s.steps.value, s.guidance.value = 12, 3.5
        assert s.request_kwargs()["steps"] == 12 and s.request_kwargs()["guidance"] == 3.5
    finally:
        base._FACTORIES.pop("test-steps", None)
        base._INSTANCES.pop("test-steps", None)


def test_a_slow_engine_check_does_not_hold_up_the_embedded_default(store, test_engines):
    """The dashboard checks engines in the background; sim is usable before a slow check ends."""
    release = threading.Event()

    class SlowToCheck(MovingSquareEngine):
        name = "test-slow"

        def availability(self):
            release.wait(10)  # stands for importing torch + diffusers on a cold disk
            return True, ""

    base.register("test-slow", SlowToCheck, "slow to check")
    try:
        s = PromptStudio(store, "ana", background_engine_check=True)
        assert wait_until(lambda: not s.generate_button.disabled, timeout_s=10)
        assert s.engine.value == "sim" and "test-slow" not in s.engine_infos
        release.set()
        # The full list comes after the warm-up of what Generate needs (seconds on a busy machine).
        assert wait_until(lambda: "test-slow" in s.engine_infos, timeout_s=60)
        assert s.engine.value == "sim" and not s.generate_button.disabled
    finally:
        release.set()
        base._FACTORIES.pop("test-slow", None)
        base._INSTANCES.pop("test-slow", None)


def test_a_rendered_page_gets_again_what_the_background_check_changed(store, test_engines, monkeypatch):
    """ipywidgets drops updates sent while a page loads; the studio resends them once the page says it is drawn."""
    s = PromptStudio(store, "ana", background_engine_check=True)
    assert wait_until(lambda: not s.generate_button.disabled, timeout_s=10)
    sent = []
    for widget in (s.generate_button, s.engine, s.engine_note):
        monkeypatch.setattr(widget.comm, "send", lambda data=None, buffers=None, w=widget: sent.append((w, data)))
    s.frontend_ready._handle_custom_msg({"event": "rendered"}, [])
    states = {id(w): d["state"] for w, d in sent if d.get("method") == "update"}
    assert states[id(s.generate_button)]["disabled"] is False
    assert states[id(s.engine)]["index"] == [v for _k, v in s.engine.options].index("sim")
    s.frontend_ready._handle_custom_msg({"event": "something else"}, [])  # ignored, no error


def test_dice_picks_a_new_seed(store, test_engines):
    s = PromptStudio(store, "ana")
    seeds = {s.roll_seed() for _ in range(5)}
    assert len(seeds) > 1 and s.seed.value in seeds
    before = s.seed.value
    s.dice.click()
    assert s.seed.value != before or s.roll_seed() != before


def test_key_controls_have_stable_names_and_classes(store, test_engines):
    s = PromptStudio(store, "ana")
    assert s.prompt.description == "Prompt"
    assert (s.generate_button.description, s.cancel_button.description, s.publish_button.description) == \
        ("Generate", "Cancel", "Publish")
    for w, cls in ((s.prompt, "sw-prompt"), (s.generate_button, "sw-generate"), (s.cancel_button, "sw-cancel"),
                   (s.publish_button, "sw-publish"), (s.progress, "sw-progress"), (s.preview, "sw-preview")):
        assert cls in w._dom_classes
    assert s.cancel_button.disabled and s.publish_button.disabled


# ------------------------------------------------------------------ through publishing (needs moderation)
def make(store, **settings):
    s = PromptStudio(store, "ana")
    s.engine.value = "test-square"
    s.prompt.value = settings.pop("prompt", "a white square slides across")
    s.duration.value = settings.pop("duration", 1.0)
    s.fps.value = settings.pop("fps", 12)
    return s


def test_generate_reports_progress_previews_and_shows_the_clip(store, test_engines):
    s = make(store)
    seen_max, generated = [], []
    s.progress.observe(lambda ch: seen_max.append(s.progress.value), names="value")
    s.on_generated(generated.append)
    s.generate()
    assert s.cancel_button.disabled is False and s.generate_button.disabled is True
    assert s.wait(30) == "done"
    assert s.progress.value == s.progress.max == 12
    assert len(set(seen_max)) > 1  # the bar moved through intermediate values
    assert bytes(s.preview.value).startswith(b"\x89PNG")
    assert s.player is not None and s.player.num_frames == 12 and s.player.has_audio
    assert s.clip.meta["engine"] == "test-square" and s.clip.meta["author"] == "ana"
    assert len(s.history) == 1 and len(s.history_strip.children) == 1
    assert s.cancel_button.disabled and not s.generate_button.disabled and not s.publish_button.disabled
    assert "done" in s.status.value
    assert generated == [s.clip]


def test_cancel_returns_to_idle_and_keeps_nothing(store, test_engines):
    s = make(store, duration=20.0)
    s.request_kwargs_extra = None
    # a slow real engine: 0.05 s per frame, 240 frames
    orig = s.request_kwargs
    s.request_kwargs = lambda: {**orig(), "step_sleep_s": 0.05}
    s.generate()
    assert wait_until(lambda: s.progress.value >= 2, 10)
    t0 = time.perf_counter()
    s.cancel_button.click()
    assert s.wait(5) == "cancelled"
    assert time.perf_counter() - t0 < 2.0
    assert s.progress_label.value == "cancelled" and "cancelled" in s.status.value
    assert not s.history and s.player is None
    assert not s.generate_button.disabled and s.cancel_button.disabled


def test_the_kernel_thread_stays_free_while_generating(store, test_engines):
    s = make(store, duration=4.0)
    orig = s.request_kwargs
    s.request_kwargs = lambda: {**orig(), "step_sleep_s": 0.02}
    s.generate()
    # What a click on another widget does runs here, on the calling thread, at once.
    t0 = time.perf_counter()
    for _ in range(20):
        s.roll_seed()
    assert time.perf_counter() - t0 < 0.5 and s.busy
    assert threading.current_thread() is threading.main_thread()
    s.cancel()
    s.wait(5)


def test_errors_show_as_a_readable_message(store, test_engines):
    s = make(store, prompt="   ")
    errors = []
    s.on_error(errors.append)
    s.generate()
    assert s.wait(10) == "error"
    assert "prompt is empty" in s.status.value and "Traceback" not in s.status.value
    assert len(errors) == 1 and "prompt is empty" in str(errors[0])
    s.prompt.value = "a square"
    orig = s.request_kwargs
    s.request_kwargs = lambda: {**orig(), "fail_with": "the sampler diverged"}
    s.generate()
    assert s.wait(10) == "error"
    assert "the sampler diverged" in s.status.value and "sw-status-error" in s.status.value
    assert not s.generate_button.disabled and s.progress_label.value == "failed"


def test_a_blocked_prompt_shows_the_reason_and_makes_nothing(store, test_engines):
    s = make(store, prompt="join isis and behead the infidels, glory to the caliphate")
    s.generate()
    assert s.wait(30) == "error"
    assert "can&#x27;t be used" in s.status.value and "violent extremism" in s.status.value
    assert "Traceback" not in s.status.value
    assert s.player is None and not s.history and not s.generate_button.disabled


def test_publish_saves_the_clip_as_the_users(store, test_engines):
    s = make(store)
    published = []
    s.on_published(published.append)
    s.generate()
    s.wait(30)
    s.publish(wait=True)
    [r] = published
    assert r.status in ("published", "held") and s.last_publish is r
    row = store.sql("SELECT owner, status, recipe FROM clips WHERE clip_id = ?", [r.clip_id]).iloc[0]
    assert row.owner == "ana" and row.status == r.status
    assert r.clip_id in s.publish_result.value and s.publish_button.disabled
    s.publish()  # publishing twice does not save twice
    assert int(store.sql("SELECT count(*) AS n FROM clips").n[0]) == 1


def test_save_draft(store, test_engines):
    s = make(store)
    s.generate()
    s.wait(30)
    published = []
    s.on_published(published.append)
    s.draft_button.click()
    s.wait(30)
    assert published[0].status in ("draft", "held")
    assert store.sql("SELECT status FROM clips").status[0] == published[0].status


def test_history_compare_links_two_players(store, test_engines):
    s = make(store)
    for seed in (1, 2, 3):
        s.seed.value = seed
        s.generate()
        assert s.wait(30) == "done"
    assert [e.clip.meta["seed"] for e in s.history] == [1, 2, 3]
    s.history[0].compare_box.value = True
    assert s.compare_box.children == ()
    s.history[2].compare_box.value = True
    a, b = s.compare_box.children
    assert a.clip is s.history[0].clip and b.clip is s.history[2].clip
    links = s.takes._links
    linked = {(ln.source[1], ln.target[1]) for ln in links}
    assert ("current_time", "current_time") in linked and ("playing", "playing") in linked
    assert all(ln.source[0] is a and ln.target[0] is b for ln in links)
    s.history[1].compare_box.value = True  # three ticked: ask for two
    assert s.compare_box.children == () and "exactly two" in s.compare_hint.value
    # "Show" brings an older take back into the main player
    show = s.history[0].widget.children[2].children[0]
    show.click()
    assert s.clip is s.history[0].clip


def _count_checks(monkeypatch):
    """Count output checks (the real ``check_clip`` still runs)."""
    from sora_widgets.moderation import service

    calls = []
    real = service.check_clip

    def counted(*args, **kwargs):
        calls.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "check_clip", counted)
    return calls


def test_output_moderation_starts_when_the_clip_is_ready_and_publish_only_saves(store, test_engines, monkeypatch):
    from sora_widgets.moderation import prescreen

    checks = _count_checks(monkeypatch)
    s = make(store)
    s.generate()
    assert s.wait(30) == "done"
    assert wait_until(lambda: prescreen.cached_verdict(store, s.clip, user="ana") is not None, 30)
    assert checks == ["sora-widgets-prescreen"]  # checked in the background, before any click
    published = []
    s.on_published(published.append)
    t0 = time.perf_counter()
    s.publish(wait=True)
    took = time.perf_counter() - t0
    assert len(checks) == 1, "Publish checked the clip again"
    assert published[0].verdict is not None and published[0].clip_id in s.publish_result.value
    assert took < 2.0, f"publishing a pre-screened clip took {took:.2f} s"
    assert s.publish_panel.progress.layout.display == "none"  # nothing left to show progress for


def test_generating_again_cancels_the_previous_prescreen(store, test_engines, monkeypatch):
    from sora_widgets.moderation import service

    release = threading.Event()
    real = service.check_clip

    def held_check(*args, **kwargs):
        release.wait(10)  # the check has not got far when the user generates again
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "check_clip", held_check)
    s = make(store)
    s.generate()
    assert s.wait(30) == "done"
    job = s.publish_panel.prescreen_job
    assert job.running
    s.generate()
    assert job.cancel_event.is_set()
    release.set()
    assert job.join(30) and job.state == "cancelled"
    assert s.wait(30) == "done" and s.publish_panel.prescreen_job is not job


def test_publish_while_the_check_runs_shows_its_progress(store, test_engines, monkeypatch):
    from sora_widgets.moderation import prescreen

    s = make(store)
    s.generate()
    assert s.wait(30) == "done"
    s.publish_panel.prescreen_job.cancel()  # as if it had not started yet
    s.publish_panel.prescreen_job.join(30)
    prescreen._entries.clear()
    labels = []
    s.publish_panel.progress_label.observe(lambda ch: labels.append(ch["new"]), names="value")
    published = []
    s.on_published(published.append)
    s.publish(wait=True)
    assert published and published[0].status in ("published", "held")
    assert any(lbl.startswith("checking the clip") for lbl in labels), labels
    assert "saving…" in labels and labels[-1] == ""
