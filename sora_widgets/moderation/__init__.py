"""Moderation: prompt, frame and soundtrack checks, a policy of thresholds, and the human review queue.

>>> from sora_widgets.moderation import check_prompt
>>> check_prompt("a red ball bounces off the backboard").decision
'allow'

Publishing calls :func:`service.screen_prompt` / :func:`service.screen_clip` /
:func:`service.hold_for_review`; reviewers work the queue in :mod:`.review`.
"""

from .clip import check_clip
from .policy import Policy, load_policy
from .service import hold_for_review, screen_clip, screen_prompt
from .text import check_prompt, check_prompts
from .verdict import CATEGORIES, CATEGORY_LABELS, Verdict

__all__ = [
    "CATEGORIES",
    "CATEGORY_LABELS",
    "Policy",
    "Verdict",
    "check_clip",
    "check_prompt",
    "check_prompts",
    "hold_for_review",
    "load_policy",
    "screen_clip",
    "screen_prompt",
]
