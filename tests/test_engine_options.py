"""Engines publish their options (types, ranges, defaults, units); generate() checks every argument against them;
engines register through entry points, so a third-party engine plugs in without editing this package."""

from __future__ import annotations

import ast
import inspect
import math
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sora_widgets
from sora_widgets.engines import DEFAULT_REMIX_STRENGTH, OptionSpec, engine_options, generate
from sora_widgets.engines.diffusers import ENGINE_NAMES
from sora_widgets.engines.options import REQUEST_OPTIONS

SMALL = {"duration": 0.5, "fps": 8, "width": 64, "height": 64}
PACKAGE = Path(sora_widgets.__file__).parent


def test_every_engine_publishes_typed_options_with_the_request_options():
    for name in ("sim", *ENGINE_NAMES):
        specs = engine_options(name)
        assert set(REQUEST_OPTIONS) <= set(specs), name
        for key, spec in specs.items():
            assert isinstance(spec, OptionSpec) and spec.name == key and isinstance(spec.type, type)
            assert spec.help, f"{name}.{key} has no help line"
            if spec.minimum is not None and spec.maximum is not None:
                assert spec.minimum <= spec.maximum
            if spec.default is not None:  # the default itself is accepted
                assert spec.validate(spec.default) == spec.default
    sim = engine_options("sim")
    assert (sim["duration"].minimum, sim["duration"].maximum, sim["duration"].unit) == (0.1, 20.0, "s")
    assert (sim["gravity"].type, sim["gravity"].unit) == (float, "m/s²")
    assert (sim["loudness_lufs"].minimum, sim["loudness_lufs"].maximum, sim["loudness_lufs"].default) == (-40, -6, -16)
    assert {"model", "device", "two_stage"} <= set(engine_options("ltx2"))
    assert {"audio_model", "audio_steps"} <= set(engine_options("wan+audio"))
    with pytest.raises(ValueError, match="unknown engine 'nope'"):
        engine_options("nope")


@pytest.mark.parametrize(("kwargs", "pattern"), [
    ({"fps": math.nan}, r"fps must be an integer between 1 and 60 frames/s; got nan"),
    ({"fps": 24.5}, r"fps must be an integer between 1 and 60"),
    ({"duration": "4s"}, r"duration must be between 0.1 and 20.0 s; got '4s' \(a str\)"),
    ({"duration": None}, r"duration must be between 0.1 and 20.0 s; got None"),
    ({"duration": math.inf}, r"duration must be between 0.1 and 20.0 s; got inf"),
    ({"width": "256"}, r"width must be an integer between 64 and 1024 px; got '256'"),
    ({"height": True}, r"height must be an integer between 64 and 1024 px; got True"),
    ({"seed": -1}, r"seed must be an integer between 0 and 4294967295 \(or None for the default\); got -1"),
    ({"strength": 1.5}, r"strength must be between 0.0 and 1.0"),
    ({"gravity": math.nan}, r"gravity must be between 0.0 and 30.0 m/s² \(or None for the default\); got nan"),
    ({"loudness_lufs": "loud"}, r"loudness_lufs must be between -40.0 and -6.0 LUFS; got 'loud'"),
    ({"speed_wpm": 1000}, r"speed_wpm must be between 80 and 450 words/min"),
    ({"preview_every": 0.5}, r"preview_every must be an integer >= 1 frames"),
    ({"base_scene": "a ball"}, r"base_scene must be a dict"),
    ({"negative_prompt": 3}, r"negative_prompt must be text; got 3"),
])
def test_bad_values_raise_a_readable_value_error(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        generate("a ball", **{**SMALL, **kwargs})


def test_unknown_option_is_a_type_error_listing_the_engines_own():
    with pytest.raises(TypeError, match=r"does not know option\(s\) gravty; it accepts: base_scene, gravity"):
        generate("a ball", gravty=1.0, **SMALL)


def test_accepted_values_are_converted_and_recorded():
    clip = generate("a ball", seed=np.int64(4), duration=1, fps=8.0, width=np.int32(64), height=64.0,
                    loudness_lufs=-20)
    recipe = clip.meta["recipe"]
    assert (recipe["seed"], recipe["fps"], recipe["width"], recipe["height"]) == (4, 8, 64, 64)
    assert type(recipe["fps"]) is int and recipe["options"] == {"loudness_lufs": -20.0}
    assert clip.frames.shape == (8, 64, 64, 3)


def test_gravity_option_changes_the_physics():
    prompt = "a red ball falls onto a wooden floor"
    earth = generate(prompt, seed=1, **{**SMALL, "duration": 1.5})
    moon = generate(prompt, seed=1, gravity=1.62, **{**SMALL, "duration": 1.5})
    assert earth.meta["scene"]["gravity"] == pytest.approx(9.81) and moon.meta["scene"]["gravity"] == 1.62
    assert earth.frames.tobytes() != moon.frames.tobytes()
    # the setting's own gravity stays when the option is not given
    assert generate("a ball on the moon", seed=1, **SMALL).meta["scene"]["gravity"] == pytest.approx(1.62)


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**12, 10**12),
                       st.text(max_size=5), st.booleans(), st.none()),
       spec=st.sampled_from([s for name in ("sim", "ltx2", "wan+audio")
                             for s in engine_options(name).values() if s.type in (int, float)]))
