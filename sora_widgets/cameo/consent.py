"""Consent: who may use a cameo, every use recorded, the owner in control.

The one place these rules live (widgets and notebooks both call here):

- ``use`` is the only way to get a cameo's asset for a generation; it checks
  ``can_use`` and records the use in the same transaction.
- Saving a clip whose recipe names cameos links those uses to it
  (``link_uses``, called by ``publishing.publish``); a clip naming a cameo
  its author never obtained through ``use`` is taken down and refused.
- Audiences: ``only_me``, ``approved`` (a list the owner keeps),
  ``followers`` (people who follow the owner, plus the approved), ``everyone``.
  A minor's cameo is usable only by people its owner approved, whatever the
  audience says. "Minor" is ``social.accounts.is_minor``: a teen, or anyone whose
  birthdate is not confirmed. Revoked or deleted cameos are usable by no one.
- The owner (and admins) see every clip that used a cameo, drafts included,
  and can take any of them down; ``revoke(remove_past=True)`` also takes down
  past clips. Every take-down goes through ``moderation.takedown.take_down``:
  the clip is removed, remixes that reuse its material are hidden with it, the
  others stay marked "original removed".

Every action writes the audit log in the transaction that checks and writes it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ..access import Decision, is_admin, is_staff
from ..media import Clip
from ..moderation.takedown import AlreadyTakenDown, take_down
from ..social.accounts import is_minor
from ..social.graph import is_blocked
from ..social.notifications import notify
from ..store import NotFound, Store, new_id, normalise_handle
from . import recognise
from .asset import KINDS, CameoAsset, CameoError

__all__ = [
    "AUDIENCES",
    "Decision",
    "can_use",
    "create",
    "delete",
    "get",
    "link_uses",
    "list_cameos",
    "PUBLIC_FIELDS",
    "remove_use",
    "revoke",
    "set_audience",
    "use",
    "uses",
    "VerificationFailed",
]

AUDIENCES = ("only_me", "approved", "followers", "everyone")
_COLUMNS = ("cameo_id", "owner", "kind", "name", "audience", "status", "source_hash", "asset_hash", "created_at",
            "revoked_at")


@dataclass(frozen=True)
class _Actor:
    handle: str
    role: str


def _actor(con, handle: str) -> _Actor:
    h = normalise_handle(handle)
    row = con.execute("SELECT role FROM users WHERE handle = ?", [h]).fetchone()
    if row is None:
        raise NotFound(f"no user @{h}")
    return _Actor(h, row[0])


def _cameo(con, cameo_id: str) -> dict:
    row = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM cameos WHERE cameo_id = ?", [cameo_id]).fetchone()
    if row is None:
        raise NotFound(f"no cameo {cameo_id}")
    return dict(zip(_COLUMNS, row, strict=True))


#: What :func:`get` shows anyone: never the media hashes (the asset leaves the store only through ``use``).
PUBLIC_FIELDS = ("cameo_id", "owner", "kind", "name", "audience", "status", "created_at", "revoked_at")


def get(store: Store, cameo_id: str, *, by: str | None = None) -> dict:
    """The cameo's public facts: ``PUBLIC_FIELDS`` (no media hashes: the asset comes only from :func:`use`).

    Args:
        store: the store.
        cameo_id: the cameo.
        by: who asks; for the owner and admins the result adds ``approved`` (the handles the
            owner approved), which nobody else sees.
    """
    with store.read() as con:
        c = _cameo(con, cameo_id)
        info = {k: c[k] for k in PUBLIC_FIELDS}
        if by is not None:
            with contextlib.suppress(NotFound, ValueError):
                actor = _actor(con, by)
                if actor.handle == c["owner"] or is_admin(actor.role):
                    info["approved"] = [r[0] for r in con.execute(
                        "SELECT handle FROM cameo_permissions WHERE cameo_id = ? ORDER BY handle",
                        [cameo_id]).fetchall()]
    return info


def list_cameos(store: Store, *, owner: str):
    """``owner``'s cameos (not deleted), newest first, with use counts - a DataFrame."""
    return store.sql(
        """SELECT c.cameo_id, c.name, c.kind, c.audience, c.status, c.created_at,
                  (SELECT count(*) FROM cameo_uses u WHERE u.cameo_id = c.cameo_id AND u.clip_id IS NOT NULL) AS clips,
                  (SELECT string_agg(p.handle, ', ' ORDER BY p.handle) FROM cameo_permissions p
                    WHERE p.cameo_id = c.cameo_id) AS approved
           FROM cameos c WHERE c.owner = ? AND c.status <> 'deleted' ORDER BY c.created_at DESC, c.cameo_id""",
        [normalise_handle(owner)],
    )


