"""Issue 13 item 12: bad prompts and bad engine options get a clear ValueError, from one place
(``engines.generation.validate_request`` / ``validate_prompt`` and ``engines.options``)."""

from __future__ import annotations

import math
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sora_widgets as sw
from sora_widgets.engines.base import GenerationRequest
from sora_widgets.engines.generation import validate_prompt, validate_request
from sora_widgets.engines.options import MAX_SPOKEN_LINE_CHARS

BAD_PROMPTS = {
    "only NUL bytes": ("\x00\x00\x00", "control character"),
    "a NUL inside": ("a ball \x00q0\x00 bounces", "control character"),
    "an escape sequence": ("a ball \x1b[31m bounces", "control character"),
    "a lone surrogate": ("a red ball \ud800 bounces", "surrogate"),
    "only zero-width spaces": ("\u200b\u200b\ufeff", "empty"),
    "bytes": (b"a red ball", "text"),
    "None": (None, "text"),
    "a number": (42, "text"),
}


@pytest.mark.parametrize("case", list(BAD_PROMPTS))
def test_bad_prompts_get_a_clear_value_error(case):
    prompt, words = BAD_PROMPTS[case]
    with pytest.raises(ValueError, match=words):
        sw.generate(prompt, duration=0.2, width=64, height=64)


def test_a_lone_surrogate_is_refused_before_moderation(store):
    """It reached the moderation tokenizer and came back as a raw TypeError."""
    from sora_widgets.publishing import generate_checked
    from sora_widgets.social.accounts import sign_up

    sign_up(store, "alice", birthdate="1990-01-01")
    for prompt in ("a ball \udc00", "\x00"):
        with pytest.raises(ValueError) as err:
            generate_checked(store, prompt, user="alice", duration=0.2)
        assert not isinstance(err.value, TypeError)
    assert store.sql("SELECT count(*) AS n FROM moderation_verdicts")["n"][0] == 0


@pytest.mark.parametrize("options, name", [
    ({"fps": math.nan}, "fps"), ({"fps": None}, "fps"), ({"duration": "4s"}, "duration"),
    ({"duration": None}, "duration"), ({"width": "256"}, "width"), ({"seed": "7"}, "seed"),
    ({"loudness_lufs": "-16"}, "loudness_lufs"), ({"gravity": math.nan}, "gravity"),
    ({"steps": 2.5}, "steps"), ({"guidance": math.inf}, "guidance"), ({"height": True}, "height"),
    ({"negative_prompt": "\x00"}, "negative_prompt"), ({"negative_prompt": 5}, "negative_prompt"),
    ({"strength": "0.5"}, "strength"), ({"seed": -1}, "seed"), ({"duration": 1e9}, "duration"),
])
def test_bad_engine_options_name_the_option(options, name):
    with pytest.raises(ValueError, match=name):
        sw.generate("a red ball bounces", **options)


@pytest.mark.parametrize("field, value", [
    ("fps", math.nan), ("fps", None), ("duration", "4s"), ("duration", None), ("width", "256"),
    ("seed", "7"), ("seed", None), ("steps", "30"), ("guidance", math.nan), ("negative_prompt", b"x"),
    ("negative_prompt", "\ud800"), ("prompt", "\x00"), ("strength", math.nan),
])
def test_requests_made_by_hand_are_checked_field_by_field(field, value):
    """An engine called with a hand-made request (no ``generate``) is guarded by ``validate_request``."""
    req = GenerationRequest(prompt="a red ball").replace(**{field: value})
    with pytest.raises(ValueError, match=field if field != "prompt" else "prompt"):
        validate_request(req)


def test_hand_made_numbers_are_converted():
    req = validate_request(GenerationRequest(prompt="a ball", fps=24.0, width=128.0, seed=7.0))
    assert (req.fps, req.width, req.seed) == (24, 128, 7) and isinstance(req.fps, int)


def test_a_spoken_line_over_the_cap_is_refused_quickly_and_says_the_cap():
    """100,000 characters of quoted speech took 18.6 s for a 1 s clip."""
    prompt = 'she says "' + "la " * 33_333 + '"'
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=f"{MAX_SPOKEN_LINE_CHARS} characters"):
        sw.generate(prompt, duration=1.0, width=64, height=64)
    assert time.perf_counter() - t0 < 1.0
    with pytest.raises(ValueError, match=str(MAX_SPOKEN_LINE_CHARS)):
        sw.generate("he shouts “" + "go " * 200 + "”", duration=0.2, width=64, height=64)


