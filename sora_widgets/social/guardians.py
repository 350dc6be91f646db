"""Parental controls: guardians link to teens and choose what the teen's account may do.

The one place these rules live (the guardian dashboard, the messages and feed
services and notebooks all call here):

- **Linking.** An adult creates a one-time invitation code (:func:`create_invitation`);
  the teen, logged in, enters it (:func:`accept_invitation`). Only the code's SHA-256
  is stored; a code links once, expires after :data:`INVITATION_TTL_S`, and a teen
  who enters :data:`MAX_FAILED_CODES` wrong (unknown, spent, expired) codes within
  :data:`CODE_WINDOW_S` is refused until the window passes, so guessing is hopeless.
- **A second guardian** needs the agreement of a guardian already linked
  (:func:`consent_to_guardian`); without it the teen's acceptance is refused and the
  code stays unspent.
- **Unlinking**: either side may (:func:`unlink`); both are notified and it is audited.
- **Settings** (:func:`update_settings`): only a linked guardian sets them; the teen
  cannot. ``dms`` ("off" / "followed_back" / "on"), ``personalised`` (feed ranking on
  or off), ``daily_limit_clips`` / ``daily_limit_minutes`` (continuous scrolling per
  day; a teen's default is :data:`TEEN_DEFAULT_LIMIT_MINUTES`), ``quiet_hours``
  (``("22:00", "07:00")``: no feed then). With two guardians the stricter value of
  each applies. :func:`settings_for` is what every other service asks.
- A teen (``social.accounts.is_minor``: a teen or an unconfirmed birthdate) without a
  guardian gets :data:`TEEN_DEFAULTS`; adults have no limits.

Times are the server's local wall clock (naive ``datetime``), like ages in
``social.accounts``; every function takes ``now`` so tests can step over expiry.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import re
import secrets
from typing import Any

import duckdb

from ..store import NotFound, Store, new_id, normalise_handle, to_json
from ._people import account_state
from .accounts import is_minor
from .notifications import notify

__all__ = [
    "CODE_WINDOW_S",
    "DM_SETTINGS",
    "INVITATION_TTL_S",
    "MAX_FAILED_CODES",
    "TEEN_DEFAULTS",
    "TEEN_DEFAULT_LIMIT_MINUTES",
    "GuardianError",
    "accept_invitation",
    "consent_to_guardian",
    "create_invitation",
    "guardians_of",
    "in_quiet_hours",
    "is_guardian",
    "link_settings",
    "settings_for",
    "teens_of",
    "unlink",
    "update_settings",
]

#: What a teen's DMs may be: nobody, only people the teen follows who follow back, or anyone allowed.
DM_SETTINGS = ("off", "followed_back", "on")
#: A teen's daily limit on continuous scrolling unless a guardian chooses otherwise (minutes; TikTok's default).
TEEN_DEFAULT_LIMIT_MINUTES = 60
#: What applies to a teen no guardian has set anything for.
TEEN_DEFAULTS: dict[str, Any] = {
    "dms": "followed_back",
    "personalised": True,
    "daily_limit_clips": None,
    "daily_limit_minutes": TEEN_DEFAULT_LIMIT_MINUTES,
    "quiet_hours": None,
}
#: What applies to an adult: no limits (adults cannot message teens anyway: ``social.messages``).
ADULT_SETTINGS: dict[str, Any] = {
    "dms": "on",
    "personalised": True,
    "daily_limit_clips": None,
    "daily_limit_minutes": None,
    "quiet_hours": None,
}
#: How long an invitation code stays valid (s).
INVITATION_TTL_S = 24 * 3600
#: Wrong codes a teen may enter within :data:`CODE_WINDOW_S` before entries are refused.
MAX_FAILED_CODES = 5
#: The window over which wrong codes are counted (s).
CODE_WINDOW_S = 15 * 60
#: Largest daily limits a guardian may set (clips; minutes: a whole day).
MAX_LIMIT_CLIPS = 10_000
MAX_LIMIT_MINUTES = 24 * 60

# No 0/O, 1/I/L: a code is read aloud or copied from a phone.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CODE_LEN = 12
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class GuardianError(PermissionError):
    """A guardian action that is refused, with a reason the person can act on."""


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now()


def _hash_code(code: str) -> str:
    norm = re.sub(r"[^0-9A-Za-z]", "", str(code)).upper()
    return hashlib.sha256(norm.encode()).hexdigest()


def _require_active(con, handle: str, what: str) -> str:
    h = normalise_handle(handle)
    state = account_state(con, h)
    if state is None:
        raise NotFound(f"no user @{h}")
    if state == "disabled":
        raise GuardianError(f"the account @{h} is disabled; {what}")
    return h


# ------------------------------------------------------------------ linking
def create_invitation(store: Store, *, guardian: str, now: dt.datetime | None = None) -> str:
    """A new one-time code ``guardian`` gives their teen; returns it (shown once, never stored in clear).

    Args:
        store: the store.
        guardian: the adult creating it (the logged-in user).
        now: the current time (default: the server's clock).

    Raises ``GuardianError`` when ``guardian`` is not a confirmed adult or is disabled.
    """
    now = _now(now)
    with store.transaction() as con:
        g = _require_active(con, guardian, "it cannot invite anyone")
        if is_minor(store, g):
            raise GuardianError("only adults (with a confirmed birthdate) can be guardians")
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LEN))
        inv_id = new_id("gi_")
        con.execute(
            "INSERT INTO guardian_invitations (invitation_id, guardian, code_hash, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [inv_id, g, _hash_code(code), now, now + dt.timedelta(seconds=INVITATION_TTL_S)])
        store.audit(g, "guardian.invite", "invitation", inv_id, {"expires_in_s": INVITATION_TTL_S}, con=con)
    return "-".join(code[i:i + 4] for i in range(0, _CODE_LEN, 4))


def _failed_recently(con, teen: str, now: dt.datetime) -> int:
    return int(con.execute(
        "SELECT count(*) FROM guardian_code_attempts WHERE handle = ? AND attempted_at > ?",
        [teen, now - dt.timedelta(seconds=CODE_WINDOW_S)]).fetchone()[0])


def accept_invitation(store: Store, *, teen: str, code: str, now: dt.datetime | None = None) -> str:
    """``teen`` enters a guardian's code; returns the guardian's handle once linked.

    Args:
        store: the store.
        teen: the logged-in teen accepting (an adult cannot be someone's teen).
        code: the code as typed (spaces, dashes and case do not matter).
        now: the current time (default: the server's clock).

    Raises ``GuardianError`` (nothing linked, the code unspent) for: too many wrong codes
    recently; an unknown, spent, expired or cancelled code (each counts as a wrong code);
    an adult ``teen``; the guardian themself; a guardian already linked; a second guardian
    no linked guardian agreed to (:func:`consent_to_guardian`).
    """
    now = _now(now)
    refused: str | None = None
    with store.transaction() as con:
        t = _require_active(con, teen, "it cannot accept a guardian")
        if _failed_recently(con, t, now) >= MAX_FAILED_CODES:
            raise GuardianError(f"too many wrong codes; try again in {CODE_WINDOW_S // 60} minutes")
        row = con.execute(
            "SELECT invitation_id, guardian, expires_at, used_at, cancelled_at FROM guardian_invitations "
            "WHERE code_hash = ?", [_hash_code(code)]).fetchone()
        wrong = None
        if row is None:
            wrong = ("unknown", "that code is not valid; check it with your guardian")
        elif row[3] is not None:
            wrong = ("used", "that code was already used; ask your guardian for a new one")
        elif row[4] is not None:
            wrong = ("cancelled", "that code was cancelled; ask your guardian for a new one")
        elif row[2] <= now:
            wrong = ("expired", "that code has expired; ask your guardian for a new one")
        if wrong is not None:
            con.execute("INSERT INTO guardian_code_attempts (handle, attempted_at, reason) VALUES (?, ?, ?)",
                        [t, now, wrong[0]])
            store.audit(t, "guardian.code_refused", "user", t, {"why": wrong[0]}, con=con)
            refused = wrong[1]
        else:
            inv_id, g = row[0], row[1]
            _require_active(con, g, "it cannot become a guardian")
            if not is_minor(store, t):
                raise GuardianError("guardians are for teen accounts; yours is an adult's")
            if g == t:
                raise GuardianError("you cannot be your own guardian")
            current = [r[0] for r in con.execute(
                "SELECT guardian FROM guardian_links WHERE teen = ? ORDER BY created_at", [t]).fetchall()]
            if g in current:
                raise GuardianError(f"@{g} is already your guardian")
            if current:
                ok = con.execute("SELECT 1 FROM guardian_consents WHERE teen = ? AND new_guardian = ? "
                                 "AND used_at IS NULL", [t, g]).fetchone()
                if not ok:
                    raise GuardianError(
                        f"you already have a guardian (@{current[0]}); @{current[0]} must agree to @{g} "
                        "as a second guardian first (on their guardian page)")
                con.execute("UPDATE guardian_consents SET used_at = ? WHERE teen = ? AND new_guardian = ?",
                            [now, t, g])
            con.execute("UPDATE guardian_invitations SET used_at = ?, used_by = ? WHERE invitation_id = ?",
                        [now, t, inv_id])
            con.execute(
                "INSERT INTO guardian_links (guardian, teen, settings, created_at, updated_at, updated_by) "
                "VALUES (?, ?, ?, ?, ?, ?)", [g, t, to_json(TEEN_DEFAULTS), now, now, g])
            store.audit(t, "guardian.link", "user", t, {"guardian": g, "invitation": inv_id}, con=con)
            for who, other in ((g, t), (t, g)):
                notify(store, recipient=who, kind="guardian_link", actor=None, target_kind="user", target_id=other,
                       detail={"event": "linked", "guardian": g, "teen": t}, con=con)
    if refused is not None:  # raised after commit: the wrong attempt stays counted
        raise GuardianError(refused)
    return g


def consent_to_guardian(store: Store, *, by: str, teen: str, new_guardian: str,
                        now: dt.datetime | None = None) -> None:
    """A linked guardian ``by`` agrees that ``new_guardian`` may also link to ``teen``.

    Args:
        store: the store.
        by: a guardian linked to ``teen`` (the logged-in user).
        teen: the teen.
        new_guardian: the adult who will send the teen a code.
        now: the current time (default: the server's clock).

    Raises ``GuardianError`` when ``by`` is not ``teen``'s guardian, ``NotFound`` for unknown users.
    """
    now = _now(now)
    with store.transaction() as con:
        b, t = normalise_handle(by), normalise_handle(teen)
        n = _require_active(con, new_guardian, "it cannot become a guardian")
        if not _linked(con, b, t):
            raise GuardianError(f"only @{t}'s guardian can agree to another guardian")
        con.execute("DELETE FROM guardian_consents WHERE teen = ? AND new_guardian = ?", [t, n])
        con.execute("INSERT INTO guardian_consents (teen, new_guardian, given_by, created_at) VALUES (?, ?, ?, ?)",
                    [t, n, b, now])
        store.audit(b, "guardian.consent", "user", t, {"new_guardian": n}, con=con)


def unlink(store: Store, *, by: str, guardian: str, teen: str) -> None:
    """End the link between ``guardian`` and ``teen``; either of them may. Both are notified; audited.

    Args:
        store: the store.
        by: who unlinks: ``guardian`` or ``teen`` (the logged-in user).
        guardian: the guardian of the link.
        teen: the teen of the link.

    Raises ``GuardianError`` when ``by`` is neither, or there is no such link.
    """
    b, g, t = normalise_handle(by), normalise_handle(guardian), normalise_handle(teen)
    with store.transaction() as con:
        if b not in (g, t):
            raise GuardianError("only the guardian or the teen can end their link")
        if not _linked(con, g, t):
            raise GuardianError(f"@{g} is not @{t}'s guardian")
        con.execute("DELETE FROM guardian_links WHERE guardian = ? AND teen = ?", [g, t])
        store.audit(b, "guardian.unlink", "user", t, {"guardian": g, "by": b}, con=con)
        for who, other in ((g, t), (t, g)):  # actor None: the one who unlinked is told too
            notify(store, recipient=who, kind="guardian_link", actor=None, target_kind="user", target_id=other,
                   detail={"event": "unlinked", "guardian": g, "teen": t, "by": b}, con=con)


def _linked(con, guardian: str, teen: str) -> bool:
    return con.execute("SELECT 1 FROM guardian_links WHERE guardian = ? AND teen = ?",
                       [guardian, teen]).fetchone() is not None


def is_guardian(store: Store, guardian: str, teen: str, *, con: duckdb.DuckDBPyConnection | None = None) -> bool:
    """Is ``guardian`` linked as ``teen``'s guardian?

    Args:
        store: the store.
        guardian: the adult's handle.
        teen: the teen's handle.
        con: an open connection to read through (default: a read of its own).
    """
    try:
        g, t = normalise_handle(guardian), normalise_handle(teen)
    except ValueError:
        return False
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(store.read())
        return _linked(con, g, t)


def guardians_of(store: Store, teen: str) -> list[str]:
    """The handles of ``teen``'s guardians, in the order they linked."""
    with store.read() as con:
        return [r[0] for r in con.execute("SELECT guardian FROM guardian_links WHERE teen = ? ORDER BY created_at",
                                          [normalise_handle(teen)]).fetchall()]


def teens_of(store: Store, guardian: str) -> list[str]:
    """The handles of the teens ``guardian`` is linked to, in the order they linked."""
    with store.read() as con:
        return [r[0] for r in con.execute("SELECT teen FROM guardian_links WHERE guardian = ? ORDER BY created_at",
                                          [normalise_handle(guardian)]).fetchall()]


# ------------------------------------------------------------------ settings
def _validate(changes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key == "dms":
            if value not in DM_SETTINGS:
                raise ValueError(f"dms must be one of {', '.join(DM_SETTINGS)}; got {value!r}")
        elif key == "personalised":
            if not isinstance(value, bool):
                raise ValueError(f"personalised must be True or False; got {value!r}")
        elif key in ("daily_limit_clips", "daily_limit_minutes"):
            top = MAX_LIMIT_CLIPS if key == "daily_limit_clips" else MAX_LIMIT_MINUTES
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top):
                raise ValueError(f"{key} must be a whole number from 1 to {top}, or None for no limit; got {value!r}")
        elif key == "quiet_hours":
            if value is not None:
                if (not isinstance(value, (list, tuple)) or len(value) != 2
                        or not all(isinstance(v, str) and _HHMM.match(v) for v in value) or value[0] == value[1]):
                    raise ValueError(f"quiet_hours must be two different times like ('22:00', '07:00'); got {value!r}")
                value = [value[0], value[1]]
        else:
            raise ValueError(f"unknown setting {key!r}; settings are {', '.join(TEEN_DEFAULTS)}")
        out[key] = value
    return out


def _load(settings: Any) -> dict[str, Any]:
    d = json.loads(settings) if isinstance(settings, str) else dict(settings or {})
    return {**TEEN_DEFAULTS, **{k: v for k, v in d.items() if k in TEEN_DEFAULTS}}


def update_settings(store: Store, *, by: str, teen: str, **changes: Any) -> dict[str, Any]:
    """A guardian changes their settings for ``teen``; returns that guardian's settings after the change.

    Args:
        store: the store.
        by: the logged-in user; must be linked as ``teen``'s guardian (a teen cannot change them).
        teen: the teen.
        **changes: any of ``dms`` ("off" | "followed_back" | "on"), ``personalised`` (bool),
            ``daily_limit_clips`` (1-10,000 clips a day, or None), ``daily_limit_minutes``
            (1-1,440 minutes a day, or None), ``quiet_hours`` (``("HH:MM", "HH:MM")`` or None).

    Raises ``GuardianError`` when ``by`` is not ``teen``'s guardian, ``ValueError`` for a bad
    value (nothing changes). The teen is notified of each change (kind ``guardian_setting``).
    """
    clean = _validate(changes)
    b, t = normalise_handle(by), normalise_handle(teen)
    with store.transaction() as con:
        row = con.execute("SELECT settings FROM guardian_links WHERE guardian = ? AND teen = ?", [b, t]).fetchone()
        if row is None:
            raise GuardianError(f"only @{t}'s guardian can change these settings")
        current = _load(row[0])
        changed = {k: v for k, v in clean.items() if current.get(k) != v}
        new = {**current, **clean}
        if changed:
            con.execute("UPDATE guardian_links SET settings = ?, updated_at = current_timestamp, updated_by = ? "
                        "WHERE guardian = ? AND teen = ?", [to_json(new), b, b, t])
            store.audit(b, "guardian.settings", "user", t, {"changed": changed}, con=con)
            notify(store, recipient=t, kind="guardian_setting", actor=b, target_kind="user", target_id=t,
                   detail={"changed": changed}, con=con)
    return new


def link_settings(store: Store, *, guardian: str, teen: str) -> dict[str, Any]:
    """``guardian``'s own settings for ``teen`` (what their dashboard shows); ``GuardianError`` if not linked."""
    g, t = normalise_handle(guardian), normalise_handle(teen)
    with store.read() as con:
        row = con.execute("SELECT settings FROM guardian_links WHERE guardian = ? AND teen = ?", [g, t]).fetchone()
    if row is None:
        raise GuardianError(f"@{g} is not @{t}'s guardian")
    return _load(row[0])


def _stricter_limit(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def settings_for(store: Store, teen: str, *, minor: bool | None = None) -> dict[str, Any]:
    """The settings that apply to ``teen`` now: what every service enforces.

    Args:
        store: the store (works inside an open transaction: it reads through it).
        teen: any handle. An adult gets no limits; a teen (or unconfirmed birthdate) without a
            guardian gets :data:`TEEN_DEFAULTS`; with guardians, the stricter value of each
            setting across them (DMs: off < followed_back < on; limits: the smaller; quiet hours:
            the first guardian's that set any).
        minor: whether teen protections apply to ``teen``, when the caller just read it with
            ``accounts.band_of`` in the same transaction (``social.feed`` does, with the account);
            None reads it (``accounts.is_minor``). Through a store service each read is a round trip.

    Returns a dict: ``dms``, ``personalised``, ``daily_limit_clips``, ``daily_limit_minutes``,
    ``quiet_hours`` (``(start, end)`` "HH:MM" or None), ``minor`` (bool), ``guardians`` (handles).
    """
    t = normalise_handle(teen)
    with store.read() as con:  # one connection for the age and the links
        if not (is_minor(store, t) if minor is None else minor):
            return {**ADULT_SETTINGS, "minor": False, "guardians": []}
        rows = con.execute("SELECT guardian, settings FROM guardian_links WHERE teen = ? ORDER BY created_at",
                           [t]).fetchall()
    if not rows:
        return {**TEEN_DEFAULTS, "minor": True, "guardians": []}
    out: dict[str, Any] = {}
    for _, raw in rows:
        s = _load(raw)
        if not out:
            out = dict(s)
            continue
        out["dms"] = min(out["dms"], s["dms"], key=DM_SETTINGS.index)
        out["personalised"] = out["personalised"] and s["personalised"]
        out["daily_limit_clips"] = _stricter_limit(out["daily_limit_clips"], s["daily_limit_clips"])
        out["daily_limit_minutes"] = _stricter_limit(out["daily_limit_minutes"], s["daily_limit_minutes"])
        out["quiet_hours"] = out["quiet_hours"] or s["quiet_hours"]
    if out["quiet_hours"]:
        out["quiet_hours"] = tuple(out["quiet_hours"])
    return {**out, "minor": True, "guardians": [r[0] for r in rows]}


def in_quiet_hours(settings: dict[str, Any], now: dt.datetime | None = None) -> bool:
    """Is ``now`` (server local time) inside ``settings["quiet_hours"]``? A span may cross midnight."""
    qh = settings.get("quiet_hours")
    if not qh:
        return False
    t = _now(now).strftime("%H:%M")
    start, end = qh
    return start <= t < end if start < end else (t >= start or t < end)
