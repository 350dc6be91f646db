"""``generate``: prompt in, clip with sound out, through whichever engine is asked for."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..media import Clip
from ..pictures import check_picture
from ..service.config import service_mode
from .base import EngineUnavailable, GenerationRequest, ProgressCallback, check_cancel, get_engine
from .options import (
    MAX_PROMPT_CHARS,
    REQUEST_OPTIONS,
    check_spoken_lines,
    check_text,
    engine_options,
    is_blank,
    validate_options,
)

__all__ = ["generate", "validate_prompt", "validate_request"]

#: The request fields checked against :data:`~.options.REQUEST_OPTIONS` (the prompt has its own rule).
_CHECKED_FIELDS = ("negative_prompt", "seed", "duration", "fps", "width", "height", "steps", "guidance", "strength")


def validate_prompt(prompt: object) -> str:
    """The one rule for a prompt's text, before moderation or any engine sees it.

    Args:
        prompt (`object`): what the user typed.

    Returns:
        `str`: ``prompt`` unchanged (``validate_request`` truncates it to ``MAX_PROMPT_CHARS``).

    Raises:
        ValueError: not text, a lone surrogate, a control character (NUL...), nothing visible, or a quoted
            spoken line longer than ``MAX_SPOKEN_LINE_CHARS``; the message says which and what to do.
    """
    if prompt is None or not isinstance(prompt, str):
        raise ValueError(f"the prompt must be text; got {type(prompt).__name__}. Describe the scene in words.")
    check_text(prompt, "the prompt")
    if is_blank(prompt):
        raise ValueError("the prompt is empty: describe the scene, e.g. 'a red ball bounces on a wooden floor'.")
    check_spoken_lines(prompt)
    return prompt


def validate_request(req: GenerationRequest) -> GenerationRequest:
    """Check the prompt and every field against :data:`~.options.REQUEST_OPTIONS`; returns the request with
    numbers converted (``24.0`` -> ``24``) and the prompt truncated to ``MAX_PROMPT_CHARS``. ``generate`` calls
    it; it also guards requests made by hand for an engine."""
    validate_prompt(req.prompt)
    values = {name: REQUEST_OPTIONS[name].validate(getattr(req, name)) for name in _CHECKED_FIELDS}
    if values["seed"] is None:
        raise ValueError("seed must be an integer between 0 and 4294967295 in a request (generate() picks one "
                         "when you pass None).")
    req = req.replace(**values)
    if req.image is not None:  # a start picture: the one rule for its array (pictures.check_picture)
        req = req.replace(image=check_picture(req.image))
    if len(req.prompt) > MAX_PROMPT_CHARS:
        req = req.replace(
            prompt=req.prompt[:MAX_PROMPT_CHARS],
            options={**req.options, "_truncated_from_chars": len(req.prompt)},
        )
    return req


def generate(
    prompt: str,
    *,
    engine: str = "sim",
    seed: int | None = None,
    duration: float = 4.0,
    fps: int = 24,
    width: int = 256,
    height: int = 256,
    negative_prompt: str = "",
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    cameos: Sequence[Any] = (),
    parent: Clip | None = None,
    strength: float | None = None,
    image: np.ndarray | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    **options: Any,
) -> Clip:
    """Generate a clip with sound from a prompt (nothing is saved: see ``sora_widgets.publish``).

    Every number is checked against the engine's published limits
    (``sora_widgets.engines.options.engine_options(engine)``); a bad value raises ValueError naming the
    option, its range and what was given.

    Args:
        prompt (`str`):
            What happens, in English (``"a red ball bounces on a wooden floor"``). Empty is refused; longer
            than 2000 characters is truncated (``clip.meta["notes"]`` says so).
        engine (`str`, *optional*, defaults to `"sim"`):
            A registered engine: ``"sim"`` (CPU physics, no weights), ``"ltx2"``, ``"ltx-video+audio"``,
            ``"wan+audio"``, ``"cogvideox+audio"`` (GPU, diffusers) or one plugged in through the
            ``sora_widgets.engines`` entry-point group. ``sora_widgets.available()`` lists them.
        seed (`int`, *optional*, defaults to `None`):
            0 .. 2**32-1. The same request with the same seed gives the same clip (byte-identical on ``sim``).
            ``None`` picks a random seed, recorded in ``clip.meta["seed"]``.
        duration (`float`, *optional*, defaults to `4.0`):
            Length of the clip in seconds, 0.1 .. 20.
        fps (`int`, *optional*, defaults to `24`):
            Frames per second, 1 .. 60 (whole numbers; ``24.0`` is taken as 24).
        width (`int`, *optional*, defaults to `256`):
            Frame width in pixels, 64 .. 1024. Diffusers engines generate at the next multiple of their
            latent grid and resize back.
        height (`int`, *optional*, defaults to `256`):
            Frame height in pixels, 64 .. 1024.
        negative_prompt (`str`, *optional*, defaults to `""`):
            What the picture should not show; used by the diffusers engines, ignored by ``sim``.
        on_progress (`Callable[[int, int, np.ndarray | None], None]`, *optional*, defaults to `None`):
            Called as ``on_progress(step, total, preview)`` from the generating thread: ``sim`` reports every
            frame (then the sound), diffusers engines every denoising step; ``preview`` is an (H, W, 3) uint8
            frame now and then, else ``None``.
        cancel (`threading.Event`, *optional*, defaults to `None`):
            Set it (from any thread) to stop between steps; ``generate`` then raises ``Cancelled``.
        cameos (`Sequence[CameoAsset]`, *optional*, defaults to `()`):
            Cameo assets from ``sora_widgets.cameo.use`` (consent checked there): people who appear in
            the clip, with their likeness and voice.
        parent (`Clip`, *optional*, defaults to `None`):
            The clip being remixed (video-to-video on the diffusers engines; ``sim`` remixes through
            ``base_scene``). Usually set by ``sora_widgets.remix``.
        strength (`float`, *optional*, defaults to `None`):
            How far a remix moves from ``parent``, 0 (keep it) .. 1 (ignore it); ``None`` means
            ``DEFAULT_REMIX_STRENGTH`` (0.6).
        image (`np.ndarray`, *optional*, defaults to `None`):
            A start picture, (H, W, 3) uint8 RGB, 16 .. 1024 pixels a side (``sora_widgets.pictures.read_picture``
            decodes and scales down a file): ``sim`` makes it the scene (the backdrop under a slow camera move,
            the first thing the prompt names cut out of it and moved by the physics), the diffusers engines run
            image-to-video from it. The recipe records its SHA-256 (``recipe["image_sha256"]``).
        steps (`int`, *optional*, defaults to `None`):
            Denoising steps, 1 .. 1000, for engines that denoise (``None``: the model's default). More steps:
            slower, usually cleaner.
        guidance (`float`, *optional*, defaults to `None`):
            Classifier-free guidance scale, 0 .. 50, for engines that denoise (``None``: the model's default).
            Higher follows the prompt more literally.
        **options:
            The engine's own options, e.g. ``loudness_lufs=-20`` or ``gravity=1.62`` on ``sim``,
            ``model="path/or/repo"``, ``device="cuda"``, ``two_stage=True`` on the diffusers engines; each
            with its type, range, default and unit in ``engine_options(engine)``. An option the engine does
            not know raises TypeError naming those it does.

    Returns:
        `Clip`: frames (N, H, W, 3) uint8, audio (samples, channels) float32, ``fps``, ``sample_rate`` and
        ``meta`` (engine, seed, the JSON ``recipe`` that reproduces it, timings in seconds, notes).

    Raises:
        ValueError: an empty prompt or an option outside its range.
        TypeError: an option the engine does not know.
        EngineUnavailable: the engine cannot run here (the message says why and what to install or set).
        Cancelled: ``cancel`` was set.

    With ``SORA_WIDGETS_RAY`` set, the call is queued on the generation service and runs on one of its
    workers (``sora_widgets.service``; progress, previews, ``cancel`` and errors as here; while it waits,
    ``on_progress(0, 0, None, label="queued: 2nd in line")`` if ``on_progress`` takes a ``label``).
    """
    if service_mode():  # the worker runs this same function, in its process, with the variable empty
        from ..service.client import run_on_service

        return run_on_service(generate, {
            "prompt": prompt, "engine": engine, "seed": seed, "duration": duration, "fps": fps, "width": width,
            "height": height, "negative_prompt": negative_prompt, "cameos": tuple(cameos), "parent": parent,
            "strength": strength, "image": image, "steps": steps, "guidance": guidance, **options,
        }, on_progress=on_progress, cancel=cancel)
    eng = get_engine(engine)
    specs = engine_options(engine)
    options = validate_options(specs, options, engine=engine, request_names=REQUEST_OPTIONS)
    given = validate_options(specs, {
        "seed": seed, "duration": duration, "fps": fps, "width": width, "height": height,
        "negative_prompt": negative_prompt, "strength": strength, "steps": steps, "guidance": guidance,
    }, engine=engine)
    # A model given in the call may make an engine usable that has no default model here.
    model_args = {k: options[k] for k in ("model", "audio_model") if k in options}
    ok, reason = eng.availability(**model_args)
    if not ok:
        raise EngineUnavailable(f"engine {engine!r} is not available here: {reason}")
    if given["seed"] is None:
        given["seed"] = int(np.random.SeedSequence().entropy % (2**31))
    req = GenerationRequest(
        prompt=prompt,
        cameos=tuple(cameos),
        parent=parent,
        image=image,
        options=dict(options),
        **given,
    )
    req = validate_request(req)
    check_cancel(cancel)
    t0 = time.perf_counter()
    clip = eng.generate(req, on_progress=on_progress, cancel=cancel)
    elapsed = time.perf_counter() - t0
    recipe = {"engine": eng.name, "engine_version": eng.version, **req.to_recipe()}
    meta = {
        "engine": eng.name,
        "engine_version": eng.version,
        "prompt": req.prompt,
        "seed": req.seed,
        "recipe": recipe,
        **clip.meta,
    }
    meta.setdefault("timings", {})
    meta["timings"] = {**meta["timings"], "total_s": elapsed}
    if "_truncated_from_chars" in req.options:
        meta.setdefault("notes", []).append(
            f"prompt truncated from {req.options['_truncated_from_chars']} to {MAX_PROMPT_CHARS} characters"
        )
    clip.meta = meta
    return clip
