"""``engine="ltx2"``: LTX-2, one model that makes picture and sound together.

Routes (all share the components loaded once per model/device/dtype):
- text-to-video: ``LTX2Pipeline``;
- image-to-video (``request.image``, or a cameo's image): ``LTX2ImageToVideoPipeline``;
- video-to-video (``request.parent``, a remix): ``LTX2ConditionPipeline`` with the parent's
  frames as one multi-frame ``LTX2VideoCondition`` at latent index 0. Its ``strength`` is how
  firmly the parent is held, so we pass ``1 - request.strength`` (request strength 0 keeps the
  parent, 1 ignores it; default ``DEFAULT_REMIX_STRENGTH``). The soundtrack is generated afresh for the new picture.
- ``two_stage=True``: generate at half size, upscale the latents 2x with the model's
  ``latent_upsampler`` (``LTX2LatentUpsamplePipeline``), then refine at full size for three
  steps on LTX-2's stage-2 sigmas (``STAGE_2_DISTILLED_SIGMA_VALUES``) without CFG, keeping
  the stage-1 audio latents. Needs a ``latent_upsampler/`` subfolder (as in Lightricks/LTX-2);
  text-to-video and image-to-video only.

The soundtrack comes at the vocoder's own rate (``vocoder.config.output_sampling_rate``,
24 kHz for LTX-2), padded/trimmed to the picture's duration.
"""

from __future__ import annotations

import time

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
from .loading import EngineUnavailable, quiet_diffusers

__all__ = ["LTX2Engine"]

LTX2_CLASSES = ("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline")


