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
