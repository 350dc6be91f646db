"""Checking a login: one code path whatever is wrong, throttled, audited.

``verify_login`` does the same work for an unknown handle, a wrong password and a
disabled account (a row look-up, one Argon2 verify — against a dummy hash when
there is no account — one throttle write, one audit line) and raises the same
``LoginFailed`` with the same message, so neither the answer nor its timing tells
whether a handle exists. Every failure and every lock-out is in the audit log
(actor ``client:<address>``); the password never is.
"""

from __future__ import annotations

import time

from ..store import Store, normalise_handle
from . import throttle
from .passwords import check_password, needs_rehash

__all__ = ["LoginFailed", "LOGIN_FAILED_MESSAGE", "verify_login", "account_key"]

LOGIN_FAILED_MESSAGE = ("Log-in failed: the handle or the password is wrong, or there were too many attempts. "
                        "Check them, wait a minute, and try again.")


class LoginFailed(PermissionError):
    """A login was refused; the message is the same whatever the reason."""

    def __init__(self) -> None:
        super().__init__(LOGIN_FAILED_MESSAGE)


def account_key(handle: str) -> str:
    """The throttle key for what was typed: the normal handle, or the text itself (capped) if it is not one."""
    try:
        return normalise_handle(handle)
    except ValueError:
        return str(handle).strip().lower()[:64]


def verify_login(store: Store, handle: str, password: str, *, client: str, now: float | None = None,
                 policies: tuple[throttle.BackoffPolicy, throttle.BackoffPolicy] = (throttle.ACCOUNT_POLICY,
                                                                                   throttle.CLIENT_POLICY)) -> str:
    """The normalised handle if ``password`` is right for an active account; ``LoginFailed`` otherwise.

    Args:
        store: the Store.
        handle: what the visitor typed as handle (with or without '@').
        password: what the visitor typed as password (never logged or stored).
        client: the visitor's address; failures from one address are throttled together.
        now: the clock in Unix seconds (tests step it over back-off windows).
        policies: (per-account, per-client) back-off policies.

    Raises:
        LoginFailed: wrong handle or password, disabled account, or throttled — one message for all.
    """
    t = time.time() if now is None else now
    key = account_key(handle)
    actor = f"client:{client}"[:80]
    wait = throttle.locked_for(store, account=key, client=client, now=t)
    if wait > 0:
        store.audit(actor, "auth.login_throttled", "user", key, {"client": client, "wait_s": round(wait, 1)})
        raise LoginFailed()
    with store.read() as con:
        row = con.execute(
            "SELECT a.password_hash, a.disabled_at FROM users u JOIN auth_accounts a ON a.handle = u.handle "
            "WHERE u.handle = ?", [key]).fetchone()
    stored_hash, disabled = (row[0], row[1] is not None) if row else (None, False)
    ok = check_password(stored_hash, password)  # a dummy hash stands in when there is none
    if ok and not disabled:
        with store.transaction() as con:
            throttle.record_success(store, account=key, con=con)
            store.audit(key, "auth.login", "user", key, {"client": client}, con=con)
        if needs_rehash(stored_hash):
            from .passwords import set_password

            set_password(store, key, password, by=key, end_open_sessions=False)
        return key
    why = "disabled" if ok else ("wrong password" if stored_hash else "no such account")
    with store.transaction() as con:
        lock = throttle.record_failure(store, account=key, client=client, now=t, policies=policies, con=con)
        store.audit(actor, "auth.login_failed", "user", key, {"client": client, "why": why}, con=con)
        if lock > 0:
            store.audit(actor, "auth.lockout", "user", key, {"client": client, "locked_s": lock}, con=con)
    raise LoginFailed()
