"""Follows, blocks, likes, comments, views, "see less", skips and reports: the social graph's rules, once.

Every function takes the acting user and checks it in the transaction that writes:

- the actor exists and is not disabled (``PermissionError`` / ``NotFound`` otherwise);
- an action on a clip needs ``access.can_view`` (drafts, held, removed, blocked,
  disabled authors and mature clips for teens are refused the same way they are hidden);
- a block hides each person from the other everywhere: :func:`is_blocked` is what
  the feed (through ``access.visible_clip_sql``), comments, DMs (``social.messages``)
  and cameo audiences (``cameo.consent``) ask; blocking also ends follows both ways;
- comments go through the text moderation prompts go through
  (``moderation.text.check_prompt``, the verdict recorded): blocked text is refused,
  text that needs review is kept "held" (its author sees it, nobody else);
- a report opens a case in the review queue (``moderation.review.open_report_case``);
- the owner of a clip is notified of likes and comments, a person of new followers
  (``social.notifications.notify``, in the same transaction).

Each engagement also bumps the clip's counters in ``clip_stats`` in the same
transaction (the feed ranks from them; ``social.feed.refresh_stats`` rebuilds them).
Bad input (empty or over-long text, a watched fraction outside 0-1, acting on oneself)
raises ``ValueError`` with a readable message and changes nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb

from ..access import can_view
from ..moderation.review import MAX_REPORT_CHARS  # one definition: the review queue keeps what it shows
from ..store import NotFound, Store, new_id, normalise_handle
from . import _sql
from ._people import account_state

__all__ = [
    "COMPLETE_FRACTION",
    "CommentBlocked",
    "FRESHNESS_TAU_S",
    "MAX_COMMENT_CHARS",
    "MAX_REPORT_CHARS",
    "block",
    "comment",
    "comments",
    "follow",
    "followers",
    "following",
    "follows",
    "is_blocked",
    "like",
    "record_remix",
    "report",
    "see_less",
    "skip",
    "unblock",
    "unfollow",
    "unlike",
    "view",
]

#: Longest comment, in characters (after trimming spaces).
MAX_COMMENT_CHARS = 500
#: A view that watched at least this fraction of the clip counts as a completion.
COMPLETE_FRACTION = 0.9

#: Freshness decay time constant of the feed, in seconds: a clip's score is its engagement
#: rate x exp(-age / FRESHNESS_TAU_S) (half of it after ~16.6 hours).
FRESHNESS_TAU_S = 86400.0


class CommentBlocked(PermissionError):
    """Moderation refused a comment's text; ``verdict`` holds the reasons (like ``publishing.Blocked``,
    which this module cannot import: publishing -> cameo.consent -> social.graph)."""

    def __init__(self, message: str, verdict=None):
        super().__init__(message)
        self.verdict = verdict


# ------------------------------------------------------------------ checks
@contextlib.contextmanager
def _acting(store: Store, user: str) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A transaction and the acting user's normalised handle, after checking they may act."""
    h = _handle(user, "you")
    with store.transaction() as con:
        _require_active(con, h, "you")
        yield con, h


def _handle(user: str, who: str) -> str:
    try:
        return normalise_handle(user)
    except ValueError as exc:
        raise ValueError(f"{who}: {exc}") from None


def _require_active(con, handle: str, who: str) -> None:
    state = account_state(con, handle)
    if state is None:
        raise NotFound(f"there is no user @{handle}")
    if state == "disabled":
        raise PermissionError(f"@{handle}'s account is disabled" if who != "you"
                              else f"your account @{handle} is disabled; it cannot act")


def _require_clip(store: Store, clip_id: str, user: str) -> str:
    """The clip's owner if ``user`` may see it; ``PermissionError``/``NotFound`` with the reason otherwise."""
    if not isinstance(clip_id, str) or not clip_id:
        raise ValueError("clip_id must be a clip's id, e.g. 'c1a2b3...'")
    d = can_view(store, clip_id, user)
    if not d:
        if "does not exist" in d.reason:
            raise NotFound(d.reason)
        raise PermissionError(f"you cannot act on this clip: {d.reason}")
    with store.read() as con:
        return con.execute("SELECT owner FROM clips WHERE clip_id = ?", [clip_id]).fetchone()[0]


