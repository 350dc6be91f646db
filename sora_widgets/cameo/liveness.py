"""Liveness: the spoken words must come from the face on screen.

A face and the right words are not enough: a photo held up to the camera with the phrase played
beside it has both. Here the mouth's movement is compared with the loudness of the speech, frame
by frame:

1. the face is followed through the clip (:func:`faces.track`); each frame is warped so the eyes
   and mouth land on fixed places of a small face chip (head motion, pans and zooms cancel);
2. **mouth motion** = how much the chip's mouth region changed since the previous frame, minus how
   much its eye/forehead region changed (what is left of misalignment, light flicker and compression
   moves both; talking moves only the mouth);
3. **speech change** = how much the sound's loudness (RMS, in the same frame steps) changed;
4. the mouth must move more while words are heard than in the pauses (a photo's "motion" is the
   same noise throughout);
5. the two are correlated at lags from -``MAX_LAG_S`` to +``MAX_LAG_S``. A live speaker's best lag is
   near zero (``SYNC_LAG_S``: webcams and phones add up to ~0.2 s between picture and sound) and
   the correlation there is at least ``MIN_CORR``. A still photo's mouth does not move with the
   sound (low correlation at every lag); a video with the sound shifted by a second matches best
   a second away.

What it cannot stop (also in docs/cameos.md): a video of the person really saying these words
(a deepfake made for this phrase, or a replay of an earlier recording if the phrase repeats -
phrases are random and spent once), and a mouth moved by hand in time with the sound.
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
    "mouth_motion",
    "loudness",
    "speech_change",
    "MIN_CORR",
    "SYNC_LAG_S",
    "MAX_LAG_S",
]

#: Lowest correlation between mouth motion and speech change at the best lag near zero (live clips
#: measured >= 0.53, still photos <= 0.45; benchmarks/cameo_bench.py liveness section).
MIN_CORR = 0.45
#: The mouth must move at least this many times more while speech is heard than in the pauses
#: (live clips measured >= 2.9, still photos <= 1.4).
MIN_SPEECH_MOTION_RATIO = 2.0
#: Frames whose loudness is within this many dB of the loudest frame count as speech; the rest as pauses.
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
    ``far_corr`` that best correlation beyond ``SYNC_LAG_S``; ``speech_motion_ratio`` mouth motion
    while speech is heard over mouth motion in pauses (None when the clip has no pause or no speech);
    ``reason`` a user can act on ("" if passed).
    """

    passed: bool
    corr: float
    lag_s: float
    far_corr: float
    speech_motion_ratio: float | None = None
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


def mouth_motion(frames: np.ndarray, track: FaceTrack) -> np.ndarray:
    """Mouth motion per frame ((T,) float, 0 for the first frame and where the face is not followed).

    Args:
        frames: (T, H, W, 3) uint8 RGB.
        track: the face followed through ``frames`` (:func:`faces.track`).

    Returns:
        Mean absolute change (0..1 grey levels) of the mouth region of the face chip since the
        previous frame, minus the same for the eye/forehead region, clipped at 0.
    """
    t = len(frames)
    out = np.zeros(t)
    prev = None
    for i in range(t):
        m = _chip_transform(track.landmarks[i]) if track.followed[i] else None
        if m is None:
            prev = None
            continue
        grey = cv2.cvtColor(frames[i], cv2.COLOR_RGB2GRAY)
        chip = cv2.warpAffine(grey, m, (CHIP_PX, CHIP_PX), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
        chip = cv2.GaussianBlur(chip.astype(np.float32) / 255.0, (3, 3), 0)
        # Normalise contrast so a dim face moves as much as a bright one.
        chip = (chip - chip.mean()) / (chip.std() + 0.02)
        if prev is not None:
            d = np.abs(chip - prev)
            out[i] = max(
                0.0, float(_region(d, _MOUTH_ROWS, _MOUTH_COLS).mean() - _region(d, _REF_ROWS, _REF_COLS).mean())
            )
        prev = chip
    return out


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
    """Do the mouth's movements in ``frames`` follow the speech in ``audio``?

    Args:
        frames: (T, H, W, 3) uint8 RGB video.
        audio: (C, N) float samples of the same clip (starting with the first frame).
        sr: audio sample rate, Hz.
        fps: video frames per second.
        track: the face followed through ``frames`` (:func:`faces.track`).

    Returns:
        A :class:`Liveness`: passed when the best correlation within ``SYNC_LAG_S`` of zero is at
        least ``MIN_CORR``, no lag further away beats it by ``FAR_MARGIN``, and the mouth moves at
        least ``MIN_SPEECH_MOTION_RATIO`` times more in speech than in pauses.
    """
    motion = mouth_motion(frames, track)
    rms = loudness(audio, sr, fps, len(frames))
    change = np.zeros(len(frames))
    change[1:] = np.abs(np.diff(rms))
    db = 20 * np.log10(np.maximum(rms, 1e-6) / max(float(rms.max(initial=0.0)), 1e-6))
    speaking = (db > -SPEECH_DB) & track.followed
    pausing = (db <= -SPEECH_DB) & track.followed
    ratio = None
    if speaking.sum() >= 3 and pausing.sum() >= 3:
        # The floor keeps a perfectly still pause (synthetic or heavily denoised video) from dividing by ~0.
        ratio = round(float(motion[speaking].mean() / max(float(motion[pausing].mean()), 2e-3)), 2)
    near = max(1, int(round(SYNC_LAG_S * fps)))
    far = max(near + 1, int(round(MAX_LAG_S * fps)))
    corrs = {lag: _corr_at(motion, change, lag) for lag in range(-far, far + 1)}
    near_best = max(corrs[lag] for lag in range(-near, near + 1))
    far_lags = [lag for lag in corrs if abs(lag) > near]
    far_best = max((corrs[lag] for lag in far_lags), default=-1.0)
    best_lag = max(corrs, key=corrs.get)
    if far_best >= MIN_CORR and far_best >= near_best + FAR_MARGIN:
        reason = SHIFTED
    elif near_best < MIN_CORR or (ratio is not None and ratio < MIN_SPEECH_MOTION_RATIO):
        reason = NOT_IN_SYNC
    else:
        reason = ""
    return Liveness(not reason, round(near_best, 3), round(best_lag / fps, 3), round(far_best, 3), ratio, reason)


def track_clip(clip) -> FaceTrack:
    """The face followed through ``clip`` (a :class:`~sora_widgets.media.Clip`), detecting on about
    ``DETECT_FPS`` frames a second (the cost of a check is the detector's)."""
    every = max(1, int(round(clip.fps / DETECT_FPS)))
    return track(clip.frames, fps=clip.fps, every=every)


def check_clip(clip, face_track: FaceTrack | None = None) -> Liveness:
    """:func:`check` on a :class:`~sora_widgets.media.Clip`; ``face_track`` from :func:`track_clip` if not given."""
    ft = face_track if face_track is not None else track_clip(clip)
    return check(clip.frames, clip.audio, clip.sample_rate, clip.fps, ft)
