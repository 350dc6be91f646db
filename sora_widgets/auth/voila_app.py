"""Voila with logins: ``python -m sora_widgets.auth.voila_app <voila arguments>``.

A callable (the prelaunch hook) and bytes (the cookie secret) cannot travel on a
command line, so this module builds Voila's configuration in code and then runs
Voila's own ``launch_instance`` with the remaining arguments. ``serve.voila_argv``
is the one place that composes the command.
"""

from __future__ import annotations

import os
import sys

from traitlets.config import Config

__all__ = ["IOPUB_TIMEOUT_S", "auth_config", "main", "voila_class"]

#: Seconds Voila's cell runner waits, after a cell's reply, for the rest of its output (nbclient's
#: ``iopub_timeout``, default 4). Past it the output still to come is dropped with only a log warning
#: ("Timeout waiting for IOPub output"): the Studio's widget, displayed last, never reaches the page,
#: which then shows its markdown and nothing else. It happened at load 25 (2026-12-02) while the server
#: also served the page's preloaded scripts on the same event loop; the output does come, late.
IOPUB_TIMEOUT_S = 60


def auth_config(home: str | os.PathLike) -> Config:
    """Voila settings that turn logins on for the store in ``home``.

    - ``Voila.identity_provider_class``: our Store-backed provider (login, sign-up, logout pages);
    - ``Voila.cookie_secret``: persistent, from ``<home>/auth/cookie_secret`` (0600), so logins survive restarts;
    - ``VoilaConfiguration.prelaunch_hook``: hands the verified user to each kernel, gates pages by role;
    - ``Voila.authorizer_class`` + ``VoilaConfiguration.multi_kernel_manager_class``: a kernel answers
      only the user it was started for (``kernels.py``);
    - ``VoilaConfiguration.page_config_hook``: each dashboard loads only the widget JavaScript its
      metadata declares (``page_extensions.py``);
    - ``Voila.tornado_settings["static_immutable_cache"]``: content-hashed widget scripts are cached
      for a year (Voila sends them ``no-cache``), so a returning visitor fetches none of them again;
    - ``VoilaExecutor.iopub_timeout``: :data:`IOPUB_TIMEOUT_S`, so a busy server keeps a cell's late output;
    - ``ServerKernelManager.client_factory``: :class:`kernel_client.ReadyKernelClient`, so a page's cells start
      as soon as its kernel has answered (jupyter_client's client waits another 0.2 s of silence).
    """
    from .hook import prelaunch_hook
    from .kernel_client import ReadyKernelClient
    from .kernels import KernelOwnerAuthorizer, OwnedKernelManager
    from .keys import cookie_secret
    from .page_extensions import immutable_static_paths, page_config_hook
    from .provider import SoraIdentityProvider

    c = Config()
    c.Voila.identity_provider_class = SoraIdentityProvider
    c.Voila.authorizer_class = KernelOwnerAuthorizer
    c.VoilaConfiguration.multi_kernel_manager_class = OwnedKernelManager
    c.Voila.cookie_secret = cookie_secret(home)
    c.VoilaConfiguration.prelaunch_hook = prelaunch_hook
    c.VoilaConfiguration.page_config_hook = page_config_hook
    c.Voila.tornado_settings = {"static_immutable_cache": immutable_static_paths()}
    c.VoilaExecutor.iopub_timeout = IOPUB_TIMEOUT_S
    c.ServerKernelManager.client_factory = ReadyKernelClient
    c.SoraIdentityProvider.home = str(home)
    return c


def voila_class():
    """Voila's application class with the kernel websocket that speaks only v1 (``kernel_socket.py``), whose
    pages share compiled templates and which does its one-time page work as it starts (``server_warm_up.py``).

    A subclass, so every ``c.Voila.*`` setting above still applies to it.
    """
    from voila.app import Voila

    from .kernel_socket import replace_kernel_socket
    from .server_warm_up import start_server_warm_up, use_page_exporter

    use_page_exporter()

    class SoraVoila(Voila):
        def init_handlers(self):
            handlers = replace_kernel_socket(super().init_handlers())
            start_server_warm_up(self)  # the application exists now; the event loop starts next
            return handlers

    return SoraVoila


def main(argv: list[str] | None = None) -> None:
    from ..store import default_home

    home = default_home().absolute()
    voila_class().launch_instance(argv if argv is not None else sys.argv[1:], config=auth_config(home))


if __name__ == "__main__":
    main()
