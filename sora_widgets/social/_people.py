"""Small lookups the social services share (no rules here, only facts about accounts)."""

from __future__ import annotations

import duckdb

from ..store import normalise_handle

__all__ = ["account_state", "account_row"]

#: The one statement for an account's facts: disabled (``auth_accounts.disabled_at`` set), the stored birthdate
#: and whether it was confirmed, and the store's clock, so a caller that needs all four makes one round trip.
_ACCOUNT_SQL = ("SELECT a.disabled_at IS NOT NULL, u.birthdate, u.birthdate_confirmed, current_timestamp::TIMESTAMP{also} "
                "FROM users u LEFT JOIN auth_accounts a ON a.handle = u.handle WHERE u.handle = $account_handle")


def account_row(con: duckdb.DuckDBPyConnection, h: str, *, also: tuple[str, ...] = (),
                params: dict | None = None) -> tuple | None:
    """``(disabled, birthdate, birthdate_confirmed, clock)`` of a normalised handle, or None if there is no such user.

    Args:
        con: an open store connection.
        h: a normalised handle (``normalise_handle``), without '@'.
        also: more columns to read in the same statement (one round trip through a store service), each a
            fixed SQL expression (a scalar subquery; never input); their values follow the four in the row.
        params: the named parameters those expressions read (``$account_handle`` is ``h``).
    """
    return con.execute(_ACCOUNT_SQL.format(also="".join(f", {e}" for e in also)),
                       {**(params or {}), "account_handle": h}).fetchone()


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
    row = account_row(con, h)
    if row is None:
        return None
    return "disabled" if row[0] else "active"
