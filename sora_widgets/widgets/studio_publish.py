"""``PublishPanel``: Publish / Save draft for the clip on show, with output moderation started in advance.

As soon as a clip is generated (before the player is ready) the panel asks the
publishing service to pre-screen it (:func:`sora_widgets.publishing.prescreen`, on a background job,
quietly). Publish then calls :func:`sora_widgets.publishing.publish`, which uses
that verdict when the clip is unchanged, so it only saves; if the check is still
running, the panel shows its progress ("checking the clip k/n") until it ends.
The rule (which verdict may be reused) lives in the service, not here.
Once saved, a "Download the signed MP4" link offers the stored file, marked and
signed with C2PA (:func:`sora_widgets.provenance.export`, which checks who may have it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from .. import publishing
from ..media import Clip
from ..store import Store
from ._messages import html_escape, readable_error
from ._worker import BackgroundJob, Progress, lower_thread_priority
from .studio_history import HistoryEntry

__all__ = ["PublishPanel"]

log = logging.getLogger(__name__)

#: Niceness added to the pre-screen's thread (0-19 scale): background work yields to what the user watches.
PRESCREEN_NICE = 10
#: What the progress label says while moderation checks the clip (the steps are the checks).
CHECKING = "checking the clip"


def _encode_quietly(clip: Clip) -> None:
    """``clip.encoded()``; a failure is the pre-screen's to report (it encodes too, and says why)."""
    try:
        clip.encoded()
    except Exception:
        log.debug("encoding failed", exc_info=True)


