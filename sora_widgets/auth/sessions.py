"""Server-side login sessions.

The login cookie carries a random 256-bit session id (signed by tornado with the
cookie secret); the store keeps only its SHA-256 with the handle, the client
address and an absolute expiry. A session is live while it has not expired, has
not been ended (logout, account disabled, password changed) and its account is
not disabled — so a copied cookie stops working the moment its owner logs out.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time

import duckdb

from ..store import Store, normalise_handle

__all__ = ["SESSION_TTL_S", "create_session", "session_hash", "session_user", "session_user_by_hash", "end_session", "end_sessions", "live_sessions"]

# Absolute lifetime of a login (s): after two weeks, log in again.
SESSION_TTL_S = 14 * 24 * 3600.0


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def create_session(store: Store, handle: str, *, client: str = "", ttl_s: float = SESSION_TTL_S,
                   now: float | None = None) -> str:
    """Start a session for ``handle``; returns the session id to put in the cookie.

    Args:
        store: the Store.
        handle: a user who has just proved their password.
        client: the remote address (kept for the audit log and the admin page).
        ttl_s: lifetime in seconds.
        now: the clock (Unix seconds), for tests.
    """
    h = normalise_handle(handle)
    sid = secrets.token_urlsafe(32)
    t = time.time() if now is None else now
    with store.transaction() as con:
        con.execute(
            "INSERT INTO auth_sessions (session_hash, handle, client, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_digest(sid), h, client[:64], t, t + ttl_s],
        )
    return sid


def session_hash(session_id: str) -> str:
    """What the store keeps of a session id (and what the kernel's identity token names)."""
    return _digest(session_id)


def session_user(store: Store, session_id: str | None, *, now: float | None = None) -> str | None:
    """The handle of a live session, or None (unknown, expired, ended, or account disabled)."""
    if not session_id or not isinstance(session_id, str) or len(session_id) > 128:
        return None
    return session_user_by_hash(store, _digest(session_id), now=now)


def session_user_by_hash(store: Store, digest: str, *, now: float | None = None) -> str | None:
    """``session_user`` for a session known by its hash (the kernel's view)."""
    t = time.time() if now is None else now
    with store.read() as con:
        row = con.execute(
            "SELECT s.handle FROM auth_sessions s LEFT JOIN auth_accounts a ON a.handle = s.handle "
            "WHERE s.session_hash = ? AND s.ended_at IS NULL AND s.expires_at > ? AND a.disabled_at IS NULL",
            [digest, t],
        ).fetchone()
    return row[0] if row else None


def end_session(store: Store, session_id: str, *, reason: str = "logout") -> str | None:
    """End one session (logout); returns its handle, or None if it was not live."""
    with store.transaction() as con:
        row = con.execute(
            "UPDATE auth_sessions SET ended_at = ?, end_reason = ? WHERE session_hash = ? AND ended_at IS NULL "
            "RETURNING handle",
            [time.time(), reason, _digest(session_id)],
        ).fetchone()
        if row:
            store.audit(row[0], "auth.logout", "user", row[0], {"reason": reason}, con=con)
    return row[0] if row else None


def end_sessions(store: Store, handle: str, *, reason: str, con: duckdb.DuckDBPyConnection | None = None) -> int:
    """End every open session of ``handle`` (disable, password change); returns how many."""
    h = normalise_handle(handle)
    with (store.transaction() if con is None else contextlib.nullcontext(con)) as c:
        rows = c.execute(
            "UPDATE auth_sessions SET ended_at = ?, end_reason = ? WHERE handle = ? AND ended_at IS NULL "
            "RETURNING session_hash",
            [time.time(), reason, h],
        ).fetchall()
    return len(rows)


def live_sessions(store: Store, handle: str, *, now: float | None = None) -> int:
    """How many live sessions ``handle`` has (the admin page shows it)."""
    t = time.time() if now is None else now
    with store.read() as con:
        return int(con.execute(
            "SELECT count(*) FROM auth_sessions WHERE handle = ? AND ended_at IS NULL AND expires_at > ?",
            [normalise_handle(handle), t],
        ).fetchone()[0])

