"""Who is there: the one way code asks for the current user.

Two worlds, told apart by where the kernel runs:

- **A served dashboard** (a Voila kernel: Voila puts ``VOILA_*`` variables in its
  environment; ``serve.start_voila`` adds ``SORA_WIDGETS_SERVED=1``). The user is
  whoever the server verified at login, handed over as a signed, short-lived token
  in a cell the server adds before the kernel starts (``auth.hook``). Nothing
  else counts: not the URL (``?user=`` is gone), not a header, not
  ``SORA_WIDGETS_USER``, never a default. Without a verified token, or once that
  login session has ended (logout, account disabled), ``current_user`` raises
  ``NotLoggedIn``.
- **A personal notebook** (JupyterLab on your own machine, or your own server
  under JupyterHub): you own the kernel and the files, so you are
  ``sora_widgets.login(...)``'s handle, else ``$SORA_WIDGETS_USER``, else
  ``$JUPYTERHUB_USER``.

``current_user`` never creates an account (``sora_widgets.auth.create_account`` does).
"""

from __future__ import annotations

import os
import time

from .store import NotFound, Store, normalise_handle, open_store

__all__ = ["NotLoggedIn", "current_user", "set_current_user", "login", "served", "accept_server_token", "show_logged_in",
           "SESSION_RECHECK_S"]

# A served kernel re-checks its login session at most this often (s): a logout or a
# disabled account stops the kernel acting within this time, without a store read per call.
SESSION_RECHECK_S = 2.0

_override: str | None = None
_verified: dict | None = None  # {"u": handle, "s": session hash or None, "checked": monotonic time}


class NotLoggedIn(PermissionError):
    """No verified user: log in (dashboard) or name yourself (personal notebook)."""


def served() -> bool:
    """True in a kernel started by a Voila server (identity only from the server's token)."""
    env = os.environ
    return env.get("SORA_WIDGETS_SERVED") == "1" or "VOILA_REQUEST_URL" in env or "VOILA_BASE_URL" in env


def accept_server_token(token: str) -> str:
    """Take the identity the server signed for this kernel (the cell ``auth.hook`` adds calls it).

    Accepted once per kernel; a second, different identity is refused.
    """
    global _verified
    from .auth.kernel_token import read_token
    from .auth.keys import kernel_key
    from .store import default_home

    claims = read_token(kernel_key(default_home()), token)
    handle = normalise_handle(claims["u"])
    if _verified is not None and _verified["u"] != handle:
        raise NotLoggedIn("this kernel already belongs to another user")
    _verified = {"u": handle, "s": claims.get("s"), "n": claims.get("n"), "checked": time.monotonic()}
    if claims.get("s"):
        _watch_session(handle, claims["s"])
    return handle


# How often a served kernel checks that its login session is still live (s).
SESSION_WATCH_S = 3.0


def _watch_session(handle: str, digest: str) -> None:
    """Stop this kernel when its login session ends (logout, account disabled, password changed).

    Widgets keep the user they were built with, so refusing in ``current_user`` alone would let
    an open page go on acting; a kernel that exits takes the page's widgets with it. The kernel
    notes it in the audit log first. Errors reading the store (a busy file) are not an ending.
    """
    import threading

    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is None:
        return  # not a Jupyter kernel (a test process calling in): nothing to stop

    def watch() -> None:
        from .auth.sessions import session_user_by_hash

        store = None
        while True:
            time.sleep(SESSION_WATCH_S)
            try:
                store = store or open_store()  # not before the page has rendered: start-up time is the user's
                live = session_user_by_hash(store, digest) == handle
            except Exception:  # noqa: BLE001 - a transient store error must not end a login
                continue
            if not live:
                try:
                    store.audit(handle, "auth.kernel_stopped", "user", handle, {"why": "login session ended"})
                finally:
                    os._exit(0)

    threading.Thread(target=watch, name="sora-session-watch", daemon=True).start()


def show_logged_in(logout_url: str) -> None:
    """Display the "Logged in as ... / Log out" bar (the server's identity cell calls it)."""
    from IPython.display import HTML, display

    from .auth.pages import logged_in_html

    handle = current_user()
    display(HTML(logged_in_html(handle, (_verified or {}).get("n"), logout_url)))


def current_user(store: Store | None = None) -> str:
    """The handle of whoever is using this kernel.

    Args:
        store: optional; in a personal notebook the handle must be an account in it
            (``NotLoggedIn`` says how to create one). A served kernel checks its
            login session in ``store`` (or the default home).

    Raises:
        NotLoggedIn: no verified user (see the module docstring).
    """
    if served():
        return _served_user(store)
    handle = _override or os.environ.get("SORA_WIDGETS_USER") or os.environ.get("JUPYTERHUB_USER")
    if not handle:
        raise NotLoggedIn("no user for this notebook: call sora_widgets.login('your_handle') "
                          "or set SORA_WIDGETS_USER")
    handle = normalise_handle(handle)
    if store is not None:
        try:
            store.get_user(handle)
        except NotFound:
            raise NotLoggedIn(f"there is no account @{handle} in {store.home}: create it with "
                              f"`sora-widgets users create {handle} --birthdate YYYY-MM-DD` or "
                              f"sora_widgets.login('{handle}', birthdate=...)") from None
    return handle


_check_store: Store | None = None


def _served_user(store: Store | None) -> str:
    global _check_store
    if _verified is None:
        raise NotLoggedIn("this page has no verified login; reload it and log in")
    if _verified["s"] and time.monotonic() - _verified["checked"] > SESSION_RECHECK_S:
        from .auth.sessions import session_user_by_hash

        if store is None:
            _check_store = _check_store or open_store()
            store = _check_store
        if session_user_by_hash(store, _verified["s"]) != _verified["u"]:
            raise NotLoggedIn("your login has ended (logged out, or the account was disabled); log in again")
        _verified["checked"] = time.monotonic()
    return _verified["u"]


def set_current_user(handle: str | None) -> None:
    """Make ``handle`` this personal notebook's user (None: back to the environment).

    Refused in a served dashboard, where only the server says who is there.
    """
    global _override
    if served():
        raise NotLoggedIn("a served dashboard's user comes from its login; it cannot be changed in code")
    _override = normalise_handle(handle) if handle else None


def login(handle: str | None = None, *, store: Store | None = None, birthdate: str | None = None,
          display_name: str | None = None) -> str:
    """Be ``handle`` in this personal notebook; returns the handle.

    You own a personal notebook's kernel and its store files, so no password is asked
    (the same trust as the ``sora-widgets`` command line). If the account does not exist
    and ``birthdate`` is given, it is created through the accounts service (age rules apply).

    Args:
        handle: your handle (default ``$SORA_WIDGETS_USER`` or ``$JUPYTERHUB_USER``).
        store: the Store (default: the default home).
        birthdate: YYYY-MM-DD, only needed the first time, to create the account.
        display_name: the name others see (first time only).
    """
    if served():
        raise NotLoggedIn("dashboards log in through the server's login page")
    store = store or open_store()
    handle = handle or os.environ.get("SORA_WIDGETS_USER") or os.environ.get("JUPYTERHUB_USER")
    if not handle:
        raise NotLoggedIn("name yourself: sora_widgets.login('your_handle')")
    h = normalise_handle(handle)
    try:
        store.get_user(h)
    except NotFound:
        if birthdate is None:
            raise NotLoggedIn(f"there is no account @{h} yet: call login('{h}', birthdate='YYYY-MM-DD') "
                              "to create it") from None
        from .social.accounts import sign_up

        sign_up(store, h, birthdate=birthdate, display_name=display_name)
    set_current_user(h)
    return h
