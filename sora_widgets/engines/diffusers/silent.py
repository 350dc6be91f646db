"""``engine="wan+audio"`` / ``"ltx-video+audio"`` / ``"cogvideox+audio"``: a silent video model, then sound.

The picture comes from a text-to-video pipeline (image-to-video / video-to-video variants when the
request has a start image or a parent clip); the soundtrack from an audio diffusion pipeline
(Stable Audio Open by default, or AudioLDM2) prompted with the same text, fitted to the
picture's duration and muxed into the Clip at the audio model's own rate.

Variants per family (built on the loaded components with ``from_pipe``: nothing reloaded):

==============  ======================  ==================================  ==============================
family          text-to-video           image-to-video                      video-to-video (remix)
==============  ======================  ==================================  ==============================
ltx-video       LTXPipeline             LTXImageToVideoPipeline             LTXConditionPipeline (video
                                                                            condition, strength 1 - s)
wan             WanPipeline             an i2v checkpoint                   WanVideoToVideoPipeline (s)
                                        (WanImageToVideoPipeline)
cogvideox       CogVideoXPipeline       an i2v checkpoint                   CogVideoXVideoToVideoPipeline
                                        (CogVideoXImageToVideoPipeline)     (s)
==============  ======================  ==================================  ==============================

``s`` is ``request.strength`` (default ``DEFAULT_REMIX_STRENGTH``): 0 keeps the parent, 1 ignores it. Wan and CogVideoX
image-to-video models have their own transformer, so a start image needs an i2v checkpoint as ``model``.
"""

from __future__ import annotations

import importlib.util
import inspect
import time
from dataclasses import dataclass

from ..base import EngineUnavailable
from ..options import DEFAULT_REMIX_STRENGTH, OptionSpec
from .audio import fit_soundtrack
from .common import (
    COMMON_OPTION_SPECS,
    DiffusersEngine,
    StepReporter,
    call_pipeline,
    frames_to_uint8,
    parent_frames,
    round_up,
    start_image,
    valid_frame_count,
)
from .loading import quiet_diffusers

__all__ = ["SILENT_FAMILIES", "SilentVideoPlusAudioEngine"]

AUDIO_MODEL_ENV = "SORA_WIDGETS_AUDIO_MODEL"
DEFAULT_AUDIO_MODEL = "stabilityai/stable-audio-open-1.0"


@dataclass(frozen=True)
class Family:
    """How to drive one family of silent video pipelines."""

    t2v: str
    i2v: str
    v2v: str
    latent_layout: str  # see preview.latents_to_preview
    model_env: str
    default_model: str
    i2v_shares_weights: bool  # can the t2v checkpoint run the i2v class?


SILENT_FAMILIES = {
    "ltx-video": Family("LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline", "packed",
                        "SORA_WIDGETS_LTX_VIDEO_MODEL", "Lightricks/LTX-Video", True),
    "wan": Family("WanPipeline", "WanImageToVideoPipeline", "WanVideoToVideoPipeline", "bcfhw",
                  "SORA_WIDGETS_WAN_MODEL", "Wan-AI/Wan2.1-T2V-1.3B-Diffusers", False),
    "cogvideox": Family("CogVideoXPipeline", "CogVideoXImageToVideoPipeline", "CogVideoXVideoToVideoPipeline",
                        "bfchw", "SORA_WIDGETS_COGVIDEOX_MODEL", "THUDM/CogVideoX-2b", False),
}


_DESCRIPTIONS = {
    "ltx-video": "LTX-Video then an audio model (Stable Audio / AudioLDM2), GPU",
    "wan": "Wan 2.x text-to-video then an audio model (Stable Audio / AudioLDM2), GPU",
    "cogvideox": "CogVideoX then an audio model (Stable Audio / AudioLDM2), GPU",
}


