"""Clips: frames + audio + timing, and MP4 read/write with sound (PyAV).

A :class:`Clip` is the one value every part of sora-widgets passes around:
engines return it, the store saves it, widgets play it, moderation inspects it.

Units: ``fps`` in frames per second, ``sample_rate`` in Hz, durations and
times in seconds. ``frames`` is ``(T, H, W, 3)`` uint8 RGB; ``audio`` is
``(channels, samples)`` float32 in ``[-1, 1]``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import tempfile
import threading
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from .frames import resize_frame

__all__ = ["Clip", "EncodedMP4", "container_tags", "MediaError", "MediaLimits", "DEFAULT_LIMITS", "atomic_write_bytes"]


class MediaError(ValueError):
    """A media file or array that cannot be used, with a message a user can act on."""


@dataclass(frozen=True)
class MediaLimits:
    """Limits applied to user uploads (``Clip.load``).

    ``max_bytes``: largest accepted file size in bytes.
    ``max_duration_s``: longest accepted duration in seconds.
    ``max_side_px``: frames larger than this on their longest side are scaled down.
    ``min_frames``: fewer frames than this is a still image, not a video.
    ``max_frame_bytes``: the decode budget for pictures, in bytes of decoded RGB (frames x height x
    width x 3). Frames are scaled down while decoding so the whole video fits; a video that would
    need frames smaller than ``MIN_WORKING_SIDE_PX`` to fit is refused instead.
    ``max_source_pixels``: a coded picture larger than this (width x height, as the file states it)
    is refused before anything is decoded (FFmpeg would allocate it whole).
    ``max_sample_rate``: sound above this rate (Hz) is resampled down to it while decoding.

    Together they bound what decoding an upload can take: ``max_frame_bytes`` of pictures plus
    ``max_duration_s * max_sample_rate * 2 channels * 4 bytes`` of sound (46 MB at the defaults),
    plus FFmpeg's own buffers (docs/security.md, "Upload budget").
    """

    max_bytes: int = 512 * 1024 * 1024
    max_duration_s: float = 120.0
    max_side_px: int = 1024
    min_frames: int = 2
    max_frame_bytes: int = 768 * 1024 * 1024
    max_source_pixels: int = 8192 * 4352
    max_sample_rate: int = 48_000


DEFAULT_LIMITS = MediaLimits(
    max_bytes=int(os.environ.get("SORA_WIDGETS_MAX_UPLOAD_BYTES", 512 * 1024 * 1024)),
    max_duration_s=float(os.environ.get("SORA_WIDGETS_MAX_UPLOAD_SECONDS", 120.0)),
)

#: H.264 needs even sizes in yuv420p; players need at least this many pixels.
MIN_SIDE_PX = 16
#: The sample rate silent audio gets when a file has no sound track.
DEFAULT_SAMPLE_RATE = 48_000


#: Encoder settings of the one MP4 a clip is shown and stored as (``Clip.encoded``).
DEFAULT_CRF = 18
DEFAULT_AUDIO_BITRATE = 192_000
#: FFmpeg's AAC encoder's search method (its ``aac_coder`` option); see :func:`_encode_mp4`.
AAC_CODER = "fast"


@dataclass(frozen=True)
class EncodedMP4:
    """A clip's MP4 (H.264 yuv420p + AAC, faststart) and the SHA-256 of those bytes (hex).

    The hash is computed here, once, from ``data``: the store files the bytes
    under it and moderation caches its verdict under it.
    """

    data: bytes
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    def __repr__(self) -> str:
        return f"EncodedMP4({len(self.data)} bytes, sha256={self.sha256[:12]}…)"


@dataclass(eq=False)
class Clip:
    """A video with sound.

    Parameters
    ----------
    frames : (T, H, W, 3) uint8 RGB frames, T >= 1.
    audio : (C, N) float32 samples in [-1, 1], C in {1, 2}. N may be 0 (silence).
    fps : frames per second (> 0).
    sample_rate : audio samples per second in Hz (> 0).
    meta : JSON-serialisable metadata (engine, prompt, seed, recipe, timings, ...).
    """

    frames: np.ndarray
    audio: np.ndarray
    fps: float
    sample_rate: int
    meta: dict[str, Any] = field(default_factory=dict)
    # The memoised encoding (see ``encoded``): ((frames, audio, fps, sample_rate, container tags), EncodedMP4).
    _mp4: tuple | None = field(default=None, init=False, repr=False)
    _mp4_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        frames = np.asarray(self.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3:
            raise MediaError(
                f"frames must have shape (T, H, W, 3) (RGB); got {frames.shape}. "
                "Stack RGB frames along the first axis."
            )
        if frames.shape[0] < 1:
            raise MediaError("a clip needs at least one frame; got 0 frames.")
        if frames.dtype != np.uint8:
            raise MediaError(
                f"frames must be uint8 (0-255); got {frames.dtype}. "
                "Convert with (np.clip(x, 0, 1) * 255).astype(np.uint8)."
            )
        audio = np.asarray(self.audio)
        if audio.ndim == 1:
            audio = audio[None, :]
        if audio.ndim != 2 or audio.shape[0] not in (1, 2):
            raise MediaError(
                f"audio must have shape (channels, samples) with 1 or 2 channels; got {audio.shape}."
            )
        if audio.dtype != np.float32:
            raise MediaError(f"audio must be float32 in [-1, 1]; got {audio.dtype}.")
        if audio.size and not np.isfinite(audio).all():
            raise MediaError("audio contains NaN or infinite samples.")
        if audio.size and float(np.abs(audio).max()) > 1.0 + 1e-6:
            raise MediaError(
                f"audio must lie in [-1, 1]; peak is {float(np.abs(audio).max()):.3f}. "
                "Normalise or clip it first."
            )
        if not (isinstance(self.fps, (int, float)) and math.isfinite(self.fps) and 0 < self.fps <= 240):
            raise MediaError(f"fps must be a number in (0, 240]; got {self.fps!r}.")
        if not (isinstance(self.sample_rate, (int, np.integer)) and 1000 <= self.sample_rate <= 192_000):
            raise MediaError(f"sample_rate must be an integer in [1000, 192000] Hz; got {self.sample_rate!r}.")
        self.frames = frames
        self.audio = audio
        self.sample_rate = int(self.sample_rate)
        self.meta = dict(self.meta or {})

    # A lock cannot be pickled or copied: a copy (pickle keeps the arrays' identity, so the memo
    # stays valid) gets a lock of its own.
    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "_mp4_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._mp4_lock = threading.Lock()

    # ------------------------------------------------------------------ views
    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def height(self) -> int:
        return int(self.frames.shape[1])

    @property
    def width(self) -> int:
        return int(self.frames.shape[2])

    @property
    def channels(self) -> int:
        return int(self.audio.shape[0])

    @property
    def duration(self) -> float:
        """Length of the picture in seconds (``num_frames / fps``)."""
        return self.num_frames / float(self.fps)

    def frame_at(self, t: float) -> np.ndarray:
        """The frame shown at time ``t`` seconds (clamped to the clip)."""
        i = int(math.floor(t * self.fps + 1e-9))
        return self.frames[min(max(i, 0), self.num_frames - 1)]

    def thumbnail(self, size: int = 128, t: float | None = None) -> np.ndarray:
        """A (h, w, 3) uint8 still, longest side ``size`` px, from the middle (or ``t`` s)."""
        frame = self.frame_at(self.duration / 2 if t is None else t)
        return resize_frame(frame, size)

    def thumbnail_png(self, size: int = 128, t: float | None = None) -> bytes:
        """The thumbnail encoded as PNG bytes (for widgets and the store)."""
        return encode_png(self.thumbnail(size, t))

    def with_meta(self, **updates: Any) -> Clip:
        """A copy sharing arrays, with ``meta`` updated."""
        return Clip(self.frames, self.audio, self.fps, self.sample_rate, {**self.meta, **updates})

    # --------------------------------------------------------------- file I/O
    def encoded(self) -> EncodedMP4:
        """The clip's MP4 at the default settings and its SHA-256, encoded once and then reused.

        The player shows these bytes and the store keeps these bytes, so a clip is
        encoded once however many times it is shown, checked and saved (about 0.5 s
        for 4 s at 256 px on 2 cores). The memo is keyed on the very ``frames`` and
        ``audio`` arrays, ``fps``, ``sample_rate`` and the tags written into the file
        (title, engine, seed); assigning any of them re-encodes. The arrays are made
        read-only once encoded, so an in-place edit raises instead of leaving the
        bytes stale: edit a copy (``clip.frames = clip.frames.copy()``) instead.
        """
        tags = container_tags(self.meta)
        with self._mp4_lock:
            memo = self._mp4
            if memo is not None:
                (frames, audio, fps, sample_rate, memo_tags), enc = memo
                if (frames is self.frames and audio is self.audio and fps == self.fps
                        and sample_rate == self.sample_rate and memo_tags == tags):
                    return enc
            enc = EncodedMP4(self._encode_bytes(crf=DEFAULT_CRF, audio_bitrate=DEFAULT_AUDIO_BITRATE))
            self.freeze()
            self._mp4 = ((self.frames, self.audio, self.fps, self.sample_rate, tags), enc)
            return enc

    def encoded_if_ready(self) -> EncodedMP4 | None:
        """:meth:`encoded`'s result if it is memoised and still valid, else None (never encodes, never waits)."""
        memo = self._mp4
        if memo is None:
            return None
        (frames, audio, fps, sample_rate, tags), enc = memo
        if (frames is self.frames and audio is self.audio and fps == self.fps and sample_rate == self.sample_rate
                and tags == container_tags(self.meta)):
            return enc
        return None

    def freeze(self) -> Clip:
        """Make ``frames`` and ``audio`` read-only (what :meth:`encoded` does once it has encoded them).

        A check that must see the very arrays that will be encoded freezes them first.
        """
        for array in (self.frames, self.audio):
            array.flags.writeable = False
        return self

    def to_mp4_bytes(self, *, crf: int = DEFAULT_CRF, audio_bitrate: int = DEFAULT_AUDIO_BITRATE) -> bytes:
        """MP4 bytes (H.264 yuv420p + AAC, faststart); at the default settings, :meth:`encoded`'s bytes."""
        if crf == DEFAULT_CRF and audio_bitrate == DEFAULT_AUDIO_BITRATE:
            return self.encoded().data
        return self._encode_bytes(crf=crf, audio_bitrate=audio_bitrate)

    def _encode_bytes(self, *, crf: int, audio_bitrate: int) -> bytes:
        # faststart rewrites the file to move the index up front: it needs a real file.
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "clip.mp4"
            _encode_mp4(self, str(p), crf=crf, audio_bitrate=audio_bitrate)
            return p.read_bytes()

    def save(self, path: str | os.PathLike, *, crf: int = DEFAULT_CRF,
             audio_bitrate: int = DEFAULT_AUDIO_BITRATE) -> Path:
        """Write an MP4 file atomically (temp file + rename): a crash never leaves half a file.

        At the default settings the file holds :meth:`encoded`'s bytes (no second encode).
        """
        path = Path(path)
        if crf == DEFAULT_CRF and audio_bitrate == DEFAULT_AUDIO_BITRATE:
            atomic_write_bytes(path, self.encoded().data)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part.mp4", dir=path.parent)
        os.close(fd)
        try:
            _encode_mp4(self, tmp, crf=crf, audio_bitrate=audio_bitrate)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, *, limits: MediaLimits = DEFAULT_LIMITS, name: str | None = None) -> Clip:
        """Read a video file (mp4/mov/m4v/webm/mkv, with or without sound) into a Clip.

        Odd sizes are cropped to even, phone rotation is applied, variable frame
        rate is resampled to a constant rate. The container is recognised from the
        file's bytes, never its name, and may open no other file (playlists, concat
        lists and references are refused). Decoding stays within ``limits``: frames
        are scaled to fit ``limits.max_frame_bytes``, sound past the picture is cut;
        ``clip.meta["notes"]`` says so.

        Args:
            path (`str | os.PathLike`): the file.
            limits (`MediaLimits`, *optional*): size, duration and decode budget; ``DEFAULT_LIMITS``.
            name (`str`, *optional*): the name to use in messages (an upload's own name); ``path``'s name.

        Raises:
            MediaError: with an actionable message for anything unusable or too big.
        """
        path = Path(path)
        label = _decode_module().display_name(name or path)
        if not path.exists():
            raise MediaError(f"no such file: {path}")
        if not path.is_file():
            raise MediaError(f"{path} is not a file")
        size = path.stat().st_size
        if size == 0:
            raise MediaError(f"{label} is empty (0 bytes): upload the file again.")
        if size > limits.max_bytes:
            raise MediaError(
                f"{label} is {_mb(size)}, over the {_mb(limits.max_bytes)} limit: "
                "trim or compress it (e.g. shorter, 720p) and upload again."
            )
        _decode = _decode_module()
        try:
            return cls(*_decode.decode_file(path, limits, silent_rate=DEFAULT_SAMPLE_RATE, name=label))
        except _decode.DecodeError as exc:
            raise MediaError(str(exc)) from None

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str = "upload", limits: MediaLimits = DEFAULT_LIMITS) -> Clip:
        """Like :meth:`load` for an in-memory upload (e.g. a FileUpload value).

        Args:
            data (`bytes`): the file's bytes.
            name (`str`, *optional*): the upload's name, used in messages only: the format comes from the
                bytes, and the name never becomes part of a path.
            limits (`MediaLimits`, *optional*): as for :meth:`load`.
        """
        label = _decode_module().display_name(name)
        if len(data) > limits.max_bytes:
            raise MediaError(
                f"{label} is {_mb(len(data))}, over the {_mb(limits.max_bytes)} limit: "
                "trim or compress it (e.g. shorter, 720p) and upload again."
            )
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / "upload"
            p.write_bytes(data)
            return cls.load(p, limits=limits, name=label)

    def __repr__(self) -> str:
        return (
            f"Clip({self.num_frames} frames {self.width}x{self.height} @ {self.fps:g} fps, "
            f"{self.duration:.2f} s, audio {self.channels}ch @ {self.sample_rate} Hz, "
            f"engine={self.meta.get('engine')!r})"
        )