class LTX2Engine(DiffusersEngine):
    name = "ltx2"
    version = "1"
    description = "LTX-2 through diffusers: joint video + audio (GPU; weights from a folder or the HF cache)"
    option_specs = {**COMMON_OPTION_SPECS, "two_stage": OptionSpec(
        "two_stage", bool, False, help="generate at half size, upsample the latents 2x, refine (needs latent_upsampler/)")}
    options = frozenset(option_specs)
    model_env = "SORA_WIDGETS_LTX2_MODEL"
    default_model = "Lightricks/LTX-2"

    def __init__(self) -> None:
        self._variants: dict[tuple, object] = {}

    def _variant(self, base, cls):
        """``cls`` built on the components of ``base`` (diffusers ``from_pipe``: no reload, no copy)."""
        if type(base) is cls:
            return base
        key = (id(base), cls.__name__)
        if key not in self._variants:
            with quiet_diffusers():  # from_pipe warns about float32-kept modules even when there are none
                self._variants[key] = cls.from_pipe(base)
        return self._variants[key]

    def _run(self, request, settings, on_progress, cancel):
        import diffusers
        import PIL.Image
        from diffusers.pipelines.ltx2 import LTX2VideoCondition

        model, folder = self._resolve(request.options.get("model"), "LTX-2 model", self.model_env, self.default_model)
        loaded = self._load(folder, settings)
        base = loaded.pipe
        if type(base).__name__ not in LTX2_CLASSES:
            raise EngineUnavailable(
                f"{model!r} holds a {type(base).__name__}, not an LTX-2 pipeline; use the engine made for it "
                "(e.g. 'wan+audio', 'ltx-video+audio', 'cogvideox+audio')."
            )
        image = start_image(request)
        two_stage = bool(request.options.get("two_stage", False))
        if request.parent is not None:
            if two_stage:
                raise ValueError("two_stage is not supported for remixes (video-to-video) on ltx2; drop two_stage.")
            pipe = self._variant(base, diffusers.LTX2ConditionPipeline)
            route = "video-to-video"
        elif image is not None:
            pipe = self._variant(base, diffusers.LTX2ImageToVideoPipeline)
            route = "image-to-video"
        else:
            pipe = self._variant(base, diffusers.LTX2Pipeline)
            route = "text-to-video"

        upsampler = self._upsampler(folder, settings) if two_stage else None
        grid = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size * (2 if two_stage else 1)
        height, width = round_up(request.height, grid), round_up(request.width, grid)
        n_frames = valid_frame_count(request.num_frames, pipe.vae_temporal_compression_ratio)

        kwargs = {
            "prompt": request.prompt,
            "negative_prompt": request.negative_prompt or None,
            "num_frames": n_frames,
            "frame_rate": float(request.fps),
            "generator": self._generator(pipe, request.seed, settings["device"]),
            "output_type": "np",
            "return_dict": False,
            "max_sequence_length": min(1024, int(getattr(pipe.tokenizer, "model_max_length", 1024) or 1024)),
        }
        if request.steps is not None:
            kwargs["num_inference_steps"] = int(request.steps)
        if request.guidance is not None:
            kwargs["guidance_scale"] = float(request.guidance)
        kwargs.update(_stg_for(pipe))
        if route == "image-to-video":
            kwargs["image"] = PIL.Image.fromarray(image)
        elif route == "video-to-video":
            strength = DEFAULT_REMIX_STRENGTH if request.strength is None else float(request.strength)
            kwargs["conditions"] = [LTX2VideoCondition(
                frames=parent_frames(request.parent, n_frames, request.fps), index=0, strength=1.0 - strength)]
        kwargs.update(settings["pipeline_kwargs"])

        steps = int(kwargs.get("num_inference_steps", _default_steps(pipe)))
        refine_sigmas = _stage2_sigmas() if two_stage else []
        reporter = StepReporter(on_progress, cancel, [steps] + ([len(refine_sigmas)] if two_stage else []),
                                (request.height, request.width))
        timings = {"load_s": loaded.load_s}
        t_gen = time.perf_counter()
        if not two_stage:
            reporter.begin_stage(0, layout="packed", latent_hw=_latent_hw(pipe, height, width))
            video, audio = call_pipeline(pipe, reporter, {**kwargs, "height": height, "width": width,
                                                "callback_on_step_end": reporter.on_step_end,
                                                "callback_on_step_end_tensor_inputs": ["latents"]})
        else:
            video, audio = self._two_stage(pipe, upsampler, kwargs, height, width, reporter, refine_sigmas)
        timings["generate_s"] = time.perf_counter() - t_gen

        frames = frames_to_uint8(video, request.num_frames, request.height, request.width)
        sr = int(pipe.vocoder.config.output_sampling_rate)
        sound, sr, notes = fit_soundtrack(audio, sr, request.num_frames / float(request.fps))
        meta = {
            "model": model,
            "model_path": str(folder),
            "pipeline": type(pipe).__name__,
            "route": route,
            "two_stage": two_stage,
            "generated_size": [n_frames, height, width],
            "steps": reporter.total,
            "timings": timings,
        }
        if notes:
            meta["notes"] = notes
        return frames, sound, sr, meta

    def _upsampler(self, folder, settings):
        import diffusers
        from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

        sub = folder / "latent_upsampler"
        if not (sub / "config.json").is_file():
            raise EngineUnavailable(
                f"two_stage needs the latent upsampler, but {str(sub)!r} is missing. Download the full LTX-2 "
                "repository (it has a latent_upsampler/ folder), e.g. `hf download Lightricks/LTX-2`, or drop two_stage."
            )
        key = ("upsampler", str(sub), settings["device"], str(settings["dtype"]))
        if key not in self._variants:
            from .loading import offline_hub

            with offline_hub():
                model = LTX2LatentUpsamplerModel.from_pretrained(str(sub), dtype=settings["dtype"],
                                                                 local_files_only=True)
            self._variants[key] = (model.to(settings["device"]), diffusers.LTX2LatentUpsamplePipeline)
        return self._variants[key]

    def _two_stage(self, pipe, upsampler, kwargs, height, width, reporter, sigmas):
        model, upsample_cls = upsampler
        half_h, half_w = height // 2, width // 2
        reporter.begin_stage(0, layout="packed", latent_hw=_latent_hw(pipe, half_h, half_w))
        video_latents, audio_latents = call_pipeline(pipe, reporter, {
            **kwargs, "height": half_h, "width": half_w, "output_type": "latent",
            "callback_on_step_end": reporter.on_step_end, "callback_on_step_end_tensor_inputs": ["latents"]})
        up = upsample_cls(vae=pipe.vae, latent_upsampler=model)
        up.set_progress_bar_config(disable=True)
        video_latents = up(latents=video_latents, output_type="latent", return_dict=False)[0]
        reporter.begin_stage(1, layout="packed", latent_hw=_latent_hw(pipe, height, width))
        refine = {k: v for k, v in kwargs.items() if k not in ("image", "num_inference_steps", "guidance_scale")}
        refine.update(_no_stg())
        return call_pipeline(pipe, reporter, {
            **refine, "height": height, "width": width, "latents": video_latents, "audio_latents": audio_latents,
            "sigmas": sigmas, "num_inference_steps": len(sigmas), "noise_scale": sigmas[0], "guidance_scale": 1.0,
            "callback_on_step_end": reporter.on_step_end, "callback_on_step_end_tensor_inputs": ["latents"]})


def _latent_hw(pipe, height: int, width: int) -> tuple[int, int]:
    f = pipe.vae_spatial_compression_ratio * pipe.transformer_spatial_patch_size
    return height // f, width // f


def _default_steps(pipe) -> int:
    import inspect

    return int(inspect.signature(type(pipe).__call__).parameters["num_inference_steps"].default)


def _stage2_sigmas() -> list[float]:
    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    return list(STAGE_2_DISTILLED_SIGMA_VALUES)


def _no_stg() -> dict:
    return {"stg_scale": 0.0, "audio_stg_scale": 0.0, "spatio_temporal_guidance_blocks": None}


def _stg_for(pipe) -> dict:
    """Spatio-temporal guidance only on blocks the transformer has: the default block list ([28]) is
    for the 48-layer LTX-2; a smaller transformer would run an extra pass that perturbs nothing."""
    import inspect

    default = inspect.signature(type(pipe).__call__).parameters["spatio_temporal_guidance_blocks"].default or []
    layers = int(getattr(pipe.transformer.config, "num_layers", 0))
    blocks = [b for b in default if b < layers]
    if blocks == list(default):
        return {}
    return {"spatio_temporal_guidance_blocks": blocks} if blocks else _no_stg()
