"""A stored person cameo's *face* recognised at publish (issue 13 item 5).

The cut-out search (``test_cameo_pixels.py``) finds a cameo's own pixels. Here the clip shows the cameo's
person in pictures that are not its cut-outs (the asset is a mug; the clip is the astronaut photo rotated,
rescaled, dimmed and re-encoded): only face recognition can tell. Real store, real MP4s, real dlib network.
The person cameo is written as one made before migration 012 (no face row), so the first publish also
enrols it from its stored source clip (the lazy backfill).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import cameo, generate
from sora_widgets.cameo import pixel_check, recognise, synthetic
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.publishing import publish
from sora_widgets.store import open_store


def _photo(name: str) -> np.ndarray:
    if name == "hopper":
        from pathlib import Path

        import matplotlib

        path = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
        return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    import skimage.data

    return getattr(skimage.data, name)()


def face_clip(name: str = "astronaut", *, angle: float = 15.0, side: int = 256, gain: float = 0.6, n: int = 6) -> Clip:
    """A 'new recording' of the person in a photo: rotated by ``angle`` degrees, ``side`` px, drifting, lit at
    ``gain``, through an MP4."""
    img = _photo(name)
    h, w = img.shape[:2]
    frames = []
    for t in range(n):
        m = cv2.getRotationMatrix2D((w / 2 + 3 * t, h / 2), angle, 1.0)
        rot = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        k = side / max(h, w)
        frames.append(np.clip(cv2.resize(rot, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA) * gain,
                              0, 255).astype(np.uint8))
    clip = Clip(np.stack(frames), np.zeros((1, 0), np.float32), 8, 16_000)
    return Clip.from_bytes(clip.to_mp4_bytes(), name="c.mp4")


def _mug_asset() -> CameoAsset:
    cut = np.zeros((2, 40, 40, 4), np.uint8)
    cut[..., :3] = _photo("coffee")[150:190, 280:320]
    cut[..., 3] = 255
    masks = np.zeros((2, 64, 64), bool)
    masks[:, 8:48, 8:48] = True
    return CameoAsset("object", masks, [(8, 8, 48, 48)] * 2, cut, cut[0], 8.0)


def person_cameo(store, owner: str = "alice", name: str = "astro", audience: str = "only_me") -> str:
    """A person cameo of the astronaut as one made before migration 012: its source clip is stored, its face is
    not (the next publish enrols it). Its asset is a mug, so no cut-out of it is in any face clip."""
    source, _ = synthetic.astronaut_clip(size=192, seconds=1.0, fps=8)
    cid = cameo.create(store, owner=owner, clip=source, kind="object", name=name, asset=_mug_asset(),
                       audience=audience)
    with store.transaction() as con:
        con.execute("UPDATE cameos SET kind = 'person' WHERE cameo_id = ?", [cid])
    return cid


@pytest.fixture
def people(store):
    for h in ("alice", "bob", "carol"):
        store.create_user(h, birthdate="1990-05-01")
    return store


@pytest.fixture(scope="module")
def astronaut_clip() -> Clip:
    return face_clip()


def _counts(store) -> tuple[int, int]:
    return (int(store.sql("SELECT count(*) n FROM clips").n[0]),
            int(store.sql("SELECT count(*) n FROM cameo_uses WHERE clip_id IS NOT NULL").n[0]))


def test_a_stored_face_without_a_recorded_use_is_refused(people, astronaut_clip):
    cid = person_cameo(people, audience="everyone")
    assert pixel_check.search(astronaut_clip.frames, {cid: pixel_check.key_cutouts(_mug_asset().cutouts)}) == {}
    before = _counts(people)
    with pytest.raises(PermissionError, match=r"the face of @astro is recognised in its pictures \(frame \d+\), "
                                              "and you never obtained it with cameo.use"):
        publish(people, astronaut_clip, user="bob")
    assert _counts(people) == before
    # Enrolled lazily from its stored source clip, once.
    row = people.sql("SELECT embedding, model FROM cameo_faces WHERE cameo_id = ?", [cid])
    assert len(row) == 1 and len(bytes(row.embedding[0])) == 4 * recognise.DIM
    assert row.model[0] == recognise.MODEL_NAME


def test_the_owner_and_a_recorded_user_pass(people, astronaut_clip):
    cid = person_cameo(people, audience="everyone")
    assert publish(people, astronaut_clip, user="alice").status == "published"  # her own face
    cameo.use(people, cid, user="bob")
    res = publish(people, astronaut_clip, user="bob")
    assert res.status == "published"
    assert res.clip_id in set(cameo.uses(people, cid, by="alice").clip_id)


@pytest.mark.slow
def test_a_revoked_face_is_refused_even_after_a_use(people, astronaut_clip):
    cid = person_cameo(people, audience="everyone")
    cameo.use(people, cid, user="bob")
    cameo.revoke(people, cid, by="alice")
    with pytest.raises(PermissionError, match="the face of @astro is recognised.*revoked"):
        publish(people, astronaut_clip, user="bob")


@pytest.mark.slow  # three publishes
def test_other_faces_and_ordinary_clips_pass_and_deleting_forgets_the_face(people):
    cid = person_cameo(people)
    assert publish(people, face_clip("hopper", angle=-10), user="bob").status == "published"
    sim = generate("a woman waves at the camera in the city", engine="sim", duration=1.0, fps=12, seed=1)
    assert publish(people, sim, user="carol").status == "published"
    assert len(people.sql("SELECT 1 FROM cameo_faces WHERE cameo_id = ?", [cid])) == 1
    cameo.delete(people, cid, by="alice")
    assert len(people.sql("SELECT 1 FROM cameo_faces WHERE cameo_id = ?", [cid])) == 0


@pytest.mark.parametrize("angle,side,gain", [
    (-25, 480, 1.0),
    pytest.param(25, 300, 0.35, marks=pytest.mark.slow),  # her face ~58 px tall: MIN_FACE_PX is 48
    pytest.param(0, 1080, 0.5, marks=pytest.mark.slow),
])
def test_the_face_is_recognised_rotated_rescaled_and_dimmed(people, angle, side, gain):
    cid = person_cameo(people)
    seen = recognise.faces_in_pixels(people, face_clip(angle=angle, side=side, gain=gain).frames, user="bob")
    assert [s.cameo_id for s in seen] == [cid] and seen[0].distance <= recognise.MATCH_DISTANCE


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 40), st.integers(1, 6), st.integers(0, 2**31 - 1))
def test_the_index_finds_what_a_loop_over_cameos_finds(n, m, seed):
    rng = np.random.default_rng(seed)
    stored = rng.normal(0, 0.1, (n, recognise.DIM)).astype(np.float32)
    index = recognise.FaceIndex([(f"cm{i}", f"c{i}", "x") for i in range(n)], stored)
    probe = rng.normal(0, 0.1, (m, recognise.DIM)).astype(np.float32)
    if n:
        probe[0] = stored[rng.integers(n)] + rng.normal(0, 0.01, recognise.DIM)
    d = index.distances(probe)
    loop = np.array([[np.linalg.norm(p - s) for s in stored] for p in probe]).reshape(m, n)
    assert np.allclose(d, loop, atol=1e-4)


# ------------------------------------------------------------------ the rule, whatever the order
OPS = st.lists(st.one_of(
    st.tuples(st.just("use"), st.sampled_from(("bob", "carol"))),
    st.tuples(st.just("revoke"), st.just("alice")),
    st.tuples(st.just("audience"), st.sampled_from(("only_me", "everyone"))),
    st.tuples(st.just("publish"), st.sampled_from(("alice", "bob", "carol"))),
), min_size=1, max_size=6)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(ops=OPS)
def test_a_clip_with_a_stored_face_is_published_only_by_the_owner_or_a_permitted_recorded_use(
        tmp_path_factory, astronaut_clip, ops):
    store = open_store(tmp_path_factory.mktemp("faces"))
    for h in ("alice", "bob", "carol"):
        store.create_user(h, birthdate="1990-05-01")
    cid = person_cameo(store)
    audience, revoked, used = "only_me", False, set()
    for kind, arg in ops + [("publish", "bob")]:
        if kind == "use":
            allowed = not revoked and audience == "everyone"
            if allowed:
                cameo.use(store, cid, user=arg)
                used.add(arg)
            else:
                with pytest.raises(PermissionError):
                    cameo.use(store, cid, user=arg)
        elif kind == "revoke":
            cameo.revoke(store, cid, by=arg)
            revoked = True
        elif kind == "audience" and not revoked:
            cameo.set_audience(store, cid, by="alice", audience=arg)
            audience = arg
        elif kind == "publish":
            ok = arg == "alice" or (arg in used and not revoked and audience == "everyone")
            if ok:
                assert publish(store, astronaut_clip, user=arg).status == "published"
            else:
                with pytest.raises(PermissionError, match="the face of @astro"):
                    publish(store, astronaut_clip, user=arg)
