"""``ProvenanceChecker``: drop a video, read whether it was made here, and the evidence.

The widget only shows: the answer comes from :func:`sora_widgets.provenance.check`,
run on a background job (decoding and reading the marks take a second or two).
The verdict line carries ``data-verdict`` (a key of
:data:`sora_widgets.provenance.VERDICTS`) so a test or a script can read it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from ..store import Store
from ._messages import html_escape, readable_error
from ._worker import BackgroundJob

__all__ = ["ProvenanceChecker", "report_html"]

log = logging.getLogger(__name__)

#: Colour of each verdict's line (made here and intact: green; changed or copied: amber; none: grey; bad: red).
_COLOURS = {"intact": "#1a7f37", "modified": "#b35900", "stripped": "#b35900", "copy": "#b35900",
            "invalid": "#c62828", "none": "#555"}


def report_html(report: Any) -> str:
    """A :class:`~sora_widgets.provenance.Report` as HTML (escaped): verdict, the clip, its remix chain, evidence."""
    e = html_escape
    parts = [f"<div class='sw-provenance-verdict' data-verdict='{e(report.verdict)}' "
             f"style='font-size:1.2em;font-weight:bold;color:{_COLOURS.get(report.verdict, '#333')}'>"
             f"{e(report.summary)}</div>"]
    if report.clip_id:
        parts.append(f"<div class='sw-provenance-clip'>clip <code>{e(report.clip_id)}</code> by "
                     f"<b>@{e(report.creator)}</b>, {e(report.created_at or '')}</div>")
    if report.lineage:
        chain = " ← ".join(f"<code>{e(a['clip_id'])}</code> (@{e(a['owner'])})" for a in report.lineage)
        parts.append(f"<div class='sw-provenance-lineage'>remix of {chain}</div>")
    if report.changes:
        parts.append("<div><b>What changed</b><ul class='sw-provenance-changes'>"
                     + "".join(f"<li>{e(c)}</li>" for c in report.changes) + "</ul></div>")
    parts.append("<details open><summary>Evidence</summary><ul class='sw-provenance-evidence'>"
                 + "".join(f"<li>{e(x)}</li>" for x in report.evidence) + "</ul></details>")
    parts.append(f"<small>checked in {report.seconds:.2f} s</small>")
    return "".join(parts)


class ProvenanceChecker(W.VBox):
    """Upload a video and see :func:`~sora_widgets.provenance.check`'s verdict and evidence.

    store : the store whose registry and certificates answer. user : who asks (the remix chain lists
    only clips they may see).

    Events: :meth:`on_checked` (the report).
    """

    def __init__(self, store: Store, user: str | None, **kwargs: Any):
        self.store, self.user = store, user
        self.upload = W.FileUpload(accept="video/*,.mp4,.mov,.m4v,.webm,.mkv", multiple=False,
                                   description="Check a video")
        self.upload.add_class("sw-provenance-upload")
        self.status = W.HTML("<small>Drop or choose a video file: was it made here?</small>")
        self.status.add_class("sw-provenance-status")
        self.result = W.HTML("")
        self.result.add_class("sw-provenance-result")
        self.job: BackgroundJob | None = None
        self.report: Any = None
        self._checked = W.CallbackDispatcher()
        self.upload.observe(self._on_upload, names="value")
        super().__init__([self.upload, self.status, self.result], **kwargs)
        self.add_class("sw-provenance")

    def on_checked(self, callback: Callable[[Any], None], remove: bool = False) -> None:
        """Call ``callback(report)`` after each check."""
        self._checked.register_callback(callback, remove=remove)

    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            self.check_bytes(bytes(files[0]["content"]), files[0]["name"])

    def check_bytes(self, data: bytes, name: str = "video", *, wait: bool = False) -> BackgroundJob:
        """Check ``data`` (a video file's bytes) on a background job; ``wait=True`` blocks until it is shown."""
        from .. import provenance

        if self.job is not None and self.job.running:
            self.job.cancel()
        store, user = self.store, self.user
        self.status.value = f"<small>checking {html_escape(name)}…</small>"
        self.result.value = ""

        def job(_on_progress, _cancel):
            return provenance.check(data, store=store, viewer=user)

        self.job = BackgroundJob(job, name="sora-widgets-provenance-check",
                                 on_done=lambda report: self._show(name, report), on_error=self._failed)
        self.job.start()
        if wait:
            self.job.join()
        return self.job

    def _show(self, name: str, report: Any) -> None:
        self.report = report
        self.status.value = f"<small>{html_escape(name)}</small>"
        self.result.value = report_html(report)
        self._checked(report)

    def _failed(self, exc: BaseException) -> None:
        log.debug("provenance check failed", exc_info=exc)
        self.status.value = f"<span class='sw-error' role='alert'>{html_escape(readable_error(exc))}</span>"
