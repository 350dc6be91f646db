"""The feed: one page of clips for one viewer, ranked in SQL in the Store.

Three modes (:data:`MODES`):

- ``"personalised"``: candidates from the people you follow, remixes of clips you liked,
  and everyone (the hottest and the newest clips); ranked by engagement rates (likes,
  remixes, completions; "see less", skips and reports count against), freshness decay,
  remix velocity (remixes in the last day) and what you interacted with (people you
  follow, authors you liked, authors you asked to see less of); clips you already saw
  (viewed, skipped, liked, reported, "see less") are left out;
- ``"popular"``: the same engagement x freshness x velocity ranking with nothing about
  the viewer: the same for everyone in a locale (only visibility differs: blocks, teens);
- ``"following"``: the people you follow, newest first (chronological, not ranked).

In the ranked modes authors are diversified: each further clip of an author weighs half
the one before, and the same creator never comes twice in a row (across pages too) while
another creator's clip is left; when only one creator's clips remain they are served in
order (diversity reorders, it never starves the page). Every item says why it is there.

What may appear is one rule, ``access.visible_clip_sql`` (published, not removed, held or
hidden, author not disabled, no block either way, not mature for a teen), the list form
of ``access.can_view``.

Pagination: the first page snapshots a time ``as_of``; clips created later wait for the next
first page (pull to refresh). Cursors are stateless: a cursor is the session itself, written
into an opaque token (:func:`_encode`): viewer, mode, locale, ``as_of``, the page number and
what each page served, in order. The next page ranks what is left, so paging never repeats or
skips an item while new clips arrive, and an earlier cursor ("scrolling back") shows its page
again (minus what became invisible since). A cursor only works for the viewer and mode that
opened it. Nothing about a session is written to the store, so an adult's page is one
read-only look at the store: no file lock held for writing, no write, no checkpoint.

Before ranking, the page asks ``social.limits.feed_allowance`` (a guardian may turn
personalisation off: the page is then "popular"; a daily limit may stop the feed). For a viewer
with teen protections the page is a transaction that also counts what it served with
``social.limits.record_served``, so no client can get past the daily limit.

The SQL lives in ``social/sql/`` (``candidates.sql``, ``candidate_pool.sql``, ``following.sql``); the
formula that ranks the candidates is ``social.ranking``. Ranking reads the per-clip counters of
``clip_stats`` (kept in step by ``social.graph``, rebuilt by :func:`refresh_stats`), so a page does not
grow with the number of events.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
import re
import time
import zlib
from dataclasses import dataclass, field, replace

from ..access import visible_clip_sql
from ..store import NotFound, Store, normalise_handle
from . import _sql, feed_snapshot, ranking
from ._people import account_row
from .accounts import band_of
from .graph import COMPLETE_FRACTION, FRESHNESS_TAU_S

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MODES", "SHARED_REASON", "FeedItem", "FeedPage", "open_shared", "page",
           "refresh_stats"]

#: The feed's modes.
MODES = ("personalised", "popular", "following")
#: Items per page unless asked otherwise; the most one page may hold.
DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE = 20, 50
#: Candidates each source of the ranked feed gives (hottest, newest); the SQL scores only these.
CANDIDATE_POOL = 400
#: Ranked rows the SQL hands to the author interleave (enough for a page with diverse authors).
_RANKED_ROWS = 200
#: Days of clips a page ranks first (older ones have decayed below exp(-7) = 0.1 % at FRESHNESS_TAU_S =
#: 1 day); only when they run out does the page look further back.
CANDIDATE_DAYS = 7
_EPOCH = dt.datetime(1970, 1, 1)
#: Pages one session (one chain of cursors) may hold; past it the feed asks for a fresh start, which
#: bounds a cursor's size (about 1 KB per page of 20).
MAX_PAGES = 200
_TOKEN_PREFIX = "f1."


@dataclass(frozen=True)
class FeedItem:
    """One clip of a page: ``reason`` says why it is there ("because you follow @x", "popular today"...);
    ``score`` is the ranking score (for following: the creation time in epoch seconds)."""

    clip_id: str
    owner: str
    prompt: str | None
    reason: str
    score: float
    parent_id: str | None = None
    media_hash: str | None = None
    thumb_hash: str | None = None
    created_at: dt.datetime | None = None


@dataclass(frozen=True)
class FeedPage:
    """A page: ``items``; ``next_cursor`` (None at the end of the feed for now); ``stopped`` (the words
    of the stop screen when a daily limit or quiet hours stopped the feed, else None); ``mode`` (the mode
    served: "popular" when a guardian turned personalisation off); ``cursor`` (this page's, to come back
    to it) and ``prev_cursor`` (the page before, None on the first)."""

    items: list[FeedItem] = field(default_factory=list)
    next_cursor: str | None = None
    stopped: str | None = None
    mode: str = "personalised"
    cursor: str | None = None
    prev_cursor: str | None = None


@dataclass(frozen=True)
class _Allowance:  # what social.limits says when it is not installed: no limit
    personalised: bool = True
    remaining: int | None = None
    reason: str = ""


def _limits():
    try:
        from . import limits
    except ImportError:  # pragma: no cover - only before social.limits landed
        return None
    return limits


def page(
    store: Store,
    viewer: str,
    *,
    mode: str = "personalised",
    cursor: str | None = None,
    size: int = DEFAULT_PAGE_SIZE,
    locale: str | None = None,
    now: dt.datetime | None = None,
) -> FeedPage:
    """One page of ``viewer``'s feed.

    Args:
        store: the store.
        viewer: the logged-in viewer (``session.current_user()``); must exist and not be disabled.
        mode: "personalised", "popular" or "following" (see the module docstring). A viewer whose
            guardian turned personalisation off gets "popular" instead of "personalised".
        cursor: None for the first page, else a ``next_cursor``/``prev_cursor``/``cursor`` of an earlier
            page of the same viewer and mode.
        size: items per page, 1 to :data:`MAX_PAGE_SIZE`; a daily limit can make it smaller.
        locale: only clips by authors of this locale (e.g. "fr"); None for every locale. A session keeps
            the locale it was opened with.
        now: the time the first page snapshots (naive, the store's clock: default the database's
            ``current_timestamp``); also passed to the daily-limit counters.

    Returns:
        `FeedPage`.

    Raises:
        ValueError: an unknown mode, a size out of range, a malformed cursor or one of another mode.
        NotFound: no such viewer. PermissionError: a disabled viewer, or a cursor of someone else's.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_PAGE_SIZE:
        raise ValueError(f"size must be a whole number from 1 to {MAX_PAGE_SIZE}; got {size!r}")
    if locale is not None and (not isinstance(locale, str) or not re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?",
                                                                           locale)):
        raise ValueError(f"locale must look like 'en' or 'pt-BR'; got {locale!r}")
    h = normalise_handle(viewer)
    session = _decode(cursor)
    if session is not None and session.viewer != h:
        raise PermissionError("this feed cursor belongs to someone else")
    # An adult's page only reads (one read-only open, shared with other readers). A teen's page also
    # counts what it served: a transaction, so two pages at once cannot both pass the daily limit.
    with store.read() as con:
        params = _viewer(store, con, h, ahead=_reads_ahead(store, h, mode, session))
        if not params["viewer_teen"]:
            return _serve(store, con, h, params, mode, session, size, locale, now, count=False)
    ahead = params.get("ahead")  # the ranking facts just read stay good; the account is read again, in the transaction
    with store.transaction() as con:
        params = _viewer(store, con, h)
        if ahead is not None:
            params["ahead"] = ahead
        return _serve(store, con, h, params, mode, session, size, locale, now, count=params["viewer_teen"])


