"""Staff roles: the one definition (``access`` re-exports these; import from either).

Kept apart from ``access`` so that ``social.accounts`` (which ``access`` asks about ages)
can check roles without an import cycle.
"""

from __future__ import annotations

__all__ = ["ADMIN_ROLE", "STAFF_ROLES", "is_admin", "is_staff"]

#: The roles that work the review queue and may take down any clip: the ONE definition (import it).
STAFF_ROLES = ("reviewer", "admin")
#: The staff role that also manages other people's cameos and decides escalated cases.
ADMIN_ROLE = "admin"


def is_staff(role: str | None) -> bool:
    """Is ``role`` (a user's role, or None for no such user) one of :data:`STAFF_ROLES`?"""
    return role in STAFF_ROLES


def is_admin(role: str | None) -> bool:
    """Is ``role`` the :data:`ADMIN_ROLE`?"""
    return role == ADMIN_ROLE
