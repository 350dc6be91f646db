"""The engine contract: a request, a protocol and a registry (``generate`` is in :mod:`.generation`).

Every engine (the CPU ``sim`` default, the diffusers GPU engines) takes a
:class:`GenerationRequest`, reports progress through ``on_progress(step,
total, preview_frame_or_None)``, checks ``cancel`` (a ``threading.Event``)
between steps and returns a :class:`~sora_widgets.media.Clip`. The request
is the *recipe*: stored with every clip, it is what a remix edits.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import inspect
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..media import Clip
from ..pictures import picture_sha256

__all__ = [
    "ENTRY_POINT_GROUP",
    "Cancelled",
    "Engine",
    "EngineInfo",
    "EngineUnavailable",
    "GenerationRequest",
    "ProgressCallback",
    "available",
    "check_cancel",
    "get_engine",
    "register",
]

ProgressCallback = Callable[[int, int, "np.ndarray | None"], None]


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
    options : engine-specific options (e.g. ``model``); their types, ranges and defaults are the engine's
        ``option_specs`` (``engine_options(name)``), checked by ``generate``.
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
            # the start picture's pixels are not in the recipe (they can be megabytes); their hash is, so remix,
            # lineage and provenance can tell which picture a clip started from
            "image_sha256": None if self.image is None else picture_sha256(self.image),
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
    Optional: ``option_specs`` (a mapping name -> :class:`~sora_widgets.engines.options.OptionSpec`: types,
    ranges and defaults of its options, checked by ``generate``) and ``description`` (one line for menus).
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


#: The entry-point group engines register in (``[project.entry-points."sora_widgets.engines"]``): each entry
#: ``name = "package.module:factory"`` names a callable taking no arguments that returns an :class:`Engine`.
ENTRY_POINT_GROUP = "sora_widgets.engines"

_FACTORIES: dict[str, tuple[Callable[[], Engine], str]] = {}
_INSTANCES: dict[str, Engine] = {}
_LOCK = threading.RLock()
_ENTRY_POINTS_READ = False


def register(name: str, factory: Callable[[], Engine], description: str = "") -> None:
    """Register an engine factory under ``name`` (created lazily, once per process).

    For notebooks and tests; a package that ships an engine declares an entry point in the
    ``sora_widgets.engines`` group instead. A name registered here wins over an entry point of that name.

    Args:
        name (`str`): what ``generate(..., engine=name)`` selects.
        factory (`Callable[[], Engine]`): makes the engine; called on first use only.
        description (`str`): one line for the engine menu (default: the engine's ``description`` attribute).
    """
    _ensure_builtin()
    with _LOCK:
        _FACTORIES[name] = (factory, description)
        _INSTANCES.pop(name, None)


def _ensure_builtin() -> None:
    """Read the engine entry points once per process (lazily: nothing is imported until an engine is used).

    The engines shipped with sora-widgets are entry points too (see pyproject.toml), so a third-party
    engine plugs in the same way without editing this package.
    """
    global _ENTRY_POINTS_READ
    if _ENTRY_POINTS_READ:
        return
    with _LOCK:
        if _ENTRY_POINTS_READ:
            return
        for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            # setdefault: the first distribution found wins, and register() calls made before stay
            _FACTORIES.setdefault(ep.name, (_entry_point_factory(ep), ""))
        _ENTRY_POINTS_READ = True


def _entry_point_factory(ep: importlib.metadata.EntryPoint) -> Callable[[], Engine]:
    def factory() -> Engine:
        return ep.load()()

    return factory


def get_engine(name: str) -> Engine:
    """The engine registered as ``name`` (made on first use, then the same object); ValueError if unknown."""
    _ensure_builtin()
    with _LOCK:
        if name not in _FACTORIES:
            raise ValueError(f"unknown engine {name!r}; engines: {', '.join(sorted(_FACTORIES))}")
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
    for name, (_factory, desc) in sorted(dict(_FACTORIES).items(), key=lambda kv: (kv[0] != "sim", kv[0])):
        if wanted is not None and name not in wanted:
            continue
        try:
            eng = get_engine(name)
            ok, reason = eng.availability()
            uses_steps = bool(getattr(eng, "uses_steps", False))
            desc = desc or str(getattr(eng, "description", ""))
        except Exception as exc:  # an engine that cannot even be constructed is unavailable
            ok, reason, uses_steps = False, f"{type(exc).__name__}: {exc}", False
        infos.append(EngineInfo(name, ok, "" if ok else reason, desc, uses_steps))
    return infos


def label_reporter(on_progress: Callable | None) -> Callable[[str], None] | None:
    """``say(text)`` calling ``on_progress(0, 0, None, label=text)`` when ``on_progress`` takes ``label``; else None.

    The one way engines and the generation service put words on a caller's progress line ("loading model:
    3 of 8 parts", "queued: 3rd in line"); a plain 3-argument callback is never given one. Step and total
    stay 0: callbacks measure the pace of the steps from the first step > 0 on, and words counted as steps
    would make the first ETA wildly wrong.

    Args:
        on_progress: the caller's progress callback, or None.
    """
    if on_progress is None:
        return None
    try:
        params = inspect.signature(on_progress).parameters
    except (TypeError, ValueError):
        return None
    if "label" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return None
    return lambda text: on_progress(0, 0, None, label=text)


def check_cancel(cancel: threading.Event | None) -> None:
    """Raise :class:`Cancelled` if ``cancel`` is set. Engines call this between steps."""
    if cancel is not None and cancel.is_set():
        raise Cancelled("generation cancelled")