# ---------------------------------------------------------------------- helpers
def _mb(n: int) -> str:
    """A byte count for people: ``"537 MB"``, ``"0.002 MB"``."""
    return f"{n / 1e6:.0f} MB" if n >= 10e6 else f"{n / 1e6:.3g} MB"


def _decode_module():
    """The upload decoder, imported on first use (it is only needed when a file is read)."""
    from . import _decode

    return _decode


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same folder + fsync + rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def encode_png(rgb: np.ndarray) -> bytes:
    """PNG bytes of an (H, W, 3|4) uint8 image (PyAV's PNG encoder; no extra dependency)."""
    import av

    rgb = np.ascontiguousarray(rgb)
    fmt = "rgba" if rgb.shape[-1] == 4 else "rgb24"
    buf = io.BytesIO()
    with av.open(buf, "w", format="image2pipe") as out:
        s = out.add_stream("png")
        s.width, s.height, s.pix_fmt = rgb.shape[1], rgb.shape[0], fmt
        frame = av.VideoFrame.from_ndarray(rgb, format=fmt)
        for pkt in s.encode(frame):
            out.mux(pkt)
        for pkt in s.encode():
            out.mux(pkt)
    return buf.getvalue()


def _even(frames: np.ndarray) -> np.ndarray:
    """Pad frames to even width/height (yuv420p needs it) by repeating the edge."""
    t, h, w, _ = frames.shape
    ph, pw = h % 2, w % 2
    if ph or pw:
        frames = np.pad(frames, ((0, 0), (0, ph), (0, pw), (0, 0)), mode="edge")
    return frames


