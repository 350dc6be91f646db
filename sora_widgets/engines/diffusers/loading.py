"""Finding weights offline, choosing device and dtype, and caching loaded pipelines.

A *model* is either a local folder written by ``save_pretrained`` (it has a
``model_index.json``) or a Hugging Face repo id that must already be in the local
cache: repo ids are resolved with ``local_files_only=True`` and ``HF_HUB_OFFLINE=1``,
so a missing model is a fast, clear error, never a download or a hang.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.util
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base import EngineUnavailable, check_cancel, label_reporter

__all__ = [
    "LoadedPipeline",
    "choose_device",
    "choose_dtype",
    "label_reporter",
    "load_parts",
    "load_pipeline",
    "missing_packages",
    "offline_hub",
    "resolve_model",
]


def missing_packages() -> list[str]:
    """Names of the packages the diffusers engines need that are not importable (checked without importing)."""
    return [p for p in ("torch", "diffusers", "transformers") if importlib.util.find_spec(p) is None]


@contextlib.contextmanager
def offline_hub():
    """Forbid the Hugging Face hub from reaching the network while loading (env + live constants)."""
    saved = {k: os.environ.get(k) for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")}
    for k in saved:
        os.environ[k] = "1"
    patched = []
    # huggingface_hub / diffusers read HF_HUB_OFFLINE once at import; flip their constants too.
    for mod_name in ("huggingface_hub.constants", "diffusers.utils.constants"):
        mod = _loaded_module(mod_name)
        if mod is not None and hasattr(mod, "HF_HUB_OFFLINE"):
            patched.append((mod, mod.HF_HUB_OFFLINE))
            mod.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        for mod, value in patched:
            mod.HF_HUB_OFFLINE = value
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _loaded_module(name: str):
    import sys

    return sys.modules.get(name)


@contextlib.contextmanager
def quiet_diffusers():
    """Silence diffusers' info/warning logging for the duration (errors still show)."""
    from diffusers.utils import logging as dlog

    level = dlog.get_verbosity()
    dlog.set_verbosity_error()
    try:
        yield
    finally:
        dlog.set_verbosity(level)


def download_hint(repo_id: str) -> str:
    folder = f"~/models/{repo_id.split('/')[-1]}"
    return (
        f"download it once with `hf download {repo_id}` (older clients: `huggingface-cli download {repo_id}`), "
        f"which fills the Hugging Face cache ({_hf_cache_dir()}), or with `--local-dir {folder}` and pass "
        f"model='{folder}'"
    )


def _hf_cache_dir() -> str:
    hub = os.environ.get("HF_HUB_CACHE")
    if hub:
        return hub
    home = os.environ.get("HF_HOME", os.path.join(os.path.expanduser("~"), ".cache", "huggingface"))
    return os.path.join(home, "hub")


def resolve_model(model: str, *, what: str = "model") -> Path:
    """A local folder holding the pipeline ``model`` (a folder path or a cached repo id).

    Raises :class:`EngineUnavailable` naming what to download and where when it is not here.
    """
    if not model or not isinstance(model, str):
        raise EngineUnavailable(f"no {what} given: pass a local folder or a Hugging Face repo id.")
    path = Path(model).expanduser()
    looks_like_path = path.is_absolute() or model.startswith((".", "~")) or path.exists() or model.count("/") != 1
    if looks_like_path:
        if not path.is_dir():
            raise EngineUnavailable(
                f"{what} folder {str(path)!r} does not exist. Pass the folder a pipeline was saved to "
                "(it contains model_index.json) or a Hugging Face repo id already in your cache."
            )
        if not (path / "model_index.json").is_file():
            raise EngineUnavailable(
                f"{what} folder {str(path)!r} has no model_index.json: it is not a diffusers pipeline folder. "
                "Point at the folder `save_pretrained` or `hf download` wrote."
            )
        return path
    with offline_hub():
        try:
            from huggingface_hub import snapshot_download

            folder = snapshot_download(model, local_files_only=True)
        except Exception as exc:  # LocalEntryNotFoundError, or a malformed id
            raise EngineUnavailable(
                f"{what} {model!r} is not in the local Hugging Face cache and nothing is downloaded at run time: "
                f"{download_hint(model)}. ({type(exc).__name__})"
            ) from None
    if not (Path(folder) / "model_index.json").is_file():
        raise EngineUnavailable(
            f"the cached copy of {model!r} at {folder} has no model_index.json (incomplete or not in diffusers "
            f"format); {download_hint(model)}."
        )
    return Path(folder)


