"""Accounts and roles: the rules, once, for the sign-up page, the admin dashboard and the CLI.

Rules:
- an account is created through ``social.accounts.sign_up`` (age rules: under 13
  refused, 13-17 a teen account) and gets an Argon2id password;
- the first adult account created on a home with no admin who can log in becomes the admin
  (a fresh ``make studio`` needs no extra step); the promotion happens in the same
  transaction as the password row, so two people signing up at once cannot both win;
- only an admin, or the local machine owner (``LOCAL_OWNER``: whoever runs the
  ``sora-widgets`` CLI, who owns the store files anyway), grants roles, disables
  accounts or resets passwords;
- staff roles (``access.STAFF_ROLES``) need an adult account; the last active admin
  cannot be demoted or disabled (no one could administer the home afterwards);
- disabling an account ends its open sessions; every change is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import time

from ..access import STAFF_ROLES
from ..store import NotFound, Store, normalise_handle
from ..store.store import ROLES
from .passwords import check_password_rules, hash_password
from .sessions import end_sessions

__all__ = ["LOCAL_OWNER", "create_account", "require_admin", "set_role", "disable", "enable", "reset_password", "list_users"]

# The actor name for the machine owner at the command line; '-' can never be in a handle.
LOCAL_OWNER = "local-owner"


def require_admin(store: Store, by: str) -> str:
    """``by`` (normalised) if it is an active admin or ``LOCAL_OWNER``; ``PermissionError`` otherwise."""
    if by == LOCAL_OWNER:
        return by
    h = normalise_handle(by)
    with store.read() as con:
        row = con.execute(
            "SELECT u.role, a.disabled_at FROM users u LEFT JOIN auth_accounts a ON a.handle = u.handle "
            "WHERE u.handle = ?", [h]).fetchone()
    if not row or row[0] != "admin" or row[1] is not None:
        raise PermissionError(f"@{h} is not an admin; only admins manage accounts")
    return h


def _active_admins(con) -> int:
    # Admins who can log in: a demo admin without a password administers nothing.
    return int(con.execute(
        "SELECT count(*) FROM users u JOIN auth_accounts a ON a.handle = u.handle "
        "WHERE u.role = 'admin' AND a.disabled_at IS NULL AND a.password_hash IS NOT NULL").fetchone()[0])


def create_account(store: Store, handle: str, *, password: str, birthdate: str | dt.date,
                   display_name: str | None = None, role: str | None = None, by: str | None = None) -> dict:
    """Create an account that can log in; returns ``{"handle", "role", "band"}``.

    Args:
        store: the Store.
        handle: 2-30 of a-z, 0-9, '_' and '.'.
        password: at least ``MIN_PASSWORD_CHARS`` characters (hashed with Argon2id).
        birthdate: YYYY-MM-DD; under 13 is refused (``PermissionError``), 13-17 makes a teen account.
        display_name: the name shown to others (default: the handle).
        role: None (sign-up): a creator, or the admin if it is the first account on this home;
            "creator" exactly; other roles only ``by`` an admin or ``LOCAL_OWNER``.
        by: who creates it (None: the person signing up).

    Raises:
        PermissionError: under 13, or a role the creator may not grant.
        ValueError: a bad handle, date or password.
        StoreError: the handle is taken.
    """
    from ..social.accounts import protection_band, sign_up

    if role is not None and role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if role not in (None, "creator"):
        require_admin(store, by or handle)
    check_password_rules(password)
    digest = hash_password(password)  # before any write: a refused password leaves no half-made account
    h = sign_up(store, handle, birthdate=birthdate, display_name=(display_name or "").strip() or None,
                role="creator" if role is None or role in STAFF_ROLES else role)
    band = protection_band(store, h)
    with store.transaction() as con:
        con.execute("INSERT INTO auth_accounts (handle, password_hash, updated_at) VALUES (?, ?, ?)",
                    [h, digest, time.time()])
        store.audit(by or h, "auth.account_create", "user", h, {"band": band}, con=con)
        first = _active_admins(con) == 0 and band == "adult"
        if first and role is None:
            con.execute("UPDATE users SET role = 'admin' WHERE handle = ?", [h])
            store.audit(LOCAL_OWNER, "auth.role_set", "user", h,
                        {"from": "creator", "to": "admin", "why": "first account on this home"}, con=con)
    if role in STAFF_ROLES:
        set_role(store, h, role, by=by or h)
    return {"handle": h, "role": store.get_user(h)["role"], "band": band}


def set_role(store: Store, handle: str, role: str, *, by: str) -> str:
    """Give ``handle`` the role ``role``; returns the previous role.

    Args:
        store: the Store.
        handle: the account to change.
        role: one of ``store.ROLES``; staff roles need an adult account.
        by: an admin's handle, or ``LOCAL_OWNER`` (the CLI).
    """
    from ..social.accounts import protection_band

    actor = require_admin(store, by)
    h = normalise_handle(handle)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}; got {role!r}")
    if role in STAFF_ROLES and protection_band(store, h) != "adult":
        raise PermissionError(f"@{h} has a teen account; the {role} role needs an adult account")
    with store.transaction() as con:
        row = con.execute("SELECT role FROM users WHERE handle = ?", [h]).fetchone()
        if not row:
            raise NotFound(f"no user @{h}")
        old = row[0]
        if old == "admin" and role != "admin" and _active_admins(con) <= 1:
            raise PermissionError(f"@{h} is the last admin; make someone else admin first")
        con.execute("UPDATE users SET role = ? WHERE handle = ?", [role, h])
        store.audit(actor, "auth.role_set", "user", h, {"from": old, "to": role}, con=con)
    return old


def disable(store: Store, handle: str, *, by: str, reason: str = "") -> int:
    """Disable ``handle``: no more logins, open sessions end now; returns how many sessions ended."""
    actor = require_admin(store, by)
    h = normalise_handle(handle)
    with store.transaction() as con:
        row = con.execute("SELECT role FROM users WHERE handle = ?", [h]).fetchone()
        if not row:
            raise NotFound(f"no user @{h}")
        if row[0] == "admin" and _active_admins(con) <= 1:
            raise PermissionError(f"@{h} is the last admin; make someone else admin first")
        con.execute(
            "INSERT INTO auth_accounts (handle, disabled_at, disabled_by, disabled_reason, updated_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (handle) DO UPDATE SET disabled_at = excluded.disabled_at, "
            "disabled_by = excluded.disabled_by, disabled_reason = excluded.disabled_reason, "
            "updated_at = excluded.updated_at",
            [h, time.time(), actor, reason, time.time()])
        ended = end_sessions(store, h, reason="account disabled", con=con)
        store.audit(actor, "auth.disable", "user", h, {"reason": reason, "sessions_ended": ended}, con=con)
    return ended


def enable(store: Store, handle: str, *, by: str) -> None:
    """Let a disabled account log in again."""
    actor = require_admin(store, by)
    h = normalise_handle(handle)
    with store.transaction() as con:
        con.execute("UPDATE auth_accounts SET disabled_at = NULL, updated_at = ? WHERE handle = ?", [time.time(), h])
        store.audit(actor, "auth.enable", "user", h, {}, con=con)


def reset_password(store: Store, handle: str, password: str, *, by: str) -> None:
    """Set a new password for ``handle`` (open sessions end)."""
    from .passwords import set_password

    actor = require_admin(store, by)
    set_password(store, handle, password, by=actor)


def list_users(store: Store) -> list[dict]:
    """Every account: handle, display_name, role, band ("teen"/"adult"), disabled, has_password, created_at."""
    from ..social.accounts import protection_band

    with store.read() as con:
        rows = con.execute(
            "SELECT u.handle, u.display_name, u.role, a.disabled_at IS NOT NULL, a.password_hash IS NOT NULL, "
            "u.created_at FROM users u LEFT JOIN auth_accounts a ON a.handle = u.handle ORDER BY u.created_at, u.handle"
        ).fetchall()
    keys = ("handle", "display_name", "role", "disabled", "has_password", "created_at")
    out = [dict(zip(keys, r, strict=True)) for r in rows]
    for u in out:
        u["band"] = protection_band(store, u["handle"])
    return out
