"""The feed's warm read side: a per-process, in-memory copy of what ranking scans, kept fresh off the
read path.

Why. The store is one DuckDB file that every kernel opens for each operation (``store.Store``: other
processes must be able to write between two of ours, so nobody holds it open). A connection opened for
one page starts cold: ranking scans the candidate window of ``clips``, ``clip_stats`` and
``remix_edges`` (a week of a million-clip store) from disk each time, which is most of a page's cost.
A long-lived read-only connection to the file would block every other process's writes, so instead
each process keeps one long-lived *in-memory* DuckDB connection holding a copy of that window (threads
take their own cursor on it), and ``social.feed`` ranks there.

What it holds: for the ``window_days`` before it was taken, the ``clips`` rows (id, owner, parent,
creation time, status; see :data:`CLIP_COLUMNS`), the same rows with their ``clip_stats.hot`` (``clip_rows``,
the candidate rows ``ranked.sql`` reads), the ``remix_edges`` and every user's ``locale`` — the global inputs of
``ranked.sql`` and ``following.sql``, under the same table names, so the same SQL runs on it. Nothing here decides who may see what: every
clip the feed picks from it is checked on the store itself with ``access.visible_clip_sql`` in the
page's own read, and the viewer's own facts (events, follows) and clips created since the snapshot
are read live too. Only ranking signals (``hot``, remix velocity) may lag, by at most
:data:`REFRESH_S` plus the time one refresh takes.

Freshness: the first page of a process takes the snapshot (synchronously, through the page's open
connection); afterwards a page that finds it older than :data:`REFRESH_S` starts one background
thread that takes a new one and swaps it in; the page itself never waits for it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._threads import start_background
from ..store import Store
from ..store.store import DUCKDB_CONFIG

__all__ = ["ARCHIVE_REFRESH_S", "CLIP_COLUMNS", "MAX_STORES", "REFRESH_S", "TOP_ROWS", "Archive", "KeyIndex",
           "Snapshot", "archive", "current", "forget", "micro", "micros", "passing"]

log = logging.getLogger(__name__)

#: Seconds after which a page asks for a fresh snapshot (taken in the background).
REFRESH_S = 30.0
#: Seconds after which the following tab's :class:`Archive` is taken again (in the background); a copy reaches
#: back to the archive, so it holds at most this much more than its window.
ARCHIVE_REFRESH_S = 3600.0
#: Stores one process keeps a copy of at most (a server has one; a test session makes many): the least
#: recently taken is dropped first.
MAX_STORES = 4
#: The ``clips`` columns the feed ranks with, in the table's shape (the snapshot's ``clips`` table and the
#: live rows of clips created since are both this). The prompt and media hashes are left empty: only the
#: page's few clips need them, and ``social.feed`` reads those with its visibility check; without them a
#: million-clip store's copy is a few times smaller in each process.
CLIP_COLUMNS = ("clip_id, owner, NULL::VARCHAR AS prompt, parent_id, NULL::VARCHAR AS media_hash, "
                "NULL::VARCHAR AS thumb_hash, created_at, status")
#: Rows of the two short candidate lists a snapshot keeps besides its tables: ``hot_rows`` (the hottest
#: ``clip_rows``, those with a hot score) and ``new_rows`` (the newest ``clip_rows``), with every column
#: ranking reads. The ranked feed's "hottest" and "newest" sources read these few thousand rows instead of
#: a week of the million-clip store (a top-N over ~250 k rows per page), whenever they hold enough rows
#: for the session (:meth:`Snapshot.top_lists_suffice`); a session that used them up reads the full tables.
TOP_ROWS = 5000


class KeyIndex:
    """The rows of a column's each value, for lookups by key without a scan: on a million-clip store a
    DuckDB semi-join over the copy's week of ``clip_rows`` (~250 k rows) costs ~10 ms a page, while the
    few hundred rows of the people one follows are a dictionary look-up and an Arrow ``take`` away.

    Args:
        column: the column (Arrow, strings; nulls are not indexed).
    """

    def __init__(self, column: pa.ChunkedArray | pa.Array):
        encoded = pc.dictionary_encode(column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column)
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        self._code = {k: i for i, k in enumerate(encoded.dictionary.to_pylist())}
        self._order = np.argsort(codes, kind="stable")  # row numbers grouped by value, in row order within one
        self._start = np.searchsorted(codes[self._order], np.arange(len(self._code) + 1))

    def rows(self, keys) -> np.ndarray:
        """The row numbers (ascending) whose value is one of ``keys`` (unknown keys give nothing)."""
        parts = [self._order[self._start[c]:self._start[c + 1]] for c in {self._code.get(k) for k in keys}
                 if c is not None]
        return np.sort(np.concatenate(parts)) if parts else np.empty(0, np.int64)


@dataclass(frozen=True)
class Snapshot:
    """One copy: ``con`` (an in-memory DuckDB; take a ``con.cursor()`` per use), ``taken_at`` (the
    store's clock when read), ``since`` (the oldest creation time it holds, exclusive), ``taken_mono``
    (``time.monotonic()`` when read, for its age), ``store_key`` (the store's database file) and ``window_days``
    (the days it was asked to hold before ``taken_at``; ``since`` is earlier when it reached back to an :class:`Archive`).

    For the page's key lookups (``social.feed._warm_pool``) it also holds, as Arrow tables in the shape of
    ``clip_rows``: ``rows`` (``clip_rows`` in creation order), ``hot_rows`` and ``new_rows`` (the short head
    lists: hot first, and newest first); ``created_us`` (``rows``' creation times, microseconds
    since the epoch; ``hot_us``/``new_us`` the same for the head lists) and the indexes ``by_owner`` and
    ``by_parent`` of ``rows``; ``edges`` (the copy's ``remix_edges``: ``child_id``, ``parent_id``,
    ``created_us``) and their index ``edges_by_parent``.
    """

    con: duckdb.DuckDBPyConnection
    taken_at: dt.datetime
    since: dt.datetime
    taken_mono: float
    store_key: str
    rows: pa.Table | None = None
    hot_rows: pa.Table | None = None
    new_rows: pa.Table | None = None
    created_us: np.ndarray | None = None
    by_owner: KeyIndex | None = None
    by_parent: KeyIndex | None = None
    edges: pa.Table | None = None
    edges_by_parent: KeyIndex | None = None
    hot_us: np.ndarray | None = None
    new_us: np.ndarray | None = None
    window_days: int = 0
    _locales: dict = field(default_factory=dict, compare=False, repr=False)

    def handles_of(self, locale: str) -> frozenset[str]:
        """The handles of the copy's users of ``locale`` (read once per copy and locale)."""
        got = self._locales.get(locale)
        if got is None:
            cur = self.con.cursor()
            try:
                got = frozenset(r[0] for r in cur.execute("SELECT handle FROM users WHERE locale = ?", [locale]).fetchall())
            finally:
                cur.close()
            self._locales[locale] = got
        return got

    def covers(self, since: dt.datetime) -> bool:
        """Does it hold every clip created after ``since`` (up to ``taken_at``)?"""
        return since >= self.since

    def top_lists_suffice(self, *, since: dt.datetime, since_new: dt.datetime, now: dt.datetime,
                          excluded: set[str], pool: int) -> bool:
        """May the "hottest" and "newest" sources read the short head lists (``hot_rows``/``new_rows``) instead of
        the full tables and give exactly the same candidates?

        Each list is the head of its full table in the source's own order (hot, newest first), so the
        rows of the head that pass the source's filter are the head of the rows of the full table that
        pass it. The first ``pool`` passing rows are therefore the same whenever the head holds at least
        ``pool`` of them, or the head is the whole table. The newest list also suffices when its oldest row is
        already at or before the source's lower bound: every row after the head is older still, so none of them
        passes (a store where nothing was made in the last day has no newest candidate to miss).

        Args:
            since, since_new: the lower bounds (exclusive) of the hottest and the newest sources.
            now: the session's time (inclusive upper bound of both).
            excluded: the clip ids the session leaves out (served, and for the personalised feed seen).
            pool: the candidates each source gives (``social.feed.CANDIDATE_POOL``).
        """
        left_out = pa.array(sorted(excluded), pa.string())

        def enough(table: pa.Table, created: np.ndarray, lo: dt.datetime, *, by_time: bool) -> bool:
            return (table.num_rows < TOP_ROWS  # the list is the whole table
                    or (by_time and created[-1] <= micro(lo))  # newest first: the rest is older than the window
                    or len(passing(table, created, lo=micro(lo), now=micro(now), excluded=left_out)) >= pool)

        return (enough(self.hot_rows, self.hot_us, since, by_time=False)
                and enough(self.new_rows, self.new_us, since_new, by_time=True))


def passing(table: pa.Table, created_us: np.ndarray, *, lo: int, now: int, excluded: pa.Array) -> np.ndarray:
    """The row numbers, in order, of ``table``'s rows created in ``(lo, now]`` (microseconds, :func:`micro`) whose
    ``clip_id`` is not in ``excluded``: a candidate source's filter over a head list.

    Args:
        table: a table with a ``clip_id`` column.
        created_us: its rows' creation times (:func:`micros`).
        lo, now: the bounds, exclusive and inclusive.
        excluded: the clip ids left out (Arrow strings).
    """
    ok = (created_us > lo) & (created_us <= now)
    if len(excluded):
        ok &= ~pc.is_in(table.column("clip_id"), value_set=excluded).to_numpy(zero_copy_only=False)
    return np.flatnonzero(ok)


_lock = threading.Lock()
_snapshots: dict[tuple[str, int], Snapshot] = {}
_refreshing: set[tuple] = set()  # snapshot keys, and ("archive", store) for archives


def current(store: Store, *, window_days: int) -> Snapshot:
    """The process's snapshot of ``store`` (taken now if there is none; refreshed in the background when
    older than :data:`REFRESH_S`).

    Args:
        store: the store; the first call reads it through the caller's open connection if any
            (``store.read()`` nests), so call it inside the page's read.
        window_days: days of clips before the snapshot time it holds.
    """
    key = (str(store.db_path), int(window_days))
    snap = _snapshots.get(key)
    if snap is None:
        snap = _take(store, window_days)
        _keep(_snapshots, key, snap)
        return snap
    if time.monotonic() - snap.taken_mono > REFRESH_S:
        _start_once(key, "feed-snapshot", lambda: _keep(_snapshots, key, _take(store, window_days)))
    return snap


def forget(store: Store) -> None:
    """Drop this process's snapshots of ``store`` (the next page takes a new one): after a bulk load,
    or in tests that rewrite the store under a running process."""
    with _lock:
        for key in [k for k in _snapshots if k[0] == str(store.db_path)]:
            del _snapshots[key]
        _archives.pop(str(store.db_path), None)


def _start_once(key: tuple, name: str, work) -> None:
    """Run ``work()`` on a background thread called ``name``, unless one for ``key`` is still running. A failure is
    logged and keeps what was there (the old snapshot, or no archive: the store serves those pages); the next page
    that finds it stale tries again."""
    with _lock:
        if key in _refreshing:
            return
        _refreshing.add(key)

    def run() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - see the docstring
            log.warning("%s failed for %s", name, key, exc_info=True)
        finally:
            with _lock:
                _refreshing.discard(key)

    start_background(run, name=name)


def _keep(into: dict, key, value) -> None:
    """Make ``value`` the newest of ``into`` (snapshots or archives), dropping the least recently taken past
    :data:`MAX_STORES`."""
    with _lock:
        into.pop(key, None)
        into[key] = value  # dicts keep insertion order: the first key is the least recently taken
        while len(into) > MAX_STORES:
            del into[next(iter(into))]


def _take(store: Store, window_days: int) -> Snapshot:
    """Read the window from the store into a new in-memory database (one read, a few statements)."""
    with store.read() as con:
        taken_at = con.execute("SELECT current_timestamp::TIMESTAMP").fetchall()[0][0]
        src = con.cursor()  # Arrow results come from relations (``sql``), which need a cursor without a pending result
        since = taken_at - dt.timedelta(days=window_days)
        arch = _archives.get(str(store.db_path))
        # Reach back to the archive, so the two meet (see Archive); not further than two of its refreshes (an archive
        # that failed to refresh for long would make each copy grow).
        if arch is not None and since - dt.timedelta(seconds=2 * ARCHIVE_REFRESH_S) <= arch.bound < since:
            since = arch.bound
        w = {"since": since, "taken": taken_at}
        clips = src.sql(f"SELECT {CLIP_COLUMNS} FROM clips WHERE created_at > $since AND created_at <= $taken",
                        params=w).to_arrow_table()
        w = {"since": since}
        stats = src.sql("SELECT clip_id, created_at, hot FROM clip_stats WHERE created_at > $since",
                        params=w).to_arrow_table()
        edges = src.sql("SELECT child_id, parent_id, created_at FROM remix_edges WHERE created_at > $since",
                        params=w).to_arrow_table()
        users = src.sql("SELECT handle, locale FROM users").to_arrow_table()
        src.close()
    mono = time.monotonic()
    con = duckdb.connect(":memory:", config=dict(DUCKDB_CONFIG))
    for name, table in (("clips", clips), ("_stats", stats), ("remix_edges", edges), ("users", users)):
        con.register("_src", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _src")
        con.unregister("_src")
    # candidate_pool.sql's candidate rows: each clip with its hot score (the join its store path makes per page,
    # made once here), in creation order.
    con.execute("CREATE TABLE clip_rows AS SELECT c.*, s.hot FROM clips c LEFT JOIN _stats s ON s.clip_id = c.clip_id "
                "ORDER BY c.created_at")
    con.execute("DROP TABLE _stats")
    # One thread per query: a page's queries read a few thousand rows, and on a shared machine a second thread
    # mostly waits for a core (personalised ranking on the copy at load 15: CPU p50 38 vs 40-51 ms, wall p95
    # 320-440 vs 560-740 ms with two).
    con.execute("SET threads = 1")
    # The short candidate lists (see TOP_ROWS), in their source's order.
    hot_rows = con.sql(f"SELECT * FROM clip_rows WHERE hot IS NOT NULL ORDER BY hot DESC, clip_id LIMIT {TOP_ROWS}"
                       ).to_arrow_table()
    new_rows = con.sql(f"SELECT * FROM clip_rows ORDER BY created_at DESC, clip_id DESC LIMIT {TOP_ROWS}").to_arrow_table()
    # One chunk each: a ``take`` over DuckDB's many small batches costs ~1 ms a call, over one chunk microseconds.
    hot_rows, new_rows = hot_rows.combine_chunks(), new_rows.combine_chunks()
    # clip_rows was made in creation order and a scan keeps insertion order (DuckDB's preserve_insertion_order):
    # no second sort of the week.
    rows = con.sql("SELECT * FROM clip_rows").to_arrow_table().combine_chunks()
    edges = edges.combine_chunks().select(["child_id", "parent_id"]).append_column("created_us", pa.array(micros(edges.column("created_at"))))
    return Snapshot(con, taken_at, since, mono, str(store.db_path), rows=rows, hot_rows=hot_rows,
                    new_rows=new_rows, created_us=micros(rows.column("created_at")),
                    by_owner=KeyIndex(rows.column("owner")), by_parent=KeyIndex(rows.column("parent_id")),
                    edges=edges, edges_by_parent=KeyIndex(edges.column("parent_id")),
                    hot_us=micros(hot_rows.column("created_at")), new_us=micros(new_rows.column("created_at")),
                    window_days=window_days)


@dataclass(frozen=True)
class Archive:
    """Every clip created at or before ``bound``, by owner: the following tab's pages past a copy's window.

    The following tab is every followed author's clips, newest first, over all time. A copy holds a week; a
    viewer whose followed authors made fewer clips than a page in that week used to get the page from the
    store, whose ``owner IN (...)`` scan of a million clips cost 40-60 ms (DuckDB reads no index for it). A
    clip's owner and creation time never change (its status does, and every clip a page shows is checked on
    the store), so these rows stay true: the archive is read once (and again after :data:`ARCHIVE_REFRESH_S`),
    off the read path, and a page looks its authors up by key. A copy taken while an archive exists reaches
    back to the archive's bound (at most twice :data:`ARCHIVE_REFRESH_S` more than its window), so the two meet.

    ``rows`` holds ``clip_id``, ``owner``, ``parent_id`` and ``created_at`` (Arrow), ``created_us`` their creation
    times (:func:`micros`), ``by_owner`` the index; ``taken_mono`` is ``time.monotonic()`` when read. About 50-60 MB
    of resident memory per process at a million clips, only in processes that paged past a window.
    """

    bound: dt.datetime
    rows: pa.Table
    created_us: np.ndarray
    by_owner: KeyIndex
    taken_mono: float

    def clips_of(self, owners, *, upto: dt.datetime, shape: pa.Schema) -> pa.Table:
        """The clips of ``owners`` created at or before ``upto`` (and ``bound``), in the table shape ``shape``
        (a copy's ``clip_rows``: the columns the archive does not keep are null)."""
        found = self.by_owner.rows(owners)
        found = found[self.created_us[found] <= micro(upto)]
        picked = self.rows.take(pa.array(found, pa.int64()))
        return pa.table({f.name: picked.column(f.name) if f.name in picked.column_names else pa.nulls(len(found), f.type)
                         for f in shape}, schema=shape)


_archives: dict[str, Archive] = {}


def archive(store: Store, snap: Snapshot) -> Archive | None:
    """This process's :class:`Archive` of ``store``, or None while none is ready: the first call (and one after
    :data:`ARCHIVE_REFRESH_S`) starts a background thread that reads it, bounded where ``snap``'s window starts
    (``window_days`` before it was taken), and the page goes on without it.

    Args:
        store: the store.
        snap: the copy the page ranks on.
    """
    got = _archives.get(snap.store_key)
    if got is None or time.monotonic() - got.taken_mono > ARCHIVE_REFRESH_S:
        bound = snap.taken_at - dt.timedelta(days=snap.window_days)
        _start_once(("archive", snap.store_key), "feed-archive", lambda: take_archive(store, bound))
    return got


def take_archive(store: Store, bound: dt.datetime) -> Archive:
    """Read every clip created at or before ``bound`` into a new :class:`Archive` and make it this process's
    (what :func:`archive` does in the background; tests and a warm-up may call it directly).

    Args:
        store: the store.
        bound: the newest creation time it holds (naive, the store's clock).
    """
    with store.read() as con:
        src = con.cursor()
        rows = src.sql("SELECT clip_id, owner, parent_id, created_at FROM clips WHERE created_at <= $bound",
                       params={"bound": bound}).to_arrow_table().combine_chunks()
        src.close()
    got = Archive(bound, rows, micros(rows.column("created_at")), KeyIndex(rows.column("owner")), time.monotonic())
    _keep(_archives, str(store.db_path), got)
    return got


def micro(t: dt.datetime) -> int:
    """A naive time (the store's clock) as microseconds since the epoch, as :func:`micros` gives a column."""
    return int(np.datetime64(t, "us").astype(np.int64))


def micros(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """An Arrow timestamp column (naive, the store's clock) as int64 microseconds since the epoch."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.cast(pc.cast(column, pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False)
