"""Each dashboard kernel belongs to the user it was started for; no one else may talk to it; kernels are bounded.

Voila only checks that a kernel's websocket (and ``/api/kernels/<id>``) comes from
*a* logged-in user. A page's kernel holds its user's identity and widgets (a
Publish button acts as that user), so someone else who learnt the kernel id —
from a log, a shared screenshot of the devtools — could drive it. The kernel
manager below records, when Voila starts a kernel for a page request, who made
the request (jupyter_server's ``CallContext`` carries the handler); the
authorizer lets only that user at the kernel.

Every page view starts a kernel (a few hundred MB: ``benchmarks/kernel_rss.py``),
so the same manager bounds them (issue 13 item 3):

- anonymous requests start none: Voila's page handler is ``@authenticated``, so a
  visitor without a login gets the login page before any kernel exists;
- at most ``max_kernels_per_user`` page kernels per user and ``max_kernels`` in
  all (pooled warm kernels not counted: ``kernel_pool.py``). At a limit, the
  kernels of pages that were opened and then closed (connected once, no
  websocket now: a reload or a closed tab) are shut down first; if that frees
  nothing, the page is refused with 429 "Too many open pages" and what to do;
- kernels of closed pages are culled within a minute anyway
  (``serve.CULL_IDLE_S`` + ``serve.CULL_INTERVAL_S``, ``cull_connected=False``:
  an open page's kernel is never culled).
"""

from __future__ import annotations

import os
from collections import Counter

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.base.call_context import CallContext
from jupyter_server.utils import ensure_async
from tornado import web
from traitlets import Integer, default

from .kernel_pool import PooledKernelManager

__all__ = ["KernelOwnerAuthorizer", "MAX_KERNELS_ENV", "MAX_KERNELS_PER_USER_ENV", "OwnedKernelManager",
           "TooManyPages"]

#: Server environment variables that set the limits (the traitlets ``--OwnedKernelManager.max_kernels=N``
#: and ``--OwnedKernelManager.max_kernels_per_user=N`` do too).
MAX_KERNELS_ENV = "SORA_WIDGETS_MAX_KERNELS"
MAX_KERNELS_PER_USER_ENV = "SORA_WIDGETS_MAX_KERNELS_PER_USER"


class TooManyPages(web.HTTPError):
    """A page refused because its user, or the server, has too many open pages (HTTP 429)."""

    def __init__(self, message: str):
        # ``reason`` is the headline of Voila's error page; the log gets the whole message.
        super().__init__(429, message, reason=message)


def _env_int(name: str, fallback: int) -> int:
    try:
        return max(1, int(os.environ.get(name, fallback)))
    except ValueError:
        return fallback


# Pooled underneath: a page is handed a warm kernel when one waits (kernel_pool.py), owner recorded as for any.
class OwnedKernelManager(PooledKernelManager):
    """Voila's kernel manager, plus ``owners`` (kernel id -> handle of the user it was started for) and limits."""

    max_kernels_per_user = Integer(
        help="Open pages (kernels) one user may have at once; more are refused with 'Too many open pages'."
    ).tag(config=True)
    max_kernels = Integer(
        help="Page kernels the server runs at once, all users together (warm pooled kernels not counted)."
    ).tag(config=True)

    @default("max_kernels_per_user")
    def _per_user_default(self) -> int:
        return _env_int(MAX_KERNELS_PER_USER_ENV, 4)  # a studio, a lineage, a cameo and a feed tab

    @default("max_kernels")
    def _max_default(self) -> int:
        return _env_int(MAX_KERNELS_ENV, 16)  # ~16 x 0.7 GB after a take: fits a 24 GB machine with room

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owners: dict[str, str] = {}
        self._was_connected: set[str] = set()
        self._starting: Counter[str] = Counter()  # pages being started per user (counted against the limits)

    # ------------------------------------------------------------ limits
    def _closed_pages(self, user: str | None) -> list[str]:
        """Kernels (of ``user``, or anyone's) whose page connected once and has no websocket now."""
        return [k for k, owner in self.owners.items()
                if (user is None or owner == user) and k in self._was_connected
                and self._kernel_connections.get(k, 0) == 0]

    def _over(self, user: str) -> tuple[bool, bool]:
        """(``user`` is at their own limit, the server is at its limit), counting pages being started."""
        mine = sum(1 for o in self.owners.values() if o == user) + self._starting[user]
        total = len(self.owners) + sum(self._starting.values())
        return mine >= self.max_kernels_per_user, total >= self.max_kernels

    def has_room(self, user: str) -> bool:
        """Whether ``user`` may start one more page kernel now, without reclaiming anyone's closed pages.

        The prelaunch hook asks before it sends a page's headers early: a page refused after that could not
        carry its 429 "Too many open pages" (``hook._send_preloads``).

        Args:
            user: the handle of the logged-in user asking for a page.
        """
        return not any(self._over(user))

    async def _make_room(self, user: str) -> None:
        """Reclaim closed pages' kernels until ``user`` may start one more; else raise :class:`TooManyPages`."""
        for scope in (user, None):  # the user's own closed pages first, then anyone's
            mine_over, all_over = self._over(user)
            if not (mine_over or (all_over and scope is None)):
                continue
            for kernel_id in self._closed_pages(scope):
                self.log.info("kernel limits: shutting down %s (a closed page of @%s)", kernel_id, self.owners[kernel_id])
                await ensure_async(self.shutdown_kernel(kernel_id))
                if not any(self._over(user)):
                    return
        mine_over, all_over = self._over(user)
        if mine_over:
            raise TooManyPages(f"Too many open pages: you have {self.max_kernels_per_user} pages of this site open. "
                               "Close one of them (or wait a minute after closing it), then reload this page.")
        if all_over:
            raise TooManyPages("Too many open pages: the server is serving as many pages as it can. "
                               "Try again in a minute or two.")

    # ------------------------------------------------------------ overrides
    async def start_kernel(self, *args, **kwargs) -> str:
        handler = CallContext.get(CallContext.JUPYTER_HANDLER)
        user = getattr(handler, "current_user", None)
        handle = user.username if user is not None else None
        if handle is not None and kwargs.get("kernel_id") is None:
            await self._make_room(handle)
            self._starting[handle] += 1
        try:
            kernel_id = await super().start_kernel(*args, **kwargs)
        finally:
            if handle is not None and kwargs.get("kernel_id") is None:
                self._starting[handle] -= 1
        if handle is not None:
            self.owners[kernel_id] = handle
        return kernel_id

    def notify_connect(self, kernel_id: str):
        self._was_connected.add(kernel_id)
        return super().notify_connect(kernel_id)

    def remove_kernel(self, kernel_id: str):
        self.owners.pop(kernel_id, None)
        self._was_connected.discard(kernel_id)
        return super().remove_kernel(kernel_id)


class KernelOwnerAuthorizer(Authorizer):
    """Kernels: only their owner. Everything else: any logged-in user (pages are gated by the prelaunch hook)."""

    def is_authorized(self, handler, user, action: str, resource: str) -> bool:
        if user is None:
            return False
        if resource != "kernels":
            return True
        kernel_id = getattr(handler, "kernel_id", None) or (handler.path_kwargs or {}).get("kernel_id")
        owners = getattr(handler.kernel_manager, "owners", None)
        if not kernel_id or owners is None:
            return True  # listing or starting kernels is not ours to decide; Voila exposes neither
        return owners.get(kernel_id) == user.username
