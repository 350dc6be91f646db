"""The kernel client the server's pages use: ready as soon as the kernel has answered, without a fixed 0.2 s wait.

Before Voila runs a page's cells it connects a new client to the page's kernel and waits until
it is ready (``nbclient`` calls ``wait_for_ready``). jupyter_client's version sends
``kernel_info``, waits for the reply and for any message on IOPub (proof that the IOPub socket is
connected: ZeroMQ subscriptions take a moment), and then reads IOPub until it has been silent
for 0.2 s. That last step costs every page 0.2 s even when the kernel is warm and idle: the
server's log (2026-12-04) showed the kernel's ``idle`` at 0.11 s after the request and the
first cell sent at 0.33 s.

:class:`ReadyKernelClient` keeps the same proof and stops at the end of it: it reads IOPub up
to the ``idle`` status the kernel publishes for *this* ``kernel_info`` request (every request
is bracketed by ``busy``/``idle``), so the messages it causes are drained, as before, and no
time is spent waiting for silence. If IOPub is not connected yet, nothing arrives within
:data:`IOPUB_WAIT_S` and it asks again, as jupyter_client does. Messages other clients cause
later are not ours to drain (nbclient reads only the replies to its own requests).
"""

from __future__ import annotations

import time
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_core.utils import ensure_async

__all__ = ["IOPUB_WAIT_S", "ReadyKernelClient"]

#: Seconds without any IOPub message after which the socket is taken as not yet connected (jupyter_client's value).
IOPUB_WAIT_S = 0.2
#: Seconds to wait for the ``kernel_info`` reply before asking again (jupyter_client's value).
SHELL_WAIT_S = 1.0


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous client whose ``wait_for_ready`` ends when its own request is answered."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once the kernel has replied to ``kernel_info`` and its IOPub messages for it have arrived.

        Args:
            timeout (`float`, *optional*): seconds before giving up (None: no limit).

        Raises:
            RuntimeError: the kernel died or did not answer within ``timeout``.
        """
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            request_id = self.kernel_info()
            try:
                reply = await ensure_async(self.shell_channel.get_msg(timeout=SHELL_WAIT_S))
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply" and await self._iopub_answered(request_id):
                # The base class's own handling of the reply (it adapts to the kernel's protocol version).
                self._handle_kernel_info_reply(reply)
                return
            if not await ensure_async(self.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _iopub_answered(self, request_id: str) -> bool:
        """Read IOPub up to the kernel's ``idle`` for ``request_id``: True; False if it stays silent (not connected)
        or that ``idle`` does not come within :data:`SHELL_WAIT_S` (it was sent before IOPub connected, while a
        busy kernel keeps publishing other output): the caller asks again."""
        until = time.monotonic() + SHELL_WAIT_S
        while time.monotonic() < until:
            try:
                msg = await ensure_async(self.iopub_channel.get_msg(timeout=IOPUB_WAIT_S))
            except Empty:
                return False
            if (msg["msg_type"] == "status" and msg["content"].get("execution_state") == "idle"
                    and msg.get("parent_header", {}).get("msg_id") == request_id):
                return True
        return False
