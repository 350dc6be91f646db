"""Run a coroutine to its end on an event loop of its own.

Browser tests share one Playwright session, and Playwright's sync API leaves its
loop marked as running on the test's thread, where ``asyncio.run`` (and Jinja's
``render`` of an async environment, which calls it) refuses to start another.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor


def run_on_own_loop(coro, timeout_s: float = 120.0):
    """Run ``coro`` with ``asyncio.run`` on a thread of its own and return its result.

    Args:
        coro: the coroutine to run (not yet awaited).
        timeout_s: seconds to wait for it before ``TimeoutError``.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="own-loop") as pool:
        return pool.submit(asyncio.run, coro).result(timeout_s)