# ------------------------------------------------------------------ create
class VerificationFailed(PermissionError):
    """A person cameo's clip failed :func:`~.verify.verify`; ``verification`` holds why, for guidance
    (which words were not heard, whether the face was seen, whether the lips moved with the words)."""

    def __init__(self, verification):
        super().__init__("verification failed: " + "; ".join(verification.reasons))
        self.verification = verification


def create(
    store: Store,
    *,
    owner: str,
    clip: Clip,
    kind: str,
    name: str,
    box=None,
    challenge=None,
    audience: str = "only_me",
    asset: CameoAsset | None = None,
) -> str:
    """Extract and store a cameo of ``clip`` owned by ``owner``; returns its id.

    A person cameo of yourself needs ``challenge`` (from ``new_challenge``,
    issued to ``owner``, unexpired, unused) and a clip that passes ``verify``
    against it; animals and objects need ``box`` and no phrase. ``asset``: an
    extraction already made from ``clip`` (the widget shows it first), else
    extraction runs here. Raises :class:`CameoError` / ``PermissionError`` with
    what to do.
    """
    from .extract import extract
    from .verify import get_challenge, verify

    owner = normalise_handle(owner)
    store.get_user(owner)
    if kind not in KINDS:
        raise CameoError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    name = normalise_handle(name)
    if audience not in AUDIENCES:
        raise CameoError(f"audience must be one of {', '.join(AUDIENCES)}; got {audience!r}")
    challenge_id = None
    if kind == "person":
        if challenge is None:
            raise PermissionError("a person cameo needs the spoken phrase: ask for a phrase, then record yourself saying it")
        challenge_id = getattr(challenge, "challenge_id", challenge)
        stored, used_at = get_challenge(store, challenge_id)
        if stored.user != owner:
            raise PermissionError("this phrase was issued to someone else: ask for your own phrase")
        if used_at is not None:
            raise PermissionError("this phrase was already used: ask for a new one")
        result = verify(clip, stored, kind="person")
        if not result.passed:
            raise VerificationFailed(result)
    if asset is None:
        asset = extract(clip, kind=kind, box=box, name=name)
    asset.name = name
    asset_hash = store.put_media_file_only(asset.to_bytes(), ".npz")
    source = clip.to_mp4_bytes()
    source_hash = store.put_media_file_only(source, ".mp4")
    face = recognise.enrol(clip.frames) if kind == "person" else None  # compared at every publish (issue 13 item 5)
    cameo_id = new_id("cm")
    with store.transaction() as con:
        for digest, size, mime, suffix in ((asset_hash, None, "application/x-npz", ".npz"),
                                           (source_hash, len(source), "video/mp4", ".mp4")):
            path = store.media_dir / digest[:2] / f"{digest}{suffix}"
            con.execute(
                "INSERT INTO media (hash, path, bytes, mime) VALUES (?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
                [digest, f"media/{digest[:2]}/{digest}{suffix}", size or path.stat().st_size, mime],
            )
        if con.execute("SELECT 1 FROM cameos WHERE name = ? AND status <> 'deleted'", [name]).fetchone():
            raise CameoError(f"the cameo name @{name} is taken; choose another")
        if challenge_id is not None:
            # Spend the phrase in the same transaction: two uploads cannot both use it.
            n = con.execute(
                "UPDATE cameo_challenges SET used_at = current_timestamp, cameo_id = ? "
                "WHERE challenge_id = ? AND used_at IS NULL RETURNING challenge_id", [cameo_id, challenge_id]).fetchall()
            if not n:
                raise PermissionError("this phrase was already used: ask for a new one")
        if audience in ("followers", "everyone") and is_minor(store, owner):
            raise PermissionError(_MINOR_MESSAGE)
        con.execute(
            "INSERT INTO cameos (cameo_id, owner, kind, name, audience, source_hash, asset_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [cameo_id, owner, kind, name, audience, source_hash, asset_hash],
        )
        if kind == "person":
            recognise.remember(con, cameo_id, face)
        store.audit(owner, "cameo.create", "cameo", cameo_id,
                    {"kind": kind, "name": name, "audience": audience, "challenge_id": challenge_id}, con=con)
    return cameo_id


