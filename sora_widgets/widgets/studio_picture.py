"""``PicturePanel``: "Start from a picture" in the Studio (issue 18 item 5).

Upload a picture (PNG, JPEG or WebP) or take the frame the player shows of the current take; the next
Generate passes it as ``image=`` (the sim engine makes it the scene, the diffusers engines run
image-to-video from it). No rules live here: decoding and its limits are :func:`sora_widgets.pictures.read_picture`,
the moderation of the picture is :func:`sora_widgets.publishing.generate_checked`'s.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import anywidget
import ipywidgets as W
import numpy as np
import traitlets

from ..media import MediaError
from ..pictures import PICTURE_FORMATS, frame_of, read_picture
from ._messages import html_escape

__all__ = ["THUMB_SIDE_PX", "PicturePanel", "PictureButton"]

#: The thumbnail of the chosen picture, longest side in pixels.
THUMB_SIDE_PX = 96
_ACCEPT = ",".join(f"image/{f.lower()}" for f in PICTURE_FORMATS) + ",.png,.jpg,.jpeg,.webp"


class PictureButton(anywidget.AnyWidget):
    """A button that opens the browser's file chooser and hands the chosen file to :meth:`on_file`'s callback.

    ipywidgets' ``FileUpload`` always adds a counter to its label ("Start from a picture (0)"); this one says
    only its ``description``.
    """

    _esm = Path(__file__).with_name("studio_picture.js")

    description = traitlets.Unicode("").tag(sync=True)
    tooltip = traitlets.Unicode("").tag(sync=True)
    accept = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._callbacks: list[Callable[[str, bytes], None]] = []
        self.on_msg(self._handle)

    def on_file(self, callback: Callable[[str, bytes], None]) -> None:
        """Call ``callback(name, content)`` with each file the user chooses (its name and its bytes)."""
        self._callbacks.append(callback)

    def _handle(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "file" or not buffers:
            return
        self.choose(str(content.get("name") or "the picture"), bytes(buffers[0]))

    def choose(self, name: str, content: bytes) -> None:
        """What the browser does when a file is chosen: pass it to the callbacks (also for tests)."""
        for cb in self._callbacks:
            cb(name, content)


class PicturePanel(W.VBox):
    """Choose a start picture for the next take.

    Args:
        current_frame (`Callable[[], tuple[np.ndarray, float, float] | None]`): returns the current take's
            frames (T, H, W, 3) uint8, its fps and the time the player shows (seconds), or None when there is
            no take; "Use this frame" takes that frame.

    ``panel.image`` is the chosen picture, (H, W, 3) uint8, or None.
    """

    def __init__(self, current_frame: Callable[[], tuple[np.ndarray, float, float] | None]) -> None:
        self._current_frame = current_frame
        self.image: np.ndarray | None = None
        self.upload = PictureButton(accept=_ACCEPT, description="Start from a picture",
                                    tooltip="Upload a PNG, JPEG or WebP picture to start the next take from")
        self.upload.add_class("sw-picture-upload")
        self.use_frame = W.Button(description="Use this frame", disabled=True,
                                  tooltip="Start the next take from the frame the player shows")
        self.use_frame.add_class("sw-picture-use-frame")
        self.clear = W.Button(description="Remove picture", disabled=True, tooltip="Generate from the prompt alone")
        self.clear.add_class("sw-picture-clear")
        self.thumb = W.Image(format="png", layout=W.Layout(display="none", max_width=f"{THUMB_SIDE_PX}px"))
        self.thumb.add_class("sw-picture-thumb")
        self.message = W.HTML("")
        self.message.add_class("sw-picture-message")
        self.upload.on_file(self._uploaded)
        self.use_frame.on_click(lambda _b: self.take_frame())
        self.clear.on_click(lambda _b: self.set_picture(None))
        super().__init__([W.HBox([self.upload, self.use_frame, self.clear], layout=W.Layout(align_items="center")),
                          W.HBox([self.thumb, self.message], layout=W.Layout(align_items="center"))])
        self.add_class("sw-picture")

    def take_ready(self, ready: bool) -> None:
        """Enable "Use this frame" when there is a take to take it from."""
        self.use_frame.disabled = not ready

    def _uploaded(self, name: str, content: bytes) -> None:
        try:
            img = read_picture(content, name=name)
        except MediaError as exc:
            self.set_picture(None)
            self._say(str(exc), error=True)
            return
        self.set_picture(img, f"{name}, {img.shape[1]}×{img.shape[0]}")

    def take_frame(self) -> None:
        """Use the frame the player shows (what "Use this frame" does)."""
        got = self._current_frame()
        if got is None:
            self._say("there is no take yet: generate one first, or upload a picture", error=True)
            return
        frames, fps, t = got
        self.set_picture(frame_of(frames, fps, t), f"frame at {t:.2f} s of the current take")

    def set_picture(self, image: np.ndarray | None, label: str = "") -> None:
        """Choose ``image`` ((H, W, 3) uint8) for the next takes, or None to generate from the prompt alone."""
        from PIL import Image

        self.image = image
        self.clear.disabled = image is None
        if image is None:
            self.thumb.layout.display = "none"
            self._say("")
            return
        im = Image.fromarray(image)
        im.thumbnail((THUMB_SIDE_PX, THUMB_SIDE_PX))
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        self.thumb.value = buf.getvalue()
        self.thumb.layout.display = ""
        self._say(f"Starting from {label}: the first thing your prompt names is cut out of it and moves "
                  "(\"the cat jumps\"); the rest is the backdrop.")

    def _say(self, text: str, *, error: bool = False) -> None:
        colour = "#c62828" if error else "inherit"
        cls = "sw-picture-error" if error else "sw-picture-info"
        self.message.value = (f"<small class='{cls}' role='status' style='color:{colour}'>{html_escape(text)}</small>"
                              if text else "")
