"""Follows, blocks, likes, comments, views, "see less", skips and reports (``social.graph``).

Every function checks the acting user; a block hides each person from the other everywhere; bad input
is refused with a readable message and changes nothing (a property test over random bad input).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_visibility import add_clip, add_people, set_disabled

from sora_widgets.cameo import consent
from sora_widgets.social import feed, graph
from sora_widgets.social.notifications import list_for
from sora_widgets.store import NotFound

# Tables a social action may write; a refused action must leave every one as it was.
SOCIAL_TABLES = ("follows", "blocks", "likes", "comments", "reports", "feed_events", "clip_stats", "notifications",
                 "review_cases", "audit_log", "moderation_verdicts")


def snapshot(store) -> dict[str, int]:
    with store.read() as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in SOCIAL_TABLES}


@pytest.fixture
def people(store):
    add_people(store)
    add_clip(store, "a1", "ada")
    add_clip(store, "b1", "ben")
    add_clip(store, "bd", "ben", "draft")
    return store


def test_follow_unfollow_and_the_notification(people):
    s = people
    assert graph.follow(s, "ben", "ada") is True
    assert graph.follow(s, "ben", "@ADA") is False  # already
    assert graph.follows(s, "ben", "ada") and not graph.follows(s, "ada", "ben")
    assert graph.following(s, "ben") == ["ada"] and graph.followers(s, "ada") == ["ben"]
    notes = list_for(s, "ada")
    assert [(n["kind"], n["actor"]) for n in notes] == [("follow", "ben")]
    assert graph.unfollow(s, "ben", "ada") is True and not graph.follows(s, "ben", "ada")
    assert graph.unfollow(s, "ben", "ada") is False


def test_block_ends_follows_and_hides_each_from_the_other_everywhere(people):
    s = people
    graph.follow(s, "ben", "ada")
    graph.follow(s, "ada", "ben")
    graph.comment(s, "ada", "b1", "lovely colours")
    assert graph.block(s, "ben", "ada") is True
    assert graph.block(s, "ben", "ada") is False
    assert graph.is_blocked(s, "ada", "ben") and graph.is_blocked(s, "ben", "ada")
    assert not graph.follows(s, "ben", "ada") and not graph.follows(s, "ada", "ben")
    for who, target in (("ada", "ben"), ("ben", "ada")):
        with pytest.raises(PermissionError, match="block"):
            graph.follow(s, who, target)
    # feed: neither sees the other's clips
    assert "b1" not in {i.clip_id for i in feed.page(s, "ada", mode="popular").items}
    assert "a1" not in {i.clip_id for i in feed.page(s, "ben", mode="popular").items}
    # clip actions and comments: refused / hidden
    with pytest.raises(PermissionError, match="block"):
        graph.like(s, "ada", "b1")
    with pytest.raises(PermissionError):
        graph.comments(s, "ada", "b1")
    add_clip(s, "t1", "tia")
    graph.comment(s, "ada", "t1", "nice")
    graph.comment(s, "ben", "t1", "great")
    assert [c["author"] for c in graph.comments(s, "ben", "t1")] == ["ben"]  # ada's comment hidden from ben
    assert [c["author"] for c in graph.comments(s, "tia", "t1")] == ["ada", "ben"]
    # cameo audience: ada's "everyone" cameo is not usable by ben
    with s.transaction() as con:
        con.execute("INSERT INTO cameos (cameo_id, owner, kind, name, audience) VALUES ('cm1', 'ada', 'object', "
                    "'mug', 'everyone')")
    d = consent.can_use(s, "cm1", "ben")
    assert not d and "block" in d.reason
    assert consent.can_use(s, "cm1", "tia")
    graph.unblock(s, "ben", "ada")
    assert not graph.is_blocked(s, "ada", "ben") and consent.can_use(s, "cm1", "ben")
    assert not graph.follows(s, "ben", "ada")  # follows are not restored


def test_like_view_skip_see_less_update_the_counters_the_feed_ranks_from(people):
    s = people
    assert graph.like(s, "ben", "a1") is True and graph.like(s, "ben", "a1") is False
    graph.view(s, "ben", "a1", watched_fraction=1.0)
    graph.view(s, "tia", "a1", watched_fraction=0.3)
    graph.skip(s, "tia", "a1")
    graph.see_less(s, "uno", "a1")
    row = s.sql("SELECT likes, views, completions, skips, see_less, base FROM clip_stats WHERE clip_id = 'a1'")
    assert row.iloc[0][["likes", "views", "completions", "skips", "see_less"]].tolist() == [1, 2, 1, 1, 1]
    live = row["base"].iloc[0]
    feed.refresh_stats(s)  # the incremental counters equal a rebuild from the source tables
    rebuilt = s.sql("SELECT likes, views, completions, skips, see_less, base FROM clip_stats WHERE clip_id = 'a1'")
    assert rebuilt.iloc[0].tolist()[:5] == [1, 2, 1, 1, 1] and rebuilt["base"].iloc[0] == pytest.approx(live)
    assert graph.unlike(s, "ben", "a1") is True and graph.unlike(s, "ben", "a1") is False
    assert int(s.sql("SELECT likes FROM clip_stats WHERE clip_id = 'a1'")["likes"][0]) == 0
    assert [n["kind"] for n in list_for(s, "ada")] == ["like"]


def test_actions_on_clips_the_actor_may_not_see_are_refused(people):
    s = people
    for act in (lambda: graph.like(s, "ada", "bd"), lambda: graph.view(s, "ada", "bd", watched_fraction=1),
                lambda: graph.comment(s, "ada", "bd", "hi"), lambda: graph.report(s, "ada", "bd", "spam")):
        with pytest.raises(PermissionError, match="draft"):
            act()
    with pytest.raises(NotFound):
        graph.like(s, "ada", "nope")
    add_clip(s, "m1", "ada", mature=True)
    with pytest.raises(PermissionError, match="adults"):
        graph.like(s, "tia", "m1")
    assert graph.like(s, "ben", "m1")


def test_comments_go_through_text_moderation(people):
    s = people
    ok = graph.comment(s, "ben", "a1", "  what a bounce!  ")
    assert ok["status"] == "visible"
    assert graph.comments(s, "ada", "a1")[0]["body"] == "what a bounce!"
    before = snapshot(s)
    with pytest.raises(graph.CommentBlocked, match="can't be posted") as exc:
        graph.comment(s, "ben", "a1", "go hang yourself")
    assert exc.value.verdict.decision == "block"
    after = snapshot(s)
    assert after["comments"] == before["comments"] and after["notifications"] == before["notifications"]
    assert after["moderation_verdicts"] == before["moderation_verdicts"] + 1  # the refusal is on record
    assert [n["kind"] for n in list_for(s, "ada")] == ["comment"]


def test_report_opens_a_case_once_and_never_for_your_own_clip(people):
    s = people
    r = graph.report(s, "ben", "a1", "this looks like spam")
    case = s.sql(f"SELECT clip_id, reason FROM review_cases WHERE case_id = '{r['case_id']}'")
    assert case["clip_id"][0] == "a1" and "ben" in case["reason"][0] and "spam" in case["reason"][0]
    assert s.sql("SELECT status FROM clips WHERE clip_id = 'a1'")["status"][0] == "published"  # not hidden
    with pytest.raises(ValueError, match="already reported"):
        graph.report(s, "ben", "a1", "again")
    with pytest.raises(ValueError, match="own clip"):
        graph.report(s, "ada", "a1", "mine")
    assert int(s.sql("SELECT reports FROM clip_stats WHERE clip_id = 'a1'")["reports"][0]) == 1


def test_disabled_and_unknown_actors_and_targets(people):
    s = people
    set_disabled(s, "ben", True)
    for act in (lambda: graph.follow(s, "ben", "ada"), lambda: graph.like(s, "ben", "a1"),
                lambda: graph.comment(s, "ben", "a1", "hi"), lambda: graph.block(s, "ben", "ada")):
        with pytest.raises(PermissionError, match="disabled"):
            act()
    with pytest.raises(PermissionError, match="disabled"):
        graph.follow(s, "ada", "ben")
    with pytest.raises(NotFound):
        graph.follow(s, "ghost", "ada")
    with pytest.raises(NotFound):
        graph.follow(s, "ada", "ghost")
    assert graph.block(s, "ada", "ben")  # blocking a disabled account is allowed


def _bad_text(limit: int):
    """Text that a field holding at most ``limit`` characters must refuse: empty, blank, or too long."""
    return st.one_of(
        st.just(""), st.text(alphabet=" \t\n\x00", max_size=20),
        st.text(min_size=limit + 1, max_size=limit + 40).filter(lambda t: len(t.replace("\x00", "").strip()) > limit),
        st.just("x" * 10_000),
    )


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bad_input_is_refused_clearly_and_changes_nothing(people, data):
    s = people
    before = snapshot(s)
    kind = data.draw(st.sampled_from(["comment", "report", "self", "unknown", "disabled", "fraction", "handle"]))
    if kind == "comment":
        call, err = (lambda: graph.comment(s, "ben", "a1", data.draw(_bad_text(graph.MAX_COMMENT_CHARS)))), ValueError
    elif kind == "report":
        call, err = (lambda: graph.report(s, "ben", "a1", data.draw(_bad_text(graph.MAX_REPORT_CHARS)))), ValueError
    elif kind == "self":
        fn = data.draw(st.sampled_from([graph.follow, graph.block]))
        call, err = (lambda: fn(s, "ada", "@Ada")), ValueError
    elif kind == "unknown":
        fn = data.draw(st.sampled_from([graph.follow, graph.block, graph.like]))
        who = data.draw(st.sampled_from(["actor", "target"]))
        call = (lambda: fn(s, "nobody", "ada" if fn is not graph.like else "a1")) if who == "actor" else \
               (lambda: fn(s, "ada", "nobody" if fn is not graph.like else "c_nope"))
        err = NotFound
    elif kind == "disabled":
        set_disabled(s, "uno", True)
        before = snapshot(s)
        fn = data.draw(st.sampled_from([lambda: graph.follow(s, "uno", "ada"), lambda: graph.like(s, "uno", "a1"),
                                        lambda: graph.comment(s, "uno", "a1", "hello"),
                                        lambda: graph.follow(s, "ada", "uno")]))
        call, err = fn, PermissionError
    elif kind == "fraction":
        f = data.draw(st.one_of(st.floats(max_value=-1e-9), st.floats(min_value=1.0000001), st.just(float("nan")),
                                st.just("half"), st.none()))
        call, err = (lambda: graph.view(s, "ben", "a1", watched_fraction=f)), ValueError
    else:
        bad = data.draw(st.sampled_from(["", "a", "x" * 31, "bad handle", "<script>", "ada;drop"]))
        call, err = (lambda: graph.follow(s, "ben", bad)), ValueError
    with pytest.raises(err) as exc:
        call()
    assert str(exc.value)  # a readable reason
    assert snapshot(s) == before
