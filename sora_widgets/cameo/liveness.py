"""Liveness: the spoken words must come from the face on screen.

A face and the right words are not enough: a photo held up to the camera with the phrase played
beside it has both. Here the mouth is compared with the loudness of the speech, frame by frame:

1. the face is followed through the clip (:func:`faces.track`); each frame is warped so the eyes
   and mouth land on fixed places of a small face chip (head motion, pans and zooms cancel) and
   its contrast is normalised (a dim face counts as much as a bright one);
2. two mouth signals are read from the chip: **openness** (how dark the mouth region is: an open
   mouth shows its dark inside) and **motion** (how much the mouth region changed since the last
   frame, minus how much the eye/forehead region did: misalignment, flicker and compression move
   both, talking only the mouth);
3. openness is correlated with the sound's loudness (RMS over each frame) and motion with the
   change of loudness, at lags from -``MAX_LAG_S`` to +``MAX_LAG_S``; the two correlations are
   averaged lag by lag;
4. the mouth must move while words are heard (``MIN_MOUTH_MOTION``: a still photo's mouth, aligned on
   its own eyes, hardly changes however the phone shakes);
5. a live speaker scores at least ``MIN_CORR`` within ``SYNC_LAG_S`` of zero lag (webcams and
   phones put up to ~0.2 s between picture and sound). A still photo's mouth does not follow the
   sound at any lag; a video whose sound was shifted by a second matches best a second away
   (said as such: "out of step").

What it cannot stop (also in docs/cameos.md): a video of the person really saying these words
(a deepfake made for this phrase - phrases are random and spent once, so an old recording does
not fit), and a mouth moved in time with the sound by someone else's hand.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from .faces import FaceTrack, track

__all__ = [
    "Liveness",
    "check",
    "check_clip",
    "track_clip",
    "mouth_signals",
    "loudness",
    "speech_change",
    "MIN_CORR",
    "SYNC_LAG_S",
    "MAX_LAG_S",
]

#: Lowest mean correlation (openness-loudness and motion-loudness change) at the best lag near zero.
#: Real mouths follow the sound's envelope only loosely (r ~ 0.4-0.6 in the literature), so the bar is
#: low; still photos are stopped by MIN_MOUTH_MOTION, shifted sound by the lag rule. The bar trades
#: refusing rough speakers against accepting someone else's talking face with the phrase dubbed. Measured figures:
#: docs/cameos.md (Liveness) and benchmarks/cameo_bench.py faces.
MIN_CORR = 0.5
#: The mouth must move at least this much while words are heard (mean motion, contrast-normalised chip
#: units): speakers measured >= 0.019, still photos panned and shaken like a phone <= 0.010.
MIN_MOUTH_MOTION = 0.015
#: Both signal pairs are averaged over this many seconds before correlating (at 30 fps a frame-to-frame
#: difference is mostly noise; syllables last ~0.2 s).
SMOOTH_S = 0.1
#: Frames within this many dB of the loudest frame count as speech (where the mouth must move).
SPEECH_DB = 30.0
#: Picture-to-sound offsets up to this many seconds count as "in sync" (devices differ by ~0.1-0.2 s).
SYNC_LAG_S = 0.25
#: Lags searched, seconds each way: a better match further away means the sound is shifted.
MAX_LAG_S = 1.5
#: A far lag must beat the near best by this much to call the sound shifted (noise in short clips).
FAR_MARGIN = 0.1
#: The face detector runs on about this many frames per second of video; frames between are interpolated.
DETECT_FPS = 8.0
#: Side of the normalised face chip, pixels.
CHIP_PX = 64
# Where the eyes' midpoint and the mouth's centre land in the chip (fractions of CHIP_PX).
_EYES_AT, _MOUTH_AT = (0.5, 0.36), (0.5, 0.72)
# Chip rows/columns (fractions) of the mouth region and of the reference (eyes and forehead) region.
_MOUTH_ROWS, _MOUTH_COLS = (0.6, 0.95), (0.22, 0.78)
_REF_ROWS, _REF_COLS = (0.12, 0.45), (0.15, 0.85)


@dataclass(frozen=True)
class Liveness:
    """The outcome: ``passed``; ``corr`` the best correlation within ``SYNC_LAG_S`` of zero;
    ``lag_s`` the lag (seconds, positive = sound after picture) of the best correlation anywhere;
    ``far_corr`` that best correlation beyond ``SYNC_LAG_S``; ``open_corr`` and ``motion_corr`` the two
    signals' correlations at the best near lag; ``mouth_motion`` the mean mouth motion while speech is heard; ``reason`` a user can act on ("" if passed).
    """

    passed: bool
    corr: float
    lag_s: float
    far_corr: float
    open_corr: float = 0.0
    motion_corr: float = 0.0
    mouth_motion: float = 0.0
    reason: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


NOT_IN_SYNC = (
    "your lips did not move with the words we heard: record yourself saying the phrase, "
    "your face and mouth in view (not a photo, not sound played beside the camera)"
)
SHIFTED = "the sound is out of step with the picture: record again in one take with the phone's own microphone"


def _chip_transform(marks: np.ndarray) -> np.ndarray | None:
    """Similarity transform (2x3) taking a frame's landmarks to the chip, from eyes' midpoint and mouth centre."""
    if np.isnan(marks).any():
        return None
    eyes, mouth = marks[:2].mean(axis=0), marks[3:].mean(axis=0)
    src = np.float32([eyes, mouth])
    dst = np.float32([_EYES_AT, _MOUTH_AT]) * CHIP_PX
    # Two points fix a similarity; estimateAffinePartial2D needs them as (N, 2) arrays.
    v_src, v_dst = src[1] - src[0], dst[1] - dst[0]
    n_src = float(np.hypot(*v_src))
    if n_src < 1e-3:
        return None
    scale = float(np.hypot(*v_dst)) / n_src
    ang = np.arctan2(v_dst[1], v_dst[0]) - np.arctan2(v_src[1], v_src[0])
    c, s = scale * np.cos(ang), scale * np.sin(ang)
    m = np.array([[c, -s, 0.0], [s, c, 0.0]])
    m[:, 2] = dst[0] - m[:, :2] @ src[0]
    return m


def _region(chip: np.ndarray, rows, cols) -> np.ndarray:
    r0, r1 = int(rows[0] * CHIP_PX), int(rows[1] * CHIP_PX)
    c0, c1 = int(cols[0] * CHIP_PX), int(cols[1] * CHIP_PX)
    return chip[r0:r1, c0:c1]


def mouth_signals(frames: np.ndarray, track: FaceTrack) -> tuple[np.ndarray, np.ndarray]:
    """Mouth openness and mouth motion per frame ((T,) float each).

    Args:
        frames: (T, H, W, 3) uint8 RGB.
        track: the face followed through ``frames`` (:func:`faces.track`).

    Returns:
        ``(openness, motion)``. Openness: minus the mean of the mouth region of the contrast-normalised
        face chip (darker = more open); frames where the face is not followed get the mean of the
        others. Motion: mean absolute change of the chip's mouth region since the previous frame
        minus the same for its eye/forehead region, clipped at 0; 0 on the first frame and where
        the face is not followed.
    """
    t = len(frames)
    openness = np.full(t, np.nan)
    motion = np.zeros(t)
    prev = None
    for i in range(t):
        m = _chip_transform(track.landmarks[i]) if track.followed[i] else None
        if m is None:
            prev = None
            continue
        grey = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)
        chip = cv2.warpAffine(grey, m, (CHIP_PX, CHIP_PX), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        chip = cv2.GaussianBlur(chip.astype(np.float32) / 255.0, (3, 3), 0)
        chip = (chip - chip.mean()) / (chip.std() + 0.02)  # a dim face counts as much as a bright one
        openness[i] = -float(_region(chip, _MOUTH_ROWS, _MOUTH_COLS).mean())
        if prev is not None:
            d = np.abs(chip - prev)
            mouth, ref = _region(d, _MOUTH_ROWS, _MOUTH_COLS).mean(), _region(d, _REF_ROWS, _REF_COLS).mean()
            motion[i] = max(0.0, float(mouth - ref))
        prev = chip
    seen = ~np.isnan(openness)
    openness[~seen] = openness[seen].mean() if seen.any() else 0.0
    return openness, motion


def loudness(audio: np.ndarray, sr: int, fps: float, num_frames: int) -> np.ndarray:
    """The sound's loudness during each video frame ((num_frames,) RMS, linear, peak-normalised)."""
    x = np.asarray(audio, np.float32)
    x = x.mean(axis=0) if x.ndim == 2 else x
    peak = float(np.abs(x).max(initial=0.0))
    x = x / peak if peak > 0 else x
    rms = np.zeros(num_frames)
    for i in range(num_frames):
        seg = x[int(i * sr / fps) : int((i + 1) * sr / fps)]
        rms[i] = float(np.sqrt((seg**2).mean())) if len(seg) else 0.0
    return rms


