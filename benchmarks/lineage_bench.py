"""Lineage queries at scale: a synthetic remix forest in DuckDB, and the same queries in networkx.

    python benchmarks/lineage_bench.py                 # 10M clips + a 50,000-deep chain; networkx at 1M
    python benchmarks/lineage_bench.py --clips 1000000 --nx-clips 200000
    python benchmarks/lineage_bench.py --clips 200000 --chain 5000 --skip-nx

The forest is built with numpy (a copy model: a remix picks a random earlier clip
and, 60% of the time, remixes that clip's parent instead, which gives heavy-tailed
cascades with one of more than a million clips at 10M) plus one chain of
``--chain`` remixes of remixes. Clip ids are random hex like the store's. It is
ingested through ``lineage.ingest`` into a fresh DuckDB file migrated like a
store (migrations 001 + 002), and queried through the same ``lineage`` functions
the product uses, on a raw DuckDB connection (no media folder).

Targets (issue 5): ancestors p95 <= 20 ms, descendants of a >= 1M cascade <= 1 s,
whole-forest chain_stats <= 10 s, ingest >= 200,000 edges/s.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sora_widgets import lineage  # noqa: E402
from sora_widgets.store import Store  # noqa: E402

EPOCH_S = 1_780_000_000  # 2026-05-28, seconds since 1970


def build_forest(n: int, chain: int, seed: int = 0, root_share: float = 0.10) -> np.ndarray:
    """Parent index of every clip (-1 for originals); parents come before children.

    Copy model, vectorised: clip i picks a uniform earlier clip j; with probability
    0.4 its parent is j, else j's parent (j itself if j is an original). Resolved by
    pointer jumping, so 10M clips take ~2 s. Then ``chain`` clips, each remixing the
    previous one, hang off clip 0.
    """
    rng = np.random.default_rng(seed)
    is_root = rng.random(n) < root_share
    is_root[0] = True
    j = (rng.random(n) * np.arange(n)).astype(np.int64)
    direct = rng.random(n) < 0.4
    parent = np.where(is_root, -1, np.where(direct, j, -2))
    ptr = j.copy()
    while True:
        todo = np.flatnonzero(parent == -2)
        if not len(todo):
            break
        target = ptr[todo]
        got = parent[target]
        at_root = is_root[target]
        parent[todo[at_root]] = target[at_root]
        resolved = (got >= 0) & ~at_root
        parent[todo[resolved]] = got[resolved]
        wait = (got == -2) & ~at_root
        ptr[todo[wait]] = ptr[target[wait]]
    if chain:
        tail = np.arange(n - 1, n + chain - 1, dtype=np.int64)
        tail[0] = 0
        parent = np.concatenate([parent, tail])
    return parent


def random_ids(n: int, seed: int = 1) -> np.ndarray:
    """``n`` distinct-enough ids like the store's: 'c' + 16 random hex digits."""
    raw = np.frombuffer(np.random.default_rng(seed).bytes(8 * n).hex().encode(), dtype="S16")
    return np.char.add(b"c", raw).astype("U17")


def forest_table(parent: np.ndarray, ids: np.ndarray) -> pa.Table:
    n = len(parent)
    pid = np.where(parent >= 0, ids[np.maximum(parent, 0)], None)
    ts = (EPOCH_S + np.arange(n, dtype=np.int64) * 2) * 1_000_000  # one clip every 2 s, in microseconds
    return pa.table({
        "clip_id": pa.array(ids, pa.string()),
        "parent_id": pa.array(pid, pa.string()),
        "created_at": pa.array(ts, pa.timestamp("us")),
    })


def fresh_db(path: Path) -> duckdb.DuckDBPyConnection:
    for p in (path, Path(str(path) + ".wal")):
        if p.exists():
            p.unlink()
    con = duckdb.connect(str(path))
    for _version, _name, sql in Store.migrations():
        con.execute(sql)
    return con


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def depths_and_roots(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """numpy ground truth (depth and root of every clip), used to pick and check the clips queried.

    Breadth-first by levels: children of the current frontier are found with a
    sorted parent array and searchsorted, so each level is one vectorised step.
    """
    n = len(parent)
    depth = np.zeros(n, np.int64)
    root = np.arange(n)
    order = np.argsort(parent, kind="stable")
    first_child = np.searchsorted(parent[order], 0)
    kids_of, kp = order[first_child:], parent[order][first_child:]
    frontier, level = np.flatnonzero(parent < 0), 0
    while len(frontier):
        lo = np.searchsorted(kp, frontier, side="left")
        counts = np.searchsorted(kp, frontier, side="right") - lo
        total = int(counts.sum())
        if total == 0:
            break
        offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts)
        nxt = kids_of[np.repeat(lo, counts) + offsets]
        level += 1
        depth[nxt] = level
        root[nxt] = root[parent[nxt]]
        frontier = nxt
    return depth, root


