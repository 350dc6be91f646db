"""Accounts and age bands: the age rule lives here, once.

- :func:`sign_up` is the only way product code creates an account. It refuses
  anyone under 13 and records the birthdate as confirmed (the person typed it).
- :func:`age_band` turns a birthdate into "child" (under 13), "teen" (13-17) or
  "adult" (18+). Cameos, moderation and (next) DMs and the feed ask
  :func:`protection_band` / :func:`is_minor`, never the birthdate directly.
- A birthdate nobody confirmed counts as a teen's. Stores made before migration
  005 created every visitor with the placeholder birthdate 1990-01-01; those rows
  are flagged ``birthdate_confirmed = false`` and get teen protections until
  :func:`confirm_birthdate` records a real date. Erring towards protection costs
  an adult a confirmation step; erring the other way would expose a teen.

Ages are whole years in the server's local calendar (``datetime.date.today()``).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ..roles import is_admin  # not ..access: access asks this module about ages
from ..store import NotFound, Store, normalise_handle, parse_date

__all__ = [
    "ADULT_AGE_YEARS",
    "MAX_AGE_YEARS",
    "MIN_AGE_YEARS",
    "age_band",
    "age_years",
    "band_of",
    "confirm_birthdate",
    "is_minor",
    "protection_band",
    "sign_up",
]

#: Youngest age, in whole years, that may hold an account.
MIN_AGE_YEARS = 13
#: Age, in whole years, from which an account is an adult's.
ADULT_AGE_YEARS = 18
#: Oldest plausible age, in whole years: a larger one is a typing mistake.
MAX_AGE_YEARS = 130

AgeBand = Literal["child", "teen", "adult"]
ProtectionBand = Literal["teen", "adult"]


def age_years(birthdate: str | dt.date, today: dt.date | None = None) -> int:
    """Whole years between ``birthdate`` and ``today``.

    Args:
        birthdate: a ``datetime.date`` or ISO text ``YYYY-MM-DD``.
        today: the day to count to; default ``datetime.date.today()``.
    """
    b = parse_date(birthdate)
    t = today or dt.date.today()
    return t.year - b.year - ((t.month, t.day) < (b.month, b.day))


def age_band(birthdate: str | dt.date, *, today: dt.date | None = None) -> AgeBand:
    """"child" (under 13), "teen" (13-17) or "adult" (18 and older).

    Args:
        birthdate: a ``datetime.date`` or ISO text ``YYYY-MM-DD``.
        today: the day ages are counted on; default ``datetime.date.today()``.

    Raises ``ValueError`` for a birthdate in the future or more than 130 years ago.
    """
    age = age_years(birthdate, today)
    if age < 0 or age > MAX_AGE_YEARS:
        raise ValueError(f"birthdate {birthdate} is not plausible; enter it as YYYY-MM-DD")
    if age < MIN_AGE_YEARS:
        return "child"
    return "teen" if age < ADULT_AGE_YEARS else "adult"


def band_of(birthdate: str | dt.date | None, confirmed: bool, *, today: dt.date | None = None) -> ProtectionBand:
    """The protection band of a stored user row: "adult" only for a confirmed adult birthdate.

    Args:
        birthdate: the stored birthdate (None when unknown).
        confirmed: the row's ``birthdate_confirmed``; False means "treat as a teen".
        today: the day ages are counted on; default today.
    """
    if not confirmed or birthdate is None:
        return "teen"
    try:
        return "adult" if age_band(birthdate, today=today) == "adult" else "teen"
    except ValueError:  # an implausible stored date protects, like a missing one
        return "teen"


def protection_band(store: Store, handle: str, *, today: dt.date | None = None) -> ProtectionBand:
    """"teen" or "adult": which protections apply to ``handle``.

    A user whose birthdate is unconfirmed counts as "teen" (see the module docstring).
    Works inside an open ``store.transaction()`` (it reuses that connection).

    Args:
        store: the store holding the user.
        handle: the user's handle (with or without '@').
        today: the day ages are counted on; default today.

    Raises ``NotFound`` for an unknown handle.
    """
    user = store.get_user(handle)
    return band_of(user["birthdate"], bool(user.get("birthdate_confirmed")), today=today)


def is_minor(store: Store, handle: str, *, today: dt.date | None = None) -> bool:
    """True when teen protections apply to ``handle`` (``protection_band(...) == "teen"``)."""
    return protection_band(store, handle, today=today) == "teen"


def sign_up(
    store: Store,
    handle: str,
    *,
    birthdate: str | dt.date,
    role: str = "creator",
    display_name: str | None = None,
    today: dt.date | None = None,
) -> str:
    """Create an account; returns the normalised handle.

    Args:
        store: where the account is kept.
        handle: 2-30 of ``[a-z0-9_.]`` (an '@' and capitals are dropped).
        birthdate: the person's birthdate (``datetime.date`` or ``YYYY-MM-DD``); no default exists.
        role: one of ``sora_widgets.store.ROLES`` (creator, reviewer, admin, guardian).
        display_name: optional name shown beside the handle.
        today: the day ages are counted on; default today.

    Raises ``PermissionError`` (readable) for anyone under 13, ``ValueError`` for an
    implausible birthdate or handle, ``StoreError`` when the handle is taken.
    """
    if age_band(birthdate, today=today) == "child":
        raise PermissionError(f"sora-widgets accounts are for people {MIN_AGE_YEARS} and older")
    return store.create_user(handle, birthdate=birthdate, role=role, display_name=display_name,
                             birthdate_confirmed=True)


def confirm_birthdate(store: Store, handle: str, birthdate: str | dt.date, *, by: str,
                      today: dt.date | None = None) -> ProtectionBand:
    """Record ``handle``'s real birthdate and mark it confirmed; returns the new protection band.

    Args:
        store: the store holding the user.
        handle: whose birthdate it is.
        birthdate: the confirmed birthdate (``datetime.date`` or ``YYYY-MM-DD``).
        by: who confirms: the user themself or an admin.
        today: the day ages are counted on; default today.

    Raises ``PermissionError`` when ``by`` is someone else and not an admin, or when the
    date says the user is under 13 (the account stays unconfirmed, so it keeps teen
    protections, and the refusal is audited for an admin to follow up).
    """
    h, by = normalise_handle(handle), normalise_handle(by)
    band = age_band(birthdate, today=today)
    with store.transaction() as con:
        rows = con.execute("SELECT role FROM users WHERE handle = ?", [by]).fetchall()
        if not rows:
            raise NotFound(f"no user @{by}")
        if by != h and not is_admin(rows[0][0]):
            raise PermissionError(f"only @{h} (or an admin) can confirm @{h}'s birthdate")
        if not con.execute("SELECT 1 FROM users WHERE handle = ?", [h]).fetchall():
            raise NotFound(f"no user @{h}")
        if band == "child":
            store.audit(by, "user.birthdate_refused", "user", h, {"band": band}, con=con)
            refused = True
        else:
            con.execute("UPDATE users SET birthdate = ?, birthdate_confirmed = true WHERE handle = ?",
                        [parse_date(birthdate), h])
            store.audit(by, "user.birthdate_confirmed", "user", h, {"band": band}, con=con)
            refused = False
    if refused:  # raised after commit, so the refusal stays in the audit log
        raise PermissionError(f"sora-widgets accounts are for people {MIN_AGE_YEARS} and older")
    return band_of(birthdate, True, today=today)
