"""Registers the engines shipped with sora-widgets.

Factories import their engine module lazily so that ``available()`` is cheap and
a missing optional dependency makes one engine unavailable, not the package.
"""

from __future__ import annotations

from .base import register


def _sim():
    from .sim import SimEngine

    return SimEngine()


register("sim", _sim, "CPU physics simulation with synthesised sound (no weights needed)")

try:  # the diffusers engines register themselves (ltx2, wan+audio, ...)
    from . import diffusers_av  # noqa: F401
except ImportError:  # pragma: no cover - module not written yet or deps missing
    pass
