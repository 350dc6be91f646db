"""The `sora-widgets` command line."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


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


# ------------------------------------------------------------------ users (issue 12)
def run_users(home, *args: str, password: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sora_widgets.cli", "--home", str(home), "users", *args],
                          input=(password + "\n") if password is not None else None,
                          capture_output=True, text=True, timeout=300)


def test_users_create_list_set_role_disable_and_reset_password(tmp_path):
    from sora_widgets.auth import LoginFailed, verify_login
    from sora_widgets.store import open_store

    r = run_users(tmp_path, "create", "boss", "--role", "admin", "--birthdate", "1980-01-01",
                  "--display-name", "The Boss", "--password-stdin", password="boss password 1")
    assert r.returncode == 0 and "created @boss (admin, adult account)" in r.stdout, r.stderr
    r = run_users(tmp_path, "create", "bob", "--birthdate", "1990-01-01", "--password-stdin", password="bob password 1")
    assert "created @bob (creator" in r.stdout
    r = run_users(tmp_path, "create", "kid", "--birthdate", "2020-01-01", "--password-stdin", password="kid password 1")
    assert r.returncode == 2 and "13 and older" in r.stderr and "Traceback" not in r.stderr
    assert run_users(tmp_path, "set-role", "bob", "reviewer").stdout.strip() == "@bob: creator -> reviewer"
    r = run_users(tmp_path, "set-role", "boss", "creator")
    assert r.returncode == 2 and "last admin" in r.stderr
    assert "(0 open session(s) ended)" in run_users(tmp_path, "disable", "bob", "--reason", "test").stdout
    listing = json.loads(run_users(tmp_path, "list", "--json").stdout)
    assert [(u["handle"], u["role"], u["disabled"]) for u in listing] == [("boss", "admin", False), ("bob", "reviewer", True)]
    assert "boss password" not in run_users(tmp_path, "list").stdout
    store = open_store(tmp_path)
    with pytest.raises(LoginFailed):
        verify_login(store, "bob", "bob password 1", client="cli-test")
    assert run_users(tmp_path, "enable", "bob").returncode == 0
    assert run_users(tmp_path, "reset-password", "bob", "--password-stdin", password="new bob password").returncode == 0
    assert verify_login(store, "bob", "new bob password", client="cli-test") == "bob"
    actions = store.sql("SELECT actor, action, target_id FROM audit_log WHERE action LIKE 'auth.%' AND actor = "
                        "'local-owner' ORDER BY seq")
    assert ("local-owner", "auth.role_set", "bob") in set(actions.itertuples(index=False, name=None))
    assert ("local-owner", "auth.disable", "bob") in set(actions.itertuples(index=False, name=None))


def test_studio_on_a_fresh_home_says_how_to_make_the_admin_and_prints_the_url(tmp_path):
    """`make studio`'s command on an empty home: Voila with logins starts, the first-run hint and the URL appear."""
    import socket
    import time

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "sora_widgets.cli", "--home", str(tmp_path), "studio",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "open http" in line:
                break
    finally:
        proc.terminate()
        proc.wait(30)
    out = "".join(lines)
    assert "no accounts yet" in out and "users create YOUR_HANDLE --role admin" in out, out
    assert f"open http://127.0.0.1:{port}/voila/render/studio.ipynb" in out, out
    # SIGTERM to the CLI stops its Voila server too (it used to keep running, with its kernels)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the Voila server outlived `sora-widgets studio`"
    assert (tmp_path / "auth" / "cookie_secret").stat().st_mode & 0o777 == 0o600
