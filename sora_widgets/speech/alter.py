"""Audio made easier to hear: the same speech slowed down or cleaned of noise (FFmpeg's filters through PyAV).

Whisper *base* mishears fast voices and voices under noise or music; the same audio slowed to 0.8x or 0.65x (pitch
kept: ``atempo``, a WSOLA time stretch) or passed through a spectral denoiser (``afftdn``) is often read right
where the original was not ("kill all the fathers" → "kill all the fuckers" at 0.65x; "she sucks just big" → "she
sucks his dick" denoised). :func:`sora_widgets.speech.recognise.altered_readings` reads each version and scores
the reading against the *original* audio, so a version only proposes words; the original decides how far they
are supported. PyAV is already a dependency (the MP4s); nothing runs in a subprocess.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ALTERATIONS", "alter"]

#: Each alteration: its name, then FFmpeg audio filters in order ``(filter, arguments)``.
ALTERATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "slowed": (("atempo", "0.8"),),
    "much slowed": (("atempo", "0.65"),),
    "denoised": (("afftdn", "nf=-25"), ("highpass", "f=120"), ("lowpass", "f=5000")),
}


def alter(a: np.ndarray, rate: int, name: str) -> np.ndarray:
    """``a`` (mono float32 in [-1, 1] at ``rate`` Hz) through the filters of :data:`ALTERATIONS` ``[name]``.

    Args:
        a: the samples, shape (N,).
        rate: their rate in Hz (the result has the same rate).
        name: a key of :data:`ALTERATIONS`.

    Returns:
        float32 samples, shape (M,): ``M`` ≈ N / tempo for a tempo change, N otherwise.
    """
    import av
    from av.filter import Graph

    if name not in ALTERATIONS:
        raise ValueError(f"no alteration {name!r}; known: {', '.join(ALTERATIONS)}")
    a = np.ascontiguousarray(a, dtype=np.float32).reshape(-1)
    if a.size == 0:
        return a
    g = Graph()
    chain = [g.add_abuffer(format="flt", sample_rate=rate, layout="mono")]
    for f, args in ALTERATIONS[name]:
        chain.append(g.add(f, args))
        chain[-2].link_to(chain[-1])
    chain.append(g.add("abuffersink"))
    chain[-2].link_to(chain[-1])
    g.configure()
    frame = av.AudioFrame.from_ndarray(a[None, :], format="flt", layout="mono")
    frame.sample_rate, frame.pts = rate, 0
    g.push(frame)
    g.push(None)  # end of stream: the filters flush what they hold
    out = []
    while True:
        try:
            out.append(g.pull().to_ndarray().reshape(-1))
        except (av.error.BlockingIOError, av.error.EOFError):
            break
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)
