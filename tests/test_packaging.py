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


def test_the_wheel_carries_the_dashboards(tmp_path):
    """`pip install sora-widgets` outside a checkout still has the dashboards `sora-widgets studio` serves."""
    import subprocess
    import sys
    import zipfile

    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("sora_widgets-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if "/data/share/sora-widgets/dashboards/" in n}
    assert shipped == {p.name for p in (ROOT / "dashboards").glob("*.ipynb")}
    assert any(n.endswith("moderation/data/text_classifier.npz") for n in names)  # package data too


def test_installed_dashboards_are_found_without_a_checkout(tmp_path, monkeypatch):
    import sys

    from sora_widgets import serve

    monkeypatch.setattr(serve, "__file__", str(tmp_path / "site" / "sora_widgets" / "serve.py"))
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    monkeypatch.setattr(serve.sysconfig, "get_path", lambda name: str(tmp_path / "prefix"))
    try:
        serve.dashboards_dir()
        raise AssertionError("no dashboards anywhere must be an error")
    except FileNotFoundError as exc:
        assert "reinstall" in str(exc)
    installed = tmp_path / "prefix" / "share" / "sora-widgets" / "dashboards"
    installed.mkdir(parents=True)
    (installed / "studio.ipynb").write_text("{}")
    assert serve.dashboards_dir() == installed


def test_make_lab_and_make_studio_share_one_store():
    """Lab kernels start in notebooks/; without an absolute home, ./data there would be another store."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "SORA_WIDGETS_HOME"}
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    lab_line = next(line for line in out.splitlines() if "jupyter lab" in line)
    assert f'SORA_WIDGETS_HOME:-{ROOT}/data' in lab_line, lab_line
