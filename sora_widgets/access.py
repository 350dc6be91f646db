"""Who may see or act on what. Every widget and notebook goes through these.

The rules live here once, so a notebook user cannot go around a widget:
- published clips are visible to everyone;
- a draft is visible to its owner (and admins);
- a clip held for review is visible to its owner, reviewers and admins;
- a removed or hidden clip is visible to reviewers and admins only.

Staff roles have one definition here (:data:`STAFF_ROLES`; ask :func:`is_staff` /
:func:`is_admin`). Taking clips down lives in ``moderation.takedown``, ages in
``social.accounts``; docs/rules.md lists where every such rule lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from .store import NotFound, Store, normalise_handle

__all__ = [
    "ADMIN_ROLE",
    "STAFF_ROLES",
    "Decision",
    "can_view",
    "is_admin",
    "is_staff",
    "require_role",
    "require_view",
    "role_of",
]

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


@dataclass(frozen=True)
class Decision:
    """Truthy when allowed; ``reason`` says why not in words a user understands."""

    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def role_of(store: Store, user: str) -> str:
    """``user``'s role (one of ``store.ROLES``); ``NotFound`` for an unknown user.

    Args:
        store: the store holding the user.
        user: the handle (with or without '@').
    """
    return store.get_user(user)["role"]


def can_view(store: Store, clip_id: str, user: str) -> Decision:
    """May ``user`` see clip ``clip_id``? Truthy or not, with ``.reason`` in words a user understands.

    Args:
        store: the store holding the clip and the user.
        clip_id: the clip.
        user: the viewer's handle (an unknown user sees published clips only).
    """
    try:
        info = store.clip_info(clip_id)
    except NotFound:
        return Decision(False, f"clip {clip_id} does not exist")
    return can_view_info(info, normalise_handle(user), _role_or_none(store, user))


def can_view_info(info: dict, user: str, role: str | None) -> Decision:
    """The rule itself, on an already-loaded clip row (no database access).

    Args:
        info: the clip's row (at least ``clip_id``, ``owner``, ``status``), e.g. ``store.clip_info``.
        user: the viewer's normalised handle.
        role: the viewer's role, or None for an unknown user.
    """
    status, owner = info["status"], info["owner"]
    if status == "published":
        return Decision(True)
    if is_admin(role):
        return Decision(True)
    if status == "draft":
        return Decision(owner == user, "" if owner == user else f"clip {info['clip_id']} is a draft of @{owner}")
    if status == "held":
        ok = owner == user or is_staff(role)
        return Decision(ok, "" if ok else f"clip {info['clip_id']} is waiting for review")
    ok = is_staff(role)
    return Decision(ok, "" if ok else f"clip {info['clip_id']} was removed")


def require_view(store: Store, clip_id: str, user: str) -> dict:
    """The clip row if ``user`` may see it, else ``PermissionError`` with the reason.

    Args:
        store: the store holding the clip and the user.
        clip_id: the clip.
        user: the viewer's handle.
    """
    d = can_view(store, clip_id, user)
    if not d:
        raise PermissionError(f"you cannot open this clip: {d.reason}")
    return store.clip_info(clip_id)


def require_role(store: Store, user: str, *roles: str) -> str:
    """``user``'s role if it is one of ``roles``, else ``PermissionError`` (an unknown user has no role).

    Args:
        store: the store holding the user.
        user: the acting user's handle.
        *roles: the roles allowed, e.g. ``*STAFF_ROLES``.
    """
    role = _role_or_none(store, user)
    if role not in roles:
        raise PermissionError(
            f"@{normalise_handle(user)} is a {role or 'unknown user'}; this needs the role {' or '.join(roles)}"
        )
    return role


def _role_or_none(store: Store, user: str) -> str | None:
    try:
        return role_of(store, user)
    except NotFound:
        return None
