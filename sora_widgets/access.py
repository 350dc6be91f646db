"""Who may see or act on what. Every widget and notebook goes through these.

The rules live here once, so a notebook user cannot go around a widget:
- published clips are visible to everyone;
- a draft is visible to its owner (and admins);
- a clip held for review is visible to its owner, reviewers and admins;
- a removed or hidden clip is visible to reviewers and admins only;
- beyond its owner and staff, a published clip is hidden from people its author
  blocked or who blocked its author, everyone's when an admin disabled the author,
  and from teens when it is *mature* (see :data:`MATURE_DECISION`).

The same rule is written once in SQL for lists and feeds: :func:`visible_clip_sql`
(what may appear in a list: published and the rest) and :func:`viewable_clip_sql`
(:func:`can_view` itself, for lineage trees where owners and staff see more);
a property test (tests/test_visibility.py) checks that they agree with
:func:`can_view` on random states.

Staff roles have one definition (``sora_widgets.roles``, re-exported here: :data:`STAFF_ROLES`;
ask :func:`is_staff` / :func:`is_admin`). Taking clips down lives in ``moderation.takedown``, ages in
``social.accounts``; docs/rules.md lists where every such rule lives.
"""

from __future__ import annotations

from dataclasses import dataclass

from .roles import ADMIN_ROLE, STAFF_ROLES, is_admin, is_staff
from .store import NotFound, Store, normalise_handle

__all__ = [
    "ADMIN_ROLE",
    "STAFF_ROLES",
    "Decision",
    "MATURE_DECISION",
    "can_view",
    "viewable_clip_sql",
    "viewer_params",
    "visible_clip_sql",
    "is_admin",
    "is_staff",
    "require_role",
    "require_view",
    "role_of",
]

