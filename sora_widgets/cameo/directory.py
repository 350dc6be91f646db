"""Finding cameos by name: the picker's list, ``@name`` in a prompt, and a picture to choose by.

The Studio's cameo picker lists the cameos the current user may use; typing
``@name`` in a prompt resolves to that cameo *through the consent service*
(``consent.can_use`` decides, ``consent.use`` records the use), so a prompt is
one more way in, never a way around. An ``@name`` nobody may use, or that does
not exist, is a clear error before anything is generated — not a generic
figure drawn without a word (issue 14 item 1).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..frames import resize_frame
from ..media import encode_png
from ..store import Store, normalise_handle
from .asset import CameoAsset, CameoError
from .consent import can_use, use

__all__ = ["MENTION_RE", "mentions", "preview_png", "resolve_mentions", "usable"]

#: The grey a cut-out is shown on in the picker (0-255).
PREVIEW_BACKGROUND = 245.0
#: ``@name`` in a prompt (the sim engine's reader takes the same tokens): letters, digits, ``_``, ``.``, ``-``;
#: not inside a word or an e-mail address.
MENTION_RE = re.compile(r"(?<![\w@.])@([\w][\w.-]*)", re.UNICODE)


def mentions(prompt: str) -> list[str]:
    """The cameo names ``prompt`` mentions, lower case, in order, each once (``"@Astro_me!"`` -> ``astro_me``).

    Args:
        prompt: the prompt as typed.
    """
    names = (m.group(1).rstrip(".-").lower() for m in MENTION_RE.finditer(prompt or ""))
    return list(dict.fromkeys(n for n in names if n))


def _active(store: Store, where: str = "", params: list | None = None) -> list[dict[str, Any]]:
    sql = ("SELECT cameo_id, name, owner, kind, audience FROM cameos WHERE status = 'active'"
           + (f" AND {where}" if where else "") + " ORDER BY created_at, cameo_id")
    with store.read() as con:
        cur = con.execute(sql, params or [])
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def usable(store: Store, user: str) -> list[dict[str, Any]]:
    """The active cameos ``user`` may put in a clip: their own first, then others', each with the reason.

    Args:
        store: the store holding the cameos.
        user: the creator's handle.

    Returns:
        dicts with ``cameo_id``, ``name``, ``owner``, ``kind``, ``audience``, ``reason`` (why it is allowed,
        from ``consent.can_use``).
    """
    user = normalise_handle(user)
    out = []
    for row in _active(store):
        decision = can_use(store, row["cameo_id"], user)
        if decision:
            out.append({**row, "reason": decision.reason})
    return sorted(out, key=lambda r: (r["owner"] != user, r["name"]))


def preview_png(store: Store, cameo_id: str, *, user: str, px: int = 96) -> bytes:
    """A small picture of the cameo (its representative cut-out) for a user who may use it; records no use.

    Args:
        store: the store holding the cameo.
        cameo_id: the cameo.
        user: the viewer; ``PermissionError`` if ``consent.can_use`` says no.
        px: the longest side of the picture, in pixels.
    """
    decision = can_use(store, cameo_id, user)
    if not decision:
        raise PermissionError(f"you can't see this cameo: {decision.reason}")
    with store.read() as con:
        digest = con.execute("SELECT asset_hash FROM cameos WHERE cameo_id = ?", [cameo_id]).fetchone()[0]
    still = CameoAsset.from_bytes(store.media_bytes(digest), cameo_id=cameo_id).still
    alpha = still[..., 3:4].astype(np.float32) / 255.0
    on_light = still[..., :3].astype(np.float32) * alpha + PREVIEW_BACKGROUND * (1.0 - alpha)
    return encode_png(resize_frame(on_light.round().astype(np.uint8), px))


def resolve_mentions(store: Store, prompt: str, *, user: str) -> list[CameoAsset]:
    """The assets of the cameos ``prompt`` mentions, each use checked and recorded by ``consent.use``.

    Args:
        store: the store holding the cameos.
        prompt: the prompt as typed (``"@astro_me dances on the beach"``).
        user: the creator's handle.

    Returns:
        one `CameoAsset` per mentioned cameo (empty when the prompt mentions none).

    Raises:
        CameoError: a mentioned name is no cameo (nothing recorded).
        PermissionError: the user may not use a mentioned cameo, with the owner's rule in words
            (nothing recorded for any of the names).
    """
    names = mentions(prompt)
    if not names:
        return []
    user = normalise_handle(user)
    found = {r["name"]: r for r in _active(store, f"name IN ({', '.join('?' * len(names))})", names)}
    missing = [n for n in names if n not in found]
    if missing:
        raise CameoError(f"there is no cameo {', '.join('@' + n for n in missing)}: check the name, or pick one "
                         "from your cameos (only cameos their owner shares with you can be used)")
    for name in names:  # every name checked before any use is recorded
        decision = can_use(store, found[name]["cameo_id"], user)
        if not decision:
            raise PermissionError(f"@{name}'s owner has not let you use this cameo ({decision.reason})")
    return [use(store, found[name]["cameo_id"], user=user) for name in names]
