"""Voila's identity provider backed by the Store: who is logged in, and the login/sign-up/logout pages.

jupyter_server calls ``get_user(handler)`` in every handler's ``prepare``; Voila's
page, tree and kernel handlers require a user, so a visitor without a live
session is redirected to ``/login`` (GET) or refused (403: POST, websockets).
The login cookie (``sora-session``) holds a random session id signed with the
persistent cookie secret; it is HttpOnly, SameSite=Lax, and Secure under https.
POSTs carry tornado's ``_xsrf`` field (jupyter_server checks it in ``prepare``).
Argon2 work runs on a thread so one login does not stall every other visitor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from urllib.parse import urlparse

from jupyter_server.auth.decorator import allow_unauthenticated
from jupyter_server.auth.identity import IdentityProvider, User
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web
from traitlets import Bool, Unicode, default

from ..store import StoreError, default_home, open_store
from . import pages
from .admin import create_account
from .login import LoginFailed, verify_login
from .passwords import MIN_PASSWORD_CHARS
from .sessions import SESSION_TTL_S, create_session, end_session, session_hash, session_user

__all__ = ["SoraIdentityProvider", "SoraUser", "COOKIE_NAME"]

COOKIE_NAME = "sora-session"
# Each request asks for the user; a live session is re-read from the store at most this often (s).
# Logout in this server clears it at once; a disable from the CLI takes effect within this time.
_CACHE_S = 2.0


@dataclasses.dataclass
class SoraUser(User):
    """A jupyter_server user plus the login session it came from (kept out of the identity model)."""

    session_hash: str = ""


class SoraIdentityProvider(IdentityProvider):
    """Logins against the Store's accounts (see the module docstring)."""

    home = Unicode(help="The store's home folder (default: $SORA_WIDGETS_HOME or ./data).").tag(config=True)
    allow_signup = Bool(True, help="Offer the sign-up page to visitors.").tag(config=True)

    @default("home")
    def _home_default(self) -> str:
        return str(default_home().absolute())

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._store = None
        self._cache: dict[str, tuple[float, SoraUser | None]] = {}

    @property
    def store(self):
        if self._store is None:
            self._store = open_store(self.home)
        return self._store

    # ------------------------------------------------------------ identity
    @property
    def auth_enabled(self) -> bool:
        return True

    @property
    def login_available(self) -> bool:
        return True

    @property
    def logout_available(self) -> bool:
        return True

    def get_user(self, handler: web.RequestHandler) -> SoraUser | None:
        """The user of a live session named by the request's login cookie, else None."""
        raw = handler.get_secure_cookie(COOKIE_NAME, max_age_days=SESSION_TTL_S / 86400)
        if not raw:
            return None
        sid = raw.decode("ascii", "replace")
        now = time.monotonic()
        hit = self._cache.get(sid)
        if hit and now - hit[0] < _CACHE_S:
            return hit[1]
        user = None
        handle = session_user(self.store, sid)
        if handle:
            row = self.store.get_user(handle)
            name = row.get("display_name") or handle
            user = SoraUser(username=handle, name=name, display_name=name, session_hash=session_hash(sid))
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[sid] = (now, user)
        return user

    def identity_model(self, user: User) -> dict:
        model = dataclasses.asdict(user)
        model.pop("session_hash", None)
        return model

    def forget(self, sid: str) -> None:
        self._cache.pop(sid, None)

    def get_handlers(self) -> list[tuple[str, object]]:
        from .home import HomeHandler

        # "/" first: the home page replaces Voila's bare list of notebook names (it needs a login).
        return [(r"/", HomeHandler), (r"/login", LoginHandler), (r"/signup", SignupHandler),
                (r"/logout", LogoutHandler)]

    def validate_security(self, app, ssl_options=None) -> None:
        """Nothing to warn about: there is no token, and every page needs a login."""


