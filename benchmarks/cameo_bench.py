"""Cameo benchmark: extraction speed and the cost of a cameo in a sim generation.

    .venv/bin/python benchmarks/cameo_bench.py            # everything
    .venv/bin/python benchmarks/cameo_bench.py speech     # speech verification + soundtrack moderation only

Prints extraction frames/s at 256x256 and 512x512 for the person path (face
detector + GrabCut) and the box-prompted path (tracking + GrabCut), and the
wall time of a 2 s sim generation with a cameo against one without (ratio).
Timings on a shared 2-core machine are noisy: best of ``REPEATS``.
"""

from __future__ import annotations

import os
import time

from sora_widgets import cameo
from sora_widgets.cameo import synthetic

REPEATS = 2


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def extraction() -> None:
    for size in (256, 512):
        person, _ = synthetic.astronaut_clip(size=size, seconds=2.0, fps=12)
        obj, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=size, seconds=2.0, fps=12)
        for label, clip, kw in (("person", person, {"kind": "person"}), ("box", obj, {"kind": kind, "box": box})):
            s = best_of(lambda clip=clip, kw=kw: cameo.extract(clip, with_voice=False, **kw))
            print(f"extract {label:6s} {size}x{size}: {clip.num_frames / s:6.1f} frames/s ({clip.num_frames} frames)")


def extraction_100(frames: int = 100, size: int = 256) -> None:
    """Issue 14 item 6: "Find it in the video" on ``frames`` frames at ``size`` px (goal: 100 frames at 256 px
    in <= 10 s on an idle 2-core machine), the person path (face track + GrabCut on keyframes) and the box
    path, with the load average before and after (the figure means little on a busy machine).

    Run alone with ``.venv/bin/python benchmarks/cameo_bench.py extraction``; one timed run each after a
    warm-up on a short clip (model loading is not part of a second extraction).
    """
    import os

    fps = 12
    person, _ = synthetic.astronaut_clip(size=size, seconds=frames / fps, fps=fps)
    obj, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=size, seconds=frames / fps, fps=fps)
    warm, _ = synthetic.astronaut_clip(size=size, seconds=1.0, fps=fps)
    cameo.extract(warm, kind="person", with_voice=False)  # face detector and caches loaded once
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for label, clip, kw in (("person", person, {"kind": "person"}), ("box", obj, {"kind": kind, "box": box})):
        t0, c0 = time.perf_counter(), time.process_time()
        cameo.extract(clip, **kw)  # as CameoMaker calls it (voice profile when there is speech)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(f"extraction {label:6s} {clip.num_frames} frames at {size}x{size}: {wall:.2f} s wall, "
              f"{cpu:.2f} s CPU ({clip.num_frames / wall:.1f} frames/s)")
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


def generation() -> None:
    try:
        from sora_widgets.engines import generate
        from sora_widgets.engines.sim import SimEngine  # noqa: F401
    except ImportError as exc:
        print(f"sim generation with/without a cameo: skipped, the sim engine is not available ({exc})")
        return
    clip, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=256, seconds=2.0, fps=12)
    asset = cameo.extract(clip, kind=kind, box=box, name="rex", with_voice=False)
    kw = {"engine": "sim", "seed": 3, "duration": 2.0, "fps": 24, "width": 256, "height": 256}
    generate("a dog jumps on a trampoline", **kw)  # warm-up: encoder and caches
    without = best_of(lambda: generate("a dog jumps on a trampoline", **kw))
    with_cameo = best_of(lambda: generate("@rex jumps on a trampoline", cameos=[asset], **kw))
    print(f"sim 2 s 256x256: without cameo {without:.2f} s, with cameo {with_cameo:.2f} s, "
          f"ratio {with_cameo / without:.2f}")


