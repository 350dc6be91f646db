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
the one before, and the same creator never comes twice in a row (across pages too); when
only one creator's clips remain, the page ends there. Every item says why it is there.

What may appear is one rule, ``access.visible_clip_sql`` (published, not removed, held or
hidden, author not disabled, no block either way, not mature for a teen), the list form
of ``access.can_view``.

Pagination: the first page opens a *session* (``feed_sessions``) with a snapshot time
``as_of``; clips created later wait for the next session, and the clips each page served
are recorded in order (``feed_session_items``). The next page ranks what is left, so paging
never repeats or skips an item while new clips arrive; an earlier cursor ("scrolling back")
shows its page again (minus what became invisible since). A cursor is ``<session>:<page>``
and only works for the viewer and mode that opened it.

Before ranking, the page asks ``social.limits.feed_allowance`` (a guardian may turn
personalisation off: the page is then "popular"; a daily limit may stop the feed) and counts
what it served with ``social.limits.record_served``, in the page's transaction.

The SQL lives in ``social/sql/`` (``ranked.sql``, ``following.sql``); ranking reads the
per-clip counters of ``clip_stats`` (kept in step by ``social.graph``, rebuilt by
:func:`refresh_stats`), so a page does not grow with the number of events.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from ..access import viewer_params, visible_clip_sql
from ..store import NotFound, Store, new_id, normalise_handle
from . import _sql
from ._people import account_state
from .graph import COMPLETE_FRACTION, FRESHNESS_TAU_S

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "MODES", "FeedItem", "FeedPage", "page", "refresh_stats"]

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

_CURSOR_RE = re.compile(r"^(fs[0-9a-f]{16}):(\d{1,6})$")


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
    parsed = _parse_cursor(cursor)
    limits = _limits()
    with store.transaction() as con:
        state = account_state(con, h)
        if state is None:
            raise NotFound(f"there is no user @{h}")
        if state == "disabled":
            raise PermissionError(f"@{h}'s account is disabled")
        allowance = limits.feed_allowance(store, h, now=now) if limits else _Allowance()
        if mode == "personalised" and not allowance.personalised:
            mode = "popular"  # a guardian's choice; the widget may not override it
        session = _session(con, h, mode, parsed)
        if session is None:  # first page (or a personalised session a guardian has turned off since)
            as_of = now or con.execute("SELECT current_timestamp::TIMESTAMP").fetchone()[0]
            session = {"session_id": new_id("fs"), "mode": mode, "locale": locale or "", "as_of": as_of, "pages": 0}
            con.execute("INSERT INTO feed_sessions (session_id, viewer, mode, locale, as_of) VALUES (?, ?, ?, ?, ?)",
                        [session["session_id"], h, mode, session["locale"], as_of])
            number = 0
        else:
            number = parsed[1]
        sid = session["session_id"]
        here = f"{sid}:{number}"
        prev = f"{sid}:{number - 1}" if number > 0 else None
        if allowance.remaining == 0:
            return FeedPage([], here, allowance.reason or "that's your feed for today", mode, here, prev)
        want = size if allowance.remaining is None else min(size, allowance.remaining)
        params = {**viewer_params(store, h), "session": sid, "now": session["as_of"],
                  "locale": session["locale"] or "", "tau_s": FRESHNESS_TAU_S}
        if number < session["pages"]:
            items = _replay(con, sid, number, params)[:want]
            full = True
        else:
            items = _new_page(con, session, number, want, params)
            full = len(items) == want
        if limits:
            limits.record_served(store, h, len(items), con=con, now=now)
    nxt = f"{sid}:{number + 1}" if full and items else None
    return FeedPage(items, nxt, None, mode, here, prev)


def _parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    if cursor is None:
        return None
    m = _CURSOR_RE.match(cursor) if isinstance(cursor, str) else None
    if not m:
        raise ValueError("this feed cursor is not one the feed gave; start again without a cursor")
    return m.group(1), int(m.group(2))


def _session(con, viewer: str, mode: str, parsed: tuple[str, int] | None) -> dict | None:
    """The session a cursor names, checked; None to open a new one."""
    if parsed is None:
        return None
    sid, number = parsed
    row = con.execute("SELECT viewer, mode, locale, as_of, pages FROM feed_sessions WHERE session_id = ?",
                      [sid]).fetchone()
    if row is None:
        raise ValueError("this feed cursor is unknown or expired; start again without a cursor")
    if row[0] != viewer:
        raise PermissionError("this feed cursor belongs to someone else")
    if row[1] != mode:
        if row[1] == "personalised" and mode == "popular":
            return None  # personalisation was turned off mid-session: start a popular one
        raise ValueError(f"this cursor belongs to the {row[1]} feed; ask for mode={row[1]!r} or start again")
    if number > row[4]:
        raise ValueError(f"this feed has {row[4]} pages so far; page {number} does not exist yet")
    return {"session_id": sid, "mode": row[1], "locale": row[2], "as_of": row[3], "pages": row[4]}


