"""PromptStudio in the kernel: settings, background generation, cancel, errors, history, compare, publish.

Generation and publishing go through ``sora_widgets.publishing`` (moderation, then the
engine / the store); tests that need them skip until the moderation service exists.
The engine here is the small real ``test-square`` engine from conftest.
"""

from __future__ import annotations

import threading
import time

import pytest
from conftest import MovingSquareEngine, wait_until

from sora_widgets.engines import base
from sora_widgets.widgets import PromptStudio
from sora_widgets.widgets.prompt_studio import ASPECTS, SIZES_PX, frame_size, readable_error


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
        assert wait_until(lambda: "test-slow" in s.engine_infos, timeout_s=10)
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
    assert "sw-synced" in s._dom_classes
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
    seen_max = []
    s.progress.observe(lambda ch: seen_max.append(s.progress.value), names="value")
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
    s.generate()
    assert s.wait(10) == "error"
    assert "prompt is empty" in s.status.value and "Traceback" not in s.status.value
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
    s.generate()
    s.wait(30)
    s.publish(wait=True)
    r = s.last_publish
    assert r is not None and r.status in ("published", "held")
    row = store.sql("SELECT owner, status, recipe FROM clips WHERE clip_id = ?", [r.clip_id]).iloc[0]
    assert row.owner == "ana" and row.status == r.status
    assert r.clip_id in s.publish_result.value and s.publish_button.disabled
    s.publish()  # publishing twice does not save twice
    assert int(store.sql("SELECT count(*) AS n FROM clips").n[0]) == 1


def test_save_draft(store, test_engines):
    s = make(store)
    s.generate()
    s.wait(30)
    s.draft_button.click()
    s.wait(30)
    assert s.last_publish.status in ("draft", "held")
    assert store.sql("SELECT status FROM clips").status[0] == s.last_publish.status


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
    linked = {(ln.source[1], ln.target[1]) for ln in s._links}
    assert ("current_time", "current_time") in linked and ("playing", "playing") in linked
    assert all(ln.source[0] is a and ln.target[0] is b for ln in s._links)
    s.history[1].compare_box.value = True  # three ticked: ask for two
    assert s.compare_box.children == () and "exactly two" in s.compare_hint.value
    # "Show" brings an older take back into the main player
    show = s.history[0].widget.children[2].children[0]
    show.click()
    assert s.clip is s.history[0].clip
