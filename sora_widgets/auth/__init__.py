"""Accounts that log in: passwords, sessions, throttling, the Voila identity provider and kernel identity.

Service functions (import from here)::

    from sora_widgets import auth
    auth.create_account(store, "alice", password="...", birthdate="1990-04-01")
    auth.verify_login(store, "alice", "...", client="127.0.0.1")   # throttled; LoginFailed otherwise
    auth.set_password(store, "alice", "...")
    auth.set_role(store, "bob", "reviewer", by="alice")          # by an admin, or auth.LOCAL_OWNER (the CLI)
    auth.disable(store, "bob", by="alice")                       # ends bob's sessions

The Voila parts (``provider.SoraIdentityProvider``, ``hook.prelaunch_hook``,
``voila_app``) import jupyter_server, so they are not imported here; a kernel
only needs ``keys`` and ``kernel_token`` (through ``sora_widgets.session``).
"""

from __future__ import annotations

from .admin import LOCAL_OWNER, create_account, disable, enable, list_users, reset_password, set_role
from .login import LOGIN_FAILED_MESSAGE, LoginFailed, verify_login
from .passwords import set_password

__all__ = ["LOCAL_OWNER", "LOGIN_FAILED_MESSAGE", "LoginFailed", "create_account", "disable", "enable",
           "list_users", "reset_password", "set_password", "set_role", "verify_login"]
