"""Cameos in a clip's pixels (issue 13 item 5): detections, false refusals and cost.

    nice .venv/bin/python benchmarks/cameo_pixels_bench.py            # the full corpus
    nice .venv/bin/python benchmarks/cameo_pixels_bench.py --small    # a quick slice

Four cameos are extracted with ``cameo.extract`` from ``cameo.synthetic`` clips (a cat, a mug and a
rocket cut from scikit-image photos, and the astronaut as a person). Then:

- **positives**: sim generations with each cameo (its recipe's ``cameo_ids`` would be stripped), and each
  cameo's cut-outs pasted into ordinary clips by hand (scaled 12-70 % of the frame height, moved,
  mirrored half the time, dimmed 0.6-1.0) and passed through an MP4 encode and decode;
- **negatives**: ordinary sim clips of many prompts (people, cats, dogs, balls, scenes), and uploads
  (scikit-image photos not used by any cameo, panned and zoomed, through MP4).

Prints the share of positives found (by the right cameo), the clips where a cameo was seen that is not
there (false refusals), and the search's cost per clip and per cameo (the time publish adds). Random
draws use fixed seeds.
"""

from __future__ import annotations

import argparse
import os
import time

import cv2
import numpy as np

from sora_widgets import cameo, generate
from sora_widgets.cameo import pixel_check, synthetic
from sora_widgets.media import Clip

#: Prompts of ordinary sim clips: none names a cameo.
NEGATIVE_PROMPTS = (
    "a person walks across a park",
    "two people run on a beach at sunset",
    "a cat jumps onto a sofa",
    "a dog chases a red ball on the grass",
    "a red ball bounces on a wooden floor",
    "three boxes fall onto a table",
    "a woman waves at the camera in the city",
    "a man kicks a football in a stadium",
    "a bird flies over the sea",
    "a blue bottle rolls off a shelf",
    "a skateboarder rides down a street at night",
    "a cup of coffee on a kitchen table, the camera zooms in",
)
#: scikit-image photos that no cameo here is cut from: ordinary uploads.
UPLOAD_PHOTOS = ("camera", "coins", "clock", "hubble_deep_field", "colorwheel", "moon", "retina", "cell", "page",
                 "logo")


def make_assets() -> dict[str, cameo.CameoAsset]:
    """The four cameos of the corpus, extracted as CameoMaker would (deterministic)."""
    assets = {}
    for subject in ("cat", "mug", "rocket"):
        clip, _, box, kind = synthetic.moving_cutout_clip(subject, "brick", seconds=1.0, fps=8, size=256, seed=1)
        assets[subject] = cameo.extract(clip, kind=kind, box=box, name=subject, with_voice=False)
    clip, _ = synthetic.astronaut_clip(seconds=1.0, fps=8)
    assets["astro"] = cameo.extract(clip, kind="person", name="astro", with_voice=False)
    return assets


def _photo_rgb(name: str) -> np.ndarray:
    import skimage.data

    img = np.asarray(getattr(skimage.data, name)())
    if img.dtype == bool:
        img = img.astype(np.uint8) * 255
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    return np.ascontiguousarray(img[..., :3])


def upload_clip(photo: str, *, size: int = 256, frames: int = 24, fps: int = 12, seed: int = 0) -> Clip:
    """An ordinary upload: ``photo`` panned and zoomed over ``frames`` frames, through an MP4 round trip."""
    rng = np.random.default_rng(seed)
    img = _photo_rgb(photo)
    h, w = img.shape[:2]
    out = np.zeros((frames, size, size, 3), np.uint8)
    z0, z1 = rng.uniform(1.0, 1.6, 2)
    for t in range(frames):
        u = t / max(frames - 1, 1)
        z = z0 + (z1 - z0) * u
        side = int(min(h, w) / z)
        x = int((w - side) * (0.2 + 0.6 * u))
        y = int((h - side) * 0.5)
        out[t] = cv2.resize(img[y : y + side, x : x + side], (size, size), interpolation=cv2.INTER_AREA)
    clip = Clip(out, np.zeros((1, 0), np.float32), fps, 16_000)
    return Clip.from_bytes(clip.to_mp4_bytes(), name="upload.mp4")


