"""``ClipPlayer``: a video player with its sound, frame-accurate scrubbing and an audio timeline.

The front end lives in ``clip_player.js`` / ``clip_player.css`` next to this
file. The MP4 (H.264 + AAC) travels once as a binary trait and becomes a Blob
URL in the browser; they are ``clip.encoded()``, the bytes the store keeps when
the clip is published (one encode). The waveform envelope and the spectrogram are computed here
(:mod:`sora_widgets.audio_features`) and drawn on one timeline with the event
markers and a playhead.

Synced traits a notebook (or ``jslink``) can use: ``current_time`` (seconds),
``playing``, ``loop``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anywidget
import numpy as np
import traitlets

from .. import audio_features
from ..media import Clip

__all__ = ["ClipPlayer", "clip_events"]

_HERE = Path(__file__).parent

#: Columns of the waveform envelope sent to the browser (drawn stretched to the timeline width).
WAVEFORM_BINS = 800


def clip_events(clip: Clip) -> list[dict[str, Any]]:
    """Markers from ``clip.meta["events"]``: dicts with ``t`` (seconds) and ``kind``, sorted by time.

    Entries without a usable time are dropped; extra keys are kept for tooltips
    (only JSON scalars, so the list can be synced).
    """
    out = []
    for ev in clip.meta.get("events") or []:
        if not isinstance(ev, dict):
            continue
        try:
            t = float(ev.get("t"))
        except (TypeError, ValueError):
            continue
        if not (0.0 <= t <= clip.duration + 1e-6):
            continue
        item = {k: v for k, v in ev.items() if isinstance(v, (str, int, float, bool)) and k != "t"}
        item["t"] = t
        item["kind"] = str(ev.get("kind", "event"))
        out.append(item)
    return sorted(out, key=lambda e: e["t"])


class ClipPlayer(anywidget.AnyWidget):
    """Plays a :class:`~sora_widgets.media.Clip` with sound; works for any clip (silent uploads too).

    >>> player = ClipPlayer(clip)
    >>> player.current_time = 1.5   # seek (seconds); the browser shows frame floor(1.5 * fps)
    >>> player.playing = True
    """

    _esm = _HERE / "clip_player.js"
    _css = _HERE / "clip_player.css"

    video = traitlets.Bytes(b"").tag(sync=True)
    fps = traitlets.Float(24.0).tag(sync=True)
    num_frames = traitlets.Int(1).tag(sync=True)
    duration = traitlets.Float(0.0).tag(sync=True)
    video_width = traitlets.Int(0).tag(sync=True)
    video_height = traitlets.Int(0).tag(sync=True)
    has_audio = traitlets.Bool(False).tag(sync=True)
    audio_duration = traitlets.Float(0.0).tag(sync=True)
    waveform_min = traitlets.List(traitlets.Float()).tag(sync=True)
    waveform_max = traitlets.List(traitlets.Float()).tag(sync=True)
    spectrogram_png = traitlets.Bytes(b"").tag(sync=True)
    events = traitlets.List(traitlets.Dict()).tag(sync=True)
    title = traitlets.Unicode("").tag(sync=True)
    display_px = traitlets.Int(360).tag(sync=True)

    current_time = traitlets.Float(0.0).tag(sync=True)
    playing = traitlets.Bool(False).tag(sync=True)
    loop = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        clip: Clip,
        *,
        title: str | None = None,
        display_px: int = 360,
        media: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        """``media``: the result of :meth:`media_traits` for this clip, if already computed."""
        if not isinstance(clip, Clip):
            raise TypeError(f"ClipPlayer needs a sora_widgets Clip; got {type(clip).__name__}. "
                            "Load a file with Clip.load(path).")
        data = media if media is not None else self.media_traits(clip)
        if title is None:
            title = str(clip.meta.get("prompt") or clip.meta.get("title") or "")
        super().__init__(**data, title=title, display_px=int(display_px), **kwargs)
        self.clip = clip

    @staticmethod
    def media_traits(clip: Clip) -> dict[str, Any]:
        """Everything the browser needs for ``clip`` (MP4 bytes, audio pictures, markers).

        Separate from ``__init__`` so a worker thread can do the encoding before
        the widget exists.
        """
        lo, hi = audio_features.waveform_envelope(clip.audio, WAVEFORM_BINS)
        has_audio = bool(clip.audio.size) and bool(np.any(clip.audio))
        # The audio pictures before the bytes: in the Studio the pre-screen's thread is encoding the clip now,
        # so these are made beside it instead of after it.
        spectrogram = audio_features.spectrogram_png(clip.audio, clip.sample_rate)
        events = clip_events(clip)
        return {
            # The memoised encoding: the store saves these very bytes later (encode once).
            "video": clip.encoded().data,
            "fps": float(clip.fps),
            "num_frames": clip.num_frames,
            "duration": float(clip.duration),
            "video_width": clip.width,
            "video_height": clip.height,
            "has_audio": has_audio,
            "audio_duration": clip.audio.shape[1] / float(clip.sample_rate),
            "waveform_min": [round(float(v), 4) for v in lo],
            "waveform_max": [round(float(v), 4) for v in hi],
            "spectrogram_png": spectrogram,
            "events": events,
        }

    @property
    def current_frame(self) -> int:
        """The frame index shown at ``current_time``."""
        return min(self.num_frames - 1, max(0, int(np.floor(self.current_time * self.fps + 1e-9))))

    def seek_frame(self, index: int) -> None:
        """Show frame ``index`` (seeks to its middle, ``(index + 0.5) / fps``, so rounding cannot land on a neighbour)."""
        index = min(self.num_frames - 1, max(0, int(index)))
        self.current_time = (index + 0.5) / self.fps
