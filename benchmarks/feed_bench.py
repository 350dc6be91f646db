"""Feed benchmark: one page (20 items) for one viewer at 1 M clips, 100 k users, 10 M engagement events.

Builds a synthetic store in a temp folder with DuckDB's ``range()`` and ``random()`` inside SQL (through
the real migrations, so every index the product has is there), then measures:

- ``social.feed.page`` (personalised, popular, following): p50/p95 latency of one page for random
  viewers, end to end (file lock, open, allowance, ranking, session rows, counters, commit, close);
- ranking alone on the store (an open connection: ``candidates.sql``, then ``social.ranking``), at 1/10 of the
  events and at all of them (after ``refresh_stats``): what the store's growth costs the ranking;
- a baseline, named "pandas": load every visible candidate clip with its live-aggregated event counts
  into pandas and rank there (the same score), as a ratio to the feed's ranking, in the same run;
- with ``--before REV``: the same pages through ``social.feed`` as it was at git revision ``REV``
  (module and SQL read with ``git show``, run against this store), interleaved page by page with
  today's, so a busy machine slows both alike: the ratio is the figure to trust;
- with ``--growth SMALL_HOME`` on a reused store: the ranking query alone and the pandas baseline on a
  store of the same clips and users with 1/10 of the events (``SMALL_HOME``) and on this one, alternately
  in one run: what the store's growth costs, and the baseline's ratio at both sizes;
- with ``--make-small SMALL_HOME`` on a reused store: make ``SMALL_HOME`` for ``--growth``: a copy of the store
  keeping its first 1/10 of the events (those the build added first, so the same clips, users and follows),
  the likes they gave, then ``feed.refresh_stats``;
- with ``--ranking --before REV`` on a reused store: the ranking query alone, today's ranked.sql and
  ``REV``'s alternately (what the store's growth costs, where no second store is built);
- with ``--service``: the same pages with the store file opened per operation (direct) and through a
  store service (``--before`` then runs through one too) (``sora-widgets store-serve``: one long-lived DuckDB), in alternating blocks of
  ``--block`` pages in one run (wall and this process's CPU).

Usage::

    nice .venv/bin/python benchmarks/feed_bench.py            # 1 M clips, 100 k users, 10 M events (minutes)
    nice .venv/bin/python benchmarks/feed_bench.py --quick    # 20 k clips, 2 k users, 200 k events (= --scale 0.02)
    nice .venv/bin/python benchmarks/feed_bench.py --home /tmp/feedstore --before c974678   # keep the store
    nice .venv/bin/python benchmarks/feed_bench.py --home /tmp/feedstore --pages-only --service   # direct vs service
    nice .venv/bin/python benchmarks/feed_bench.py --home /tmp/feedstore --pages-only --service --before REV --ranking
        # today vs REV through a service, and the ranking query alone, today's vs REV's ranked.sql
    nice .venv/bin/python benchmarks/feed_bench.py --home /tmp/feedstore --pages-only --make-small /tmp/feedstore_1m
    nice .venv/bin/python benchmarks/feed_bench.py --home /tmp/feedstore --pages-only --growth /tmp/feedstore_1m --pages 20
        # 1 M vs 10 M events (feedstore_1m: a copy keeping 1/10 of the events, then feed.refresh_stats)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sora_widgets.access import viewer_params, visible_clip_sql  # noqa: E402
from sora_widgets.social import _sql, feed  # noqa: E402
from sora_widgets.social.graph import COMPLETE_FRACTION, FRESHNESS_TAU_S  # noqa: E402
from sora_widgets.store import open_store  # noqa: E402
from sora_widgets.store.service import spawn, stop  # noqa: E402


def build(store, *, clips: int, users: int, events: int, seed: float = 0.42) -> None:
    """Fill ``store`` with synthetic users, clips, remixes, follows, blocks, verdicts and ``events`` events."""
    with store.transaction() as con:
        con.execute(f"SELECT setseed({seed})")
        con.execute(f"""
            INSERT INTO users (handle, birthdate, role, birthdate_confirmed, locale)
            SELECT 'u' || i, DATE '1970-01-01' + CAST(floor(random() * 15000) AS INTEGER),
                   'creator', true, ['en', 'fr', 'es', 'de'][1 + (i % 4)]
            FROM range({users}) t(i)""")
        con.execute(f"""
            INSERT INTO auth_accounts (handle, disabled_at, updated_at)
            SELECT 'u' || i, epoch(now()), epoch(now()) FROM range({users}) t(i) WHERE i % 200 = 7""")
        # Clip i is created at a time increasing with i (30 days span); 30 % remix an earlier clip.
        con.execute(f"""
            INSERT INTO clips (clip_id, owner, status, prompt, created_at, parent_id)
            SELECT 'c' || i,
                   'u' || CAST(floor(pow(random(), 2) * {users}) AS BIGINT),
                   CASE WHEN i % 100 = 1 THEN 'removed' WHEN i % 100 = 2 THEN 'held'
                        WHEN i % 100 = 3 THEN 'draft' ELSE 'published' END,
                   'clip number ' || i,
                   now()::TIMESTAMP - INTERVAL 30 DAY + to_microseconds(CAST(i * (30 * 86400e6 / {clips}) AS BIGINT)),
                   CASE WHEN i > 10 AND random() < 0.3
                        THEN 'c' || CAST(floor(i * (1 - pow(random(), 4))) AS BIGINT) END
            FROM range({clips}) t(i)""")
        con.execute("""
            INSERT INTO remix_edges (child_id, parent_id, author, created_at)
            SELECT clip_id, parent_id, owner, created_at FROM clips WHERE parent_id IS NOT NULL""")
        con.execute(f"""
            INSERT INTO follows (follower, followee)
            SELECT DISTINCT 'u' || CAST(floor(random() * {users}) AS BIGINT),
                            'u' || CAST(floor(pow(random(), 2) * {users}) AS BIGINT)
            FROM range({users * 20})""")
        con.execute("DELETE FROM follows WHERE follower = followee")
        con.execute(f"""
            INSERT INTO blocks (blocker, blocked)
            SELECT DISTINCT 'u' || CAST(floor(random() * {users}) AS BIGINT),
                            'u' || CAST(floor(random() * {users}) AS BIGINT)
            FROM range({max(users // 10, 1)})""")
        con.execute(f"""
            INSERT INTO moderation_verdicts (verdict_id, target_kind, target_id, decision)
            SELECT 'v' || i, 'clip', 'c' || i, 'review' FROM range({clips}) t(i) WHERE i % 100 = 5""")
    add_events(store, events, clips=clips, users=users, start=0)


def add_events(store, n: int, *, clips: int, users: int, start: int) -> None:
    """``n`` more feed events (views 70 %, skips 12 %, likes 10 %, see less 3 %, shares 2 %, comments 2.9 %,
    reports 0.1 %), popular clips getting most of them; likes also go to the ``likes`` table."""
    with store.transaction() as con:
        con.execute(f"""
            INSERT INTO feed_events (event_id, handle, clip_id, kind, created_at, watched_fraction, owner)
            SELECT g.*, c.owner FROM (
                SELECT 'e' || i, 'u' || CAST(floor(random() * {users}) AS BIGINT),
                       'c' || CAST(floor((1 - pow(random(), 3)) * {clips}) AS BIGINT) AS clip_id,
                       k, now()::TIMESTAMP - to_microseconds(CAST(random() * 30 * 86400e6 AS BIGINT)),
                       CASE WHEN k = 'view' THEN least(1.0, random() * 1.3) END
                FROM (SELECT i, CASE WHEN r < 0.70 THEN 'view' WHEN r < 0.82 THEN 'skip' WHEN r < 0.92 THEN 'like'
                                     WHEN r < 0.95 THEN 'see_less' WHEN r < 0.97 THEN 'share'
                                     WHEN r < 0.999 THEN 'comment' ELSE 'report' END AS k
                      FROM (SELECT i, random() AS r FROM range({start}, {start + n}) t(i)))) g
            JOIN clips c ON c.clip_id = g.clip_id""")
        con.execute(f"""
            INSERT INTO likes (handle, clip_id, created_at)
            SELECT handle, clip_id, min(created_at) FROM feed_events
            WHERE kind = 'like' AND event_id >= 'e' AND CAST(substr(event_id, 2) AS BIGINT) >= {start}
            GROUP BY 1, 2
            ON CONFLICT DO NOTHING""")


def make_small(store, small_home: str, *, keep: int) -> None:
    """``small_home``: a copy of ``store`` keeping only the first ``keep`` events (``e0`` .. ``e<keep-1>``, the ones
    :func:`build` added first), the likes those events gave (as :func:`add_events` made them), then
    ``feed.refresh_stats`` (clip counters and each viewer's events row)."""
    import shutil

    dest = Path(small_home)
    if (dest / store.DB_NAME).exists():
        raise SystemExit(f"{dest / store.DB_NAME} exists: remove it first")
    dest.mkdir(parents=True, exist_ok=True)
    with store.read():  # the file is consistent (nothing else writes the benchmark's store)
        shutil.copyfile(store.db_path, dest / store.DB_NAME)
    small = open_store(dest)
    t = time.perf_counter()
    with small.transaction() as con:
        con.execute(f"DELETE FROM feed_events WHERE CAST(substr(event_id, 2) AS BIGINT) >= {keep}")
        con.execute("DELETE FROM likes")
        con.execute("""INSERT INTO likes (handle, clip_id, created_at)
                       SELECT handle, clip_id, min(created_at) FROM feed_events WHERE kind = 'like' GROUP BY 1, 2""")
    n = feed.refresh_stats(small)
    print(f"small copy {dest}: {keep:,} events kept, refresh_stats ({n:,} clips) in {time.perf_counter() - t:.1f} s")


def ranking_ms(store, viewer: str, *, personal: bool, reps: int, text: str | None = None) -> list[float]:
    """Ranking alone on the store (an open read connection: candidates.sql, then social.ranking), in ms, ``reps``
    times; ``text``: a version of ranked.sql (which ranked in SQL, before social.ranking) to time instead (e.g.
    read with ``git show``)."""
    params = {**viewer_params(store, viewer), "served": [], "locale": "", "tau_s": FRESHNESS_TAU_S,
              "since": dt.datetime.now() - dt.timedelta(days=feed.CANDIDATE_DAYS),
              "since_new": dt.datetime.now() - dt.timedelta(days=1),
              "personal": personal, "pool": feed.CANDIDATE_POOL, "limit": 200}
    out = []
    with store.read() as con:
        params["now"] = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
        for _ in range(reps):
            t = time.perf_counter()
            if text is None:
                feed._ranked(_sql.run(con, "candidates.sql", params, visible=visible_clip_sql(),
                                      pool=feed._pool_sql(feed.STORE_SOURCES)).fetchall(), params)
            else:
                # before the candidates carried their columns, ranked.sql read its sources from these two tables
                sources = feed.STORE_SOURCES if "{clip_rows}" in text else {"hot_rows": "clip_stats", "new_rows": "clips"}
                _sql.run_text(con, text.format(visible=visible_clip_sql(), **sources), params).fetchall()
            out.append((time.perf_counter() - t) * 1000)
    return out


def pandas_baseline_ms(store, viewer: str) -> float:
    """Baseline: every visible clip with live-aggregated engagement into pandas, ranked there (ms)."""
    t = time.perf_counter()
    with store.read() as con:
        now = con.execute("SELECT epoch(current_timestamp::TIMESTAMP)").fetchone()[0]
        df = con.execute(
            f"""SELECT c.clip_id, c.owner, epoch(c.created_at) AS t FROM clips c WHERE {visible_clip_sql()}""",
            viewer_params(store, viewer)).df()
        ev = con.execute(
            """SELECT clip_id, count(*) FILTER (WHERE kind = 'view') AS views,
                      count(*) FILTER (WHERE kind = 'view' AND watched_fraction >= ?) AS completions,
                      count(*) FILTER (WHERE kind = 'like') AS likes, count(*) FILTER (WHERE kind = 'share') AS shares,
                      count(*) FILTER (WHERE kind = 'comment') AS comments, count(*) FILTER (WHERE kind = 'skip') AS skips,
                      count(*) FILTER (WHERE kind = 'see_less') AS see_less, count(*) FILTER (WHERE kind = 'report') AS reports
               FROM feed_events GROUP BY clip_id""", [COMPLETE_FRACTION]).df()
        rx = con.execute("SELECT parent_id AS clip_id, count(*) AS remixes FROM remix_edges GROUP BY 1").df()
    df = df.merge(ev, on="clip_id", how="left").merge(rx, on="clip_id", how="left").fillna(0)
    pos = df.likes + 2 * df.remixes + 0.5 * df.completions + 0.5 * df.comments + df.shares + 1
    neg = 2 * df.see_less + df.skips + 5 * df.reports
    base = np.maximum(0.01, 0.05 + (pos - neg) / (df.views + 10))
    df["score"] = base * np.exp(-(now - df.t) / FRESHNESS_TAU_S)
    df.nlargest(200, "score")
    return (time.perf_counter() - t) * 1000


def page_ms(store, viewers: list[str], mode: str) -> list[float]:
    """End-to-end ``feed.page`` latency (ms) for each viewer."""
    out = []
    for v in viewers:
        t = time.perf_counter()
        p = feed.page(store, v, mode=mode, size=20)
        out.append((time.perf_counter() - t) * 1000)
        assert len(p.items) <= 20
    return out


def load_before(rev: str):
    """``sora_widgets.social.feed`` as it was at git revision ``rev``, reading its SQL from ``rev`` too."""
    root = Path(__file__).resolve().parents[1]

    @functools.cache  # read once: a git process per query would sit inside the old pages' wall time
    def show(path: str) -> str:
        return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, check=True, capture_output=True,
                              text=True).stdout

    def module(name: str):
        spec = importlib.util.spec_from_loader(f"sora_widgets.social._{name}_before", loader=None)
        mod = importlib.util.module_from_spec(spec)
        mod.__package__ = "sora_widgets.social"
        sys.modules[spec.name] = mod  # dataclasses look their module up there
        exec(compile(show(f"sora_widgets/social/{name}.py"), f"{rev}:{name}.py", "exec"), mod.__dict__)  # noqa: S102
        return mod

    # Its own warm copy too (the copy's tables are what its ranked.sql reads), kept apart from today's.
    snapshot = module("feed_snapshot")
    mod = module("feed")
    mod.feed_snapshot = snapshot

    class _OldSql:  # the old module's _sql, with the SQL files of ``rev``
        @staticmethod
        def run(con, name, params=None, **fill):
            text = show(f"sora_widgets/social/sql/{name}")
            return _sql.run_text(con, text.format(**fill) if fill else text, params)

    mod._sql = _OldSql
    return mod


def side_by_side(store, viewers: list[str], mode: str, before) -> dict[str, list[float]]:
    """Each viewer's first page and the next one, today's ``feed`` and ``before`` alternately: wall-clock ms
    (``new_first``, ``new_next``, ``old_first``, ``old_next``) and this process's CPU ms over all threads
    (the same keys + ``_cpu``: what a busy machine inflates far less)."""
    out: dict[str, list[float]] = {}
    for v in viewers:
        for impl, key in ((feed, "new"), (before, "old")):
            first_and_next(impl, store, v, mode, key, out)
    return out


def first_and_next(impl, store, viewer: str, mode: str, key: str, out: dict[str, list[float]]) -> None:
    """Time ``viewer``'s first page and the next one through ``impl.page``: wall ms under ``<key>_first`` /
    ``<key>_next`` and this process's CPU ms under the same + ``_cpu``, appended to ``out``."""
    cursor = None
    for which in ("first", "next"):
        t, c = time.perf_counter(), time.process_time()
        p = impl.page(store, viewer, mode=mode, size=20, cursor=cursor)
        out.setdefault(f"{key}_{which}", []).append((time.perf_counter() - t) * 1000)
        out.setdefault(f"{key}_{which}_cpu", []).append((time.process_time() - c) * 1000)
        cursor = p.next_cursor
        if cursor is None:
            break


def direct_vs_service(store, viewers: list[str], mode: str, block: int) -> dict[str, list[float]]:
    """Each viewer's first and next page, with the store opened directly and through a store service, in
    alternating blocks of ``block`` viewers (a service is started for each service block): wall ms
    (``direct_first``, ``direct_next``, ``service_first``, ``service_next``) and CPU ms (``..._cpu``)."""
    out: dict[str, list[float]] = {}
    for start in range(0, len(viewers), block):
        for backend in ("direct", "service"):
            proc = spawn(store.home) if backend == "service" else None
            try:
                feed.page(store, viewers[start], mode=mode, size=20)  # connect / warm, not timed
                served_cpu = _proc_cpu_ms(proc.pid) if proc else 0.0
                for v in viewers[start:start + block]:
                    first_and_next(feed, store, v, mode, backend, out)
                if proc is not None:  # the service process's CPU for the block (clock ticks: summed, not per page)
                    out.setdefault("service_process_cpu", []).append(_proc_cpu_ms(proc.pid) - served_cpu)
            finally:
                if proc is not None:
                    stop(proc)
    return out


def following_deep(store, viewers: list[str], pages: int) -> None:
    """Each viewer's following session, pages 3..``pages`` (past the copy's week for most viewers), through a store
    service, with this process's archive (``feed_snapshot.Archive``, taken first) and with the store alone past the
    copy's window (``archive`` answering None), alternately viewer by viewer: wall ms per page, p50/p95; and what the
    archive holds and costs to take."""
    from unittest import mock

    from sora_widgets.social import feed_snapshot

    proc = spawn(store.home)
    try:
        feed.page(store, viewers[0], mode="following")  # the copy
        snap = feed_snapshot.current(store, window_days=feed.CANDIDATE_DAYS + 1)
        t, rss = time.perf_counter(), _rss_mb()
        arch = feed_snapshot.take_archive(store, snap.taken_at - dt.timedelta(days=snap.window_days))
        took, grew = time.perf_counter() - t, _rss_mb() - rss
        feed_snapshot.forget(store)
        feed_snapshot.take_archive(store, arch.bound)  # a copy taken after it reaches back to it
        feed.page(store, viewers[0], mode="following")
        out: dict[str, list[float]] = {"archive": [], "store": []}
        for v in viewers:
            for how in ("archive", "store"):
                patch = (mock.patch.object(feed_snapshot, "archive", lambda store, snap: None) if how == "store"
                         else contextlib.nullcontext())
                with patch:
                    cursor = feed.page(store, v, mode="following").next_cursor
                    for number in range(2, pages + 1):
                        if cursor is None:
                            break
                        t = time.perf_counter()
                        cursor = feed.page(store, v, mode="following", cursor=cursor).next_cursor
                        if number >= 3:  # from page 3 on most viewers are past the copy's week
                            out[how].append((time.perf_counter() - t) * 1000)
    finally:
        stop(proc)
    print(f"\nfollowing, pages 3..{pages} through a store service, archive vs store alone, alternating "
          f"({len(out['archive'])} pages each), load {' '.join(open('/proc/loadavg').read().split()[:3])}:")
    a, b = out["archive"], out["store"]
    if a and b:
        print(f"  archive p50 {pct(a, 50):6.1f} / p95 {pct(a, 95):6.1f} ms   store p50 {pct(b, 50):6.1f} / p95 "
              f"{pct(b, 95):6.1f} ms   p95 ratio x{pct(b, 95) / pct(a, 95):.1f}")
    print(f"  archive: {arch.rows.num_rows:,} clips, read and indexed in {took:.2f} s; this process's resident memory "
          f"grew {grew:.0f} MB")


def _rss_mb() -> float:
    """This process's resident memory, MB (from /proc)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def _proc_cpu_ms(pid: int) -> float:
    """User + system CPU of process ``pid`` so far, ms (from /proc, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="20 k clips, 2 k users, 200 k events")
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the full size (--quick: 0.02)")
    ap.add_argument("--pages", type=int, default=60, help="pages timed per mode")
    ap.add_argument("--home", help="keep the store in this folder and reuse it on the next run (same --scale)")
    ap.add_argument("--before", metavar="REV", help="also time social.feed as of this git revision, side by side")
    ap.add_argument("--pages-only", action="store_true", help="skip the ranking-growth and pandas figures")
    ap.add_argument("--service", action="store_true", help="also: pages direct vs through a store service")
    ap.add_argument("--block", type=int, default=10, help="--service: viewers per alternating block")
    ap.add_argument("--skip-direct", action="store_true",
                    help="--service: skip the direct-vs-service blocks (only --before runs through a service)")
    ap.add_argument("--following-deep", type=int, metavar="N", default=0,
                    help="through a store service: each viewer's following pages 3..N with the process's archive and "
                         "with the store alone past the copy's window, alternately")
    ap.add_argument("--growth", metavar="SMALL_HOME",
                    help="on a reused store: the ranking query and the pandas baseline on SMALL_HOME (a store of the "
                         "same clips and users with fewer events) and on --home, alternately in one run")
    ap.add_argument("--make-small", metavar="SMALL_HOME",
                    help="on a reused store: make SMALL_HOME for --growth (a copy keeping 1/10 of the events)")
    ap.add_argument("--ranking", action="store_true",
                    help="on a reused store: the ranking query alone, today's and --before's ranked.sql alternately")
    args = ap.parse_args()
    scale = 0.02 if args.quick else args.scale
    clips, users, events = int(1_000_000 * scale), int(100_000 * scale), int(10_000_000 * scale)
    rng = np.random.default_rng(7)
    with contextlib.ExitStack() as stack:
        home = args.home or stack.enter_context(tempfile.TemporaryDirectory(prefix="feed_bench_"))
        marker = Path(home) / "feed_bench.json"
        size = {"clips": clips, "users": users, "events": events}
        reuse = marker.exists() and json.loads(marker.read_text()) == size
        store = open_store(home)
        viewers = [f"u{int(i)}" for i in rng.integers(0, users, args.pages)]
        viewers = [v for v in viewers if int(v[1:]) % 200 != 7]  # disabled accounts cannot read a feed
        if reuse:
            print(f"store: reusing {home} ({clips:,} clips, {users:,} users, {events:,} events)")
        else:
            t = time.perf_counter()
            build(store, clips=clips, users=users, events=events // 10)
            feed.refresh_stats(store)
            print(f"store: {clips:,} clips, {users:,} users, {events // 10:,} events built in "
                  f"{time.perf_counter() - t:.1f} s")
            small = ranking_ms(store, viewers[0], personal=True, reps=15)
            small_base = [pandas_baseline_ms(store, viewers[0]) for _ in range(3)]
            t = time.perf_counter()
            add_events(store, events - events // 10, clips=clips, users=users, start=events // 10)
            n = feed.refresh_stats(store)
            print(f"+{events - events // 10:,} events and refresh_stats ({n:,} clips) in "
                  f"{time.perf_counter() - t:.1f} s")
            marker.write_text(json.dumps(size))
        if not reuse and not args.pages_only:
            report_ranking(store, viewers, events, small, small_base)
        if args.make_small:
            if not reuse:
                raise SystemExit("--make-small needs a built store (--home of an earlier run)")
            make_small(store, args.make_small, keep=events // 10)
        if args.growth:
            compare_growth(open_store(args.growth), store, viewers)
        if args.ranking and args.before:
            compare_ranking(store, viewers, args.before)
        if args.service and not args.skip_direct:
            print(f"\ndirect vs store service, one run (first + next page per viewer, alternating blocks of "
                  f"{args.block}), load {' '.join(open('/proc/loadavg').read().split()[:3])}:")
            for mode in feed.MODES:
                r = direct_vs_service(store, viewers, mode, args.block)
                for which in ("first", "next"):
                    d, sv = r.get(f"direct_{which}"), r.get(f"service_{which}")
                    if not d or not sv:
                        continue
                    print(f"  {mode:<13} {which:<5} direct p50 {pct(d, 50):6.1f} / p95 {pct(d, 95):6.1f} ms   "
                          f"service p50 {pct(sv, 50):6.1f} / p95 {pct(sv, 95):6.1f} ms   "
                          f"p95 ratio x{pct(d, 95) / pct(sv, 95):.1f}   CPU p50 "
                          f"{pct(r[f'direct_{which}_cpu'], 50):.0f} vs {pct(r[f'service_{which}_cpu'], 50):.0f} ms")
                n_service = len(r.get("service_first", [])) + len(r.get("service_next", []))
                both = sum(r.get("service_first_cpu", []) + r.get("service_next_cpu", []))
                direct = r.get("direct_first_cpu", []) + r.get("direct_next_cpu", [])
                if n_service and direct:
                    print(f"  {mode:<13} CPU per page, mean, both processes: direct {sum(direct) / len(direct):.0f} ms, "
                          f"service {(both + sum(r['service_process_cpu'])) / n_service:.0f} ms (client "
                          f"{both / n_service:.0f} + service process {sum(r['service_process_cpu']) / n_service:.0f})")
        if args.following_deep:
            following_deep(store, viewers, args.following_deep)
        print(f"\nfeed.page(size=20) end to end, {len(viewers)} viewers each, {events:,} events:")
        for mode in feed.MODES:
            page_ms(store, viewers[:3], mode)  # warm the OS cache
            ms = page_ms(store, viewers, mode)
            print(f"  {mode:<13} p50 {pct(ms, 50):6.1f} ms   p95 {pct(ms, 95):6.1f} ms   max {max(ms):6.1f} ms")
        if args.before:
            before = load_before(args.before)
            via = "through a store service" if args.service else "store opened directly"
            print(f"\nside by side, one run (first + next page per viewer, alternating, {via}): today vs "
                  f"{args.before}, load {' '.join(open('/proc/loadavg').read().split()[:3])}")
            proc = spawn(store.home) if args.service else None
            try:
                results = {mode: side_by_side(store, viewers, mode, before) for mode in feed.MODES}
            finally:
                if proc is not None:
                    stop(proc)
            for mode in feed.MODES:
                r = results[mode]
                for which in ("first", "next"):
                    new, old = r[f"new_{which}"], r[f"old_{which}"]
                    print(f"  {mode:<13} {which:<5} today p50 {pct(new, 50):6.1f} / p95 {pct(new, 95):6.1f} ms   "
                          f"{args.before} p50 {pct(old, 50):6.1f} / p95 {pct(old, 95):6.1f} ms   "
                          f"p95 ratio x{pct(old, 95) / pct(new, 95):.1f}   CPU p50 "
                          f"{pct(r[f'new_{which}_cpu'], 50):.0f} vs {pct(r[f'old_{which}_cpu'], 50):.0f} ms")


def compare_ranking(store, viewers: list[str], rev: str) -> None:
    """The personalised ranking query alone, today's ranked.sql and ``rev``'s, alternately on each viewer."""
    root = Path(__file__).resolve().parents[1]
    old = subprocess.run(["git", "show", f"{rev}:sora_widgets/social/sql/ranked.sql"], cwd=root, check=True,
                         capture_output=True, text=True).stdout
    new_ms, old_ms = [], []
    for v in viewers:
        new_ms += ranking_ms(store, v, personal=True, reps=2)[1:]  # the second run: the first warms the cache
        old_ms += ranking_ms(store, v, personal=True, reps=2, text=old)[1:]
    print(f"\nranking query alone (personalised, one open connection, {len(viewers)} viewers alternating), load "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}:")
    print(f"  today median {statistics.median(new_ms):7.1f} ms   {rev} median {statistics.median(old_ms):7.1f} ms   "
          f"ratio x{statistics.median(old_ms) / statistics.median(new_ms):.1f}")


def compare_growth(small, big, viewers: list[str], *, baseline_reps: int = 2) -> None:
    """The personalised ranking query alone and the pandas baseline on two stores of the same clips and users
    with fewer (``small``) and more (``big``) events, alternately in one run (a busy machine slows both alike)."""
    stores = (("small", small), ("big", big))
    events = {}
    for k, s_ in stores:
        with s_.read() as con:
            events[k] = con.execute("SELECT count(*) FROM feed_events").fetchone()[0]
    rank: dict[str, list[float]] = {"small": [], "big": []}
    base: dict[str, list[float]] = {"small": [], "big": []}
    for v in viewers:
        for k, s_ in stores:
            rank[k] += ranking_ms(s_, v, personal=True, reps=2)[1:]  # the second run: the first warms the cache
    for _ in range(baseline_reps):
        for k, s_ in stores:
            base[k].append(pandas_baseline_ms(s_, viewers[0]))
    print(f"\nranking growth, one run ({len(viewers)} viewers, stores alternating), load "
          f"{' '.join(open('/proc/loadavg').read().split()[:3])}:")
    for k, _ in stores:
        r, b = statistics.median(rank[k]), statistics.median(base[k])
        print(f"  {events[k]:>12,} events: ranking p50 {r:7.1f} / p95 {pct(rank[k], 95):7.1f} ms   pandas baseline "
              f"median {b:8.1f} ms  (baseline / ranking x{b / r:.0f})")
    print(f"  growth x{events['big'] / events['small']:.0f} events: ranking p50 "
          f"x{statistics.median(rank['big']) / statistics.median(rank['small']):.2f}, "
          f"baseline x{statistics.median(base['big']) / statistics.median(base['small']):.2f}")


def report_ranking(store, viewers: list[str], events: int, small: list[float], small_base: list[float]) -> None:
    """The ranking query at 1/10 and all of the events, and the pandas baseline, as ratios."""
    big = ranking_ms(store, viewers[0], personal=True, reps=15)
    big_base = [pandas_baseline_ms(store, viewers[0]) for _ in range(3)]
    print("\nranking query alone (personalised, one open connection), median of 15:")
    print(f"  {events // 10:>12,} events: {statistics.median(small):7.1f} ms   pandas baseline "
          f"{statistics.median(small_base):8.1f} ms  ({statistics.median(small_base) / statistics.median(small):.0f}x)")
    print(f"  {events:>12,} events: {statistics.median(big):7.1f} ms   pandas baseline "
          f"{statistics.median(big_base):8.1f} ms  ({statistics.median(big_base) / statistics.median(big):.0f}x)")
    print(f"  growth 1x -> 10x events: ranking x{statistics.median(big) / statistics.median(small):.2f}, "
          f"baseline x{statistics.median(big_base) / statistics.median(small_base):.2f}")


if __name__ == "__main__":
    main()
