"""Text checks: prompt (or transcript) -> :class:`Verdict`.

Pipeline per text: :func:`normalise` (undo obfuscation) -> MiniLM sentence
embedding + lexicon hits per category -> a multinomial logistic regression
trained on ``data/prompts_labelled.csv`` (weights in ``data/text_classifier.npz``,
written by ``python -m sora_widgets.moderation.train``) -> a probability per
category, floored by the few unambiguous phrases in :mod:`.lexicon` -> the
policy's thresholds -> decision, reasons and spans.

Inference is plain numpy over the stored weights: scikit-learn is only needed to train.
"""

from __future__ import annotations

import functools
import zlib
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..text_encoder import embed
from .lexicon import STRONG_FLOOR, Hit, find_hits, hit_vector
from .normalise import normalise
from .policy import Policy, load_policy
from .verdict import CATEGORIES, Verdict

__all__ = ["check_prompt", "check_prompts", "features", "MODEL_PATH", "SPEECH_MODEL_PATH", "TextModel", "load_model"]

MODEL_PATH = Path(__file__).with_name("data") / "text_classifier.npz"
#: The same classifier trained also on spoken lines (what people say in videos is not what they type
#: as prompts), for soundtrack transcripts only (:mod:`.audio`); written by ``train --speech``.
SPEECH_MODEL_PATH = Path(__file__).with_name("data") / "speech_classifier.npz"
MAX_PROMPT_CHARS = 4000
LEXICON_WEIGHT = 0.5  # scale of the lexicon features beside the unit-length embedding
NGRAM_BUCKETS = 1 << 13  # hashed character 3-5-grams: the spelling the embedding smooths over
NGRAM_SIZES = (3, 4, 5)


def char_ngram_counts(norm_texts: list[str]) -> sp.csr_matrix:
    """(n, NGRAM_BUCKETS) sublinear counts of character 3-5-grams of each word (padded with spaces).

    Hashed with CRC-32, which (unlike Python's ``hash``) is the same in every process.
    """
    rows, cols, vals = [], [], []
    for r, text in enumerate(norm_texts):
        counts: dict[int, int] = {}
        for word in text.split():
            w = f" {word} "
            for n in NGRAM_SIZES:
                for i in range(max(1, len(w) - n + 1)):
                    b = zlib.crc32(w[i : i + n].encode()) & (NGRAM_BUCKETS - 1)
                    counts[b] = counts.get(b, 0) + 1
        rows += [r] * len(counts)
        cols += list(counts)
        vals += [1.0 + np.log(v) for v in counts.values()]
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(norm_texts), NGRAM_BUCKETS), dtype=np.float32)


def tfidf(counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """Counts weighted by ``idf`` and scaled to unit length per row."""
    x = counts.multiply(idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1))).ravel()
    norms[norms == 0] = 1.0
    return sp.diags(1.0 / norms) @ x


class TextModel:
    """The trained classifier: ``probabilities(X)`` -> (n, len(classes)) softmax scores."""

    def __init__(self, weights: np.ndarray, bias: np.ndarray, classes: list[str], idf: np.ndarray):
        self.weights = np.asarray(weights, dtype=np.float32)
        self.bias = np.asarray(bias, dtype=np.float32)
        self.classes = list(classes)
        self.idf = np.asarray(idf, dtype=np.float32)

    def probabilities(self, x) -> np.ndarray:
        logits = np.asarray(x @ self.weights.T) + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        return e / e.sum(axis=1, keepdims=True)

    def save(self, path: Path = MODEL_PATH) -> None:
        np.savez_compressed(path, weights=self.weights, bias=self.bias, classes=np.array(self.classes), idf=self.idf)


@functools.lru_cache(maxsize=2)
def load_model(path: str | None = None) -> TextModel:
    p = Path(path) if path else MODEL_PATH
    if not p.exists():
        raise FileNotFoundError(f"no text classifier at {p}; run `python -m sora_widgets.moderation.train` to build it")
    with np.load(p, allow_pickle=False) as z:
        return TextModel(z["weights"], z["bias"], [str(c) for c in z["classes"]], z["idf"])