@dataclass(frozen=True)
class _Ahead:
    """The live reads a warm page will need (see :func:`_live_reads`), made with the viewer's row: the copy they
    were read against (``taken_at``), which of them (``events``, ``follows``), and, once read, their ``values``."""

    taken_at: dt.datetime
    events: bool
    follows: bool
    values: tuple = ()


def _reads_ahead(store: Store, h: str, mode: str, session: _Session | None) -> _Ahead | None:
    """What the page's warm ranking will read live, so the viewer's statement can read it too (one round trip
    through a store service less); None for a page served again from its cursor (no ranking)."""
    if session is not None and session.number < len(session.pages):
        return None
    snap = feed_snapshot.current(store, window_days=CANDIDATE_DAYS + 1)
    events, follows = _live_needs(snap, h, mode, first=session is None or not session.pages)
    return _Ahead(snap.taken_at, events, follows)


def _live_needs(snap: feed_snapshot.Snapshot, viewer: str, mode: str, *, first: bool) -> tuple[bool, bool]:
    """Which live reads a warm page of ``mode`` needs: the viewer's events row (personalised only, and not when an
    earlier page of the session read it less than :data:`EVENTS_REUSE_S` ago) and their follows (not popular)."""
    events = mode == "personalised" and (first or _events_reuse(snap, viewer) is None)
    return events, mode != "popular"


def _viewer(store: Store, con, h: str, *, ahead: _Ahead | None = None) -> dict:
    """The viewer's visibility parameters (``access.viewer_params``), after checking the account exists and is not
    disabled, and the store's clock (``"clock"``), in one query: through a store service each statement is a round
    trip, and a page used to make five for these (account state, role, age twice, the clock).

    The same statement as ``_people.account_state`` (``_people.account_row``) and the same teen rule as
    ``viewer_params`` (``accounts.band_of`` of the stored birthdate, as ``accounts.is_minor``; an existing account
    always has a role, so only the band decides). With ``ahead``, the same statement also makes the warm page's
    live reads; they come back under ``"ahead"``.
    """
    also = _live_columns(events=ahead.events, follows=ahead.follows) if ahead else ()
    row = account_row(con, h, also=also, params={"taken": ahead.taken_at} if ahead else None)
    if row is None:
        raise NotFound(f"there is no user @{h}")
    if row[0]:
        raise PermissionError(f"@{h}'s account is disabled")
    out = {"viewer": h, "viewer_teen": band_of(row[1], bool(row[2])) == "teen", "clock": row[3]}
    if ahead:
        out["ahead"] = replace(ahead, values=tuple(row[4:]))
    return out


def _serve(store: Store, con, h: str, params: dict, mode: str, session: _Session | None, size: int,
           locale: str | None, now: dt.datetime | None, *, count: bool) -> FeedPage:
    """The page itself, on an open connection (read-only, or the teen's transaction when ``count``)."""
    limits = _limits()
    clock = params.pop("clock")
    allowance = limits.feed_allowance(store, h, now=now, minor=params["viewer_teen"]) if limits else _Allowance()
    if mode == "personalised" and not allowance.personalised:
        mode = "popular"  # a guardian's choice; the widget may not override it
    if session is not None and session.mode != mode:
        if not (session.mode == "personalised" and mode == "popular"):
            raise ValueError(f"this cursor belongs to the {session.mode} feed; ask for mode={session.mode!r} "
                             "or start again")
        session = None  # personalisation was turned off mid-session: start a popular one
    if session is None:  # first page
        as_of = now or clock
        session = _Session(h, mode, locale or "", as_of, 0, ())
    number = session.number
    here = _encode(session)
    prev = _encode(replace(session, number=number - 1)) if number > 0 else None
    if allowance.remaining == 0:
        return FeedPage([], here, allowance.reason or "that's your feed for today", mode, here, prev)
    want = size if allowance.remaining is None else min(size, allowance.remaining)
    params = {**params, "now": session.as_of, "locale": session.locale, "tau_s": FRESHNESS_TAU_S}
    if number < len(session.pages):
        items = _replay(con, session.pages[number], params)[:want]
        full = True
    else:
        items = _new_page(store, con, session, want, params)
        session = replace(session, pages=(*session.pages, tuple((i.clip_id, i.owner, i.reason, i.score)
                                                                 for i in items)))
        here = _encode(session)
        full = len(items) == want and len(session.pages) < MAX_PAGES
    if count and limits:
        limits.record_served(store, h, len(items), con=con, now=now, minor=params["viewer_teen"])
    nxt = _encode(replace(session, number=number + 1)) if full and items else None
    return FeedPage(items, nxt, None, mode, here, prev)


