"""A cameo in the pixels, not only in the recipe (issue 13 item 5).

Someone who can read the store's files loads a cameo's asset (``CameoAsset.from_bytes(store.media_bytes(h))``),
then generates with it and deletes ``cameo_ids`` from the recipe, or pastes its cut-outs into frames of their
own. Publish must find the cameo in the pixels and refuse the clip unless the author has a recorded use.

Real store, real sim engine, real MP4 round trips; the cameos are cut from scikit-image photos by hand
(extraction is tested on its own) and every random draw has a fixed seed.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from sora_widgets import cameo, generate
from sora_widgets.cameo import pixel_check
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.publishing import publish

#: name -> (scikit-image photo, kind, ellipse centre (x, y), half-axes (ax, ay)) in the photo's pixels.
SUBJECTS = {
    "mug": ("coffee", "object", (300, 190), (120, 95)),
    "cat": ("chelsea", "animal", (250, 130), (95, 85)),
    "rocket": ("rocket", "object", (330, 230), (45, 150)),
}
#: Ordinary sim clips: no cameo in them.
ORDINARY_PROMPTS = (
    "a person walks across a park",
    "two people run on a beach at sunset",
    "a cat jumps onto a sofa",
    "a dog chases a red ball on the grass",
    "a woman waves at the camera in the city",
    "a red ball bounces on a wooden floor",
)


def photo_asset(name: str, frames: int = 4) -> CameoAsset:
    """A cameo asset cut from a scikit-image photo as an ellipse (its cut-outs drift by a pixel a frame)."""
    import skimage.data

    photo_name, kind, (cx, cy), (ax, ay) = SUBJECTS[name]
    photo = getattr(skimage.data, photo_name)()
    cuts = []
    for t in range(frames):
        patch = photo[cy - ay + t : cy + ay + t, cx - ax : cx + ax]
        yy, xx = np.mgrid[0 : 2 * ay, 0 : 2 * ax]
        alpha = ((((xx - ax) / ax) ** 2 + ((yy - ay) / ay) ** 2) <= 1.0).astype(np.uint8) * 255
        cuts.append(np.dstack([patch, alpha]))
    cut = np.stack(cuts).astype(np.uint8)
    masks = np.zeros((frames, 64, 64), bool)
    masks[:, 8:56, 8:56] = True
    return CameoAsset(kind, masks, [(8, 8, 56, 56)] * frames, cut, cut[0], 8.0, name=name)


def ordinary_frames(prompt: str = ORDINARY_PROMPTS[0], seed: int = 0) -> np.ndarray:
    return generate(prompt, engine="sim", duration=1.0, fps=12, seed=seed).frames


def through_mp4(frames: np.ndarray) -> np.ndarray:
    return Clip.from_bytes(Clip(frames, np.zeros((1, 0), np.float32), 12, 16_000).to_mp4_bytes(), name="c.mp4").frames


def paste(frames: np.ndarray, asset: CameoAsset, *, height: float, x: float, y: float, mirror: bool,
          gain: float) -> np.ndarray:
    """``asset``'s cut-outs pasted into a copy of ``frames`` as an attacker would: ``height`` (fraction of the
    frame), top-left at (``x``, ``y``) (fractions of the room left), mirrored or not, dimmed by ``gain``."""
    out = frames.copy()
    T, H, W = out.shape[:3]
    h = int(H * height)
    w = int(round(h * asset.cutouts.shape[2] / asset.cutouts.shape[1]))
    X, Y = int((W - w) * x), int((H - h) * y)
    for t in range(T):
        c = cv2.resize(asset.cutouts[t % len(asset.cutouts)], (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        if mirror:
            c = c[:, ::-1]
        a = c[..., 3:] / 255.0
        region = out[t, Y : Y + h, X : X + w].astype(np.float32)
        out[t, Y : Y + h, X : X + w] = np.clip(region * (1 - a) + c[..., :3] * gain * a, 0, 255).astype(np.uint8)
    return out


@pytest.fixture(scope="module")
def keys():
    return {n: pixel_check.key_cutouts(photo_asset(n).cutouts, photo_asset(n).still) for n in SUBJECTS}


# ------------------------------------------------------------------ the search itself
#: (height, x, y, mirror, gain): small to big, every corner, mirrored, dimmed as a dark scene draws it.
PASTES = [
    (0.2, 0.1, 0.2, False, 1.0),
    (0.3, 0.9, 0.8, True, 0.7),
    (0.45, 0.5, 0.1, False, 0.6),
    (0.6, 0.0, 1.0, True, 0.9),
    (0.75, 1.0, 0.0, False, 0.8),
]


@pytest.mark.slow  # about 5 s each on an idle machine, 14 s at load 15
@pytest.mark.parametrize("name", sorted(SUBJECTS))
def test_pasted_cutouts_are_found_scaled_moved_mirrored_dimmed(keys, name):
    base = ordinary_frames("a dog chases a red ball on the grass")
    asset = photo_asset(name)
    for height, x, y, mirror, gain in PASTES:
        if name == "rocket" and height > 0.6:
            height = 0.6  # tall and thin: 0.75 of the frame leaves no room to move it
        frames = through_mp4(paste(base, asset, height=height, x=x, y=y, mirror=mirror, gain=gain))
        seen = pixel_check.search(frames, keys)
        assert set(seen) == {name}, (height, x, y, mirror, gain, {k: v[0] for k, v in seen.items()})
        score, i, (x0, y0, x1, y1), mirrored = seen[name]
        assert score >= pixel_check.MATCH_MIN and mirrored == mirror
        H, W = frames.shape[1:3]  # the box is where it was drawn (a thin cut-out may be matched by a part of it)
        h = int(H * height)
        w = int(round(h * asset.cutouts.shape[2] / asset.cutouts.shape[1]))
        X, Y = int((W - w) * x), int((H - h) * y)
        assert X <= (x0 + x1) / 2 <= X + w and Y <= (y0 + y1) / 2 <= Y + h
        assert 0.6 * h <= y1 - y0 <= 1.2 * h


def test_the_sim_engine_drawing_a_cameo_is_found(keys):
    for name in SUBJECTS:
        asset = photo_asset(name)
        prompt = f"@{name} falls onto a wooden table" if asset.kind == "object" else f"@{name} jumps on the grass"
        clip = generate(prompt, engine="sim", cameos=[asset], duration=1.0, fps=12, seed=2)
        assert set(pixel_check.search(clip.frames, keys)) == {name}


def test_ordinary_clips_show_no_cameo(keys):
    """No false sighting on ordinary sim clips and an upload (people, cats, dogs: the kinds cameos replace)."""
    for i, prompt in enumerate(ORDINARY_PROMPTS):
        assert pixel_check.search(ordinary_frames(prompt, seed=i), keys) == {}, prompt
    import skimage.data

    photo = cv2.resize(skimage.data.astronaut(), (128, 128), interpolation=cv2.INTER_AREA)
    upload = through_mp4(np.stack([np.roll(photo, 3 * t, axis=1) for t in range(8)]))
    assert pixel_check.search(upload, keys) == {}


def test_a_flat_cutout_is_not_searched():
    """A cut-out of one colour looks like any plain patch: it proves nothing, so it is not looked for."""
    cut = np.full((2, 40, 40, 4), 200, np.uint8)
    assert pixel_check.key_cutouts(cut, cut[0]) == []
    assert pixel_check.find_cutouts(np.full((4, 64, 64, 3), 200, np.uint8), []) is None


def test_a_sighting_needs_two_frames_or_a_strong_match(keys):
    """One sampled frame scoring between MATCH_MIN and STRONG_MATCH is not enough (a look-alike in one frame)."""
    base = ordinary_frames()
    pasted = through_mp4(paste(base, photo_asset("mug"), height=0.4, x=0.5, y=0.5, mirror=False, gain=1.0))
    twice = pixel_check.find_cutouts(pasted[:1].repeat(2, axis=0), keys["mug"])  # the same frame, sampled twice
    assert twice is not None
    only_first = base.copy()
    only_first[0] = pasted[0]  # frame 0 is always sampled
    once = pixel_check.find_cutouts(only_first, keys["mug"])
    assert (once is not None) == (twice[0] >= pixel_check.STRONG_MATCH)
    assert once is None or once[1] == 0


# ------------------------------------------------------------------ publish
def _tiny_clip(tag: str) -> Clip:
    rng = np.random.default_rng(sum(map(ord, tag)))
    return Clip(rng.integers(0, 255, (2, 32, 32, 3), dtype=np.uint8), np.zeros((1, 0), np.float32), 8, 16_000)


@pytest.fixture
def people(store):
    for h in ("alice", "bob", "carol"):
        store.create_user(h, birthdate="1990-05-01")
    return store


def _cameo(store, owner: str, name: str, audience: str = "only_me") -> str:
    return cameo.create(store, owner=owner, clip=_tiny_clip(name), kind=SUBJECTS[name][1], name=name,
                        asset=photo_asset(name), audience=audience)


def _from_files(store, cameo_id: str) -> CameoAsset:
    """What a notebook user with the store on disk can do: read the asset without cameo.use."""
    h = store.sql("SELECT asset_hash FROM cameos WHERE cameo_id = ?", [cameo_id]).asset_hash[0]
    asset = CameoAsset.from_bytes(store.media_bytes(h))
    asset.name = store.sql("SELECT name FROM cameos WHERE cameo_id = ?", [cameo_id]).name[0]
    return asset


def _stripped(clip: Clip) -> Clip:
    """The clip with its recipe's cameo ids deleted."""
    recipe = dict(clip.meta.get("recipe") or {})
    recipe["cameo_ids"] = []
    return clip.with_meta(recipe=recipe)


