"""Kernels on a real Voila server with logins (issue 13 item 3): none for anonymous requests, limits per user
and in all with a "Too many open pages" page, closed pages reclaimed, disconnected kernels culled within a minute.

One server for the whole story (each phase needs the kernels the previous one left), with small limits
(2 per user, 3 in all) and no warm pool, so every kernel is a page's. Pages are fetched like ``curl``
does: the page renders (its kernel starts and runs the notebook) but no browser connects to it.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import psutil
import pytest
from conftest import make_account
from own_loop import LoopThread
from test_auth_browser import Http, is_login_page
from test_kernel_pool import login_without_a_page

from sora_widgets.auth.kernel_pool import POOL_ENV
from sora_widgets.auth.kernel_socket import KERNEL_WS_PROTOCOL
from sora_widgets.auth.kernels import MAX_KERNELS_ENV, MAX_KERNELS_PER_USER_ENV
from sora_widgets.serve import CULL_IDLE_S, CULL_INTERVAL_S, dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DASHBOARDS = ("studio", "lineage", "my_cameo", "moderation", "admin")
# The cheapest page: for a creator the admin dashboard is one markdown cell ("needs the admin role"),
# yet Voila starts a kernel for it like for any page.
CHEAP = "voila/render/admin.ipynb"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def kernels(server) -> list[psutil.Process]:
    """The kernel processes the server runs now."""
    out = []
    for p in psutil.Process(server.process.pid).children(recursive=True):
        try:
            if "ipykernel" in " ".join(p.cmdline()):
                out.append(p)
        except psutil.NoSuchProcess:
            pass
    return out


def wait_for(predicate, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.5)
    raise AssertionError(f"not within {timeout_s} s: {what}")


def open_page(http: Http, path: str = CHEAP) -> tuple[int, str, str | None]:
    """GET a dashboard: (status, body, the id of the page's kernel, which only its user may reach)."""
    _, status, body = http.get(path)
    if status != 200:
        return status, body, None
    for kid in dict.fromkeys(UUID.findall(body)):
        if http.get(f"api/kernels/{kid}")[1] == 200:
            return status, body, kid
    raise AssertionError(f"no kernel of this user named in the page:\n{body[-1500:]}")


def connect(loop, http: Http, kernel_id: str, protocols: list[str] | None = None):
    """A websocket to the kernel, as the page's JavaScript opens it (with the user's login cookie and the
    v1 kernel protocol, unless ``protocols`` says otherwise)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    cookies = "; ".join(f"{c.name}={c.value}" for c in http.jar)
    url = http.server.base_url.replace("http://", "ws://") + f"api/kernels/{kernel_id}/channels"
    offered = [KERNEL_WS_PROTOCOL] if protocols is None else protocols

    async def opened():
        return await websocket_connect(HTTPRequest(url, headers={"Cookie": cookies}), subprotocols=offered or None)

    return loop.run_until_complete(opened())


def close(loop, http: Http, kernel_id: str, conn) -> None:
    """Close the page's websocket and wait until the server has noticed (its kernel model counts connections)."""
    loop.call(conn.close)

    def noticed() -> bool:
        loop.run_until_complete(asyncio.sleep(0.2))
        _, status, body = http.get(f"api/kernels/{kernel_id}")
        return status == 200 and json.loads(body).get("connections") == 0

    wait_for(noticed, 30, f"the server noticed the page of {kernel_id} closed")


def test_kernels_are_bounded_reclaimed_and_culled(voila, tmp_home):
    store = open_store(tmp_home)
    for h in ("bob", "carol", "dave"):
        make_account(store, h)
    server = voila(dashboards_dir(), name="kernel-limits", env={
        "SORA_WIDGETS_HOME": str(tmp_home), POOL_ENV: "0", MAX_KERNELS_PER_USER_ENV: "2", MAX_KERNELS_ENV: "3"})

    # 1. Anonymous requests start nothing: every dashboard, the tree, the kernel API.
    anon = Http(server)
    for name in DASHBOARDS:
        url, status, body = anon.get(f"voila/render/{name}.ipynb")
        assert is_login_page(url, body), (name, status, url)
    for path in ("", "voila/tree", "api/kernels"):
        url, status, body = anon.get(path)
        assert status in (403, 404) or is_login_page(url, body), (path, status)
    time.sleep(1.0)
    assert kernels(server) == []

    # 2. Limits: two pages per user, three in all; beyond, a page that says what to do, and no kernel.
    bob, carol, dave = Http(server), Http(server), Http(server)
    for who, h in ((bob, "bob"), (carol, "carol"), (dave, "dave")):
        login_without_a_page(who, h)
    assert kernels(server) == []
    _, _, bob1 = open_page(bob)
    _, _, bob2 = open_page(bob)
    status, body, _ = open_page(bob)
    assert status == 429 and "Too many open pages" in body and "you have 2 pages of this site open" in body
    # The Studio's page sends its headers early with script preloads (auth/hook.py): never when the kernel would
    # be refused, or the refusal would arrive as a cut-off page with status 200 instead of this one.
    status, body, _ = open_page(bob, "voila/render/studio.ipynb")
    assert status == 429 and "you have 2 pages of this site open" in body, (status, body[-500:])
    _, _, carol1 = open_page(carol)
    assert len(kernels(server)) == 3
    status, body, _ = open_page(dave)
    assert status == 429 and "the server is serving as many pages as it can" in body
    assert len(kernels(server)) == 3

    loop = LoopThread()
    try:
        # A websocket that does not ask for the v1 protocol is refused after the owner check: Voila would read
        # its binary frames as v1 and hang the server for everyone (kernel_socket.py). A stranger still gets 403.
        for who, offered, code in ((bob, [], 400), (bob, ["not.a.protocol"], 400), (carol, [], 403)):
            with pytest.raises(Exception, match=str(code)):
                connect(loop, who, bob1, protocols=offered)
        assert bob.get(f"api/kernels/{bob1}")[1] == 200
        # 3. Closed pages make room: bob's first page connected and went away (a reload, a closed tab) ...
        close(loop, bob, bob1, connect(loop, bob, bob1))
        status, _, bob3 = open_page(bob)
        assert status == 200 and bob.get(f"api/kernels/{bob1}")[1] != 200
        # ... and carol's, when the server is full and dave asks.
        close(loop, carol, carol1, connect(loop, carol, carol1))
        status, _, dave1 = open_page(dave)
        assert status == 200 and carol.get(f"api/kernels/{carol1}")[1] != 200
        assert len(kernels(server)) == 3
        # A page still open is never reclaimed: bob keeps his second page connected.
        keep = connect(loop, bob, bob2)
        status, body, _ = open_page(carol)
        assert status == 429, "an open page was shut down to make room"

        # 4. Culling: kernels no page is connected to are shut down within a minute of their last activity;
        # the connected one stays.
        last_activity = time.monotonic()
        done = wait_for(lambda: len(kernels(server)) == 1, CULL_IDLE_S + CULL_INTERVAL_S + 30,
                        "kernels of pages nobody is connected to culled")
        assert done - last_activity <= CULL_IDLE_S + CULL_INTERVAL_S + 15  # + shutting the processes down
        assert bob.get(f"api/kernels/{bob2}")[1] == 200
        # The server forgets a culled kernel once its shutdown returns, a moment after its process has gone
        # (the process count above can lead the kernel API by a second or so on a busy machine).
        wait_for(lambda: bob.get(f"api/kernels/{bob3}")[1] != 200 and dave.get(f"api/kernels/{dave1}")[1] != 200,
                 15, "the culled kernels gone from the kernel API too")
        assert bob.get(f"api/kernels/{bob2}")[1] == 200
        loop.call(keep.close)
    finally:
        loop.close()
