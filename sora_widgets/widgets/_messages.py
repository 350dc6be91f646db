"""Text the widgets show: one readable line per error, HTML escaping, short engine reasons."""

from __future__ import annotations

import html

from ..engines import EngineUnavailable
from ..media import MediaError
from ..publishing import Blocked

__all__ = ["first_sentence", "html_escape", "readable_error"]


def readable_error(exc: BaseException) -> str:
    """One line a creator can act on; no traceback (that goes to the log)."""
    if isinstance(exc, (Blocked, ValueError, TypeError, EngineUnavailable, MediaError, PermissionError)):
        return str(exc)
    if isinstance(exc, KeyError):  # store.NotFound and friends
        return str(exc).strip("'\"")
    if isinstance(exc, MemoryError):
        return "out of memory: try a shorter or smaller clip."
    return f"the engine failed ({type(exc).__name__}: {exc}). Try another seed or smaller settings."


def html_escape(text: object) -> str:
    """``text`` safe inside HTML and inside single- or double-quoted attributes."""
    return html.escape(str(text), quote=True)


def first_sentence(text: str, limit: int = 140) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (engine reasons can be paragraphs)."""
    text = " ".join(str(text).split())
    cut = text.find(": download")  # "model X is not in the cache ...: download it with ..." -> keep the what
    head = text[:cut] if cut > 0 else text.split(". ")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"