def faces_and_liveness(liveness_seeds: int = 20, *, faces_grid: bool = True) -> None:
    """Issue 17 items 2-3: faces found per condition on the full grid, faces on photos of no one, detector
    time, and liveness pass/reject rates with the check's time per second of video.

    Run alone with ``.venv/bin/python benchmarks/cameo_bench.py faces``.
    """
    import sys
    from collections import defaultdict
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import corpus_faces as corpus
    import numpy as np

    from sora_widgets.cameo import faces, liveness

    for name, img in corpus.face_photos().items() if faces_grid else ():
        groups: dict[str, list[bool]] = defaultdict(list)
        for c in corpus.face_conditions(full=True):
            found = faces.detect_face(corpus.transform(img, **c)) is not None
            pose = f"yaw {c['yaw']}" if c.get("yaw") else f"tilt {c['angle']:+d}"
            for key in ("all", pose, f"{c['height']} px", f"light {c['light'] or 'full'}"):
                groups[key].append(found)
        print(f"faces {name}: " + ", ".join(f"{k} {100 * np.mean(v):.0f}% ({sum(v)}/{len(v)})" for k, v in groups.items()))
    hits, looks = 0, 0
    for img in corpus.non_face_photos().values() if faces_grid else ():
        for c in ({}, {"light": "dim"}, {"light": "gradient"}, {"angle": 15}, {"angle": -15, "light": "dim"}):
            hits += len(faces.detect(corpus.transform(img, **c)))
            looks += 1
    if faces_grid:
        print(f"faces on photos of no one: {hits} in {looks} pictures ({len(corpus.non_face_photos())} photos)")
    for height in (360, 1080):
        frame = corpus.transform(corpus.face_photos()["astronaut"], height=height)
        faces.detect(frame)
        ms = 1000 * best_of(lambda frame=frame: [faces.detect(frame) for _ in range(10)]) / 10
        print(f"detect one {height} px frame: {ms:.1f} ms")
    for fps, size in ((8, 128), (15, 160), (30, 256)):
        for kind, expect in corpus.LIVENESS_EXPECT.items():
            right, corrs, cpu, video_s = 0, [], 0.0, 0.0
            for seed in range(liveness_seeds):
                clip, _ = corpus.liveness_case(kind, 1000 + seed, size=size, fps=fps)
                t0 = time.process_time()
                r = liveness.check_clip(clip)
                cpu += time.process_time() - t0
                video_s += clip.duration
                right += r.passed is expect
                corrs.append(r.corr)
            verb = "passed" if expect else "rejected"
            print(f"liveness {fps} fps {size}px {kind:8s}: {verb} {right}/{liveness_seeds}, near corr "
                  f"{min(corrs):.2f}..{max(corrs):.2f}, face track + check {cpu / video_s:.3f} s CPU per s of video")


