"""sora-widgets: a Jupyter creation environment for AI video with sound.

>>> import sora_widgets as sw
>>> clip = sw.generate("a red ball bounces off the backboard", seed=7)
>>> clip.save("ball.mp4")
"""

from __future__ import annotations

__version__ = "0.1.0"

from .engines import Cancelled, EngineUnavailable, GenerationRequest, available, generate
from .media import Clip, MediaError
from .publishing import Blocked, create_clip, generate_checked, prescreen, publish
from .remix import remix  # note: makes ``sora_widgets.remix`` the function, as the docs write it
from .session import current_user, login
from .store import Store, open_store

__all__ = [
    "Blocked",
    "Cancelled",
    "Clip",
    "EngineUnavailable",
    "GenerationRequest",
    "MediaError",
    "Store",
    "__version__",
    "available",
    "create_clip",
    "current_user",
    "generate",
    "generate_checked",
    "login",
    "open_store",
    "prescreen",
    "publish",
    "remix",
]
