"""Jupyter widgets of sora-widgets (anywidget + ipywidgets).

Imports are lazy: ``from sora_widgets.widgets import ClipPlayer`` loads only
what that widget needs (ipyvolume, for one, is slow to import). To add a
widget, add one line to ``_WIDGETS``: exported name -> module.
"""

from __future__ import annotations

import importlib

_WIDGETS = {
    "PromptStudio": "prompt_studio",
    "ClipPlayer": "clip_player",
    "SpaceTimeView": "space_time",
    "BackgroundJob": "_worker",
    "GenerationWorker": "_worker",
    "CameoMaker": "cameo_maker",
    "MyCameos": "cameo_maker",
    "ReviewQueue": "review_queue",
    "RemixExplorer": "remix_explorer",
    "FeedView": "feed_view",
    "MessagesPanel": "messages_panel",
    "NotificationsList": "messages_panel",
    "GuardianPanel": "guardian_panel",
}

__all__ = sorted(_WIDGETS)

# In a kernel (a dashboard imports this package first), a malformed comm_open gets no traceback back.
from ._comm_guard import guard_comm_targets  # noqa: E402

guard_comm_targets()


def __getattr__(name: str):
    if name in _WIDGETS:
        module = importlib.import_module(f".{_WIDGETS[name]}", __name__)
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sora_widgets.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WIDGETS))
