"""``GuardianPanel``: parental controls for a guardian, and the teen's side of the link.

Every rule (who may link, codes, second guardians, who sets what, unlinking) lives in
``social.guardians``; this widget shows and calls, always as the user it was built
for (a dashboard passes ``session.current_user()``).

- A teen (``social.accounts.is_minor``) sees their guardians, an "Unlink" per guardian,
  a box to enter a guardian's code, and the settings that apply to them (read only).
- An adult sees "Create an invitation code", and per linked teen: DMs, personalised
  feed, a daily limit (clips or minutes), quiet hours, "Save", "Agree to a second
  guardian" and "Unlink".
"""

from __future__ import annotations

import ipywidgets as W

from ..social import guardians as g
from ..social.accounts import is_minor
from ..store import Store, normalise_handle
from ._controls import button
from ._html import escape
from ._messages import readable_error, status_html

__all__ = ["GuardianPanel", "TeenSettingsForm"]

DM_LABELS = (("Off", "off"), ("Only people they follow back", "followed_back"), ("On", "on"))
LIMIT_KINDS = (("Minutes a day", "minutes"), ("Clips a day", "clips"), ("No limit", "none"))




def _error(text: str) -> str:
    return status_html(text, "sw-guardian-error", alert=True)


def _ok(text: str) -> str:
    return status_html(text, "sw-guardian-ok")


def settings_text(s: dict) -> str:
    """The settings in words (what a teen sees)."""
    dms = dict((v, k) for k, v in DM_LABELS)[s["dms"]]
    limits = []
    if s.get("daily_limit_minutes"):
        limits.append(f"{s['daily_limit_minutes']} minutes")
    if s.get("daily_limit_clips"):
        limits.append(f"{s['daily_limit_clips']} clips")
    qh = s.get("quiet_hours")
    return (f"Direct messages: {dms}. Personalised feed: {'on' if s['personalised'] else 'off'}. "
            f"Daily scrolling limit: {' or '.join(limits) if limits else 'none'}. "
            f"Quiet hours: {f'{qh[0]}-{qh[1]}' if qh else 'none'}.")