#: What makes a clip *mature* (hidden from teens): its output check asked for a person's review
#: (a score at or above a category's review threshold in moderation/policy.json) — a reviewer
#: approved it for publication, but it sits near the line, so teens do not get it.
MATURE_DECISION = "review"


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
        user: the viewer's handle (an unknown user sees published clips only, with teen protections).
    """
    try:
        viewer = normalise_handle(user)
    except ValueError:
        viewer = ""
    with store.read() as con:  # one connection for every lookup below (each would open the file)
        role = _role_or_none(store, viewer) if viewer else None
        teen = _viewer_teen(store, viewer, role)
        row = con.execute(_FACTS_SQL, {"clip": clip_id, "viewer": viewer}).fetchone()
    if row is None:
        return Decision(False, f"clip {clip_id} does not exist")
    info = {"clip_id": clip_id, "owner": row[0], "status": row[1]}
    return can_view_info(info, viewer, role, author_disabled=row[2], blocked=row[3], mature=row[4], teen=teen)


# The facts can_view_info needs about one clip and one viewer, read with the same SQL fragments as the
# list predicate (so the two cannot drift apart).
_FACTS_SQL = """
SELECT c.owner, c.status, {disabled}, {blocked}, {mature} FROM clips c WHERE c.clip_id = $clip
"""


def can_view_info(info: dict, user: str, role: str | None, *, author_disabled: bool = False,
                  blocked: bool = False, mature: bool = False, teen: bool = False) -> Decision:
    """The rule itself, on an already-loaded clip row and facts (no database access).

    Args:
        info: the clip's row (at least ``clip_id``, ``owner``, ``status``), e.g. ``store.clip_info``.
        user: the viewer's normalised handle.
        role: the viewer's role, or None for an unknown user.
        author_disabled: an admin disabled the clip's author.
        blocked: the viewer and the author blocked each other (either way).
        mature: the clip is mature (:data:`MATURE_DECISION`).
        teen: teen protections apply to the viewer (``social.accounts.protection_band``).
    """
    status, owner = info["status"], info["owner"]
    if is_admin(role):
        return Decision(True)
    if is_staff(role) and (status != "draft" or owner == user):
        return Decision(True)
    if owner == user:
        ok = status in ("draft", "held", "published")
        return Decision(ok, "" if ok else f"clip {info['clip_id']} was removed")
    if status == "draft":
        return Decision(False, f"clip {info['clip_id']} is a draft of @{owner}")
    if status == "held":
        return Decision(False, f"clip {info['clip_id']} is waiting for review")
    if status != "published":
        return Decision(False, f"clip {info['clip_id']} was removed")
    if author_disabled:
        return Decision(False, f"@{owner}'s account is disabled")
    if blocked:
        return Decision(False, f"clip {info['clip_id']} is not available: a block stands between you and @{owner}")
    if mature and teen:
        return Decision(False, f"clip {info['clip_id']} is for adults only")
    return Decision(True)


# ------------------------------------------------------------------ the rule in SQL
def _param(viewer_param: str, suffix: str = "") -> str:
    if not viewer_param.startswith("$") or not viewer_param[1:].isidentifier():
        raise ValueError(f"viewer_param must be a named parameter like '$viewer'; got {viewer_param!r}")
    return viewer_param + suffix


# The three sets the rule excludes, each written once. Uncorrelated IN-subqueries (rather than
# correlated EXISTS) keep DuckDB's planning at a few ms; none of them can yield NULL.
_DISABLED_OWNERS = "SELECT handle FROM auth_accounts WHERE disabled_at IS NOT NULL"
_MATURE_CLIPS = (f"SELECT target_id FROM moderation_verdicts WHERE target_kind = 'clip' "
                 f"AND decision = '{MATURE_DECISION}' AND target_id IS NOT NULL")


def _blocked_owners(viewer: str) -> str:
    return f"SELECT blocked FROM blocks WHERE blocker = {viewer} UNION ALL SELECT blocker FROM blocks WHERE blocked = {viewer}"


_FACTS_SQL = _FACTS_SQL.format(disabled=f"c.owner IN ({_DISABLED_OWNERS})",
                               blocked=f"c.owner IN ({_blocked_owners('$viewer')})",
                               mature=f"c.clip_id IN ({_MATURE_CLIPS})")


def visible_clip_sql(viewer_param: str = "$viewer", alias: str = "c") -> str:
    """A SQL boolean over a ``clips`` row aliased ``alias``: may the viewer see it in a list or a feed?

    True when the clip is published (not a draft, held, removed or hidden), its author is not
    disabled, no block stands between the viewer and the author (either way), and, for a viewer
    with teen protections, the clip is not mature (unless it is their own). This is the list
    form of :func:`can_view`: where it is true, ``can_view`` is too.

    The predicate reads two named parameters: ``viewer_param`` (the viewer's handle, e.g.
    ``$viewer``) and ``viewer_param + "_teen"`` (e.g. ``$viewer_teen``: whether teen
    protections apply). :func:`viewer_params` gives both.

    Args:
        viewer_param: the named parameter holding the viewer's handle, with its '$'.
        alias: the alias of the ``clips`` table in the query.

    Example::

        sql = f"SELECT clip_id FROM clips c WHERE {visible_clip_sql()}"
        con.execute(sql, viewer_params(store, "alice")).fetchall()
    """
    viewer, teen = _param(viewer_param), _param(viewer_param, "_teen")
    if not alias.isidentifier():
        raise ValueError(f"alias must be a SQL identifier; got {alias!r}")
    return (f"({alias}.status = 'published' "
            f"AND {alias}.owner NOT IN ({_DISABLED_OWNERS} UNION ALL {_blocked_owners(viewer)}) "
            f"AND (NOT {teen} OR {alias}.owner = {viewer} OR {alias}.clip_id NOT IN ({_MATURE_CLIPS})))")


def viewable_clip_sql(viewer_param: str = "$viewer", alias: str = "c") -> str:
    """:func:`can_view` as a SQL boolean over a ``clips`` row aliased ``alias``.

    :func:`visible_clip_sql`, or the viewer's own clip (draft, held or published), or staff
    (a reviewer sees everything but other people's drafts; an admin sees everything). Reads
    three named parameters: ``$viewer``, ``$viewer_teen`` and ``$viewer_role`` (the role,
    '' for an unknown user); ``viewer_params(..., role=True)`` gives them.

    Args:
        viewer_param: the named parameter holding the viewer's handle, with its '$'.
        alias: the alias of the ``clips`` table in the query.
    """
    viewer, role = _param(viewer_param), _param(viewer_param, "_role")
    staff = ", ".join(f"'{r}'" for r in STAFF_ROLES)
    return (f"({role} = '{ADMIN_ROLE}' "
            f"OR ({role} IN ({staff}) AND ({alias}.status <> 'draft' OR {alias}.owner = {viewer})) "
            f"OR ({alias}.owner = {viewer} AND {alias}.status IN ('draft', 'held', 'published')) "
            f"OR {visible_clip_sql(viewer_param, alias)})")


def viewer_params(store: Store, viewer: str | None, *, param: str = "viewer", role: bool = False) -> dict:
    """The named parameters :func:`visible_clip_sql` (and with ``role=True`` :func:`viewable_clip_sql`) read.

    Args:
        store: the store holding the viewer.
        viewer: the viewer's handle; None or an unknown handle gets teen protections and no role.
        param: the parameter's name without '$' (``visible_clip_sql("$" + param)``).
        role: also give ``<param>_role`` (for :func:`viewable_clip_sql`).

    Returns:
        ``{param: handle, param + "_teen": bool}`` (+ ``param + "_role": str``).
    """
    try:
        h = normalise_handle(viewer) if viewer is not None else ""
    except ValueError:
        h = ""
    with store.read():  # one connection for both lookups
        r = _role_or_none(store, h) if h else None
        out = {param: h, f"{param}_teen": _viewer_teen(store, h, r)}
    if role:
        out[f"{param}_role"] = r or ""
    return out


def _viewer_teen(store: Store, viewer: str, role: str | None) -> bool:
    """Teen protections for ``viewer`` (an unknown viewer gets them: the protective answer)."""
    if role is None:
        return True
    from .social.accounts import is_minor  # social.accounts imports this module

    return is_minor(store, viewer)


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
