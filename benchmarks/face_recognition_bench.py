"""A stored cameo's face recognised at publish (issue 13 item 5): match rates, false matches and cost.

    nice .venv/bin/python benchmarks/face_recognition_bench.py
    nice .venv/bin/python benchmarks/face_recognition_bench.py --small     # fewer conditions, 10/100 cameos

Faces photographed by others that ship in our packages: scikit-image's astronaut (Eileen Collins) and
matplotlib's Grace Hopper are enrolled as two person cameos (the astronaut from ``cameo.synthetic``'s clip,
as a cameo upload is; Hopper from her photo panned). Then:

- **same person**: each photo rotated -25..25 degrees, scaled to a 96-1080 px frame, lit at 100 % or 35 %,
  through an MP4 encode and decode; matched when the right cameo is within ``MATCH_DISTANCE``. Reported for
  every condition, and for those where the face is at least ``MIN_FACE_PX`` tall (the documented limit);
- **other faces**: each photo against the other person's cameo; scikit-image's LFW subset (100 faces of
  other people, 25 px, shown at 120 px on a grey frame); the cameraman (``skimage.data.camera``);
- **non-faces**: the LFW subset's 100 non-face patches, and scikit-image photos of cats, mugs, rockets,
  coins and scenes;
- **cost**: ``recognise.faces_in_pixels`` on a 6-frame 512 px clip with one face, with 10, 100 and 1000
  person cameos stored (descriptors of LFW faces, perturbed), against the cut-out search's cost per cameo.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from sora_widgets.cameo import faces, recognise, synthetic
from sora_widgets.media import Clip


def photo(name: str) -> np.ndarray:
    if name == "hopper":
        import matplotlib

        path = Path(matplotlib.__file__).parent / "mpl-data" / "sample_data" / "grace_hopper.jpg"
        return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    import skimage.data

    img = getattr(skimage.data, name)()
    return np.repeat(img[..., None], 3, axis=2) if img.ndim == 2 else img[..., :3]


def through_mp4(frames: np.ndarray) -> np.ndarray:
    return Clip.from_bytes(Clip(frames, np.zeros((1, 0), np.float32), 8, 16_000).to_mp4_bytes(), name="b.mp4").frames


def transformed(img: np.ndarray, angle: float, side: int, gain: float, n: int = 4) -> np.ndarray:
    """``n`` frames of ``img`` rotated by ``angle`` degrees, drifting 3 px a frame, longest side ``side`` px,
    lit at ``gain``, through an MP4."""
    h, w = img.shape[:2]
    out = []
    k = side / max(h, w)
    for t in range(n):
        m = cv2.getRotationMatrix2D((w / 2 + 3 * t, h / 2), angle, 1.0)
        rot = cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT)
        size = (max(2, round(w * k) // 2 * 2), max(2, round(h * k) // 2 * 2))
        small = cv2.resize(rot, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
        out.append(np.clip(small * gain, 0, 255).astype(np.uint8))
    return through_mp4(np.stack(out))


def clip_faces(frames: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """(face height px, descriptor) of every face in the frames (the frames publish samples)."""
    out = []
    for i in sorted({int(round(x)) for x in np.linspace(0, len(frames) - 1, min(recognise.FACE_FRAMES, len(frames)))}):
        for box, vec in recognise.embed_faces(frames[i], min_face_px=0):
            out.append((box[3] - box[1], vec))
    return out


def enrolled() -> dict[str, np.ndarray]:
    astro, _ = synthetic.astronaut_clip(size=256, seconds=1.0, fps=8)
    hop = transformed(photo("hopper"), 0, 384, 1.0, n=8)
    return {"astronaut": recognise.enrol(astro.frames), "hopper": recognise.enrol(hop)}


def same_person(people: dict[str, np.ndarray], small: bool) -> None:
    angles = (-25, 0, 25) if small else (-25, -12, 0, 12, 25)
    sides = (96, 256, 1080) if small else (96, 160, 256, 384, 640, 1080)
    names = list(people)
    index = recognise.FaceIndex([(n, n, "x") for n in names], np.stack([people[n] for n in names]))
    rows = {"all": [0, 0], "big": [0, 0]}
    cross = [0, 0]
    worst_same, best_other = 0.0, 9.0
    for name in names:
        for angle in angles:
            for side in sides:
                for gain in (1.0, 0.35):
                    found = clip_faces(transformed(photo(name), angle, side, gain))
                    d = index.distances(np.stack([v for _, v in found])) if found else np.zeros((0, len(names)))
                    me, other = names.index(name), 1 - names.index(name)
                    hit = bool(len(d)) and float(d[:, me].min()) <= recognise.MATCH_DISTANCE
                    big = bool(found) and max(h for h, _ in found) >= recognise.MIN_FACE_PX
                    rows["all"][0] += hit
                    rows["all"][1] += 1
                    if big:
                        rows["big"][0] += hit
                        rows["big"][1] += 1
                        worst_same = max(worst_same, float(d[:, me].min()))
                    if len(d):
                        best_other = min(best_other, float(d[:, other].min()))
                        cross[0] += float(d[:, other].min()) <= recognise.MATCH_DISTANCE
                    cross[1] += 1
                    print(f"  {name:9s} {angle:+4d} deg {side:5d} px light {gain:.2f}: "
                          f"{'matched' if hit else 'missed '} face {max((h for h, _ in found), default=0):4d} px, "
                          f"distance {float(d[:, me].min()) if len(d) else float('nan'):.3f}")
    print(f"same person matched: {rows['all'][0]}/{rows['all'][1]} conditions; "
          f"with the face >= {recognise.MIN_FACE_PX} px: {rows['big'][0]}/{rows['big'][1]} "
          f"(largest same-person distance there {worst_same:.3f})")
    print(f"the other person's cameo matched: {cross[0]}/{cross[1]} (smallest distance {best_other:.3f})")


def others(people: dict[str, np.ndarray]) -> None:
    import skimage.data

    names = list(people)
    index = recognise.FaceIndex([(n, n, "x") for n in names], np.stack([people[n] for n in names]))
    lfw = skimage.data.lfw_subset()
    canvas = np.full((256, 256, 3), 128, np.uint8)

    def framed(patch: np.ndarray) -> np.ndarray:
        img = canvas.copy()
        face = cv2.resize((patch * 255).astype(np.uint8), (120, 120), interpolation=cv2.INTER_CUBIC)
        img[68:188, 68:188] = face[..., None]
        return img

    def count(frames_list) -> tuple[int, int, int, float]:
        seen = matched = 0
        closest = 9.0
        for frame in frames_list:
            found = recognise.embed_faces(frame, min_face_px=0)
            seen += bool(found)
            if found:
                d = index.distances(np.stack([v for _, v in found]))
                closest = min(closest, float(d.min()))
                matched += float(d.min()) <= recognise.MATCH_DISTANCE
        return len(frames_list), seen, matched, closest

    n, seen, matched, closest = count([framed(p) for p in lfw[:100]])
    print(f"other people (LFW subset, 120 px): {n} faces, {seen} found, {matched} matched a cameo "
          f"(closest {closest:.3f})")
    n, seen, matched, closest = count([photo("camera")])
    print(f"other people (cameraman): {n}, {seen} found, {matched} matched (closest {closest:.3f})")
    scenes = [photo(x) for x in ("chelsea", "coffee", "rocket", "coins", "brick", "grass", "gravel", "moon",
                                 "page", "text", "hubble_deep_field", "retina", "cell", "immunohistochemistry",
                                 "clock")]
    scenes += [t for img in scenes[:6] for t in (cv2.rotate(img, cv2.ROTATE_90_CLOCKWISE), (img * 0.35).astype(np.uint8))]
    n, seen, matched, closest = count([framed(p) for p in lfw[100:]] + scenes)
    print(f"non-faces (LFW non-face patches, {len(scenes)} photos and variants): {n}, a face found in {seen}, "
          f"{matched} matched a cameo (closest {closest if seen else float('nan'):.3f})")


def cost(people: dict[str, np.ndarray], counts: tuple[int, ...]) -> None:
    import skimage.data

    from sora_widgets.store import open_store

    lfw = skimage.data.lfw_subset()
    rng = np.random.default_rng(0)
    pool = [recognise.embed_faces(np.repeat(cv2.resize((p * 255).astype(np.uint8), (150, 150))[..., None], 3, 2),
                                  min_face_px=0) for p in lfw[:100]]
    pool = [f[0][1] for f in pool if f] or [people["hopper"]]
    frames = through_mp4(np.stack([cv2.resize(photo("astronaut"), (512, 512))] * 6))
    for n in counts:
        with tempfile.TemporaryDirectory(prefix="r_facebench_") as home:
            store = open_store(home)
            store.create_user("alice", birthdate="1990-05-01")
            with store.transaction() as con:
                for i in range(n):
                    cid = f"cm{i:05d}"
                    con.execute("INSERT INTO cameos (cameo_id, owner, kind, name, audience, asset_hash) "
                                "VALUES (?, 'alice', 'person', ?, 'everyone', 'bench')", [cid, f"p{i}"])
                    vec = pool[i % len(pool)] + rng.normal(0, 0.02, recognise.DIM).astype(np.float32)
                    recognise.remember(con, cid, vec)
            recognise.faces_in_pixels(store, frames, user="bob")  # warm: models loaded
            times, index_times = [], []
            for _ in range(3):
                t = time.perf_counter()
                recognise.face_index(store, exclude_owner="bob")
                index_times.append(time.perf_counter() - t)
                t = time.perf_counter()
                seen = recognise.faces_in_pixels(store, frames, user="bob")
                times.append(time.perf_counter() - t)
            print(f"  {n:5d} stored person cameos: face check {1000 * min(times):6.1f} ms per publish "
                  f"(of which reading the index {1000 * min(index_times):5.1f} ms); {len(seen)} recognised")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--small", action="store_true", help="fewer conditions; 10 and 100 cameos")
    ap.add_argument("--cost", action="store_true", help="only the cost at 10/100/1000 stored cameos")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; detector side {faces.DETECT_SIDE_PX} px; "
          f"MATCH_DISTANCE {recognise.MATCH_DISTANCE}; MIN_FACE_PX {recognise.MIN_FACE_PX}")
    t = time.perf_counter()
    people = enrolled()
    print(f"enrolled 2 cameos in {time.perf_counter() - t:.2f} s (model load included)")
    print(f"distance between the two enrolled people: {float(np.linalg.norm(people['astronaut'] - people['hopper'])):.3f}")
    if not args.cost:
        same_person(people, args.small)
        others(people)
    cost(people, (10, 100) if args.small else (10, 100, 1000))
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
