"""Machinery shared by the diffusers engines: options, progress/cancel, frames, the returned Clip."""

from __future__ import annotations

import math
import os
import threading
import time
from typing import Any

import numpy as np

from ...media import Clip
from ...pictures import fit_picture
from ..base import Cancelled, EngineUnavailable, GenerationRequest, ProgressCallback, check_cancel
from ..options import OptionSpec
from . import loading
from .preview import latents_to_preview

__all__ = ["COMMON_OPTIONS", "COMMON_OPTION_SPECS", "DiffusersEngine", "StepReporter", "frames_to_uint8", "valid_frame_count"]

#: Options every diffusers engine accepts (``generate(..., model=..., device=...)``):
#: model: local folder or cached HF repo id; device: 'auto'|'cuda'|'mps'|'cpu'; dtype: 'auto'|'bfloat16'|
#: 'float16'|'float32'; cpu_offload, vae_tiling, compile: bool; pipeline_kwargs: dict of extra keyword
#: arguments for the pipeline call (expert knobs such as LTX-2's stg_scale), applied last.
COMMON_OPTION_SPECS = {s.name: s for s in (
    OptionSpec("model", str, None, help="a local model folder or a repo id already in the HF cache"),
    OptionSpec("device", str, None, help="'auto', 'cuda', 'cuda:1', 'mps' or 'cpu' (None/auto: cuda, else mps, else cpu)"),
    # a torch.dtype is accepted too, so the type is left to loading.choose_dtype
    OptionSpec("dtype", object, None,
               help="'bfloat16', 'float16', 'float32' or a torch.dtype (None/auto: bfloat16 on a GPU, float32 on cpu)"),
    OptionSpec("cpu_offload", bool, False, help="keep weights in RAM, moving each model to the GPU when used"),
    OptionSpec("vae_tiling", bool, False, help="decode in tiles (less GPU memory for large frames)"),
    OptionSpec("compile", bool, False, help="torch.compile the transformer (slow first call)"),
    OptionSpec("pipeline_kwargs", dict, None, help="extra keyword arguments for the pipeline call, applied last"),
)}
COMMON_OPTIONS = frozenset(COMMON_OPTION_SPECS)

#: A preview is made every this many steps (and on the last one).
PREVIEW_EVERY_STEPS = 4


class StepReporter:
    """Turns pipeline callbacks into ``on_progress(step, total, preview)`` and cancellation.

    ``on_progress`` is called once per denoising step over all stages (video, refine, audio);
    ``cancel`` is checked at every step, and raises :class:`Cancelled` out of the pipeline call.
    """

    def __init__(self, on_progress: ProgressCallback | None, cancel: threading.Event | None,
                 stage_steps: list[int], out_hw: tuple[int, int]):
        self.on_progress = on_progress
        self.cancel = cancel
        self.stage_steps = list(stage_steps)
        self.stage = 0
        self.done = 0
        self.out_hw = out_hw
        self.layout: str | None = None
        self.latent_hw = (0, 0)

    @property
    def total(self) -> int:
        return int(sum(self.stage_steps))

    def begin_stage(self, index: int, *, layout: str | None = None, latent_hw: tuple[int, int] = (0, 0)) -> None:
        self.stage = index
        self.layout = layout
        self.latent_hw = latent_hw
        self._stage_start = self.done

    def step(self, latents=None) -> None:
        check_cancel(self.cancel)
        self.done += 1
        if self.on_progress is None:
            return
        preview = None
        stage_last = self.done == getattr(self, "_stage_start", 0) + self.stage_steps[self.stage]
        if latents is not None and self.layout and (self.done % PREVIEW_EVERY_STEPS == 0 or stage_last):
            preview = latents_to_preview(latents, self.layout, self.latent_hw, self.out_hw)
        self.on_progress(self.done, self.total, preview)

    # diffusers' callback_on_step_end(pipe, step_index, timestep, callback_kwargs) -> dict
    def on_step_end(self, pipe, step_index: int, timestep, callback_kwargs: dict) -> dict:
        if step_index == 0:
            # The pipeline knows how many steps it really runs (video-to-video runs ~steps*strength).
            real = getattr(pipe, "_num_timesteps", None)
            if isinstance(real, int) and real > 0:
                self.stage_steps[self.stage] = real
        self.step(callback_kwargs.get("latents"))
        return {}

    # the older callback(step, timestep, latents) that the audio pipelines offer
    def on_legacy_step(self, step_index: int, timestep, latents) -> None:
        self.step(None)