def _counts(store) -> tuple[int, int]:
    return (int(store.sql("SELECT count(*) n FROM clips").n[0]),
            int(store.sql("SELECT count(*) n FROM cameo_uses WHERE clip_id IS NOT NULL").n[0]))


@pytest.mark.slow  # the output check of a first publish warms its detectors
def test_publish_refuses_a_generation_whose_recipe_was_stripped(people):
    cid = _cameo(people, "alice", "mug")  # only alice may use it
    clip = generate("@mug falls onto a wooden table", engine="sim", cameos=[_from_files(people, cid)],
                    duration=1.0, fps=12, seed=3)
    before = _counts(people)
    with pytest.raises(PermissionError, match=r"@mug is shown in its pictures \(frame \d+\), and you never obtained"):
        publish(people, _stripped(clip), user="bob")
    assert _counts(people) == before  # nothing saved, no use linked
    assert cameo.uses(people, cid, by="alice").empty


def test_publish_refuses_cutouts_pasted_into_an_upload(people):
    cid = _cameo(people, "alice", "cat", audience="everyone")
    frames = through_mp4(paste(ordinary_frames(), _from_files(people, cid), height=0.5, x=0.3, y=0.6, mirror=True,
                               gain=0.8))
    upload = Clip(frames, np.zeros((1, 0), np.float32), 12, 16_000)
    before = _counts(people)
    # Even a cameo everyone may use needs its use recorded (the owner sees every clip showing it).
    with pytest.raises(PermissionError, match="@cat is shown in its pictures"):
        publish(people, upload, user="bob")
    assert _counts(people) == before