def speech_change(audio: np.ndarray, sr: int, fps: float, num_frames: int) -> np.ndarray:
    """How much the sound's loudness changed at each video frame ((num_frames,) float >= 0).

    Args:
        audio: (C, N) or (N,) float samples.
        sr: sample rate, Hz.
        fps: the video's frames per second (one value per frame interval).
        num_frames: T, the number of video frames.

    Returns:
        ``|rms[i] - rms[i-1]|`` where ``rms[i]`` is the loudness (linear, peak-normalised) of the
        audio during frame ``i``; 0 for the first frame.
    """
    rms = loudness(audio, sr, fps, num_frames)
    out = np.zeros(num_frames)
    out[1:] = np.abs(np.diff(rms))
    return out


def _smooth(x: np.ndarray, fps: float) -> np.ndarray:
    """``x`` averaged over ``SMOOTH_S`` seconds (a centred box; unchanged when that is one frame)."""
    k = int(round(SMOOTH_S * fps))
    return np.convolve(x, np.ones(k) / k, mode="same") if k > 1 else x


def _corr_at(a: np.ndarray, b: np.ndarray, lag: int) -> float:
    """Pearson correlation of a[i] with b[i + lag] over the frames both have."""
    if lag >= 0:
        x, y = a[: len(a) - lag], b[lag:]
    else:
        x, y = a[-lag:], b[: len(b) + lag]
    if len(x) < 4 or x.std() < 1e-9 or y.std() < 1e-9:
        return 0.0
    return float(np.corrcoef(x, y)[0, 1])


