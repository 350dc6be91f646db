"""Voila's ``prelaunch_hook``: hand the verified user to the dashboard's kernel, and gate pages by role.

Voila calls ``prelaunch_hook(handler, notebook, cwd)`` after authentication and
before it starts the kernel. We return a copy of the notebook with one code cell
first, which gives the kernel a token signed with the server-only key
(``kernel_token``) and shows who is logged in with a "Log out" link. A notebook
whose metadata says ``{"sora_widgets": {"needs_role": "reviewer" | "admin"}}`` is
replaced, for anyone without that role, by a one-cell page saying so — no kernel
code of that dashboard runs for them (the services check roles again anyway).

The hook also tells the browser, in a ``Link`` header sent at once, which scripts the page
will ask for before its first widget (``page_extensions.preload_urls``: voila.js, the extensions'
entry files, then the ~85 webpack chunks those load in waves): Voila writes ``<script src=voila.js>``
only after the last cell has run, so without it the browser fetches nothing while the kernel
runs the cells, and then fetches the chunks wave after wave from a busy server. The headers go out before the kernel is taken (a flush): were the kernel then
to fail to start, the browser gets a cut-off page rather than Voila's error page. A page the kernel
limits will refuse is the one foreseeable failure: the flush waits for ``has_room`` (kernels.py), so that
page still answers 429 "Too many open pages" (two requests racing for the last slot aside).

Voila refuses ``preheat_kernel`` together with a prelaunch hook: a preheated
kernel starts before anyone has logged in, so it could not know who it serves.
"""

from __future__ import annotations

import copy

import nbformat
from jupyter_server.utils import url_path_join
from tornado import web

from ..access import STAFF_ROLES
from ..store import NotFound, default_home, open_store
from .kernel_token import issue_token
from .keys import kernel_key
from .page_extensions import link_header, preload_urls
from .pages import needs_role_html

__all__ = ["prelaunch_hook", "NEEDS_ROLE"]

# What a page's ``needs_role`` means: reviewers' pages are open to all staff.
NEEDS_ROLE = {"reviewer": STAFF_ROLES, "admin": ("admin",)}

_IDENTITY_CELL = """\
# Added by the server: this kernel's verified user (sora_widgets.auth.hook).
import sora_widgets.session as _sw_session
_sw_session.accept_server_token({token!r})
_sw_session.show_logged_in({logout_url!r})
del _sw_session
"""


def _store_for(handler):
    provider = handler.settings.get("identity_provider")
    store = getattr(provider, "store", None)
    return store if store is not None else open_store(default_home())


def prelaunch_hook(handler: web.RequestHandler, notebook: nbformat.NotebookNode, cwd: str) -> nbformat.NotebookNode:
    """The notebook to run for this request (see the module docstring).

    Args:
        handler: Voila's page handler; ``handler.current_user`` is the verified user
            (jupyter_server's ``User``; ours is ``provider.SoraUser``).
        notebook: the dashboard as read from disk (left unchanged; a copy is returned).
        cwd: the kernel's working folder (unused).
    """
    user = handler.current_user
    if user is None:  # Voila's page handler is @authenticated; this is belt and braces
        raise web.HTTPError(403)
    store = _store_for(handler)
    handle = user.username
    try:
        role = store.get_user(handle)["role"]
    except NotFound:
        raise web.HTTPError(403, f"no account @{handle}") from None
    logout_url = url_path_join(handler.base_url, "logout")
    nb = copy.deepcopy(notebook)
    needed = (nb.metadata.get("sora_widgets") or {}).get("needs_role")
    if needed and role not in NEEDS_ROLE.get(needed, (needed,)):
        nb.cells = [nbformat.v4.new_markdown_cell(
            needs_role_html(handle=handle, role=role, needed=needed, logout_url=logout_url))]
        return nb
    token = issue_token(kernel_key(store.home), handle, session_hash=getattr(user, "session_hash", None) or None,
                        display_name=getattr(user, "display_name", None) or None)
    cell = nbformat.v4.new_code_cell(_IDENTITY_CELL.format(token=token, logout_url=logout_url))
    nb.cells.insert(0, cell)
    _send_preloads(handler, nb.metadata, handle)
    return nb


def _send_preloads(handler: web.RequestHandler, metadata, handle: str) -> None:
    """Send the page's headers now, with a ``Link`` preload of its first scripts (see the module docstring).

    Only when the kernel manager has room for ``handle`` without reclaiming anything: a page it will refuse
    must still be able to answer 429 "Too many open pages", which headers already sent would turn into a
    cut-off page. Otherwise the ``Link`` header goes out with the page as usual.
    """
    handler.set_header("Link", link_header(preload_urls(metadata, handler.base_url)))
    has_room = getattr(handler.kernel_manager, "has_room", None)
    if has_room is not None and has_room(handle):
        handler.flush()