# ---------------------------------------------------------------------- stateless cursors
@dataclass(frozen=True)
class _Session:
    """What a cursor carries: whose feed, which mode and locale, the snapshot time, the page the cursor
    points at, and each page served so far as ``(clip_id, owner, reason, score)`` rows, in order."""

    viewer: str
    mode: str
    locale: str
    as_of: dt.datetime
    number: int
    pages: tuple[tuple[tuple[str, str, str, float], ...], ...]


def _encode(s: _Session) -> str:
    """The opaque cursor for ``s``: ``f1.`` + URL-safe base64 of zlib-compressed JSON."""
    body = json.dumps([s.viewer, s.mode, s.locale, s.as_of.isoformat(), s.number,
                       [[[c, o, r, round(float(x), 6)] for c, o, r, x in pg] for pg in s.pages]],
                      separators=(",", ":"))
    return _TOKEN_PREFIX + base64.urlsafe_b64encode(zlib.compress(body.encode(), 6)).decode().rstrip("=")


def _decode(cursor: str | None) -> _Session | None:
    """The session a cursor names; ValueError for anything the feed did not give.

    A cursor is not secret and not signed: it only names clips, and every page checks each one
    against the viewer's visibility rule again, so an edited cursor can show nothing its
    holder may not see (and a teen's daily count is kept by the server, not in the cursor).
    """
    if cursor is None:
        return None
    bad = ValueError("this feed cursor is not one the feed gave; start again without a cursor")
    if not isinstance(cursor, str) or not cursor.startswith(_TOKEN_PREFIX) or len(cursor) > 1_000_000:
        raise bad
    try:
        raw = cursor[len(_TOKEN_PREFIX):]
        body = zlib.decompressobj().decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)), 4_000_000)
        viewer, mode, locale, as_of, number, pages = json.loads(body)
        session = _Session(str(viewer), str(mode), str(locale), dt.datetime.fromisoformat(as_of), int(number),
                           tuple(tuple((str(c), str(o), str(r), float(x)) for c, o, r, x in pg) for pg in pages))
    except (ValueError, TypeError, binascii.Error, zlib.error, json.JSONDecodeError) as exc:
        raise bad from exc
    if mode not in MODES or not 0 <= session.number <= len(session.pages) or len(session.pages) > MAX_PAGES:
        raise bad
    return session


# ---------------------------------------------------------------------- pages
def _replay(con, rows: tuple, params: dict) -> list[FeedItem]:
    """A page as served before (``rows`` from the cursor), without what the viewer may no longer see."""
    if not rows:
        return []
    found = {r[0]: r for r in con.execute(
        f"""SELECT c.clip_id, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at
            FROM clips c WHERE c.clip_id IN (SELECT unnest($ids::VARCHAR[])) AND {visible_clip_sql('$viewer', 'c')}""",
        {"ids": [r[0] for r in rows], "viewer": params["viewer"], "viewer_teen": params["viewer_teen"]},
    ).fetchall()}
    return [FeedItem(clip_id=c, owner=o, prompt=found[c][1], reason=r, score=x, parent_id=found[c][2],
                     media_hash=found[c][3], thumb_hash=found[c][4], created_at=found[c][5])
            for c, o, r, x in rows if c in found]


def _new_page(store: Store, con, session: _Session, want: int, params: dict) -> list[FeedItem]:
    """Rank what is left of the session and pick ``want`` items (recent clips first).

    The warm path ranks on this process's snapshot (:mod:`social.feed_snapshot`) and checks what it
    picked against the visibility rule on ``con``; when the snapshot does not cover the session's window
    or the window runs out, the page ranks on the store itself (the same SQL), further back if needed.
    """
    served = [row[0] for pg in session.pages for row in pg]
    last = next((pg[-1][1] for pg in reversed(session.pages) if pg), None)
    as_of = session.as_of
    since, since_new = as_of - dt.timedelta(days=CANDIDATE_DAYS), as_of - dt.timedelta(days=1)
    ranking = {**params, "since": since, "since_new": since_new, "served": served}
    snap = feed_snapshot.current(store, window_days=CANDIDATE_DAYS + 1)
    chosen = (_rank_warm(store, con, snap, session.mode, ranking, want, last, first=not session.pages)
              if snap.covers(since) else None)
    if chosen is None:
        # Further back only when the window runs out. The following feed is newest first, so its page over all
        # time starts with its page over the window: when the copy could not fill it from the window (it holds
        # the whole window), one statement over all time gives the page (one round trip, one scan, not two).
        windows = ((since, since_new), (_EPOCH, _EPOCH))
        if session.mode == "following" and snap.covers(since):
            windows = windows[1:]
        for lo, lo_new in windows:
            chosen = _rank(con, session.mode, {**ranking, "since": lo, "since_new": lo_new}, want, last)
            if len(chosen) == want:
                break
    return [FeedItem(clip_id=r[0], owner=r[1], prompt=r[2], parent_id=r[3], media_hash=r[4], thumb_hash=r[5],
                     created_at=r[6], score=float(r[7]), reason=r[8]) for r in chosen]


