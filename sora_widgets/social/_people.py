"""Small lookups the social services share (no rules here, only facts about accounts)."""

from __future__ import annotations

import duckdb

from ..store import normalise_handle

__all__ = ["account_state"]


def account_state(con: duckdb.DuckDBPyConnection, handle: str) -> str | None:
    """"active", "disabled" (an admin disabled the login) or None (no such user, or not a handle).

    Args:
        con: an open store connection.
        handle: the handle to look up (with or without '@').
    """
    try:
        h = normalise_handle(handle)
    except ValueError:
        return None
    row = con.execute(
        "SELECT a.disabled_at IS NOT NULL FROM users u LEFT JOIN auth_accounts a ON a.handle = u.handle "
        "WHERE u.handle = ?", [h]).fetchone()
    if row is None:
        return None
    return "disabled" if row[0] else "active"