class SilentVideoPlusAudioEngine(DiffusersEngine):
    """A silent video model followed by an audio model. ``family`` is a key of :data:`SILENT_FAMILIES`."""

    version = "1"
    option_specs = {**COMMON_OPTION_SPECS, **{s.name: s for s in (
        OptionSpec("audio_model", str, None,
                   help=f"audio model folder or cached repo id (None: ${AUDIO_MODEL_ENV} or {DEFAULT_AUDIO_MODEL})"),
        OptionSpec("audio_steps", int, None, 1, 1000, unit="steps",
                   help="denoising steps of the audio model (None: steps, else the model's default)"),
        OptionSpec("two_stage", bool, False, help="an LTX-2 mode; refused here"),
    )}}
    options = frozenset(option_specs)

    def __init__(self, family: str) -> None:
        self.family_name = family
        self.family = SILENT_FAMILIES[family]
        self.name = f"{family}+audio"
        self.description = _DESCRIPTIONS[family]
        self.model_env = self.family.model_env
        self.default_model = self.family.default_model
        self._variants: dict[tuple, object] = {}

    def availability(self, model: str | None = None, audio_model: str | None = None) -> tuple[bool, str]:
        ok, reason = super().availability(model)
        if not ok:
            return ok, reason
        try:
            self._resolve(audio_model, "audio model", AUDIO_MODEL_ENV, DEFAULT_AUDIO_MODEL)
        except EngineUnavailable as exc:
            return False, f"{exc} Or set {AUDIO_MODEL_ENV} to an audio model folder, or pass audio_model=...."
        return True, ""

    def _variant(self, base, cls):
        if type(base) is cls:
            return base
        key = (id(base), cls.__name__)
        if key not in self._variants:
            with quiet_diffusers():
                self._variants[key] = cls.from_pipe(base)
        return self._variants[key]

    # ------------------------------------------------------------------ picture
    def _video_pipe(self, base, request, image):
        import diffusers

        fam = self.family
        loaded = type(base).__name__
        if loaded not in (fam.t2v, fam.i2v, fam.v2v):
            raise EngineUnavailable(
                f"the model holds a {loaded}, not a {self.family_name} pipeline; use the engine made for it.")
        if request.parent is not None:
            if self.family_name == "wan" and importlib.util.find_spec("ftfy") is None:
                # diffusers' WanVideoToVideoPipeline cleans prompts with ftfy without checking it is installed.
                raise EngineUnavailable("Wan video-to-video needs the ftfy package: pip install ftfy.")
            return self._variant(base, getattr(diffusers, fam.v2v)), "video-to-video"
        if image is not None:
            if loaded == fam.i2v or fam.i2v_shares_weights:
                return self._variant(base, getattr(diffusers, fam.i2v)), "image-to-video"
            raise ValueError(
                f"this {self.family_name} model ({loaded}) cannot start from an image: pass an image-to-video "
                f"checkpoint (a {fam.i2v} folder) as model=..., or use engine='ltx2' / 'ltx-video+audio'.")
        if loaded == fam.i2v:
            raise ValueError(f"this model is image-to-video ({loaded}): pass image=... (a start frame).")
        return self._variant(base, getattr(diffusers, fam.t2v)), "text-to-video"

    def _grid(self, pipe) -> tuple[int, int, tuple[int, int]]:
        """(spatial multiple in px, temporal compression, latent (h, w) divisor)."""
        if self.family_name == "ltx-video":
            spatial = pipe.vae_spatial_compression_ratio
            patch = pipe.transformer_spatial_patch_size
            return spatial * patch, pipe.vae_temporal_compression_ratio, (spatial * patch, spatial * patch)
        spatial = pipe.vae_scale_factor_spatial
        patch = pipe.transformer.config.patch_size
        patch = patch[-1] if isinstance(patch, (tuple, list)) else patch
        # Wan and CogVideoX latents reach the callback unpatched: preview divisor is the VAE's alone.
        return spatial * patch, pipe.vae_scale_factor_temporal, (spatial, spatial)

    def _run(self, request, settings, on_progress, cancel):
        import PIL.Image

        if request.options.get("two_stage"):
            raise ValueError(f"two_stage (upsample + refine) is an LTX-2 mode; {self.name} does not support it.")
        model, folder = self._resolve(request.options.get("model"), f"{self.family_name} model",
                                      self.model_env, self.default_model)
        audio_id, audio_folder = self._resolve(request.options.get("audio_model"), "audio model",
                                               AUDIO_MODEL_ENV, DEFAULT_AUDIO_MODEL)
        loaded = self._load(folder, settings)
        image = start_image(request)
        pipe, route = self._video_pipe(loaded.pipe, request, image)
        audio_loaded = self._load(audio_folder, settings)
        audio_pipe = audio_loaded.pipe

        grid, temporal, latent_div = self._grid(pipe)
        height, width = round_up(request.height, grid), round_up(request.width, grid)
        n_frames = valid_frame_count(request.num_frames, temporal)
        params = inspect.signature(type(pipe).__call__).parameters
        kwargs = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            "height": height,
            "width": width,
            "num_frames": n_frames,
            "generator": self._generator(pipe, request.seed, settings["device"]),
            "output_type": "np",
            "return_dict": False,
        }
        if "frame_rate" in params:
            kwargs["frame_rate"] = int(request.fps)
        if "max_sequence_length" in params:
            default_len = params["max_sequence_length"].default
            kwargs["max_sequence_length"] = min(int(default_len), int(pipe.tokenizer.model_max_length))
        if request.steps is not None:
            kwargs["num_inference_steps"] = int(request.steps)
        if request.guidance is not None:
            kwargs["guidance_scale"] = float(request.guidance)
        strength = DEFAULT_REMIX_STRENGTH if request.strength is None else float(request.strength)
        if route == "image-to-video":
            kwargs["image"] = PIL.Image.fromarray(image)
        elif route == "video-to-video":
            video = [PIL.Image.fromarray(f) for f in parent_frames(request.parent, n_frames, request.fps)]
            kwargs["video"] = video
            if self.family_name == "ltx-video":
                kwargs.update(frame_index=0, strength=1.0 - strength)
            else:
                steps = kwargs.get("num_inference_steps", params["num_inference_steps"].default)
                # img2img-style pipelines run int(steps * strength) steps; never zero.
                kwargs["strength"] = max(strength, 1.0 / steps)
        # Video-to-video pipelines take their length from the video; drop what a pipeline does not know.
        kwargs = {k: v for k, v in kwargs.items() if k in params or k in ("output_type", "return_dict")}
        kwargs.update(settings["pipeline_kwargs"])

        video_steps = int(kwargs.get("num_inference_steps", params["num_inference_steps"].default))
        if route == "video-to-video" and "strength" in kwargs and self.family_name != "ltx-video":
            video_steps = max(1, int(video_steps * kwargs["strength"]))
        audio_steps = _audio_steps(audio_pipe, request)
        reporter = StepReporter(on_progress, cancel, [video_steps, audio_steps], (request.height, request.width))
        timings = {"load_s": loaded.load_s + audio_loaded.load_s}

        t0 = time.perf_counter()
        reporter.begin_stage(0, layout=self.family.latent_layout,
                             latent_hw=(height // latent_div[0], width // latent_div[1]))
        out = call_pipeline(pipe, reporter, {**kwargs, "callback_on_step_end": reporter.on_step_end,
                                             "callback_on_step_end_tensor_inputs": ["latents"]})
        video = out[0] if isinstance(out, tuple) else out.frames
        timings["video_s"] = time.perf_counter() - t0

        t1 = time.perf_counter()
        reporter.begin_stage(1)
        duration = request.num_frames / float(request.fps)
        waveform, sr, audio_notes = run_audio_model(audio_pipe, request, duration, audio_steps, reporter,
                                                    self._generator(audio_pipe, request.seed, settings["device"]))
        timings["audio_s"] = time.perf_counter() - t1

        frames = frames_to_uint8(video, request.num_frames, request.height, request.width)
        sound, sr, notes = fit_soundtrack(waveform, sr, duration)
        meta = {
            "model": model,
            "model_path": str(folder),
            "pipeline": type(pipe).__name__,
            "audio_model": audio_id,
            "audio_pipeline": type(audio_pipe).__name__,
            "route": route,
            "generated_size": [n_frames, height, width],
            "steps": reporter.total,
            "timings": timings,
        }
        if audio_notes + notes:
            meta["notes"] = audio_notes + notes
        return frames, sound, sr, meta


def _audio_steps(audio_pipe, request) -> int:
    steps = request.options.get("audio_steps")
    if steps is None:
        steps = request.steps
    if steps is None:
        steps = inspect.signature(type(audio_pipe).__call__).parameters["num_inference_steps"].default
    return int(steps)


def run_audio_model(audio_pipe, request, duration_s: float, steps: int, reporter: StepReporter, generator):
    """Run a Stable Audio or AudioLDM(2) pipeline for ``duration_s`` seconds.

    Returns (waveform (C, N) or (N,), sample rate in Hz, notes).
    """
    notes: list[str] = []
    cls = type(audio_pipe).__name__
    kwargs = {
        "prompt": request.prompt,
        "negative_prompt": request.negative_prompt or None,
        "num_inference_steps": steps,
        "generator": generator,
        "callback": reporter.on_legacy_step,
        "callback_steps": 1,
    }
    audio_pipe.set_progress_bar_config(disable=reporter.on_progress is not None)
    if cls == "StableAudioPipeline":
        sr = int(audio_pipe.vae.config.sampling_rate)
        max_s = audio_pipe.transformer.config.sample_size * audio_pipe.vae.hop_length / sr
        if duration_s > max_s:
            notes.append(f"{cls} makes at most {max_s:.2f} s; the rest of the soundtrack is silent")
        kwargs.update(audio_end_in_s=min(duration_s, max_s), output_type="np")
    elif cls in ("AudioLDM2Pipeline", "AudioLDMPipeline"):
        sr = int(audio_pipe.vocoder.config.sampling_rate)
        kwargs.update(audio_length_in_s=duration_s, output_type="np")
    else:
        raise EngineUnavailable(
            f"audio model class {cls} is not supported; use a StableAudioPipeline or AudioLDM2Pipeline model.")
    try:
        out = audio_pipe(**kwargs)
    except BaseException:
        free = getattr(audio_pipe, "maybe_free_model_hooks", None)
        if free is not None:
            free()
        raise
    return out.audios[0], sr, notes
