"""Decoding user uploads into arrays (PyAV), safely and within a memory budget, with errors a user can act on.

Kept apart from :mod:`sora_widgets.media` because it is the one place that deals with the variety of
files people upload: containers, rotation, variable frame rate, odd sizes, missing or multi-channel
audio. It returns arrays and raises :class:`DecodeError`; ``media.Clip.load`` (its one caller) makes
the Clip and the ``MediaError``, so this module does not import ``media`` (no import cycle).

What an upload cannot do (issue 13, items 2 and 4):

- **Open another resource.** The container is sniffed from the file's first bytes (never its name)
  and must be one of :data:`DEMUXERS` (ISO media: mp4/mov/m4v/3gp; Matroska: mkv/webm). FFmpeg is
  told that demuxer (no probing), reads the file through a Python file object, may use no other
  demuxer (``format_whitelist``) and gets an ``io_open`` that refuses every nested open: a playlist
  (m3u8/HLS, DASH), a concat list, a QuickTime reference or anything else that names another file or
  URL is refused before FFmpeg parses it, and could open nothing if it were parsed.
- **Take unbounded memory.** Every stream's stated duration is checked before decoding; coded
  pictures larger than ``max_source_pixels`` are refused before decoding; frames are scaled while
  decoding (swscale) to a working size that fits ``max_frame_bytes`` for the whole video, and scaled
  down further if the file holds more frames than its header said; decoding stops at the duration and
  frame-count limits whatever the timestamps say; sound is resampled to at most ``max_sample_rate``,
  stops at the duration limit and is trimmed to the picture.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .frames import resize_to

if TYPE_CHECKING:
    from .media import MediaLimits

#: What people may upload, in the words of every message that refuses something else.
ACCEPTED = ".mp4, .mov, .m4v, .webm or .mkv"

#: Sniffed container family -> the only FFmpeg demuxer used for it (names as FFmpeg spells them).
DEMUXERS = {"iso": "mov", "matroska": "matroska"}
#: ``format_whitelist``: FFmpeg refuses any other demuxer, nested ones included.
_FORMAT_WHITELIST = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm"

#: ISO base media (mp4/mov/m4v/3gp) files start with a box: 4 bytes of size, then one of these types.
_ISO_FIRST_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")
#: Matroska and WebM start with an EBML header.
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"

#: Frames are never scaled below this longest side (px) to fit the budget: the video is refused instead.
MIN_WORKING_SIDE_PX = 64

#: Threads FFmpeg may decode with: each holds a frame in flight, so more threads is more memory.
_MAX_DECODE_THREADS = 4

#: Decoded frames are kept in blocks of about this many bytes (see ``_FrameBuffer``).
_BLOCK_BYTES = 32 * 1024 * 1024

#: Read-ahead of the Python file object FFmpeg reads through (bytes).
_IO_BUFFER_BYTES = 1 << 20


class DecodeError(ValueError):
    """An upload that cannot be used; the message says what to do (``Clip.load`` re-raises it as MediaError)."""


class Decoded(NamedTuple):
    """A decoded upload: (T, H, W, 3) uint8 frames, (C, N) float32 audio in [-1, 1], fps, sample rate (Hz), meta."""

    frames: np.ndarray
    audio: np.ndarray
    fps: float
    sample_rate: int
    meta: dict


def display_name(name: str | os.PathLike) -> str:
    """The file name to show in messages: the last path part, printable characters only, at most 80.

    Args:
        name (`str | os.PathLike`): what the user called the file (an upload's name) or a path.

    Returns:
        `str`: e.g. ``"My Holiday.mp4"``; ``"the upload"`` when nothing printable is left.
    """
    text = re.sub(r"[\x00-\x1f\x7f]", "", Path(str(name)).name).strip()
    if len(text) > 80:
        text = text[:60] + "…" + text[-19:]
    return text or "the upload"


def sniff(head: bytes, label: str) -> str:
    """The demuxer for a file that starts with ``head`` (its first 64+ bytes), or a :class:`DecodeError`
    saying what the file looks like and what to upload instead.

    Args:
        head (`bytes`): the first bytes of the file.
        label (`str`): the file's name as the user knows it (for the message).

    Returns:
        `str`: an FFmpeg demuxer name from :data:`DEMUXERS`.
    """
    if len(head) >= 8 and head[4:8] in _ISO_FIRST_BOXES:
        return DEMUXERS["iso"]
    if head.startswith(_EBML_MAGIC):
        return DEMUXERS["matroska"]
    riff = head[8:12] if head.startswith(b"RIFF") else b""
    other_format = (  # videos in containers we do not open: worth converting
        "a GIF image" if head.startswith(b"GIF8") else
        "an AVI video" if riff == b"AVI " else
        "a Flash (FLV) video" if head.startswith(b"FLV") else
        "an MPEG program stream (.mpg)" if head.startswith(b"\x00\x00\x01\xba") else
        "an MPEG transport stream (.ts)" if head[:1] == b"\x47" and head[188:189] == b"\x47" else
        "an Ogg file" if head.startswith(b"OggS") else None)
    if other_format:
        raise DecodeError(f"{label} is {other_format}, a format we do not take: convert it to MP4 (or upload "
                          f"{ACCEPTED}).")
    not_video = (
        "a still image" if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"BM")) or riff == b"WEBP" else
        "a sound file" if riff == b"WAVE" or head.startswith((b"ID3", b"fLaC", b"\xff\xfb", b"\xff\xf3")) else
        "a playlist or a list of other files"
        if head.lstrip().startswith((b"#EXTM3U", b"#EXT", b"ffconcat", b"file ", b"<", b"[playlist]")) else
        "a file we cannot read")
    raise DecodeError(f"{label} is {not_video}, not a video: upload a video file ({ACCEPTED}); "
                      "if it is one, export it again.")


def decode_file(path: Path, limits: MediaLimits, *, silent_rate: int, name: str | None = None) -> Decoded:
    """Decode the video file at ``path`` within ``limits``.

    Args:
        path (`Path`): the file (the server's copy of an upload; its name and place never reach a message).
        limits (`MediaLimits`): duration, working size, decode budget (see ``media.MediaLimits``).
        silent_rate (`int`): the sample rate in Hz a file without sound gets (silence).
        name (`str`, *optional*): the name the user knows the file by (defaults to ``path``'s name).

    Returns:
        `Decoded`: frames scaled to fit ``limits.max_frame_bytes``, sound trimmed to the picture;
        ``meta["notes"]`` says what was scaled or trimmed.

    Raises:
        DecodeError: with a message that says what was wrong or too big and what to do.
    """
    import av

    label = display_name(name or path)
    with open(path, "rb") as fh:
        demuxer = sniff(fh.read(512), label)
        fh.seek(0)
        try:
            container = av.open(
                fh, "r", format=demuxer, buffer_size=_IO_BUFFER_BYTES, io_open=_refuse_nested_open,
                container_options={"format_whitelist": _FORMAT_WHITELIST, "protocol_whitelist": "file",
                                   "enable_drefs": "0"},
            )
        except (av.error.FFmpegError, UnicodeDecodeError, OSError, ValueError) as exc:
            raise DecodeError(
                f"{label} could not be opened ({_reason(exc)}): it may be truncated or corrupt. "
                f"Export it again as {ACCEPTED}."
            ) from None
        with container:
            return _decode(av, container, limits, label, silent_rate)


def _refuse_nested_open(url: str, flags: int, options: dict):
    """FFmpeg's hook for opening any other file or URL while reading an upload: always refused."""
    raise PermissionError("an upload may not open other files")


def _decode(av, container, limits: MediaLimits, label: str, silent_rate: int) -> Decoded:
    vstreams = [s for s in container.streams.video if s.codec_context is not None]
    if not vstreams:
        kind = "an audio-only file" if container.streams.audio else "not a video"
        raise DecodeError(f"{label} is {kind}: a clip needs pictures. Upload a video ({ACCEPTED}).")
    vs = vstreams[0]
    # A sound track whose codec FFmpeg cannot name (a damaged sample description) is left out, not read.
    astreams = [s for s in container.streams.audio if s.codec_context is not None]
    astream = astreams[0] if astreams else None
    _check_stated_durations(container, limits, label)
    src_w, src_h = int(vs.codec_context.width or 0), int(vs.codec_context.height or 0)
    _check_source_size(src_w, src_h, limits, label)
    vs.thread_type = "AUTO"  # frame + slice threads: decoding is the slow part of an upload
    vs.thread_count = min(_MAX_DECODE_THREADS, os.cpu_count() or 1)
    fps = float(vs.average_rate or vs.guessed_rate or 24)
    if not (0 < fps <= 240):
        fps = 24.0
    video_s = _stream_seconds(vs)
    header_s = video_s if video_s is not None else _container_seconds(container)
    # At most this many frames, whatever the timestamps say (they can restart or lie).
    max_frames = int(math.ceil((limits.max_duration_s + 1) * fps * 1.1)) + 10
    frames = _FrameBuffer(limits, label, expected=None if header_s is None else min(header_s, limits.max_duration_s) * fps)
    times: list[float] = []
    audio = _AudioBuffer(av, astream, limits, silent_rate)
    streams = [vs] + ([astream] if astream is not None else [])
    t0 = None
    try:
        for packet in container.demux(*streams):
            if packet.stream is not vs and audio.full:
                continue  # past the sound limit: demux on (the picture may go on), decode nothing
            for frame in packet.decode():
                if not isinstance(frame, av.VideoFrame):
                    audio.add(frame)
                    continue
                if len(times) >= max_frames:
                    raise DecodeError(
                        f"{label} has more than {max_frames} frames, more than {limits.max_duration_s:.0f} s "
                        f"at {fps:g} frames/s: trim it and upload again.")
                t = frame.time if frame.time is not None else len(times) / fps
                t0 = t if t0 is None else t0
                if t - t0 > limits.max_duration_s + 1:
                    raise DecodeError(
                        f"{label} is longer than the {limits.max_duration_s:.0f} s limit: trim it and upload again.")
                frames.add(frame)
                times.append(t)
    except DecodeError:
        raise
    except (av.error.FFmpegError, ValueError, MemoryError) as exc:
        if not times:
            raise DecodeError(
                f"{label} could not be decoded ({_reason(exc)}): the file looks corrupt or truncated. "
                "Export it again."
            ) from None
        # A damaged tail: keep what decoded cleanly.
    audio.finish()
    if not times:
        raise DecodeError(f"{label} has a video track with no frames: it is empty or corrupt. Export it again.")
    if len(times) < limits.min_frames:
        raise DecodeError(f"{label} is a single still image, not a video: upload a video ({ACCEPTED}).")
    times = _usable_times(times, fps)
    decoded_s = times[-1] - times[0] + 1 / fps
    stated_s = header_s
    if (stated_s is not None and stated_s > 1.0 and decoded_s < 0.9 * stated_s
            and audio.seconds < 0.9 * stated_s):
        raise DecodeError(
            f"{label} is truncated or damaged: only {decoded_s:.1f} s of its {stated_s:.1f} s could be read. "
            "Upload the complete file again."
        )
    video = frames.constant_rate(times, fps)
    h, w = video.shape[1:3]
    if h < 16 or w < 16:
        raise DecodeError(f"{label} is only {w}x{h} px: upload a video at least 16x16 px.")
    notes = list(frames.notes)
    samples, trimmed = audio.array(video.shape[0] / fps)
    if trimmed:
        notes.append(f"sound trimmed to the picture's {video.shape[0] / fps:.1f} s")
    meta = {"source": label, "engine": "upload"}
    if notes:
        meta["notes"] = notes
    return Decoded(video, samples, fps, audio.rate, meta)


class _FrameBuffer:
    """Decoded RGB frames at a working size that keeps all of them within ``limits.max_frame_bytes``.

    The working size starts at ``limits.max_side_px`` (or smaller when the header's frame count says
    it must); when more frames arrive than fit, every frame kept so far is scaled down and decoding
    goes on at the smaller size. Frames live in blocks of about :data:`_BLOCK_BYTES` (each its own
    allocation, so a block handed back is memory the process returns): rescaling and the final copy
    go block by block, so the peak is the budget plus one block, never the budget twice.
    """

    def __init__(self, limits: MediaLimits, label: str, expected: float | None):
        self.limits, self.label, self.expected = limits, label, expected
        self.blocks: list[np.ndarray | None] = []
        self.per_block = 1
        self.count = 0
        self.size: tuple[int, int] | None = None  # (w, h) frames are decoded to, before rotation
        self.shape: tuple[int, int] | None = None  # (h, w) of kept frames, after rotation and cropping
        self.scaled = False
        self.source: tuple[int, int] | None = None

    @property
    def notes(self) -> list[str]:
        if not self.scaled or self.shape is None or self.source is None:
            return []
        h, w = self.shape
        return [f"scaled from {self.source[0]}x{self.source[1]} to {w}x{h} px to fit the decode budget "
                f"of {self.limits.max_frame_bytes / 1e6:.0f} MB"]

    @property
    def frame_bytes(self) -> int:
        h, w = self.shape or (0, 0)
        return h * w * 3

    def _plan(self, src_w: int, src_h: int) -> tuple[int, int]:
        """The first working size: the longest side at most ``max_side_px``, and the expected frame count fitting."""
        scale = min(1.0, self.limits.max_side_px / max(src_w, src_h))
        if self.expected:
            fit = math.sqrt(self.limits.max_frame_bytes / (max(self.expected, 1) * src_w * src_h * 3))
            scale = min(scale, fit)
        if scale >= 1.0:
            return src_w, src_h
        if max(src_w, src_h) * scale < MIN_WORKING_SIDE_PX:
            self._too_many(int(self.expected or 0))
        return _even(src_w * scale), _even(src_h * scale)

    def _too_many(self, count: int) -> None:
        raise DecodeError(
            f"{self.label} has too many frames to decode in memory: {count} frames would need pictures smaller "
            f"than {MIN_WORKING_SIDE_PX} px to fit the {self.limits.max_frame_bytes / 1e6:.0f} MB decode budget. "
            "Upload a shorter video (or one at a lower frame rate).")

    def add(self, frame) -> None:
        """Convert ``frame`` (a PyAV VideoFrame) to RGB at the working size and keep it."""
        _check_source_size(frame.width, frame.height, self.limits, self.label)
        if self.size is None:
            self.source = (frame.width, frame.height)
            self.size = self._plan(frame.width, frame.height)
            self.scaled = self.size != self.source
        w, h = self.size
        if (w, h) == (frame.width, frame.height):
            rgb = frame.to_ndarray(format="rgb24")
        else:  # swscale straight to the working size: the full-size RGB frame never exists
            rgb = frame.reformat(width=w, height=h, format="rgb24", interpolation="AREA").to_ndarray()
        k = int(round((getattr(frame, "rotation", 0) or 0) / 90.0)) % 4
        if k:  # display-matrix rotation (counter-clockwise, as FFmpeg reports it)
            rgb = np.rot90(rgb, k=k)
        rgb = rgb[: rgb.shape[0] - rgb.shape[0] % 2, : rgb.shape[1] - rgb.shape[1] % 2]
        if self.shape is None:
            self.shape = rgb.shape[:2]
            self.per_block = max(1, _BLOCK_BYTES // self.frame_bytes)
        elif rgb.shape[:2] != self.shape:  # the stream changed size mid-way
            rgb = resize_to(rgb, *self.shape)
        while (self.count + 1) * self.frame_bytes > self.limits.max_frame_bytes:
            self._shrink(self.count + 1)
            rgb = resize_to(rgb, *self.shape)
        b, i = divmod(self.count, self.per_block)
        if b == len(self.blocks):
            self.blocks.append(np.empty((self.per_block, *self.shape, 3), np.uint8))
        self.blocks[b][i] = rgb
        self.count += 1

    def frame(self, j: int) -> np.ndarray:
        b, i = divmod(j, self.per_block)
        return self.blocks[b][i]

    def _shrink(self, count: int) -> None:
        """Scale every kept frame (and the working size) down so ``count`` frames fit the budget."""
        h, w = self.shape
        scale = min(math.sqrt(self.limits.max_frame_bytes / (count * h * w * 3)), 0.85)  # 0.85: some headroom
        nh, nw = _even(h * scale), _even(w * scale)
        if max(nh, nw) < MIN_WORKING_SIDE_PX:
            self._too_many(count)
        per_block = max(1, _BLOCK_BYTES // (nh * nw * 3))
        blocks: list[np.ndarray | None] = []
        for j in range(self.count):
            b, i = divmod(j, per_block)
            if b == len(blocks):
                blocks.append(np.empty((per_block, nh, nw, 3), np.uint8))
            blocks[b][i] = resize_to(self.frame(j), nh, nw)
            if (j + 1) % self.per_block == 0:
                self.blocks[j // self.per_block] = None  # that old block is copied: hand it back
        self.blocks, self.per_block, self.shape = blocks, per_block, (nh, nw)
        sw, sh = self.size  # (before rotation) frames decoded from now on come out at the new size
        self.size = (_even(sw * scale), _even(sh * scale))
        self.scaled = True

    def constant_rate(self, times: list[float], fps: float) -> np.ndarray:
        """The frames as one (T, H, W, 3) array at a constant ``fps`` (nearest earlier frame for variable
        rate), copied block by block so the blocks and the array are never both whole in memory."""
        t = np.asarray(times, dtype=np.float64)
        t = t - t[0]
        if len(t) < 2 or np.allclose(np.diff(t), 1 / fps, atol=0.25 / fps):
            idx = np.arange(self.count)
        else:
            n = max(1, int(round((t[-1] + 1 / fps) * fps)))
            grid = np.arange(n) / fps
            idx = np.clip(np.searchsorted(t, grid + 1e-6, side="right") - 1, 0, self.count - 1)
        while len(idx) * self.frame_bytes > self.limits.max_frame_bytes:
            self._shrink(len(idx))
        out = np.empty((len(idx), *self.shape, 3), np.uint8)
        for i, j in enumerate(idx):  # idx never decreases: a block is done once a later one is used
            out[i] = self.frame(int(j))
            done = int(j) // self.per_block - 1
            if done >= 0 and self.blocks[done] is not None:
                self.blocks[done] = None
        self.blocks = []
        return out


class _AudioBuffer:
    """Decoded sound, resampled to at most ``limits.max_sample_rate`` and at most ``max_duration_s + 1`` s long."""

    def __init__(self, av, astream, limits: MediaLimits, silent_rate: int):
        self.chunks: list[np.ndarray] = []
        self.count = 0
        self.resampler = None
        self.rate = silent_rate
        if astream is not None:
            stated = int(astream.rate or 0)
            self.rate = min(stated, limits.max_sample_rate) if stated > 0 else silent_rate
            layout = "mono" if (astream.channels or 1) == 1 else "stereo"
            self.resampler = av.AudioResampler(format="fltp", layout=layout, rate=self.rate)
        self.cap = int((limits.max_duration_s + 1) * self.rate)

    @property
    def full(self) -> bool:
        return self.count >= self.cap

    @property
    def seconds(self) -> float:
        return self.count / self.rate

    def add(self, frame) -> None:
        if self.resampler is None or self.full:
            return
        for rf in self.resampler.resample(frame):
            self._keep(rf.to_ndarray())

    def finish(self) -> None:
        if self.resampler is not None and not self.full:
            for rf in self.resampler.resample(None):
                self._keep(rf.to_ndarray())

    def _keep(self, chunk: np.ndarray) -> None:
        chunk = chunk[:, : self.cap - self.count]
        self.chunks.append(chunk)
        self.count += chunk.shape[1]

    def array(self, picture_s: float) -> tuple[np.ndarray, bool]:
        """(C, N) float32 sound cut at the end of the picture (``picture_s`` seconds), and whether it was cut."""
        if not self.chunks:
            return np.zeros((1, 0), np.float32), False
        n = min(self.count, int(round(picture_s * self.rate)))
        trimmed = self.count > n + self.rate // 20  # more than 50 ms past the picture
        out = np.empty((self.chunks[0].shape[0], n), np.float32)
        at = 0
        while self.chunks and at < n:
            chunk = self.chunks.pop(0)[:, : n - at]
            out[:, at : at + chunk.shape[1]] = chunk
            at += chunk.shape[1]
        self.chunks = []
        np.clip(out[:, :at], -1.0, 1.0, out=out[:, :at])
        return out[:, :at], trimmed


def _usable_times(times: list[float], fps: float) -> list[float]:
    """The frame times, or evenly spaced ones when the file's clock goes backwards (restarted timestamps)."""
    if any(b < a for a, b in zip(times, times[1:], strict=False)):
        return [i / fps for i in range(len(times))]
    return times


def _check_stated_durations(container, limits: MediaLimits, label: str) -> None:
    """Refuse before decoding when any stream (or the container) says it is longer than the limit."""
    kinds = {"video": "picture", "audio": "sound track", "subtitle": "subtitle track", "data": "data track"}
    for s in container.streams:
        seconds = _stream_seconds(s)
        if seconds is not None and seconds > limits.max_duration_s:
            raise DecodeError(
                f"{label}: its {kinds.get(s.type, 'track')} is {seconds:.0f} s long, over the "
                f"{limits.max_duration_s:.0f} s limit: trim it and upload again.")
    seconds = _container_seconds(container)
    if seconds is not None and seconds > limits.max_duration_s:
        raise DecodeError(f"{label} is {seconds:.0f} s long, over the {limits.max_duration_s:.0f} s limit: "
                          "trim it and upload again.")


def _check_source_size(w: int, h: int, limits: MediaLimits, label: str) -> None:
    if w * h > limits.max_source_pixels:
        raise DecodeError(
            f"{label} has {w}x{h} px pictures, larger than the {limits.max_source_pixels / 1e6:.0f} megapixels "
            "we decode: export it at 4K or less and upload again.")


def _stream_seconds(s) -> float | None:
    if s.duration is not None and s.time_base is not None and s.duration > 0:
        return float(s.duration * s.time_base)
    return None


def _container_seconds(container) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / 1_000_000
    return None


def _even(x: float) -> int:
    return max(2, int(x) - int(x) % 2)


def _reason(exc: BaseException) -> str:
    """FFmpeg's reason in words: no errno number, no file path."""
    text = getattr(exc, "strerror", None) or str(exc).strip() or type(exc).__name__
    text = re.sub(r"\[Errno -?\d+\]\s*", "", str(text).splitlines()[0])
    text = re.sub(r":\s*'[^']*'$", "", text)  # FFmpeg appends the file name
    text = re.sub(r"(/[^\s/'\"]+)+", "", text).strip(" :;,")  # and any path
    return (text or type(exc).__name__)[:120]
