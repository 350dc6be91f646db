"""The one path from prompt to stored clip: moderation before and after, visibility, cameo consent."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import sora_widgets as sw
from sora_widgets import access
from sora_widgets.engines import register
from sora_widgets.publishing import Blocked, create_clip, publish
from sora_widgets.social.accounts import sign_up

CALLS: list[str] = []


class RecordingEngine:
    """A real (tiny) engine that remembers every prompt it was given."""

    name, version, options, uses_steps = "recording", "1", frozenset(), False

    def availability(self):
        return True, ""

    def generate(self, request, *, on_progress=None, cancel=None):
        CALLS.append(request.prompt)
        t = request.num_frames
        frames = np.zeros((t, request.height, request.width, 3), np.uint8)
        frames[:, :, : request.width // 2] = (40, 120, 200)
        audio = (0.1 * np.sin(np.arange(int(request.duration * 48_000)) / 9)).astype(np.float32)[None]
        return sw.Clip(frames, audio, request.fps, 48_000, {})


register("recording", RecordingEngine, "test engine")


@pytest.fixture
def store(tmp_path):
    s = sw.open_store(tmp_path / "home")
    s.create_user("alice", birthdate="1990-01-01")
    s.create_user("bob", birthdate="1991-01-01")
    s.create_user("rita", birthdate="1985-01-01", role="reviewer")
    return s


def make(store, prompt="a blue ball rolls on the grass", user="alice"):
    return create_clip(store, prompt, user=user, engine="recording", duration=0.5, fps=12, width=64, height=64, seed=1)


def test_blocked_prompt_never_reaches_the_engine(store):
    CALLS.clear()
    with pytest.raises(Blocked, match="can't be used") as ei:
        make(store, "join isis and behead the infidels, glory to the caliphate")
    assert CALLS == []
    assert ei.value.verdict.decision == "block"
    rec = store.sql("SELECT decision FROM moderation_verdicts WHERE target_kind = 'prompt'")
    assert list(rec["decision"]) == ["block"]


def test_publish_saves_with_recipe_and_is_visible_to_all(store):
    clip = make(store)
    res = publish(store, clip, user="alice")
    assert res.status == "published" and res.clip_id in res.message
    info = store.clip_info(res.clip_id)
    assert info["recipe"]["engine"] == "recording" and info["recipe"]["prompt"] == "a blue ball rolls on the grass"
    assert access.can_view(store, res.clip_id, "bob")


def test_draft_is_visible_only_to_its_owner(store):
    res = publish(store, make(store), user="alice", status="draft")
    assert access.can_view(store, res.clip_id, "alice")
    d = access.can_view(store, res.clip_id, "bob")
    assert not d and "draft" in d.reason
    with pytest.raises(PermissionError, match="draft"):
        access.require_view(store, res.clip_id, "bob")


def test_held_clip_visible_to_author_and_reviewers_only(store):
    res = publish(store, make(store), user="alice")
    store.set_clip_status(res.clip_id, "held", actor="rita")
    assert access.can_view(store, res.clip_id, "alice") and access.can_view(store, res.clip_id, "rita")
    assert not access.can_view(store, res.clip_id, "bob")
    store.set_clip_status(res.clip_id, "removed", actor="rita")
    assert not access.can_view(store, res.clip_id, "alice") and access.can_view(store, res.clip_id, "rita")


def test_a_cameo_id_smuggled_into_a_recipe_leaves_no_clip(store):
    from sora_widgets import cameo
    from sora_widgets.cameo import CameoAsset

    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    src = sw.Clip(np.full((2, 32, 32, 3), 90, np.uint8), np.zeros((1, 0), np.float32), 8, 16_000)
    cid = cameo.create(store, owner="bob", clip=src, kind="object", name="mug",
                       asset=CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0))
    clip = make(store)
    clip.meta["recipe"]["cameo_ids"] = [cid]  # never obtained through cameo.use
    before = store.sql("SELECT count(*) AS n FROM clips")["n"][0]
    with pytest.raises(PermissionError):
        publish(store, clip, user="alice")
    assert store.sql("SELECT count(*) AS n FROM clips")["n"][0] == before


def test_under_13_refused_and_roles_checked(store):
    with pytest.raises(PermissionError, match="13"):
        sign_up(store, "kiddo", birthdate="2020-01-01")
    assert sign_up(store, "teen", birthdate="2011-01-01") == "teen"
    with pytest.raises(PermissionError, match="reviewer"):
        access.require_role(store, "alice", "reviewer", "admin")
    assert access.require_role(store, "rita", "reviewer", "admin") == "reviewer"


def test_generation_can_be_cancelled_before_it_starts(store):
    ev = threading.Event()
    ev.set()
    with pytest.raises(sw.Cancelled):
        create_clip(store, "a ball", user="alice", engine="recording", cancel=ev, duration=0.5, width=64, height=64)


# ------------------------------------------------------------------ encode once
def _count_calls(monkeypatch, module, name):
    """Wrap the real ``module.name`` so calls are counted (the real function still runs)."""
    calls = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def _saved_content_hash(store, clip_id):
    """SHA-256 of the MP4 a clip was saved from, before publish embedded its C2PA manifest (issue 16)."""
    from sora_widgets.provenance import registry

    return registry.by_clip(store, clip_id).content_sha256


def test_the_store_keeps_the_bytes_the_player_showed_without_encoding_again(store, monkeypatch):
    import hashlib

    from sora_widgets import media
    from sora_widgets.widgets.clip_player import ClipPlayer

    encodes = _count_calls(monkeypatch, media, "_encode_mp4")
    clip = make(store)
    player = ClipPlayer(clip)
    assert len(encodes) == 1
    res = publish(store, clip, user="alice")
    assert len(encodes) == 1, "save_clip encoded the clip a second time"
    info = store.clip_info(res.clip_id)
    stored = store.media_bytes(info["media_hash"])
    # Issue 16: the store keeps the bytes shown with a signed C2PA manifest added: same pictures, same sound.
    assert _saved_content_hash(store, res.clip_id) == hashlib.sha256(bytes(player.video)).hexdigest() \
        == clip.encoded().sha256
    assert info["media_hash"] == hashlib.sha256(stored).hexdigest() != clip.encoded().sha256
    shown = sw.Clip.from_bytes(bytes(player.video))
    kept = sw.Clip.from_bytes(stored)
    assert np.array_equal(kept.frames, shown.frames) and np.array_equal(kept.audio, shown.audio)


def test_a_changed_clip_is_encoded_again_and_an_in_place_edit_is_refused(store, monkeypatch):
    from sora_widgets import media

    encodes = _count_calls(monkeypatch, media, "_encode_mp4")
    clip = make(store)
    first = clip.encoded()
    assert clip.encoded() is first and len(encodes) == 1
    with pytest.raises(ValueError, match="read-only"):
        clip.frames[0, 0, 0] = 255  # would leave the memoised bytes stale
    clip.frames = np.full_like(clip.frames, 200)
    assert clip.encoded().sha256 != first.sha256 and len(encodes) == 2
    clip.meta["prompt"] = "another title"  # the prompt is written into the file as its title
    assert clip.encoded().sha256 != first.sha256 and len(encodes) == 3
    clip.meta["clip_id"] = "c123"  # ids are not in the file: the store gives them after the player showed it
    clip.encoded()
    assert len(encodes) == 3


# ------------------------------------------------------------------ pre-screened publish
def test_publish_reuses_the_prescreened_verdict_and_only_saves(store, monkeypatch):
    from sora_widgets.moderation import service
    from sora_widgets.publishing import prescreen

    checks = _count_calls(monkeypatch, service, "check_clip")
    clip = make(store)
    seen = []
    verdict = prescreen(store, clip, user="alice", on_progress=lambda d, t: seen.append((d, t)))
    assert len(checks) == 1 and seen[0] == (0, 3) and seen[-1] == (3, 3)
    assert prescreen(store, clip, user="alice") is verdict and len(checks) == 1  # asked twice, checked once
    res = publish(store, clip, user="alice")
    assert len(checks) == 1 and res.verdict is verdict and res.status == "published"
    n = store.sql("SELECT count(*) AS n FROM moderation_verdicts WHERE target_kind = 'clip'")["n"][0]
    assert n == 1
    publish(store, clip, user="alice", status="draft")  # the verdict was used up: a second save is checked again
    assert len(checks) == 2


def test_a_prescreen_is_bound_to_the_bytes_the_user_and_the_policy(store, monkeypatch):
    from sora_widgets.moderation import prescreen as ps
    from sora_widgets.moderation import service

    checks = _count_calls(monkeypatch, service, "check_clip")
    clip = make(store)
    ps.prescreen(store, clip, user="alice")
    ps.prescreen(store, clip, user="bob")  # another user: another check
    assert len(checks) == 2
    clip.audio = np.zeros_like(clip.audio)  # changed after the check: the verdict does not apply
    assert ps.cached_verdict(store, clip, user="alice") is None
    publish(store, clip, user="alice")
    assert len(checks) == 3
    monkeypatch.setattr(ps, "policy_version", lambda policy=None: "another-policy")
    clip2 = make(store, "a green ball rolls on the grass")  # not the bytes of the first check
    ps.prescreen(store, clip2, user="alice")
    monkeypatch.undo()
    checks = _count_calls(monkeypatch, service, "check_clip")
    publish(store, clip2, user="alice")
    assert len(checks) == 1  # the cached verdict was for another policy


def test_a_cancelled_prescreen_keeps_nothing_and_publish_checks(store, monkeypatch):
    from sora_widgets.moderation import service
    from sora_widgets.publishing import prescreen

    clip = make(store)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(sw.Cancelled):
        prescreen(store, clip, user="alice", cancel=cancel)
    checks = _count_calls(monkeypatch, service, "check_clip")
    assert publish(store, clip, user="alice").status == "published" and len(checks) == 1


@pytest.mark.parametrize("encoded_first", [True, False], ids=["shown-first", "checked-while-encoding"])
def test_publish_while_the_prescreen_runs_waits_for_it_instead_of_checking_twice(store, monkeypatch, encoded_first):
    from sora_widgets.moderation import service
    from sora_widgets.publishing import prescreen

    checks = _count_calls(monkeypatch, service, "check_clip")
    clip = make(store)
    if encoded_first:
        clip.encoded()
    started, release = threading.Event(), threading.Event()

    def slow_progress(done, total):
        started.set()
        release.wait(10)  # holds the background check between its steps

    bg = threading.Thread(target=lambda: prescreen(store, clip, user="alice", on_progress=slow_progress))
    bg.start()
    assert started.wait(10)
    waiter_progress = []
    out = {}
    pub = threading.Thread(target=lambda: out.setdefault(
        "r", publish(store, clip, user="alice", on_progress=lambda d, t: waiter_progress.append((d, t)))))
    pub.start()
    pub.join(0.3)
    assert pub.is_alive()  # waiting for the running check, not starting its own
    release.set()
    bg.join(10)
    pub.join(10)
    assert len(checks) == 1 and out["r"].status == "published"
    assert waiter_progress and waiter_progress[-1] == (3, 3)
    assert _saved_content_hash(store, out["r"].clip_id) == clip.encoded().sha256


def test_a_clip_changed_while_it_was_checked_is_checked_again(store, monkeypatch):
    """The check found by the clip's arrays is used only if the bytes saved are the bytes it was filed under."""
    from sora_widgets.moderation import prescreen as ps
    from sora_widgets.moderation import service

    checks = _count_calls(monkeypatch, service, "check_clip")
    clip = make(store)
    ps.prescreen(store, clip, user="alice")
    clip.meta["prompt"] = "a different title"  # written into the MP4: other bytes, same arrays
    res = publish(store, clip, user="alice")
    assert len(checks) == 2 and _saved_content_hash(store, res.clip_id) == clip.encoded().sha256


