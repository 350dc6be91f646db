"""A big remix cascade written in bulk, for tests and benchmarks of the lineage page (never the product).

:func:`add_cascade` adds ``n`` clips under one original (preferential attachment, a fixed seed,
64 distinct thumbnails) through one DuckDB transaction; :func:`busy_clip` picks a clip in a crowded
part of that tree. Used by ``tests/test_lineage_explore_browser.py`` and ``benchmarks/lineage_page_bench.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["add_cascade", "busy_clip"]


def add_cascade(home: Path, n: int, seed: int = 11) -> str:
    """Add one remix cascade of ``n`` clips (preferential attachment, fixed ``seed``); returns its original's id."""
    from sora_widgets import lineage
    from sora_widgets.demo import CREATORS
    from sora_widgets.media import encode_png
    from sora_widgets.store import open_store, to_json

    store = open_store(home)
    if len(store.sql("SELECT 1 FROM clips WHERE clip_id = ?", [f"bench{seed}x{0:06d}"])):
        return f"bench{seed}x{0:06d}"  # a reused --home has it already
    rng = np.random.default_rng(seed)
    parents = [-1]
    weight = np.ones(n)
    for i in range(1, n):
        p = int(rng.choice(i, p=weight[:i] / weight[:i].sum())) if i < 2000 or i % 4 else int(rng.integers(i))
        parents.append(p)
        weight[p] += 1.0
    ids = [f"bench{seed}x{i:06d}" for i in range(n)]
    thumbs = []
    for k in range(64):  # 64 distinct pictures, so the browser decodes real images
        img = np.zeros((90, 160, 3), np.uint8)
        img[:] = rng.integers(40, 220, 3)
        img[30:60, 20 + k:60 + k] = 255 - img[0, 0]
        thumbs.append(encode_png(img))
    digests = [store.put_media_file_only(png, ".png") for png in thumbs]
    t0 = dt.datetime(2026, 11, 1, 9, 0, 0)
    df = pd.DataFrame({
        "clip_id": ids,
        "parent_id": [ids[p] if p >= 0 else None for p in parents],
        "owner": [CREATORS[int(k)] for k in rng.integers(0, len(CREATORS), n)],
        "prompt": ["a red ball bounces in a big cascade"] + ["make it blue"] * (n - 1),
        "created_at": [t0 + dt.timedelta(seconds=30 * i) for i in range(n)],
        "thumb_hash": [digests[i % len(digests)] for i in range(n)],
    })
    df["parent_id"] = df["parent_id"].astype(object).where(df["parent_id"].notna(), None)
    df["edit_json"] = [to_json({"prompt": "make it blue", "changes": {}, "engine": "sim"})] * n
    with store.transaction() as con:
        con.register("_thumbs", pd.DataFrame({"hash": digests, "bytes": [len(t) for t in thumbs]}))
        con.register("_cascade", df)
        try:
            con.execute("""INSERT INTO media (hash, path, bytes, mime)
                           SELECT hash, 'media/' || hash[1:2] || '/' || hash || '.png', bytes, 'image/png' FROM _thumbs
                           ON CONFLICT (hash) DO NOTHING""")
            con.execute("""INSERT INTO clips (clip_id, owner, status, prompt, engine, recipe, meta, duration_s, fps,
                                              width, height, parent_id, thumb_hash, created_at, updated_at)
                           SELECT clip_id, owner, 'published', prompt, 'sim', '{}'::JSON, '{}'::JSON, 2.0, 12, 128, 128,
                                  parent_id, thumb_hash, created_at, created_at FROM _cascade""")
            con.execute("""INSERT INTO remix_edges (child_id, parent_id, author, operation, edit, reuses_material,
                                                    created_at)
                           SELECT clip_id, parent_id, owner, 'remix', edit_json::JSON, true, created_at
                           FROM _cascade WHERE parent_id IS NOT NULL""")
        finally:
            con.unregister("_cascade")
            con.unregister("_thumbs")
    lineage.sync(store)
    return ids[0]


def busy_clip(home: Path, root: str) -> str:
    """A clip in a crowded part of ``root``'s tree: the first child of the depth-1 clip with the most remixes."""
    from sora_widgets import lineage
    from sora_widgets.store import open_store

    df = lineage.tree(open_store(home), root, max_nodes=1_000_000)
    kids = df.dropna(subset=["parent_id"]).groupby("parent_id")["clip_id"].agg(["count", "first"])
    first_gen = set(df.loc[df["depth"] == 1, "clip_id"])
    kids = kids[kids.index.isin(first_gen)].sort_values("count", ascending=False)
    return str(kids["first"].iloc[0])
