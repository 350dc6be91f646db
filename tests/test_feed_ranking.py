"""``social.ranking.rank``, the feed's one formula, against a plain reading of what it documents.

The reference below is written from the module's docstring, one clip at a time in plain Python (no numpy
sorting tricks): freshness from the hot score (or the prior base), the five multipliers, each further clip
of an author weighing half the one before (by score, then clip id), the best first (ties by clip id), and
the explanation in its order of precedence. Random candidates (few authors, so diversity bites; equal
scores, so the tie-breaks matter; clips with and without a hot score) must rank exactly as the reference.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sora_widgets.social import ranking

NOW = dt.datetime(2026, 12, 3, 12, 0)
NOW_S = (NOW - dt.datetime(1970, 1, 1)).total_seconds()
TAU = 86400.0


def reference(rows: list[dict], locale: str, limit: int) -> list[tuple[int, float, str]]:
    def score(r):
        hot = r["hot"] if r["hot"] is not None else math.log(0.05) + r["created_s"] / TAU
        return (math.exp(hot - NOW_S / TAU) * (1 + 0.5 * math.log(1 + r["remixes_today"]))
                * (2.0 if r["followed"] else 1.0) * (1.8 if r["remix_of_liked"] else 1.0)
                * (1 + 0.3 * min(r["liked_author_n"], 3)) * 0.3 ** min(r["less_n"], 3))

    scores = [score(r) for r in rows]
    ranked = []
    for i, r in enumerate(rows):
        better = [j for j, o in enumerate(rows) if o["owner"] == r["owner"]
                  and (scores[j], -ord_key(o["clip_id"])) > (scores[i], -ord_key(r["clip_id"]))]
        ranked.append(scores[i] * 0.5 ** len(better))

    def reason(r):
        if r["followed"]:
            return f"because you follow @{r['owner']}"
        if r["remix_of_liked"]:
            return "remix of a clip you liked"
        if r["liked_author_n"]:
            return f"you liked @{r['owner']}'s clips"
        if r["remixes_today"]:
            return f"remixed {r['remixes_today']} {'time' if r['remixes_today'] == 1 else 'times'} today"
        if locale:
            return f"popular in {locale}"
        return "popular today" if r["created_s"] > NOW_S - 86400 else "popular"

    order = sorted(range(len(rows)), key=lambda i: (-ranked[i], rows[i]["clip_id"]))[:limit]
    return [(i, ranked[i], reason(rows[i])) for i in order]


def ord_key(clip_id: str) -> int:
    """A number that orders clip ids as strings do (the ids here are 'c' + 3 digits)."""
    return int(clip_id[1:])


row = st.fixed_dictionaries({
    "owner": st.sampled_from(("ada", "ben", "cy")),
    "created_s": st.sampled_from((NOW_S - 3600, NOW_S - 30 * 3600, NOW_S - 100 * 3600)),
    "hot": st.one_of(st.none(), st.sampled_from((NOW_S / TAU - 1.0, NOW_S / TAU - 2.5, NOW_S / TAU))),
    "followed": st.booleans(), "remix_of_liked": st.booleans(),
    "liked_author_n": st.integers(0, 5), "less_n": st.integers(0, 5), "remixes_today": st.integers(0, 3),
})


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(row, max_size=25), locale=st.sampled_from(("", "fr")), limit=st.integers(1, 30))
def test_rank_is_the_documented_formula(rows, locale, limit):
    for k, r in enumerate(rows):
        r["clip_id"] = f"c{(k * 7) % 1000:03d}"
    c = ranking.Candidates(
        clip_id=[r["clip_id"] for r in rows], owner=[r["owner"] for r in rows],
        created_s=np.array([r["created_s"] for r in rows], dtype=float),
        hot=np.array([np.nan if r["hot"] is None else r["hot"] for r in rows], dtype=float),
        followed=np.array([r["followed"] for r in rows], dtype=bool),
        remix_of_liked=np.array([r["remix_of_liked"] for r in rows], dtype=bool),
        liked_author_n=np.array([r["liked_author_n"] for r in rows], dtype=np.int64),
        less_n=np.array([r["less_n"] for r in rows], dtype=np.int64),
        remixes_today=np.array([r["remixes_today"] for r in rows], dtype=np.int64))
    got = ranking.rank(c, now=NOW, tau_s=TAU, locale=locale, limit=limit)
    want = reference(rows, locale, limit)
    assert [(i, reason) for i, _, reason in got] == [(i, reason) for i, _, reason in want]
    assert np.allclose([s for _, s, _ in got], [s for _, s, _ in want], rtol=1e-9, atol=0)