def raw_features(texts: list[str]) -> tuple[np.ndarray, sp.csr_matrix, list[list[Hit]]]:
    """Dense (n, 384 + 8) embedding + lexicon features, n-gram counts, and each text's lexicon hits."""
    norms = [normalise(t) for t in texts]
    hits = [find_hits(n) for n in norms]
    emb = embed([n.text for n in norms])
    lex = np.array([hit_vector(h) for h in hits], dtype=np.float32).reshape(len(texts), len(CATEGORIES))
    return np.hstack([emb, LEXICON_WEIGHT * lex]), char_ngram_counts([n.text for n in norms]), hits


def assemble(dense: np.ndarray, counts: sp.csr_matrix, idf: np.ndarray) -> sp.csr_matrix:
    """The classifier's input: [embedding, lexicon hits, tf-idf n-grams]."""
    return sp.hstack([sp.csr_matrix(dense), tfidf(counts, idf)]).tocsr()


def features(texts: list[str], model: TextModel | None = None) -> tuple[sp.csr_matrix, list[list[Hit]]]:
    """The classifier's input for ``texts`` and each text's lexicon hits (offsets into the text as given)."""
    model = model or load_model()
    dense, counts, hits = raw_features(texts)
    return assemble(dense, counts, model.idf), hits


def _verdict(text: str, probs: dict[str, float], hits: list[Hit], policy: Policy, source: str) -> Verdict:
    scores = {}
    for c in CATEGORIES:
        strong = any(h.category == c and h.strong for h in hits)
        scores[c] = max(float(probs.get(c, 0.0)), STRONG_FLOOR if strong else 0.0)
    any_harm = 1.0 - float(probs.get("benign", 1.0))
    if any_harm >= policy.any_harm_review:
        # Harmful overall, but the mass is split between categories: hold it under the likeliest one.
        top = max(CATEGORIES, key=lambda c: scores[c])
        scores[top] = max(scores[top], policy.review[top])
    decision, flagged = policy.decide(scores)
    reasons, spans = [], []
    for c in flagged:
        mine = [h for h in hits if h.category == c]
        if mine:
            words = list(dict.fromkeys(h.text for h in mine))
            spans += [{"category": c, "start": h.start, "end": h.end, "text": h.text, "source": source} for h in mine]
            reasons.append(policy.reason(c, scores[c], ", ".join(f"'{w}'" for w in words[:4])))
        else:
            # The classifier read the whole sentence; no single word is to blame.
            spans.append({"category": c, "start": 0, "end": len(text), "text": text, "source": source})
            reasons.append(policy.reason(c, scores[c], f"the {source} as a whole"))
    return Verdict(decision, scores, reasons, spans, {"source": source}, flagged)


def _clean(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"check_prompt needs text; got {type(text).__name__}")
    if len(text) > MAX_PROMPT_CHARS:
        raise ValueError(f"the text is {len(text)} characters; keep it under {MAX_PROMPT_CHARS}")
    return text


def check_prompts(texts: list[str], *, policy: Policy | None = None, source: str = "prompt",
                  model: TextModel | None = None) -> list[Verdict]:
    """Check many texts in one batch (embedding in batches is ~10x faster than one at a time).

    Args:
        texts: the texts (each at most ``MAX_PROMPT_CHARS`` characters).
        policy: thresholds (default: the shipped policy).
        source: what the texts are ("prompt", "transcript"), named in spans and evidence.
        model: the classifier (default: the prompt classifier at :data:`MODEL_PATH`).
    """
    texts = [_clean(t) for t in texts]
    if not texts:
        return []
    policy = policy or load_policy()
    model = model or load_model()
    x, hits = features(texts, model)
    probs = model.probabilities(x)
    out = []
    for i, t in enumerate(texts):
        if not t.strip():
            out.append(Verdict("allow", {c: 0.0 for c in CATEGORIES}, evidence={"source": source}))
            continue
        p = {cls: float(probs[i, j]) for j, cls in enumerate(model.classes)}
        out.append(_verdict(t, p, hits[i], policy, source))
    return out


def check_prompt(text: str, *, policy: Policy | None = None, source: str = "prompt") -> Verdict:
    """Check one prompt: decision allow/review/block, scores per category, reasons and spans."""
    return check_prompts([text], policy=policy, source=source)[0]