def _rank(con, mode: str, params: dict, want: int, last_owner: str | None) -> list[tuple]:
    """The next ``want`` rows of the session in ``mode`` ranked on the store (fewer at the end of what there is)."""
    visible = visible_clip_sql("$viewer", "c")
    if mode == "following":
        return _sql.run(con, "following.sql", {**params, "limit": want}, visible=visible, clips="clips").fetchall()
    rows = _sql.run(con, "candidates.sql", {**params, "personal": mode == "personalised", "pool": CANDIDATE_POOL},
                    visible=visible, pool=_pool_sql(STORE_SOURCES)).fetchall()
    return _interleave(_ranked(rows, params), want, last_owner)


def _pool_sql(sources: dict[str, str]) -> str:
    """candidates.sql's pool as ``candidate_pool.sql`` reads it from tables, ``sources`` filled in (fixed
    table names or subqueries, never input)."""
    return _sql.load("candidate_pool.sql").format(**sources)


def _ranked(rows: list[tuple], params: dict) -> list[tuple]:
    """``candidates.sql``'s rows ranked by ``social.ranking.rank``: the best :data:`_RANKED_ROWS` as
    ``(clip_id, owner, prompt, parent_id, media_hash, thumb_hash, created_at, score, reason)``."""
    import numpy as np

    cols = list(zip(*rows, strict=True)) if rows else [()] * 13
    c = ranking.Candidates(
        clip_id=list(cols[0]), owner=list(cols[1]),
        created_s=np.array(cols[6], dtype="datetime64[us]").astype(np.int64) / 1e6,  # as feed_snapshot.micros
        hot=np.array([np.nan if h is None else h for h in cols[7]], dtype=float),
        followed=np.array(cols[8], dtype=bool), remix_of_liked=np.array(cols[9], dtype=bool),
        liked_author_n=np.array(cols[10], dtype=np.int64), less_n=np.array(cols[11], dtype=np.int64),
        remixes_today=np.array(cols[12], dtype=np.int64))
    return [(*rows[i][:7], score, reason) for i, score, reason in
            ranking.rank(c, now=params["now"], tau_s=params["tau_s"], locale=params["locale"], limit=_RANKED_ROWS)]


#: Where candidate_pool.sql's candidate rows come from on the store: each clip with its ``clip_stats.hot`` (the columns
#: scoring and the visibility rule read), and its "hottest" and "newest" sources read the window of those rows.
#: The warm path reads the snapshot's ``clip_rows`` (the same join, made once per copy) and its short head lists
#: of it when they suffice (see _rank_warm, _ranked_on_snapshot).
STORE_SOURCES = {"clip_rows": "(SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, "
                              "c.created_at, c.status, s.hot FROM clips c LEFT JOIN clip_stats s ON s.clip_id = c.clip_id)",
                 "hot_rows": "clip_stats", "new_rows": "clips", "cand_rows": "in_window"}


def _rank_warm(store: Store, con, snap: feed_snapshot.Snapshot, mode: str, params: dict, want: int,
               last_owner: str | None, *, first: bool) -> list[tuple] | None:
    """The next ``want`` rows ranked on the snapshot; None when it cannot fill the page (then the store ranks).
    The following tab looks past the window through the process's archive when one is ready
    (:func:`_following_past_window`); its page may then be short: the end of the feed.

    The same candidates (``candidates.sql``, or the same rows found by key) and ``following.sql`` on the
    snapshot's copy of the global tables, with the viewer's events and follows and the clips created since
    the snapshot read live from ``con``. The visibility fragment is left out there because the rows it
    returns are then checked, live, against ``access.visible_clip_sql`` on ``con``: the rule is applied
    once, on the store's current state.

    The viewer's events come from their one row of ``feed_viewer_events`` (migration 013: kept in step
    with ``feed_events`` on write), read on the first page of a session; later pages of the same session
    reuse it for :data:`EVENTS_REUSE_S` (what the viewer watched meanwhile was served by this session, so
    it is left out anyway).
    """
    # Only the personalised feed reads the viewer's events (seen clips, liked authors), and only the
    # personalised and following feeds their follows: the other modes get empty tables made here (no
    # round trip to the store service for a read whose answer is known).
    fetch, follows_needed = _live_needs(snap, params["viewer"], mode, first=first)
    events = (_empty("feed_viewer_events") if mode != "personalised"
              else None if fetch else _events_reuse(snap, params["viewer"]))
    fetch = events is None  # (a reused row that expired since _live_needs looked is read again)
    ahead = params.pop("ahead", None)
    if ahead is not None and (ahead.taken_at, ahead.events, ahead.follows) == (snap.taken_at, fetch, follows_needed):
        events, follows, newer = _live_tables(con, snap, params, ahead.values, events=fetch, follows=follows_needed,
                                              got_events=events)
    else:  # the page's viewer read could not make them (another copy since, or personalisation turned off)
        events, follows, newer = _live_reads(con, snap, params, events=fetch, follows=follows_needed,
                                             got_events=events)
    if fetch:
        _events_keep(snap, params["viewer"], events)
    # The hottest and newest candidates come from the snapshot's short head lists when they give the same
    # pool as the full tables would (nearly always: only a long session or a heavy viewer uses them up).
    excluded = set(params["served"])
    if mode == "personalised":
        excluded.update(e["clip_id"] for e in _seen(events))
    heads = mode == "following" or snap.top_lists_suffice(
        since=params["since"], since_new=params["since_new"], now=params["now"], excluded=excluded, pool=CANDIDATE_POOL)
    rows = _ranked_on_snapshot(snap, mode, params, events, follows, newer, heads=heads)
    # (A following window with fewer rows than the page cannot fill it whatever passes the check: not checked.)
    chosen = [] if mode == "following" and len(rows) < want else _checked(con, mode, rows, params, want, last_owner)
    if mode == "following" and len(chosen) < want:
        return _following_past_window(store, con, snap, params, follows, newer, want)
    return chosen if len(chosen) == want else None


