"""The diffusers engines (GPU path): LTX-2 with its own soundtrack, and silent video models + an audio model.

Importing this package is cheap: torch and diffusers are imported only when an engine checks
its model or generates. See docs/gpu.md.

- ``ltx2``: LTX-2 (``LTX2Pipeline``), picture and sound from one model; image-to-video, remix, two-stage.
- ``ltx-video+audio``, ``wan+audio``, ``cogvideox+audio``: a silent text-to-video model followed by an
  audio model (Stable Audio Open or AudioLDM2) whose soundtrack is muxed into the clip.
"""

from .ltx2 import LTX2Engine
from .silent import SILENT_FAMILIES, SilentVideoPlusAudioEngine

__all__ = [
    "ENGINE_NAMES",
    "LTX2Engine",
    "SILENT_FAMILIES",
    "SilentVideoPlusAudioEngine",
    "cogvideox_audio",
    "ltx2",
    "ltx_video_audio",
    "wan_audio",
]

#: The engines of this package, as registered through pyproject.toml's ``sora_widgets.engines`` entry points.
ENGINE_NAMES = ("ltx2", "ltx-video+audio", "wan+audio", "cogvideox+audio")


# Entry-point factories (``[project.entry-points."sora_widgets.engines"]``): cheap, torch is imported later.
def ltx2() -> LTX2Engine:
    """``engine="ltx2"``: LTX-2, picture and sound from one model."""
    return LTX2Engine()


def ltx_video_audio() -> SilentVideoPlusAudioEngine:
    """``engine="ltx-video+audio"``: LTX-Video, then an audio model."""
    return SilentVideoPlusAudioEngine("ltx-video")


def wan_audio() -> SilentVideoPlusAudioEngine:
    """``engine="wan+audio"``: Wan 2.x, then an audio model."""
    return SilentVideoPlusAudioEngine("wan")


def cogvideox_audio() -> SilentVideoPlusAudioEngine:
    """``engine="cogvideox+audio"``: CogVideoX, then an audio model."""
    return SilentVideoPlusAudioEngine("cogvideox")
