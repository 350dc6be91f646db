"""JupyterHub: the Hub's user is who is there; our account for them is made on their first visit.

Under JupyterHub each person's single-user server (``jupyterhub-singleuser``)
serves our dashboards with Voila's server extension, and jupyter_server's
``JupyterHubIdentityProvider`` (Hub OAuth) has verified the visitor before any
of our code runs: ``handler.current_user.username`` is the Hub's user name,
never something the browser chose. This module is a jupyter server extension
that plugs that identity into the same kernel hand-over as a standalone Voila
server (``hook.prelaunch_hook``):

- link phase: ``hub_prelaunch_hook`` becomes ``VoilaConfiguration.prelaunch_hook``
  (every extension links before any loads, so Voila's own extension reads it);
- each page view: a login session of ours for the Hub user (what the kernel's token
  names, so disabling the account stops their open pages and refuses new ones);
- load phase: ``<base_url>/sora/welcome``, the first-visit page. A Hub user with
  no account here is sent there once, gives their birthdate, and the account is
  created by the accounts service (``social.accounts.sign_up``: under-13 refused,
  13-17 a teen account). There is no password: the Hub logs them in.

Enable it in the single-user server with
``--ServerApp.jpserver_extensions=sora_widgets.auth.hub=True``
(``deploy/jupyterhub_config.py`` does). The Hub's user name must already be a
valid handle (2-30 of a-z, 0-9, '_' and '.'); any other name gets a page saying
so instead of a silently altered handle that could collide with someone else's.

What this does not protect: a person's own notebooks run in the same server,
as the same Unix account, so their code can open the store file and the kernel
key directly. See docs/security.md.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlencode, urlparse

import nbformat
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

from ..store import NotFound, StoreError, default_home, normalise_handle, open_store
from .hook import prelaunch_hook
from .pages import message_page
from .sessions import create_session, session_hash, session_user_by_hash

__all__ = ["HUB_PAGE_SESSION_TTL_S", "WELCOME_PATH", "hub_handle", "hub_prelaunch_hook", "safe_next", "welcome_page", "WelcomeHandler"]

#: The first-visit page, under the single-user server's base URL (``/user/<name>/``).
WELCOME_PATH = "sora/welcome"
#: Lifetime (s) of the login session each Hub page view gets: a page open longer stops its kernel.
HUB_PAGE_SESSION_TTL_S = 24 * 3600.0


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "sora_widgets.auth.hub"}]


def _link_jupyter_server_extension(serverapp) -> None:
    # Voila's extension builds its VoilaConfiguration from serverapp.config when it *loads*,
    # which happens after every extension has linked: setting the hook here reaches it.
    cfg = serverapp.config.VoilaConfiguration
    if "prelaunch_hook" not in cfg:
        cfg.prelaunch_hook = hub_prelaunch_hook


def _load_jupyter_server_extension(serverapp) -> None:
    base = serverapp.web_app.settings["base_url"]
    serverapp.web_app.add_handlers(".*$", [(url_path_join(base, WELCOME_PATH), WelcomeHandler)])


def hub_handle(hub_username: str) -> str:
    """Our handle for a Hub user: the Hub's name itself, checked.

    Args:
        hub_username: ``handler.current_user.username`` as the Hub verified it.

    Raises:
        tornado.web.HTTPError: 403 with a readable reason if the name is not a valid handle.
    """
    try:
        return normalise_handle(hub_username)
    except ValueError as exc:
        raise web.HTTPError(403, f"the Hub user name {hub_username!r} cannot be a sora-widgets handle: {exc}; "
                                 f"ask the Hub's admin for a name of 2-30 letters, digits, '_' or '.'") from None


def _welcome_url(handler: web.RequestHandler) -> str:
    return url_path_join(handler.base_url, WELCOME_PATH) + "?" + urlencode({"next": handler.request.uri})


def hub_prelaunch_hook(handler: web.RequestHandler, notebook: nbformat.NotebookNode, cwd: str) -> nbformat.NotebookNode:
    """Voila's prelaunch hook under JupyterHub: first visit -> welcome page; then ``hook.prelaunch_hook``.

    Args:
        handler: Voila's page handler; ``handler.current_user`` is the Hub-verified user.
        notebook: the dashboard as read from disk (not modified).
        cwd: the kernel's working folder (passed on).

    Returns:
        The notebook with the server's identity cell first (see ``hook.prelaunch_hook``).
    """
    user = handler.current_user
    if user is None:  # Voila's page handler is @authenticated; belt and braces
        raise web.HTTPError(403)
    handle = hub_handle(user.username)
    store = open_store(default_home())
    try:
        account = store.get_user(handle)
    except NotFound:
        # tornado.web.Finish ends the request with the redirect already written: no kernel starts.
        handler.redirect(_welcome_url(handler))
        raise web.Finish() from None
    # The Hub's login is not ours to watch, so each page view gets one of our sessions: the kernel's
    # token names it, `sora-widgets users disable` ends it, and the kernel then stops itself
    # (session.accept_server_token). A disabled account's session is born dead: refuse the page.
    digest = session_hash(create_session(store, handle, client=handler.request.remote_ip or "",
                                         ttl_s=HUB_PAGE_SESSION_TTL_S))
    if session_user_by_hash(store, digest) != handle:
        handler.set_status(403)
        handler.finish(message_page("Account disabled", f"The sora-widgets account @{handle} is disabled; "
                                    "ask an admin of this studio.", link_url=url_path_join(handler.base_url, "logout"),
                                    link_text="Log out"))
        raise web.Finish()
    # What auth.hook puts in the token (a standalone login's SoraUser carries both): our session, and the
    # name people know this account by here (the welcome page's), not the Hub's.
    user.session_hash = digest
    user.display_name = account.get("display_name") or handle
    return prelaunch_hook(handler, notebook, cwd)


def safe_next(value: str | None, base_url: str) -> str:
    """Where the welcome page may send someone: ``value`` if it is a path under ``base_url``, else the dashboards.

    Args:
        value: the ``next`` argument as the browser sent it.
        base_url: this server's base URL (``/user/<name>/``).

    Returns:
        ``value``, or ``<base_url>voila/render/`` when ``value`` is empty, names another host
        (a scheme, ``//host``, a backslash some browsers read as a slash, control characters they drop)
        or another server's path.
    """
    default = url_path_join(base_url, "voila/render/")
    if not value:
        return default
    parsed = urlparse(value)
    # Browsers drop tabs and newlines inside URLs ("/\t/evil.example" becomes "//evil.example"): refuse control characters.
    if (parsed.scheme or parsed.netloc or value.startswith("//") or "\\" in value or not value.startswith(base_url)
            or any(ch < " " or ch == "\x7f" for ch in value)):
        return default
    return value


class WelcomeHandler(JupyterHandler):
    """``GET``: the birthdate form; ``POST``: create the account through the accounts service, then go on."""

    def _next(self) -> str:
        return safe_next(self.get_argument("next", ""), self.base_url)

    def _handle(self) -> str:
        return hub_handle(self.current_user.username)

    def _render(self, *, status: int = 200, error: str | None = None, birthdate: str = "") -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.finish(welcome_page(handle=self._handle(), xsrf_form_html=self.xsrf_form_html(),
                                 action=url_path_join(self.base_url, WELCOME_PATH), next_url=self._next(),
                                 birthdate=birthdate, error=error))

    @web.authenticated
    def get(self) -> None:
        try:
            open_store(default_home()).get_user(self._handle())
        except NotFound:
            self._render()
            return
        self.redirect(self._next())  # asked once: an existing account goes straight on

    @web.authenticated
    def post(self) -> None:
        from ..social.accounts import sign_up

        handle = self._handle()
        birthdate = self.get_body_argument("birthdate", "")[:20]
        display_name = self.get_body_argument("display_name", "")[:100].strip() or None
        try:
            sign_up(open_store(default_home()), handle, birthdate=birthdate, display_name=display_name)
        except (PermissionError, ValueError) as exc:
            self._render(status=400, error=str(exc), birthdate=birthdate)
            return
        except StoreError:
            pass  # made meanwhile (a second tab): the account exists, which is all this page is for
        self.redirect(self._next())


def welcome_page(*, handle: str, xsrf_form_html: str, action: str, next_url: str, birthdate: str = "",
                 error: str | None = None) -> str:
    """The first-visit form (birthdate, optional display name).

    Args:
        handle: the Hub user's handle (shown, not editable: the Hub decided it).
        xsrf_form_html: tornado's hidden ``_xsrf`` field (trusted HTML).
        action: the form's URL.
        next_url: where to go once the account exists.
        birthdate: a value to keep after an error (YYYY-MM-DD).
        error: a readable reason the last try was refused.
    """
    err = f"<div class='sw-error' role='alert'>{escape(error)}</div>" if error else ""
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><link rel='icon' href='data:,'>"
            "<title>Welcome · sora-widgets</title>"
            "<style>body{font:14px/1.45 system-ui,sans-serif;background:#f5f6f8;color:#223}"
            "main{max-width:380px;margin:8vh auto;background:#fff;border:1px solid #dde1e8;border-radius:8px;"
            "padding:24px 28px}label{display:block;margin:10px 0 3px;font-weight:600}"
            "input{width:100%;box-sizing:border-box;padding:7px 9px}button{margin-top:16px;width:100%;padding:8px}"
            ".sw-error{background:#fdecea;color:#8a1c12;border:1px solid #f3b8b0;padding:8px 10px}</style></head>"
            f"<body><main class='sw-auth sw-welcome'><h1>Welcome, @{escape(handle)}</h1>"
            "<p>One question before your first visit to the studio: your birthdate. You must be 13 or older; "
            f"accounts of people under 18 are teen accounts, with extra protections.</p>{err}"
            f"<form method='post' action='{escape(action)}' id='sw-welcome-form'>{xsrf_form_html}"
            f"<input type='hidden' name='next' value='{escape(next_url)}'>"
            "<label for='birthdate'>Birthdate</label>"
            f"<input id='birthdate' name='birthdate' type='date' required value='{escape(birthdate)}'>"
            "<label for='display_name'>Display name (optional)</label>"
            "<input id='display_name' name='display_name' autocomplete='name'>"
            "<button type='submit' id='sw-welcome-submit'>Continue</button></form></main></body></html>")
