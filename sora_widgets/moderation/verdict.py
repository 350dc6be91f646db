"""What a check says: a decision, scores per category, reasons a person can read, and the evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["CATEGORIES", "CATEGORY_LABELS", "DECISIONS", "Verdict", "merge_verdicts"]

CATEGORIES = (
    "sexual",
    "sexual_minors",
    "extremism",
    "self_harm",
    "graphic_violence",
    "hate",
    "harassment",
    "nonconsensual_likeness",
)
CATEGORY_LABELS = {
    "sexual": "sexual content",
    "sexual_minors": "sexual content involving minors",
    "extremism": "violent extremism or terrorist propaganda",
    "self_harm": "promotion of self-harm or suicide",
    "graphic_violence": "graphic violence or gore",
    "hate": "hate against a protected group",
    "harassment": "harassment or bullying of a person",
    "nonconsensual_likeness": "someone's likeness used without consent",
}
DECISIONS = ("allow", "review", "block")  # in order of severity


@dataclass
class Verdict:
    """The outcome of a moderation check.

    - ``decision``: "allow", "review" (hold for a person) or "block".
    - ``scores``: category -> score in [0, 1] (every category in :data:`CATEGORIES`).
    - ``reasons``: sentences a user can read, one per flagged category.
    - ``spans``: what triggered it in text, each ``{"category", "start", "end", "text", "source"}``
      with character offsets into that source ("prompt" or "transcript").
    - ``evidence``: everything else a reviewer needs, e.g. ``{"frames": [{"index", "t_s", "boxes": [...]}],
      "transcript": "...", "checks": [...]}``.
    """

    decision: str
    scores: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    spans: list[dict[str, Any]] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    flagged: list[str] = field(default_factory=list)  # categories at or above their review threshold

    def __post_init__(self) -> None:
        if self.decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}; got {self.decision!r}")

    @property
    def top_category(self) -> str | None:
        """The flagged category with the highest score (None when nothing is flagged)."""
        if not self.flagged:
            return None
        return max(self.flagged, key=lambda c: self.scores.get(c, 0.0))

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "scores": {k: round(float(v), 4) for k, v in self.scores.items()},
            "reasons": list(self.reasons),
            "spans": list(self.spans),
            "evidence": self.evidence,
            "flagged": list(self.flagged),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verdict:
        return cls(
            decision=d["decision"],
            scores=dict(d.get("scores") or {}),
            reasons=list(d.get("reasons") or []),
            spans=list(d.get("spans") or []),
            evidence=dict(d.get("evidence") or {}),
            flagged=list(d.get("flagged") or []),
        )


def merge_verdicts(verdicts: list[Verdict], *, evidence: dict[str, Any] | None = None) -> Verdict:
    """One verdict from several checks: the most severe decision, the highest score per category."""
    if not verdicts:
        return Verdict("allow", {c: 0.0 for c in CATEGORIES}, evidence=evidence or {})
    decision = max((v.decision for v in verdicts), key=DECISIONS.index)
    scores = {c: max(v.scores.get(c, 0.0) for v in verdicts) for c in CATEGORIES}
    reasons: list[str] = []
    flagged: list[str] = []
    spans: list[dict[str, Any]] = []
    for v in verdicts:
        reasons += [r for r in v.reasons if r not in reasons]
        flagged += [c for c in v.flagged if c not in flagged]
        spans += v.spans
    return Verdict(decision, scores, reasons, spans, evidence or {}, flagged)