# ------------------------------------------------------------------ speech (engineer S's section)
def speech_verification(seed: int = 37, per_cell: int = 4, timed: int = 12) -> None:
    """Phrase verification on a held-out espeak-ng corpus (``seed`` 37; thresholds were fitted on seeds
    1 and 11, and tightened once after a look at seed 23, so 37 is the clean held-out set).

    Every voice x speed gets ``per_cell`` random phrases, each with a random pitch and one of clean /
    room noise at 10 dB / music at 10 dB / AAC webcam. Each recording is judged twice: claiming what
    was said (must pass) and claiming it with one word swapped (must fail). Also silence and noise
    (must fail), and the verification time per second of audio.
    """
    import importlib
    from collections import defaultdict

    import numpy as np

    from sora_widgets import speech
    from sora_widgets.speech import corpus

    verify = importlib.import_module("sora_widgets.cameo.verify")
    speech.score_phrases(np.zeros(16_000, np.float32), 16_000, ["warm up"])  # model load, not timed
    cells: dict = defaultdict(lambda: [0, 0, 0])  # accepted right, rejected wrong, trials
    by_condition: dict = defaultdict(lambda: [0, 0, 0])
    misses, leaks, rtf, cpu, free_runs = [], [], [], [], 0
    for t in corpus.phrase_trials(verify.VOCABULARY, seed=seed, per_cell=per_cell):
        # The two claims share one scoring pass; the timed cost is one claim's (its own variants).
        cands = list(dict.fromkeys(verify._variants(t.said) + verify._variants(t.wrong)))
        s = speech.score_phrases(t.audio, t.sample_rate, cands,
                                 need_free=lambda p, t=t: verify.needs_free(p, t.said) or verify.needs_free(p, t.wrong))
        right, wrong = verify.judge(s, t.said), verify.judge(s, t.wrong)
        free_runs += s.free is not None
        for table in (cells[(t.voice, t.speed_wpm)], by_condition[t.condition]):
            table[0] += right["passed"]
            table[1] += not wrong["passed"]
            table[2] += 1
        if not right["passed"]:
            misses.append(f"{t.voice} {t.speed_wpm} wpm {t.condition}: '{t.said}' missing {right['missing_words']}")
        if wrong["passed"]:
            leaks.append(f"{t.voice} {t.speed_wpm} wpm {t.condition}: said '{t.said}', claim '{t.wrong}' passed "
                         f"{wrong['margins']}")
        if len(rtf) < timed:
            t0, c0 = time.perf_counter(), time.process_time()
            verify.hear(t.audio, t.sample_rate, t.said)
            audio_s = len(t.audio) / t.sample_rate
            rtf.append((time.perf_counter() - t0) / audio_s)
            cpu.append((time.process_time() - c0) / audio_s)
    print(f"speech verification, held-out corpus seed {seed}: right phrase accepted / wrong phrase rejected")
    speeds = sorted({k[1] for k in cells})
    print(f"| voice | {' | '.join(f'{v} wpm' for v in speeds)} | all |")
    print("|---|" + "---|" * (len(speeds) + 1))
    tot = [0, 0, 0]
    for voice in dict.fromkeys(k[0] for k in cells):
        row = [cells[(voice, v)] for v in speeds]
        acc = [sum(r[i] for r in row) for i in range(3)]
        tot = [a + b for a, b in zip(tot, acc, strict=True)]
        print(f"| {voice} | " + " | ".join(f"{r[0]}/{r[2]}, {r[1]}/{r[2]}" for r in row)
              + f" | {acc[0]}/{acc[2]}, {acc[1]}/{acc[2]} |")
    print(f"all: right accepted {tot[0]}/{tot[2]} ({100 * tot[0] / tot[2]:.1f}%), "
          f"wrong rejected {tot[1]}/{tot[2]} ({100 * tot[1] / tot[2]:.1f}%)")
    for cond, (a, r, n) in sorted(by_condition.items()):
        print(f"  {cond:7s} right {a}/{n}, wrong rejected {r}/{n}")
    n_wrong = sum(c[2] for c in cells.values())
    n_leak = n_wrong - sum(c[1] for c in cells.values())
    print(f"wrong claims accepted: {n_leak}/{n_wrong}; one-sided 95% upper bound on the false-acceptance rate "
          f"{100 * _upper_95(n_leak, n_wrong):.2f}% (Clopper-Pearson)")
    print(f"free decoding run in {free_runs}/{n_wrong} trials (skipped where the phrase scores settle it)")
    for m in misses:
        print("  missed:", m)
    for m in leaks:
        print("  wrong claim accepted:", m)
    quiet = [np.zeros(3 * 22_050, np.float32),
             (np.random.default_rng(1).standard_normal(3 * 22_050) * 0.05).astype(np.float32),
             corpus.degrade(np.zeros(3 * 22_050, np.float32) + 1e-4, 22_050, "music", seed=2)]
    rejected = 0
    for x in quiet:  # what verify() does: too little speech fails first, else the phrase must be heard
        too_quiet = verify.speech_seconds(x[None], 22_050) < verify.MIN_SPEECH_S
        rejected += too_quiet or not verify.hear(x, 22_050, "golden tiger rocket river")["passed"]
    print(f"silence / noise / music without speech rejected: {rejected}/{len(quiet)}")
    load = os.getloadavg()[0]
    print(f"verification time per second of audio (one claim, as verify() runs it): wall median {np.median(rtf):.2f}, "
          f"max {max(rtf):.2f}; CPU median {np.median(cpu):.2f} (over {len(rtf)} recordings; shared 2-core machine, "
          f"load average {load:.1f})")


