"""Visual check: sampled frames through nudenet's 320n ONNX detector (shipped in the wheel).

Frames are sampled evenly (``frames_per_second`` of the policy, at most
``max_frames``, always first and last). Each detection's label is mapped to a
category by the policy: exposed genitals/breasts/buttocks count as sexual; face,
feet, belly and covered labels count for nothing (a face is not nudity). The
category score is the highest detector score among the labels that map to it.
~20 ms a frame on one CPU core.

A detection also needs skin: at least ``min_skin_fraction`` of its box must be
skin-coloured (the classic YCrCb box, Cr 133-173 and Cb 77-127). The detector
fires at 0.83 "buttocks exposed" on scikit-image's colour wheel, and rendered
scenes (the sim engine draws flat colour shapes) are full of such gradients;
exposed skin is what nudity is made of, so the gate costs little recall.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from .policy import Policy, load_policy
from .verdict import CATEGORIES, Verdict

__all__ = ["check_frames", "detect", "sample_indices"]

_lock = threading.Lock()
_detector = None


def _load():
    global _detector
    with _lock:
        if _detector is None:
            import nudenet
            import onnxruntime
            from nudenet import NudeDetector

            detector = NudeDetector()
            # One thread that sleeps when idle: the check runs in the background (the Studio's pre-screen)
            # beside a generation and the kernel's UI, and onnxruntime's default pool spins while it waits,
            # which on 2 cores starved speech recognition run beside it (0.5 s + 3.4 s became 9 s + 9.5 s).
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            detector.onnx_session = onnxruntime.InferenceSession(
                os.path.join(os.path.dirname(nudenet.__file__), "320n.onnx"),  # the model NudeDetector loads
                sess_options=options, providers=["CPUExecutionProvider"])
            _detector = detector
    return _detector


def detect(frames: list[np.ndarray]) -> list[list[dict]]:
    """nudenet detections per RGB uint8 frame: ``[{"class", "score", "box": [x, y, w, h]}]`` in pixels."""
    det = _load()
    out = []
    for f in frames:
        f = np.asarray(f)
        if f.ndim != 3 or f.shape[2] != 3 or f.dtype != np.uint8:
            raise ValueError(f"frames must be (H, W, 3) uint8 RGB; got {f.shape} {f.dtype}")
        # nudenet converts RGBA->BGR internally; handing it RGBA keeps our RGB colours right.
        rgba = np.dstack([f, np.full(f.shape[:2], 255, np.uint8)])
        out.append(det.detect(rgba))
    return out


def sample_indices(num_frames: int, fps: float, *, per_second: float, max_frames: int) -> list[int]:
    """Evenly spaced frame indices: about ``per_second`` a second, at most ``max_frames``, first and last included."""
    if num_frames <= 0:
        return []
    want = int(np.ceil(num_frames / max(fps, 1e-6) * per_second)) + 1
    n = max(1, min(num_frames, max_frames, want))
    return sorted({int(round(i)) for i in np.linspace(0, num_frames - 1, n)})


def skin_fraction(frame: np.ndarray, box: list[int]) -> float:
    """Share of pixels in ``box`` ([x, y, w, h] pixels) of an RGB frame that are skin-coloured (YCrCb rule)."""
    import cv2

    x, y, w, h = (int(v) for v in box)
    crop = frame[max(0, y) : y + max(1, h), max(0, x) : x + max(1, w)]
    if crop.size == 0:
        return 0.0
    ycc = cv2.cvtColor(np.ascontiguousarray(crop), cv2.COLOR_RGB2YCrCb)
    cr, cb = ycc[..., 1], ycc[..., 2]
    return float(((cr >= 133) & (cr <= 173) & (cb >= 77) & (cb <= 127)).mean())


def score_detections(
    frames: list[np.ndarray], indices: list[int], detections: list[list[dict]], fps: float, policy: Policy
) -> tuple[dict[str, float], list[dict]]:
    """Category scores and the flagged frames (index, t_s, boxes) from raw detections, by the policy's mapping."""
    scores = {c: 0.0 for c in CATEGORIES}
    flagged_frames = []
    for frame, i, found in zip(frames, indices, detections, strict=True):
        boxes = []
        for d in found:
            cat = policy.visual_labels.get(d["class"])
            if cat is None or d["score"] < policy.visual_min_score:
                continue  # faces, feet, covered parts: not nudity
            skin = skin_fraction(frame, d["box"])
            if skin < policy.min_skin_fraction:
                continue
            scores[cat] = max(scores[cat], float(d["score"]))
            boxes.append({"label": d["class"], "category": cat, "score": round(float(d["score"]), 3),
                          "box": [int(v) for v in d["box"]], "skin": round(skin, 2)})
        if boxes:
            flagged_frames.append({"index": int(i), "t_s": round(i / fps, 3), "boxes": boxes})
    return scores, flagged_frames


def check_frames(frames: np.ndarray, fps: float, *, policy: Policy | None = None) -> Verdict:
    """Sample ``frames`` (T, H, W, 3) uint8 and run the detector; evidence lists flagged frames with boxes."""
    policy = policy or load_policy()
    idx = sample_indices(len(frames), fps, per_second=policy.frames_per_second, max_frames=policy.max_frames)
    sampled = [np.asarray(frames[i]) for i in idx]
    scores, flagged_frames = score_detections(sampled, idx, detect(sampled), fps, policy)
    decision, flagged = policy.decide(scores)
    reasons = []
    for c in flagged:
        labels = sorted({b["label"].lower().replace("_", " ") for f in flagged_frames for b in f["boxes"] if b["category"] == c})
        n = sum(any(b["category"] == c for b in f["boxes"]) for f in flagged_frames)
        reasons.append(policy.reason(c, scores[c], f"{', '.join(labels)} in {n} of {len(idx)} sampled frames"))
    evidence = {"frames": flagged_frames, "sampled_frames": idx}
    return Verdict(decision, scores, reasons, [], evidence, flagged)
