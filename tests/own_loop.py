"""Event loops of their own, for tests that run coroutines after a browser test.

Browser tests share one Playwright session, and Playwright's sync API leaves its
loop marked as running on the test's thread, where ``asyncio.run`` (and Jinja's
``render`` of an async environment, which calls it) and ``run_until_complete``
refuse to start another. :func:`run_on_own_loop` runs one coroutine to its end;
:class:`LoopThread` keeps a loop for several (websockets that stay open).
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor


def run_on_own_loop(coro, timeout_s: float = 120.0):
    """Run ``coro`` with ``asyncio.run`` on a thread of its own and return its result.

    Args:
        coro: the coroutine to run (not yet awaited).
        timeout_s: seconds to wait for it before ``TimeoutError``.
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="own-loop") as pool:
        return pool.submit(asyncio.run, coro).result(timeout_s)


class LoopThread:
    """An event loop running on a thread of its own until :meth:`close` (for websockets that stay open)."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="ws-loop", daemon=True)
        self.thread.start()

    def run_until_complete(self, coro, timeout_s: float = 60.0):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout_s)

    def call(self, fn) -> None:
        async def run():
            fn()

        self.run_until_complete(run())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