def choose_device(requested: str | None = None) -> str:
    """'cuda', 'mps' or 'cpu': the requested one, else the best present."""
    import torch

    if requested and requested != "auto":
        kind = str(requested).split(":")[0]
        if kind == "cuda" and not torch.cuda.is_available():
            raise EngineUnavailable(f"device {requested!r} requested but CUDA is not available here; use device='cpu'.")
        if kind == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise EngineUnavailable(f"device {requested!r} requested but MPS is not available here; use device='cpu'.")
        return str(requested)
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


_DTYPES = {"bfloat16": "bfloat16", "bf16": "bfloat16", "float16": "float16", "fp16": "float16",
           "half": "float16", "float32": "float32", "fp32": "float32"}


def choose_dtype(requested: Any, device: str):
    """torch dtype: the requested one ('bfloat16', 'float16', 'float32' or a torch.dtype), else
    bfloat16 on a GPU and float32 on CPU."""
    import torch

    if requested is None or requested == "auto":
        return torch.float32 if device.startswith("cpu") else torch.bfloat16
    if isinstance(requested, torch.dtype):
        return requested
    name = _DTYPES.get(str(requested).lower().replace("torch.", ""))
    if name is None:
        raise ValueError(f"dtype {requested!r} not understood; use 'bfloat16', 'float16' or 'float32'.")
    return getattr(torch, name)


@dataclass
class LoadedPipeline:
    """A pipeline placed on its device, with where it came from and how long loading took (s)."""

    pipe: Any
    folder: Path
    device: str
    dtype: Any
    load_s: float


_CACHE: dict[tuple, LoadedPipeline] = {}
_CACHE_LOCK = threading.Lock()


def load_pipeline(
    folder: Path,
    *,
    device: str,
    dtype,
    cpu_offload: bool = False,
    vae_tiling: bool = False,
    compile_transformer: bool = False,
    pipeline_class=None,
    on_progress=None,
    cancel: threading.Event | None = None,
) -> LoadedPipeline:
    """Load (once per process) the pipeline in ``folder`` for (device, dtype, placement options).

    Args:
        folder (`Path`): a diffusers pipeline folder (``model_index.json`` and one subfolder per part).
        device (`str`), dtype: where and in what precision the weights go (:func:`choose_device`, :func:`choose_dtype`).
        cpu_offload, vae_tiling, compile_transformer (`bool`): placement options (see :func:`place`).
        pipeline_class: the pipeline class to build; None builds whatever ``model_index.json`` names.
        on_progress (*optional*): the engine's progress callback. When it takes a ``label`` keyword it is
            called as ``on_progress(0, 0, None, label="loading model: 3 of 7 parts (vae), about 4 s left")``
            after each part (step and total stay 0 so the caller's ETA for the denoising steps is not measured
            against the load). Nothing is reported on a cache hit. Otherwise diffusers' own tqdm bar shows.
        cancel (`threading.Event`, *optional*): checked between parts; set, the load stops with
            :class:`~sora_widgets.engines.base.Cancelled` and nothing is cached.
    """
    key = (str(Path(folder).resolve()), getattr(pipeline_class, "__name__", None), device, str(dtype),
           bool(cpu_offload), bool(vae_tiling), bool(compile_transformer))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
        if hit is not None:  # already loaded in this process: no load time this call
            return dataclasses.replace(hit, load_s=0.0)
        t0 = time.perf_counter()
        import diffusers

        cls = pipeline_class or diffusers.DiffusionPipeline
        say = label_reporter(on_progress)
        with offline_hub():
            try:
                parts = load_parts(Path(folder), dtype, say=say, cancel=cancel) if say is not None else {}
                pipe = cls.from_pretrained(str(folder), dtype=dtype, local_files_only=True, **parts)
            except (OSError, ValueError) as exc:
                raise EngineUnavailable(
                    f"could not load a pipeline from {str(folder)!r}: {exc}. Check the folder is complete "
                    "(every subfolder model_index.json names, with its weights)."
                ) from exc
        if say is not None:
            say(f"loading model: placing it on {device}")
        place(pipe, device=device, cpu_offload=cpu_offload, vae_tiling=vae_tiling,
              compile_transformer=compile_transformer)
        loaded = LoadedPipeline(pipe, Path(folder), device, dtype, time.perf_counter() - t0)
        _CACHE[key] = loaded
        return loaded