def test_a_spoken_line_at_the_cap_is_fine():
    line = ("a" * (MAX_SPOKEN_LINE_CHARS - 1)) + "!"
    assert validate_prompt(f'she says "{line}"').endswith('"')


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(), max_size=60))
def test_any_text_is_a_valid_prompt_or_a_value_error(text):
    """Property: never another exception; what passes is valid UTF-8 without control characters."""
    try:
        out = validate_prompt(text)
    except ValueError as exc:
        assert str(exc)
        return
    out.encode("utf-8")
    assert out.strip() and not any(ord(c) < 32 and c not in "\t\n\r" for c in out)


# ------------------------------------------------------------------ item 11: what visitors are told
def _dashboard_code(name: str) -> str:
    import json

    from sora_widgets.serve import dashboards_dir

    nb = json.loads((dashboards_dir() / name).read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("notebook", ["lineage.ipynb", "my_cameo.ipynb"])
def test_lineage_and_my_cameo_dashboards_say_what_is_wrong(notebook, tmp_home, monkeypatch):
    """Before: a damaged store made these two pages a raw DuckDB traceback."""
    import sqlite3

    with sqlite3.connect(tmp_home / "sora.duckdb") as con:
        con.execute("CREATE TABLE t (x)")
    monkeypatch.setenv("SORA_WIDGETS_USER", "alice")
    ns: dict = {}
    exec(compile(_dashboard_code(notebook), notebook, "exec"), ns)
    page = ns["page"]
    html_text = getattr(page, "value", "")
    assert "sw-dashboard-error" in html_text and "not a sora-widgets database" in html_text, html_text
    assert "SQLite" in html_text and "Traceback" not in html_text and "IO Error" not in html_text


def test_my_cameo_dashboard_still_starts_on_a_good_store(store, monkeypatch):
    from sora_widgets.social.accounts import sign_up

    sign_up(store, "alice", birthdate="1990-01-01")
    monkeypatch.setenv("SORA_WIDGETS_USER", "alice")
    ns: dict = {}
    exec(compile(_dashboard_code("my_cameo.ipynb"), "my_cameo", "exec"), ns)
    assert "sw-dashboard-error" not in str(getattr(ns["page"], "value", "")) and ns["page"].children


def test_a_store_inside_the_served_folder_is_refused(tmp_path):
    """A home inside the served folder exposed every draft's MP4 by its hash (file_allowlist lets .mp4 out)."""
    from sora_widgets.serve import start_voila

    served = tmp_path / "dash"
    served.mkdir()
    (served / "x.ipynb").write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    for home in (served / "data", served):
        with pytest.raises(ValueError, match="inside the folder being served"):
            with start_voila(served, env={"SORA_WIDGETS_HOME": str(home)}, timeout_s=20):
                pass


@pytest.mark.slow
def test_a_malformed_comm_open_gets_no_traceback_from_a_real_kernel():
    """A visitor can send comm_open on the widget control channel; the kernel streamed its traceback back."""
    import uuid

    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        kc.execute_interactive("import sora_widgets.widgets", timeout=120)
        for target, data in [("jupyter.widget.control", {"method": "nonsense"}), ("jupyter.widget.control", {}),
                             ("jupyter.widget", {"state": {"_model_name": "Nope"}}), ("jupyter.widget", {})]:
            kc.shell_channel.send(kc.session.msg(
                "comm_open", {"comm_id": uuid.uuid4().hex, "target_name": target, "data": data}))
        # Then a real request: its reply proves the comm_opens above were handled before it.
        reply = kc.execute_interactive("1 + 1", timeout=60)
        assert reply["content"]["status"] == "ok"
        seen = []
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=1.0)
            except Exception:
                break
            if msg["msg_type"] in ("stream", "error"):
                seen.append(str(msg["content"]))
        assert not [s for s in seen if "Traceback" in s or "site-packages" in s or "Error" in s], seen
        # And the widgets still work in that kernel.
        ok = kc.execute_interactive("import ipywidgets as w; w.Button(description='x').description", timeout=60)
        assert ok["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