def _checked(con, mode: str, rows: list[tuple], params: dict, want: int, last_owner: str | None) -> list[tuple]:
    """The page's rows out of ``rows`` (ranked on the snapshot, unchecked) that the viewer may see on the store now.

    The rule, live, on the best-ranked rows first: a short id list whose oldest clip is recent lets the store skip
    most row groups of ``clips``. All rows are checked only when that head cannot make the page exactly as all
    of them would (too few pass, or the interleave had to put a creator twice in a row, where a row further down
    might have come between).
    """
    head = rows[:want + _CHECK_HEAD_SPARE]
    chosen = _pick(mode, _check_live(con, head, params), want, last_owner)
    # (The following feed is chronological: the same creator twice in a row is its order, no reason to look on.)
    twice = mode != "following" and _twice_in_a_row(chosen, last_owner)
    if len(head) < len(rows) and (len(chosen) < want or twice):
        chosen = _pick(mode, _check_live(con, rows, params), want, last_owner)
    return chosen


def _following_past_window(store: Store, con, snap: feed_snapshot.Snapshot, params: dict, follows, newer,
                           want: int) -> list[tuple] | None:
    """The following page over all time, by key: ``following.sql`` (on the copy) over the followed authors'
    clips of the copy (all it holds, past its window) and of the archive (:func:`feed_snapshot.archive`) before
    the copy's start; None while no archive meets the copy (the store then gives the page), or when more rows
    than one look ranks might be needed (:data:`_RANKED_ROWS`).

    A page shorter than ``want`` is the end of the feed: every followed clip the viewer may see was served.
    """
    import pyarrow as pa

    arch = feed_snapshot.archive(store, snap)
    if arch is None or arch.bound < snap.since:  # none yet, or a copy taken before it (a gap between the two)
        return None
    followees = _followees(follows)
    parts = [_warm_pool(snap, "following", {**params, "since": snap.since}, [], followees, newer),
             arch.clips_of(followees, upto=snap.since, shape=snap.rows.schema)]
    cur = snap.con.cursor()
    try:
        cur.register("follows", follows)
        cur.register("_pool", pa.concat_tables(parts))
        rows = _sql.run(cur, "following.sql", {**params, "since": _EPOCH, "limit": _RANKED_ROWS}, visible="true",
                        clips="_pool").fetchall()
    finally:
        cur.close()
    chosen = _checked(con, "following", rows, params, want, None)
    return chosen if len(chosen) == want or len(rows) < _RANKED_ROWS else None


def _live_columns(*, events: bool, follows: bool) -> tuple[str, ...]:
    """The live reads of a warm page as columns of one statement (parameters ``$account_handle``, the viewer, and
    ``$taken``, the copy's time): the viewer's events row (``events``), their followees (``follows``) and whether
    any clip was created since the copy."""
    return ("(SELECT events FROM feed_viewer_events WHERE handle = $account_handle)" if events else "NULL",
            "(SELECT list(followee) FROM follows WHERE follower = $account_handle)" if follows else "NULL",
            "EXISTS (SELECT 1 FROM clips WHERE created_at > $taken)")


def _live_reads(con, snap: feed_snapshot.Snapshot, params: dict, *, events: bool, follows: bool, got_events):
    """What a warm page reads live from the store, in one statement (a round trip through a store service):
    the viewer's events row (``events``; else ``got_events`` is kept), their follows (``follows``; else none)
    and the clips created since the snapshot (a second statement only when there are some). The page's viewer
    statement usually made these reads already (:func:`_reads_ahead`); then only :func:`_live_tables` runs.

    Returns ``(events, follows, newer)`` as Arrow tables in the shapes of ``feed_viewer_events``, ``follows``
    and :data:`feed_snapshot.CLIP_COLUMNS`.
    """
    row = con.execute(f"SELECT {', '.join(_live_columns(events=events, follows=follows))}",
                      {"taken": snap.taken_at, **({"account_handle": params["viewer"]} if events or follows else {})},
                      ).fetchone()
    return _live_tables(con, snap, params, row, events=events, follows=follows, got_events=got_events)


def _live_tables(con, snap: feed_snapshot.Snapshot, params: dict, row: tuple, *, events: bool, follows: bool,
                 got_events):
    """:func:`_live_reads`' tables from the values of :func:`_live_columns` (``row``), reading the clips created
    since the snapshot (up to the session's time) when there are some."""
    import pyarrow as pa

    viewer = params["viewer"]
    if events:
        empty = _empty("feed_viewer_events")
        got_events = (pa.table({"handle": [viewer], "events": pa.array([row[0]], empty.schema.field("events").type)},
                               schema=empty.schema) if row[0] is not None else empty)
    followees = row[1] or []
    follow_rows = pa.table({"follower": pa.array([viewer] * len(followees), pa.string()),
                            "followee": pa.array(followees, pa.string())}) if follows else _empty("follows")
    newer = None
    if row[2]:
        src = con.cursor()  # its own cursor: Arrow results come from a relation (``sql``), which needs a clean one
        newer = src.sql(f"SELECT {feed_snapshot.CLIP_COLUMNS} FROM clips WHERE created_at > $taken AND created_at <= $now",
                        params={"taken": snap.taken_at, "now": params["now"]}).to_arrow_table()
        src.close()
        if not newer.num_rows:
            newer = None
    return got_events, follow_rows, newer


