"""An invisible widget that tells the kernel the browser has drawn it.

Why: when a Voila page (or a re-opened notebook) connects, the ipywidgets manager asks the
kernel for every widget's state, then registers one comm per widget. An update a background
thread sends in between (an engine check ending, a warm-up finishing) reaches no comm and is
dropped, so the page keeps showing the old state for good — CI once saw Generate stay
disabled this way. The view of this widget renders only after its own comm (and all the
others loaded with it) exist, so an update sent after its "rendered" message arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import anywidget
import ipywidgets as W

_ESM = """
export default {
  render({ model, el }) {
    el.style.display = "none";
    model.send({ event: "rendered" });
  },
};
"""


class FrontendReady(anywidget.AnyWidget):
    """Calls ``on_ready()`` each time a browser view of it renders (page load, reload, new view)."""

    _esm = _ESM

    def __init__(self, on_ready: Callable[[], None], **kwargs: Any):
        kwargs.setdefault("layout", W.Layout(display="none"))
        super().__init__(**kwargs)
        self._on_ready = on_ready
        self.on_msg(self._handle)

    def _handle(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "rendered":
            self._on_ready()

