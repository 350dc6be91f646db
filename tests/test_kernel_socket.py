"""The served kernel websocket speaks only the v1 protocol (kernel_socket.py); the refusal on a real
server is in test_kernel_limits.py."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from voila.tornado.kernel_websocket_handler import VoilaKernelWebsocketHandler

from sora_widgets.auth.kernel_socket import (
    KERNEL_WS_PROTOCOL,
    V1OnlyKernelWebsocketHandler,
    offers_v1,
    replace_kernel_socket,
)
from sora_widgets.auth.voila_app import auth_config, voila_class


@pytest.mark.parametrize("header, ok", [
    (None, False), ("", False), (KERNEL_WS_PROTOCOL, True), (f"chat, {KERNEL_WS_PROTOCOL}", True),
    ("v1.kernel.websocket.jupyter.org.evil", False), ("v2.kernel.websocket.jupyter.org", False),
])
def test_only_an_offer_of_exactly_v1_counts(header, ok):
    assert offers_v1(header) is ok


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters=","), max_size=40), max_size=5))
def test_a_list_without_v1_is_never_taken_for_v1(names):
    names = [n for n in names if n.strip() != KERNEL_WS_PROTOCOL]
    assert not offers_v1(",".join(names))
    assert offers_v1(",".join([*names, KERNEL_WS_PROTOCOL]))


def test_the_served_app_swaps_in_the_v1_only_handler(tmp_path):
    from voila.app import Voila

    cls = voila_class()
    assert issubclass(cls, Voila) and cls.init_handlers is not Voila.init_handlers
    # the settings written for Voila apply to the subclass (traitlets reads parent sections)
    app = cls(config=auth_config(tmp_path))
    assert app.identity_provider_class.__name__ == "SoraIdentityProvider"
    handlers = replace_kernel_socket([("a", object), ("/api/kernels/x/channels", VoilaKernelWebsocketHandler, {})])
    assert handlers[1] == ("/api/kernels/x/channels", V1OnlyKernelWebsocketHandler, {})
    with pytest.raises(RuntimeError, match="found 0"):
        replace_kernel_socket([("a", object)])
