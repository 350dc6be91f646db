"""The warm feed's short candidate lists (``feed_snapshot.TOP_ROWS``): whenever ``Snapshot.top_lists_suffice``
says they may stand in for the full tables, ranking gives exactly the rows it gives on the full tables.

The property is tested with lists a few rows long (``TOP_ROWS`` and the candidate pool made small), over
random hot scores, creation times, served clips, seen clips and session times, so the cut falls
everywhere: inside the window, before it, among the excluded clips.
"""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_visibility import add_clip, add_people

from sora_widgets.social import feed, feed_snapshot
from sora_widgets.store import open_store

N_CLIPS = 40
OWNERS = ("ada", "ben", "rev", "uno")


@pytest.fixture(scope="module")
def heads_world(tmp_path_factory):
    s = open_store(tmp_path_factory.mktemp("heads"))
    add_people(s)
    for k in range(N_CLIPS):
        add_clip(s, f"h{k:02d}", OWNERS[k % len(OWNERS)])
    feed.refresh_stats(s)
    return s


def _arrange(store, hours: list[int], hots: list[int]) -> dt.datetime:
    """Give clip k the creation time now - hours[k] hours and the hot score hots[k] (ties broken by k)."""
    with store.transaction() as con:
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
        rows = [(now - dt.timedelta(hours=h, seconds=k), hot + k / 1000, f"h{k:02d}")
                for k, (h, hot) in enumerate(zip(hours, hots, strict=True))]
        con.executemany("UPDATE clips SET created_at = ? WHERE clip_id = ?", [(t, c) for t, _, c in rows])
        con.executemany("UPDATE clip_stats SET created_at = ?, hot = ? WHERE clip_id = ?", rows)
    return now


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=st.lists(st.integers(0, 24 * 9), min_size=N_CLIPS, max_size=N_CLIPS),
       hots=st.lists(st.integers(0, 50), min_size=N_CLIPS, max_size=N_CLIPS),
       top_rows=st.integers(1, N_CLIPS + 2), pool=st.integers(1, 12),
       excluded=st.sets(st.integers(0, N_CLIPS - 1), max_size=N_CLIPS // 2),
       mode=st.sampled_from(("personalised", "popular")),
       back_hours=st.integers(0, 30))
def test_the_short_lists_rank_exactly_as_the_full_tables_whenever_they_are_used(
        heads_world, hours, hots, top_rows, pool, excluded, mode, back_hours):
    s = heads_world
    taken = _arrange(s, hours, hots)
    served = [f"h{k:02d}" for k in sorted(excluded)]
    with mock.patch.object(feed_snapshot, "TOP_ROWS", top_rows), mock.patch.object(feed, "CANDIDATE_POOL", pool):
        feed_snapshot.forget(s)
        snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
        now = taken - dt.timedelta(hours=back_hours)  # a session opened before the copy was taken
        params = {"viewer": "tia", "viewer_teen": True, "now": now, "locale": "", "tau_s": 86400.0,
                  "since": now - dt.timedelta(days=feed.CANDIDATE_DAYS), "since_new": now - dt.timedelta(days=1),
                  "served": served}
        empty = (feed._empty("feed_viewer_events"), feed._empty("follows"))
        newer = snap.con.cursor().sql(f"SELECT {feed_snapshot.CLIP_COLUMNS} FROM clips LIMIT 0").to_arrow_table()
        suffice = snap.top_lists_suffice(since=params["since"], since_new=params["since_new"], now=now,
                                         excluded=set(served), pool=pool)
        full = feed._ranked_on_snapshot(snap, mode, params, *empty, newer, heads=False)
        if suffice:
            assert feed._ranked_on_snapshot(snap, mode, params, *empty, newer, heads=True) == full
        if top_rows > N_CLIPS:  # the lists are the whole tables: always usable
            assert suffice
    feed_snapshot.forget(s)


def test_a_session_that_used_up_the_short_lists_ranks_on_the_full_tables(heads_world):
    """Served clips fill the head of the hot list: the lists no longer suffice, and a page still comes."""
    s = heads_world
    taken = _arrange(s, [1] * N_CLIPS, list(range(N_CLIPS)))
    hottest = [f"h{k:02d}" for k in range(N_CLIPS - 1, N_CLIPS - 6, -1)]
    with mock.patch.object(feed_snapshot, "TOP_ROWS", 5), mock.patch.object(feed, "CANDIDATE_POOL", 3):
        feed_snapshot.forget(s)
        snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
        since = taken - dt.timedelta(days=feed.CANDIDATE_DAYS)
        assert snap.top_lists_suffice(since=since, since_new=since, now=taken, excluded=set(), pool=3)
        assert not snap.top_lists_suffice(since=since, since_new=since, now=taken, excluded=set(hottest[:3]),
                                          pool=3)
    feed_snapshot.forget(s)
