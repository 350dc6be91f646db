"""The diffusers engines (GPU path): LTX-2 with its own soundtrack, and silent video models + an audio model.

Importing this package is cheap: torch and diffusers are imported only when an engine checks
its model or generates. See docs/gpu.md.
"""

from .ltx2 import LTX2Engine
from .silent import SILENT_FAMILIES, SilentVideoPlusAudioEngine

__all__ = ["LTX2Engine", "SILENT_FAMILIES", "SilentVideoPlusAudioEngine"]