def _replay(con, sid: str, number: int, params: dict) -> list[FeedItem]:
    """Page ``number`` as served before, without what the viewer may no longer see."""
    rows = con.execute(
        f"""SELECT i.clip_id, i.owner, c.prompt, i.reason, i.score, c.parent_id, c.media_hash, c.thumb_hash,
                   c.created_at
            FROM feed_session_items i JOIN clips c ON c.clip_id = i.clip_id
            WHERE i.session_id = $session AND i.page = $page AND {visible_clip_sql('$viewer', 'c')}
            ORDER BY i.pos""",
        {"session": sid, "page": number, "viewer": params["viewer"], "viewer_teen": params["viewer_teen"]},
    ).fetchall()
    return [FeedItem(*r) for r in rows]


def _new_page(con, session: dict, number: int, want: int, params: dict) -> list[FeedItem]:
    """Rank what is left of the session, pick ``want`` items, record them as served."""
    sid, mode = session["session_id"], session["mode"]
    last = con.execute("SELECT owner FROM feed_session_items WHERE session_id = ? ORDER BY pos DESC LIMIT 1",
                       [sid]).fetchone()
    as_of = session["as_of"]
    windows = ((as_of - dt.timedelta(days=CANDIDATE_DAYS), as_of - dt.timedelta(days=1)), (_EPOCH, _EPOCH))
    for since, since_new in windows:  # recent clips first; further back only when they run out
        chosen = _rank(con, mode, {**params, "since": since, "since_new": since_new}, want, last[0] if last else None)
        if len(chosen) == want:
            break
    start = con.execute("SELECT count(*) FROM feed_session_items WHERE session_id = ?", [sid]).fetchone()[0]
    items = [FeedItem(clip_id=r[0], owner=r[1], prompt=r[2], parent_id=r[3], media_hash=r[4], thumb_hash=r[5],
                      created_at=r[6], score=float(r[7]), reason=r[8]) for r in chosen]
    if items:
        con.execute(  # one statement (executemany would run one per row)
            """INSERT INTO feed_session_items (session_id, page, pos, clip_id, owner, reason, score)
               SELECT $sid, $page, $start + k - 1, ids[k], owners[k], reasons[k], scores[k]
               FROM (SELECT $ids::VARCHAR[] AS ids, $owners::VARCHAR[] AS owners, $reasons::VARCHAR[] AS reasons,
                            $scores::DOUBLE[] AS scores), range(1, $n + 1) t(k)""",
            {"sid": sid, "page": number, "start": start, "n": len(items), "ids": [it.clip_id for it in items],
             "owners": [it.owner for it in items], "reasons": [it.reason for it in items],
             "scores": [it.score for it in items]})
    con.execute("UPDATE feed_sessions SET pages = ? WHERE session_id = ?", [number + 1, sid])
    return items


def _rank(con, mode: str, params: dict, want: int, last_owner: str | None) -> list[tuple]:
    """The next ``want`` rows of the session in ``mode`` (fewer at the end of what there is)."""
    visible = visible_clip_sql("$viewer", "c")
    if mode == "following":
        return _sql.run(con, "following.sql", {**params, "limit": want}, visible=visible).fetchall()
    rows = _sql.run(con, "ranked.sql", {**params, "personal": mode == "personalised", "pool": CANDIDATE_POOL,
                                        "limit": _RANKED_ROWS}, visible=visible).fetchall()
    return _interleave(rows, want, last_owner)


def _interleave(rows: list[tuple], want: int, last_owner: str | None) -> list[tuple]:
    """Up to ``want`` rows in ranked order such that no owner comes twice in a row (after ``last_owner``).

    Greedy over at most a few hundred rows already ranked by SQL (owner is ``row[1]``): each step takes
    the best-ranked row whose owner differs from the previous one; when none is left, the page ends.
    """
    left, out, prev = list(rows), [], last_owner
    while left and len(out) < want:
        k = next((i for i, r in enumerate(left) if r[1] != prev), None)
        if k is None:
            break
        out.append(left.pop(k))
        prev = out[-1][1]
    return out


def refresh_stats(store: Store) -> int:
    """Rebuild ``clip_stats`` (every clip's engagement counters and score) from the source tables.

    ``social.graph`` keeps the counters in step with each action; this is for a bulk load (the
    benchmark, a demo) or to repair drift. Returns the number of clips scored.

    Args:
        store: the store.
    """
    with store.transaction() as con:
        _sql.run(con, "refresh_stats.sql", {"complete": COMPLETE_FRACTION})
        _sql.run(con, "stats_rescore.sql", {"tau_s": FRESHNESS_TAU_S}, where="true")
        return int(con.execute("SELECT count(*) FROM clip_stats").fetchone()[0])
