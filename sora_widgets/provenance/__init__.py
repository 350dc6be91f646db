"""Provenance: visible and invisible marks, fingerprints, C2PA signing, the registry and the checker (issue 16).

>>> from sora_widgets import provenance
>>> report = provenance.check("downloaded.mp4")      # was this made here?
>>> report.verdict, report.summary, report.clip_id

Public API:

- :func:`check` -> :class:`Report` (:mod:`.check`): the graded verdict and its evidence.
- :func:`mark`, :func:`ensure_marked`, :func:`is_marked`, :func:`seal`, :func:`register`, :func:`export`
  (:mod:`.stamp`): what publishing and downloads do.
- :func:`identity` (:mod:`.signing`): the installation's C2PA certificate chain.
- :mod:`.registry`: lookups by mark id, file hash and nearest fingerprint.

Marks and fingerprints: :mod:`.visible_mark`, :mod:`.picture_mark`, :mod:`.sound_mark`,
:mod:`.fingerprint`, :mod:`.mark_id`. See ``docs/provenance.md``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported now, not on first use: the function ``check`` shares its name with the module ``check``, and
# importing the module later would make ``provenance.check`` the module.
from .check import VERDICTS, Report, check

__all__ = ["VERDICTS", "Report", "check", "ensure_marked", "export", "identity", "is_marked", "mark", "register",
           "seal"]

_WHERE = {
    "ensure_marked": "stamp", "export": "stamp", "is_marked": "stamp", "mark": "stamp", "register": "stamp",
    "seal": "stamp",
    "identity": "signing",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
