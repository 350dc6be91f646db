"""FeedView without a browser: what the kernel sends, and what the buttons call (social services)."""

from __future__ import annotations

import numpy as np

from sora_widgets.media import Clip
from sora_widgets.social import feed, guardians, notifications
from sora_widgets.social.accounts import sign_up


def _setup(store, n=6):
    for h in ("ada", "abe"):
        sign_up(store, h, birthdate="1985-05-05")
    sign_up(store, "zed", birthdate="1985-05-05")
    ids = []
    for i in range(n):
        clip = Clip(np.full((4, 32, 18, 3), 20 * i, np.uint8), np.zeros((1, 800), np.float32), 8, 16_000,
                    {"prompt": f"clip {i}"})
        ids.append(store.save_clip(clip, owner=("ada", "abe")[i % 2], status="published"))
    draft = store.save_clip(Clip(np.zeros((4, 32, 18, 3), np.uint8), np.zeros((1, 800), np.float32), 8, 16_000),
                            owner="ada", status="draft")
    feed.refresh_stats(store)
    return ids, draft


def _recording(view):
    sent = []
    view.player.send = lambda content, buffers=None: sent.append((content, buffers))  # what would go to the browser
    return sent


def test_media_only_for_clips_served_to_this_viewer(store):
    ids, draft = _setup(store)
    from sora_widgets.widgets.feed_view import FeedView

    view = FeedView(store, "zed", page_size=4)
    sent = _recording(view)
    shown = view.player.clip_id
    assert shown in ids
    view.player._handle(view.player, {"type": "want", "clip_id": shown}, [])
    assert sent and sent[-1][0]["mime"] == "video/mp4"
    assert bytes(sent[-1][1][0]) == store.media_bytes(store.clip_info(shown)["media_hash"])
    n = len(sent)
    for other in (draft, "no_such_clip", *[i for i in ids if i not in {it.clip_id for it in view.items[:2]}]):
        view.player._handle(view.player, {"type": "want", "clip_id": other}, [])
    assert len(sent) == n, "the kernel sent media the viewer was not served"


def test_navigation_like_comment_and_the_stop_screen(store):
    ids, _ = _setup(store)
    sign_up(store, "tia", birthdate=f"{__import__('datetime').date.today().year - 15}-01-01")
    code = guardians.create_invitation(store, guardian="ada")
    guardians.accept_invitation(store, teen="tia", code=code)
    guardians.update_settings(store, by="ada", teen="tia", daily_limit_clips=2, daily_limit_minutes=None)
    from sora_widgets.widgets.feed_view import FeedView

    view = FeedView(store, "tia", page_size=5)
    first = view.player.clip_id
    view.like_button.click()
    view.comment_text.value = "nice"
    view.comment_button.click()
    owner = store.clip_info(first)["owner"]
    kinds = {n["kind"] for n in notifications.list_for(store, owner)}
    assert {"like", "comment"} <= kinds
    view.player._handle(view.player, {"type": "nav", "step": 1}, [])
    assert view.player.clip_id not in ("", first)
    view.next_button.click()
    assert view.player.stopped.startswith("That's your feed for today")
    assert view.player.clip_id == ""


def test_share_gives_a_link_and_sends_by_dm_only_where_the_messages_service_allows(store):
    ids, _ = _setup(store)
    from sora_widgets.social import graph, messages
    from sora_widgets.widgets.feed_view import FeedView

    sign_up(store, "tia", birthdate=f"{__import__('datetime').date.today().year - 15}-01-01")
    view = FeedView(store, "zed", page_size=4)
    shown = view.player.clip_id
    assert view.share_box.layout.display == "none"
    view.share_button.click()
    assert view.share_box.layout.display == "flex"
    assert view.share_link.value == f"feed.ipynb?clip={shown}"
    # an adult may message another adult: the clip arrives in their conversation
    view.share_to.value, view.share_text.value = "@ada", "look at this"
    view.share_send.click()
    assert "Sent to @ada" in view.status.value
    got = messages.thread(store, "ada", "zed")
    assert [(m["kind"], m["clip_id"], m["body"]) for m in got] == [("clip", shown, "look at this")]
    # an adult can never message a teen: refused with the reason, nothing stored
    view.share_to.value = "tia"
    view.share_send.click()
    assert "sw-feed-error" in view.status.value and "teen" in view.status.value.lower()
    assert messages.conversations(store, "tia") == []
    # nor someone who blocked you
    graph.block(store, "abe", "zed")
    view.share_to.value = "abe"
    view.share_send.click()
    assert "sw-feed-error" in view.status.value
    assert messages.conversations(store, "abe") == []


def test_a_shared_link_opens_that_clip_first_only_when_the_viewer_may_see_it(store):
    ids, draft = _setup(store)
    from sora_widgets.widgets.feed_view import FeedView

    last = ids[-1]
    view = FeedView(store, "zed", page_size=3, open_clip=last)
    assert view.player.clip_id == last and view.current.reason == feed.SHARED_REASON
    view.player._handle(view.player, {"type": "nav", "step": 1}, [])
    assert view.player.clip_id not in ("", last)  # then the feed as usual
    served = [it.clip_id for it in view.items]
    assert len(served) == len(set(served))  # not shown twice when the feed ranks it too
    for hidden in (draft, "no_such_clip", ""):
        v = FeedView(store, "zed", page_size=3, open_clip=hidden)
        assert v.player.clip_id != hidden and v.current.reason != feed.SHARED_REASON
        assert hidden == "" or "not available" in v.status.value


def test_the_player_draws_no_emoji_glyphs():
    """Debian's chromium has no colour-emoji font by default: an emoji (U+1F300 and up, written literally or
    as a \\u{...} escape) draws as a missing-glyph box, so the player's icons are inline SVG and text."""
    import re
    from pathlib import Path

    import sora_widgets.widgets.feed_view as fv

    js = (Path(fv.__file__).parent / "feed_view.js").read_text()
    assert not [c for c in js if ord(c) >= 0x1F000]
    assert not re.search(r"\\u\{1F[0-9A-Fa-f]{3}\}", js)
    assert "speakerSvg(" in js and "tap for sound" in js