class PublishPanel(W.VBox):
    """The **Publish** and **Save draft** buttons, the progress of what is left, and the outcome.

    store, user : where and as whom clips are saved.

    Events: :meth:`on_published` (a :class:`~sora_widgets.publishing.PublishResult`),
    :meth:`on_failed` (the exception; its readable line is shown in the panel).
    """

    def __init__(self, store: Store, user: str, **kwargs: Any):
        self.store, self.user = store, user
        self.publish_button = W.Button(description="Publish", button_style="success", disabled=True,
                                       tooltip="Check and publish the clip")
        self.publish_button.add_class("sw-publish")
        self.draft_button = W.Button(description="Save draft", disabled=True, tooltip="Save privately as a draft")
        self.draft_button.add_class("sw-save-draft")
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="200px", display="none"))
        self.progress.add_class("sw-publish-progress")
        self.progress_label = W.Label("")
        self.progress_label.add_class("sw-publish-progress-label")
        self.result = W.HTML("")
        self.result.add_class("sw-publish-result")
        # Once saved: a link to the stored file, marked and signed (provenance.export checks who may have it).
        self.download = W.HTML("")
        self.download.add_class("sw-download")
        self._downloads: dict[str, str] = {}  # clip id -> its link
        self.entry: HistoryEntry | None = None
        self.prescreen_job: BackgroundJob | None = None
        self.publish_job: BackgroundJob | None = None
        self._published = W.CallbackDispatcher()
        self._failed = W.CallbackDispatcher()
        self.publish_button.on_click(lambda _b: self.publish("published"))
        self.draft_button.on_click(lambda _b: self.publish("draft"))
        self.buttons = W.HBox([self.publish_button, self.draft_button])
        super().__init__([W.HBox([self.progress, self.progress_label], layout=W.Layout(align_items="center")),
                          self.result, self.download], **kwargs)

    # ------------------------------------------------------------ events
    def on_published(self, callback: Callable[[publishing.PublishResult], None], remove: bool = False) -> None:
        """Call ``callback(result)`` each time a clip is saved (published, draft or held)."""
        self._published.register_callback(callback, remove=remove)

    def on_failed(self, callback: Callable[[BaseException], None], remove: bool = False) -> None:
        """Call ``callback(exc)`` when saving fails (blocked by moderation, a refused cameo...)."""
        self._failed.register_callback(callback, remove=remove)

    # ------------------------------------------------------------ showing a take
    def show(self, entry: HistoryEntry | None) -> None:
        """Offer Publish / Save draft for ``entry`` (disabled once it is saved)."""
        self.entry = entry
        saving = self.publish_job is not None and self.publish_job.running
        saved = entry is None or entry.clip_id is not None
        self.publish_button.disabled = self.draft_button.disabled = saved or saving
        self.result.value = self._saved_text(entry) if entry is not None and entry.clip_id else ""
        self.download.value = self._downloads.get(entry.clip_id, "") if entry is not None and entry.clip_id else ""

    @staticmethod
    def _saved_text(entry: HistoryEntry) -> str:
        return (f"<span class='sw-published' data-clip-id='{html_escape(entry.clip_id)}'>"
                f"<b>{html_escape(entry.status)}</b> · clip id <code>{html_escape(entry.clip_id)}</code></span>")

    # ------------------------------------------------------------ pre-screening
    def prescreen(self, clip: Clip) -> BackgroundJob:
        """Start output moderation of ``clip`` in the background (a previous one is cancelled).

        Called as soon as the clip exists, before the player's media are made: the job encodes the
        clip first (the player waits for those bytes), then checks it at low priority (a new take
        the user starts gets the CPU first). Encoding and checking side by side made the video
        reach the page about a second later on 2 cores (both need the GIL part of the time, and a
        low-priority thread holding it stalls the others), for a few tenths sooner at Publish.
        """
        self.cancel_prescreen()
        store, user = self.store, self.user

        def job(_on_progress, cancel):
            _encode_quietly(clip)  # the one encode, shared with the player and the store
            lower_thread_priority(PRESCREEN_NICE)
            return publishing.prescreen(store, clip, user=user, cancel=cancel)

        # Quiet: a failure here is not the user's concern yet; Publish checks again and says why.
        self.prescreen_job = BackgroundJob(job, name="sora-widgets-prescreen",
                                           on_error=lambda exc: log.debug("pre-screen failed", exc_info=exc))
        return self.prescreen_job.start()

    def cancel_prescreen(self) -> None:
        """Stop a running pre-screen (the user is generating again; its verdict would not be used)."""
        if self.prescreen_job is not None and self.prescreen_job.running:
            self.prescreen_job.cancel()

    # ------------------------------------------------------------ publishing
    def publish(self, status: str = "published", *, wait: bool = False) -> BackgroundJob | None:
        """Save the clip on show as ``status`` ("published" or "draft"): what the two buttons do.

        Runs as a background job (``wait=True`` blocks until it is done). When the
        pre-screen is finished this only saves; otherwise it shows the check's progress.
        """
        entry = self.entry
        if entry is None:
            self.result.value = "<span class='sw-error'>generate a clip first</span>"
            return None
        if entry.clip_id is not None:
            self.result.value = self._saved_text(entry)
            return None
        if self.publish_job is not None and self.publish_job.running:
            return self.publish_job
        store, user = self.store, self.user

        def job(on_progress, cancel):
            def checking(done: int, total: int) -> None:
                on_progress(done, total, None, label=CHECKING)

            return publishing.publish(store, entry.clip, user=user, status=status, on_progress=checking,
                                      cancel=cancel)

        self.publish_button.disabled = self.draft_button.disabled = True
        self.result.value = ""
        self.progress_label.value = "saving…"
        self.publish_job = BackgroundJob(
            job, name="sora-widgets-publish", keep_late_result=True,
            on_progress=self._on_progress,
            on_done=lambda result: self._on_done(entry, result),
            on_error=lambda exc: self._on_error(entry, exc),
            on_cancelled=lambda: self._on_error(entry, None),
        ).start()
        if wait:
            self.publish_job.join()
        return self.publish_job

    def wait(self, timeout: float | None = None) -> None:
        """Block until a running publish finishes."""
        if self.publish_job is not None:
            self.publish_job.join(timeout)

    def _on_progress(self, p: Progress) -> None:
        with self.progress.hold_sync():
            self.progress.max = max(1, p.total)
            self.progress.value = min(p.step, p.total)
        self.progress.layout.display = ""
        # The last check done: what is left is the save.
        self.progress_label.value = "saving…" if p.total and p.step >= p.total else p.describe()

    def _idle(self) -> None:
        self.progress.layout.display = "none"
        self.progress_label.value = ""

    def _on_done(self, entry: HistoryEntry, result: publishing.PublishResult) -> None:
        entry.clip_id, entry.status = result.clip_id, result.status
        entry.clip.meta["clip_id"] = result.clip_id  # not in the MP4's tags: the bytes stay the ones shown
        self._idle()
        if self.entry is entry:
            # The service's message adds something only when the clip is held (the reasons).
            extra = f"<br><small>{html_escape(result.message)}</small>" if result.status == "held" else ""
            self.result.value = self._saved_text(entry) + extra
        self._offer_download(entry)
        self._published(result)

    def _offer_download(self, entry: HistoryEntry) -> None:
        """A "Download" link to the saved clip's file: the store's MP4, with its marks and signed C2PA manifest.

        Made on a job of its own (reading the file back takes a few store reads): the publish is done
        and reported without waiting for it.
        """
        from ..provenance import export

        store, user, clip_id = self.store, self.user, entry.clip_id

        def show(found: tuple[bytes, str]) -> None:
            import base64

            data, name = found
            self._downloads[clip_id] = (
                f"<a class='sw-download-link' download='{html_escape(name)}' "
                f"href='data:video/mp4;base64,{base64.b64encode(data).decode()}'>Download the signed MP4</a>"
                "<small> (marked and signed: anyone can check where it came from)</small>")
            if self.entry is entry:
                self.download.value = self._downloads[clip_id]

        # The clip is saved whatever happens here: a missing link is logged, never shown as a failure.
        BackgroundJob(lambda _p, _c: export(store, clip_id, user=user), name="sora-widgets-download-link",
                      on_done=show, on_error=lambda exc: log.debug("no download link", exc_info=exc)).start()

    def _on_error(self, entry: HistoryEntry, exc: BaseException | None) -> None:
        log.debug("publish failed", exc_info=exc)
        self._idle()
        text = "publishing was cancelled" if exc is None else readable_error(exc)
        if self.entry is entry:
            self.result.value = f"<span class='sw-error' role='alert'>{html_escape(text)}</span>"
            self.publish_button.disabled = self.draft_button.disabled = False
        if exc is not None:
            self._failed(exc)
