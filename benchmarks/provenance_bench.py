"""Robustness of the provenance marks (issue 16, acceptance): detection after common transforms, and no false finds.

For ``--clips`` sim clips (varied scenes, sizes 256-768, with and without speech):
burn the visible mark, embed the invisible picture and sound marks (one fresh
payload each, :mod:`sora_widgets.provenance.mark_id`), save the publish MP4
(``Clip.save``: H.264 crf 18 + AAC 192 kb/s) and register its per-second
fingerprints in an in-memory list. Then apply each transform with ffmpeg,
decode the result with PyAV and ask: did the picture mark give back this clip's
payload, did the sound mark, does the fingerprint match this clip (and no
other), and is the clip found by any of them ("made here")?

Transforms: H.264 crf 23 and crf 28 (sound copied), downscale x0.5 (+ crf 23),
10 % crop (a 90 % x 90 % window at a random place, + crf 23), crop + downscale
+ re-encode, 2x frame rate (``fps`` filter, frames repeated), trimming the first
second (video crf 23, AAC 128 kb/s), audio re-encoded to AAC 64 kb/s (video
copied), the picture alone (sound removed).

Then ``--negatives`` videos not made here, none of them marked: ffmpeg test
patterns (testsrc, testsrc2, smptebars, smptehdbars, rgbtestsrc, mandelbrot,
life, cellauto, gradients, colour noise) with varied sizes, rates and
parameters; the sample images of ``skimage.data`` panned and zoomed into
videos; numpy noise videos; each with a test tone, noise or no sound. Any
valid payload read from them, or a fingerprint match with a registered clip,
is a false "made here".

Also: PSNR of the picture mark (marked vs unmarked frames, the visible mark
already burned into both), embed milliseconds per frame, the sound mark's
mark-to-signal ratio (overall and segmental), and the time to check a 10 s
clip from its file (decode + both detectors + fingerprint).

Until ``sora_widgets.provenance.check`` exists this measures the detectors
and fingerprint matching directly (an in-memory registry of payloads and
fingerprints).

Usage: nice .venv/bin/python benchmarks/provenance_bench.py [--quick] [--clips 50] [--negatives 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sora_widgets as sw  # noqa: E402
from sora_widgets.provenance import fingerprint, mark_id, picture_mark, sound_mark, visible_mark  # noqa: E402

SCENES = [
    "a red ball bounces off the backboard",
    "a white cup falls on a wooden table in a bright kitchen",
    "a dark night street, rain falls on the cars",
    "a dog runs on green grass in the park",
    "glass bottles fall and shatter on concrete",
    "a blue ball rolls down a wooden ramp",
    "snow falls on a quiet forest at dusk",
    "a metal can drops onto a tiled floor",
    "a yellow ball bounces on a sandy beach at noon",
    "three balls collide on a pool table",
]
LINES = [
    'a man says "hello there, how are you today"',
    'a woman in a bright room says "this is my new song"',
    'a child at night says "look at the stars"',
    'a teacher says "open your books at page ten"',
    'a robot says "all systems are ready"',
]
SIZES = [(256, 256), (320, 256), (384, 384), (512, 288), (512, 512), (640, 360), (768, 432), (768, 768)]

X264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"]


def transforms(rng: random.Random) -> dict[str, list[str]]:
    """ffmpeg output arguments per transform (the crop window is placed at random)."""
    cx, cy = rng.random(), rng.random()
    crop = f"crop=trunc(iw*0.45)*2:trunc(ih*0.45)*2:(iw-ow)*{cx:.3f}:(ih-oh)*{cy:.3f}"
    half = "scale=trunc(iw/4)*2:trunc(ih/4)*2"
    return {
        "crf 23": [*X264, "-crf", "23", "-c:a", "copy"],
        "crf 28": [*X264, "-crf", "28", "-c:a", "copy"],
        "downscale x0.5": ["-vf", half, *X264, "-crf", "23", "-c:a", "copy"],
        "crop 10%": ["-vf", crop, *X264, "-crf", "23", "-c:a", "copy"],
        "crop + downscale + crf 23": ["-vf", f"{crop},{half}", *X264, "-crf", "23", "-c:a", "copy"],
        "2x frame rate": ["-vf", "fps=48", *X264, "-crf", "23", "-c:a", "copy"],
        "trim first 1 s": ["-ss", "1", *X264, "-crf", "23", "-c:a", "aac", "-b:a", "128k"],
        "audio AAC 64 kb/s": ["-c:v", "copy", "-c:a", "aac", "-b:a", "64k"],
        "picture only (no sound)": ["-c:v", "copy", "-an"],
    }


def ffmpeg(args: list[str]) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def decode(path: Path) -> tuple[np.ndarray, float, np.ndarray, int]:
    """(frames (T,H,W,3) uint8, fps, audio (C,N) float32 (may be empty), sample rate) of a file."""
    with av.open(str(path)) as container:
        vstream = container.streams.video[0]
        vstream.thread_type = "AUTO"  # decode on both cores, as a checker would
        fps = float(vstream.average_rate or 24)
        frames = np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])
    audio, rate = np.zeros((1, 0), np.float32), 48_000
    with av.open(str(path)) as container:
        if container.streams.audio:
            rate = container.streams.audio[0].rate
            chunks = []
            for frame in container.decode(audio=0):
                arr = frame.to_ndarray()
                if not frame.format.is_planar:
                    arr = arr.reshape(-1, len(frame.layout.channels)).T
                chunks.append(arr.astype(np.float32))
            if chunks:
                audio = np.concatenate(chunks, axis=1)
    return frames, fps, audio, rate


@dataclass
class Registry:
    """The in-memory stand-in for the Store's provenance registry: payload -> clip, fingerprints."""

    payloads: dict[int, int] = field(default_factory=dict)
    prints: list[fingerprint.Fingerprints] = field(default_factory=list)

    def add(self, payload: int, prints: fingerprint.Fingerprints) -> int:
        self.prints.append(prints)
        self.payloads[payload] = len(self.prints) - 1
        return len(self.prints) - 1

    def matches(self, prints: fingerprint.Fingerprints) -> list[fingerprint.Match]:
        return [fingerprint.match(prints, ref) for ref in self.prints]


