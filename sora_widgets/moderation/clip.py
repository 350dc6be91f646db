"""``check_clip``: a generated clip's real frames and soundtrack, never the engine's word for what it made."""

from __future__ import annotations

import time
from collections.abc import Callable

from ..media import Clip
from .audio import check_audio
from .policy import Policy, load_policy
from .text import check_prompt
from .verdict import Verdict, merge_verdicts
from .visual import check_frames

__all__ = ["check_clip"]


def check_clip(
    clip: Clip,
    *,
    policy: Policy | None = None,
    check_meta_prompt: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> Verdict:
    """Check sampled frames (nudity detector) and the soundtrack (speech -> text checks).

    The prompt in ``clip.meta`` is checked too when present, but only ever *adds*
    to the verdict: a clean prompt cannot clear what the frames or sound show.
    Evidence: ``frames`` (index, t_s, boxes), ``transcript`` (+ ``words`` with
    times), ``timings_ms`` per check.

    ``on_progress(done, total)`` is called before the first check and after each
    (total: 2 or 3 checks). An exception it raises stops the checking there and
    propagates: that is how a caller cancels (e.g. ``engines.check_cancel``).
    """
    if not isinstance(clip, Clip):
        raise TypeError(f"check_clip needs a sora_widgets Clip; got {type(clip).__name__}")
    policy = policy or load_policy()
    prompt = clip.meta.get("prompt") if isinstance(clip.meta, dict) else None
    with_prompt = check_meta_prompt and isinstance(prompt, str) and bool(prompt.strip())
    total = 3 if with_prompt else 2
    report = on_progress or (lambda done, total: None)
    report(0, total)
    timings = {}
    # One after the other: side by side was slower on 2 cores (onnxruntime's worker threads spin
    # while they wait, starving speech recognition: 0.5 s + 3.4 s serial became 9 s + 9.5 s).
    t = time.perf_counter()
    visual = check_frames(clip.frames, clip.fps, policy=policy)
    timings["visual_ms"] = round((time.perf_counter() - t) * 1000, 1)
    report(1, total)
    t = time.perf_counter()
    audio = check_audio(clip.audio, clip.sample_rate, policy=policy)
    timings["audio_ms"] = round((time.perf_counter() - t) * 1000, 1)
    report(2, total)
    verdicts = [visual, audio]
    evidence = {**audio.evidence, **visual.evidence, "timings_ms": timings}
    if with_prompt:
        v_prompt = check_prompt(prompt[:4000], policy=policy)
        verdicts.append(v_prompt)
        evidence["prompt"] = prompt
        report(3, total)
    return merge_verdicts(verdicts, evidence=evidence)
