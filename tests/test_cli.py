"""The `sora-widgets` command line."""

from __future__ import annotations

import json
import subprocess
import sys


def run_cli(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sora_widgets.cli", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=300)


def test_info_reports_versions_store_and_engines(tmp_path):
    r = run_cli("info", "--json", home=tmp_path)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["store"] == str((tmp_path / "sora.duckdb").absolute())
    assert info["schema_version"] >= 1
    assert info["versions"]["duckdb"] != "not installed"
    names = {e["name"]: e for e in info["engines"]}
    assert "sim" in names
    for e in info["engines"]:
        assert e["available"] or e["why_not"], f"{e['name']} unavailable without a reason"


def test_info_human_readable(tmp_path):
    r = run_cli("info", home=tmp_path)
    assert r.returncode == 0 and "engines:" in r.stdout and "store:" in r.stdout


def test_bad_arguments_give_a_readable_error(tmp_path):
    r = run_cli("generate", "   ", "-o", str(tmp_path / "x.mp4"), home=tmp_path)
    assert r.returncode == 2
    assert "prompt is empty" in r.stderr and "Traceback" not in r.stderr
