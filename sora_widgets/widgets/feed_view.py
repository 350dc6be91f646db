"""``FeedView``: the vertical feed. A 9:16 player, the explanation line, like, comment,
remix, "use this cameo", report, "see less", share, the author's profile and the stop screen.

Every rule lives in a service this widget calls: what the feed holds, in which order,
whether it is personalised and when a teen's day is over (``social.feed.page``, which
asks ``social.limits``), who may see a clip (``access.can_view``), likes, comments,
follows, reports (``social.graph``), cameo use (``cameo.consent.can_use``), sharing by direct
message (``social.messages.send``: who may message whom) or by link (``social.feed.open_shared``
decides what a link may show). The widget
never counts anything that limits a person: the server counts what it served.

Video travels one clip at a time: the browser asks for the clip it shows and prefetches
the next (``feed_view.js``); the kernel answers only for clips it served to this viewer
and that the viewer may see (a browser cannot ask for another clip id). We chose this over
serving media by URL because a URL behind the login would need a new server handler in the
auth layer, and a 2 s sim clip is ~100 KB; the rest of the feed never crosses the channel.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as W
import traitlets

from ..access import can_view
from ..store import NotFound, Store, normalise_handle
from ._controls import button
from ._html import escape
from ._messages import readable_error

__all__ = ["FeedPlayer", "FeedView", "MODES"]

_HERE = Path(__file__).parent

#: The feed's tabs: (label, mode given to ``social.feed.page``).
MODES = (("For you", "personalised"), ("Popular", "popular"), ("Following", "following"))
REPORT_REASONS = ("spam", "harassment or bullying", "violence", "sexual content", "hate", "self-harm",
                  "misleading", "uses my likeness without consent", "other")


class FeedPlayer(anywidget.AnyWidget):
    """The 9:16 player: shows ``clip_id`` (bytes on request), the caption and the stop screen.

    Messages from the browser: ``{"type": "want", "clip_id"}`` (send that clip's media) and
    ``{"type": "nav", "step": 1 | -1}`` (next / previous); ``on_want`` and ``on_nav`` receive them.
    """

    _esm = _HERE / "feed_view.js"
    _css = _HERE / "feed_view.css"

    clip_id = traitlets.Unicode("").tag(sync=True)
    next_clip_id = traitlets.Unicode("").tag(sync=True)
    caption = traitlets.Dict().tag(sync=True)
    position = traitlets.Unicode("").tag(sync=True)
    stopped = traitlets.Unicode("").tag(sync=True)
    empty_text = traitlets.Unicode("Nothing here yet: follow people or switch tabs.").tag(sync=True)

    def __init__(self, on_want, on_nav, **kwargs: Any):
        super().__init__(**kwargs)
        self._on_want, self._on_nav = on_want, on_nav
        self.on_msg(self._handle)

    def _handle(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("type") == "want" and isinstance(content.get("clip_id"), str):
            self._on_want(content["clip_id"])
        elif content.get("type") == "nav" and content.get("step") in (1, -1):
            self._on_nav(int(content["step"]))




class FeedView(W.VBox):
    """The feed for ``user`` (default ``session.current_user()``).

    Args:
        store: the Store.
        user: the viewer; dashboards pass ``current_user(store)`` (never a name from the browser).
        mode: the first tab: "personalised", "popular" or "following".
        page_size: clips fetched per page from ``social.feed.page``.
        studio_url: where "use this cameo" points (the Studio dashboard).
        feed_url: this dashboard's address, relative to the page; "Share" links are ``<feed_url>?clip=<id>``.
        open_clip: a clip id from a shared link (the dashboard reads it from the URL): shown first when
            ``social.feed.open_shared`` allows it, then the feed as usual.
    """

    def __init__(self, store: Store, user: str | None = None, *, mode: str = "personalised", page_size: int = 10,
                 studio_url: str = "studio.ipynb", feed_url: str = "feed.ipynb", open_clip: str | None = None):
        from ..session import current_user

        self.store = store
        self.user = normalise_handle(user) if user else current_user(store)
        self.page_size = int(page_size)
        self.studio_url = studio_url
        self.feed_url = feed_url
        self._open_clip = open_clip
        self.items: list[Any] = []
        self.index = 0
        self.cursor: str | None = None
        self.exhausted = False
        self._shown_at = time.monotonic()
        self._liked: dict[str, bool] = {}

        self.tabs = W.ToggleButtons(options=list(MODES), value=mode)
        self.tabs.add_class("sw-feed-tabs")
        self.note = W.HTML()
        self.note.add_class("sw-feed-note")
        self.player = FeedPlayer(self._send_media, self.nav)
        self.explain = W.HTML()
        self.explain.add_class("sw-feed-explain")
        self.prev_button = button("▲ Previous", "sw-feed-prev")
        self.next_button = button("▼ Next", "sw-feed-next")
        self.like_button = button("♡ Like", "sw-feed-like")
        self.remix_button = button("Remix", "sw-feed-remix")
        self.cameo_button = button("Use this cameo", "sw-feed-cameo", disabled=True)
        self.see_less_button = button("See less", "sw-feed-see-less")
        self.download_button = button("Download", "sw-feed-download")
        self.download = W.HTML()  # the link to the marked, signed file (provenance.export decides who may have it)
        self.download.add_class("sw-feed-download-link")
        self.author_button = button("@", "sw-feed-author")
        self.share_button = button("Share", "sw-feed-share")
        self.share_link = W.Text(description="Link", layout=W.Layout(width="420px"))
        self.share_link.add_class("sw-feed-share-link")
        self.share_to = W.Text(placeholder="@handle", description="Send to", layout=W.Layout(width="220px"))
        self.share_to.add_class("sw-feed-share-to")
        self.share_text = W.Text(placeholder="Say something (optional)", layout=W.Layout(width="260px"))
        self.share_text.add_class("sw-feed-share-text")
        self.share_send = button("Send", "sw-feed-share-send")
        self.share_box = W.VBox([self.share_link, W.HBox([self.share_to, self.share_text, self.share_send])])
        self.share_box.add_class("sw-feed-share-box")
        self.share_box.layout.display = "none"
        self.comment_text = W.Text(placeholder="Add a comment", layout=W.Layout(width="260px"))
        self.comment_text.add_class("sw-feed-comment-text")
        self.comment_button = button("Comment", "sw-feed-comment")
        self.comments = W.HTML()
        self.comments.add_class("sw-feed-comments")
        self.report_reason = W.Dropdown(options=REPORT_REASONS, value="spam", layout=W.Layout(width="220px"))
        self.report_reason.add_class("sw-feed-report-reason")
        self.report_button = button("Report", "sw-feed-report", button_style="warning")
        self.status = W.HTML()
        self.status.add_class("sw-feed-status")
        self.profile = W.VBox()
        self.profile.add_class("sw-feed-profile")
        self.remix_box = W.VBox()

        self.tabs.observe(self._on_mode, names="value")
        self.prev_button.on_click(lambda _b: self.nav(-1))
        self.next_button.on_click(lambda _b: self.nav(1))
        self.like_button.on_click(lambda _b: self._act(self._toggle_like))
        self.comment_button.on_click(lambda _b: self._act(self._comment))
        self.comment_text.on_submit(lambda _t: self._act(self._comment))
        self.report_button.on_click(lambda _b: self._act(self._report))
        self.see_less_button.on_click(lambda _b: self._act(self._see_less))
        self.remix_button.on_click(lambda _b: self._act(self._open_remix))
        self.cameo_button.on_click(lambda _b: self._act(self._use_cameo))
        self.download_button.on_click(lambda _b: self._act(self._download))
        self.author_button.on_click(lambda _b: self._act(lambda: self.show_profile(self.current.owner)))
        self.share_button.on_click(lambda _b: self._act(self._open_share))
        self.share_send.on_click(lambda _b: self._act(self._send_share))
        self.share_to.on_submit(lambda _t: self._act(self._send_share))

        actions = W.HBox([self.prev_button, self.next_button, self.like_button, self.remix_button, self.cameo_button,
                          self.see_less_button, self.author_button, self.share_button, self.download_button])
        actions.add_class("sw-feed-actions")
        side = W.VBox([self.explain, actions, self.share_box, self.download, W.HBox([self.comment_text, self.comment_button]), self.comments,
                       W.HBox([self.report_reason, self.report_button]), self.status, self.profile],
                      layout=W.Layout(padding="0 0 0 16px", max_width="560px"))
        super().__init__([self.tabs, self.note, W.HBox([self.player, side]), self.remix_box])
        self.add_class("sw-feed-view")
        self.reload()

    # ------------------------------------------------------------ loading
    @property
    def current(self):
        """The FeedItem shown now (None when the feed is empty or stopped)."""
        return self.items[self.index] if 0 <= self.index < len(self.items) else None

    @property
    def stopped(self) -> str:
        """The stop screen's words when the server stopped the feed ("" otherwise)."""
        return self.player.stopped

    def reload(self) -> None:
        """Start the current tab again from the top."""
        self.items, self.index, self.cursor, self.exhausted = [], 0, None, False
        self.player.stopped = ""
        self.remix_box.children = ()
        if self._open_clip:  # a shared link: that clip first (once), if the feed's rules allow it
            from ..social import feed

            shared, self._open_clip = feed.open_shared(self.store, self.user, self._open_clip), None
            if shared is not None:
                self.items.append(shared)
            else:
                self.status.value = "<span class='sw-feed-end'>That shared clip is not available to you.</span>"
        self._load_more()
        self._show()

    def _on_mode(self, _change) -> None:
        self._act(self.reload)

    def _load_more(self) -> bool:
        """Fetch the next page from the feed service; True when it added clips."""
        from ..social import feed

        if self.exhausted or self.player.stopped:
            return False
        page = feed.page(self.store, self.user, mode=self.tabs.value, cursor=self.cursor, size=self.page_size)
        have = {it.clip_id for it in self.items}  # a clip opened from a shared link is not shown twice
        self.items.extend(it for it in page.items if it.clip_id not in have)
        self.cursor = page.next_cursor
        if page.stopped:
            self.player.stopped = page.stopped
        if page.next_cursor is None:
            self.exhausted = True
        self._update_note()
        return bool(page.items)

    def _update_note(self) -> None:
        from ..social.limits import feed_allowance

        a = feed_allowance(self.store, self.user)
        bits = []
        if not a.personalised:
            bits.append("Your guardian turned off the personalised feed: you see what is popular.")
        if a.remaining is not None and a.remaining > 0:
            bits.append(escape(a.reason))
        self.note.value = f"<span class='sw-feed-note-text'>{' '.join(bits)}</span>" if bits else ""

    # ------------------------------------------------------------ navigation
    def nav(self, step: int) -> None:
        """Move ``step`` clips (1 next, -1 previous); the next page is fetched when needed."""
        self._act(lambda: self._nav(step))

    def _nav(self, step: int) -> None:
        from ..social import graph

        cur = self.current
        if cur is not None and step > 0:
            # Watched time measured here, on the server's clock, not reported by the browser.
            info = self._info(cur.clip_id)
            dur = float(info.get("duration_s") or 0) if info else 0.0
            frac = min(1.0, (time.monotonic() - self._shown_at) / dur) if dur > 0 else 1.0
            try:
                graph.view(self.store, self.user, cur.clip_id, watched_fraction=round(frac, 3))
            except (PermissionError, ValueError, NotFound):
                pass  # the clip went away meanwhile: nothing to count
        target = self.index + step
        if target < 0:
            return
        if target >= len(self.items):
            self._load_more()
        if target < len(self.items):
            self.index = target
        elif self.player.stopped:
            self.index = len(self.items)  # past the last clip: the stop screen
        else:
            self.status.value = "<span class='sw-feed-end'>You're all caught up.</span>"
        self._show()

    def _info(self, clip_id: str) -> dict | None:
        try:
            return self.store.clip_info(clip_id)
        except NotFound:
            return None

    def _show(self) -> None:
        cur = self.current
        nxt = self.items[self.index + 1] if self.index + 1 < len(self.items) else None
        self.remix_box.children = ()
        self.download.value = ""
        self.share_box.layout.display = "none"
        self._shown_at = time.monotonic()
        if cur is None:
            self.player.clip_id = ""
            self.player.next_clip_id = ""
            self.player.caption = {}
            self.player.position = ""
            self.explain.value = ""
            self.comments.value = ""
            for b in (self.like_button, self.remix_button, self.see_less_button, self.author_button,
                      self.comment_button, self.report_button, self.cameo_button, self.download_button,
                      self.share_button):
                b.disabled = True
            return
        for b in (self.like_button, self.remix_button, self.see_less_button, self.author_button,
                  self.comment_button, self.report_button, self.download_button, self.share_button):
            b.disabled = False
        self.player.caption = {"owner": cur.owner, "prompt": cur.prompt or "", "reason": cur.reason or ""}
        self.player.clip_id = cur.clip_id
        self.player.next_clip_id = nxt.clip_id if nxt is not None else ""
        self.player.position = f"{self.index + 1}"
        self.explain.value = f"<span class='sw-feed-why'>{escape(cur.reason or '')}</span>"
        self.author_button.description = f"@{cur.owner}"
        self.like_button.description = "♥ Liked" if self._liked.get(cur.clip_id) else "♡ Like"
        self._refresh_comments()
        self._refresh_cameo()

    # ------------------------------------------------------------ media
    def _send_media(self, clip_id: str) -> None:
        """Send one clip's MP4 (or its thumbnail) to the browser, if this viewer was served it and may see it."""
        served = {it.clip_id for it in self.items[max(0, self.index - 1): self.index + 2]}
        if clip_id not in served or not can_view(self.store, clip_id, self.user):
            return
        info = self._info(clip_id)
        if info is None:
            return
        if info.get("media_hash"):
            data, mime = self.store.media_bytes(info["media_hash"]), "video/mp4"
        elif info.get("thumb_hash"):
            data, mime = self.store.media_bytes(info["thumb_hash"]), "image/png"
        else:
            data, mime = b"", "image/none"
        self.player.send({"type": "media", "clip_id": clip_id, "mime": mime}, [data])

    # ------------------------------------------------------------ actions
    def _act(self, fn) -> None:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - one readable line instead of a traceback in Voila
            self.status.value = f"<span class='sw-feed-error' role='alert'>{escape(readable_error(exc))}</span>"

    def _say(self, text: str) -> None:
        self.status.value = f"<span class='sw-feed-ok'>{escape(text)}</span>"

    def _download(self) -> None:
        """A link to the shown clip's file as stored: marked and signed with C2PA (issue 16 item 6)."""
        import base64

        from ..provenance import export

        cur = self.current
        if cur is None:
            return
        data, name = export(self.store, cur.clip_id, user=self.user)
        self.download.value = (f"<a class='sw-download-link' download='{escape(name)}' "
                               f"href='data:video/mp4;base64,{base64.b64encode(data).decode()}'>Save {escape(name)}"
                               "</a> <small>(marked and signed: anyone can check where it came from)</small>")

    def _open_share(self) -> None:
        """Show the share box: a link to the shown clip, and a direct message to send it with."""
        from urllib.parse import quote

        cur = self.current
        if cur is None:
            return
        self.share_link.value = f"{self.feed_url}?clip={quote(cur.clip_id)}"
        self.share_box.layout.display = "flex"

    def _send_share(self) -> None:
        """Send the shown clip by direct message (``social.messages.send`` decides who may message whom)."""
        from ..social import messages

        cur = self.current
        to = self.share_to.value.strip()
        if cur is None or not to:
            return
        m = messages.send(self.store, sender=self.user, recipient=to, text=self.share_text.value or None,
                          clip_id=cur.clip_id)
        self.share_to.value = self.share_text.value = ""
        self._say(f"Sent to @{m['recipient']}")

    def _toggle_like(self) -> None:
        from ..social import graph

        cur = self.current
        if cur is None:
            return
        if self._liked.get(cur.clip_id):
            graph.unlike(self.store, self.user, cur.clip_id)
            self._liked[cur.clip_id] = False
            self._say("Like removed")
        else:
            graph.like(self.store, self.user, cur.clip_id)
            self._liked[cur.clip_id] = True
            self._say(f"You liked @{cur.owner}'s clip")
        self.like_button.description = "♥ Liked" if self._liked[cur.clip_id] else "♡ Like"

    def _comment(self) -> None:
        from ..social import graph

        cur = self.current
        if cur is None:
            return
        c = graph.comment(self.store, self.user, cur.clip_id, self.comment_text.value)
        self.comment_text.value = ""
        held = isinstance(c, dict) and c.get("status") == "held"
        self._say("Your comment waits for review (only you see it)" if held else "Comment posted")
        self._refresh_comments()

    def _refresh_comments(self) -> None:
        from ..social import graph

        cur = self.current
        if cur is None:
            self.comments.value = ""
            return
        try:
            rows = graph.comments(self.store, self.user, cur.clip_id, limit=20)
        except (PermissionError, NotFound):
            rows = []
        lines = [f"<li><b>@{escape(str(r.get('author', '')))}</b> {escape(str(r.get('body', '')))}</li>"
                 for r in rows]
        self.comments.value = f"<ul class='sw-feed-comment-list'>{''.join(lines)}</ul>" if lines else ""

    def _report(self) -> None:
        from ..social import graph

        cur = self.current
        if cur is None:
            return
        graph.report(self.store, self.user, cur.clip_id, self.report_reason.value)
        self._say("Thanks: a reviewer will look at this clip")

    def _see_less(self) -> None:
        from ..social import graph

        cur = self.current
        if cur is None:
            return
        graph.see_less(self.store, self.user, cur.clip_id)
        self._say("You'll see fewer clips like this")
        self._nav(1)

    def _open_remix(self) -> None:
        from .remix_explorer import RemixExplorer

        cur = self.current
        if cur is None:
            return
        self.remix_box.children = (W.HTML("<h4>Remix this clip</h4>"),
                                   RemixExplorer(self.store, cur.clip_id, self.user, show_3d=False))

    def _cameos_of(self, clip_id: str) -> list[str]:
        info = self._info(clip_id) or {}
        recipe = info.get("recipe") or {}
        return [c for c in recipe.get("cameo_ids", []) if c] if isinstance(recipe, dict) else []

    def _refresh_cameo(self) -> None:
        from ..cameo import consent

        cur = self.current
        usable = [c for c in self._cameos_of(cur.clip_id)] if cur else []
        self._usable_cameos = [c for c in usable if consent.can_use(self.store, c, self.user)]
        self.cameo_button.disabled = not self._usable_cameos
        self.cameo_button.tooltip = "" if self._usable_cameos else "no cameo in this clip you may use"

    def _use_cameo(self) -> None:
        from ..cameo import consent

        names = []
        for c in self._usable_cameos:
            try:
                names.append("@" + consent.get(self.store, c)["name"])
            except NotFound:
                continue
        if not names:
            return
        self.status.value = (f"<span class='sw-feed-ok'>Write {escape(', '.join(names))} in a prompt in the "
                             f"<a href='{escape(self.studio_url)}' target='_blank'>Studio</a>.</span>")

    # ------------------------------------------------------------ profile
    def show_profile(self, handle: str) -> None:
        """Show ``handle``'s profile below the actions: their clips, their remixes, a follow button."""
        from ..social import graph

        h = normalise_handle(handle)
        clips = self.store.list_clips(owner=h, status="published", limit=60)
        visible = [r for r in clips.to_dict("records") if can_view(self.store, r["clip_id"], self.user)]
        own = [r for r in visible if not r.get("parent_id")]
        remixes = [r for r in visible if r.get("parent_id")]

        def lines(rows):
            items = "".join(f"<li>{escape(str(r['prompt'] or r['clip_id']))}</li>" for r in rows[:12])
            return f"<ul>{items}</ul>" if items else "<i>none yet</i>"

        follow = button("", "sw-feed-follow")
        me = h == self.user

        def label():
            follow.description = "Following ✓" if graph.follows(self.store, self.user, h) else "Follow"

        def toggle(_b):
            def run():
                if graph.follows(self.store, self.user, h):
                    graph.unfollow(self.store, self.user, h)
                else:
                    graph.follow(self.store, self.user, h)
                label()
            self._act(run)

        if not me:
            label()
            follow.on_click(toggle)
        close = button("Close", "sw-feed-profile-close")
        close.on_click(lambda _b: setattr(self.profile, "children", ()))
        head = W.HTML(f"<h4>@{escape(h)}</h4><div>{len(own)} clips · {len(remixes)} remixes</div>")
        body = W.HTML(f"<b>Clips</b>{lines(own)}<b>Remixes</b>{lines(remixes)}")
        self.profile.children = (head, W.HBox([follow, close] if not me else [close]), body)