def _upper_95(k: int, n: int) -> float:
    """One-sided 95% Clopper-Pearson upper bound on a rate seen ``k`` times in ``n`` trials."""
    from scipy.stats import beta

    return 1.0 if k >= n else float(beta.ppf(0.95, k + 1, n - k))


def whole_verification(clips: int = 6, *, size: int = 480, fps: int = 30) -> None:
    """``verify()`` of a whole person take, as CameoMaker runs it (speech, face track, liveness): wall and
    CPU seconds per second of video, on talking-astronaut clips at ``size`` px and ``fps`` (a webcam)."""
    import importlib
    import sys
    from pathlib import Path

    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import corpus_faces

    verify = importlib.import_module("sora_widgets.cameo.verify")
    wall, cpu, passed = [], [], 0
    for seed in range(clips):
        clip, phrase = corpus_faces.liveness_case("live", 2000 + seed, size=size, fps=fps)
        if seed == 0:
            verify.verify(clip, phrase)  # model loads, not timed
        t0, c0 = time.perf_counter(), time.process_time()
        passed += verify.verify(clip, phrase).passed
        wall.append((time.perf_counter() - t0) / clip.duration)
        cpu.append((time.process_time() - c0) / clip.duration)
    print(f"verify() of a {size} px {fps} fps talking take: passed {passed}/{clips}; per second of video wall median "
          f"{np.median(wall):.2f} (max {max(wall):.2f}), CPU median {np.median(cpu):.2f} "
          f"(load average {os.getloadavg()[0]:.1f})")


SOUNDTRACK_VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-029", "en-gb-x-rp")


def soundtrack_plans(voices=SOUNDTRACK_VOICES) -> dict[str, list[tuple[str, str, str, str, int]]]:
    """Per split, the spoken lines as read aloud: ``(text, category, kind, voice, wpm)`` each.

    See :func:`soundtrack_moderation` for the splits. benchmarks/soundtrack_tune.py renders the same plans.
    """
    import csv
    from pathlib import Path

    from sora_widgets.speech import corpus

    root = Path(__file__).resolve().parents[1]
    rows = list(csv.DictReader(open(root / "tests/data/spoken_lines.csv")))
    tune = [(r["text"], r["category"], r["kind"]) for r in rows if r["split"] == "tune"]
    with open(root / "sora_widgets/moderation/data/prompts_labelled.csv") as f:
        tune += [(r["text"], r["category"], "prompt") for r in csv.DictReader(f)
                 if r["lang"] == "en" and r["split"] == "heldout" and r["category"] not in ("benign", "nonconsensual_likeness")]
    heldout = [(r["text"], r["category"], r["kind"]) for r in rows if r["split"] == "heldout"]
    return {
        "tune": [(t, c, k, voices[i % len(voices)], 150 + 10 * (i % 3)) for i, (t, c, k) in enumerate(tune)],
        "heldout": [(t, c, k, corpus.VOICES[i % len(corpus.VOICES)], corpus.SPEEDS[i % len(corpus.SPEEDS)])
                    for i, (t, c, k) in enumerate(heldout)],
    }