def test_a_number_is_accepted_only_inside_its_range(value, spec):
    """Whatever the value, validate() returns a finite number of the spec's type inside its bounds (or None
    where None means "the default"), or raises a ValueError that names the option."""
    try:
        out = spec.validate(value)
    except ValueError as exc:
        assert str(exc).startswith(f"{spec.name} must be ")
        return
    if out is None:
        assert value is None and spec.default is None
        return
    assert type(out) is spec.type and math.isfinite(out) and not isinstance(value, (bool, str))
    assert spec.minimum is None or out >= spec.minimum
    assert spec.maximum is None or out <= spec.maximum
    assert out == value


def test_generate_documents_every_parameter_with_its_default():
    doc = inspect.getdoc(generate)
    for name, param in inspect.signature(generate).parameters.items():
        label = "**options" if param.kind is param.VAR_KEYWORD else name
        assert re.search(rf"^    {re.escape(label)}( \(`|:)", doc, re.M), f"generate() does not document {label}"
        if param.default is not param.empty:
            shown = re.escape(repr(param.default).replace("'", '"'))
            assert re.search(rf"^    {name} \(`[^`]+`, \*optional\*, defaults to `{shown}`\)", doc, re.M), \
                f"generate() does not give the default of {name}"


def _assignments(name: str) -> list[str]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                    found.append(str(path.relative_to(PACKAGE)))
    return found


def test_remix_strength_default_has_one_definition_used_by_remix_and_engines():
    assert _assignments("DEFAULT_REMIX_STRENGTH") == ["engines/options.py"]
    assert 0.0 < DEFAULT_REMIX_STRENGTH < 1.0
    for user in ("remix.py", "engines/diffusers/ltx2.py", "engines/diffusers/silent.py"):
        assert "DEFAULT_REMIX_STRENGTH" in (PACKAGE / user).read_text(), user
    assert not re.search(r"strength\W+(=|if strength is None else)\s*0\.\d", (PACKAGE / "remix.py").read_text())


def test_engines_come_from_entry_points():
    from importlib.metadata import entry_points

    names = {ep.name for ep in entry_points(group="sora_widgets.engines")}
    assert {"sim", *ENGINE_NAMES} <= names
    assert not (PACKAGE / "engines" / "_builtin.py").exists() and not (PACKAGE / "engines" / "diffusers_av.py").exists()


TOY_ENGINE = '''
import numpy as np
from sora_widgets.engines.options import OptionSpec
from sora_widgets.media import Clip


class ToyEngine:
    name = "toy"
    version = "0.1"
    description = "a grey card that brightens (third-party test engine)"
    uses_steps = False
    option_specs = {"brightness": OptionSpec("brightness", float, 0.5, 0.0, 1.0, help="grey level")}
    options = frozenset(option_specs)

    def availability(self):
        return True, ""

    def generate(self, request, *, on_progress=None, cancel=None):
        level = int(255 * request.options.get("brightness", 0.5))
        frames = np.full((request.num_frames, request.height, request.width, 3), level, np.uint8)
        return Clip(frames, np.zeros((1, 800), np.float32), request.fps, 16000, {})


def make():
    return ToyEngine()
'''


def test_a_third_party_engine_plugs_in_through_an_entry_point(tmp_path):
    """A distribution found on sys.path (as pip would leave it) registers 'toy' without touching our files."""
    (tmp_path / "toy_engine.py").write_text(TOY_ENGINE)
    dist = tmp_path / "toy_engine-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-engine\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[sora_widgets.engines]\ntoy = toy_engine:make\n")
    code = textwrap.dedent("""
        import sys
        sys.path.insert(0, sys.argv[1])
        import sora_widgets as sw
        from sora_widgets.engines import engine_options
        infos = {i.name: i for i in sw.available(["toy"])}
        assert infos["toy"].available and "grey card" in infos["toy"].description, infos
        assert engine_options("toy")["brightness"].maximum == 1.0
        clip = sw.generate("anything", engine="toy", brightness=1.0, duration=0.5, fps=4, width=64, height=64)
        assert clip.frames.shape == (2, 64, 64, 3) and int(clip.frames.max()) == 255
        assert clip.meta["engine"] == "toy" and clip.meta["recipe"]["options"] == {"brightness": 1.0}
        try:
            sw.generate("anything", engine="toy", brightness=2.0)
        except ValueError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "brightness must be between 0.0 and 1.0; got 2.0."