def _bump(con, clip_id: str, **deltas: int) -> None:
    """Add ``deltas`` to the clip's counters in ``clip_stats`` and re-score it (one row)."""
    cols = list(deltas)
    con.execute(
        f"""INSERT INTO clip_stats (clip_id, created_at, {', '.join(cols)})
            SELECT clip_id, created_at, {', '.join('?' for _ in cols)} FROM clips WHERE clip_id = ?
            ON CONFLICT (clip_id) DO UPDATE SET
            {', '.join(f'{c} = greatest(0, clip_stats.{c} + excluded.{c})' for c in cols)}""",
        [*deltas.values(), clip_id])
    _sql.run(con, "stats_rescore.sql", {"clip": clip_id, "tau_s": FRESHNESS_TAU_S}, where="clip_id = $clip")


def _event(con, user: str, clip_id: str, kind: str, watched_fraction: float | None = None) -> str:
    event_id = new_id("e")
    # social/sql/event_add.sql also appends it to the viewer's feed_viewer_events row (the feed reads that).
    _sql.run(con, "event_add.sql", {"event": event_id, "handle": user, "clip": clip_id, "kind": kind,
                                    "fraction": watched_fraction})
    return event_id


def _notify(store: Store, con, **kw) -> None:
    """``social.notifications.notify`` in the caller's transaction (S2's module; skipped until it exists)."""
    try:
        from .notifications import notify
    except ImportError:  # pragma: no cover - only before social.notifications landed
        return
    notify(store, con=con, **kw)


def _text(body: object, what: str, limit: int) -> str:
    if not isinstance(body, str):
        raise ValueError(f"{what} must be text")
    text = body.replace("\x00", "").strip()
    if not text:
        raise ValueError(f"{what} is empty; write something first")
    if len(text) > limit:
        raise ValueError(f"{what} is {len(text):,} characters; keep it to {limit:,}")
    return text


# ------------------------------------------------------------------ follows and blocks
def follows(store: Store, follower: str, followee: str) -> bool:
    """Does ``follower`` follow ``followee``? (False for unknown or malformed handles.)

    Args:
        store: the store.
        follower: a handle.
        followee: a handle.
    """
    try:
        a, b = normalise_handle(follower), normalise_handle(followee)
    except ValueError:
        return False
    with store.read() as con:
        return con.execute("SELECT 1 FROM follows WHERE follower = ? AND followee = ?", [a, b]).fetchone() is not None


def is_blocked(store: Store, a: str, b: str, *, con: duckdb.DuckDBPyConnection | None = None) -> bool:
    """Has ``a`` blocked ``b`` or ``b`` blocked ``a``? The one question every feature asks about blocks.

    Args:
        store: the store.
        a: a handle.
        b: another handle.
        con: an open connection of ``store`` (a caller's transaction), else one is opened.
    """
    try:
        a, b = normalise_handle(a), normalise_handle(b)
    except ValueError:
        return False
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(store.read())
        return con.execute("SELECT 1 FROM blocks WHERE (blocker = ? AND blocked = ?) OR (blocker = ? AND blocked = ?)",
                           [a, b, b, a]).fetchone() is not None


def follow(store: Store, user: str, target: str) -> bool:
    """``user`` follows ``target``; returns False if they already did. ``target`` is notified.

    Args:
        store: the store.
        user: the acting user (from ``session.current_user()``).
        target: whom to follow.

    Raises:
        ValueError: following yourself, or a malformed handle.
        NotFound: no such user. PermissionError: a disabled account, or a block between you.
    """
    t = _handle(target, "the person to follow")
    with _acting(store, user) as (con, h):
        if t == h:
            raise ValueError("you can't follow yourself")
        _require_active(con, t, "them")
        if is_blocked(store, h, t, con=con):
            raise PermissionError(f"you can't follow @{t}: a block stands between you")
        if con.execute("SELECT 1 FROM follows WHERE follower = ? AND followee = ?", [h, t]).fetchone():
            return False
        con.execute("INSERT INTO follows (follower, followee) VALUES (?, ?)", [h, t])
        store.audit(h, "social.follow", "user", t, {}, con=con)
        _notify(store, con, recipient=t, kind="follow", actor=h, target_kind="user", target_id=h)
    return True


