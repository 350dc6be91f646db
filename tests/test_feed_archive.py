"""The following tab past a copy's window: with the process's archive (``feed_snapshot.Archive``) a following
session pages exactly as the store alone would page it (``following.sql`` over all time on the store), whatever
the creation times, the archive's bound and whether the copy was taken after it (then the copy reaches back to
it) or before (then the two may not meet, and the store gives the page), the clips taken down after the archive
was read, the authors one follows and the locale.

Each example pages a whole session (size 3) through ``feed.page`` twice, once with the archive and once without
(``feed_snapshot.archive`` answering None: the store's statement), and compares every page.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_visibility import add_clip, add_people

from sora_widgets.social import feed, feed_snapshot, graph
from sora_widgets.store import open_store

N_CLIPS = 36
OWNERS = ("ada", "rev", "adm", "uno")
VIEWER = "ben"  # an adult: the page is a read (a teen's daily limit would end the session early)


@pytest.fixture(scope="module")
def archive_world(tmp_path_factory):
    s = open_store(tmp_path_factory.mktemp("archive"))
    add_people(s)
    for k in range(N_CLIPS):
        add_clip(s, f"a{k:02d}", OWNERS[k % len(OWNERS)], parent_id=f"a{k - 4:02d}" if k >= 30 else None)
    with s.transaction() as con:
        con.execute("UPDATE users SET locale = CASE WHEN handle IN ('ada', 'adm') THEN 'fr' ELSE 'en' END")
    feed.refresh_stats(s)
    return s


def _session(store, *, locale: str | None) -> list[list[tuple[str, str, str]]]:
    """Every page of the viewer's following session, as ``(clip_id, owner, reason)`` rows."""
    pages, cursor = [], None
    for _ in range(N_CLIPS):
        p = feed.page(store, VIEWER, mode="following", cursor=cursor, size=3, locale=locale)
        pages.append([(i.clip_id, i.owner, i.reason) for i in p.items])
        cursor = p.next_cursor
        if cursor is None:
            break
    return pages


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.lists(st.integers(0, 30 * 24), min_size=N_CLIPS, max_size=N_CLIPS),
       followees=st.sets(st.sampled_from(OWNERS)),
       bound_hours=st.integers(-48, 72),
       archive_first=st.booleans(),
       taken_down=st.sets(st.integers(0, N_CLIPS - 1), max_size=6),
       locale=st.sampled_from((None, None, "fr")))
def test_following_past_the_window_pages_as_the_store_does(archive_world, days, followees, bound_hours,
                                                           archive_first, taken_down, locale):
    s = archive_world
    with s.transaction() as con:
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
        con.executemany("UPDATE clips SET created_at = ?, status = 'published' WHERE clip_id = ?",
                        [(now - dt.timedelta(hours=h, seconds=k), f"a{k:02d}") for k, h in enumerate(days)])
        con.execute("DELETE FROM follows WHERE follower = ?", [VIEWER])
    for owner in sorted(followees):
        graph.follow(s, VIEWER, owner)
    feed_snapshot.forget(s)
    # The archive's bound is some hours before the copy's window would start (or after it: an archive read for a
    # newer copy than the page's overlaps it). A copy taken after the archive reaches back to it (up to two of its
    # refreshes); one taken before an earlier-bounded archive does not meet it, and the store gives the page.
    bound = now - dt.timedelta(days=feed.CANDIDATE_DAYS + 1, hours=bound_hours)
    if archive_first:
        arch = feed_snapshot.take_archive(s, bound)
        snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
    else:
        snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
        arch = feed_snapshot.take_archive(s, bound)
    assert feed_snapshot.archive(s, snap) is arch
    meets = arch.bound >= snap.since
    if archive_first and bound_hours * 3600 < 2 * feed_snapshot.ARCHIVE_REFRESH_S:  # further back it does not reach
        assert meets
    if taken_down:  # taken down after the archive was read: the page's live check must drop them
        with s.transaction() as con:
            con.executemany("UPDATE clips SET status = 'removed' WHERE clip_id = ?", [[f"a{k:02d}"] for k in taken_down])
    with mock.patch.object(feed, "_rank", side_effect=AssertionError("the store ranked a page the archive covers")
                           ) if meets else contextlib.nullcontext():
        with_archive = _session(s, locale=locale)
    with mock.patch.object(feed_snapshot, "archive", lambda store, snap: None):
        store_only = _session(s, locale=locale)
    assert with_archive == store_only
    served = [c for page in with_archive for c, _, _ in page]
    assert len(served) == len(set(served)), "a clip came twice in one session"
    assert not {f"a{k:02d}" for k in taken_down} & set(served)
    assert {o for page in with_archive for _, o, _ in page} <= followees
    feed_snapshot.forget(s)


def test_a_page_past_the_window_uses_the_archive_and_no_scan_of_the_store(archive_world):
    """Every clip is two weeks old: the copy's window is empty, the page comes from the archive by key."""
    s = archive_world
    with s.transaction() as con:
        now = con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
        con.executemany("UPDATE clips SET created_at = ?, status = 'published' WHERE clip_id = ?",
                        [(now - dt.timedelta(days=14, seconds=k), f"a{k:02d}") for k in range(N_CLIPS)])
        con.execute("DELETE FROM follows WHERE follower = ?", [VIEWER])
    graph.follow(s, VIEWER, "ada")
    feed_snapshot.forget(s)
    snap = feed_snapshot.current(s, window_days=feed.CANDIDATE_DAYS + 1)
    feed_snapshot.take_archive(s, snap.since)  # what feed_snapshot.archive reads in the background
    with mock.patch.object(feed, "_rank", side_effect=AssertionError("the store ranked the page")):
        page = feed.page(s, VIEWER, mode="following", size=4)
    assert [i.clip_id for i in page.items] == ["a00", "a04", "a08", "a12"]  # newest first (seconds apart)
    assert all(i.reason == "because you follow @ada" for i in page.items)
    assert all(i.prompt == f"secret prompt of {i.clip_id}" for i in page.items)  # filled in by the live check
    feed_snapshot.forget(s)
