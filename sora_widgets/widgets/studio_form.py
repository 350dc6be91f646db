"""``GenerationForm``: the Studio's prompt and settings, turned into the arguments of ``generate``.

Prompt and negative prompt; the engine picker (unavailable engines listed with
their reason); duration, fps, aspect + size, seed with a **Random** button,
steps and guidance (only for engines that denoise). Every limit comes from the
engine's published options (:func:`sora_widgets.engines.engine_options`), never
from a number written here: picking another engine re-reads them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable
from typing import Any

import ipywidgets as W

from ..engines import engine_options
from ..engines.options import REQUEST_OPTIONS, OptionSpec
from ._messages import first_sentence, html_escape

__all__ = ["ASPECTS", "FPS_CHOICES", "SIZES_PX", "GenerationForm", "frame_size"]

log = logging.getLogger(__name__)

ASPECTS = ("1:1", "16:9", "9:16")
#: Lengths of the longest side offered, in pixels (those outside the engine's width/height range are hidden).
SIZES_PX = (256, 384, 512, 768)
#: Frame rates offered, in frames per second (those outside the engine's fps range are hidden).
FPS_CHOICES = (8, 12, 24, 30)
#: Where the steps and guidance controls start when the engine leaves them to the model (its default is None).
STARTING_STEPS, STARTING_GUIDANCE = 30, 5.0


def frame_size(aspect: str, long_side_px: int, *, min_side_px: int | None = None) -> tuple[int, int]:
    """(width, height) in pixels for ``aspect`` ("16:9"...) with the longest side ``long_side_px``; sides even.

    ``min_side_px``: the shortest side allowed (default: the engines' smallest width, from ``engine_options``).
    """
    try:
        a, b = (int(x) for x in aspect.split(":"))
    except ValueError:
        raise ValueError(f"aspect must look like '16:9'; got {aspect!r}") from None
    if min_side_px is None:
        min_side_px = int(REQUEST_OPTIONS["width"].minimum)
    long_side = int(long_side_px)
    short = max(int(min_side_px), int(round(long_side * min(a, b) / max(a, b) / 2)) * 2)
    return (long_side, short) if a >= b else (short, long_side)


def _within(values: Iterable, spec: OptionSpec) -> list:
    lo = spec.minimum if spec.minimum is not None else float("-inf")
    hi = spec.maximum if spec.maximum is not None else float("inf")
    return [v for v in values if lo <= v <= hi]


class GenerationForm(W.VBox):
    """The prompt and every setting of a generation; :meth:`request_kwargs` is what Generate sends.

    Controls (public, so notebooks can set them): ``prompt``, ``negative_prompt``, ``engine``,
    ``engine_note``, ``duration``, ``fps``, ``aspect``, ``size``, ``size_note``, ``seed``, ``dice``, ``new_seed``,
    ``steps``, ``guidance``, ``steps_box``. ``engine_infos``: name -> ``EngineInfo`` once known.
    """

    def __init__(self, **kwargs: Any):
        wide = W.Layout(width="100%")
        st = {"description_width": "110px"}
        narrow = W.Layout(width="200px")
        self.prompt = W.Textarea(
            description="Prompt",
            placeholder="Describe the scene and its sound, e.g. 'a red ball bounces off the backboard'",
            rows=3, layout=wide, style=st,
        )
        self.prompt.add_class("sw-prompt")
        self.negative_prompt = W.Text(description="Negative prompt", placeholder="what to avoid (optional)",
                                      layout=wide, style=st)
        self.negative_prompt.add_class("sw-negative-prompt")

        self.engine_infos: dict[str, Any] = {}
        self.engine = W.Dropdown(options=[], description="Engine", style=st)
        self.engine.add_class("sw-engine")
        self.engine_note = W.HTML()
        self.engine_note.add_class("sw-engine-note")

        specs = REQUEST_OPTIONS
        self.duration = W.BoundedFloatText(value=specs["duration"].default, min=specs["duration"].minimum,
                                           max=specs["duration"].maximum, step=0.5,
                                           description=f"Duration ({specs['duration'].unit})", style=st,
                                           layout=narrow)
        self.duration.add_class("sw-duration")
        self.fps = W.Dropdown(options=_within(FPS_CHOICES, specs["fps"]), value=specs["fps"].default,
                              description="FPS", style=st, layout=narrow)
        self.fps.add_class("sw-fps")
        self.aspect = W.ToggleButtons(options=list(ASPECTS), value="1:1", description="Aspect", style=st)
        self.aspect.add_class("sw-aspect")
        self.size = W.Dropdown(options=[(f"{s} px", s) for s in SIZES_PX], value=specs["width"].default,
                               description="Size", style=st, layout=narrow)
        self.size.add_class("sw-size")
        self.size_note = W.HTML()
        self.seed = W.BoundedIntText(value=0, min=int(specs["seed"].minimum), max=int(specs["seed"].maximum),
                                     description="Seed", style=st, layout=W.Layout(width="240px"))
        self.seed.add_class("sw-seed")
        self.roll_seed()
        # Text, not an emoji: headless browsers and many Linux desktops have no emoji font.
        self.dice = W.Button(description="Random", tooltip="Pick a random seed", layout=W.Layout(width="80px"))
        self.dice.add_class("sw-dice")
        self.new_seed = W.Checkbox(value=True, description="new seed each take", indent=False,
                                   tooltip="A take whose seed you did not change gets a new one; untick to keep it")
        self.new_seed.add_class("sw-new-seed")
        self.steps = W.IntSlider(value=STARTING_STEPS, description="Steps", style=st)
        self.guidance = W.FloatSlider(value=STARTING_GUIDANCE, step=0.5, description="Guidance", style=st)
        self.steps_box = W.HBox([self.steps, self.guidance])
        self.steps_box.add_class("sw-steps-box")
        self._specs: dict[str, OptionSpec] = dict(specs)
        self._apply_limits(specs)
        self._engine_changed_handlers = W.CallbackDispatcher()

        self.dice.on_click(lambda _b: self.roll_seed())
        self.engine.observe(lambda _c: self._engine_changed(), names="value")
        self.aspect.observe(lambda _c: self._size_changed(), names="value")
        self.size.observe(lambda _c: self._size_changed(), names="value")
        self._size_changed()
        super().__init__([
            self.prompt, self.negative_prompt,
            W.VBox([
                W.HBox([self.engine, self.engine_note]),
                W.HBox([self.duration, self.fps]),
                W.HBox([self.aspect]),
                W.HBox([self.size, self.size_note]),
                W.HBox([self.seed, self.dice, self.new_seed]),
                self.steps_box,
            ]),
        ], **kwargs)

    # ------------------------------------------------------------ events
    def on_engine_changed(self, callback: Callable[[Any], None], remove: bool = False) -> None:
        """Call ``callback(engine_info_or_None)`` when the picked engine (or the list) changes."""
        self._engine_changed_handlers.register_callback(callback, remove=remove)

    # ------------------------------------------------------------ engines
    @property
    def engine_info(self) -> Any:
        """The ``EngineInfo`` of the picked engine (None while engines are being checked)."""
        return self.engine_infos.get(self.engine.value)

    def set_engines(self, infos: Iterable[Any]) -> None:
        """Fill the engine picker from :func:`sora_widgets.engines.available` (unavailable ones say why)."""
        self.engine_infos = {info.name: info for info in infos}
        options = [(name if info.available else f"{name} (unavailable)", name)
                   for name, info in self.engine_infos.items()]
        first_ok = next((n for n, i in self.engine_infos.items() if i.available), options[0][1] if options else None)
        keep = self.engine.value if self.engine.value in self.engine_infos else None
        self.engine.options = options  # selects the first option (and calls _engine_changed)
        # A refreshed list keeps the user's pick when it is still there.
        self.engine.value = keep or first_ok
        self._engine_changed()

    def _engine_changed(self) -> None:
        if not self.engine_infos:
            return  # still checking (background engine check)
        info = self.engine_info
        if info is None:
            self.engine_note.value = "<span class='sw-error'>no engine is registered</span>"
            self._engine_changed_handlers(None)
            return
        try:
            self._apply_limits(engine_options(info.name))
        except Exception:  # an engine that cannot describe itself keeps the common limits
            log.debug("engine_options(%r) failed", info.name, exc_info=True)
        self.steps_box.layout.display = "" if info.uses_steps else "none"
        unavailable = [i for i in self.engine_infos.values() if not i.available]
        note = html_escape(info.description)
        if not info.available:
            note = f"<span class='sw-error'>unavailable here: {html_escape(first_sentence(info.reason))}</span>"
        if unavailable:
            # Reasons can be long (how to download weights): folded, one line each, full text on hover.
            items = "".join(
                f"<li title='{html_escape(i.reason)}'><b>{html_escape(i.name)}</b>: "
                f"{html_escape(first_sentence(i.reason))}</li>" for i in unavailable)
            note += (f"<details class='sw-unavailable'><summary><small>{len(unavailable)} engine(s) unavailable here"
                     f"</small></summary><small><ul style='margin:0'>{items}</ul></small></details>")
        self.engine_note.value = note
        self._engine_changed_handlers(info)

    def _apply_limits(self, specs: dict[str, OptionSpec]) -> None:
        """Bound every control by ``specs`` (an engine's published options); values are clamped into range."""
        self._specs = dict(specs)
        d = specs["duration"]
        self.duration.min, self.duration.max = float(d.minimum), float(d.maximum)
        fps = _within(FPS_CHOICES, specs["fps"]) or [int(specs["fps"].default)]
        if list(self.fps.options) != fps:
            keep = self.fps.value if self.fps.value in fps else min(fps, key=lambda v: abs(v - specs["fps"].default))
            self.fps.options = fps
            self.fps.value = keep
        longest = min(specs["width"].maximum or max(SIZES_PX), specs["height"].maximum or max(SIZES_PX))
        sizes = [s for s in SIZES_PX if s <= longest] or [int(longest)]
        if [v for _k, v in self.size.options] != sizes:
            keep = self.size.value if self.size.value in sizes else sizes[-1]
            self.size.options = [(f"{s} px", s) for s in sizes]
            self.size.value = keep
        for slider, name in ((self.steps, "steps"), (self.guidance, "guidance")):
            spec = specs[name]
            lo, hi = spec.minimum, spec.maximum
            if lo is None or hi is None:
                continue  # an unbounded option keeps the slider's current range
            # ipywidgets refuses min > max in between: widen first, then narrow.
            slider.max = max(slider.max, hi)
            slider.min = lo
            slider.max = hi
            if spec.default is not None:
                slider.value = spec.default

    def _size_changed(self) -> None:
        w, h = frame_size(self.aspect.value, self.size.value, min_side_px=self._min_side_px())
        self.size_note.value = f"<small>{w} × {h} px</small>"

    def _min_side_px(self) -> int:
        return int(max(self._specs["width"].minimum, self._specs["height"].minimum))

    # ------------------------------------------------------------ values
    def seed_for_next_take(self, last_seed: int | None) -> int:
        """The seed the next take uses: with **new seed each take** ticked, a seed left as the last take's
        (``last_seed``; None before the first take) is rolled anew; a seed the user typed is kept."""
        if self.new_seed.value and last_seed is not None and int(self.seed.value) == int(last_seed):
            return self.roll_seed()
        return int(self.seed.value)

    def roll_seed(self) -> int:
        """Pick a new random seed (the Random button) within the engine's seed range."""
        self.seed.value = int(self.seed.min) + secrets.randbelow(int(self.seed.max) - int(self.seed.min) + 1)
        return self.seed.value

    def request_kwargs(self) -> dict[str, Any]:
        """The settings as keyword arguments of :func:`sora_widgets.generate` (the prompt aside)."""
        info = self.engine_info
        w, h = frame_size(self.aspect.value, self.size.value, min_side_px=self._min_side_px())
        kw: dict[str, Any] = {
            "engine": self.engine.value,
            "negative_prompt": self.negative_prompt.value,
            "seed": int(self.seed.value),
            "duration": float(self.duration.value),
            "fps": int(self.fps.value),
            "width": w,
            "height": h,
        }
        if info is not None and info.uses_steps:
            kw["steps"] = int(self.steps.value)
            kw["guidance"] = float(self.guidance.value)
        return kw