class _AuthPage(JupyterHandler):
    """Shared parts of the three pages."""

    @property
    def provider(self) -> SoraIdentityProvider:
        return self.identity_provider  # type: ignore[return-value]

    def url(self, path: str) -> str:
        return url_path_join(self.base_url, path)

    def safe_next(self, value: str | None) -> str:
        """``next`` only if it is a path on this server (no open redirect)."""
        default = self.url("voila/render/studio.ipynb")
        if not value:
            return default
        parsed = urlparse(value)
        if parsed.scheme or parsed.netloc or not value.startswith(self.base_url) or value.startswith("//") \
                or "\\" in value:
            return default
        return value

    def start_session(self, handle: str) -> None:
        sid = create_session(self.provider.store, handle, client=self.request.remote_ip or "")
        self.set_secure_cookie(COOKIE_NAME, sid, expires_days=SESSION_TTL_S / 86400, path=self.base_url,
                               httponly=True, samesite="Lax", secure=self.request.protocol == "https")

    def page(self, html: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Frame-Options", "DENY")
        self.finish(html)


class LoginHandler(_AuthPage):
    def _render(self, *, status=200, handle="", error=None, note=None):
        self.page(pages.login_page(
            xsrf_form_html=self.xsrf_form_html(), action=self.url("login"),
            signup_url=self.url("signup") if self.provider.allow_signup else None,
            next_url=self.safe_next(self.get_argument("next", None)), handle=handle, error=error, note=note), status)

    @allow_unauthenticated
    def get(self):
        note = None
        if self.provider.allow_signup and not _has_accounts(self.provider.store):
            note = "No accounts yet: the first account created here becomes the admin."
        self._render(note=note)

    @allow_unauthenticated
    async def post(self):
        handle = self.get_body_argument("handle", "")
        password = self.get_body_argument("password", "")
        client = self.request.remote_ip or ""
        try:
            h = await asyncio.get_running_loop().run_in_executor(
                None, lambda: verify_login(self.provider.store, handle, password, client=client))
        except LoginFailed as exc:
            self._render(status=401, handle=handle[:64], error=str(exc))
            return
        self.start_session(h)
        self.redirect(self.safe_next(self.get_body_argument("next", None)))


class SignupHandler(_AuthPage):
    FIELDS = ("handle", "display_name", "birthdate")

    def _render(self, *, status=200, values=None, error=None):
        if not self.provider.allow_signup:
            raise web.HTTPError(404)
        self.page(pages.signup_page(
            xsrf_form_html=self.xsrf_form_html(), action=self.url("signup"), login_url=self.url("login"),
            next_url=self.safe_next(self.get_argument("next", None)), values=values, error=error,
            min_password_chars=MIN_PASSWORD_CHARS), status)

    @allow_unauthenticated
    def get(self):
        self._render()

    @allow_unauthenticated
    async def post(self):
        if not self.provider.allow_signup:
            raise web.HTTPError(404)
        values = {k: self.get_body_argument(k, "")[:200] for k in self.FIELDS}
        password = self.get_body_argument("password", "")
        if password != self.get_body_argument("password2", ""):
            self._render(status=400, values=values, error="The two passwords differ; type the same password twice.")
            return
        try:
            info = await asyncio.get_running_loop().run_in_executor(None, lambda: create_account(
                self.provider.store, values["handle"], password=password, birthdate=values["birthdate"],
                display_name=values["display_name"]))
        except (PermissionError, ValueError, StoreError) as exc:
            self._render(status=400, values=values, error=str(exc))
            return
        self.start_session(info["handle"])
        target = self.safe_next(self.get_body_argument("next", None))
        if info["band"] == "teen":
            self.page(pages.message_page(
                "Your teen account is ready",
                f"@{info['handle']}, your account is a teen account: direct messages from adults are off, "
                "your cameo can only be used by people you approve, and a guardian can link to your account.",
                link_url=target, link_text="Continue to the studio"))
            return
        if info["role"] == "admin":
            self.page(pages.message_page(
                "You are the admin", f"@{info['handle']} is the first account on this server, so it is the admin: "
                "you can grant the reviewer and admin roles on the Admin page.",
                link_url=target, link_text="Continue to the studio"))
            return
        self.redirect(target)


class LogoutHandler(_AuthPage):
    @allow_unauthenticated
    def get(self):
        raw = self.get_secure_cookie(COOKIE_NAME, max_age_days=SESSION_TTL_S / 86400)
        if raw:
            sid = raw.decode("ascii", "replace")
            end_session(self.provider.store, sid)
            self.provider.forget(sid)
        self.clear_cookie(COOKIE_NAME, path=self.base_url)
        self.page(pages.message_page("Logged out", "You are logged out of sora-widgets on this browser.",
                                     link_url=self.url("login"), link_text="Log in again"))


def _has_accounts(store) -> bool:
    with store.read() as con:
        return bool(con.execute("SELECT 1 FROM auth_accounts WHERE password_hash IS NOT NULL LIMIT 1").fetchone())
