"""The kernel websocket of a served dashboard: only the v1 protocol is spoken.

Voila's kernel websocket handler (``VoilaKernelWebsocketHandler``) drops ``execute_input``
messages so a visitor never sees a notebook's code. To find them in a binary frame it
parses the header the way the v1 protocol (``v1.kernel.websocket.jupyter.org``) lays it
out. A client that connects without asking for v1 gets the older ("legacy") protocol,
whose binary frames start with a 4-byte big-endian count instead: read as v1's 8-byte
little-endian count it becomes billions of offsets, and the server's event loop spends
minutes and gigabytes building that list — one logged-in visitor with a widget that sends
bytes (the Studio's player) stops the server for everyone. The legacy protocol also sends
text frames that Voila's filter does not look into, so the code would not be hidden either.

Every page Voila serves speaks v1 (its JavaScript asks for it), so the fix is to refuse
the rest: after the usual owner check (a stranger still gets 403 and learns nothing),
a websocket request that does not offer v1 gets a 400 in words.
"""

from __future__ import annotations

from tornado import web
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

__all__ = ["KERNEL_WS_PROTOCOL", "V1OnlyKernelWebsocketHandler", "offers_v1"]

KERNEL_WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"


def offers_v1(header: str | None) -> bool:
    """Whether a ``Sec-WebSocket-Protocol`` request header offers the v1 kernel protocol.

    Args:
        header: the header's value as sent (comma-separated protocol names), or ``None``
            when the request has none.

    Returns:
        ``True`` when one of the offered names is exactly ``KERNEL_WS_PROTOCOL``.
    """
    return KERNEL_WS_PROTOCOL in {p.strip() for p in (header or "").split(",")}


class V1OnlyKernelWebsocketHandler(VoilaKernelWebsocketHandler):
    """Voila's kernel websocket, refused (400) to clients that do not ask for the v1 protocol."""

    async def pre_get(self):
        # the owner check first: its 403 must not depend on what a stranger offers
        await super().pre_get()
        if not offers_v1(self.request.headers.get("Sec-WebSocket-Protocol")):
            raise web.HTTPError(
                400,
                f"this server speaks only the {KERNEL_WS_PROTOCOL} kernel websocket protocol; "
                "connect with that subprotocol (every Jupyter and Voila page does)",
            )


def replace_kernel_socket(handlers: list) -> list:
    """Voila's handler list with its kernel websocket handler swapped for ``V1OnlyKernelWebsocketHandler``.

    Args:
        handlers: what ``Voila.init_handlers`` returned (tuples of pattern, handler class, ...).

    Returns:
        The same list, the one kernel-channels entry replaced; a ``RuntimeError`` when there is
        none (a Voila release that moved it must not silently serve the unsafe handler).
    """
    out, swapped = [], 0
    for spec in handlers:
        if isinstance(spec, tuple) and len(spec) >= 2 and spec[1] is VoilaKernelWebsocketHandler:
            spec = (spec[0], V1OnlyKernelWebsocketHandler, *spec[2:])
            swapped += 1
        out.append(spec)
    if swapped != 1:
        raise RuntimeError(f"expected one Voila kernel websocket handler to replace, found {swapped}")
    return out
