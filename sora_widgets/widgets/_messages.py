"""Text the widgets show: one readable line per error, HTML escaping, short engine reasons."""

from __future__ import annotations

from ..engines import EngineUnavailable
from ..media import MediaError
from ..publishing import Blocked
from ..store import StoreError
from ._html import escape

__all__ = ["dashboard_error", "first_sentence", "html_escape", "readable_error"]


def readable_error(exc: BaseException) -> str:
    """One line a creator can act on; no traceback (that goes to the log)."""
    if isinstance(exc, (Blocked, ValueError, TypeError, EngineUnavailable, MediaError, PermissionError, StoreError)):
        return str(exc)  # written for people (a StoreError too: damaged store, full disk)
    if isinstance(exc, KeyError):  # store.NotFound and friends
        return str(exc).strip("'\"")
    if isinstance(exc, MemoryError):
        return "out of memory: try a shorter or smaller clip."
    return f"the engine failed ({type(exc).__name__}: {exc}). Try another seed or smaller settings."


#: ``text`` safe inside HTML and quoted attributes: the one helper, :func:`._html.escape` (kept under this name).
html_escape = escape


def first_sentence(text: str, limit: int = 140) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (engine reasons can be paragraphs)."""
    text = " ".join(str(text).split())
    cut = text.find(": download")  # "model X is not in the cache ...: download it with ..." -> keep the what
    head = text[:cut] if cut > 0 else text.split(". ")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def dashboard_error(what: str, exc: BaseException):
    """What a dashboard shows instead of a blank page (or a traceback) when it cannot start.

    Args:
        what (`str`): the sentence's subject, e.g. ``"The lineage explorer cannot start"``.
        exc (`BaseException`): the error; shown through :func:`readable_error`, escaped.

    Returns:
        `ipywidgets.HTML`: an alert box (class ``sw-dashboard-error``).
    """
    import ipywidgets as W

    return W.HTML(f"<div class='sw-dashboard-error' role='alert'><b>{html_escape(what)}:</b> "
                  f"{html_escape(readable_error(exc))}</div>")


def status_html(text: str, css_class: str, *, alert: bool = False) -> str:
    """One status line as HTML: ``text`` escaped inside a span of class ``css_class`` (``role=alert`` for errors)."""
    from ._html import escape

    role = " role='alert'" if alert else ""
    return f"<span class='{escape(css_class)}'{role}>{escape(text)}</span>"
