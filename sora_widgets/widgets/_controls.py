"""Small widget builders shared by the social panels (one definition, not one per panel)."""

from __future__ import annotations

from typing import Any

import ipywidgets as W

__all__ = ["button"]


def button(label: str, css_class: str, **kwargs: Any) -> W.Button:
    """A Button sized to its label, with ``css_class`` (what tests and page CSS find it by)."""
    kwargs.setdefault("layout", W.Layout(width="auto"))
    b = W.Button(description=label, **kwargs)
    b.add_class(css_class)
    return b
