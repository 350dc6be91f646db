"""The two entry points the publishing service calls, plus holding a clip for review.

- :func:`screen_prompt` before any engine runs: the caller refuses to generate on "block";
- :func:`screen_clip` on the finished clip (real frames and sound);
- :func:`hold_for_review` when a clip's verdict is "review": the clip is held
  (visible to its author and reviewers only) and a case opens in the queue.

Every verdict is recorded in ``moderation_verdicts`` with who asked, and audited.
"""

from __future__ import annotations

from ..media import Clip
from ..store import Store, new_id, normalise_handle, to_json
from .clip import check_clip
from .review import may_open_case, open_case, raised_for_review
from .text import check_prompt
from .verdict import Verdict

__all__ = ["hold_for_review", "record_verdict", "screen_clip", "screen_prompt"]


def record_verdict(
    store: Store, verdict: Verdict, *, target_kind: str, target_id: str | None, user: str, subject: str | None = None
) -> str:
    """Store ``verdict`` (and an audit line); returns its id, also put in ``verdict.evidence["verdict_id"]``."""
    verdict_id = new_id("v_")
    with store.transaction() as con:
        con.execute(
            """INSERT INTO moderation_verdicts (verdict_id, target_kind, target_id, decision, scores, reasons, evidence,
                                                user_handle, subject, flagged)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [verdict_id, target_kind, target_id, verdict.decision, to_json(verdict.scores), to_json(verdict.reasons),
             to_json(verdict.evidence), user, subject, to_json(verdict.flagged)],
        )
        store.audit(user, f"moderation.{target_kind}", target_kind, target_id or verdict_id,
                    {"verdict_id": verdict_id, "decision": verdict.decision, "flagged": verdict.flagged}, con=con)
    verdict.evidence["verdict_id"] = verdict_id
    return verdict_id


def screen_prompt(store: Store, user: str, prompt: str) -> Verdict:
    """Check ``prompt`` for ``user`` and record the verdict. On "block" the caller must not generate."""
    user = normalise_handle(user)
    verdict = check_prompt(prompt)
    record_verdict(store, verdict, target_kind="prompt", target_id=None, user=user, subject=prompt)
    return verdict


def screen_clip(store: Store, clip: Clip, *, user: str, on_progress=None) -> Verdict:
    """Check ``clip``'s frames and soundtrack (and its prompt, which can only add) and record the verdict.

    ``on_progress(done, total)``: as for :func:`~sora_widgets.moderation.clip.check_clip` (raise to stop).
    Publishing goes through :mod:`.prescreen`, which calls this once per clip content.
    """
    user = normalise_handle(user)
    verdict = check_clip(clip, on_progress=on_progress)
    target = clip.meta.get("clip_id") if isinstance(clip.meta, dict) else None
    record_verdict(store, verdict, target_kind="clip", target_id=target, user=user)
    return verdict


def raise_for_review(
    store: Store, clip_id: str, verdict: Verdict, *, user: str, requested_status: str = "published"
) -> str | None:
    """Open a review case for saved clip ``clip_id`` without holding it, when ``verdict`` allowed the clip but
    raised words the recogniser was unsure of (``evidence["raised_for_review"]``, issue 17 item 4: "a
    low-confidence hit can at most raise a clip for review with the words shown as uncertain"); returns the
    case id, or None when nothing was raised.

    The clip keeps its status; a reviewer who decides "remove" takes it down. Who may: as for
    :func:`hold_for_review` — staff, or the clip's owner with ``verdict`` a recorded verdict of their clip
    (:func:`~sora_widgets.moderation.review.may_open_case`).

    Args:
        store: the store. clip_id: the saved clip. verdict: its recorded output-moderation verdict.
        user: who asks (publish: the author). requested_status: what the author asked for.

    Raises:
        PermissionError: ``user`` may not open a case on this clip (nothing changes).
    """
    if verdict.decision == "review" or not raised_for_review(verdict.evidence):
        return None
    user = normalise_handle(user)
    verdict_id = verdict.evidence.get("verdict_id")
    with store.transaction() as con:
        case_id = open_case(store, clip_id, verdict, actor=user, verdict_id=verdict_id,
                            requested_status=requested_status)
        if verdict_id:
            con.execute("UPDATE moderation_verdicts SET target_id = ? WHERE verdict_id = ? AND target_id IS NULL",
                        [clip_id, verdict_id])
        return case_id


def hold_for_review(
    store: Store, clip_id: str, verdict: Verdict, *, user: str, requested_status: str = "published"
) -> str:
    """Hold saved clip ``clip_id`` and open a review case; returns the case id.

    Only the moderation service on a verdict, or staff, hold clips: ``user`` must be staff, or the
    clip's owner with ``verdict`` a recorded "review" verdict of their clip (publish's path:
    ``verdict.evidence["verdict_id"]``, see :func:`~sora_widgets.moderation.review.may_open_case`).
    ``requested_status`` is what the author asked for ("published" or "draft"): the clip gets it
    back if a reviewer approves. A clip that is taken down stays down (holding must not undo
    ``takedown.take_down``); its case still opens.

    Raises:
        PermissionError: ``user`` may not hold this clip (nothing changes).
    """
    user = normalise_handle(user)
    verdict_id = verdict.evidence.get("verdict_id")
    with store.transaction() as con:
        row = con.execute("SELECT owner, status FROM clips WHERE clip_id = ?", [clip_id]).fetchone()
        if row is not None:
            refusal = may_open_case(con, clip_id=clip_id, owner=row[0], actor=user, verdict_id=verdict_id)
            if refusal:
                raise PermissionError(refusal)
        if row is not None and row[1] in ("draft", "published"):
            store.set_clip_status(clip_id, "held", actor=user, reason="; ".join(verdict.reasons), con=con)
        if verdict_id:
            con.execute("UPDATE moderation_verdicts SET target_id = ? WHERE verdict_id = ? AND target_id IS NULL",
                        [clip_id, verdict_id])
        return open_case(store, clip_id, verdict, actor=user, verdict_id=verdict_id, requested_status=requested_status)
