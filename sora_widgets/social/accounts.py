"""Signing up: the age rule lives here, once.

Under-13 accounts are refused; 13-17 are teen accounts (the parental-controls
issue adds guardian links and limits on top of ``is_teen``).
"""

from __future__ import annotations

import datetime as dt

from ..store import Store
from ..store.store import _parse_date

MIN_AGE_YEARS = 13
ADULT_AGE_YEARS = 18


def age_years(birthdate: str | dt.date, today: dt.date | None = None) -> int:
    """Whole years between ``birthdate`` and ``today``."""
    b = _parse_date(birthdate)
    t = today or dt.date.today()
    return t.year - b.year - ((t.month, t.day) < (b.month, b.day))


def sign_up(store: Store, handle: str, *, birthdate: str | dt.date, role: str = "creator") -> str:
    """Create an account; refuses anyone under 13 with a readable ``PermissionError``."""
    age = age_years(birthdate)
    if age < 0 or age > 130:
        raise ValueError(f"birthdate {birthdate} is not plausible; enter it as YYYY-MM-DD")
    if age < MIN_AGE_YEARS:
        raise PermissionError(f"sora-widgets accounts are for people {MIN_AGE_YEARS} and older")
    return store.create_user(handle, birthdate=birthdate, role=role)


def is_minor(store: Store, handle: str) -> bool:
    return age_years(store.get_user(handle)["birthdate"]) < ADULT_AGE_YEARS
