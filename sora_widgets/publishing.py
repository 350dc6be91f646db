"""The one path from a prompt to a stored clip, used by every widget and notebook.

``create_clip`` screens the prompt before any engine sees it; ``publish`` screens
the finished clip (its real frames and sound), saves it with its recipe, holds
it for review when moderation asks, and links the cameo uses it carries. A
widget calls these; it never calls ``store.save_clip`` itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from .engines import generate
from .media import Clip
from .store import Store, normalise_handle

__all__ = ["Blocked", "PublishResult", "create_clip", "publish"]


class Blocked(PermissionError):
    """Moderation refused a prompt or a clip; ``verdict`` holds the reasons."""

    def __init__(self, message: str, verdict: Any = None):
        super().__init__(message)
        self.verdict = verdict


@dataclass(frozen=True)
class PublishResult:
    clip_id: str
    status: str  # published | draft | held
    message: str
    verdict: Any = None
    case_id: str | None = None


def _moderation():
    from .moderation import service

    return service


def create_clip(
    store: Store,
    prompt: str,
    *,
    user: str,
    on_progress=None,
    cancel: threading.Event | None = None,
    **generate_kwargs: Any,
) -> Clip:
    """Screen ``prompt`` for ``user``, then generate. A blocked prompt never reaches an engine."""
    user = normalise_handle(user)
    verdict = _moderation().screen_prompt(store, user, prompt)
    if verdict.decision == "block":
        raise Blocked(f"this prompt can't be used: {'; '.join(verdict.reasons) or 'it breaks the content policy'}", verdict)
    clip = generate(prompt, on_progress=on_progress, cancel=cancel, **generate_kwargs)
    clip.meta["author"] = user
    clip.meta["prompt_verdict"] = verdict.decision
    return clip


def publish(
    store: Store,
    clip: Clip,
    *,
    user: str,
    status: str = "published",
    parent_id: str | None = None,
    operation: str = "remix",
    edit: dict | None = None,
    reuses_material: bool = True,
) -> PublishResult:
    """Check and save ``clip`` as ``user``'s with ``status`` "published" or "draft".

    Output moderation runs on every save, drafts included: a clip moderation
    holds is saved as "held" (visible to its author and reviewers) and a review
    case is opened; a blocked clip is not saved and :class:`Blocked` is raised.
    Cameo uses recorded in the recipe are linked to the saved clip.
    """
    if status not in ("published", "draft"):
        raise ValueError(f"status must be 'published' or 'draft'; got {status!r}")
    user = normalise_handle(user)
    store.get_user(user)  # raises NotFound with a readable message
    mod = _moderation()
    verdict = mod.screen_clip(store, clip, user=user)
    if verdict.decision == "block":
        raise Blocked(f"this clip can't be saved: {'; '.join(verdict.reasons) or 'it breaks the content policy'}", verdict)
    final = "held" if verdict.decision == "review" else status
    cameo_ids = [c for c in (clip.meta.get("recipe") or {}).get("cameo_ids", []) if c]
    # One transaction: a refused cameo or a failed hold leaves no clip behind.
    with store.transaction():
        clip_id = store.save_clip(
            clip, owner=user, parent_id=parent_id, status=final, operation=operation,
            edit=edit, reuses_material=reuses_material,
        )
        if cameo_ids:
            from .cameo import consent

            consent.link_uses(store, clip_id=clip_id, user=user, cameo_ids=cameo_ids)
        case_id = (
            mod.hold_for_review(store, clip_id, verdict, user=user, requested_status=status)
            if final == "held"
            else None
        )
    if final == "held":
        message = f"saved as {clip_id}, held for review: {'; '.join(verdict.reasons)}"
    else:
        message = f"{'published' if final == 'published' else 'saved as draft'}: {clip_id}"
    return PublishResult(clip_id, final, message, verdict, case_id)
