"""The social part of the demo community (``demo.seed_demo`` calls :func:`seed_community`).

Two teens with guardians, follows, likes, comments and direct messages, made through
the same services people use (``social.graph``, ``social.messages``,
``social.guardians``), so every rule applies and every notification exists, and the
feed, messages and guardian dashboards show something real on first run:

- ``tia`` (15) linked to ``gina``, who set a 45-minute daily limit; ``tom`` (16) linked
  to ``greg``, who turned his personalised feed off and set 30 clips a day;
- tia and tom follow each other (so, under "followed back only", they may message);
- the creators follow one another, like and comment on the rendered clips;
- conversations: ana and bo, tia and tom, gina and tia.

Idempotent: a second seed finds ``tia`` and adds nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import numpy as np

from ..store import NotFound, Store
from . import graph, guardians, messages
from .accounts import sign_up

__all__ = ["GUARDIANS", "TEENS", "seed_community"]

#: The demo teens: handle -> (age in years, guardian).
TEENS = {"tia": (15, "gina"), "tom": (16, "greg")}
#: The demo guardians' birthdate (adults).
GUARDIANS = {"gina": "1979-06-06", "greg": "1976-02-02"}

_COMMENTS = ("love the bounce!", "how did you make this?", "so satisfying to watch", "the sound is perfect",
             "remixing this next", "nice one")


def _years_ago(today: dt.date, years: int) -> dt.date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


_REPORTS = ("this looks like someone I know, without their consent", "the sound is painfully loud at the end")


def seed_community(store: Store, creators: tuple[str, ...], *, seed: int = 0,
                   today: dt.date | None = None) -> dict:
    """Add the demo's teens, guardians, follows, likes, comments and messages; returns counts.

    Args:
        store: the demo store (``creators`` and published clips already in it).
        creators: the demo's adult creators' handles.
        seed: random seed for who follows and likes what.
        today: the day ages are counted from (default today), so the teens stay teens.
    """
    today = today or dt.date.today()
    try:
        store.get_user("tia")
        return {"created": False}
    except NotFound:
        pass
    rng = np.random.default_rng(seed)
    for g, bd in GUARDIANS.items():
        sign_up(store, g, birthdate=bd, role="guardian", display_name=g.title())
    for t, (age, g) in TEENS.items():
        sign_up(store, t, birthdate=_years_ago(today, age) - dt.timedelta(days=30), display_name=t.title())
        code = guardians.create_invitation(store, guardian=g)
        guardians.accept_invitation(store, teen=t, code=code)
    guardians.update_settings(store, by="gina", teen="tia", dms="followed_back", daily_limit_minutes=45)
    guardians.update_settings(store, by="greg", teen="tom", personalised=False, daily_limit_minutes=None,
                              daily_limit_clips=30)

    follows = 0
    people = list(creators)
    for who in people:
        for other in rng.choice([p for p in people if p != who], size=min(4, len(people) - 1), replace=False):
            follows += graph.follow(store, who, str(other))
    for a, b in (("tia", "tom"), ("tom", "tia"), ("tia", creators[0]), ("tom", creators[1]), ("tia", creators[1])):
        follows += graph.follow(store, a, b)

    clips = store.sql("SELECT clip_id, owner FROM clips WHERE status = 'published' AND media_hash IS NOT NULL "
                      "ORDER BY clip_id")
    likes = comments = 0
    if len(clips):
        likers = people + list(TEENS)
        for clip_id, owner in clips.itertuples(index=False):
            for who in rng.choice(likers, size=min(4, len(likers)), replace=False):
                if who != owner:
                    with contextlib.suppress(PermissionError):  # a clip a teen may not see stays unliked by them
                        likes += graph.like(store, str(who), clip_id)
        for i, (clip_id, owner) in enumerate(clips.head(6).itertuples(index=False)):
            author = people[(i + 3) % len(people)]
            if author != owner:
                graph.comment(store, author, clip_id, _COMMENTS[i % len(_COMMENTS)])
                comments += 1
    # Two reports, through the same path as the feed's Report button: the review queue has cases to open.
    reports = 0
    for i, (clip_id, owner) in enumerate(clips.tail(2).itertuples(index=False)):
        reporter = next(p for p in people[i + 1:] + people[:i + 1] if p != owner)
        graph.report(store, reporter, clip_id, _REPORTS[i % len(_REPORTS)])
        reports += 1
    sent = 0
    for s, r, text in ((creators[0], creators[1], "your moon remix is great"),
                       (creators[1], creators[0], "thanks! want to collab on a new one?"),
                       ("tia", "tom", "did you see the bouncing mug clip?"),
                       ("tom", "tia", "yes haha, remixing it"),
                       ("gina", "tia", "dinner at 7, phone down by then please"),
                       ("tia", "gina", "ok!")):
        messages.send(store, sender=s, recipient=r, text=text)
        sent += 1
    return {"created": True, "teens": len(TEENS), "guardians": len(GUARDIANS), "follows": int(follows),
            "likes": int(likes), "comments": comments, "messages": sent, "reports": reports}
