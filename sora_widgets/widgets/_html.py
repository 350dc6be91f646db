"""The one HTML-escaping helper of the widgets: every string a person wrote goes through it.

Widgets that build HTML (``ipywidgets.HTML`` values) from strings wrap every
value that did not come from our own code - prompts, remix edits, review and
appeal reasons, comments, display names, handles, cameo names, error messages
that may quote any of these - in :func:`escape`. Text that needs no markup is
better shown with a text widget (``Label``, ``Textarea``, ``textContent`` in JS),
which cannot run script at all.
"""

from __future__ import annotations

import html

__all__ = ["escape"]


def escape(text: object) -> str:
    """``str(text)`` made safe as HTML text and inside single- or double-quoted attribute values.

    Args:
        text: anything; ``None`` becomes ``"None"`` (pass ``text or ""`` to show nothing).
    """
    return html.escape(str(text), quote=True)