_MINOR_MESSAGE = ("a cameo of someone under 18 can only be used by people its owner approves: "
                  "choose 'only me' or 'approved people'")


# ------------------------------------------------------------------ audience
def set_audience(store: Store, cameo_id: str, *, by: str, audience: str, approved=()) -> None:
    """Only the owner chooses who may use a cameo; ``approved`` replaces the list of approved handles."""
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {', '.join(AUDIENCES)}; got {audience!r}")
    handles = sorted({normalise_handle(h) for h in approved})
    with store.transaction() as con:
        actor = _actor(con, by)
        c = _cameo(con, cameo_id)
        if actor.handle != c["owner"]:
            raise PermissionError(f"only @{c['owner']} can choose who may use the cameo @{c['name']}")
        if c["status"] != "active":
            raise PermissionError(f"the cameo @{c['name']} is {c['status']}; it can no longer be shared")
        if audience in ("followers", "everyone") and is_minor(store, c["owner"]):
            raise PermissionError(_MINOR_MESSAGE)
        unknown = [h for h in handles if not con.execute("SELECT 1 FROM users WHERE handle = ?", [h]).fetchone()]
        if unknown:
            raise NotFound(f"no user {', '.join('@' + h for h in unknown)}: check the handles")
        con.execute("UPDATE cameos SET audience = ? WHERE cameo_id = ?", [audience, cameo_id])
        con.execute("DELETE FROM cameo_permissions WHERE cameo_id = ?", [cameo_id])
        for h in handles:
            con.execute("INSERT INTO cameo_permissions (cameo_id, handle) VALUES (?, ?)", [cameo_id, h])
        store.audit(actor.handle, "cameo.audience", "cameo", cameo_id, {"audience": audience, "approved": handles},
                    con=con)


# ------------------------------------------------------------------ use
def _can_use(store: Store, con, cameo_id: str, user: str) -> Decision:
    """The rule, on ``con`` (``store``'s open connection: the age check reads through it)."""
    try:
        c = _cameo(con, cameo_id)
    except NotFound:
        return Decision(False, f"there is no cameo {cameo_id}")
    try:
        actor = _actor(con, user)
    except (NotFound, ValueError):
        return Decision(False, f"there is no user {user!r}")
    name, owner = c["name"], c["owner"]
    if c["status"] != "active":
        return Decision(False, f"@{owner} has {c['status']} the cameo @{name}; it can't be used")
    if actor.handle == owner:
        return Decision(True, "it is your own cameo")
    if is_blocked(store, actor.handle, owner, con=con):  # a block hides each from the other's cameo audience
        return Decision(False, f"you can't use the cameo @{name}: a block stands between you and @{owner}")
    approved = con.execute(
        "SELECT 1 FROM cameo_permissions WHERE cameo_id = ? AND handle = ?", [cameo_id, actor.handle]).fetchone()
    if is_minor(store, owner):
        # A minor's likeness: only people the owner approved, whatever the audience says.
        if approved and c["audience"] != "only_me":
            return Decision(True, f"@{owner} approved you")
        return Decision(False, f"only people @{owner} approved can use the cameo @{name}")
    audience = c["audience"]
    if audience == "everyone":
        return Decision(True, f"@{owner} lets everyone use @{name}")
    if audience in ("approved", "followers") and approved:
        return Decision(True, f"@{owner} approved you")
    if audience == "followers" and con.execute(
        "SELECT 1 FROM follows WHERE follower = ? AND followee = ?", [actor.handle, owner]
    ).fetchone():
        return Decision(True, f"you follow @{owner}")
    who = {"only_me": "only @" + owner, "approved": f"only people @{owner} approved",
           "followers": f"only @{owner}'s followers and approved people"}[audience]
    return Decision(False, f"{who} can use the cameo @{name}")