def bench_duckdb(args, parent: np.ndarray, ids: np.ndarray, db_path: Path) -> dict:
    n = len(parent)
    edges = int((parent >= 0).sum())
    table = forest_table(parent, ids)
    con = fresh_db(db_path)
    con.execute(f"SET threads = {args.threads}")
    # Autocommit, as a bulk load should run; the figure includes writing it to disk (CHECKPOINT).
    count, t_load = timed(lineage.ingest, con, table)
    _, t_ckpt = timed(con.execute, "CHECKPOINT")
    t_ingest = t_load + t_ckpt
    assert count == n, (count, n)
    del table
    gc.collect()
    print(f"  ingest (lineage.ingest: root, depth, path + indexes): {n:,} clips, {edges:,} edges in {t_ingest:.1f} s"
          f" = {edges / t_ingest:,.0f} edges/s (of which the final checkpoint to disk {t_ckpt:.1f} s)")

    depth, root = depths_and_roots(parent)
    sizes = np.bincount(root, minlength=n)
    big_root = int(np.argmax(sizes))
    rng = np.random.default_rng(7)
    sample = rng.integers(0, n, args.samples)
    out = {"n": n, "edges": edges, "ingest_s": t_ingest, "edges_per_s": edges / t_ingest}

    lat = []
    for i in sample:
        ups, dt_ = timed(lineage.ancestors, con, str(ids[i]))
        assert len(ups) == depth[i], (ids[i], len(ups), depth[i])
        lat.append(dt_)
    lat = np.array(lat) * 1000
    out["anc_p50_ms"], out["anc_p95_ms"] = np.percentile(lat, 50), np.percentile(lat, 95)
    print(f"  ancestors of {args.samples} random clips (depth up to {depth[sample].max()}): "
          f"p50 {out['anc_p50_ms']:.2f} ms, p95 {out['anc_p95_ms']:.2f} ms, max {lat.max():.2f} ms")
    if args.chain:
        tip = n - 1
        ups, t_tip = timed(lineage.ancestors, con, str(ids[tip]))
        assert len(ups) == depth[tip]
        out["chain_tip_ms"] = t_tip * 1000
        print(f"  ancestors of the tip of the {args.chain:,}-deep chain: {len(ups):,} clips in {t_tip * 1000:.0f} ms")

    downs, t_desc = timed(lineage.descendants, con, str(ids[big_root]))
    assert len(downs) == sizes[big_root] - 1
    out["desc_n"], out["desc_s"] = len(downs), t_desc
    print(f"  descendants of the largest cascade's original: {len(downs):,} clips in {t_desc * 1000:.0f} ms")
    # A remix (not an original) with the most direct remixes inside that cascade: the recursive path.
    members = np.flatnonzero((root == big_root) & (depth == 1))
    kids = np.bincount(parent[parent >= 0], minlength=n)
    inner = int(members[np.argmax(kids[members])])
    downs2, t_desc2 = timed(lineage.descendants, con, str(ids[inner]))
    out["desc_inner_n"], out["desc_inner_s"] = len(downs2), t_desc2
    print(f"  descendants of a remix inside it (recursive CTE over the cascade): {len(downs2):,} clips in "
          f"{t_desc2 * 1000:.0f} ms")

    stats, t_stats = timed(lineage.chain_stats, con)
    out["stats_s"] = t_stats
    assert int(stats["size"].sum()) == n
    print(f"  chain_stats over the whole forest: {len(stats):,} cascades in {t_stats:.2f} s "
          f"(largest {int(stats['size'].iloc[0]):,}, deepest {int(stats['depth'].max()):,})")
    top, t_top = timed(lineage.most_remixed, con, 10)
    out["most_remixed_s"] = t_top
    print(f"  most_remixed(10): {t_top * 1000:.0f} ms (top clip has {int(top['remixes'].iloc[0]):,} direct remixes)")
    con.close()
    return out