def soundtrack_moderation(voices=SOUNDTRACK_VOICES, splits=("tune", "heldout")) -> None:
    """Held/blocked share on the benign spoken lines and catch rate on the harmful ones, per split.

    Lines: ``tests/data/spoken_lines.csv``. Its ``tune`` split (105 benign: everyday, song-like,
    sound-alikes of harmful phrases; 30 harmful spoken lines) was read while tuning the soundtrack
    check, with the held-out harmful English prompts of the moderation set read aloud
    (``nonconsensual_likeness`` left out: it is about pictures, not words); voices rotate over
    ``voices`` at 150-170 wpm. Its ``heldout`` split (115 benign, 30 harmful, written before tuning and
    not looked at while tuning) rotates over all of :data:`corpus.VOICES` x :data:`corpus.SPEEDS`.
    """
    from sora_widgets.moderation.audio import check_audio
    from sora_widgets.speech import corpus

    plans = soundtrack_plans(voices)
    t_audio, t_check = 0.0, 0.0
    for split in splits:
        plan = plans[split]
        counts: dict = {}
        shown = []
        for text, category, kind, voice, wpm in plan:
            x, sr = corpus.say(text, voice=voice, speed_wpm=wpm)
            t0 = time.perf_counter()
            v = check_audio(x, sr)
            t_check += time.perf_counter() - t0
            t_audio += len(x) / sr
            c = counts.setdefault(kind, {"allow": 0, "review": 0, "block": 0, "uncertain": 0, "spotted": 0, "raised": 0})
            c[v.decision] += 1
            c["uncertain"] += any(s.get("uncertain") for s in v.spans)
            c["spotted"] += any(s.get("spotted") for s in v.spans)
            # raised: the clip stays up and a person is asked to listen (issue 17 item 4's "at most raise")
            raised = v.decision == "allow" and bool(v.evidence.get("raised_for_review"))
            c["raised"] += raised
            if (category == "benign") != (v.decision == "allow" and not raised) and len(shown) < 40:
                why = [r["category"] for r in v.evidence.get("raised_for_review", [])] if raised else v.flagged
                shown.append(f"{kind:10s} {'raised' if raised else v.decision:6s} {voice}@{wpm} '{text}' heard "
                             f"'{v.evidence.get('transcript', '')}' {why}")
        print(f"soundtrack moderation, {split} split (decision counts per kind of line):")
        for kind, c in counts.items():
            n = c["allow"] + c["review"] + c["block"]
            print(f"  {kind:10s} n={n:3d} allow {c['allow']:3d} (raised {c['raised']})  review {c['review']:3d} "
                  f"(uncertain {c['uncertain']}, spotted {c['spotted']})  block {c['block']:3d}")
        benign = [counts[k] for k in ("everyday", "song", "soundalike") if k in counts]
        n_b = sum(c["allow"] + c["review"] + c["block"] for c in benign)
        held = sum(c["review"] + c["block"] for c in benign)
        print(f"  {split}: benign held or blocked: {held}/{n_b} ({100 * held / n_b:.1f}%), blocked "
              f"{sum(c['block'] for c in benign)}/{n_b}, raised (not held) {sum(c['raised'] for c in benign)}/{n_b}")
        for kind in ("keyphrase", "prompt"):
            if kind in counts:
                c = counts[kind]
                n = c["allow"] + c["review"] + c["block"]
                caught = c["review"] + c["block"] + c["raised"]
                print(f"  {split}: harmful {kind} lines caught (held, blocked or raised): {caught}/{n} "
                      f"({100 * caught / n:.1f}%); held or blocked {c['review'] + c['block']}/{n}")
        for s in shown:
            print("    wrong:", s)
    print(f"check time per second of audio: {t_check / t_audio:.2f}")


if __name__ == "__main__":
    import sys

    if sys.argv[1:2] == ["speech"]:  # only the speech sections (verification, soundtrack moderation)
        speech_verification(per_cell=int(sys.argv[2]) if len(sys.argv) > 2 else 4)
        soundtrack_moderation()
        raise SystemExit
    if sys.argv[1:2] == ["verification"]:  # only phrase verification: [per_cell [seed]]
        speech_verification(seed=int(sys.argv[3]) if len(sys.argv) > 3 else 37,
                            per_cell=int(sys.argv[2]) if len(sys.argv) > 2 else 4)
        whole_verification()
        raise SystemExit
    if sys.argv[1:] == ["verify-take"]:  # only verify() of whole person takes (speech + face + liveness)
        whole_verification()
        raise SystemExit
    if sys.argv[1:2] == ["soundtrack"]:  # only soundtrack moderation: [split]
        soundtrack_moderation(splits=sys.argv[2:] or ("tune", "heldout"))
        raise SystemExit

    if sys.argv[1:2] == ["extraction"]:  # only "Find it in the video" on 100 frames at 256 px (issue 14)
        extraction_100()
        raise SystemExit
    if sys.argv[1:] in (["faces"], ["liveness"]):  # only the faces and liveness section (or only liveness)
        faces_and_liveness(faces_grid=sys.argv[1] == "faces")
        raise SystemExit
    extraction()
    generation()
    faces_and_liveness()
    speech_verification()
    whole_verification()
    soundtrack_moderation()