def valid_frame_count(n: int, temporal_ratio: int) -> int:
    """Smallest k * temporal_ratio + 1 >= n: the frame counts causal video VAEs can produce."""
    r = max(1, int(temporal_ratio))
    if n <= 1:
        return 1
    return math.ceil((n - 1) / r) * r + 1


def round_up(x: int, multiple: int) -> int:
    return int(math.ceil(x / multiple) * multiple)


def frames_to_uint8(video, num_frames: int, height: int, width: int) -> np.ndarray:
    """Pipeline ``output_type='np'`` frames -> (T, H, W, 3) uint8, trimmed to ``num_frames`` and
    centre-cropped to ``height`` x ``width`` (we generate on the model's size grid, then crop)."""
    if hasattr(video, "detach"):
        video = video.detach().float().cpu().numpy()
    v = np.asarray(video)
    if v.ndim == 5:
        v = v[0]
    if v.ndim != 4:
        raise RuntimeError(f"the pipeline returned frames of shape {v.shape}; expected (T, H, W, 3).")
    if v.shape[-1] != 3 and v.shape[1] == 3:  # (T, 3, H, W)
        v = v.transpose(0, 2, 3, 1)
    v = v[:num_frames]
    if v.shape[0] < num_frames:  # a model that returned fewer frames: hold the last one
        v = np.concatenate([v, np.repeat(v[-1:], num_frames - v.shape[0], axis=0)], axis=0)
    top = max(0, (v.shape[1] - height) // 2)
    left = max(0, (v.shape[2] - width) // 2)
    v = v[:, top : top + height, left : left + width]
    if v.dtype != np.uint8:
        v = (np.clip(np.nan_to_num(v), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return np.ascontiguousarray(v)


def parent_frames(parent: Clip, num_frames: int, fps: float) -> np.ndarray:
    """The parent clip's frames re-timed to ``num_frames`` at ``fps`` (nearest frame), (T, H, W, 3) uint8."""
    return np.stack([parent.frame_at(i / float(fps)) for i in range(num_frames)])


def start_image(request: GenerationRequest) -> np.ndarray | None:
    """The start image for image-to-video: ``request.image`` fitted to the request's frame
    (:func:`sora_widgets.pictures.fit_picture`: scaled to cover it, centre-cropped), else one made from the cameos.

    Cameo assets (from ``cameo.use``) enter a scene on these engines as the start frame:
    an asset with an ``image`` (or ``reference_image``) attribute holding (H, W, 3) uint8
    is used as it is; otherwise the cameos' cut-outs are composited into the scene the
    prompt describes (:func:`composited_first_frame`).
    """
    if request.image is not None:  # a picture of any aspect fills the frame, cropped, never stretched
        return fit_picture(_as_rgb_uint8(request.image, "image"), int(request.width), int(request.height))
    for cameo in request.cameos:
        for attr in ("image", "reference_image"):
            img = getattr(cameo, attr, None)
            if img is not None:
                return _as_rgb_uint8(img, f"cameo {getattr(cameo, 'cameo_id', '?')} {attr}")
    if any(getattr(c, "still", None) is not None or getattr(c, "cutouts", None) is not None for c in request.cameos):
        return composited_first_frame(request)
    return None


def composited_first_frame(request: GenerationRequest) -> np.ndarray:
    """A first frame with the cameos in the prompt's scene, at the request's size (H, W, 3) uint8.

    The sim engine already knows where a prompt puts "@rex" or "the dog", and draws
    a cameo's cut-out there with the scene's light and shadow; its first frame is the
    layout an image-to-video model then animates. Costs one short CPU render.
    """
    from ..base import get_engine

    layout = request.replace(duration=max(0.1, 2 / request.fps), steps=None, guidance=None, options={},
                             parent=None, image=None)
    return np.ascontiguousarray(get_engine("sim").generate(layout).frames[0])


def _as_rgb_uint8(img: Any, what: str) -> np.ndarray:
    a = np.asarray(img)
    if a.ndim != 3 or a.shape[-1] not in (3, 4) or a.dtype != np.uint8:
        raise ValueError(f"{what} must be an (H, W, 3) uint8 RGB array; got shape {a.shape}, dtype {a.dtype}.")
    return np.ascontiguousarray(a[..., :3])


class DiffusersEngine:
    """Base for engines that run diffusers pipelines. Subclasses set the class attributes and
    implement ``_run(request, settings, reporter) -> (frames, audio, sample_rate, meta)``."""

    name = "diffusers"
    version = "1"
    uses_steps = True
    option_specs: dict[str, OptionSpec] = COMMON_OPTION_SPECS
    options: frozenset[str] = COMMON_OPTIONS
    #: environment variable naming the default model, and the default repo id looked up in the HF cache
    model_env = ""
    default_model = ""

    # ------------------------------------------------------------ availability
    def availability(self, model: str | None = None) -> tuple[bool, str]:
        """(usable, reason): packages importable, and a model found (``model``, the env var, or the default
        repo id in the local cache). Never imports torch or touches the network."""
        missing = loading.missing_packages()
        if missing:
            return False, (f"package(s) {', '.join(missing)} not installed; install torch, diffusers and "
                           "transformers to use the GPU engines.")
        try:
            self._resolve(model, "model", self.model_env, self.default_model)
        except EngineUnavailable as exc:
            return False, (f"{exc} Or set {self.model_env} to a model folder, or pass model=... to generate().")
        return True, ""

    def _resolve(self, given: str | None, what: str, env: str, default: str):
        model = given or os.environ.get(env) or default
        return model, loading.resolve_model(model, what=what)

    def _settings(self, request: GenerationRequest) -> dict:
        o = request.options
        device = loading.choose_device(o.get("device"))
        dtype = loading.choose_dtype(o.get("dtype"), device)
        extra = o.get("pipeline_kwargs") or {}
        if not isinstance(extra, dict):
            raise TypeError("pipeline_kwargs must be a dict of keyword arguments for the pipeline call.")
        return {
            "device": device,
            "dtype": dtype,
            "cpu_offload": bool(o.get("cpu_offload", False)),
            "vae_tiling": bool(o.get("vae_tiling", False)),
            "compile": bool(o.get("compile", False)),
            "pipeline_kwargs": dict(extra),
        }

    def _load(self, folder, settings: dict, pipeline_class=None) -> loading.LoadedPipeline:
        return loading.load_pipeline(
            folder,
            device=settings["device"],
            dtype=settings["dtype"],
            cpu_offload=settings["cpu_offload"],
            vae_tiling=settings["vae_tiling"],
            compile_transformer=settings["compile"],
            pipeline_class=pipeline_class,
            # the first load of a model takes seconds to minutes: say which part, and how long is left
            on_progress=settings.get("on_progress"),
            cancel=settings.get("cancel"),
        )

    @staticmethod
    def _generator(pipe, seed: int, device: str):
        import torch

        # On MPS diffusers recommends a CPU generator; elsewhere the generator lives on the execution device
        # so the same seed gives the same noise on the same device.
        exec_device = str(getattr(pipe, "_execution_device", device))
        gen_device = "cpu" if exec_device.startswith("mps") else exec_device
        return torch.Generator(device=gen_device).manual_seed(int(seed))

    # ------------------------------------------------------------ generate
    def generate(self, request: GenerationRequest, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> Clip:
        check_cancel(cancel)
        t0 = time.perf_counter()
        settings = self._settings(request)
        settings.update(on_progress=on_progress, cancel=cancel)  # for _load: the first load reports its parts
        try:
            frames, audio, sample_rate, meta = self._run(request, settings, on_progress, cancel)
        except Cancelled:
            raise
        finally:
            if settings["device"].startswith("cuda"):
                import torch

                torch.cuda.empty_cache()
        meta.setdefault("timings", {})["engine_s"] = time.perf_counter() - t0
        meta["device"] = settings["device"]
        meta["dtype"] = str(settings["dtype"]).replace("torch.", "")
        return Clip(frames=frames, audio=audio, fps=request.fps, sample_rate=sample_rate, meta=meta)

    def _run(self, request, settings, on_progress, cancel):  # pragma: no cover - abstract
        raise NotImplementedError


def call_pipeline(pipe, reporter: StepReporter, kwargs: dict):
    """Run ``pipe(**kwargs)``; on any exception (cancel included) release accelerate's offload hooks so
    the cached pipeline is left as it was, then re-raise. The pipeline's own tqdm bar shows only when
    nobody receives ``on_progress``."""
    pipe.set_progress_bar_config(disable=reporter.on_progress is not None)
    try:
        return pipe(**kwargs)
    except BaseException:
        free = getattr(pipe, "maybe_free_model_hooks", None)
        if free is not None:
            free()
        raise
