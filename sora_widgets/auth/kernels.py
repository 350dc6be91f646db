"""Each dashboard kernel belongs to the user it was started for; no one else may talk to it.

Voila only checks that a kernel's websocket (and ``/api/kernels/<id>``) comes from
*a* logged-in user. A page's kernel holds its user's identity and widgets (a
Publish button acts as that user), so someone else who learnt the kernel id —
from a log, a shared screenshot of the devtools — could drive it. The kernel
manager below records, when Voila starts a kernel for a page request, who made
the request (jupyter_server's ``CallContext`` carries the handler); the
authorizer lets only that user at the kernel.
"""

from __future__ import annotations

from jupyter_server.auth.authorizer import Authorizer
from jupyter_server.base.call_context import CallContext

from .kernel_pool import PooledKernelManager

__all__ = ["OwnedKernelManager", "KernelOwnerAuthorizer"]


# Pooled underneath: a page is handed a warm kernel when one waits (kernel_pool.py), owner recorded as for any.
class OwnedKernelManager(PooledKernelManager):
    """Voila's kernel manager, plus ``owners``: kernel id -> handle of the user it was started for."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.owners: dict[str, str] = {}

    async def start_kernel(self, *args, **kwargs) -> str:
        kernel_id = await super().start_kernel(*args, **kwargs)
        handler = CallContext.get(CallContext.JUPYTER_HANDLER)
        user = getattr(handler, "current_user", None)
        if user is not None:
            self.owners[kernel_id] = user.username
        return kernel_id

    def remove_kernel(self, kernel_id: str):
        self.owners.pop(kernel_id, None)
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
