"""``MessagesPanel`` (direct messages) and ``NotificationsList`` (the in-app list).

Who may message whom, moderation and read receipts are decided in
``social.messages``; notifications come from ``social.notifications``. These
widgets only show and call, always as the user they were built for (a dashboard
passes ``session.current_user()``).
"""

from __future__ import annotations

import ipywidgets as W

from ..social import messages as dm
from ..social import notifications
from ..store import Store, normalise_handle
from ._controls import button
from ._html import escape
from ._messages import readable_error, status_html

__all__ = ["MessagesPanel", "NotificationsList", "describe"]




def _error(text: str) -> str:
    return status_html(text, "sw-msg-error", alert=True)


def _ok(text: str) -> str:
    return status_html(text, "sw-msg-ok")


class MessagesPanel(W.VBox):
    """``user``'s conversations, one thread, a box to write, and read receipts on/off.

    Args:
        store: the Store.
        user: the logged-in user (dashboards pass ``current_user(store)``).
        other: open the conversation with this handle first (optional).
    """

    def __init__(self, store: Store, user: str, *, other: str | None = None):
        self.store = store
        self.user = normalise_handle(user)
        self.other: str | None = None
        self.conversation_list = W.Select(options=[], rows=10, layout=W.Layout(width="240px"))
        self.conversation_list.add_class("sw-msg-conversations")
        self.to = W.Text(placeholder="handle, e.g. ana", description="To", layout=W.Layout(width="240px"))
        self.to.add_class("sw-msg-to")
        self.open_button = button("Open", "sw-msg-open")
        self.header = W.HTML()
        self.header.add_class("sw-msg-header")
        self.thread_html = W.HTML()
        self.thread_html.add_class("sw-msg-thread")
        self.text = W.Textarea(placeholder="Write a message", layout=W.Layout(width="420px", height="60px"))
        self.text.add_class("sw-msg-text")
        self.send_button = button("Send", "sw-msg-send", button_style="primary")
        self.status = W.HTML()
        self.status.add_class("sw-msg-status")
        self.receipts = W.Checkbox(value=dm.read_receipts_on(store, self.user), description="Send read receipts",
                                   indent=False)
        self.receipts.add_class("sw-msg-receipts")
        self.refresh_button = button("Refresh", "sw-msg-refresh")

        self.conversation_list.observe(self._on_pick, names="value")
        self.open_button.on_click(lambda _b: self._act(lambda: self.open_conversation(self.to.value)))
        self.to.on_submit(lambda _t: self._act(lambda: self.open_conversation(self.to.value)))
        self.send_button.on_click(lambda _b: self._act(self._send_message))
        self.receipts.observe(lambda ch: self._act(lambda: dm.set_read_receipts(self.store, self.user, ch["new"])),
                              names="value")
        self.refresh_button.on_click(lambda _b: self._act(self.refresh))
        left = W.VBox([W.HTML("<b>Conversations</b>"), self.conversation_list, W.HBox([self.to, self.open_button]),
                       self.receipts, self.refresh_button])
        right = W.VBox([self.header, self.thread_html, self.text, W.HBox([self.send_button]), self.status],
                       layout=W.Layout(padding="0 0 0 16px"))
        super().__init__([W.HBox([left, right])])
        self.add_class("sw-messages-panel")
        self.refresh()
        if other:
            self._act(lambda: self.open_conversation(other))

    def _act(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback in Voila
            self.status.value = _error(readable_error(exc))

    def refresh(self) -> None:
        """Reload the conversation list (and the open thread)."""
        convs = dm.conversations(self.store, self.user)
        opts = [(f"@{c['other']}" + (f" ({c['unread']})" if c["unread"] else ""), c["other"]) for c in convs]
        current = self.other
        self.conversation_list.unobserve(self._on_pick, names="value")
        self.conversation_list.options = opts
        self.conversation_list.value = current if current in [v for _, v in opts] else None
        self.conversation_list.observe(self._on_pick, names="value")
        if self.other:
            self._show_thread()

    def _on_pick(self, change) -> None:
        if change["new"]:
            self._act(lambda: self.open_conversation(change["new"]))

    def open_conversation(self, other: str) -> None:
        """Open the conversation with ``other`` (may be new); says at once if messaging them is refused."""
        self.other = normalise_handle(other)
        self.status.value = ""
        self._show_thread()

    def _show_thread(self) -> None:
        o = self.other
        d = dm.may_message(self.store, self.user, o)
        self.header.value = f"<h4>@{escape(o)}</h4>"
        if not d:
            self.status.value = _error(f"You can't message @{o}: {d.reason}")
        self.send_button.disabled = False  # the service decides on send; the reason is shown above
        rows = dm.thread(self.store, self.user, o)
        lines = []
        for m in rows:
            who = "you" if m["sender"] == self.user else "@" + m["sender"]
            body = escape(m["body"] or "")
            if m["kind"] == "clip":
                body += f" <i class='sw-msg-clip'>[clip {escape(str(m['clip_id']))}]</i>"
            read = " <small class='sw-msg-read'>✓ read</small>" if m["sender"] == self.user and m["read_at"] else ""
            lines.append(f"<div class='sw-msg-line'><b>{escape(who)}</b>: {body}{read}</div>")
        self.thread_html.value = "".join(lines) or "<i>No messages yet.</i>"

    def _send_message(self) -> None:
        if not self.other:
            self.status.value = _error("Choose who to write to first.")
            return
        dm.send(self.store, sender=self.user, recipient=self.other, text=self.text.value)
        self.text.value = ""
        self.status.value = _ok(f"Sent to @{self.other}")
        self.refresh()


def describe(n: dict) -> str:
    """One readable line for a notification row from ``notifications.list_for``."""
    actor = "@" + n["actor"] if n.get("actor") else "Someone"
    d = n.get("detail") or {}
    kind = n["kind"]
    if kind == "follow":
        return f"{actor} followed you"
    if kind == "like":
        return f"{actor} liked your clip"
    if kind == "comment":
        text = d.get("text") or d.get("body") or ""
        return f"{actor} commented on your clip" + (f": “{text}”" if text else "")
    if kind == "remix":
        return f"{actor} remixed your clip"
    if kind == "cameo_use":
        return f"{actor} used your cameo" + (f" @{d['cameo']}" if d.get("cameo") else "")
    if kind == "guardian_setting":
        changed = ", ".join(f"{k} → {v}" for k, v in (d.get("changed") or {}).items())
        return f"Your guardian {actor} changed a setting" + (f": {changed}" if changed else "")
    if kind == "guardian_link":
        if d.get("event") == "linked":
            return f"@{d.get('guardian')} is now @{d.get('teen')}'s guardian"
        return f"@{d.get('guardian')} and @{d.get('teen')} are no longer linked (by @{d.get('by')})"
    if kind == "report_decided":
        return "A report you made was decided" + (f": {d['decision']}" if d.get("decision") else "")
    if kind == "message":
        return f"{actor} sent you a message" + (f": “{d['text']}”" if d.get("text") else "")
    return f"{actor}: {kind}"


class NotificationsList(W.VBox):
    """``user``'s notifications, newest first, with "Mark all read" and "Refresh"."""

    def __init__(self, store: Store, user: str, *, limit: int = 50):
        self.store = store
        self.user = normalise_handle(user)
        self.limit = limit
        self.list_html = W.HTML()
        self.list_html.add_class("sw-notifications")
        self.refresh_button = button("Refresh", "sw-notifications-refresh")
        self.read_button = button("Mark all read", "sw-notifications-read")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.read_button.on_click(lambda _b: (notifications.mark_read(self.store, self.user), self.refresh()))
        super().__init__([W.HBox([self.refresh_button, self.read_button]), self.list_html])
        self.refresh()

    def refresh(self) -> None:
        """Reload the list."""
        rows = notifications.list_for(self.store, self.user, limit=self.limit)
        if not rows:
            self.list_html.value = "<i>No notifications yet.</i>"
            return
        items = []
        for n in rows:
            cls = "sw-notification" + ("" if n["read_at"] else " sw-unread")
            items.append(f"<li class='{cls}' data-kind='{escape(n['kind'])}'>{escape(describe(n))}</li>")
        self.list_html.value = f"<ul class='sw-notification-list'>{''.join(items)}</ul>"