def test_a_recorded_use_lets_the_clip_through_and_the_owner_sees_it(people):
    cid = _cameo(people, "alice", "mug", audience="everyone")
    asset = cameo.use(people, cid, user="bob")
    clip = generate("@mug falls onto a wooden table", engine="sim", cameos=[asset], duration=1.0, fps=12, seed=3)
    res = publish(people, _stripped(clip), user="bob")  # found in the pixels, linked to bob's recorded use
    assert res.status == "published"
    assert list(cameo.uses(people, cid, by="alice").clip_id) == [res.clip_id]


def test_the_owner_may_show_their_own_cameo(people):
    cid = _cameo(people, "alice", "mug")
    frames = through_mp4(paste(ordinary_frames(), _from_files(people, cid), height=0.4, x=0.5, y=0.5, mirror=False,
                               gain=1.0))
    assert pixel_check.cameos_in_pixels(people, frames, user="bob")[0].cameo_id == cid
    assert pixel_check.cameos_in_pixels(people, frames, user="alice") == []
    res = publish(people, Clip(frames, np.zeros((1, 0), np.float32), 12, 16_000), user="alice")
    assert res.status == "published"


def test_a_revoked_cameo_in_the_pixels_is_refused_even_after_a_past_use(people):
    cid = _cameo(people, "alice", "rocket", audience="everyone")
    cameo.use(people, cid, user="bob")
    cameo.revoke(people, cid, by="alice")
    frames = through_mp4(paste(ordinary_frames(), photo_asset("rocket"), height=0.5, x=0.2, y=0.5, mirror=False,
                               gain=1.0))
    with pytest.raises(PermissionError, match="@rocket is shown in its pictures.*revoked"):
        publish(people, Clip(frames, np.zeros((1, 0), np.float32), 12, 16_000), user="bob")


def test_ordinary_clips_publish_with_cameos_in_the_store(people):
    for name in SUBJECTS:
        _cameo(people, "alice", name, "everyone")
    for i, prompt in enumerate(ORDINARY_PROMPTS[:3]):
        clip = generate(prompt, engine="sim", duration=1.0, fps=12, seed=i)
        assert publish(people, clip, user="carol").status == "published"
