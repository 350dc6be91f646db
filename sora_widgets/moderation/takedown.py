"""Taking a clip down: the one rule, the one way through the code.

Every take-down goes through :func:`take_down`: a clip owner removing their own
clip, a reviewer's "remove" decision (:func:`sora_widgets.moderation.review.decide`),
a cameo owner removing a clip that uses their cameo or revoking/deleting the cameo
(:mod:`sora_widgets.cameo.consent`), and the demo seed. ``lineage`` only answers
which descendants carry a clip's material (``lineage.material_descendants``).

The rule:

- the clip becomes ``removed``;
- its descendants that reuse its material (every remix edge from it down to them
  has ``reuses_material``) become ``hidden``: they carry its pixels or sound;
- the other descendants stay as they are and are marked "original removed".

Who may: the clip's owner, staff (``access.STAFF_ROLES``), and the owner of a
cameo the clip uses (a linked ``cameo_uses`` row). Each take-down is a row in
``takedowns``; a clip stays removed while any of its rows is not lifted, and
:func:`restore` lifts only the rows of one review case (an appeal that reverses a
"remove" decision), so a cameo owner's removal survives a reviewer's reversal.
Every status change is written to the audit log with ``Store.audit``, in one
transaction (the caller's, when it passes ``con``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import duckdb

from .. import lineage
from ..access import is_staff
from ..store import NotFound, Store, new_id, normalise_handle

__all__ = ["AlreadyTakenDown", "LIVE_STATUSES", "may_take_down", "restore", "settle_status", "take_down"]

#: Statuses a clip has while nothing takes it down (what a lifted take-down returns it to).
LIVE_STATUSES = ("draft", "published", "held")
#: What a restored clip becomes when the status it had before is unknown (removed before migration 005):
#: a draft, seen by its owner only, who can publish it again.
_UNKNOWN_BEFORE = "draft"


class AlreadyTakenDown(ValueError):
    """``by`` already took this clip down (for the same review case): nothing to do."""


@contextlib.contextmanager
def _tx(store: Store, con: duckdb.DuckDBPyConnection | None) -> Iterator[duckdb.DuckDBPyConnection]:
    if con is not None:
        yield con  # the caller's transaction: its checks and these writes commit together
    else:
        with store.transaction() as own:
            yield own


def _clip(con, clip_id: str) -> tuple[str, str, str | None]:
    rows = con.execute("SELECT owner, status, status_before_takedown FROM clips WHERE clip_id = ?", [clip_id]).fetchall()
    if not rows:
        raise NotFound(f"no clip {clip_id}")
    return rows[0]


def may_take_down(con: duckdb.DuckDBPyConnection, clip_id: str, by: str) -> bool:
    """May ``by`` take ``clip_id`` down? Its owner, staff, or the owner of a cameo the clip uses.

    Args:
        con: an open connection (read is enough).
        clip_id: the clip.
        by: the acting user's handle (normalised).
    """
    owner = _clip(con, clip_id)[0]
    if by == owner:
        return True
    role = con.execute("SELECT role FROM users WHERE handle = ?", [by]).fetchall()
    if role and is_staff(role[0][0]):
        return True
    return bool(con.execute(
        "SELECT 1 FROM cameo_uses u JOIN cameos m USING (cameo_id) WHERE u.clip_id = ? AND m.owner = ? LIMIT 1",
        [clip_id, by]).fetchall())


def take_down(
    store: Store,
    clip_id: str,
    *,
    by: str,
    reason: str,
    con: duckdb.DuckDBPyConnection | None = None,
    case_id: str | None = None,
) -> dict[str, Any]:
    """Take ``clip_id`` down as ``by``, for ``reason``; returns {"removed", "hidden", "kept", "already_removed"}.

    Args:
        store: the store (its ``audit`` helper writes every change).
        clip_id: the clip to take down.
        by: who acts: the clip's owner, a staff member, or the owner of a cameo the clip uses.
        reason: why, in words the clip's owner will read (required; it goes in the audit log).
        con: an open transaction of ``store`` to join (e.g. a review decision's); default: a new one.
        case_id: the review case whose decision this is (so an appeal can lift exactly it).

    ``hidden``: descendants that reuse the clip's material and were hidden now;
    ``kept``: the other descendants (marked "original removed"), both generation by
    generation. ``already_removed``: the clip was removed before (by someone else);
    this take-down is recorded as well and nothing else changes.

    Raises ``PermissionError`` when ``by`` may not, ``ValueError`` without a reason,
    :class:`AlreadyTakenDown` (a ``ValueError``) when ``by`` already took it down for
    the same case, ``NotFound`` for an unknown clip.
    """
    by = normalise_handle(by)
    reason = str(reason or "").strip()
    if not reason:
        raise ValueError("say why the clip is removed (reason=...): it goes in the audit log and to the owner")
    with _tx(store, con) as con:
        owner, status, before = _clip(con, clip_id)
        if not may_take_down(con, clip_id, by):
            raise PermissionError(
                f"@{by} cannot remove clip {clip_id}: only its owner @{owner}, a reviewer, an admin "
                "or the owner of a cameo it uses can"
            )
        if con.execute(
            "SELECT 1 FROM takedowns WHERE clip_id = ? AND by_handle = ? AND case_id IS NOT DISTINCT FROM ? "
            "AND lifted_at IS NULL", [clip_id, by, case_id]).fetchall():
            raise AlreadyTakenDown(f"clip {clip_id} is already removed (by @{by})")
        con.execute("INSERT INTO takedowns (takedown_id, clip_id, by_handle, reason, case_id) VALUES (?, ?, ?, ?, ?)",
                    [new_id("td_"), clip_id, by, reason, case_id])
        if status == "removed":
            store.audit(by, "clip.takedown_added", "clip", clip_id, {"reason": reason, "case_id": case_id}, con=con)
            return {"removed": clip_id, "hidden": [], "kept": [], "already_removed": True}

        material, others = lineage.material_descendants(con, clip_id)
        _set_status(con, clip_id, "removed", status, before)
        store.audit(by, "clip.removed", "clip", clip_id,
                    {"reason": reason, "previous_status": status, "case_id": case_id,
                     "hidden": len(material), "kept": len(others)}, con=con)
        # Set-based from here: a cascade of thousands of clips is a handful of statements.
        # Clips already down (removed, or hidden under another removal) keep their own state.
        live = dict(con.execute(
            f"SELECT clip_id, status FROM clips WHERE clip_id = ANY(?::VARCHAR[]) AND status IN {LIVE_STATUSES}",
            [material]).fetchall())
        hidden = [c for c in material if c in live]
        con.execute("UPDATE clips SET status = 'hidden', status_before_takedown = status, "
                    "updated_at = current_timestamp WHERE clip_id = ANY(?::VARCHAR[])", [hidden])
        why = f"reuses material of removed clip {clip_id}"
        store.audit_many(by, "clip.hidden", "clip", {
            c: {"reason": why, "removed_clip": clip_id, "previous_status": live[c]} for c in hidden}, con=con)
        _mark_original_removed(con, others, True)
        store.audit_many(by, "clip.original_removed", "clip", {
            c: {"removed_clip": clip_id, "reason": "no material of the removed clip: stays"} for c in others}, con=con)
    return {"removed": clip_id, "hidden": hidden, "kept": others, "already_removed": False}


def _set_status(con, clip_id: str, status: str, current: str, before: str | None) -> None:
    """Move a clip to removed/hidden, remembering the live status it had (kept across hidden -> removed)."""
    keep = current if current in LIVE_STATUSES else before
    con.execute("UPDATE clips SET status = ?, status_before_takedown = ?, updated_at = current_timestamp "
                "WHERE clip_id = ?", [status, keep, clip_id])


def _mark_original_removed(con, clip_ids: list[str], value: bool) -> None:
    """Set the lineage index's "original removed" mark of ``clip_ids`` (clips the index has not caught up
    with have no row yet; ``tree`` and ``lineage_status`` also read ancestors' statuses)."""
    if clip_ids:
        con.execute("UPDATE lineage SET original_removed = ? WHERE clip_key IN (SELECT hash(unnest(?::VARCHAR[]))) "
                    "AND clip_id = ANY(?::VARCHAR[])", [value, clip_ids, clip_ids])


# Descendants reachable from $clip through material edges without passing a clip removed in its own right:
# those hidden among them were hidden only by $clip's removal (or one above it).
_RESTORABLE_SQL = """
WITH RECURSIVE d(clip_id, status) AS (
    SELECT e.child_id, c.status FROM remix_edges e JOIN clips c ON c.clip_id = e.child_id
    WHERE e.parent_id = $clip AND e.reuses_material AND c.status <> 'removed'
    UNION ALL
    SELECT e.child_id, c.status FROM d JOIN remix_edges e ON e.parent_id = d.clip_id AND e.reuses_material
    JOIN clips c ON c.clip_id = e.child_id WHERE c.status <> 'removed'
)
SELECT clip_id, status FROM d
"""

# Descendants of $clip every ancestor of which, from $clip down, is live again: no removed original above them.
_UNDER_LIVE_SQL = f"""
WITH RECURSIVE d(clip_id, status) AS (
    SELECT e.child_id, c.status FROM remix_edges e JOIN clips c ON c.clip_id = e.child_id WHERE e.parent_id = $clip
    UNION ALL
    SELECT e.child_id, c.status FROM d JOIN remix_edges e ON e.parent_id = d.clip_id
    JOIN clips c ON c.clip_id = e.child_id WHERE d.status IN {LIVE_STATUSES}
)
SELECT clip_id FROM d
"""


def _removed_above(con, clip_id: str) -> bool:
    """Is a removed clip among the ancestors whose material ``clip_id`` carries (all edges reuse material)?"""
    return bool(con.execute(
        """WITH RECURSIVE up(clip_id) AS (
               SELECT parent_id FROM remix_edges WHERE child_id = $c AND reuses_material
               UNION ALL
               SELECT e.parent_id FROM up JOIN remix_edges e ON e.child_id = up.clip_id AND e.reuses_material
           )
           SELECT 1 FROM up JOIN clips c USING (clip_id) WHERE c.status = 'removed' LIMIT 1""",
        {"c": clip_id}).fetchall())


def _any_removed_ancestor(con, clip_id: str) -> bool:
    return bool(con.execute(
        """WITH RECURSIVE up(clip_id) AS (
               SELECT parent_id FROM remix_edges WHERE child_id = $c
               UNION ALL
               SELECT e.parent_id FROM up JOIN remix_edges e ON e.child_id = up.clip_id
           )
           SELECT 1 FROM up JOIN clips c USING (clip_id) WHERE c.status IN ('removed', 'hidden') LIMIT 1""",
        {"c": clip_id}).fetchall())


def restore(
    store: Store,
    clip_id: str,
    *,
    by: str,
    reason: str,
    case_id: str,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, Any]:
    """Lift the take-downs review case ``case_id`` made of ``clip_id`` (its decision was reversed on appeal).

    Args:
        store: the store.
        clip_id: the clip.
        by: the staff member reversing the decision.
        reason: why (audited).
        case_id: the review case whose take-downs are lifted; others stay.
        con: an open transaction to join.

    If nothing else takes the clip down it gets back the status it had (hidden
    instead when a removed ancestor's material is in it), and descendants hidden
    only because of it come back too. Returns {"restored": [...], "still_removed": bool}.
    """
    by = normalise_handle(by)
    with _tx(store, con) as con:
        role = con.execute("SELECT role FROM users WHERE handle = ?", [by]).fetchall()
        if not (role and is_staff(role[0][0])):
            raise PermissionError(f"@{by} cannot reverse a take-down: it needs a reviewer or an admin")
        con.execute("UPDATE takedowns SET lifted_at = current_timestamp, lifted_by = ? "
                    "WHERE clip_id = ? AND case_id = ? AND lifted_at IS NULL", [by, clip_id, case_id])
        _, status, _ = _clip(con, clip_id)
        standing = con.execute("SELECT count(*) FROM takedowns WHERE clip_id = ? AND lifted_at IS NULL",
                               [clip_id]).fetchall()[0][0]
        if status != "removed" or standing:
            return {"restored": [], "still_removed": status == "removed"}
        if _removed_above(con, clip_id):  # no longer removed itself, but it carries a removed ancestor's material
            con.execute("UPDATE clips SET status = 'hidden', updated_at = current_timestamp WHERE clip_id = ?",
                        [clip_id])
            store.audit(by, "clip.hidden", "clip", clip_id,
                        {"reason": f"restored by {case_id}, but reuses material of a removed clip",
                         "case_id": case_id}, con=con)
            return {"restored": [], "still_removed": False}
        # The clip and the remixes hidden with it, down to (not past) any clip removed in its own right.
        rows = con.execute(_RESTORABLE_SQL, {"clip": clip_id}).fetchall()
        restored = [clip_id, *(c for c, s in rows if s == "hidden")]
        back = {c: b or _UNKNOWN_BEFORE for c, b in con.execute(
            "SELECT clip_id, status_before_takedown FROM clips WHERE clip_id = ANY(?::VARCHAR[])", [restored]).fetchall()}
        con.execute(f"UPDATE clips SET status = coalesce(status_before_takedown, '{_UNKNOWN_BEFORE}'), "
                    "status_before_takedown = NULL, updated_at = current_timestamp WHERE clip_id = ANY(?::VARCHAR[])",
                    [restored])
        store.audit_many(by, "clip.restored", "clip", {
            c: {"reason": reason, "case_id": case_id, "restored_clip": clip_id, "status": back[c]} for c in restored},
            con=con)
        if not _any_removed_ancestor(con, clip_id):
            unmarked = [r[0] for r in con.execute(_UNDER_LIVE_SQL, {"clip": clip_id}).fetchall()]
            _mark_original_removed(con, unmarked, False)
    return {"restored": restored, "still_removed": False}


def settle_status(
    store: Store, clip_id: str, status: str, *, by: str, reason: str, con: duckdb.DuckDBPyConnection | None = None
) -> str:
    """Give ``clip_id`` the live ``status`` its author asked for (a review approval); returns the status it has now.

    Args:
        store: the store.
        clip_id: the clip.
        status: one of :data:`LIVE_STATUSES`.
        by: who decides (audited; the caller checked they may).
        reason: why (audited).
        con: an open transaction to join.

    A clip that is taken down (removed or hidden) stays so: ``status`` becomes what
    it returns to once nothing takes it down.
    """
    if status not in LIVE_STATUSES:
        raise ValueError(f"status must be one of {', '.join(LIVE_STATUSES)}; got {status!r}")
    with _tx(store, con) as con:
        _, current, _ = _clip(con, clip_id)
        if current in ("removed", "hidden"):
            con.execute("UPDATE clips SET status_before_takedown = ? WHERE clip_id = ?", [status, clip_id])
            store.audit(by, "clip.status_after_takedown", "clip", clip_id, {"status": status, "reason": reason},
                        con=con)
            return current
        store.set_clip_status(clip_id, status, actor=by, reason=reason, con=con)
        return status
