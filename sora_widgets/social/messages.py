"""Direct messages: conversations between two people, text and shared clips.

The one place these rules live (the messages panel, the feed's "share" and notebooks
all call :func:`send`; :func:`may_message` says why not before anyone types):

- no messages to yourself, to unknown or disabled accounts, or from a disabled one;
- blocked people (either way, ``social.graph.is_blocked``) cannot message each other;
- an adult never starts or continues a conversation with a teen (``social.accounts.is_minor``:
  a teen or an unconfirmed birthdate) unless linked as that teen's guardian
  (``social.guardians.is_guardian``); a teen cannot message an adult who is not their
  guardian either, so no conversation across the line exists at all;
- a teen's DMs follow their guardian's setting (``social.guardians.settings_for``):
  "off" (only their guardians), "followed_back" (only people the teen follows and who
  follow the teen), "on"; it applies to messages sent and received;
- text is checked by the same text moderation as prompts; a message it would block or
  hold is not sent (there is no reviewer for private messages, so doubt refuses);
- a shared clip must be one both people may see (``access.can_view``);
- read receipts: the time a message was read is shown to its sender only when the
  reader turned read receipts on (:func:`set_read_receipts`; off by default).

Every refusal raises :class:`MessageRefused` (a ``PermissionError``) or ``ValueError``
with a reason a person can act on, and changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import duckdb

from ..access import Decision, can_view
from ..store import NotFound, Store, new_id, normalise_handle
from ._people import account_state
from .accounts import is_minor
from .guardians import is_guardian, settings_for
from .notifications import notify

__all__ = ["MAX_MESSAGE_CHARS", "MessageRefused", "conversations", "may_message", "read_receipts_on", "send",
           "set_read_receipts", "thread"]

#: Longest message text (characters).
MAX_MESSAGE_CHARS = 2000


class MessageRefused(PermissionError):
    """A message that may not be sent, with the reason."""


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def _teen_allows(store: Store, con, teen: str, other: str) -> Decision:
    """Does ``teen``'s guardian setting allow DMs with ``other`` (a teen or their guardian)?"""
    from .graph import follows  # S1's graph; imported here so graph may import this module's callers freely

    if is_guardian(store, other, teen, con=con):
        return Decision(True)
    dms = settings_for(store, teen)["dms"]
    if dms == "off":
        return Decision(False, f"@{teen}'s direct messages are turned off by their guardian")
    if dms == "followed_back" and not (follows(store, teen, other) and follows(store, other, teen)):
        return Decision(False, f"@{teen} can only message people they follow who follow them back")
    return Decision(True)


def _decide(store: Store, con, sender: str, recipient: str) -> Decision:
    from .graph import is_blocked

    try:
        s = normalise_handle(sender)
        r = normalise_handle(recipient)
    except ValueError as e:
        return Decision(False, str(e))
    if s == r:
        return Decision(False, "you cannot send a message to yourself")
    s_state, r_state = account_state(con, s), account_state(con, r)
    if s_state is None:
        return Decision(False, f"there is no account @{s}")
    if s_state == "disabled":
        return Decision(False, f"the account @{s} is disabled and cannot send messages")
    if r_state is None:
        return Decision(False, f"there is no account @{r}; check the handle")
    if r_state == "disabled":
        return Decision(False, f"@{r}'s account is disabled; they cannot receive messages")
    if is_blocked(store, s, r):
        return Decision(False, f"you and @{r} cannot message each other (blocked)")
    s_minor, r_minor = is_minor(store, s), is_minor(store, r)
    if s_minor != r_minor:
        teen, adult = (s, r) if s_minor else (r, s)
        if not is_guardian(store, adult, teen, con=con):
            if r_minor:
                return Decision(False, f"@{r} is a teen: adults cannot message teens unless they are their guardian")
            return Decision(False, f"@{r} is an adult: teens can only message adults who are their guardian")
    for teen, other, minor in ((s, r, s_minor), (r, s, r_minor)):
        if minor:
            d = _teen_allows(store, con, teen, other)
            if not d:
                return d
    return Decision(True)