def _ranked_on_snapshot(snap: feed_snapshot.Snapshot, mode: str, params: dict, events, follows, newer, *,
                        heads: bool) -> list[tuple]:
    """The next rows of the session ranked on the snapshot, unchecked: ``(clip_id, owner, prompt, parent_id,
    media_hash, thumb_hash, created_at, score, reason)``, best first (following: newest first).

    Args:
        snap: the snapshot.
        mode: one of :data:`MODES`.
        params: the SQL's parameters (see candidates.sql), with ``tau_s``.
        events, follows: Arrow tables in the shape of ``feed_viewer_events`` and ``follows``: the viewer's.
        newer: Arrow table of the clips created since the snapshot (:data:`feed_snapshot.CLIP_COLUMNS`), or None
            when there are none.
        heads: the candidates are found by key (:func:`_warm_pool`: the short head lists, the owner and
            parent indexes; for the ranked modes only where ``Snapshot.top_lists_suffice``) and their facts
            by :func:`_warm_candidates`, else read from the copy's full tables by ``candidates.sql``
            (following: ``following.sql`` over the followed authors' clips, or over the copy's clips). Both
            give the same page.
    """
    if heads and mode != "following":
        pool, cands = _warm_candidates(snap, mode, params, events, follows, newer)
        top = ranking.rank(cands, now=params["now"], tau_s=params["tau_s"], locale=params["locale"],
                           limit=_RANKED_ROWS)
        if not top:
            return []
        picked = pool.take([i for i, _, _ in top]).select(
            ["clip_id", "owner", "prompt", "parent_id", "media_hash", "thumb_hash", "created_at"]).to_pylist()
        return [(*r.values(), score, reason) for r, (_, score, reason) in zip(picked, top, strict=True)]
    cur = snap.con.cursor()  # this thread's own cursor on the process's one in-memory connection
    try:
        cur.register("follows", follows)  # connection-local views, under the names the SQL reads
        if heads:  # following: its SQL reads the followed authors' clips, found by key, as its ``clips``
            cur.register("_pool", _warm_pool(snap, mode, params, [], _followees(follows), newer))
            return _sql.run(cur, "following.sql", {**params, "limit": _RANKED_ROWS}, visible="true",
                            clips="_pool").fetchall()
        cur.register("feed_viewer_events", events)
        # Candidates carry their columns (candidate_pool.sql): the copy's clip_rows; with no clip since the copy,
        # the copy's own tables (binding a view over a union costs each page).
        sources = {"clip_rows": "clip_rows", "hot_rows": "in_window", "new_rows": "in_window", "cand_rows": "in_window"}
        if newer is not None and newer.num_rows:
            cur.register("_newer", newer)
            cur.execute("CREATE TEMP VIEW clips AS SELECT * FROM memory.main.clips UNION ALL SELECT * FROM _newer")
            cur.execute("CREATE TEMP VIEW _clip_rows AS SELECT * FROM memory.main.clip_rows "
                        "UNION ALL SELECT *, NULL::DOUBLE AS hot FROM _newer")
            sources["clip_rows"] = "_clip_rows"
        if mode == "following":
            return _sql.run(cur, "following.sql", {**params, "limit": _RANKED_ROWS}, visible="true",
                            clips="clips").fetchall()
        rows = _sql.run(cur, "candidates.sql", {**params, "personal": mode == "personalised", "pool": CANDIDATE_POOL},
                        visible="true", pool=_pool_sql(sources)).fetchall()
        return _ranked(rows, params)
    finally:
        cur.close()


def _warm_candidates(snap: feed_snapshot.Snapshot, mode: str, params: dict, events, follows, newer):
    """``candidates.sql``'s rows on the copy, without a query: the pool found by key (:func:`_warm_pool`), the
    same filters (not excluded, not the viewer's own, the session's locale) and the same facts per clip.

    Returns:
        ``(pool, candidates)``: the kept rows (Arrow, the copy's ``clip_rows`` shape) and their
        ``ranking.Candidates``, in the same order.
    """
    import numpy as np
    import pyarrow as pa

    personal = mode == "personalised"
    seen = _seen(events) if personal else []
    excluded = set(params["served"]) | {e["clip_id"] for e in seen}
    followees = _followees(follows) if personal else set()
    liked = {e["clip_id"] for e in seen if e["kind"] == "like"}
    liked_n: dict[str, int] = {}
    less_n: dict[str, int] = {}
    for e in seen:
        if e["kind"] == "like":
            liked_n[e["owner"]] = liked_n.get(e["owner"], 0) + 1
        elif e["kind"] == "see_less":
            less_n[e["owner"]] = less_n.get(e["owner"], 0) + 1
    locale_owners = snap.handles_of(params["locale"]) if params["locale"] else None
    pool = _warm_pool(snap, mode, params, seen, followees, newer)
    ids, owners = pool.column("clip_id").to_pylist(), pool.column("owner").to_pylist()
    keep = [i for i, (c, o) in enumerate(zip(ids, owners, strict=True))
            if c not in excluded and o != params["viewer"] and (locale_owners is None or o in locale_owners)]
    pool = pool.take(pa.array(keep, pa.int64()))
    ids, owners = [ids[i] for i in keep], [owners[i] for i in keep]
    parents = pool.column("parent_id").to_pylist()
    # Remixes in the day before the session's time, per candidate (the copy's edges, by parent).
    now_us = feed_snapshot.micro(params["now"])
    edges = snap.edges_by_parent.rows(ids)
    made = snap.edges.column("created_us").to_numpy()[edges]
    edges = edges[(made > now_us - 86_400_000_000) & (made <= now_us)]
    remixed: dict[str, int] = {}
    for parent in snap.edges.column("parent_id").take(pa.array(edges, pa.int64())).to_pylist():
        remixed[parent] = remixed.get(parent, 0) + 1
    hot = pool.column("hot").to_numpy(zero_copy_only=False)
    return pool, ranking.Candidates(
        clip_id=ids, owner=owners,
        created_s=feed_snapshot.micros(pool.column("created_at")) / 1e6,
        hot=np.asarray(hot, dtype=float),
        followed=np.array([o in followees for o in owners], dtype=bool),
        remix_of_liked=np.array([p in liked for p in parents], dtype=bool),
        liked_author_n=np.array([liked_n.get(o, 0) for o in owners], dtype=np.int64),
        less_n=np.array([less_n.get(o, 0) for o in owners], dtype=np.int64),
        remixes_today=np.array([remixed.get(c, 0) for c in ids], dtype=np.int64))