def can_use(store: Store, cameo_id: str, user: str) -> Decision:
    """May ``user`` put cameo ``cameo_id`` in a clip? Truthy or not, with ``.reason``."""
    with store.read() as con:
        return _can_use(store, con, cameo_id, user)


def use(store: Store, cameo_id: str, *, user: str) -> CameoAsset:
    """The cameo's asset for a generation by ``user``, after checking and recording the use.

    The returned asset carries ``cameo_id`` (so the clip's recipe names it) and
    ``use_id``. Raises ``PermissionError`` with a reason the user can read.
    """
    use_id = new_id("u")
    with store.transaction() as con:
        d = _can_use(store, con, cameo_id, user)
        if not d:
            store.audit(_safe_handle(user), "cameo.use_refused", "cameo", cameo_id, {"reason": d.reason}, con=con)
            refused = d.reason
        else:
            refused = None
            handle = normalise_handle(user)
            c = _cameo(con, cameo_id)
            con.execute("INSERT INTO cameo_uses (use_id, cameo_id, user_handle) VALUES (?, ?, ?)",
                        [use_id, cameo_id, handle])
            store.audit(handle, "cameo.use", "cameo", cameo_id, {"use_id": use_id}, con=con)
    if refused is not None:  # raised after commit, so the refusal stays in the audit log
        raise PermissionError(f"you can't use this cameo: {refused}")
    asset = CameoAsset.from_bytes(store.media_bytes(c["asset_hash"]), cameo_id=cameo_id)
    asset.name = c["name"]
    asset.use_id = use_id
    return asset


def _safe_handle(user: str) -> str:
    try:
        return normalise_handle(user)
    except ValueError:
        return str(user)[:40]


