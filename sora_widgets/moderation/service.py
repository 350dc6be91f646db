"""The two entry points the publishing service calls, plus holding a clip for review.

- :func:`screen_prompt` before any engine runs: the caller refuses to generate on "block";
- :func:`screen_clip` on the finished clip (real frames and sound);
- :func:`hold_for_review` when a clip's verdict is "review": the clip is held
  (visible to its author and reviewers only) and a case opens in the queue.

Every verdict is recorded in ``moderation_verdicts`` with who asked, and audited.
"""

from __future__ import annotations

from ..access import is_staff
from ..media import Clip
from ..store import Store, new_id, normalise_handle, to_json
from .clip import check_clip
from .review import open_case
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


def hold_for_review(
    store: Store, clip_id: str, verdict: Verdict, *, user: str, requested_status: str = "published"
) -> str:
    """Hold saved clip ``clip_id`` and open a review case; returns the case id.

    ``requested_status`` is what the author asked for ("published" or "draft"):
    the clip gets it back if a reviewer approves. Only the clip's owner (publishing
    their clip) or staff may hold it; a clip that is taken down stays down (holding
    must not undo ``takedown.take_down``), its case still opens.
    """
    user = normalise_handle(user)
    with store.transaction() as con:
        row = con.execute("SELECT owner, status FROM clips WHERE clip_id = ?", [clip_id]).fetchone()
        if row is not None and user != row[0]:
            role = con.execute("SELECT role FROM users WHERE handle = ?", [user]).fetchone()
            if not is_staff(role[0] if role else None):
                raise PermissionError(f"@{user} cannot hold clip {clip_id}: only its owner @{row[0]} or staff can")
        if row is not None and row[1] in ("draft", "published"):
            store.set_clip_status(clip_id, "held", actor=user, reason="; ".join(verdict.reasons), con=con)
        verdict_id = verdict.evidence.get("verdict_id")
        if verdict_id:
            con.execute("UPDATE moderation_verdicts SET target_id = ? WHERE verdict_id = ? AND target_id IS NULL",
                        [clip_id, verdict_id])
        return open_case(store, clip_id, verdict, actor=user, verdict_id=verdict_id, requested_status=requested_status)