def _seen(events) -> list[dict]:
    """The viewer's events (``clip_id``, ``kind``, ``owner`` dicts) from their ``feed_viewer_events`` row (Arrow)."""
    return [e for row in events.column("events").to_pylist() for e in row]


def _followees(follows) -> set[str]:
    """Whom the viewer follows, from their ``follows`` rows (Arrow)."""
    return set(follows.column("followee").to_pylist())


def _warm_pool(snap: feed_snapshot.Snapshot, mode: str, params: dict, seen: list[dict], followees: set[str], newer):
    """The candidates ``candidate_pool.sql`` would read on the copy (for ``following``: the followed authors'
    clips of the window), found by key: an Arrow table in the shape of the copy's ``clip_rows``, each clip once.

    - the hottest: the first ``CANDIDATE_POOL`` clips of the hot list (``Snapshot.hot_rows``) created in
      ``($since, $now]`` and not excluded (served, and for the personalised feed seen);
    - the newest: the same over the clips created since the copy (newest first), then the newest list,
      created in ``($since_new, $now]``;
    - personalised: the clips in ``($since, $now]`` of the people the viewer follows (owner index, and the
      clips since the copy), and those whose remix edge from a clip the viewer liked was made in that window
      (the copy's edges by parent, then the clips by parent);
    - following: only the followed authors' clips.

    The caller makes sure the head lists suffice (``Snapshot.top_lists_suffice``).

    Args:
        snap: the snapshot.
        mode: one of :data:`MODES`.
        params: ``now``, ``since``, ``since_new``, ``served`` (see candidates.sql).
        seen: the viewer's events (:func:`_seen`; personalised only, else empty): seen clips are left out, and
            liked ones bring their remixes.
        followees: whom the viewer follows (:func:`_followees`; not read for popular).
        newer: the clips created since the copy, or None.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    us = {k: feed_snapshot.micro(params[k]) for k in ("now", "since", "since_new")}
    excluded = pa.array(sorted(set(params["served"]) | {e["clip_id"] for e in seen}), pa.string())
    followees = pa.array(sorted(followees) if mode != "popular" else [], pa.string())
    rows = snap.rows
    if newer is not None and newer.num_rows:
        newer = newer.append_column("hot", pa.nulls(newer.num_rows, pa.float64())).cast(rows.schema)
        newer = newer.sort_by([("created_at", "descending"), ("clip_id", "descending")])
    else:
        newer = rows.slice(0, 0)
    newer_us = feed_snapshot.micros(newer.column("created_at"))

    def take(table, found) -> pa.Table:  # row numbers as int64 (an empty Python list would have no type)
        return table.take(pa.array(np.asarray(found, dtype=np.int64)))

    def head(table, created, lo: int) -> np.ndarray:  # the source's first CANDIDATE_POOL rows that pass
        return feed_snapshot.passing(table, created, lo=lo, now=us["now"], excluded=excluded)[:CANDIDATE_POOL]

    def in_window(found: np.ndarray, created: np.ndarray) -> np.ndarray:
        return found[(created[found] > us["since"]) & (created[found] <= us["now"])]

    parts = []
    if mode != "following":
        parts.append(take(snap.hot_rows, head(snap.hot_rows, snap.hot_us, us["since"])))
        newest = pa.concat_tables([newer, snap.new_rows]) if newer.num_rows else snap.new_rows
        parts.append(take(newest, head(newest, np.concatenate([newer_us, snap.new_us]), us["since_new"])))
    if len(followees):
        parts.append(take(rows, in_window(snap.by_owner.rows(followees.to_pylist()), snap.created_us)))
        if newer.num_rows:
            mine = pc.is_in(newer.column("owner"), value_set=followees).to_numpy(zero_copy_only=False)
            parts.append(take(newer, in_window(np.flatnonzero(mine), newer_us)))
    liked = {e["clip_id"] for e in seen if e["kind"] == "like"}
    if liked:
        made = in_window(snap.edges_by_parent.rows(liked), snap.edges.column("created_us").to_numpy())
        children = set(take(snap.edges, made).column("child_id").to_pylist())
        remixes = in_window(snap.by_parent.rows(liked), snap.created_us)
        parts.append(take(rows, [i for i, c in zip(remixes, take(rows, remixes).column("clip_id").to_pylist(),
                                                   strict=True) if c in children]))
    if not parts:
        return rows.slice(0, 0)
    pool = pa.concat_tables(parts)
    ids = pool.column("clip_id").to_pylist()
    keep, met = [], set()
    for i, clip_id in enumerate(ids):  # each clip once (a hot clip of a followed author is in two sources)
        if clip_id not in met:
            met.add(clip_id)
            keep.append(i)
    return take(pool, keep) if len(keep) < len(ids) else pool


#: Ranked rows beyond the page's size whose visibility a warm page checks first (see _rank_warm; all of them
#: only when these cannot make the page). Each row checked costs the store a read of its row group (~0.3 ms).
_CHECK_HEAD_SPARE = 10


def _check_live(con, rows: list[tuple], params: dict) -> list[tuple]:
    """``rows`` (ranked on the snapshot) that ``access.visible_clip_sql`` lets the viewer see on the store now,
    in order, with the prompt and media hashes filled in from the store (the snapshot leaves them out)."""
    if not rows:
        return []
    # The ids as a list of parameters, not an unnested array: DuckDB then reads those rows through the
    # clips primary-key index (an unnested list scans the table); the rows are picked first and the rule
    # applied to those few (with the rule in the same WHERE, DuckDB joined its subqueries first).
    ids = {f"id{i}": r[0] for i, r in enumerate(rows)}
    ok = {r[0]: r[1:] for r in con.execute(
        f"""WITH picked AS MATERIALIZED (SELECT * FROM clips WHERE clip_id IN ({", ".join("$" + k for k in ids)}))
            SELECT c.clip_id, c.prompt, c.media_hash, c.thumb_hash FROM picked c
            WHERE {visible_clip_sql('$viewer', 'c')}""",
        {**ids, "viewer": params["viewer"], "viewer_teen": params["viewer_teen"]}).fetchall()}
    return [(r[0], r[1], ok[r[0]][0], r[3], ok[r[0]][1], ok[r[0]][2], *r[6:]) for r in rows if r[0] in ok]


def _pick(mode: str, rows: list[tuple], want: int, last_owner: str | None) -> list[tuple]:
    """The page's rows out of checked ``rows``: the first ``want`` for following, else interleaved."""
    return rows[:want] if mode == "following" else _interleave(rows, want, last_owner)