def link_uses(store: Store, *, clip_id: str, user: str, cameo_ids, seen: dict[str, str] | None = None) -> list[str]:
    """Link ``user``'s recorded uses of ``cameo_ids`` to the saved clip ``clip_id``; returns the use ids.

    For each cameo: an unlinked use by ``user`` is linked; if every use was
    linked already (several clips from one ``use``), a new use is recorded,
    provided ``user`` may still use it. With no recorded use at all - a cameo id
    typed into a recipe, or an asset with no cameo id (``None`` in ``cameo_ids``:
    read from the store's files instead of obtained with :func:`use`) - or a
    cameo revoked since, the clip is taken down and ``PermissionError`` raised:
    no clip shows a likeness without a permitted use. ``seen``: cameo id -> where the clip's pixels show it
    (``pixel_check.Sighting.describe``), for cameos found there rather than in the recipe; said in a refusal.
    """
    user = normalise_handle(user)
    linked: list[str] = []
    refused: str | None = None
    cameo_ids = list(cameo_ids)
    if any(not c for c in cameo_ids):
        refused = ("the clip carries a cameo that was not obtained with cameo.use (no recorded use): "
                   "ask for the cameo with cameo.use, which checks its owner's permission")
        cameo_ids = []
    with store.transaction() as con:
        for cameo_id in dict.fromkeys(cameo_ids):
            if con.execute("SELECT 1 FROM cameo_uses WHERE cameo_id = ? AND clip_id = ?", [cameo_id, clip_id]).fetchone():
                continue
            d = _can_use(store, con, cameo_id, user)
            prior = con.execute(
                "SELECT use_id, clip_id FROM cameo_uses WHERE cameo_id = ? AND user_handle = ? "
                "ORDER BY (clip_id IS NULL) DESC, created_at", [cameo_id, user]).fetchall()
            where = (seen or {}).get(cameo_id)
            if not prior:
                refused = (f"{where}, and you never obtained it with cameo.use (ask for it with cameo.use, which checks "
                           "its owner's permission)" if where else
                           f"the clip names cameo {cameo_id}, which you never obtained with cameo.use")
                break
            if not d:
                refused = f"{where}: {d.reason}" if where else d.reason
                break
            use_id, linked_to = prior[0]
            if linked_to is None:
                con.execute("UPDATE cameo_uses SET clip_id = ? WHERE use_id = ?", [clip_id, use_id])
            else:
                use_id = new_id("u")
                con.execute("INSERT INTO cameo_uses (use_id, cameo_id, user_handle, clip_id) VALUES (?, ?, ?, ?)",
                            [use_id, cameo_id, user, clip_id])
            store.audit(user, "cameo.link", "clip", clip_id, {"cameo_id": cameo_id, "use_id": use_id}, con=con)
            c = _cameo(con, cameo_id)  # the owner sees every use: told in the transaction that records it
            notify(store, recipient=c["owner"], kind="cameo_use", actor=user, target_kind="clip", target_id=clip_id,
                   detail={"cameo": c["name"], "cameo_id": cameo_id}, con=con)
            linked.append(use_id)
    if refused is not None:
        with contextlib.suppress(NotFound, AlreadyTakenDown):
            take_down(store, clip_id, by=user, reason=f"cameo not permitted: {refused}")
        raise PermissionError(f"this clip can't be saved: {refused}")
    return linked


# ------------------------------------------------------------------ the owner's view
def _require_owner_or_admin(con, cameo_id: str, by: str) -> tuple[_Actor, dict]:
    actor = _actor(con, by)
    c = _cameo(con, cameo_id)
    if actor.handle != c["owner"] and not is_admin(actor.role):
        raise PermissionError(f"only @{c['owner']} (and admins) can see or manage the uses of @{c['name']}")
    return actor, c


def uses(store: Store, cameo_id: str, *, by: str):
    """Every clip that used the cameo (drafts and removed ones included): a DataFrame of
    clip_id, user, used_at, status, prompt, media_hash, thumb_hash. Owner and admins only."""
    with store.read() as con:
        _require_owner_or_admin(con, cameo_id, by)
        return con.execute(
            """SELECT u.clip_id, u.user_handle AS user, u.created_at AS used_at, c.status, c.prompt,
                      c.media_hash, c.thumb_hash
               FROM cameo_uses u JOIN clips c ON c.clip_id = u.clip_id
               WHERE u.cameo_id = ? ORDER BY u.created_at DESC, u.clip_id""",
            [cameo_id],
        ).df()


def _take_down(store: Store, con, clip_ids, *, actor: str, reason: str) -> list[str]:
    """Take ``clip_ids`` down through the one take-down service; returns the clips whose status changed
    (each removed clip, then the remixes hidden with it). One the actor took down before is skipped."""
    changed: list[str] = []
    for cid in dict.fromkeys(clip_ids):
        try:
            out = take_down(store, cid, by=actor, reason=reason, con=con)
        except AlreadyTakenDown:
            continue
        if not out["already_removed"]:
            changed += [cid, *out["hidden"]]
    return list(dict.fromkeys(changed))


