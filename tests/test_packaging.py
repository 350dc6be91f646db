"""pyproject.toml and environment.yml stay in step; the README shows the two commands."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _pyproject_deps() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {_name(d): d.replace(" ", "") for d in deps}


def _environment_deps() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    out = {}
    for item in env["dependencies"]:
        if isinstance(item, dict):
            for spec in item.get("pip", []):
                if not spec.startswith("-e"):
                    out[_name(spec)] = spec.replace(" ", "")
        elif _name(item) not in ("python", "pip"):
            out[_name(item)] = item.replace(" ", "")
    return out


def test_environment_yml_matches_pyproject():
    py, env = _pyproject_deps(), _environment_deps()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not pyproject.toml"
    assert {k: py[k] for k in py} == {k: env[k] for k in py}, "version bounds differ"


def test_every_dependency_has_a_lower_bound_and_pins_say_why():
    text = (ROOT / "pyproject.toml").read_text()
    for spec in tomllib.loads(text)["project"]["dependencies"]:
        assert ">=" in spec or "==" in spec, f"{spec}: give a lower bound"
        if "==" in spec or "<" in spec.replace("<=", "<"):
            line = next(ln for ln in text.splitlines() if spec in ln)
            assert "#" in line, f"{spec}: a pin needs a comment saying why"


def test_readme_starts_with_the_two_commands():
    head = "\n".join((ROOT / "README.md").read_text().splitlines()[:25])
    assert "make studio" in head and "make test" in head
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
