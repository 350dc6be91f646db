"""Seconds to take down the original of one large remix cascade (moderation.takedown.take_down).

    python benchmarks/takedown_bench.py --clips 2000 100000

Each size builds a fresh home with one random recursive tree of lightweight clip
records (80% of edges reuse material), then times one take-down by a reviewer:
the clip removed, its material descendants hidden, the others marked, every change
audited, in one transaction.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import pandas as pd

from sora_widgets.moderation.takedown import take_down
from sora_widgets.social.accounts import sign_up
from sora_widgets.store import open_store


def one(n: int, seed: int = 0) -> tuple[float, int, int]:
    """(seconds, hidden, kept) for a cascade of ``n`` clips."""
    rng = np.random.default_rng(seed)
    parents = [None] + [int(rng.integers(0, i)) for i in range(1, n)]
    store = open_store(tempfile.mkdtemp(prefix="takedown_bench"))
    sign_up(store, "ana", birthdate="1990-05-01")
    sign_up(store, "rev", birthdate="1990-05-01", role="reviewer")
    df = pd.DataFrame({"clip_id": [f"c{i}" for i in range(n)],
                       "parent_id": [None if p is None else f"c{p}" for p in parents],
                       "reuse": rng.random(n) > 0.2})
    df["parent_id"] = df["parent_id"].astype(object).where(df["parent_id"].notna(), None)
    with store.transaction() as con:
        con.register("_df", df)
        con.execute("INSERT INTO clips (clip_id, owner, status, parent_id) "
                    "SELECT clip_id, 'ana', 'published', parent_id FROM _df")
        con.execute("INSERT INTO remix_edges (child_id, parent_id, author, reuses_material) "
                    "SELECT clip_id, parent_id, 'ana', reuse FROM _df WHERE parent_id IS NOT NULL")
        con.unregister("_df")
    t0 = time.perf_counter()
    out = take_down(store, "c0", by="rev", reason="benchmark")
    return time.perf_counter() - t0, len(out["hidden"]), len(out["kept"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, nargs="+", default=[2000, 100_000])
    for n in ap.parse_args().clips:
        s, hidden, kept = one(n)
        print(f"take_down of a {n:,}-clip cascade: {s:.2f} s ({hidden:,} hidden, {kept:,} kept)")


if __name__ == "__main__":
    main()
