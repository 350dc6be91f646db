"""Decoding user uploads into a Clip (PyAV), with errors a user can act on.

Kept apart from :mod:`sora_widgets.media` because it is the one place that
deals with the variety of files people upload: containers, rotation, variable
frame rate, odd sizes, missing or multi-channel audio. It returns arrays and raises
:class:`DecodeError`; ``media.Clip.load`` (its one caller) makes the Clip and the
``MediaError``, so this module does not import ``media`` (no import cycle).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .frames import resize_frame

if TYPE_CHECKING:
    from .media import MediaLimits

ACCEPTED = ".mp4, .mov, .webm, .mkv"


class DecodeError(ValueError):
    """An upload that cannot be used; the message says what to do (``Clip.load`` re-raises it as MediaError)."""


class Decoded(NamedTuple):
    """A decoded upload: (T, H, W, 3) uint8 frames, (C, N) float32 audio in [-1, 1], fps, sample rate (Hz), meta."""

    frames: np.ndarray
    audio: np.ndarray
    fps: float
    sample_rate: int
    meta: dict


def decode_file(path: Path, limits: MediaLimits, *, silent_rate: int) -> Decoded:
    """Decode the video file at ``path`` within ``limits`` (duration, size); a file without sound gets
    ``silent_rate`` Hz silence. Raises :class:`DecodeError` with an actionable message."""
    import av

    try:
        container = av.open(str(path), "r")
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError, OSError) as exc:
        raise DecodeError(
            f"{path.name} is not a video file we can read ({_short(exc)}). "
            f"Upload a video ({ACCEPTED}); if it is one, it may be truncated or corrupt - export it again."
        ) from None
    with container:
        vstreams = [s for s in container.streams.video if s.codec_context is not None]
        if not vstreams:
            kind = "an audio-only file" if container.streams.audio else "not a video"
            raise DecodeError(f"{path.name} is {kind}: a clip needs pictures. Upload a video ({ACCEPTED}).")
        vs = vstreams[0]
        vs.thread_type = "AUTO"  # frame + slice threads: decoding is the slow part of an upload
        duration = _duration_s(container, vs)
        if duration is not None and duration > limits.max_duration_s:
            raise DecodeError(
                f"{path.name} is {duration:.0f} s long, over the {limits.max_duration_s:.0f} s limit: "
                "trim it and upload again."
            )
        fps = float(vs.average_rate or vs.guessed_rate or 24)
        if not (0 < fps <= 240):
            fps = 24.0
        frames, times, rotation = [], [], 0
        astream = container.streams.audio[0] if container.streams.audio else None
        audio_chunks: list[np.ndarray] = []
        sample_rate = int(astream.rate) if astream is not None and astream.rate else silent_rate
        resampler = None
        if astream is not None:
            layout = "mono" if (astream.channels or 1) == 1 else "stereo"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=sample_rate)
        streams = [vs] + ([astream] if astream is not None else [])
        try:
            for packet in container.demux(*streams):
                for frame in packet.decode():
                    if isinstance(frame, av.VideoFrame):
                        t = frame.time if frame.time is not None else len(frames) / fps
                        if t > limits.max_duration_s + 1:
                            raise DecodeError(
                                f"{path.name} is longer than the {limits.max_duration_s:.0f} s limit: trim it and upload again."
                            )
                        rotation = getattr(frame, "rotation", 0) or 0
                        frames.append(resize_frame(frame.to_ndarray(format="rgb24"), limits.max_side_px))
                        times.append(t)
                    else:
                        for rf in resampler.resample(frame):
                            audio_chunks.append(rf.to_ndarray())
        except DecodeError:
            raise
        except (av.error.FFmpegError, ValueError) as exc:
            if not frames:
                raise DecodeError(
                    f"{path.name} could not be decoded ({_short(exc)}): the file looks corrupt or truncated. Export it again."
                ) from None
            # A damaged tail: keep what decoded cleanly.
        if resampler is not None:
            for rf in resampler.resample(None):
                audio_chunks.append(rf.to_ndarray())
    if not frames:
        raise DecodeError(f"{path.name} has a video track with no frames: it is empty or corrupt. Export it again.")
    if len(frames) < limits.min_frames:
        raise DecodeError(f"{path.name} is a single still image, not a video: upload a video ({ACCEPTED}).")
    decoded_s = times[-1] - times[0] + 1 / fps
    if duration is not None and duration > 1.0 and decoded_s < 0.9 * duration:
        raise DecodeError(
            f"{path.name} is truncated or damaged: only {decoded_s:.1f} s of its {duration:.1f} s could be read. "
            "Upload the complete file again."
        )
    video = _constant_rate(frames, times, fps)
    video = _rotate(video, rotation)
    h, w = video.shape[1] - video.shape[1] % 2, video.shape[2] - video.shape[2] % 2
    if h < 16 or w < 16:
        raise DecodeError(f"{path.name} is only {video.shape[2]}x{video.shape[1]} px: upload a video at least 16x16 px.")
    video = np.ascontiguousarray(video[:, :h, :w])
    if audio_chunks:
        audio = np.concatenate(audio_chunks, axis=1).astype(np.float32)
        audio = np.clip(audio, -1.0, 1.0)
    else:
        audio = np.zeros((1, 0), np.float32)
    return Decoded(video, audio, fps, sample_rate, {"source": path.name, "engine": "upload"})


def _constant_rate(frames: list[np.ndarray], times: list[float], fps: float) -> np.ndarray:
    """Resample possibly variable-rate frames to a constant ``fps`` by nearest earlier frame."""
    t = np.asarray(times, dtype=np.float64)
    t = t - t[0]
    if len(t) < 2 or np.allclose(np.diff(t), 1 / fps, atol=0.25 / fps):
        return np.stack(frames)
    n = max(1, int(round((t[-1] + 1 / fps) * fps)))
    grid = np.arange(n) / fps
    idx = np.clip(np.searchsorted(t, grid + 1e-6, side="right") - 1, 0, len(frames) - 1)
    return np.stack([frames[i] for i in idx])


def _rotate(video: np.ndarray, rotation: float) -> np.ndarray:
    """Apply display-matrix rotation (degrees, counter-clockwise as FFmpeg reports it)."""
    k = int(round(rotation / 90.0)) % 4
    return np.rot90(video, k=k, axes=(1, 2)) if k else video


def _duration_s(container, vs) -> float | None:
    if vs.duration is not None and vs.time_base is not None:
        return float(vs.duration * vs.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