def place(pipe, *, device: str, cpu_offload: bool, vae_tiling: bool, compile_transformer: bool) -> None:
    """Put ``pipe`` on ``device`` (or accelerate's model CPU offload), VAE tiling, torch.compile."""
    if cpu_offload and not device.startswith("cpu"):
        pipe.enable_model_cpu_offload(device=device)
    else:
        pipe.to(device)
    if vae_tiling:
        vae = getattr(pipe, "vae", None)
        if vae is None or not hasattr(vae, "enable_tiling"):
            raise ValueError(f"vae_tiling: {type(pipe).__name__}'s VAE does not support tiling.")
        vae.enable_tiling()
    if compile_transformer:
        transformer = getattr(pipe, "transformer", None)
        if transformer is None:
            raise ValueError(f"compile: {type(pipe).__name__} has no transformer to compile.")
        transformer.compile()


def clear_cache() -> None:
    """Forget every cached pipeline (frees their memory once nothing else holds them)."""
    with _CACHE_LOCK:
        _CACHE.clear()


# ---------------------------------------------------------------- loading part by part, with progress
#: Files holding weights; their size on disk is what loading a part mostly costs (read, then copied to the device).
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".ckpt")


def weight_bytes(folder: Path) -> int:
    """Bytes of weight files under ``folder`` (symlinks of the Hugging Face cache followed); 0 if none."""
    if not folder.is_dir():
        return 0
    return sum(f.stat().st_size for f in folder.rglob("*") if f.suffix in _WEIGHT_SUFFIXES and f.is_file())


def _part_class(library: str, class_name: str):
    """The class ``model_index.json`` names for a part: from ``diffusers``/``transformers``, or a diffusers
    pipeline module (``"stable_audio"`` -> ``diffusers.pipelines.stable_audio``)."""
    module_name = library if library in ("diffusers", "transformers") else f"diffusers.pipelines.{library}"
    return getattr(importlib.import_module(module_name), class_name)


def load_parts(folder: Path, dtype, *, say: Callable[[str], None],
               cancel: threading.Event | None = None) -> dict[str, Any]:
    """Load the parts ``folder/model_index.json`` names one by one, saying after each how far loading is.

    Args:
        folder (`Path`): a diffusers pipeline folder.
        dtype: torch dtype for the parts that are torch modules (tokenizers and schedulers have none).
        say (`Callable[[str], None]`): receives "loading model: 3 of 7 parts (vae), about 4 s left"; the
            estimate is the time so far per byte of weights read, times the bytes still to read (none until
            a part with weights has loaded).
        cancel (`threading.Event`, *optional*): checked before each part.

    Returns:
        name -> loaded part, for the pipeline's ``from_pretrained(**parts)``. A part this function cannot
        load itself (an unusual class) is left out, so diffusers loads it with its own rules, and errors
        are still raised by diffusers.
    """
    import torch

    index = json.loads((folder / "model_index.json").read_text())
    todo = [(name, spec[0], spec[1]) for name, spec in index.items()
            if not name.startswith("_") and isinstance(spec, list) and len(spec) == 2 and spec[0] and spec[1]]
    sizes = {name: weight_bytes(folder / name) for name, _, _ in todo}
    total_bytes = sum(sizes.values())
    loaded: dict[str, Any] = {}
    done_bytes, t0 = 0, time.perf_counter()
    say(f"loading model: 0 of {len(todo)} parts")
    for i, (name, library, class_name) in enumerate(todo, start=1):
        check_cancel(cancel)
        try:
            cls = _part_class(library, class_name)
        except (ImportError, AttributeError):
            cls = None
        if cls is not None and hasattr(cls, "from_pretrained"):
            is_module = isinstance(cls, type) and issubclass(cls, torch.nn.Module)
            kwargs = {"dtype": dtype} if is_module else {}
            loaded[name] = cls.from_pretrained(str(folder / name), local_files_only=True, **kwargs)
        done_bytes += sizes[name]
        left = ""
        if 0 < done_bytes < total_bytes:
            left = f", about {format_seconds((time.perf_counter() - t0) / done_bytes * (total_bytes - done_bytes))} left"
        say(f"loading model: {i} of {len(todo)} parts ({name}){left}")
    check_cancel(cancel)
    return loaded


def format_seconds(s: float) -> str:
    """"0.4 s", "12 s", "3 min 05 s": an estimate as a person reads it."""
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    return f"{int(s // 60)} min {int(s % 60):02d} s"
