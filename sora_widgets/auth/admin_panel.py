"""AdminPanel: the admin dashboard's widget — every account, its role, and disable/enable.

The widget holds no rules: each button calls ``auth.admin`` (``set_role``,
``disable``, ``enable``) with the acting user asked afresh from
``session.current_user`` at the moment of the click, so an admin whose login
ended, or who lost the role, cannot act through a page left open. Refusals are
shown as the service worded them. Results are reported through ``on_change``
callbacks as well as the status line.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as W

from ..store import Store
from ..store.store import ROLES
from ..widgets._html import escape
from . import admin

__all__ = ["AdminPanel"]


class AdminPanel(W.VBox):
    """Accounts table with a role picker and disable/enable per row.

    Args:
        store: the Store.
        acting_user: returns who is acting, called on every click (default ``session.current_user``).
    """

    def __init__(self, store: Store, acting_user: Callable[[], str] | None = None):
        from ..session import current_user

        self.store = store
        self._acting_user = acting_user or (lambda: current_user(store))
        admin.require_admin(store, self._acting_user())  # no page of accounts for anyone but an admin
        self._callbacks: list[Callable[[dict], None]] = []
        self.status = W.HTML("").add_class("sw-admin-status")
        self.rows = W.VBox().add_class("sw-admin-rows")
        super().__init__([W.HTML("<b>Accounts</b> — grant the reviewer or admin role, or disable an account "
                                 "(its open sessions end at once). Every change is audited."),
                          self.rows, self.status])
        self.add_class("sw-admin-panel")
        self.refresh()

    def on_change(self, callback: Callable[[dict], None]) -> None:
        """Call ``callback({"action", "handle", ...})`` after each change that succeeded."""
        self._callbacks.append(callback)

    def refresh(self) -> None:
        """Re-read the accounts from the store."""
        self.rows.children = [self._row(u) for u in admin.list_users(self.store)]

    def _row(self, u: dict) -> W.HBox:
        handle = u["handle"]
        state = "disabled" if u["disabled"] else ("active" if u["has_password"] else "no login")
        label = W.HTML(f"<span class='sw-admin-handle'>@{escape(handle)}</span> "
                       f"{escape(u['display_name'] or '')} · {u['band']} · {state}",
                       layout=W.Layout(width="360px"))
        role = W.Dropdown(options=list(ROLES), value=u["role"], layout=W.Layout(width="120px")).add_class("sw-admin-role")
        apply = W.Button(description="Set role").add_class("sw-admin-apply")
        toggle = W.Button(description="Enable" if u["disabled"] else "Disable",
                          button_style="" if u["disabled"] else "danger").add_class("sw-admin-toggle")
        apply.on_click(lambda _b: self._act("set_role", handle, role=role.value))
        toggle.on_click(lambda _b: self._act("enable" if u["disabled"] else "disable", handle))
        row = W.HBox([label, role, apply, toggle])
        row.add_class("sw-admin-row")
        row.add_class(f"sw-admin-row-{handle.replace('.', '_')}")
        return row

    def _act(self, action: str, handle: str, **kw) -> None:
        try:
            by = self._acting_user()
            if action == "set_role":
                admin.set_role(self.store, handle, kw["role"], by=by)
                done = f"@{handle} is now {kw['role']}"
            elif action == "disable":
                n = admin.disable(self.store, handle, by=by)
                done = f"@{handle} is disabled ({n} open session(s) ended)"
            else:
                admin.enable(self.store, handle, by=by)
                done = f"@{handle} can log in again"
        except (PermissionError, ValueError, KeyError) as exc:
            self.status.value = f"<span class='sw-admin-error' role='alert'>{escape(str(exc))}</span>"
            return
        self.status.value = f"<span class='sw-admin-done'>{escape(done)}</span>"
        self.refresh()
        for cb in self._callbacks:
            cb({"action": action, "handle": handle, **kw})