def _fps_fraction(fps: float) -> Fraction:
    return Fraction(fps).limit_denominator(1001)


def container_tags(meta: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The tags written into the MP4 (title, engine and seed, prompt), as a comparable tuple.

    No clip id: the id is given when the store saves the clip, after the player has
    shown the bytes, and the bytes must not change between the two (encode once).
    """
    tags = {
        "title": str(meta.get("title") or meta.get("prompt") or "")[:1000],
        "comment": json.dumps({k: meta[k] for k in ("engine", "seed") if k in meta}, default=str),
        "description": str(meta.get("prompt") or "")[:4000],
        "encoder": "sora-widgets",
    }
    return tuple((k, v) for k, v in tags.items() if v)


def _encode_mp4(clip: Clip, fh: str, *, crf: int, audio_bitrate: int) -> None:
    import av

    frames = _even(clip.frames)
    if frames.shape[1] < MIN_SIDE_PX or frames.shape[2] < MIN_SIDE_PX:
        raise MediaError(f"frames must be at least {MIN_SIDE_PX}x{MIN_SIDE_PX} px to encode; got {frames.shape[2]}x{frames.shape[1]}.")
    with av.open(fh, "w", format="mp4", options={"movflags": "+faststart"}) as out:
        out.metadata.update(dict(container_tags(clip.meta)))
        vs = out.add_stream("libx264", rate=_fps_fraction(clip.fps))
        vs.width, vs.height = frames.shape[2], frames.shape[1]
        vs.pix_fmt = "yuv420p"
        # "veryfast": ~2.5x faster than "fast" on 2 cores at the same PSNR for our content
        # (benchmarks/media_bench.py); crf 18 keeps round trips >= 35 dB.
        vs.options = {"crf": str(crf), "preset": "veryfast"}
        vs.codec_context.time_base = 1 / _fps_fraction(clip.fps)
        layout = "stereo" if clip.channels == 2 else "mono"
        aud = clip.audio
        if aud.shape[1] == 0:
            # A track with silence keeps every clip playable with sound in players.
            aud = np.zeros((clip.channels, max(1, int(clip.duration * clip.sample_rate))), np.float32)
        as_ = out.add_stream("aac", rate=clip.sample_rate, layout=layout)
        as_.bit_rate = audio_bitrate
        # FFmpeg's "fast" AAC coder: 3.4x faster than its default "twoloop" search (0.045 vs 0.155 s for 4 s of
        # stereo on 2 cores, the longest part of a 4 s clip's encode) with a waveform SNR of 33.8 dB against
        # 29.1 at 192 kb/s (benchmarks/media_bench.py --audio-coders).
        as_.options = {"aac_coder": AAC_CODER}
        # AAC encoding costs about as much as H.264 here, so the two run side by side
        # (PyAV releases the GIL while encoding) and packets are muxed afterwards.
        audio_packets: list = []
        audio_thread = threading.Thread(target=_encode_audio, args=(as_, aud, layout, clip.sample_rate, audio_packets))
        audio_thread.start()
        video_packets = []
        for i in range(frames.shape[0]):
            vf = av.VideoFrame.from_ndarray(frames[i], format="rgb24")
            vf.pts = i
            video_packets.extend(vs.encode(vf))
        video_packets.extend(vs.encode())
        audio_thread.join()
        if audio_packets and isinstance(audio_packets[-1], BaseException):
            raise audio_packets[-1]
        # Interleave by decode time so players can stream the file from the start.
        for pkt in sorted(video_packets + audio_packets, key=_packet_time):
            out.mux(pkt)


def _packet_time(pkt: Any) -> float:
    ts = pkt.dts if pkt.dts is not None else (pkt.pts or 0)
    return float(ts * pkt.time_base) if pkt.time_base is not None else 0.0


def _encode_audio(stream: Any, audio: np.ndarray, layout: str, sample_rate: int, sink: list) -> None:
    """Encode planar float audio in AAC's 1024-sample frames into ``sink`` (an exception is appended on failure)."""
    import av

    try:
        step = 1024
        for start in range(0, audio.shape[1], step):
            af = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[:, start : start + step]), format="fltp", layout=layout)
            af.sample_rate = sample_rate
            af.pts = start
            sink.extend(stream.encode(af))
        sink.extend(stream.encode())
    except BaseException as exc:  # surfaced in the calling thread
        sink.append(exc)