def paste(frames: np.ndarray, asset, *, seed: int) -> np.ndarray:
    """``asset``'s cut-outs pasted into a copy of ``frames`` as an attacker would: one random size
    (12-70 % of the frame height), a path across the frame, mirrored half the time, dimmed 0.6-1.0."""
    rng = np.random.default_rng(seed)
    out = frames.copy()
    T, H, W = out.shape[:3]
    cut = asset.cutouts
    alpha_any = (cut[..., 3] > 127).any(axis=0)
    ys, xs = np.flatnonzero(alpha_any.any(axis=1)), np.flatnonzero(alpha_any.any(axis=0))
    cut = cut[:, ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
    h = int(H * rng.uniform(0.12, 0.7))
    w = max(3, int(round(h * cut.shape[2] / cut.shape[1])))
    if w > W - 2:
        w = W - 2
        h = max(3, int(round(w * cut.shape[1] / cut.shape[2])))
    mirror = bool(rng.integers(0, 2))
    gain = rng.uniform(0.6, 1.0)
    x0, x1 = rng.uniform(0, W - w, 2)
    y0, y1 = rng.uniform(0, H - h, 2)
    for t in range(T):
        u = t / max(T - 1, 1)
        c = cv2.resize(cut[t % len(cut)], (w, h), interpolation=cv2.INTER_AREA).astype(np.float32)
        if mirror:
            c = c[:, ::-1]
        a = c[..., 3:] / 255.0
        x, y = int(x0 + (x1 - x0) * u), int(y0 + (y1 - y0) * u)
        region = out[t, y : y + h, x : x + w].astype(np.float32)
        out[t, y : y + h, x : x + w] = np.clip(region * (1 - a) + c[..., :3] * gain * a, 0, 255).astype(np.uint8)
    return out


def through_mp4(frames: np.ndarray, fps: float = 12) -> np.ndarray:
    clip = Clip(frames, np.zeros((1, 0), np.float32), fps, 16_000)
    return Clip.from_bytes(clip.to_mp4_bytes(), name="clip.mp4").frames


def sim_with(asset, seed: int, duration: float = 2.0) -> np.ndarray:
    prompt = {"person": "@{n} walks across a park", "animal": "@{n} jumps on the grass",
              "object": "@{n} falls onto a wooden table"}[asset.kind].format(n=asset.name)
    return generate(prompt, engine="sim", cameos=[asset], duration=duration, seed=seed).frames


def run(small: bool) -> None:
    t0 = time.perf_counter()
    assets = make_assets()
    keys = {name: pixel_check.key_cutouts(a.cutouts, a.still) for name, a in assets.items()}
    print(f"4 cameos extracted and keyed in {time.perf_counter() - t0:.1f} s "
          f"(key cut-outs: {', '.join(f'{k} {len(v)}' for k, v in keys.items())})")
    seeds = range(2) if small else range(6)
    pastes = range(3) if small else range(15)
    cost: list[float] = []
    cpu: list[float] = []

    def seen(frames) -> list[str]:
        t, c = time.perf_counter(), time.process_time()
        out = list(pixel_check.search(frames, keys))
        cost.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        return out

    # negatives
    neg_clips = []
    for p in NEGATIVE_PROMPTS[: 4 if small else None]:
        for s in seeds:
            neg_clips.append((f"sim {p!r} seed {s}", generate(p, engine="sim", duration=2.0, seed=s).frames))
    for i, photo in enumerate(UPLOAD_PHOTOS[: 3 if small else None]):
        neg_clips.append((f"upload {photo}", upload_clip(photo, seed=i).frames))
    false_hits = [(label, s) for label, fr in neg_clips if (s := seen(fr))]
    # positives
    found = total = 0
    misses = []
    for name, a in assets.items():
        for s in seeds:
            total += 1
            hit = seen(sim_with(a, s))
            found += name in hit
            if name not in hit:
                misses.append(f"sim {name} seed {s}")
            false_hits += [(f"sim {name} seed {s}", [h for h in hit if h != name])] if set(hit) - {name} else []
        for s in pastes:
            base = neg_clips[s % len(neg_clips)][1]
            total += 1
            hit = seen(through_mp4(paste(base, a, seed=100 + s)))
            found += name in hit
            if name not in hit:
                misses.append(f"paste {name} seed {100 + s}")
            false_hits += [(f"paste {name} seed {100 + s}", [h for h in hit if h != name])] if set(hit) - {name} else []
    per_clip, per_clip_cpu = float(np.median(cost)), float(np.median(cpu))
    print(f"positives found: {found}/{total} ({100 * found / total:.1f} %); missed: {', '.join(misses) or 'none'}")
    print(f"false sightings: {len(false_hits)} of {len(neg_clips)} ordinary clips (+ wrong cameos in positives): "
          f"{false_hits or 'none'}")
    print(f"search cost per clip ({len(keys)} cameos, {pixel_check.MAX_FRAMES} frames of 256x256 sampled): "
          f"median {1000 * per_clip:.0f} ms wall, {1000 * per_clip_cpu:.0f} ms CPU "
          f"({1000 * per_clip_cpu / len(keys):.0f} ms CPU per cameo); load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="a quick slice of the corpus")
    run(ap.parse_args().small)
