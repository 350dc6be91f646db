"""The engine contract: a request, a protocol, a registry, and ``generate``.

Every engine (the CPU ``sim`` default, the diffusers GPU engines) takes a
:class:`GenerationRequest`, reports progress through ``on_progress(step,
total, preview_frame_or_None)``, checks ``cancel`` (a ``threading.Event``)
between steps and returns a :class:`~sora_widgets.media.Clip`. The request
is the *recipe*: stored with every clip, it is what a remix edits.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..media import Clip

__all__ = [
    "Cancelled",
    "Engine",
    "EngineInfo",
    "EngineUnavailable",
    "GenerationRequest",
    "ProgressCallback",
    "available",
    "check_cancel",
    "generate",
    "get_engine",
    "register",
]

ProgressCallback = Callable[[int, int, "np.ndarray | None"], None]

#: Allowed ranges, shared by every engine (an engine may narrow them).
DURATION_RANGE_S = (0.1, 20.0)
FPS_RANGE = (1, 60)
SIZE_RANGE_PX = (64, 1024)
MAX_PROMPT_CHARS = 2000


class Cancelled(Exception):
    """The generation was cancelled through its ``cancel`` event; nothing was produced."""


class EngineUnavailable(RuntimeError):
    """The engine cannot run here (missing package, weights or device); the message says why."""


@dataclass(frozen=True)
class GenerationRequest:
    """Everything needed to reproduce a clip.

    prompt, negative_prompt : text.
    seed : integer seed; the same request gives the same clip.
    duration : seconds of video. fps : frames per second.
    width, height : frame size in pixels.
    steps, guidance : denoising steps and guidance scale, for engines that use them.
    cameos : CameoAssets obtained through ``cameo.use`` (not part of the JSON recipe;
        their ids are, under ``cameo_ids``).
    parent : the clip being remixed (video-to-video), or None.
    strength : how far a remix may move from the parent, 0..1.
    image : a start image (H, W, 3) uint8 for image-to-video, or None.
    options : engine-specific options (e.g. ``model``), validated by the engine.
    """

    prompt: str
    negative_prompt: str = ""
    seed: int = 0
    duration: float = 4.0
    fps: int = 24
    width: int = 256
    height: int = 256
    steps: int | None = None
    guidance: float | None = None
    cameos: tuple = ()
    parent: Clip | None = field(default=None, compare=False)
    strength: float | None = None
    image: np.ndarray | None = field(default=None, compare=False)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def num_frames(self) -> int:
        return max(1, int(round(self.duration * self.fps)))

    def to_recipe(self) -> dict[str, Any]:
        """The JSON-serialisable recipe (arrays and assets replaced by references)."""
        return {
            "prompt": self.prompt,
            "negative_prompt": self.negative_prompt,
            "seed": int(self.seed),
            "duration": float(self.duration),
            "fps": int(self.fps),
            "width": int(self.width),
            "height": int(self.height),
            "steps": self.steps,
            "guidance": self.guidance,
            "strength": self.strength,
            "cameo_ids": [getattr(c, "cameo_id", None) for c in self.cameos],
            "parent_id": (self.parent.meta.get("clip_id") if self.parent is not None else None),
            "has_image": self.image is not None,
            "options": {k: v for k, v in self.options.items() if _jsonable(v)},
        }

    def replace(self, **changes: Any) -> GenerationRequest:
        return dataclasses.replace(self, **changes)


def _jsonable(v: Any) -> bool:
    return isinstance(v, (str, int, float, bool, type(None), list, dict))


@runtime_checkable
class Engine(Protocol):
    """What every engine provides.

    ``name``: registry key. ``version``: changes whenever output for a request changes.
    ``options``: names of engine-specific options it accepts in ``request.options``.
    ``uses_steps``: whether ``steps``/``guidance`` mean anything to it.
    """

    name: str
    version: str
    options: frozenset[str]
    uses_steps: bool

    def availability(self) -> tuple[bool, str]:
        """(usable here, reason if not)."""

    def generate(
        self,
        request: GenerationRequest,
        *,
        on_progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> Clip:
        """Make the clip; raise :class:`Cancelled` if ``cancel`` is set between steps."""


@dataclass(frozen=True)
class EngineInfo:
    name: str
    available: bool
    reason: str
    description: str = ""
    uses_steps: bool = False


_FACTORIES: dict[str, tuple[Callable[[], Engine], str]] = {}
_INSTANCES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def register(name: str, factory: Callable[[], Engine], description: str = "") -> None:
    """Register an engine factory under ``name`` (created lazily, once per process)."""
    _FACTORIES[name] = (factory, description)
    _INSTANCES.pop(name, None)


def _ensure_builtin() -> None:
    # Importing the package registers the engines shipped with it.
    from . import _builtin  # noqa: F401


def get_engine(name: str) -> Engine:
    _ensure_builtin()
    if name not in _FACTORIES:
        raise ValueError(f"unknown engine {name!r}; engines: {', '.join(sorted(_FACTORIES))}")
    with _LOCK:
        if name not in _INSTANCES:
            _INSTANCES[name] = _FACTORIES[name][0]()
        return _INSTANCES[name]


def available(names: Iterable[str] | None = None) -> list[EngineInfo]:
    """Every registered engine (or just ``names``), whether it can run here, and if not, why.

    Checking a diffusers engine imports torch and diffusers (seconds on a cold disk), so a
    caller that only needs the embedded default can ask for ``names=["sim"]`` first.
    """
    _ensure_builtin()
    wanted = None if names is None else set(names)
    infos = []
    for name, (_factory, desc) in sorted(_FACTORIES.items(), key=lambda kv: (kv[0] != "sim", kv[0])):
        if wanted is not None and name not in wanted:
            continue
        try:
            eng = get_engine(name)
            ok, reason = eng.availability()
            uses_steps = bool(getattr(eng, "uses_steps", False))
        except Exception as exc:  # an engine that cannot even be constructed is unavailable
            ok, reason, uses_steps = False, f"{type(exc).__name__}: {exc}", False
        infos.append(EngineInfo(name, ok, "" if ok else reason, desc, uses_steps))
    return infos


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set. Engines call this between steps."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("generation cancelled")


def validate_request(req: GenerationRequest) -> GenerationRequest:
    """Check ranges shared by all engines; returns the (possibly truncated) request."""
    if not isinstance(req.prompt, str) or not req.prompt.strip():
        raise ValueError("the prompt is empty: describe the scene, e.g. 'a red ball bounces on a wooden floor'.")
    lo, hi = DURATION_RANGE_S
    if not (lo <= float(req.duration) <= hi):
        raise ValueError(f"duration must be between {lo} and {hi} seconds; got {req.duration}.")
    lo, hi = FPS_RANGE
    if not (lo <= int(req.fps) <= hi) or int(req.fps) != req.fps:
        raise ValueError(f"fps must be an integer between {lo} and {hi}; got {req.fps}.")
    lo, hi = SIZE_RANGE_PX
    for dim in ("width", "height"):
        v = getattr(req, dim)
        if not (lo <= int(v) <= hi) or int(v) != v:
            raise ValueError(f"{dim} must be an integer between {lo} and {hi} px; got {v}.")
    if req.strength is not None and not (0.0 <= req.strength <= 1.0):
        raise ValueError(f"strength must be between 0 and 1; got {req.strength}.")
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
    """Generate a clip with sound from a prompt.

    ``seed=None`` picks a random seed (recorded in ``clip.meta['seed']``).
    Engine-specific options (``model=...``) go through ``**options``; an option the
    engine does not know raises ``TypeError`` naming the ones it does.
    """
    eng = get_engine(engine)
    # A model given in the call may make an engine usable that has no default model here.
    model_args = {k: options[k] for k in ("model", "audio_model") if k in options and k in eng.options}
    ok, reason = eng.availability(**model_args)
    if not ok:
        raise EngineUnavailable(f"engine {engine!r} is not available here: {reason}")
    unknown = set(options) - set(eng.options)
    if unknown:
        known = ", ".join(sorted(eng.options)) or "none"
        raise TypeError(f"engine {engine!r} does not know option(s) {', '.join(sorted(unknown))}; it accepts: {known}.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**31))
    req = GenerationRequest(
        prompt=prompt,
        negative_prompt=negative_prompt,
        seed=int(seed),
        duration=float(duration),
        fps=int(fps) if float(fps).is_integer() else fps,
        width=int(width) if float(width).is_integer() else width,
        height=int(height) if float(height).is_integer() else height,
        steps=steps,
        guidance=guidance,
        cameos=tuple(cameos),
        parent=parent,
        strength=strength,
        image=image,
        options=dict(options),
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