def unfollow(store: Store, user: str, target: str) -> bool:
    """``user`` stops following ``target``; returns False if they did not follow.

    Args:
        store: the store.
        user: the acting user.
        target: whom to unfollow.
    """
    t = _handle(target, "the person to unfollow")
    with _acting(store, user) as (con, h):
        gone = con.execute("DELETE FROM follows WHERE follower = ? AND followee = ? RETURNING 1", [h, t]).fetchall()
        if gone:
            store.audit(h, "social.unfollow", "user", t, {}, con=con)
    return bool(gone)


def block(store: Store, user: str, target: str) -> bool:
    """``user`` blocks ``target``: each disappears from the other's feed, comments, DMs and cameo audience,
    and follows between them end. Returns False if already blocked.

    Args:
        store: the store.
        user: the acting user.
        target: whom to block (any existing account, a disabled one too).

    Raises ``ValueError`` for yourself, ``NotFound`` for an unknown user.
    """
    t = _handle(target, "the person to block")
    with _acting(store, user) as (con, h):
        if t == h:
            raise ValueError("you can't block yourself")
        if account_state(con, t) is None:
            raise NotFound(f"there is no user @{t}")
        if con.execute("SELECT 1 FROM blocks WHERE blocker = ? AND blocked = ?", [h, t]).fetchone():
            return False
        con.execute("INSERT INTO blocks (blocker, blocked) VALUES (?, ?)", [h, t])
        ended = con.execute("DELETE FROM follows WHERE (follower = ? AND followee = ?) OR (follower = ? AND followee = ?) "
                            "RETURNING follower", [h, t, t, h]).fetchall()
        store.audit(h, "social.block", "user", t, {"follows_ended": len(ended)}, con=con)
    return True


def unblock(store: Store, user: str, target: str) -> bool:
    """``user`` lifts their block of ``target`` (follows are not restored); returns False if there was none.

    Args:
        store: the store.
        user: the acting user.
        target: whom to unblock.
    """
    t = _handle(target, "the person to unblock")
    with _acting(store, user) as (con, h):
        gone = con.execute("DELETE FROM blocks WHERE blocker = ? AND blocked = ? RETURNING 1", [h, t]).fetchall()
        if gone:
            store.audit(h, "social.unblock", "user", t, {}, con=con)
    return bool(gone)


def following(store: Store, user: str) -> list[str]:
    """Whom ``user`` follows, alphabetically."""
    h = _handle(user, "user")
    with store.read() as con:
        return [r[0] for r in con.execute("SELECT followee FROM follows WHERE follower = ? ORDER BY 1", [h]).fetchall()]


def followers(store: Store, user: str) -> list[str]:
    """Who follows ``user``, alphabetically."""
    h = _handle(user, "user")
    with store.read() as con:
        return [r[0] for r in con.execute("SELECT follower FROM follows WHERE followee = ? ORDER BY 1", [h]).fetchall()]


# ------------------------------------------------------------------ engagement
def like(store: Store, user: str, clip_id: str) -> bool:
    """``user`` likes ``clip_id`` (which they must be able to see); returns False if they already did.

    Args:
        store: the store.
        user: the acting user.
        clip_id: the clip.
    """
    with _acting(store, user) as (con, h):
        owner = _require_clip(store, clip_id, h)
        if con.execute("SELECT 1 FROM likes WHERE handle = ? AND clip_id = ?", [h, clip_id]).fetchone():
            return False
        con.execute("INSERT INTO likes (handle, clip_id) VALUES (?, ?)", [h, clip_id])
        _event(con, h, clip_id, "like")
        _bump(con, clip_id, likes=1)
        _notify(store, con, recipient=owner, kind="like", actor=h, target_kind="clip", target_id=clip_id)
    return True


