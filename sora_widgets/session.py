"""The current user of a notebook or dashboard kernel.

A real login arrives with the social layer. Until then the handle comes from
``SORA_WIDGETS_USER`` (set per server or per notebook), or - only when the server
was started with ``SORA_WIDGETS_URL_USER=1``, for demos and tests - from the
``?user=`` query string Voila passes to the kernel. Identity from a URL is not
authentication; the flag keeps it off by default.
"""

from __future__ import annotations

import os
import urllib.parse

from .store import Store, normalise_handle

__all__ = ["current_user", "set_current_user"]

DEFAULT_USER = "me"
_override: str | None = None


def set_current_user(handle: str | None) -> None:
    """Make ``handle`` the current user for this process (None: back to the environment)."""
    global _override
    _override = normalise_handle(handle) if handle else None


def current_user(store: Store | None = None) -> str:
    """The current handle; with ``store``, the user is created (role creator) if missing."""
    handle = _override or _from_url() or os.environ.get("SORA_WIDGETS_USER") or DEFAULT_USER
    handle = normalise_handle(handle)
    if store is not None:
        store.ensure_user(handle)
    return handle


def _from_url() -> str | None:
    if os.environ.get("SORA_WIDGETS_URL_USER") != "1":
        return None
    qs = urllib.parse.parse_qs(os.environ.get("QUERY_STRING", ""))
    vals = qs.get("user")
    return vals[0] if vals else None
