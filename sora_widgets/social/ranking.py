"""The ranked feed's formula: score, author diversity and the explanation of each item, in one place.

``social.feed`` gathers the candidates of a page and the facts about each that concern the viewer (do they
follow its author, is it a remix of a clip they liked, how often did they like or ask to see less of its
author, how often was it remixed in the last day) — in SQL on the store (``social/sql/candidates.sql``), or
by key on its warm in-memory copy (``social.feed._warm_pool``). Both hand them here, so a page is ranked
the same way whichever path found its candidates.

Why not in SQL: ranking a few hundred candidates is arithmetic, and DuckDB's fixed cost for a query of this
shape (parse, bind, optimise, a window per author) was ~30 ms a page on the 2-core machine, against the
feed's 50 ms goal for the whole page; numpy does it in about a millisecond. What may appear (the visibility
rule) stays one SQL predicate, ``access.visible_clip_sql``, applied on the store.

The formula:

- freshness: ``base x exp(-age / tau)``, computed as ``exp(hot - now / tau)`` from ``clip_stats.hot``
  (``ln(base) + created / tau``, see ``stats_rescore.sql``); a clip nobody engaged with yet has the prior
  base 0.05;
- times ``1 + 0.5 ln(1 + remixes in the last day)`` (remix velocity), 2 for people you follow, 1.8 for a
  remix of a clip you liked, ``1 + 0.3 min(likes of the author, 3)`` and ``0.3 ** min(see less, 3)``;
- author diversity: each further clip of an author weighs half the one before (``social.feed`` then never
  serves the same creator twice in a row).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PRIOR_BASE", "Candidates", "rank"]

#: The engagement base of a clip nobody engaged with yet (no ``clip_stats.hot``).
PRIOR_BASE = 0.05


@dataclass(frozen=True)
class Candidates:
    """A page's candidates, one entry per clip in every field (each clip once).

    Attributes:
        clip_id, owner: the clips and their authors (lists of str).
        created_s: creation times, seconds since the epoch (float array; naive, the store's clock).
        hot: ``clip_stats.hot`` (float array; NaN where the clip has no engagement row yet).
        followed: does the viewer follow the author (bool array; personalised only).
        remix_of_liked: is it a remix of a clip the viewer liked (bool array).
        liked_author_n, less_n: the viewer's likes of this author's clips and "see less" of them (int arrays).
        remixes_today: remixes of the clip made in the day before the session's time (int array).
    """

    clip_id: list[str]
    owner: list[str]
    created_s: np.ndarray
    hot: np.ndarray
    followed: np.ndarray
    remix_of_liked: np.ndarray
    liked_author_n: np.ndarray
    less_n: np.ndarray
    remixes_today: np.ndarray


def rank(c: Candidates, *, now: dt.datetime, tau_s: float, locale: str, limit: int) -> list[tuple[int, float, str]]:
    """The best ``limit`` candidates, best first, with their score and explanation.

    Args:
        c: the candidates (already filtered: visible, not seen or served, not the viewer's own, of the
            session's locale).
        now: the session's time (naive, the store's clock).
        tau_s: the freshness time constant, seconds (``social.graph.FRESHNESS_TAU_S``).
        locale: the session's locale, '' for every locale (only the explanation reads it).
        limit: how many to return.

    Returns:
        ``(index into c, score, reason)`` tuples, by score descending then clip id; the score is after the
        author-diversity weight.
    """
    n = len(c.clip_id)
    if n == 0:
        return []
    now_s = (now - dt.datetime(1970, 1, 1)).total_seconds()
    hot = np.where(np.isnan(c.hot), math.log(PRIOR_BASE) + c.created_s / tau_s, c.hot)
    score = (np.exp(hot - now_s / tau_s)
             * (1.0 + 0.5 * np.log1p(c.remixes_today))          # remix velocity
             * np.where(c.followed, 2.0, 1.0)                    # people you follow
             * np.where(c.remix_of_liked, 1.8, 1.0)              # remixes of what you liked
             * (1.0 + 0.3 * np.minimum(c.liked_author_n, 3))     # authors you liked before
             * np.power(0.3, np.minimum(c.less_n, 3)))           # "see less" of this author
    # Author diversity: the k-th best clip of an author (by score, then clip id) weighs 0.5 ** (k - 1).
    # (numpy's lexsort sorts by its last key first; strings compare by code point, as Python's do.)
    owner, clip_id = np.array(c.owner, dtype=str), np.array(c.clip_id, dtype=str)
    by_author = np.lexsort((clip_id, -score, owner))
    sorted_owner = owner[by_author]
    starts = np.r_[True, sorted_owner[1:] != sorted_owner[:-1]]
    place = np.arange(n)
    k = place - np.maximum.accumulate(np.where(starts, place, 0))  # 0 for an author's best clip, 1 next...
    weight = np.empty(n)
    weight[by_author] = np.power(0.5, k)
    ranked = score * weight
    best = np.lexsort((clip_id, -ranked))[:limit]
    day_ago_s = now_s - 86400.0
    return [(int(i), float(ranked[i]), _reason(c, int(i), locale, day_ago_s)) for i in best]


def _reason(c: Candidates, i: int, locale: str, day_ago_s: float) -> str:
    """Why candidate ``i`` is on the page, the strongest reason first."""
    if c.followed[i]:
        return f"because you follow @{c.owner[i]}"
    if c.remix_of_liked[i]:
        return "remix of a clip you liked"
    if c.liked_author_n[i] > 0:
        return f"you liked @{c.owner[i]}'s clips"
    if c.remixes_today[i] > 0:
        times = int(c.remixes_today[i])
        return f"remixed {times} {'time' if times == 1 else 'times'} today"
    if locale:
        return f"popular in {locale}"
    if c.created_s[i] > day_ago_s:
        return "popular today"
    return "popular"