def check(frames: np.ndarray, audio: np.ndarray, sr: int, fps: float, track: FaceTrack) -> Liveness:
    """Does the mouth in ``frames`` move with the speech in ``audio``?

    Args:
        frames: (T, H, W, 3) uint8 RGB video.
        audio: (C, N) float samples of the same clip (starting with the first frame).
        sr: audio sample rate, Hz.
        fps: video frames per second.
        track: the face followed through ``frames`` (:func:`faces.track`).

    Returns:
        A :class:`Liveness`: passed when the mean correlation of the two mouth signals with the
        sound, at the best lag within ``SYNC_LAG_S`` of zero, is at least ``MIN_CORR`` and no lag
        further away beats it by ``FAR_MARGIN`` (that is the sound shifted: ``SHIFTED``).
    """
    openness, motion = mouth_signals(frames, track)
    rms = loudness(audio, sr, fps, len(frames))
    change = np.zeros(len(frames))
    change[1:] = np.abs(np.diff(rms))
    db = 20 * np.log10(np.maximum(rms, 1e-6) / max(float(rms.max(initial=0.0)), 1e-6))
    speaking = (db > -SPEECH_DB) & track.followed
    level = float(motion[speaking].mean()) if speaking.any() else 0.0
    motion, change = _smooth(motion, fps), _smooth(change, fps)
    near = max(1, int(round(SYNC_LAG_S * fps)))
    far = max(near + 1, int(round(MAX_LAG_S * fps)))
    pairs = {lag: (_corr_at(openness, rms, lag), _corr_at(motion, change, lag)) for lag in range(-far, far + 1)}
    mean = {lag: (a + b) / 2 for lag, (a, b) in pairs.items()}
    near_lag = max(range(-near, near + 1), key=mean.get)
    near_best = mean[near_lag]
    far_best = max((v for lag, v in mean.items() if abs(lag) > near), default=-1.0)
    best_lag = max(mean, key=mean.get)
    if far_best >= MIN_CORR and far_best >= near_best + FAR_MARGIN:
        reason = SHIFTED
    elif near_best < MIN_CORR or level < MIN_MOUTH_MOTION:
        reason = NOT_IN_SYNC
    else:
        reason = ""
    oc, mc = pairs[near_lag]
    return Liveness(
        not reason,
        round(near_best, 3),
        round(best_lag / fps, 3),
        round(far_best, 3),
        round(oc, 3),
        round(mc, 3),
        round(level, 4),
        reason,
    )


def track_clip(clip) -> FaceTrack:
    """The face followed through ``clip`` (a :class:`~sora_widgets.media.Clip`), detecting on about
    ``DETECT_FPS`` frames a second (the cost of a check is the detector's)."""
    every = max(1, int(round(clip.fps / DETECT_FPS)))
    return track(clip.frames, fps=clip.fps, every=every)


def check_clip(clip, face_track: FaceTrack | None = None) -> Liveness:
    """:func:`check` on a :class:`~sora_widgets.media.Clip`; ``face_track`` from :func:`track_clip` if not given."""
    ft = face_track if face_track is not None else track_clip(clip)
    return check(clip.frames, clip.audio, clip.sample_rate, clip.fps, ft)
