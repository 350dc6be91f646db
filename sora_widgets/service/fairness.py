"""``FairQueue``: which queued generation runs next (per-user fairness and a per-user limit).

The rule (docs/rules.md): among users who have a job waiting and fewer than
``per_user_limit`` jobs running, the next free worker goes to the user with the
fewest jobs running, ties broken by who was served longest ago (a user never
served comes first), then by who has waited longest. Each user's own jobs run in
the order they were submitted. So one user's 20 jobs never starve another's
first: user A submits 10, then B submits 1, and B's starts before A's second
that had not started yet.

Pure Python (no Ray, no clock): the scheduler actor holds one and calls it under
its event loop; the property tests drive it directly.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Hashable

__all__ = ["FairQueue", "ordinal"]


class FairQueue:
    """Queued jobs per user, and how many each user has running.

    Args:
        per_user_limit (`int`): jobs one user may have running at once (>= 1).
    """

    def __init__(self, per_user_limit: int = 1):
        if per_user_limit < 1:
            raise ValueError("per_user_limit must be at least 1")
        self.per_user_limit = int(per_user_limit)
        self._queues: dict[str, deque[Hashable]] = {}
        self._user_of: dict[Hashable, str] = {}
        self._running: dict[str, int] = {}
        self._last_served: dict[str, int] = {}
        self._waiting_since: dict[Hashable, int] = {}
        self._tick = itertools.count(1)

    # ------------------------------------------------------------------ changes
    def push(self, job_id: Hashable, user: str, *, front: bool = False) -> None:
        """Queue ``job_id`` for ``user`` (at the back of the user's own line, or the front for a retry)."""
        if job_id in self._user_of:
            raise ValueError(f"job {job_id!r} is already queued")
        q = self._queues.setdefault(user, deque())
        (q.appendleft if front else q.append)(job_id)
        self._user_of[job_id] = user
        self._waiting_since[job_id] = 0 if front else next(self._tick)

    def remove(self, job_id: Hashable) -> bool:
        """Take a queued job out (cancelled, or its caller went away); False if it was not queued."""
        user = self._user_of.pop(job_id, None)
        if user is None:
            return False
        self._queues[user].remove(job_id)
        self._waiting_since.pop(job_id, None)
        if not self._queues[user]:
            del self._queues[user]
        return True

    def pop_next(self) -> tuple[Hashable, str] | None:
        """The job to start now and its user (counted as running), or None if nobody may start one."""
        user = self._pick(self._running, self._last_served, limit=True)
        if user is None:
            return None
        job_id = self._queues[user].popleft()
        if not self._queues[user]:
            del self._queues[user]
        del self._user_of[job_id]
        self._waiting_since.pop(job_id, None)
        self._running[user] = self._running.get(user, 0) + 1
        self._last_served[user] = next(self._tick)
        return job_id, user

    def started(self, user: str) -> None:
        """Count a job of ``user`` as running that did not come from :meth:`pop_next` (a restored state)."""
        self._running[user] = self._running.get(user, 0) + 1

    def release(self, user: str) -> None:
        """A running job of ``user`` ended (done, failed, cancelled, or handed back for a retry)."""
        n = self._running.get(user, 0) - 1
        if n > 0:
            self._running[user] = n
        else:
            self._running.pop(user, None)

    # ------------------------------------------------------------------ questions
    def running(self, user: str) -> int:
        return self._running.get(user, 0)

    def queued(self, user: str | None = None) -> int:
        if user is not None:
            return len(self._queues.get(user, ()))
        return len(self._user_of)

    def __contains__(self, job_id: Hashable) -> bool:
        return job_id in self._user_of

    def order(self) -> list[Hashable]:
        """Every queued job in the order they would start if no running job ended first and workers were
        free (the per-user limit is what makes a user wait for its own jobs; here it only orders)."""
        running = dict(self._running)
        served = dict(self._last_served)
        heads = {u: 0 for u in self._queues}
        out: list[Hashable] = []
        tick = max(served.values(), default=0)
        for _ in range(len(self._user_of)):
            user = self._pick(running, served, limit=False, heads=heads)
            out.append(self._queues[user][heads[user]])
            heads[user] += 1
            running[user] = running.get(user, 0) + 1
            tick += 1
            served[user] = tick
        return out

    def position(self, job_id: Hashable) -> int | None:
        """1 for the job that starts next, 2 for the one after, ...; None if ``job_id`` is not queued."""
        if job_id not in self._user_of:
            return None
        return self.order().index(job_id) + 1

    def _pick(self, running: dict, served: dict, *, limit: bool, heads: dict | None = None) -> str | None:
        best, best_key = None, None
        for user, q in self._queues.items():
            at = 0 if heads is None else heads[user]
            if at >= len(q):
                continue
            if limit and running.get(user, 0) >= self.per_user_limit:
                continue
            key = (running.get(user, 0), served.get(user, 0), self._waiting_since[q[at]])
            if best_key is None or key < best_key:
                best, best_key = user, key
        return best


def ordinal(n: int) -> str:
    """``1`` -> ``"1st"``, ``2`` -> ``"2nd"``, ``3`` -> ``"3rd"``, ``11`` -> ``"11th"``, ``22`` -> ``"22nd"``."""
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"
