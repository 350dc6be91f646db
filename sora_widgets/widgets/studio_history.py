"""The Studio's takes: a strip of the clips made since it opened, and two of them compared side by side."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as W

from ..media import Clip
from ._messages import html_escape
from .clip_player import ClipPlayer

__all__ = ["HistoryEntry", "TakeHistory"]

#: Width of a thumbnail in the strip, and of each player when two takes are compared, in pixels.
THUMB_PX, COMPARE_PX = 96, 300
#: Characters of a take's prompt shown under its thumbnail (the whole prompt is in the tooltip).
HISTORY_PROMPT_CHARS = 40


@dataclass
class HistoryEntry:
    """A clip made in this studio session, with what the browser needs to play it again.

    ``media``: :meth:`ClipPlayer.media_traits` of the clip (computed once, on the worker thread).
    ``clip_id`` / ``status``: set once it is saved (published, draft or held).
    """

    clip: Clip
    media: dict[str, Any]
    made_at: float
    clip_id: str | None = None
    status: str | None = None
    widget: W.Widget | None = field(default=None, repr=False)
    compare_box: W.Checkbox | None = field(default=None, repr=False)


class TakeHistory(W.VBox):
    """The strip of takes (thumbnail, seed, **Show**, *compare*) and the side-by-side comparison.

    ``entries``: the takes, oldest first. Ticking two shows them side by side with
    their time, play and loop linked in the browser (no kernel round trip).
    """

    def __init__(self, **kwargs: Any):
        self.entries: list[HistoryEntry] = []
        self.strip = W.HBox([], layout=W.Layout(overflow_x="auto", width="100%"))
        self.strip.add_class("sw-history")
        self.compare_hint = W.HTML("<small>Tick two clips to compare them side by side.</small>")
        self.compare_box = W.HBox([])
        self.compare_box.add_class("sw-compare")
        self._links: list = []
        self._show_handlers = W.CallbackDispatcher()
        super().__init__([W.HTML("<b>This session</b>"), self.strip, self.compare_hint, self.compare_box], **kwargs)

    def on_show(self, callback: Callable[[HistoryEntry], None], remove: bool = False) -> None:
        """Call ``callback(entry)`` when the user asks to show an older take again (its **Show** button)."""
        self._show_handlers.register_callback(callback, remove=remove)

    def add(self, entry: HistoryEntry) -> None:
        """Append ``entry`` to the strip."""
        self.entries.append(entry)
        n = len(self.entries)
        thumb = W.Image(value=entry.clip.thumbnail_png(THUMB_PX), format="png", layout=W.Layout(width=f"{THUMB_PX}px"))
        prompt = str(entry.clip.meta.get("prompt", ""))
        short = prompt if len(prompt) <= HISTORY_PROMPT_CHARS else prompt[:HISTORY_PROMPT_CHARS - 1] + "…"
        label = W.HTML(f"<small title='{html_escape(prompt)}'>#{n} · {html_escape(short)}<br>"
                       f"seed {html_escape(str(entry.clip.meta.get('seed', '?')))}</small>",
                       layout=W.Layout(width=f"{THUMB_PX + 40}px"))
        label.add_class("sw-history-label")
        show = W.Button(description="Show", layout=W.Layout(width="56px"), tooltip=prompt[:200])
        show.add_class("sw-history-show")
        compare = W.Checkbox(value=False, description="compare", indent=False, layout=W.Layout(width="90px"))
        compare.add_class("sw-history-compare")
        show.on_click(lambda _b, e=entry: self._show_handlers(e))
        compare.observe(lambda _c: self._update_compare(), names="value")
        item = W.VBox([thumb, label, W.HBox([show, compare])], layout=W.Layout(margin="0 8px 0 0"))
        item.add_class("sw-history-item")
        entry.widget, entry.compare_box = item, compare
        self.strip.children = (*self.strip.children, item)

    def compare(self, a: int, b: int) -> None:
        """Show takes ``a`` and ``b`` (0-based) side by side, time and playback linked."""
        for i, e in enumerate(self.entries):
            e.compare_box.value = i in (a, b)
        self._update_compare()

    def _update_compare(self) -> None:
        picked = [e for e in self.entries if e.compare_box is not None and e.compare_box.value]
        if len(picked) != 2:
            self.compare_box.children = []
            self.compare_hint.value = ("<small>Tick two clips to compare them side by side.</small>" if len(picked) < 2
                                       else "<small class='sw-error'>Tick exactly two clips to compare.</small>")
            return
        players = [ClipPlayer(e.clip, media=e.media, display_px=COMPARE_PX) for e in picked]
        # Linked in the browser (no kernel round trip): scrubbing or playing one drives the other.
        self._links = [W.jslink((players[0], name), (players[1], name)) for name in ("current_time", "playing", "loop")]
        self.compare_box.children = players
        self.compare_hint.value = "<small>Compared side by side: time, play and loop are linked.</small>"