# ------------------------------------------------------------------ property: no verdict without a check of these bytes
def test_publish_only_uses_a_verdict_computed_on_the_saved_bytes_for_that_user(tmp_path, monkeypatch):
    """Any mix of pre-screens, edits and publishes: every saved clip's verdict came from a check, by the
    service, of exactly the bytes stored, for the user who published them."""
    from hypothesis import HealthCheck, settings
    from hypothesis import strategies as st
    from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

    from sora_widgets.moderation import service
    from sora_widgets.publishing import prescreen

    checked: dict[int, tuple[str, str]] = {}  # id(verdict) -> (user, sha256 of the bytes checked)
    real = service.screen_clip

    def recording_screen_clip(store, clip, *, user, on_progress=None):
        verdict = real(store, clip, user=user, on_progress=on_progress)
        checked[id(verdict)] = (user, clip.encoded().sha256)
        return verdict

    monkeypatch.setattr(service, "screen_clip", recording_screen_clip)
    s = sw.open_store(tmp_path / "prop")
    for h in ("alice", "bob"):
        s.create_user(h, birthdate="1990-01-01")
    base = [make(s, prompt) for prompt in ("a blue ball rolls", "a red cube slides")]
    keep: list = []  # verdicts stay alive, so their ids are not reused

    class Publishing(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.clips = [sw.Clip(c.frames, c.audio, c.fps, c.sample_rate, dict(c.meta)) for c in base]
            self.saved: list[tuple[str, object, str]] = []

        @rule(i=st.integers(0, 1), user=st.sampled_from(["alice", "bob"]))
        def pre_screen(self, i, user):
            keep.append(prescreen(s, self.clips[i], user=user))

        @rule(i=st.integers(0, 1), level=st.integers(0, 255))
        def edit(self, i, level):
            clip = self.clips[i]
            clip.frames = np.full_like(clip.frames, level)

        @rule(i=st.integers(0, 1), user=st.sampled_from(["alice", "bob"]))
        def publish_it(self, i, user):
            res = publish(s, self.clips[i], user=user, status="draft")
            keep.append(res.verdict)
            self.saved.append((user, res.verdict, _saved_content_hash(s, res.clip_id)))

        @invariant()
        def every_saved_clip_was_checked_as_saved(self):
            for user, verdict, media_hash in self.saved:
                assert checked.get(id(verdict)) == (user, media_hash)

    Publishing.TestCase.settings = settings(max_examples=8, stateful_step_count=8, deadline=None,
                                            suppress_health_check=list(HealthCheck))
    Publishing.TestCase().runTest()


def test_a_clip_travels_by_pickle_with_its_encoding(store, monkeypatch):
    """A generation service (Ray, a process pool) pickles clips: the memoised bytes come along, still valid."""
    import pickle

    from sora_widgets import media

    clip = make(store)
    first = clip.encoded()
    encodes = _count_calls(monkeypatch, media, "_encode_mp4")
    copy = pickle.loads(pickle.dumps(clip))
    assert copy.encoded().sha256 == first.sha256 and not encodes
    copy.frames = np.full_like(copy.frames, 9)
    assert copy.encoded().sha256 != first.sha256 and len(encodes) == 1
