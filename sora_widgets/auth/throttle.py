"""Login throttling: exponential back-off per account and per client (OWASP authentication cheat sheet).

After ``free_failures`` consecutive failures, each further failure locks the key
for ``base_delay_s * 2**k`` seconds (k = 0, 1, 2, ...), capped at ``max_delay_s``.
While locked, no password is checked at all. A success resets the account's
count; the client's count only fades after ``forget_after_s`` without failures,
so logging in to one's own account between guesses does not reset it.

With the account policy (5 free, 1 s doubling, 15 min cap) a guesser gets about
11 tries in the first minute and then one every 15 minutes: ~4 an hour.
State lives in the store (``auth_throttle``), so it holds across server restarts.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import duckdb

from ..store import Store

__all__ = ["BackoffPolicy", "ACCOUNT_POLICY", "CLIENT_POLICY", "locked_for", "record_failure", "record_success"]


@dataclass(frozen=True)
class BackoffPolicy:
    """How many failures are free and how the lock grows after that.

    Attributes:
        free_failures: consecutive failures allowed before the first lock.
        base_delay_s: the first lock, in seconds; each further failure doubles it.
        max_delay_s: the longest lock, in seconds (a cap, so an attacker cannot lock a person out for days).
        forget_after_s: a key with no failure for this long starts again from zero.
    """

    free_failures: int
    base_delay_s: float = 1.0
    max_delay_s: float = 15 * 60.0
    forget_after_s: float = 60 * 60.0

    def delay_after(self, failures: int) -> float:
        """Seconds locked after the ``failures``-th consecutive failure."""
        if failures <= self.free_failures:
            return 0.0
        return min(self.max_delay_s, self.base_delay_s * 2.0 ** min(failures - self.free_failures - 1, 60))


# A person mistypes a few times; a household or office shares one address.
ACCOUNT_POLICY = BackoffPolicy(free_failures=5)
CLIENT_POLICY = BackoffPolicy(free_failures=20)


def _row(con, scope: str, key: str):
    return con.execute("SELECT failures, locked_until, last_failure_at FROM auth_throttle WHERE scope = ? AND key = ?",
                       [scope, key]).fetchone()


def locked_for(store: Store, *, account: str, client: str, now: float) -> float:
    """Seconds until ``account`` and ``client`` may try again (0: now)."""
    with store.read() as con:
        waits = [0.0]
        for scope, key in (("account", account), ("client", client)):
            row = _row(con, scope, key)
            if row:
                waits.append(row[1] - now)
    return max(waits)


def record_failure(store: Store, *, account: str, client: str, now: float,
                   policies: tuple[BackoffPolicy, BackoffPolicy] = (ACCOUNT_POLICY, CLIENT_POLICY),
                   con: duckdb.DuckDBPyConnection | None = None) -> float:
    """Count one failed login for both keys; returns the longer new lock in seconds (0: none)."""
    lock = 0.0
    with (store.transaction() if con is None else contextlib.nullcontext(con)) as c:
        for (scope, key), policy in zip((("account", account), ("client", client)), policies, strict=True):
            row = _row(c, scope, key)
            failures = 1 if row is None or now - row[2] > policy.forget_after_s else row[0] + 1
            delay = policy.delay_after(failures)
            lock = max(lock, delay)
            c.execute(
                "INSERT INTO auth_throttle (scope, key, failures, locked_until, last_failure_at) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (scope, key) DO UPDATE SET failures = excluded.failures, "
                "locked_until = excluded.locked_until, last_failure_at = excluded.last_failure_at",
                [scope, key, failures, now + delay, now],
            )
    return lock


def record_success(store: Store, *, account: str, con: duckdb.DuckDBPyConnection | None = None) -> None:
    """A correct password: the account's count starts again (the client's does not)."""
    with (store.transaction() if con is None else contextlib.nullcontext(con)) as c:
        c.execute("DELETE FROM auth_throttle WHERE scope = 'account' AND key = ?", [account])