def record_remix(store: Store, parent_id: str, *, clip_id: str, author: str, con: duckdb.DuckDBPyConnection) -> None:
    """Count a published remix of ``parent_id`` (its ``clip_stats.remixes``) and tell the parent's owner.

    Called by ``publishing.publish`` in its transaction, after the author's right to see the parent
    was checked there.

    Args:
        store: the store.
        parent_id: the remixed clip.
        clip_id: the new remix.
        author: the remix's author.
        con: the publishing transaction.
    """
    _bump(con, parent_id, remixes=1)
    row = con.execute("SELECT owner FROM clips WHERE clip_id = ?", [parent_id]).fetchone()
    if row is not None:
        _notify(store, con, recipient=row[0], kind="remix", actor=author, target_kind="clip", target_id=clip_id,
                detail={"parent_id": parent_id})


def unlike(store: Store, user: str, clip_id: str) -> bool:
    """``user`` takes back their like of ``clip_id``; returns False if there was none."""
    with _acting(store, user) as (con, h):
        gone = con.execute("DELETE FROM likes WHERE handle = ? AND clip_id = ? RETURNING 1", [h, clip_id]).fetchall()
        if gone:
            _bump(con, clip_id, likes=-1)
    return bool(gone)


def comment(store: Store, user: str, clip_id: str, body: str) -> dict:
    """``user`` comments ``body`` on ``clip_id``; returns ``{"comment_id", "status", "reasons"}``.

    The text goes through the prompt moderation (``moderation.text.check_prompt``; verdict recorded
    with ``target_kind="comment"``): blocked text is refused, text needing review is kept with status
    "held" (only its author sees it), the rest is "visible" and the clip's owner is notified.

    Args:
        store: the store.
        user: the acting user.
        clip_id: a clip ``user`` may see (a block between them and the owner refuses).
        body: 1 to :data:`MAX_COMMENT_CHARS` characters (spaces trimmed).

    Raises:
        ValueError: empty or too long. CommentBlocked: moderation refused the text. PermissionError: may not
            see the clip.
    """
    from ..moderation.service import record_verdict
    from ..moderation.text import check_prompt

    text = _text(body, "the comment", MAX_COMMENT_CHARS)
    with _acting(store, user) as (con, h):
        owner = _require_clip(store, clip_id, h)
        verdict = check_prompt(text, source="comment")
        comment_id = new_id("cm")
        verdict_id = record_verdict(store, verdict, target_kind="comment", target_id=comment_id, user=h, subject=text)
        if verdict.decision == "block":
            reasons = "; ".join(verdict.reasons) or "it breaks the content policy"
            exc = CommentBlocked(f"this comment can't be posted: {reasons}", verdict)
        else:
            exc = None
            status = "held" if verdict.decision == "review" else "visible"
            con.execute("INSERT INTO comments (comment_id, clip_id, author, body, status, verdict_id) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [comment_id, clip_id, h, text, status, verdict_id])
            _event(con, h, clip_id, "comment")
            store.audit(h, "social.comment", "comment", comment_id, {"clip_id": clip_id, "status": status}, con=con)
            if status == "visible":
                _bump(con, clip_id, comments=1)
                _notify(store, con, recipient=owner, kind="comment", actor=h, target_kind="clip", target_id=clip_id,
                        detail={"text": text[:120], "comment_id": comment_id})
    if exc is not None:  # raised after commit: the refused text's verdict stays on record
        raise exc
    return {"comment_id": comment_id, "status": status, "reasons": list(verdict.reasons)}


def comments(store: Store, viewer: str, clip_id: str, *, limit: int = 200) -> list[dict]:
    """The comments ``viewer`` may read on ``clip_id``, oldest first.

    Hidden: comments by people blocked either way with ``viewer``, by disabled accounts, and held
    comments of others. Each: comment_id, author, body, status, created_at.

    Args:
        store: the store.
        viewer: who reads (must be able to see the clip).
        clip_id: the clip.
        limit: at most this many (1-1000).
    """
    h = _handle(viewer, "viewer")
    _require_clip(store, clip_id, h)
    limit = max(1, min(int(limit), 1000))
    with store.read() as con:
        rows = con.execute(
            """SELECT m.comment_id, m.author, m.body, m.status, m.created_at FROM comments m
               WHERE m.clip_id = $clip AND (m.status = 'visible' OR m.author = $viewer)
                 AND NOT EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker = $viewer AND b.blocked = m.author)
                                                          OR (b.blocker = m.author AND b.blocked = $viewer))
                 AND NOT EXISTS (SELECT 1 FROM auth_accounts a WHERE a.handle = m.author AND a.disabled_at IS NOT NULL)
               ORDER BY m.created_at, m.comment_id LIMIT $limit""",
            {"clip": clip_id, "viewer": h, "limit": limit}).fetchall()
    keys = ("comment_id", "author", "body", "status", "created_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def view(store: Store, user: str, clip_id: str, *, watched_fraction: float) -> None:
    """Record that ``user`` watched ``watched_fraction`` (0-1) of ``clip_id``.

    At :data:`COMPLETE_FRACTION` or more it also counts as a completion. Viewed clips leave the
    personalised feed (``social.feed``) except when scrolling back.

    Args:
        store: the store.
        user: the acting user.
        clip_id: a clip ``user`` may see.
        watched_fraction: how much of the clip played, 0.0 to 1.0 (loops count as 1.0).
    """
    try:
        f = float(watched_fraction)
    except (TypeError, ValueError):
        raise ValueError(f"watched_fraction must be a number from 0 to 1; got {watched_fraction!r}") from None
    if not 0.0 <= f <= 1.0:  # also refuses NaN
        raise ValueError(f"watched_fraction must be from 0 to 1; got {watched_fraction!r}")
    with _acting(store, user) as (con, h):
        _require_clip(store, clip_id, h)
        _event(con, h, clip_id, "view", f)
        _bump(con, clip_id, views=1, completions=int(f >= COMPLETE_FRACTION))


def skip(store: Store, user: str, clip_id: str) -> None:
    """``user`` swiped past ``clip_id`` quickly (a mild negative signal for the clip)."""
    with _acting(store, user) as (con, h):
        _require_clip(store, clip_id, h)
        _event(con, h, clip_id, "skip")
        _bump(con, clip_id, skips=1)


def see_less(store: Store, user: str, clip_id: str) -> None:
    """``user`` asked to see less like ``clip_id``: the clip scores lower for everyone and its author
    much lower in ``user``'s personalised feed."""
    with _acting(store, user) as (con, h):
        _require_clip(store, clip_id, h)
        _event(con, h, clip_id, "see_less")
        _bump(con, clip_id, see_less=1)


def report(store: Store, user: str, clip_id: str, reason: str) -> dict:
    """``user`` reports ``clip_id``: a case opens in the review queue; returns ``{"report_id", "case_id"}``.

    The clip is not hidden by a report (a person decides); one report per person and clip.

    Args:
        store: the store.
        user: the acting user (not the clip's owner; must be able to see it).
        clip_id: the clip.
        reason: what is wrong, 1 to :data:`MAX_REPORT_CHARS` characters.

    Raises ``ValueError`` for an empty or too long reason, your own clip, or a second report.
    """
    from ..moderation.review import open_report_case

    text = _text(reason, "the reason", MAX_REPORT_CHARS)
    with _acting(store, user) as (con, h):
        owner = _require_clip(store, clip_id, h)
        if owner == h:
            raise ValueError("this is your own clip: delete or edit it instead of reporting it")
        if con.execute("SELECT 1 FROM reports WHERE reporter = ? AND clip_id = ?", [h, clip_id]).fetchone():
            raise ValueError("you already reported this clip; a reviewer will look at it")
        case_id = open_report_case(store, reporter=h, clip_id=clip_id, reason=text)
        report_id = new_id("rp")
        con.execute("INSERT INTO reports (report_id, reporter, clip_id, reason, case_id) VALUES (?, ?, ?, ?, ?)",
                    [report_id, h, clip_id, text, case_id])
        _event(con, h, clip_id, "report")
        _bump(con, clip_id, reports=1)
        store.audit(h, "social.report", "clip", clip_id, {"report_id": report_id, "case_id": case_id}, con=con)
    return {"report_id": report_id, "case_id": case_id}