class TeenSettingsForm(W.VBox):
    """One guardian's settings for one teen, and the link's other actions."""

    def __init__(self, store: Store, guardian: str, teen: str, on_change):
        self.store, self.guardian, self.teen, self._on_change = store, guardian, teen, on_change
        s = g.link_settings(store, guardian=guardian, teen=teen)
        self.dms = W.Dropdown(options=DM_LABELS, value=s["dms"], description="DMs")
        self.dms.add_class("sw-guardian-dms")
        self.personalised = W.Checkbox(value=bool(s["personalised"]), description="Personalised feed", indent=False)
        self.personalised.add_class("sw-guardian-personalised")
        kind = "minutes" if s["daily_limit_minutes"] else "clips" if s["daily_limit_clips"] else "none"
        self.limit_kind = W.Dropdown(options=LIMIT_KINDS, value=kind, description="Daily limit")
        self.limit_kind.add_class("sw-guardian-limit-kind")
        self.limit = W.BoundedIntText(value=s["daily_limit_minutes"] or s["daily_limit_clips"]
                                      or g.TEEN_DEFAULT_LIMIT_MINUTES, min=1, max=g.MAX_LIMIT_CLIPS,
                                      layout=W.Layout(width="100px"))
        self.limit.add_class("sw-guardian-limit")
        qh = s["quiet_hours"] or ("", "")
        self.quiet_from = W.Text(value=qh[0], placeholder="22:00", description="Quiet from",
                                 layout=W.Layout(width="180px"))
        self.quiet_to = W.Text(value=qh[1], placeholder="07:00", description="to", layout=W.Layout(width="140px"))
        self.save = button("Save", "sw-guardian-save", button_style="primary")
        self.second = W.Text(placeholder="handle", description="2nd guardian", layout=W.Layout(width="240px"))
        self.agree = button("Agree", "sw-guardian-agree")
        self.unlink = button(f"Unlink @{teen}", "sw-guardian-unlink", button_style="danger")
        self.status = W.HTML()
        self.status.add_class("sw-guardian-status")
        self.save.on_click(lambda _b: self._act(self._save))
        self.agree.on_click(lambda _b: self._act(self._agree))
        self.unlink.on_click(lambda _b: self._act(self._unlink))
        super().__init__([
            W.HTML(f"<h4>@{escape(teen)}</h4>"), self.dms, self.personalised,
            W.HBox([self.limit_kind, self.limit]), W.HBox([self.quiet_from, self.quiet_to]), self.save,
            W.HBox([self.second, self.agree]), self.unlink, self.status])
        self.add_class("sw-guardian-teen")
        self.add_class(f"sw-guardian-teen-{teen}")

    def _act(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback in Voila
            self.status.value = _error(readable_error(exc))

    def _save(self) -> None:
        kind = self.limit_kind.value
        qf, qt = self.quiet_from.value.strip(), self.quiet_to.value.strip()
        g.update_settings(
            self.store, by=self.guardian, teen=self.teen, dms=self.dms.value, personalised=self.personalised.value,
            daily_limit_minutes=int(self.limit.value) if kind == "minutes" else None,
            daily_limit_clips=int(self.limit.value) if kind == "clips" else None,
            quiet_hours=(qf, qt) if qf or qt else None)
        self.status.value = _ok(f"Saved. @{self.teen} is told what changed.")

    def _agree(self) -> None:
        g.consent_to_guardian(self.store, by=self.guardian, teen=self.teen, new_guardian=self.second.value)
        self.status.value = _ok(f"@{normalise_handle(self.second.value)} may now link to @{self.teen} with their code.")

    def _unlink(self) -> None:
        g.unlink(self.store, by=self.guardian, guardian=self.guardian, teen=self.teen)
        self._on_change()


class GuardianPanel(W.VBox):
    """Parental controls for ``user`` (a guardian or a teen; see the module docstring)."""

    def __init__(self, store: Store, user: str):
        self.store = store
        self.user = normalise_handle(user)
        self.status = W.HTML()
        self.status.add_class("sw-guardian-status")
        super().__init__()
        self.add_class("sw-guardian-panel")
        self.refresh()

    def _act(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback in Voila
            self.status.value = _error(readable_error(exc))

    def refresh(self) -> None:
        """Rebuild the panel from the store."""
        self.children = tuple(self._teen_view() if is_minor(self.store, self.user) else self._guardian_view())

    # ------------------------------------------------------------ teen
    def _teen_view(self) -> list[W.Widget]:
        mine = g.guardians_of(self.store, self.user)
        rows: list[W.Widget] = [W.HTML("<h3>Your guardians</h3>")]
        for who in mine:
            b = button(f"Unlink @{who}", "sw-guardian-unlink", button_style="danger")
            b.on_click(lambda _b, who=who: self._act(lambda: self._teen_unlink(who)))
            rows.append(W.HBox([W.HTML(f"@{escape(who)}"), b]))
        if not mine:
            rows.append(W.HTML("<i>No guardian linked.</i>"))
        self.code = W.Text(placeholder="ABCD-EFGH-JKMN", description="Code")
        self.code.add_class("sw-guardian-code")
        accept = button("Accept", "sw-guardian-accept", button_style="primary")
        accept.on_click(lambda _b: self._act(self._accept))
        s = g.settings_for(self.store, self.user)
        rows += [W.HTML("<b>Got a code from a parent or guardian?</b>"), W.HBox([self.code, accept]),
                 W.HTML(f"<h3>Your settings</h3><div class='sw-guardian-settings'>{escape(settings_text(s))}"
                        "</div><small>Only a guardian can change these.</small>"),
                 self.status]
        return rows

    def _accept(self) -> None:
        who = g.accept_invitation(self.store, teen=self.user, code=self.code.value)
        self.refresh()
        self.status.value = _ok(f"@{who} is now your guardian.")

    def _teen_unlink(self, who: str) -> None:
        g.unlink(self.store, by=self.user, guardian=who, teen=self.user)
        self.refresh()
        self.status.value = _ok(f"You and @{who} are no longer linked; they have been told.")

    # ------------------------------------------------------------ guardian
    def _guardian_view(self) -> list[W.Widget]:
        self.code_out = W.HTML()
        self.code_out.add_class("sw-guardian-code-out")
        invite = button("Create an invitation code", "sw-guardian-invite", button_style="primary")
        invite.on_click(lambda _b: self._act(self._invite))
        rows: list[W.Widget] = [
            W.HTML("<h3>Link a teen</h3><div>Create a code and have your teen enter it on their guardian page "
                   f"(it works once, for {g.INVITATION_TTL_S // 3600} hours).</div>"),
            W.HBox([invite, self.code_out]), W.HTML("<h3>Your teens</h3>")]
        teens = g.teens_of(self.store, self.user)
        for t in teens:
            rows.append(TeenSettingsForm(self.store, self.user, t, self.refresh))
        if not teens:
            rows.append(W.HTML("<i>No teen linked yet.</i>"))
        rows.append(self.status)
        return rows

    def _invite(self) -> None:
        code = g.create_invitation(self.store, guardian=self.user)
        self.code_out.value = f"<code class='sw-guardian-new-code'>{escape(code)}</code>"
