"""Download from the feed gives the marked, signed file (issue 16 item 6), only to people who may see it."""

from __future__ import annotations

import base64
import re

from sora_widgets import provenance, publishing
from sora_widgets.social import feed
from sora_widgets.social.accounts import sign_up

SMALL = dict(duration=1.0, fps=12, width=128, height=128, seed=4)


def test_the_feed_download_is_the_stored_signed_file_and_checks_as_intact(store):
    for h in ("ada", "zed"):
        sign_up(store, h, birthdate="1985-05-05")
    clip = publishing.generate_checked(store, "a red ball bounces on a wooden floor", user="ada", **SMALL)
    result = publishing.publish(store, clip, user="ada")
    assert result.status == "published"
    feed.refresh_stats(store)
    from sora_widgets.widgets.feed_view import FeedView

    view = FeedView(store, "zed", page_size=4)
    assert view.current is not None and view.current.clip_id == result.clip_id
    view.download_button.click()
    link = re.search(r"href='data:video/mp4;base64,([^']+)'", view.download.value)
    assert link, view.status.value
    data = base64.b64decode(link.group(1))
    assert data == store.media_bytes(store.clip_info(result.clip_id)["media_hash"])
    report = provenance.check(data, store=store)
    assert report.verdict == "intact" and report.clip_id == result.clip_id
