"""The warm feed's key lookups: whenever ``Snapshot.top_lists_suffice`` says the short candidate lists
(``feed_snapshot.TOP_ROWS``) may stand in for the full tables, the candidates found by key on the copy
(``feed._warm_pool``: head lists, owner and parent indexes) with their facts (``feed._warm_candidates``)
rank exactly as ``candidates.sql`` on the copy's full tables, and the following tab's lookups give what
``following.sql`` gives over all the copy's clips.

The property is tested with lists a few rows long (``TOP_ROWS`` and the candidate pool made small), over
random hot scores, creation times, served clips, the viewer's events (seen, liked, "see less"), follows,
remixes, locales, clips created after the copy and session times, so the cut falls everywhere: inside the
window, before it, among the excluded clips.
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
#: Clips from this number on remix the clip REMIX_BACK before them.
FIRST_REMIX, REMIX_BACK = 20, 20
EVENT_KINDS = ("view", "like", "like", "see_less", "skip")  # likes weigh twice: they drive two facts


@pytest.fixture(scope="module")
def heads_world(tmp_path_factory):
    s = open_store(tmp_path_factory.mktemp("heads"))
    add_people(s)
    for k in range(N_CLIPS):
        add_clip(s, f"h{k:02d}", OWNERS[k % len(OWNERS)],
                 parent_id=f"h{k - REMIX_BACK:02d}" if k >= FIRST_REMIX else None)
    with s.transaction() as con:  # two locales among the authors
        con.execute("UPDATE users SET locale = CASE WHEN handle IN ('ada', 'rev') THEN 'fr' ELSE 'en' END")
    feed.refresh_stats(s)
    return s


def _owner(k: int) -> str:
    return OWNERS[k % len(OWNERS)]


def _viewer_tables(viewer: str, events: list[tuple[int, str]], followees: set[str]):
    """The viewer's events row and follows as the live reads give them (Arrow, feed._empty's shapes)."""
    import pyarrow as pa

    ev_type = feed._empty("feed_viewer_events").schema
    rows = [{"clip_id": f"h{k:02d}", "kind": kind, "owner": _owner(k)} for k, kind in events]
    ev = (pa.table({"handle": [viewer], "events": pa.array([rows], ev_type.field("events").type)}, schema=ev_type)
          if rows else feed._empty("feed_viewer_events"))
    fo = pa.table({"follower": pa.array([viewer] * len(followees), pa.string()),
                   "followee": pa.array(sorted(followees), pa.string())})
    return ev, fo


def _newer(snap, taken: dt.datetime, now: dt.datetime, n: int):
    """``n`` clips created after the copy (up to ``now``), in the shape of the live read of newer clips."""
    import pyarrow as pa

    empty = snap.con.cursor().sql(f"SELECT {feed_snapshot.CLIP_COLUMNS} FROM clips LIMIT 0").to_arrow_table()
    if now <= taken or n == 0:
        return empty
    step = (now - taken) / (n + 1)
    rows = [{"clip_id": f"n{k}", "owner": OWNERS[k % len(OWNERS)], "prompt": None, "parent_id": None,
             "media_hash": None, "thumb_hash": None, "created_at": taken + step * (k + 1), "status": "published"}
            for k in range(n)]
    return pa.Table.from_pylist(rows, schema=empty.schema)


def _arrange(store, hours: list[int], hots: list[int]) -> dt.datetime:
    """Give clip k the creation time now - hours[k] hours and an engagement of hots[k] (ties broken by k): its hot
    score is ``ln(base) + created / tau`` as ``stats_rescore.sql`` makes it, so scores neither vanish nor tie."""
    with store.transaction() as con:
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
        created = [now - dt.timedelta(hours=h, seconds=k) for k, h in enumerate(hours)]
        rows = [(t, (t - dt.datetime(1970, 1, 1)).total_seconds() / 86400.0 + hot / 10 + k / 1000, f"h{k:02d}")
                for k, (t, hot) in enumerate(zip(created, hots, strict=True))]
        con.executemany("UPDATE clips SET created_at = ? WHERE clip_id = ?", [(t, c) for t, _, c in rows])
        con.executemany("UPDATE clip_stats SET created_at = ?, hot = ? WHERE clip_id = ?", rows)
        # a remix edge is made with its clip (Store.save_clip): the same time
        con.execute("UPDATE remix_edges e SET created_at = c.created_at FROM clips c WHERE c.clip_id = e.child_id")
    return now


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=st.lists(st.integers(0, 24 * 9), min_size=N_CLIPS, max_size=N_CLIPS),
       hots=st.lists(st.integers(0, 50), min_size=N_CLIPS, max_size=N_CLIPS),
       top_rows=st.integers(1, N_CLIPS + 2), pool=st.integers(1, 12),
       excluded=st.sets(st.integers(0, N_CLIPS - 1), max_size=N_CLIPS // 2),
       events=st.lists(st.tuples(st.integers(0, N_CLIPS - 1), st.sampled_from(EVENT_KINDS)), max_size=12),
       followees=st.sets(st.sampled_from(OWNERS)),
       locale=st.sampled_from(("", "", "fr", "en")),
       newer=st.integers(0, 4),
       mode=st.sampled_from(feed.MODES),
       back_hours=st.integers(-6, 30))
def test_the_key_lookups_rank_exactly_as_the_full_tables_whenever_they_are_used(
        heads_world, hours, hots, top_rows, pool, excluded, events, followees, locale, newer, mode, back_hours):
    s = heads_world
    taken = _arrange(s, hours, hots)
    served = [f"h{k:02d}" for k in sorted(excluded)]
    with mock.patch.object(feed_snapshot, "TOP_ROWS", top_rows), mock.patch.object(feed, "CANDIDATE_POOL", pool):
        feed_snapshot.forget(s)
        snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
        now = taken - dt.timedelta(hours=back_hours)  # a session opened before the copy was taken (or after it)
        params = {"viewer": "tia", "viewer_teen": True, "now": now, "locale": locale, "tau_s": 86400.0,
                  "since": now - dt.timedelta(days=feed.CANDIDATE_DAYS), "since_new": now - dt.timedelta(days=1),
                  "served": served}
        ev, fo = _viewer_tables("tia", events, followees)
        new_rows = _newer(snap, snap.taken_at, now, newer)
        seen = {f"h{k:02d}" for k, _ in events} if mode == "personalised" else set()
        suffice = snap.top_lists_suffice(since=params["since"], since_new=params["since_new"], now=now,
                                         excluded=set(served) | seen, pool=pool)
        full = feed._ranked_on_snapshot(snap, mode, params, ev, fo, new_rows, heads=False)
        if suffice or mode == "following":
            assert feed._ranked_on_snapshot(snap, mode, params, ev, fo, new_rows, heads=True) == full
        if top_rows > N_CLIPS:  # the lists are the whole tables: always usable
            assert suffice
        if mode != "following":
            assert not {r[0] for r in full} & (set(served) | seen), "a served or seen clip came back"
            assert all(r[1] != "tia" for r in full)
            if locale:
                assert all(r[1] in (("ada", "rev") if locale == "fr" else ("ben", "uno", "tia", "adm")) for r in full)
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