def _twice_in_a_row(rows: list[tuple], last_owner: str | None) -> bool:
    """Does any creator (``row[1]``) come twice in a row, counting ``last_owner`` before the first row?"""
    owners = [last_owner, *(r[1] for r in rows)]
    return any(a is not None and a == b for a, b in zip(owners, owners[1:], strict=False))


@functools.cache
def _empty(table: str):
    """An empty Arrow table in the shape of ``feed_viewer_events`` (migration 013) or ``follows`` (001): what
    the modes that do not read them rank with (see _rank_warm). Made on first use: pyarrow loads lazily."""
    import pyarrow as pa

    if table == "follows":
        return pa.table({"follower": pa.array([], pa.string()), "followee": pa.array([], pa.string())})
    event = pa.struct([("clip_id", pa.string()), ("kind", pa.string()), ("owner", pa.string())])
    return pa.table({"handle": pa.array([], pa.string()), "events": pa.array([], pa.list_(event))})


#: Seconds a session's later pages may reuse the viewer's events read by an earlier page (see _rank_warm).
EVENTS_REUSE_S = 60.0
_events_cache: dict[tuple[str, str], tuple[float, object]] = {}


def _events_reuse(snap: feed_snapshot.Snapshot, viewer: str):
    got = _events_cache.get((snap.store_key, viewer))
    return got[1] if got is not None and time.monotonic() - got[0] <= EVENTS_REUSE_S else None


def _events_keep(snap: feed_snapshot.Snapshot, viewer: str, events) -> None:
    if len(_events_cache) > 1000:  # a bound, not a policy: a server has far fewer viewers per process
        _events_cache.clear()
    _events_cache[(snap.store_key, viewer)] = (time.monotonic(), events)


def _interleave(rows: list[tuple], want: int, last_owner: str | None) -> list[tuple]:
    """Up to ``want`` rows, reordered so that no owner comes twice in a row (after ``last_owner``) while
    another owner's row is left.

    Greedy over at most a few hundred rows already ranked by SQL (owner is ``row[1]``): each step takes
    the best-ranked row whose owner differs from the previous one; when only the previous owner's rows
    are left, it takes the best of those. Diversity reorders, it never withholds: a feed of one
    creator still pages through all their clips.
    """
    left, out, prev = list(rows), [], last_owner
    while left and len(out) < want:
        k = next((i for i, r in enumerate(left) if r[1] != prev), 0)
        out.append(left.pop(k))
        prev = out[-1][1]
    return out


#: The explanation of a clip someone opened from a shared link.
SHARED_REASON = "shared with you"


def open_shared(store: Store, viewer: str, clip_id: str, *, now: dt.datetime | None = None) -> FeedItem | None:
    """The clip a shared link names, as a feed item for ``viewer``; None when it may not be shown.

    A link is something a browser sends, so it gets the feed's rules: the viewer must exist and not be
    disabled, may see the clip (``access.visible_clip_sql``, the feed's one rule), and a teen's daily
    limit and quiet hours apply (the clip is counted as served, like a page of one).

    Args:
        store: the store.
        viewer: the logged-in viewer (``session.current_user()``).
        clip_id: the clip the link names (any string: an unknown id gives None).
        now: the current time for the daily-limit counters (default: the server's clock).
    """
    h = normalise_handle(viewer)
    if not isinstance(clip_id, str) or not clip_id:
        return None
    with store.transaction() as con:
        params = _viewer(store, con, h)
        del params["clock"]
        limits = _limits()
        allowance = limits.feed_allowance(store, h, now=now, minor=params["viewer_teen"]) if limits else _Allowance()
        if allowance.remaining == 0:
            return None
        row = con.execute(
            f"""SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at
                FROM clips c WHERE c.clip_id = $clip AND {visible_clip_sql('$viewer', 'c')}""",
            {"clip": clip_id, "viewer": params["viewer"], "viewer_teen": params["viewer_teen"]}).fetchone()
        if row is None:
            return None
        if params["viewer_teen"] and limits:
            limits.record_served(store, h, 1, con=con, now=now, minor=params["viewer_teen"])
    return FeedItem(clip_id=row[0], owner=row[1], prompt=row[2], reason=SHARED_REASON, score=0.0, parent_id=row[3],
                    media_hash=row[4], thumb_hash=row[5], created_at=row[6])


def refresh_stats(store: Store) -> int:
    """Rebuild ``clip_stats`` (every clip's engagement counters and score) and ``feed_viewer_events`` (each
    viewer's events in one row) from the source tables.

    ``social.graph`` keeps the counters in step with each action; this is for a bulk load (the
    benchmark, a demo) or to repair drift. Returns the number of clips scored.

    Args:
        store: the store.
    """
    with store.transaction() as con:
        _sql.run(con, "refresh_stats.sql", {"complete": COMPLETE_FRACTION})
        _sql.run(con, "stats_rescore.sql", {"tau_s": FRESHNESS_TAU_S}, where="true")
        _sql.run(con, "refresh_viewer_events.sql")
        return int(con.execute("SELECT count(*) FROM clip_stats").fetchone()[0])
