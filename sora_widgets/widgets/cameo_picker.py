"""``CameoPicker``: the cameos the current user may use, with pictures; a click puts ``@name`` in the prompt.

Which cameos appear is the consent service's answer (``cameo.directory.usable``,
built on ``consent.can_use``), not the widget's; the pictures come from
``cameo.directory.preview_png`` (no use recorded). The use itself is recorded when
the prompt is generated (``publishing.generate_checked`` resolves ``@name``).
"""

from __future__ import annotations

import logging
from typing import Any

import ipywidgets as W

from ..cameo import directory
from ..store import Store
from ._messages import html_escape, readable_error

__all__ = ["CameoPicker"]

log = logging.getLogger(__name__)

#: Longest side of a cameo's picture in the picker, in pixels.
PICTURE_PX = 64


class CameoPicker(W.VBox):
    """The cameos ``user`` may use; picking one inserts ``@name`` into ``prompt``.

    Args:
        store: the store holding the cameos.
        user: the creator (from ``session.current_user`` in a dashboard).
        prompt: the text box the mention goes into (the Studio's prompt).
        load: list the cameos now; ``False`` leaves that to a later :meth:`refresh` (the Studio does it
            on its background thread, so the page appears sooner).
    """

    def __init__(self, store: Store, user: str, *, prompt: W.Textarea, load: bool = True, **kwargs: Any):
        self.store, self.user, self.prompt = store, user, prompt
        self.title = W.HTML("<b>Cameos you can use</b> <small>— click one to put it in your prompt</small>")
        self.items = W.HBox([], layout=W.Layout(flex_flow="row wrap", gap="6px"))
        self.items.add_class("sw-cameo-picker-items")
        self.message = W.HTML("")
        self.refresh_button = W.Button(description="Refresh", tooltip="Look again for cameos shared with you",
                                       layout=W.Layout(width="80px"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.cameos: list[dict[str, Any]] = []
        super().__init__([W.HBox([self.title, self.refresh_button], layout=W.Layout(align_items="center",
                                                                                   flex_flow="row wrap")),
                          self.items, self.message], **kwargs)
        self.add_class("sw-cameo-picker")
        if load:
            self.refresh()

    def refresh(self) -> None:
        """Ask the consent service again which cameos the user may use (after a friend shares one)."""
        try:
            self.cameos = directory.usable(self.store, self.user)
        except Exception as exc:  # a picker that cannot list must not break the Studio
            log.debug("cameo list failed", exc_info=True)
            self.cameos, self.items.children = [], []
            self.message.value = f"<small class='sw-error'>{html_escape(readable_error(exc))}</small>"
            return
        self.items.children = [self._item(c) for c in self.cameos]
        self.message.value = ("" if self.cameos else
                              "<small>No cameos yet: make yours in <i>My cameo</i>, or ask a friend to share theirs "
                              "with you.</small>")

    def _item(self, c: dict[str, Any]) -> W.Widget:
        try:
            picture: W.Widget = W.Image(value=directory.preview_png(self.store, c["cameo_id"], user=self.user,
                                                                     px=PICTURE_PX), format="png",
                                        layout=W.Layout(width=f"{PICTURE_PX}px", height=f"{PICTURE_PX}px",
                                                        object_fit="contain"))
        except Exception:  # a damaged asset: the name still works
            log.debug("cameo preview failed", exc_info=True)
            picture = W.HTML(f"<div style='width:{PICTURE_PX}px;height:{PICTURE_PX}px'></div>")
        mine = c["owner"] == self.user
        button = W.Button(description=f"@{c['name']}", tooltip=("your cameo" if mine else f"by @{c['owner']}")
                          + f" — {c['reason']}", layout=W.Layout(width=f"{PICTURE_PX + 40}px"))
        button.add_class("sw-cameo-pick")
        button.on_click(lambda _b, name=c["name"]: self.pick(name))
        box = W.VBox([picture, button], layout=W.Layout(align_items="center"))
        box.add_class("sw-cameo-picker-item")
        return box

    def pick(self, name: str) -> None:
        """Put ``@name`` into the prompt (once: a name already mentioned is not added again)."""
        text = self.prompt.value
        if name.lower() in directory.mentions(text):
            return
        self.prompt.value = (f"@{name} {text}" if text.strip() else f"@{name} ")
