"""The server's kernel client (``auth/kernel_client.py``): ready once the kernel answered, with a real kernel."""

from __future__ import annotations

import asyncio

import pytest
from jupyter_client.manager import AsyncKernelManager
from own_loop import run_on_own_loop

from sora_widgets.auth.kernel_client import ReadyKernelClient
from sora_widgets.auth.voila_app import auth_config


async def _with_kernel(body):
    km = AsyncKernelManager(kernel_name="python3", client_factory=ReadyKernelClient)
    await km.start_kernel()
    try:
        client = km.client()
        assert isinstance(client, ReadyKernelClient)
        client.start_channels()
        try:
            return await body(client)
        finally:
            client.stop_channels()
    finally:
        await km.shutdown_kernel(now=True)


def test_a_ready_client_runs_code_and_sees_only_its_own_output():
    async def body(client):
        await client.wait_for_ready(timeout=60)
        # The kernel_info exchange is drained: the next IOPub messages belong to the next request.
        outputs = []
        reply = await client.execute_interactive("print(6 * 7)", timeout=60, output_hook=outputs.append)
        assert reply["content"]["status"] == "ok"
        streams = [m["content"]["text"] for m in outputs if m["msg_type"] == "stream"]
        assert streams == ["42\n"]
        assert {m["parent_header"]["msg_id"] for m in outputs} == {reply["parent_header"]["msg_id"]}
        # Ready again at once on a kernel that is already up.
        await client.wait_for_ready(timeout=60)

    run_on_own_loop(_with_kernel(body))


def test_a_dead_kernel_is_reported_not_waited_for():
    async def body(client):
        await client.wait_for_ready(timeout=60)
        client.execute("import os; os._exit(1)")
        await asyncio.sleep(1.0)
        with pytest.raises(RuntimeError):
            await client.wait_for_ready(timeout=5)

    run_on_own_loop(_with_kernel(body))


def test_the_server_hands_its_pages_this_client(tmp_path):
    assert auth_config(tmp_path).ServerKernelManager.client_factory is ReadyKernelClient