def may_message(store: Store, sender: str, recipient: str, *, con: duckdb.DuckDBPyConnection | None = None) -> Decision:
    """May ``sender`` send ``recipient`` a message now? Truthy or not, with ``.reason``.

    Args:
        store: the store.
        sender: the logged-in user.
        recipient: the other person's handle.
        con: an open connection to read through (default: a read of its own).
    """
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(store.read())
        return _decide(store, con, sender, recipient)


def _clean_text(text: str | None, *, clip_id: str | None) -> str:
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValueError(f"a message is text; got {type(text).__name__}")
    text = text.strip()
    if not text and not clip_id:
        raise ValueError("the message is empty; write something or share a clip")
    if len(text) > MAX_MESSAGE_CHARS:
        raise ValueError(f"the message is {len(text):,} characters; keep it under {MAX_MESSAGE_CHARS:,}")
    return text


def send(store: Store, *, sender: str, recipient: str, text: str | None = None, clip_id: str | None = None,
         now: dt.datetime | None = None) -> dict[str, Any]:
    """Send ``recipient`` a message from ``sender``; returns the stored message as a dict.

    Args:
        store: the store.
        sender: the logged-in user (never taken from the browser).
        recipient: the other person's handle.
        text: the message (1 to :data:`MAX_MESSAGE_CHARS` characters after trimming; optional
            when ``clip_id`` is given).
        clip_id: a clip to share; both people must be allowed to see it.
        now: the time to record (default: the server's clock).

    Raises ``MessageRefused`` (who may message whom, moderation, a clip they cannot see) or
    ``ValueError`` (empty or too long); nothing is stored then.
    """
    body = _clean_text(text, clip_id=clip_id)
    with store.read() as con:
        d = _decide(store, con, sender, recipient)
    if not d:
        raise MessageRefused(d.reason)
    s, r = normalise_handle(sender), normalise_handle(recipient)
    if clip_id is not None:
        for who in (s, r):
            if not can_view(store, clip_id, who):
                whom = "you" if who == s else f"@{r}"
                raise MessageRefused(f"{whom} cannot see clip {clip_id}, so it cannot be shared")
    verdict = None
    if body:
        from ..moderation.text import check_prompt

        verdict = check_prompt(body, source="message")
        if verdict.decision != "allow":
            why = "; ".join(verdict.reasons) or "it may break the community rules"
            raise MessageRefused(f"this message was not sent: {why}")
    now = now or dt.datetime.now()
    msg_id = new_id("m_")
    with store.transaction() as con:
        d = _decide(store, con, s, r)  # again, in the transaction that writes: a block or setting may have changed
        if not d:
            raise MessageRefused(d.reason)
        a, b = _pair(s, r)
        row = con.execute("SELECT conversation_id FROM conversations WHERE user_a = ? AND user_b = ?", [a, b]).fetchone()
        if row is None:
            conv = new_id("c_")
            con.execute("INSERT INTO conversations (conversation_id, user_a, user_b, started_by, created_at, "
                        "last_message_at) VALUES (?, ?, ?, ?, ?, ?)", [conv, a, b, s, now, now])
        else:
            conv = row[0]
            con.execute("UPDATE conversations SET last_message_at = ? WHERE conversation_id = ?", [now, conv])
        verdict_id = None
        if verdict is not None:
            from ..moderation.service import record_verdict

            verdict_id = record_verdict(store, verdict, target_kind="message", target_id=msg_id, user=s, subject=body)
        con.execute(
            "INSERT INTO messages (message_id, sender, recipient, body, created_at, conversation_id, kind, clip_id, "
            "verdict_id, decision) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'allow')",
            [msg_id, s, r, body, now, conv, "clip" if clip_id else "text", clip_id, verdict_id])
        store.audit(s, "message.send", "conversation", conv, {"message_id": msg_id, "to": r,
                                                                "kind": "clip" if clip_id else "text"}, con=con)
        notify(store, recipient=r, kind="message", actor=s, target_kind="conversation", target_id=conv,
               detail={"text": body[:80], "clip_id": clip_id}, con=con)
    return {"message_id": msg_id, "conversation_id": conv, "sender": s, "recipient": r, "body": body,
            "kind": "clip" if clip_id else "text", "clip_id": clip_id, "created_at": now, "read_at": None}


