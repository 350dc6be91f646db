"""Where a model goes on a GPU worker: on the device when it fits, else accelerate's model CPU offload.

Each GPU worker declares its GPU(s) to Ray (``num_gpus``), so Ray never puts two
workers, and so two pipelines, on one GPU's memory. Inside a worker one model is
kept at a time on the GPU: asking for another frees the first (see
:mod:`.worker`). Whether a model fits is judged from its weights on disk (what
``from_pretrained`` will place) against the GPU's free memory, with headroom for
activations and the VAE decode.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["HEADROOM", "fits", "folder_bytes", "offload_needed"]

#: Fraction of free GPU memory the weights may take; the rest is for activations and decoding.
HEADROOM = 0.7
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")


def folder_bytes(folder: str | os.PathLike) -> int:
    """Bytes of weight files under ``folder`` (a ``save_pretrained`` / ``hf download`` folder)."""
    total = 0
    for path in Path(folder).rglob("*"):
        if path.suffix in _WEIGHT_SUFFIXES and path.is_file():
            total += path.stat().st_size
    return total


def fits(weight_bytes: int, free_bytes: int, *, headroom: float = HEADROOM) -> bool:
    """True when ``weight_bytes`` of weights fit in ``headroom`` of ``free_bytes`` of device memory."""
    return weight_bytes <= headroom * free_bytes


def offload_needed(model: str | None, device: str) -> bool:
    """Whether ``model`` (a local folder) must use CPU offload on ``device`` ("cuda", "cuda:1", "cpu").

    False on CPU, for a model that is not a local folder (resolved later by the engine), or when torch
    cannot say how much memory is free.
    """
    if not model or not str(device).startswith("cuda") or not Path(model).is_dir():
        return False
    try:
        import torch

        free, _total = torch.cuda.mem_get_info(torch.device(device))
    except Exception:  # no CUDA here after all: the engine will say so
        return False
    return not fits(folder_bytes(model), free)