@dataclass
class Verdict:
    picture: int | None  # payload read, or None
    sound: int | None
    fingerprint_hits: list[int]
    seconds: dict[str, float]
    scores: tuple[float, float] = (0.0, 0.0)  # sync z of the picture and sound detectors
    closest_bits: float = 64.0  # smallest mean pHash distance to any registered clip


def examine(path: Path, registry: Registry) -> Verdict:
    """Decode a file and run every detector on it (what a checker does), timing each step."""
    t0 = time.perf_counter()
    frames, fps, audio, rate = decode(path)
    t1 = time.perf_counter()
    pic = picture_mark.detect(frames)
    t2 = time.perf_counter()
    snd = sound_mark.detect(audio, rate) if audio.shape[-1] else mark_id.Detection(None, 0.0)
    t3 = time.perf_counter()
    matches = registry.matches(fingerprint.of_clip(frames, fps, audio, rate))
    hits = [i for i, m in enumerate(matches) if m.is_match]
    t4 = time.perf_counter()
    return Verdict(pic.payload, snd.payload, hits,
                   {"decode": t1 - t0, "picture": t2 - t1, "sound": t3 - t2, "fingerprint": t4 - t3},
                   (pic.score, snd.score), min((m.picture_bits for m in matches), default=64.0))


def make_clip(i: int, rng: random.Random) -> tuple[sw.Clip, bool, tuple[int, int]]:
    speech = i % 3 == 2
    prompt = LINES[i // 3 % len(LINES)] if speech else SCENES[i % len(SCENES)]
    width, height = SIZES[i % len(SIZES)]
    clip = sw.generate(prompt, seed=1000 + i, width=width, height=height, duration=rng.choice([4.0, 4.0, 5.0]))
    return clip, speech, (width, height)


def run_positives(n: int, work: Path, seed: int) -> tuple[dict, Registry]:
    rng = random.Random(seed)
    registry = Registry()
    stored: list[tuple[Path, int, int]] = []
    psnrs, embed_ms, msr_all, msr_seg = [], [], [], []
    for i in range(n):
        clip, speech, size = make_clip(i, rng)
        payload = mark_id.new_mark_id()
        burned = visible_mark.burn(clip.frames, clip.fps, visible_mark.label(f"creator{i}"))
        t0 = time.perf_counter()
        frames = picture_mark.embed(burned, payload)
        t1 = time.perf_counter()
        audio = sound_mark.embed(clip.audio, clip.sample_rate, payload)
        t2 = time.perf_counter()
        psnrs.append(picture_mark.psnr(burned, frames))
        embed_ms.append(((t1 - t0) + (t2 - t1)) / len(frames) * 1000)
        overall, segmental = sound_mark.mark_to_signal_db(clip.audio, audio, clip.sample_rate)
        if np.isfinite(overall):
            msr_all.append(overall)
            msr_seg.append(segmental)
        marked = sw.Clip(frames, audio, clip.fps, clip.sample_rate)
        path = work / f"clip{i:03d}.mp4"
        marked.save(path)
        index = registry.add(payload, fingerprint.of_clip(frames, clip.fps, audio, clip.sample_rate))
        stored.append((path, payload, index))
        print(f"  clip {i}: {size[0]}x{size[1]} {'speech' if speech else 'scene'} psnr {psnrs[-1]:.1f} dB", flush=True)

    rows: dict[str, dict[str, int]] = {}
    for path, payload, index in stored:
        for name, args in transforms(rng).items():
            out = work / f"t_{path.stem}.mp4"
            ffmpeg(["-i", str(path), *args, str(out)])
            v = examine(out, registry)
            row = rows.setdefault(name, {"n": 0, "picture": 0, "sound": 0, "fingerprint": 0, "any": 0, "wrong": 0,
                                         "sound_applicable": 0})
            pic_ok, snd_ok = v.picture == payload, v.sound == payload
            fp_ok = v.fingerprint_hits == [index] or (index in v.fingerprint_hits and len(v.fingerprint_hits) == 1)
            row["n"] += 1
            row["picture"] += pic_ok
            row["sound"] += snd_ok
            row["sound_applicable"] += name != "picture only (no sound)"
            row["fingerprint"] += fp_ok
            row["any"] += pic_ok or snd_ok or (index in v.fingerprint_hits)
            # A different clip's payload (or a fingerprint naming only other clips) would be a wrong attribution.
            row["wrong"] += (v.picture not in (None, payload)) or (v.sound not in (None, payload))
        print(f"  transformed {path.name}", flush=True)
    quality = {
        "psnr_db_min": min(psnrs), "psnr_db_median": statistics.median(psnrs),
        "embed_ms_per_frame_median": statistics.median(embed_ms),
        "msr_db_overall_max": max(msr_all) if msr_all else None,
        "msr_db_segmental_median": statistics.median(msr_seg) if msr_seg else None,
    }
    return {"rows": rows, "quality": quality}, registry


def _pattern_sources(rng: random.Random, n: int) -> list[str]:
    """lavfi video source expressions: ffmpeg's test patterns with varied sizes, rates and parameters."""
    out = []
    kinds = ["testsrc", "testsrc2", "smptebars", "smptehdbars", "rgbtestsrc", "mandelbrot", "life", "cellauto",
             "gradients", "noise"]
    for i in range(n):
        kind = kinds[i % len(kinds)]
        w, h = rng.choice([(256, 256), (320, 240), (384, 384), (512, 288), (640, 360), (768, 432)])
        r = rng.choice([15, 24, 25, 30])
        size = f"s={w}x{h}:r={r}"
        if kind == "life":
            src = f"life={size}:mold={rng.randint(0, 50)}:ratio={rng.uniform(0.05, 0.5):.2f}:seed={rng.randint(0, 9999)}"
        elif kind == "cellauto":
            src = f"cellauto={size}:rule={rng.choice([18, 30, 90, 110, 150])}:seed={rng.randint(0, 9999)}"
        elif kind == "mandelbrot":
            src = f"mandelbrot={size}:start_scale={rng.uniform(1, 4):.2f}:end_scale={rng.uniform(0.01, 0.5):.3f}"
        elif kind == "gradients":
            src = f"gradients={size}:speed={rng.uniform(0.001, 0.05):.3f}:seed={rng.randint(0, 9999)}"
        elif kind == "noise":
            src = f"color=c=0x{rng.randint(0, 0xFFFFFF):06x}:{size},noise=alls={rng.randint(5, 60)}:allf=t+u"
        else:
            src = f"{kind}={size}"
        out.append(src)
    return out


def _pan_image(image: np.ndarray, rng: random.Random, frames: int, size: tuple[int, int]) -> np.ndarray:
    """A video that pans and zooms across a still image."""
    import cv2

    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    image = image[..., :3]
    if image.dtype != np.uint8:
        image = (np.clip(image, 0, 1) * 255).astype(np.uint8) if image.max() <= 1 else image.astype(np.uint8)
    ih, iw = image.shape[:2]
    w, h = size
    out = np.empty((frames, h, w, 3), np.uint8)
    z0, z1 = rng.uniform(0.5, 1.0), rng.uniform(0.5, 1.0)
    x0, y0, x1, y1 = rng.random(), rng.random(), rng.random(), rng.random()
    for t in range(frames):
        a = t / max(1, frames - 1)
        zoom = z0 + (z1 - z0) * a
        cw, ch = max(16, int(iw * zoom)), max(16, int(ih * zoom))
        x = int((iw - cw) * (x0 + (x1 - x0) * a))
        y = int((ih - ch) * (y0 + (y1 - y0) * a))
        out[t] = cv2.resize(image[y : y + ch, x : x + cw], (w, h), interpolation=cv2.INTER_AREA)
    return out


def _sample_images() -> list[np.ndarray]:
    import skimage.data

    names = ["astronaut", "camera", "coffee", "chelsea", "rocket", "coins", "moon", "page", "text", "horse",
             "hubble_deep_field", "immunohistochemistry", "logo", "retina", "grass", "gravel", "brick", "clock",
             "colorwheel", "motorcycle_left", "cat", "cell", "microaneurysms", "checkerboard", "binary_blobs"]
    images = []
    for name in names:
        try:
            img = getattr(skimage.data, name)()
        except Exception:  # noqa: BLE001 - some samples need a download (pooch): skip those, offline
            continue
        if isinstance(img, tuple):
            img = img[0]
        img = np.asarray(img)
        if img.ndim in (2, 3) and min(img.shape[:2]) >= 64:
            images.append(img)
    return images


def run_negatives(n: int, work: Path, registry: Registry, seed: int) -> dict:
    rng = random.Random(seed)
    audio_sources = [None, "sine=f={f}:r=48000", "anoisesrc=c=pink:a=0.1:r=48000", "sine=f={f}:r=44100"]
    n_patterns = n // 2
    n_images = n // 3
    n_noise = n - n_patterns - n_images
    made_here, valid_payloads, fp_hits, kinds = 0, 0, 0, {}
    max_z = [0.0, 0.0]
    closest_bits = 64.0
    cases: list[tuple[str, Path]] = []
    for i, src in enumerate(_pattern_sources(rng, n_patterns)):
        dur = rng.choice([3, 4, 5])
        path = work / f"neg_pat{i:03d}.mp4"
        aud = rng.choice(audio_sources)
        args = ["-f", "lavfi", "-t", str(dur), "-i", src]
        if aud:
            args += ["-f", "lavfi", "-t", str(dur), "-i", aud.format(f=rng.randint(100, 3000))]
        ffmpeg([*args, *X264, "-crf", str(rng.choice([18, 23, 28])), "-c:a", "aac", "-shortest", str(path)])
        cases.append((src.split("=")[0], path))
    images = _sample_images()
    for i in range(n_images):
        size = rng.choice([(256, 256), (384, 384), (512, 288), (640, 360), (768, 432)])
        frames = _pan_image(images[i % len(images)], rng, rng.choice([72, 96, 120]), size)
        clip = sw.Clip(frames, np.zeros((1, 0), np.float32), 24, 48_000)
        path = work / f"neg_img{i:03d}.mp4"
        clip.save(path)
        cases.append(("skimage.data panned", path))
    nrng = np.random.default_rng(seed)
    for i in range(n_noise):
        w, h = rng.choice([(256, 256), (384, 384), (512, 288)])
        base = nrng.integers(0, 256, (1, h, w, 3))
        frames = np.clip(base + nrng.normal(0, rng.choice([5, 20, 60]), (72, h, w, 3)), 0, 255).astype(np.uint8)
        audio = (nrng.normal(0, 0.05, (2, 3 * 48_000))).astype(np.float32)
        clip = sw.Clip(frames, audio, 24, 48_000)
        path = work / f"neg_noise{i:03d}.mp4"
        clip.save(path)
        cases.append(("numpy noise", path))
    for kind, path in cases:
        v = examine(path, registry)
        valid = (v.picture is not None) + (v.sound is not None)
        known = (v.picture in registry.payloads) or (v.sound in registry.payloads)
        valid_payloads += valid
        fp_hits += bool(v.fingerprint_hits)
        made_here += bool(known or v.fingerprint_hits)
        kinds[kind] = kinds.get(kind, 0) + 1
        max_z = [max(max_z[0], v.scores[0]), max(max_z[1], v.scores[1])]
        closest_bits = min(closest_bits, v.closest_bits)
        path.unlink()
    return {"n": len(cases), "made_here": made_here, "valid_payloads": valid_payloads,
            "fingerprint_matches": fp_hits, "kinds": kinds, "max_sync_z": max_z,
            "closest_fingerprint_bits": closest_bits}


def time_check(work: Path) -> dict:
    """Seconds to check a marked 10 s clip from its file, per step, at 256x256 and 512x512 (median of 3)."""
    out = {}
    for size in (256, 512):
        clip = sw.generate("a red ball bounces off the backboard", seed=3, width=size, height=size, duration=10.0)
        payload = mark_id.new_mark_id()
        frames = picture_mark.embed(visible_mark.burn(clip.frames, clip.fps, visible_mark.label("timer")), payload)
        audio = sound_mark.embed(clip.audio, clip.sample_rate, payload)
        path = work / f"ten_{size}.mp4"
        sw.Clip(frames, audio, clip.fps, clip.sample_rate).save(path)
        registry = Registry()
        registry.add(payload, fingerprint.of_clip(frames, clip.fps, audio, clip.sample_rate))
        runs = [examine(path, registry) for _ in range(3)]
        assert runs[0].picture == payload and runs[0].sound == payload
        steps = {k: statistics.median(r.seconds[k] for r in runs) for k in runs[0].seconds}
        steps["total"] = statistics.median(sum(r.seconds.values()) for r in runs)
        out[f"{size}x{size}"] = steps
    return out


def table(result: dict) -> str:
    lines = ["| transform | clips | picture mark | sound mark | fingerprint | made here (any) | wrong id |",
             "|---|---|---|---|---|---|---|"]
    for name, row in result["positives"]["rows"].items():
        n = row["n"]
        snd = f"{100 * row['sound'] / n:.0f}%" if row["sound_applicable"] else "— (no sound)"
        lines.append(f"| {name} | {n} | {100 * row['picture'] / n:.0f}% | {snd} | "
                     f"{100 * row['fingerprint'] / n:.0f}% | {100 * row['any'] / n:.0f}% | {row['wrong']} |")
    neg = result["negatives"]
    q = result["positives"]["quality"]
    lines += ["", f"Videos not made here: {neg['n']} ({', '.join(f'{k} {v}' for k, v in neg['kinds'].items())}); "
              f"false \"made here\": {neg['made_here']}; valid payloads read: {neg['valid_payloads']}; "
              f"fingerprint matches: {neg['fingerprint_matches']}; highest sync z (picture, sound): "
              f"{neg['max_sync_z'][0]:.1f}, {neg['max_sync_z'][1]:.1f}; closest fingerprint: "
              f"{neg['closest_fingerprint_bits']:.1f} bits.",
              f"Picture mark PSNR: min {q['psnr_db_min']:.1f} dB, median {q['psnr_db_median']:.1f} dB; "
              f"embed (picture + sound) {q['embed_ms_per_frame_median']:.1f} ms/frame (median).",
              f"Sound mark: mark-to-signal ratio at most {q['msr_db_overall_max']:.1f} dB overall; "
              f"segmental median {q['msr_db_segmental_median']:.1f} dB."]
    for size, steps in result["check_10s"].items():
        lines.append(f"Checking a 10 s {size} clip from its file: " +
                     ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()) + ".")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="6 clips and 20 negatives (a smoke run)")
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--negatives", type=int, default=200)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args()
    if args.quick:
        args.clips, args.negatives = 6, 20
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="provenance-bench-") as tmp:
        work = Path(tmp)
        print(f"positives: {args.clips} sim clips x {len(transforms(random.Random(0)))} transforms", flush=True)
        positives, registry = run_positives(args.clips, work, args.seed)
        print(f"negatives: {args.negatives} videos not made here", flush=True)
        negatives = run_negatives(args.negatives, work, registry, args.seed)
        check = time_check(work)
    result = {"positives": positives, "negatives": negatives, "check_10s": check,
              "machine": f"{platform.machine()}, {platform.processor() or '?'}, cores={__import__('os').cpu_count()}",
              "wall_s": time.time() - started, "args": vars(args) | {"json": str(args.json)}}
    print()
    print(table(result))
    print(f"\nmachine: {result['machine']}; wall {result['wall_s']:.0f} s")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
