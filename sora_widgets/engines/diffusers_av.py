"""Registers the diffusers engines (the GPU path) with :func:`sora_widgets.engines.register`.

- ``ltx2``: LTX-2 (``LTX2Pipeline``), picture and sound from one model; image-to-video, remix, two-stage.
- ``ltx-video+audio``, ``wan+audio``, ``cogvideox+audio``: a silent text-to-video model followed by an
  audio model (Stable Audio Open or AudioLDM2) whose soundtrack is muxed into the clip.

Importing this module imports neither torch nor diffusers. The implementation lives in
``sora_widgets.engines.diffusers``; details in docs/gpu.md.
"""

from __future__ import annotations

from .base import register

__all__ = ["ENGINE_NAMES"]


def _ltx2():
    from .diffusers import LTX2Engine

    return LTX2Engine()


def _silent(family: str):
    def factory():
        from .diffusers import SilentVideoPlusAudioEngine

        return SilentVideoPlusAudioEngine(family)

    return factory


register("ltx2", _ltx2, "LTX-2 through diffusers: joint video + audio (GPU; weights from a folder or the HF cache)")
register("ltx-video+audio", _silent("ltx-video"), "LTX-Video then an audio model (Stable Audio / AudioLDM2), GPU")
register("wan+audio", _silent("wan"), "Wan 2.x text-to-video then an audio model (Stable Audio / AudioLDM2), GPU")
register("cogvideox+audio", _silent("cogvideox"), "CogVideoX then an audio model (Stable Audio / AudioLDM2), GPU")

ENGINE_NAMES = ("ltx2", "ltx-video+audio", "wan+audio", "cogvideox+audio")
