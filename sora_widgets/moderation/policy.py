"""Thresholds per category, read from ``policy.json`` beside this file (or a path you give)."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .verdict import CATEGORIES, CATEGORY_LABELS

__all__ = ["Policy", "load_policy", "POLICY_PATH"]

POLICY_PATH = Path(__file__).with_name("policy.json")


@dataclass(frozen=True)
class Policy:
    """``review[c]`` <= ``block[c]``: scores at or above ``review`` are held, at or above ``block`` refused."""

    review: dict[str, float]
    block: dict[str, float]
    visual_labels: dict[str, str]  # nudenet label -> category (labels not listed, e.g. faces, count for nothing)
    visual_min_score: float
    frames_per_second: float
    max_frames: int
    min_speech_rms: float
    min_skin_fraction: float = 0.25  # share of a nudity box that must be skin-coloured
    keyphrase_score: float = 0.6  # score of a harmful key phrase heard in a soundtrack (review, not block)
    any_harm_review: float = 1.01  # 1 - P(benign) at or above this holds the text (see policy.json)
    # Speech (audio.judge_transcript): the classifier reads a transcript as it reads a prompt, but
    # spoken everyday words are not a request for a picture. See policy.json's "audio" section.
    speech_any_harm_review: float = 1.01  # the any-harm rule for transcripts (1.01: off)
    speech_classifier_min: float = 0.0  # a classifier hit on a transcript counts from this score (0-1) up
    speech_ignored: tuple[str, ...] = ()  # categories speech cannot show (e.g. a likeness is a picture)

    def decide(self, scores: dict[str, float]) -> tuple[str, list[str]]:
        """(decision, flagged categories) for ``scores``."""
        flagged = [c for c in CATEGORIES if scores.get(c, 0.0) >= self.review[c]]
        if any(scores.get(c, 0.0) >= self.block[c] for c in flagged):
            return "block", flagged
        return ("review" if flagged else "allow"), flagged

    def reason(self, category: str, score: float, what: str = "") -> str:
        """A sentence a user can read, e.g. "looks like sexual content (0.93): 'naked'"."""
        label = CATEGORY_LABELS.get(category, category)
        level = "blocked as" if score >= self.block[category] else "held for review as possible"
        return f"{level} {label} (score {score:.2f})" + (f": {what}" if what else "")


def _validate(raw: dict[str, Any], source: str) -> Policy:
    cats = raw.get("categories") or {}
    missing = [c for c in CATEGORIES if c not in cats]
    if missing:
        raise ValueError(f"policy {source} has no thresholds for {', '.join(missing)}; add them under 'categories'")
    review, block = {}, {}
    for c in CATEGORIES:
        r, b = float(cats[c]["review"]), float(cats[c]["block"])
        if not 0.0 < r <= b <= 1.0:
            raise ValueError(f"policy {source}: {c} needs 0 < review <= block <= 1; got review={r}, block={b}")
        review[c], block[c] = r, b
    vis = raw.get("visual") or {}
    labels = dict(vis.get("labels") or {})
    bad = {k: v for k, v in labels.items() if v not in CATEGORIES}
    if bad:
        raise ValueError(f"policy {source}: visual labels map to unknown categories {bad}")
    return Policy(
        review=review,
        block=block,
        visual_labels=labels,
        visual_min_score=float(vis.get("min_detector_score", 0.45)),
        frames_per_second=float(vis.get("frames_per_second", 1.0)),
        max_frames=int(vis.get("max_frames", 12)),
        min_speech_rms=float((raw.get("audio") or {}).get("min_speech_rms", 0.003)),
        any_harm_review=float(raw.get("any_harm_review", 1.01)),
        min_skin_fraction=float(vis.get("min_skin_fraction", 0.25)),
        keyphrase_score=float((raw.get("audio") or {}).get("keyphrase_score", 0.6)),
        speech_any_harm_review=float((raw.get("audio") or {}).get("any_harm_review", 1.01)),
        speech_classifier_min=float((raw.get("audio") or {}).get("classifier_min", 0.0)),
        speech_ignored=tuple(_known((raw.get("audio") or {}).get("ignored", []), source)),
    )


def _known(categories: list[str], source: str) -> list[str]:
    bad = [c for c in categories if c not in CATEGORIES]
    if bad:
        raise ValueError(f"policy {source}: audio.ignored names unknown categories {bad}")
    return list(categories)


@functools.lru_cache(maxsize=8)
def load_policy(path: str | None = None) -> Policy:
    """The policy in ``path`` (default: the shipped ``policy.json``)."""
    p = Path(path) if path else POLICY_PATH
    try:
        raw = json.loads(p.read_text())
    except FileNotFoundError:
        raise FileNotFoundError(f"no moderation policy at {p}; copy {POLICY_PATH} there and edit it") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"moderation policy {p} is not valid JSON: {exc}") from None
    return _validate(raw, str(p))
