"""In-app notifications: someone followed you, liked, commented, remixed your clip,
used your cameo, a guardian changed a setting or a link, a report was decided.

Services call :func:`notify` inside the transaction that does the action (pass its
``con``), so a notification exists exactly when the action happened. Nobody is
notified of their own action. Widgets list them with :func:`list_for` and mark
them read with :func:`mark_read`; both act only on the caller's own list.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import duckdb

from ..store import Store, new_id, normalise_handle, to_json

__all__ = ["KINDS", "list_for", "mark_read", "notify", "unread_count"]

#: Every kind of notification (the one definition: widgets word them from it).
KINDS = ("follow", "like", "comment", "remix", "cameo_use", "guardian_setting", "guardian_link", "report_decided",
         "message")

#: Longest list :func:`list_for` returns at once.
MAX_LIST = 500

_COLUMNS = ("notification_id", "recipient", "kind", "actor", "target_kind", "target_id", "detail", "created_at",
            "read_at")


def notify(
    store: Store,
    *,
    recipient: str,
    kind: str,
    actor: str | None,
    target_kind: str | None = None,
    target_id: str | None = None,
    detail: dict | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> str | None:
    """Record one notification for ``recipient``; returns its id (None when ``actor`` is the recipient).

    Args:
        store: the store.
        recipient: who is told (a handle).
        kind: one of :data:`KINDS`.
        actor: who did it (a handle; None for the system, e.g. a moderation decision).
        target_kind: what it is about: ``"clip"``, ``"comment"``, ``"cameo"``, ``"user"``, ``"case"``...
        target_id: the id of that thing.
        detail: small JSON-able extras shown in the list (e.g. ``{"text": "nice!"}``, ``{"setting": "dms"}``).
        con: the caller's open transaction; the notification is written in it (committed or
            rolled back with the action). Without it a transaction of its own is used.

    Raises ``ValueError`` for an unknown kind or a malformed handle.
    """
    if kind not in KINDS:
        raise ValueError(f"notification kind must be one of {', '.join(KINDS)}; got {kind!r}")
    recipient = normalise_handle(recipient)
    actor = normalise_handle(actor) if actor else None
    if actor == recipient:
        return None  # nobody needs telling what they just did
    nid = new_id("n_")
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(store.transaction())
        con.execute(
            "INSERT INTO notifications (notification_id, recipient, kind, actor, target_kind, target_id, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [nid, recipient, kind, actor, target_kind, target_id, to_json(detail or {})],
        )
    return nid


def list_for(store: Store, user: str, *, unread_only: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    """``user``'s notifications, newest first, as dicts (``detail`` decoded).

    Args:
        store: the store.
        user: whose list (the caller passes the logged-in user: a list is only ever its owner's).
        unread_only: only those not yet marked read.
        limit: at most this many (1 to :data:`MAX_LIST`).
    """
    user = normalise_handle(user)
    limit = max(1, min(int(limit), MAX_LIST))
    where = "recipient = ?" + (" AND read_at IS NULL" if unread_only else "")
    with store.read() as con:
        rows = con.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM notifications WHERE {where} "
            "ORDER BY created_at DESC, notification_id DESC LIMIT ?", [user, limit]).fetchall()
    out = []
    for row in rows:
        d = dict(zip(_COLUMNS, row, strict=True))
        d["detail"] = json.loads(d["detail"]) if isinstance(d["detail"], str) else (d["detail"] or {})
        out.append(d)
    return out


def unread_count(store: Store, user: str) -> int:
    """How many of ``user``'s notifications are unread."""
    with store.read() as con:
        return int(con.execute("SELECT count(*) FROM notifications WHERE recipient = ? AND read_at IS NULL",
                               [normalise_handle(user)]).fetchone()[0])


def mark_read(store: Store, user: str, notification_ids=None) -> int:
    """Mark ``user``'s notifications read; returns how many changed.

    Args:
        store: the store.
        user: whose notifications (other people's ids are ignored, never marked).
        notification_ids: the ids to mark; None marks all of ``user``'s unread ones.
    """
    user = normalise_handle(user)
    with store.transaction() as con:
        if notification_ids is None:
            rows = con.execute("UPDATE notifications SET read_at = current_timestamp "
                               "WHERE recipient = ? AND read_at IS NULL RETURNING 1", [user]).fetchall()
        else:
            ids = [str(i) for i in notification_ids]
            if not ids:
                return 0
            rows = con.execute("UPDATE notifications SET read_at = current_timestamp "
                               "WHERE recipient = ? AND read_at IS NULL AND list_contains(?, notification_id) "
                               "RETURNING 1", [user, ids]).fetchall()
    return len(rows)
