"""Password hashes: Argon2id through argon2-cffi.

Why argon2-cffi rather than pwdlib: pwdlib is a thin layer over the same
argon2-cffi binding (plus bcrypt) whose value is choosing among several hash
schemes; we only ever use Argon2id, and argon2-cffi's ``PasswordHasher`` already
gives the PHC string format, ``check_needs_rehash`` for parameter upgrades and
RFC 9106 defaults. One dependency fewer, same hashes.

Parameters are argon2-cffi 25.1's defaults (RFC 9106 "low memory" profile):
Argon2id, time cost t=3, memory m=64 MiB, parallelism p=4, 16-byte salt,
32-byte hash. ``benchmarks/auth_bench.py`` measures one verify on this machine.

Passwords are never logged, stored or echoed: only the PHC hash reaches the store.
"""

from __future__ import annotations

import functools
import time

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..store import NotFound, Store, normalise_handle

__all__ = ["MIN_PASSWORD_CHARS", "MAX_PASSWORD_CHARS", "hash_password", "check_password", "set_password",
           "password_hash_of", "check_password_rules"]

# OWASP authentication cheat sheet: at least 8 characters, allow at least 64; the cap
# keeps one login from costing unbounded hashing work.
MIN_PASSWORD_CHARS = 8
MAX_PASSWORD_CHARS = 256

_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """The Argon2id PHC string for ``password`` (a fresh random salt each call)."""
    check_password_rules(password)
    return _HASHER.hash(password)


def check_password_rules(password: str) -> None:
    """Raise ``ValueError`` (a message a person can act on) if ``password`` is too short or too long."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError(f"a password may have at most {MAX_PASSWORD_CHARS} characters")


@functools.cache
def _dummy_hash() -> str:
    # Verified against when the handle does not exist or has no password, so an unknown
    # handle costs the same Argon2 work as a wrong password (no timing oracle).
    return _HASHER.hash("sora-widgets: no such account " + str(time.time_ns()))


def check_password(stored_hash: str | None, password: str) -> bool:
    """True if ``password`` matches ``stored_hash``.

    Args:
        stored_hash: an Argon2 PHC string, or None when there is no account or no password;
            None is checked against a dummy hash so the time taken is the same.
        password: what was typed. Over-long input is refused after the same work.
    """
    candidate = password if isinstance(password, str) else ""
    too_long = len(candidate) > MAX_PASSWORD_CHARS
    try:
        ok = _HASHER.verify(stored_hash or _dummy_hash(), candidate[:MAX_PASSWORD_CHARS])
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    return bool(ok and stored_hash and not too_long)


def needs_rehash(stored_hash: str) -> bool:
    """True when ``stored_hash`` was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


def password_hash_of(store: Store, handle: str) -> str | None:
    """The stored hash of ``handle`` (None: no account row or no password)."""
    with store.read() as con:
        row = con.execute("SELECT password_hash FROM auth_accounts WHERE handle = ?", [handle]).fetchone()
    return row[0] if row else None


def set_password(store: Store, handle: str, password: str, *, by: str | None = None,
                 end_open_sessions: bool = True) -> None:
    """Store a new Argon2id hash for ``handle`` and end its open sessions.

    Args:
        store: the Store.
        handle: an existing user (``NotFound`` otherwise).
        password: the new password (``ValueError`` if it breaks the length rules).
        by: who did it, for the audit log (default: the user themself).
        end_open_sessions: log out everywhere (False only when re-hashing the same password).
    """
    from .sessions import end_sessions

    h = normalise_handle(handle)
    digest = hash_password(password)  # outside the transaction: ~0.1 s of CPU, no lock held
    with store.transaction() as con:
        if not con.execute("SELECT 1 FROM users WHERE handle = ?", [h]).fetchone():
            raise NotFound(f"no user @{h}")
        con.execute(
            "INSERT INTO auth_accounts (handle, password_hash, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (handle) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at",
            [h, digest, time.time()],
        )
        store.audit(by or h, "auth.password_set", "user", h, {}, con=con)
        if end_open_sessions:
            end_sessions(store, h, reason="password changed", con=con)
