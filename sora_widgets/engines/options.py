"""What an engine accepts: every option with its type, range, default and unit.

``engine_options(name)`` answers "what can I pass to ``generate(..., engine=name)``?": the request options
common to all engines (``duration``, ``fps``, ``width``, ``height``, ``seed``, ``steps``, ``guidance``,
``negative_prompt``, ``strength``) merged with the engine's own (its ``option_specs``; an engine may
narrow a common option by publishing a spec of the same name). ``generate`` validates every argument
against these specs, and widgets read their limits from here instead of repeating them.

>>> from sora_widgets.engines.options import engine_options
>>> spec = engine_options("sim")["duration"]
>>> spec.minimum, spec.maximum, spec.unit
(0.1, 20.0, 's')
>>> spec.validate("4s")
Traceback (most recent call last):
...
ValueError: duration must be between 0.1 and 20.0 s; got '4s' (a str).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .base import get_engine

__all__ = [
    "DEFAULT_REMIX_STRENGTH",
    "MAX_PROMPT_CHARS",
    "MAX_SPOKEN_LINE_CHARS",
    "REQUEST_OPTIONS",
    "OptionSpec",
    "check_text",
    "engine_options",
    "validate_options",
]

#: How far a remix moves from its parent when the caller does not say (0 keeps the parent, 1 ignores it).
#: The one definition: ``remix`` and the diffusers engines import it.
DEFAULT_REMIX_STRENGTH = 0.6

#: Longer prompts are truncated to this many characters (and the clip's meta says so).
MAX_PROMPT_CHARS = 2000

#: The longest spoken line (the text between double quotes, “curly quotes” or «guillemets») a prompt may
#: hold, in characters: about 20 s of speech. A longer one is refused (it took 18.6 s to voice 100,000).
MAX_SPOKEN_LINE_CHARS = 300

# C0 control characters other than tab, newline and carriage return, and DEL: never part of a prompt
# (NUL is also the sim parser's own quote marker).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPOKEN_RE = re.compile(r'"([^"]*)"|“([^”]*)”|«([^»]*)»')


def check_text(value: Any, name: str) -> str:
    """``value`` if it is text a person could have typed, else a ValueError naming ``name``.

    Args:
        value (`Any`): the text (a prompt, a negative prompt, a text option).
        name (`str`): the option's name, for the message.

    Returns:
        `str`: ``value`` unchanged.

    Raises:
        ValueError: not a ``str``; a lone surrogate (text that cannot be UTF-8); a control character
            (NUL, escape...; tab and newlines are fine).
    """
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text; got {type(value).__name__}.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(
            f"{name} is not valid text: it holds a lone surrogate (U+{ord(value[exc.start]):04X}) at character "
            f"{exc.start + 1}. Paste it again as plain text.") from None
    bad = _CONTROL_RE.search(value)
    if bad:
        raise ValueError(f"{name} contains a control character (U+{ord(bad.group()):04X}) at character "
                         f"{bad.start() + 1}: remove it and try again.")
    return value


def check_spoken_lines(prompt: str) -> None:
    """A ValueError when a quoted spoken line in ``prompt`` is longer than :data:`MAX_SPOKEN_LINE_CHARS`."""
    for m in _SPOKEN_RE.finditer(prompt):
        line = next(g for g in m.groups() if g is not None)
        if len(line) > MAX_SPOKEN_LINE_CHARS:
            start = " ".join(line[:30].split())
            raise ValueError(
                f"a spoken line may have at most {MAX_SPOKEN_LINE_CHARS} characters; the one starting "
                f"“{start}…” has {len(line):,}. Split it into shorter lines.")


def is_blank(text: str) -> bool:
    """True when ``text`` shows nothing: only whitespace and invisible format characters (zero-width space, BOM)."""
    return not "".join(c for c in text if unicodedata.category(c) != "Cf").strip()


@dataclass(frozen=True)
class OptionSpec:
    """One option an engine accepts.

    Args:
        name (`str`): the keyword argument of ``generate`` (or key of ``request.options``).
        type (`type`): ``int``, ``float``, ``bool``, ``str``, ``dict``; ``object`` leaves the check to the engine.
            An ``int`` option accepts a whole float (``24.0`` -> ``24``); a ``float`` one accepts an int.
            Booleans are never taken for numbers.
        default (`Any`): the value used when the option is not given. ``None`` means "the engine (or model)
            decides", and then ``None`` is also an accepted value.
        minimum, maximum (`float`, *optional*): inclusive bounds for numbers.
        choices (`tuple`, *optional*): the only accepted values.
        unit (`str`): the unit of numbers (``"s"``, ``"px"``, ``"frames/s"``, ``"LUFS"``...), for messages and labels.
        help (`str`): one line for people (tooltips, docs).
    """

    name: str
    type: type
    default: Any
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple | None = None
    unit: str = ""
    help: str = ""

    def describe(self) -> str:
        """The accepted values in words, e.g. ``"an integer between 1 and 60 frames/s"``."""
        unit = f" {self.unit}" if self.unit else ""
        if self.choices is not None:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        orn = " (or None for the default)" if self.default is None else ""
        if self.type in (int, float):
            kind = "an integer " if self.type is int else ""
            if self.minimum is not None and self.maximum is not None:
                return f"{kind}between {self.minimum} and {self.maximum}{unit}{orn}"
            if self.minimum is not None:
                return f"{kind or 'a number '}>= {self.minimum}{unit}{orn}"
            if self.maximum is not None:
                return f"{kind or 'a number '}<= {self.maximum}{unit}{orn}"
            return f"{kind or 'a number'}{orn}".strip()
        kind = {bool: "True or False", str: "text", dict: "a dict"}.get(self.type, "a value")
        return kind + orn

    def validate(self, value: Any) -> Any:
        """``value`` converted to :attr:`type` (``24.0`` -> ``24`` for an int), or a ValueError that names
        the option, what it accepts and what it got."""
        if value is None and self.default is None:
            return None
        if self.choices is not None:
            if value not in self.choices:
                self._fail(value)
            return value
        if self.type in (int, float):
            value = self._number(value)
            if (self.minimum is not None and value < self.minimum) or (
                    self.maximum is not None and value > self.maximum):
                self._fail(value)
            return value
        if self.type is object:
            return value
        if self.type is str:
            if not isinstance(value, str):
                self._fail(value)
            return check_text(value, self.name)
        if self.type is bool and not isinstance(value, bool):
            self._fail(value)
        if not isinstance(value, self.type):
            self._fail(value)
        return value

    def _number(self, value: Any) -> int | float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            # numpy scalars are numbers too; anything else (text, None, nan, inf) is refused
            try:
                import numpy as np

                if isinstance(value, np.number) and not isinstance(value, np.bool_) and np.isfinite(value):
                    return self._number(value.item())
            except ImportError:  # pragma: no cover - numpy is a dependency
                pass
            self._fail(value)
        if self.type is int:
            if float(value) != int(value):
                self._fail(value)
            return int(value)
        return float(value)

    def _fail(self, value: Any) -> None:
        got = f"{value!r} (a {type(value).__name__})" if isinstance(value, str) else repr(value)
        raise ValueError(f"{self.name} must be {self.describe()}; got {got}.")


#: Options of every generation request, shared by all engines (an engine may narrow them).
REQUEST_OPTIONS: dict[str, OptionSpec] = {s.name: s for s in (
    OptionSpec("duration", float, 4.0, 0.1, 20.0, unit="s", help="length of the clip"),
    OptionSpec("fps", int, 24, 1, 60, unit="frames/s", help="frames per second"),
    OptionSpec("width", int, 256, 64, 1024, unit="px", help="frame width"),
    OptionSpec("height", int, 256, 64, 1024, unit="px", help="frame height"),
    OptionSpec("seed", int, None, 0, 2**32 - 1,
               help="the same request with the same seed gives the same clip; None picks a random one"),
    OptionSpec("steps", int, None, 1, 1000, unit="steps",
               help="denoising steps, for engines that denoise (None: the model's default)"),
    OptionSpec("guidance", float, None, 0.0, 50.0,
               help="classifier-free guidance scale, for engines that denoise (None: the model's default)"),
    OptionSpec("negative_prompt", str, "", help="what the picture should not show (engines that denoise)"),
    OptionSpec("strength", float, None, 0.0, 1.0,
               help=f"how far a remix moves from its parent: 0 keeps it, 1 ignores it "
                    f"(None: {DEFAULT_REMIX_STRENGTH})"),
)}


def _engine_specs(engine: Any) -> dict[str, OptionSpec]:
    """An engine's own specs: its ``option_specs`` (a mapping or iterable of OptionSpec); a name listed in
    ``engine.options`` without a spec (a third-party engine) is accepted unchecked (``type=object``)."""
    published = getattr(engine, "option_specs", None) or {}
    if not isinstance(published, Mapping):
        published = {s.name: s for s in published}
    specs = dict(published)
    for name in getattr(engine, "options", ()) or ():
        specs.setdefault(name, OptionSpec(name, object, None))
    return specs


def engine_options(engine_name: str) -> dict[str, OptionSpec]:
    """Every option ``generate(..., engine=engine_name)`` accepts, by name.

    Args:
        engine_name (`str`): a registered engine (``"sim"``, ``"ltx2"``...); an unknown one raises ValueError.

    Returns:
        `dict[str, OptionSpec]`: the request options (:data:`REQUEST_OPTIONS`) overlaid with the engine's own.
        Creating the engine object is cheap (no model is loaded, torch is not imported).
    """
    return {**REQUEST_OPTIONS, **_engine_specs(get_engine(engine_name))}


def validate_options(specs: Mapping[str, OptionSpec], values: Mapping[str, Any],
                     *, engine: str = "", request_names: Iterable[str] = ()) -> dict[str, Any]:
    """``values`` checked against ``specs`` and converted; an unknown name raises TypeError listing the known
    engine options (``request_names`` are left out of that list: they are ``generate``'s own parameters)."""
    unknown = set(values) - set(specs)
    if unknown:
        own = sorted(set(specs) - set(request_names))
        raise TypeError(f"engine {engine!r} does not know option(s) {', '.join(sorted(unknown))}; "
                        f"it accepts: {', '.join(own) or 'none'}.")
    return {k: specs[k].validate(v) for k, v in values.items()}