def conversations(store: Store, user: str) -> list[dict[str, Any]]:
    """``user``'s conversations, latest first: ``conversation_id``, ``other``, ``last_message_at``,
    ``last_text``, ``unread`` (messages to ``user`` not opened yet), ``can_send`` and ``why_not``."""
    u = normalise_handle(user)
    with store.read() as con:
        rows = con.execute(
            """SELECT c.conversation_id, CASE WHEN c.user_a = ? THEN c.user_b ELSE c.user_a END AS other,
                      c.last_message_at,
                      (SELECT m.body FROM messages m WHERE m.conversation_id = c.conversation_id
                       ORDER BY m.created_at DESC, m.message_id DESC LIMIT 1) AS last_text,
                      (SELECT count(*) FROM messages m WHERE m.conversation_id = c.conversation_id
                       AND m.recipient = ? AND m.read_at IS NULL) AS unread
               FROM conversations c WHERE c.user_a = ? OR c.user_b = ?
               ORDER BY c.last_message_at DESC""", [u, u, u, u]).fetchall()
        out = []
        for conv, other, last_at, last_text, unread in rows:
            d = _decide(store, con, u, other)
            out.append({"conversation_id": conv, "other": other, "last_message_at": last_at, "last_text": last_text,
                        "unread": int(unread), "can_send": d.allowed, "why_not": d.reason})
    return out


def read_receipts_on(store: Store, user: str) -> bool:
    """Did ``user`` choose to let senders see when they read messages? (off by default)"""
    with store.read() as con:
        row = con.execute("SELECT read_receipts FROM dm_preferences WHERE handle = ?",
                          [normalise_handle(user)]).fetchone()
    return bool(row and row[0])


def set_read_receipts(store: Store, user: str, on: bool) -> None:
    """``user`` turns their read receipts on or off (only their own)."""
    u = normalise_handle(user)
    with store.transaction() as con:
        if account_state(con, u) is None:
            raise NotFound(f"no user @{u}")
        con.execute("DELETE FROM dm_preferences WHERE handle = ?", [u])
        con.execute("INSERT INTO dm_preferences (handle, read_receipts) VALUES (?, ?)", [u, bool(on)])
        store.audit(u, "message.read_receipts", "user", u, {"on": bool(on)}, con=con)


def thread(store: Store, user: str, other: str, *, limit: int = 200, mark_read: bool = True) -> list[dict[str, Any]]:
    """The messages between ``user`` and ``other``, oldest first (the last ``limit``).

    Args:
        store: the store.
        user: the logged-in user (only their own conversations can be read).
        other: the other person.
        limit: at most this many of the latest messages.
        mark_read: mark the messages to ``user`` as read now.

    ``read_at`` of ``user``'s own messages is shown only if ``other`` turned read receipts on.
    """
    u, o = normalise_handle(user), normalise_handle(other)
    a, b = _pair(u, o)
    receipts = read_receipts_on(store, o)
    with contextlib.ExitStack() as stack:
        con = stack.enter_context(store.transaction() if mark_read else store.read())
        row = con.execute("SELECT conversation_id FROM conversations WHERE user_a = ? AND user_b = ?", [a, b]).fetchone()
        if row is None:
            return []
        if mark_read:
            con.execute("UPDATE messages SET read_at = current_timestamp WHERE conversation_id = ? AND recipient = ? "
                        "AND read_at IS NULL", [row[0], u])
        rows = con.execute(
            "SELECT message_id, sender, recipient, body, kind, clip_id, created_at, read_at FROM messages "
            "WHERE conversation_id = ? ORDER BY created_at DESC, message_id DESC LIMIT ?", [row[0], int(limit)]).fetchall()
    cols = ("message_id", "sender", "recipient", "body", "kind", "clip_id", "created_at", "read_at")
    out = [dict(zip(cols, r, strict=True)) for r in reversed(rows)]
    for m in out:
        if m["sender"] == u and not receipts:
            m["read_at"] = None
    return out
