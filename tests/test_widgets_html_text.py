"""Text people wrote reaches the feed, the notifications and the review queue as text, never as markup.

The widgets build these ``ipywidgets.HTML`` values from strings (``widgets/_html.escape`` is the one
helper). A payload that breaks out of text and of quoted attributes goes in through the services
(a comment, a prompt, a direct message, a moderation reason) and the value the kernel sends the
browser must hold it escaped, with none of its tags. ``tests/test_xss_browser.py`` runs the same
payload in chromium on the other dashboards.
"""

from __future__ import annotations

import html
import re

import numpy as np

from sora_widgets.media import Clip
from sora_widgets.social import feed, graph, messages
from sora_widgets.social.accounts import sign_up

PAYLOAD = ("x\"'><img src=x onerror=\"alert('xss')\"><script>alert('xss')</script>"
           "<svg onload=\"alert('xss')\"></svg>")


def _as_text(value: str, shown: str = PAYLOAD) -> None:
    """``value`` shows ``shown`` (the payload, or the part a preview keeps) escaped, and none of its tags."""
    assert html.escape(shown, quote=True) in value, value
    for tag in ("<img", "<script", "<svg"):
        assert tag not in value.lower(), f"{tag} reached the HTML: {value}"


def _published(store, owner: str, prompt: str) -> str:
    clip = Clip(np.zeros((4, 32, 18, 3), np.uint8), np.zeros((1, 800), np.float32), 8, 16_000, {"prompt": prompt})
    return store.save_clip(clip, owner=owner, status="published")


def test_the_feed_shows_comments_and_a_profile_s_prompts_as_text(store):
    for h in ("ada", "zed"):
        sign_up(store, h, birthdate="1985-05-05")
    _published(store, "ada", PAYLOAD)
    feed.refresh_stats(store)
    from sora_widgets.widgets.feed_view import FeedView

    view = FeedView(store, "zed", page_size=4)
    assert view.current is not None
    view.comment_text.value = PAYLOAD
    view.comment_button.click()  # posted or held for review: its author sees it either way
    _as_text(view.comments.value)
    view.show_profile("ada")
    _as_text(view.profile.children[2].value)  # the clips' prompts


def test_a_direct_message_s_text_in_the_notification_list(store):
    for h in ("ada", "zed"):
        sign_up(store, h, birthdate="1985-05-05")
    graph.follow(store, "ada", "zed")
    graph.follow(store, "zed", "ada")
    messages.send(store, sender="ada", recipient="zed", text=PAYLOAD)
    from sora_widgets.widgets.messages_panel import NotificationsList

    _as_text(NotificationsList(store, "zed").list_html.value, shown=PAYLOAD[:80])  # a preview of the text


def test_a_reviewer_sees_flagged_text_as_text():
    from sora_widgets.widgets.review_queue import highlight

    spans = [{"category": "hate", "start": 3, "end": 40}, {"category": "violence", "start": 50, "end": 70}]
    marked = highlight(PAYLOAD, spans)
    for tag in ("<img", "<script", "<svg"):
        assert tag not in marked.lower()
    assert marked.count("<mark class='sw-flag'") == 2
    # Without the marks, exactly what was written.
    assert html.unescape(re.sub(r"<mark class='sw-flag' title='[^']*'>|</mark>", "", marked)) == PAYLOAD