def remove_use(store: Store, clip_id: str, *, by: str) -> list[str]:
    """Take down ``clip_id`` because it uses ``by``'s cameo (staff may too); returns the clips taken down now:
    ``clip_id`` and the remixes hidden with it because they reuse its material."""
    with store.transaction() as con:
        actor = _actor(con, by)
        rows = con.execute(
            "SELECT DISTINCT m.cameo_id, m.owner, m.name FROM cameo_uses u JOIN cameos m USING (cameo_id) "
            "WHERE u.clip_id = ?", [clip_id]).fetchall()
        if not rows:
            raise NotFound(f"clip {clip_id} uses no cameo")
        mine = [r for r in rows if r[1] == actor.handle]
        if not mine and not is_staff(actor.role):
            raise PermissionError(f"clip {clip_id} does not use a cameo of yours")
        names = ", ".join("@" + r[2] for r in (mine or rows))
        removed = _take_down(store, con, [clip_id], actor=actor.handle, reason=f"cameo owner removed it ({names})")
        store.audit(actor.handle, "cameo.remove_use", "clip", clip_id,
                    {"cameos": [r[0] for r in (mine or rows)], "removed": removed}, con=con)
    return removed


def revoke(store: Store, cameo_id: str, *, by: str, remove_past: bool = False) -> list[str]:
    """Refuse all future uses; with ``remove_past``, take down past clips (remixes that reuse their material
    are hidden with them). Returns the clips taken down now."""
    with store.transaction() as con:
        actor, c = _require_owner_or_admin(con, cameo_id, by)
        if c["status"] == "deleted":
            raise CameoError(f"the cameo @{c['name']} was deleted already")
        con.execute("UPDATE cameos SET status = 'revoked', revoked_at = current_timestamp WHERE cameo_id = ?",
                    [cameo_id])
        removed = []
        if remove_past:
            past = [r[0] for r in con.execute(
                "SELECT clip_id FROM cameo_uses WHERE cameo_id = ? AND clip_id IS NOT NULL", [cameo_id]).fetchall()]
            removed = _take_down(store, con, past, actor=actor.handle, reason=f"@{c['name']} was revoked by its owner")
        store.audit(actor.handle, "cameo.revoke", "cameo", cameo_id,
                    {"remove_past": remove_past, "removed": removed}, con=con)
    return removed


def delete(store: Store, cameo_id: str, *, by: str, remove_past: bool = True) -> list[str]:
    """Delete the cameo and its media (asset and source video); by default take down the clips that used it too."""
    with store.transaction() as con:
        actor, c = _require_owner_or_admin(con, cameo_id, by)
        removed = []
        if remove_past:
            past = [r[0] for r in con.execute(
                "SELECT clip_id FROM cameo_uses WHERE cameo_id = ? AND clip_id IS NOT NULL", [cameo_id]).fetchall()]
            removed = _take_down(store, con, past, actor=actor.handle, reason=f"@{c['name']} was deleted by its owner")
        con.execute("UPDATE cameos SET status = 'deleted', revoked_at = coalesce(revoked_at, current_timestamp), "
                    "asset_hash = NULL, source_hash = NULL WHERE cameo_id = ?", [cameo_id])
        con.execute("DELETE FROM cameo_permissions WHERE cameo_id = ?", [cameo_id])
        recognise.forget(con, cameo_id)  # the face descriptor is biometric data: it goes with the cameo
        files = []
        for digest in (c["asset_hash"], c["source_hash"]):
            if digest is None or _still_referenced(con, digest):
                continue
            row = con.execute("DELETE FROM media WHERE hash = ? RETURNING path", [digest]).fetchone()
            if row:
                files.append(store.home / row[0])
        store.audit(actor.handle, "cameo.delete", "cameo", cameo_id,
                    {"removed": removed, "media_deleted": len(files)}, con=con)
    for path in files:  # after commit: a failed transaction must not lose files its rows still name
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return removed


def _still_referenced(con, digest: str) -> bool:
    """Is ``digest`` still named by a clip or another live cameo (content addressing shares files)?"""
    in_clips = con.execute("SELECT 1 FROM clips WHERE media_hash = ? OR thumb_hash = ? LIMIT 1", [digest, digest])
    if in_clips.fetchone():
        return True
    return con.execute(
        "SELECT 1 FROM cameos WHERE (asset_hash = ? OR source_hash = ?) AND status <> 'deleted' LIMIT 1",
        [digest, digest]).fetchone() is not None