def bench_networkx(args, db_path: Path) -> None:
    import networkx as nx

    n = args.nx_clips
    parent = build_forest(n, 0, seed=11)
    ids = random_ids(n, seed=12)
    print(f"\nnetworkx {nx.__version__} vs DuckDB {duckdb.__version__} on the same {n:,}-clip forest")
    con = fresh_db(db_path)
    con.execute(f"SET threads = {args.threads}")
    _, t_ing = timed(lambda: (lineage.ingest(con, forest_table(parent, ids)), con.execute("CHECKPOINT")))

    def build():
        g = nx.DiGraph()
        g.add_nodes_from(ids.tolist())
        m = parent >= 0
        g.add_edges_from(zip(ids[parent[m]].tolist(), ids[m].tolist(), strict=True))
        return g

    g, t_build = timed(build)
    depth, root = depths_and_roots(parent)
    sizes = np.bincount(root, minlength=n)
    big = str(ids[int(np.argmax(sizes))])
    sample = [str(ids[i]) for i in np.random.default_rng(3).integers(0, n, args.samples)]

    def nx_ancestors(node):
        out = []
        while True:
            preds = list(g.predecessors(node))
            if not preds:
                return out
            node = preds[0]
            out.append(node)

    def p95(fn):
        lat = []
        for s in sample:
            _, d = timed(fn, s)
            lat.append(d)
        return float(np.percentile(lat, 95))

    def nx_chain_stats():
        rows = []
        for r in (v for v, d in g.in_degree() if d == 0):
            lengths = nx.single_source_shortest_path_length(g, r)
            levels = np.bincount(list(lengths.values()))
            rows.append((r, len(lengths), len(levels) - 1, levels.max()))
        return rows

    rows = [
        ("build / ingest", t_build, t_ing),
        ("ancestors p95", p95(nx_ancestors), p95(lambda s: lineage.ancestors(con, s))),
        ("descendants of the largest cascade", timed(nx.descendants, g, big)[1],
         timed(lineage.descendants, con, big)[1]),
        ("chain_stats (whole forest)", timed(nx_chain_stats)[1], timed(lineage.chain_stats, con)[1]),
    ]
    print(f"  largest cascade {sizes.max():,} clips, deepest {depth.max()}")
    print(f"  {'query':<38}{'networkx':>12}{'DuckDB':>12}{'nx / DuckDB':>14}")
    for name, a, b in rows:
        print(f"  {name:<38}{_fmt(a):>12}{_fmt(b):>12}{a / b:>13.3g}x")
    print("  (networkx keeps the whole graph in Python dicts: a walk up is a few dict lookups, but the graph "
          "must be built in memory first and nothing persists)")
    con.close()


def _fmt(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--clips", type=int, default=10_000_000, help="clips in the forest (before the chain)")
    p.add_argument("--chain", type=int, default=50_000, help="length of the one deep chain")
    p.add_argument("--nx-clips", type=int, default=1_000_000, help="forest size for the networkx comparison")
    p.add_argument("--skip-nx", action="store_true")
    p.add_argument("--samples", type=int, default=200, help="random clips for the ancestors latency")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--db", default=None, help="DuckDB file to (re)create (default: a temporary folder)")
    args = p.parse_args(argv)

    tmp = tempfile.TemporaryDirectory(prefix="lineage-bench-")
    db = Path(args.db) if args.db else Path(tmp.name) / "lineage.duckdb"
    print(f"DuckDB {duckdb.__version__}, {os.cpu_count()} cores, db {db}")
    (parent, t_forest) = timed(build_forest, args.clips, args.chain)
    ids, t_ids = timed(random_ids, len(parent))
    print(f"forest: {len(parent):,} clips built with numpy in {t_forest:.1f} s (+ ids {t_ids:.1f} s)")
    res = bench_duckdb(args, parent, ids, db)
    del parent, ids
    gc.collect()
    print("\ntargets: " + ", ".join([
        f"ancestors p95 {res['anc_p95_ms']:.1f} ms (<= 20) {'ok' if res['anc_p95_ms'] <= 20 else 'MISSED'}",
        f"descendants of {res['desc_n']:,} {res['desc_s']:.2f} s (<= 1, cascade >= 1M) "
        f"{'ok' if res['desc_s'] <= 1 and res['desc_n'] >= 1_000_000 else 'MISSED/n.a.'}",
        f"chain_stats {res['stats_s']:.1f} s (<= 10) {'ok' if res['stats_s'] <= 10 else 'MISSED'}",
        f"ingest {res['edges_per_s']:,.0f} edges/s (>= 200,000) {'ok' if res['edges_per_s'] >= 200_000 else 'MISSED'}",
    ]))
    if not args.skip_nx:
        bench_networkx(args, Path(tmp.name) / "nx.duckdb")
    tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
