"""``PromptStudio``: write a prompt, generate in the background, watch it render, compare, publish.

Layout (top to bottom): who is signed in; the :class:`GenerationForm` (prompt,
engine and its settings); Generate / Cancel with a progress bar ("step k/n, ETA
s") and live preview frames; the result in a :class:`ClipPlayer` with the
:class:`PublishPanel` (Publish / Save draft) and a space-time view; the
:class:`TakeHistory` of clips made since the studio opened.

This file composes those parts and runs generation; each part has its own file.
No rules live here: generation goes through
:func:`sora_widgets.publishing.generate_checked` (prompt moderation, then the
engine) and saving through :func:`sora_widgets.publishing.publish` (output
moderation, started in advance by the panel, then the store). Long work runs as a
:class:`BackgroundJob` so the kernel keeps answering other widgets (and Cancel).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as W

from .. import publishing
from .._threads import start_background
from ..engines import available
from ..media import Clip
from ..session import current_user
from ..store import Store, normalise_handle, open_store
from ._frontend_ready import FrontendReady
from ._messages import html_escape, readable_error
from ._prompt_precheck import PromptPrecheck
from ._warm_up import warm_up_generate, warm_up_output_check
from ._worker import BackgroundJob, Progress, lower_thread_priority
from .cameo_picker import CameoPicker
from .clip_player import ClipPlayer
from .studio_form import ASPECTS, SIZES_PX, GenerationForm, frame_size
from .studio_history import HistoryEntry, TakeHistory
from .studio_picture import PicturePanel
from .studio_publish import PublishPanel
from .understood import understood_html

__all__ = ["ASPECTS", "SIZES_PX", "HistoryEntry", "PromptStudio", "frame_size", "readable_error"]

log = logging.getLogger(__name__)

#: Niceness added to the warm-up thread once what the first Generate needs is loaded (0-19 scale).
WARM_UP_NICE = 10
#: Form controls the studio exposes under its own name (``studio.prompt`` is ``studio.form.prompt``).
_FORM_CONTROLS = ("prompt", "negative_prompt", "engine", "engine_note", "duration", "fps", "aspect", "size",
                  "size_note", "seed", "dice", "new_seed", "steps", "guidance", "steps_box")


def _check_prompt(text: str) -> None:
    """The one prompt check Generate runs (imported on first use: it loads the classifier)."""
    from ..moderation.text import check_prompt

    check_prompt(text)


class PromptStudio(W.VBox):
    """The creation widget.

    Args:
        store (`Store`, *optional*): where clips are saved (default: ``$SORA_WIDGETS_HOME``).
        user (`str`, *optional*): the creator's handle; the account must exist
            (default: :func:`sora_widgets.session.current_user`).
        background_engine_check (`bool`, *optional*, defaults to `False`): show the studio at once and
            fill the engine picker from a thread (importing engines takes ~1 s); Generate is enabled when
            the check is done. The dashboard uses it to appear sooner; notebooks keep the default
            (everything ready on return).

    Events (callbacks, like ipyleaflet's ``on_move``)::

        studio.on_generated(lambda clip: ...)      # a clip is ready in the player
        studio.on_published(lambda result: ...)    # saved: result.clip_id, result.status
        studio.on_error(lambda exc: ...)           # generating or saving failed (the page says why)

    Programmatic use (notebooks, tests)::

        studio = PromptStudio()
        studio.prompt.value = "a red ball bounces on a wooden floor"
        studio.generate(); studio.wait()     # same as clicking Generate
        studio.publish()                     # same as clicking Publish
    """

    def __init__(
        self,
        store: Store | None = None,
        user: str | None = None,
        *,
        background_engine_check: bool = False,
        **kwargs: Any,
    ):
        self._background_engine_check = background_engine_check
        self.store = store if store is not None else open_store()
        self.user = normalise_handle(user) if user else current_user(self.store)
        self.current: HistoryEntry | None = None
        self.worker: BackgroundJob | None = None
        self._last_publish: publishing.PublishResult | None = None
        self._last_error: BaseException | None = None
        self._generated = W.CallbackDispatcher()
        self._errors = W.CallbackDispatcher()
        self.warmed_up = threading.Event()  # set once the one-off start-up costs are paid (see _warm_up)
        self._build()
        super().__init__(self._layout(), **kwargs)
        self.add_class("sw-studio")
        self._start_background_work()

    # ================================================================ events
    def on_generated(self, callback: Callable[[Clip], None], remove: bool = False) -> None:
        """Call ``callback(clip)`` each time a generation finishes and its clip is in the player."""
        self._generated.register_callback(callback, remove=remove)

    def on_published(self, callback: Callable[[publishing.PublishResult], None], remove: bool = False) -> None:
        """Call ``callback(result)`` each time a clip is saved (``result.status``: published, draft or held)."""
        self.publish_panel.on_published(callback, remove=remove)

    def on_error(self, callback: Callable[[BaseException], None], remove: bool = False) -> None:
        """Call ``callback(exc)`` when generating or saving fails (the studio shows a readable line)."""
        self._errors.register_callback(callback, remove=remove)

    @property
    def last_publish(self) -> publishing.PublishResult | None:
        """The latest save's result (read-only; prefer :meth:`on_published`)."""
        return self._last_publish

    @property
    def last_error(self) -> BaseException | None:
        """The full exception behind the last error message shown (read-only; prefer :meth:`on_error`)."""
        return self._last_error

    # ================================================================ building
    def _build(self) -> None:
        self.who = W.HTML(f"<span class='sw-who'>Creating as <b>@{html_escape(self.user)}</b></span>")
        self.form = GenerationForm()
        # Listed on the background thread (reads cameos and their pictures): see _start_background_work.
        self.cameo_picker = CameoPicker(self.store, self.user, prompt=self.form.prompt, load=False)
        self.picture = PicturePanel(self._current_frame)  # "Start from a picture" (studio_picture.py)
        for name in _FORM_CONTROLS:
            setattr(self, name, getattr(self.form, name))

        self.generate_button = W.Button(description="Generate", button_style="primary", tooltip="Generate the clip")
        self.generate_button.add_class("sw-generate")
        self.cancel_button = W.Button(description="Cancel", button_style="warning", disabled=True,
                                      tooltip="Stop the generation")
        self.cancel_button.add_class("sw-cancel")
        self.progress = W.IntProgress(value=0, min=0, max=1, layout=W.Layout(width="320px"))
        self.progress.add_class("sw-progress")
        self.progress_label = W.Label("")
        self.progress_label.add_class("sw-progress-label")
        self.status = W.HTML("")
        self.status.add_class("sw-status")
        self.preview = W.Image(format="png", layout=W.Layout(width="256px", height="auto", align_self="flex-start",
                                                             object_fit="contain", display="none"))
        self.preview.add_class("sw-preview")

        self.player_box = W.VBox([])
        self.player_box.add_class("sw-result")
        self.understood = W.HTML("")  # what the engine drew, left out and could not place (understood.py)
        self.publish_panel = PublishPanel(self.store, self.user)
        self.publish_button = self.publish_panel.publish_button
        self.draft_button = self.publish_panel.draft_button
        self.publish_result = self.publish_panel.result
        self.spacetime_button = W.Button(description="Space-time view", disabled=True,
                                         tooltip="Show the clip as an (x, y, t) volume")
        self.spacetime_button.add_class("sw-spacetime-button")
        self.spacetime_box = W.VBox([])

        self.takes = TakeHistory()
        self.history_strip, self.compare_box, self.compare_hint = (self.takes.strip, self.takes.compare_box,
                                                                   self.takes.compare_hint)

        # The prompt is checked while it is typed, so Generate's check (which still runs) finds it embedded.
        self.prompt_precheck = PromptPrecheck(_check_prompt)
        self.prompt.observe(lambda change: self.prompt_precheck.typed(change["new"]), "value")

        self.generate_button.on_click(lambda _b: self.generate())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.spacetime_button.on_click(lambda _b: self.show_space_time())
        self.form.on_engine_changed(lambda _info: self._set_busy(self.busy))
        self.takes.on_show(self._show_entry)
        self.publish_panel.on_published(self._remember_publish)
        self.publish_panel.on_failed(self._remember_error)
        if not self._background_engine_check:
            self.form.set_engines(available())
        else:
            self.engine_note.value = "<small>checking which engines can run here…</small>"
            self.generate_button.disabled = True

    def _layout(self) -> list[W.Widget]:
        run = W.HBox([self.generate_button, self.cancel_button, self.progress, self.progress_label],
                     layout=W.Layout(align_items="center"))
        result = W.VBox([
            self.player_box,
            self.understood,
            W.HBox([self.publish_button, self.draft_button, self.spacetime_button]),
            self.publish_panel,
            self.spacetime_box,
        ])
        # Widgets a background thread may change while the page is still loading (see _frontend_ready).
        self.frontend_ready = FrontendReady(self._frontend_rendered)
        return [self.frontend_ready, self.who, self.form, self.cameo_picker, self.picture, run, self.status,
                W.HBox([self.preview, result]), self.takes]

    def _frontend_rendered(self) -> None:
        """A browser has drawn the studio: send again what a background thread may have changed
        while the page was loading (ipywidgets drops such updates; see ``_frontend_ready``)."""
        for widget in (self, self.engine, self.engine_note, self.steps_box.layout, self.generate_button,
                       self.cancel_button, self.status, self.cameo_picker.items, self.cameo_picker.message):
            widget.send_state()  # the whole state; a widget without a front end sends nothing

    def _start_background_work(self) -> None:
        """Check engines (when asked to) and warm the models the page needs, on one thread.

        Order matters on 2 cores: first what the first Generate needs (the sim engine listed, the
        prompt check, a throwaway clip and its player media); then, at low priority so a Generate
        clicked meanwhile is not slowed, the full engine list (importing torch for the diffusers
        engines takes seconds) and the output check's detectors (the first pre-screen).
        """
        def run():
            if self._background_engine_check:
                self._list_engines(["sim"])  # Generate works within a second
            # Only the CPU sim engine is warmed: warming a diffusers engine would load gigabytes unasked.
            info = self.form.engine_infos.get("sim")
            clip = warm_up_generate(engine="sim" if info is not None and info.available else None)
            lower_thread_priority(WARM_UP_NICE)
            self.cameo_picker.refresh()
            if self._background_engine_check:
                self._list_engines(None)
            warm_up_output_check(clip)
            self.warmed_up.set()

        start_background(run, name="sora-widgets-warmup")

    def _list_engines(self, names: list[str] | None) -> None:
        try:
            self.form.set_engines(available(names=names) if names else available())
        except Exception as exc:
            log.debug("engine check failed", exc_info=True)
            self._show_status(f"could not list the engines: {readable_error(exc)}", "error")

    # ================================================================ settings
    @property
    def engine_infos(self) -> dict[str, Any]:
        """Engine name -> ``EngineInfo`` (empty while the background check runs)."""
        return self.form.engine_infos

    def roll_seed(self) -> int:
        """Pick a new random seed (the Random button)."""
        return self.form.roll_seed()

    def request_kwargs(self) -> dict[str, Any]:
        """The generation settings as keyword arguments of :func:`sora_widgets.generate`."""
        return self.form.request_kwargs()

    # ================================================================ generating
    @property
    def busy(self) -> bool:
        """True while a generation runs."""
        return getattr(self, "worker", None) is not None and self.worker.running

    def _show_status(self, text: str, kind: str = "info") -> None:
        colour = {"info": "inherit", "error": "#c62828", "ok": "#2e7d32"}[kind]
        self.status.value = (f"<span class='sw-status-{kind}' role='status' style='color:{colour}'>"
                             f"{html_escape(text)}</span>")

    def _set_busy(self, busy: bool) -> None:
        info = self.form.engine_info
        self.generate_button.disabled = busy or info is None or not info.available
        self.cancel_button.disabled = not busy

    def generate(self) -> BackgroundJob | None:
        """Start generating with the current settings (what the Generate button does)."""
        if self.busy:
            self._show_status("a generation is already running; cancel it first", "error")
            return None
        if not self.engine_infos:
            self._show_status("still checking which engines can run here; try again in a moment", "error")
            return None
        # The previous take's check would only compete for the CPU now (a publish in progress still gets
        # its verdict: the service runs the check itself for it).
        self.publish_panel.cancel_prescreen()
        self.form.seed_for_next_take(self.history[-1].clip.meta.get("seed") if self.history else None)
        prompt = self.prompt.value
        kwargs = self.request_kwargs()
        if self.picture.image is not None:
            kwargs["image"] = self.picture.image
        store, user = self.store, self.user

        def job(on_progress, cancel):
            clip = publishing.generate_checked(store, prompt, user=user, on_progress=on_progress, cancel=cancel,
                                               **kwargs)
            # Output moderation starts now, while the player is prepared and the user watches:
            # Publish then only saves. Its job encodes the clip first (once: player and store reuse it).
            self.publish_panel.prescreen(clip)
            self.progress_label.value = "encoding the video…"
            # The browser's media here, on the worker thread, not on the kernel's.
            return clip, ClipPlayer.media_traits(clip)

        self.worker = BackgroundJob(
            job,
            name="sora-widgets-generation",
            on_progress=self._on_progress,
            on_done=self._on_done,
            on_cancelled=self._on_cancelled,
            on_error=self._on_error,
        )
        self.progress.value, self.progress.max = 0, 1
        self.progress.bar_style = ""
        self.progress_label.value = "starting…"
        self._show_status(f"generating with {kwargs['engine']}, seed {kwargs['seed']}…")
        self._set_busy(True)
        return self.worker.start()

    def cancel(self) -> None:
        """Stop the running generation (what the Cancel button does)."""
        if self.worker is not None and self.worker.running:
            self.worker.cancel()
            self.cancel_button.disabled = True
            self._show_status("cancelling…")

    def wait(self, timeout: float | None = None) -> str:
        """Block until the running generation and any publish finish; returns the generation's state."""
        if self.worker is not None:
            self.worker.join(timeout)
        self.publish_panel.wait(timeout)
        return self.worker.state if self.worker is not None else "idle"

    def _on_progress(self, p: Progress) -> None:
        with self.progress.hold_sync():
            self.progress.max = max(1, p.total)
            self.progress.value = min(p.step, p.total)
        # A label with no steps yet is the service's queue line ("queued: 3rd in line"): shown as it is.
        self.progress_label.value = p.label if p.total <= 0 and p.label else p.describe()
        if p.preview_png:
            self.preview.value = p.preview_png
            self.preview.layout.display = ""

    def _on_done(self, result: tuple[Clip, dict[str, Any]]) -> None:
        clip, media = result
        entry = HistoryEntry(clip, media, time.time())
        self.preview.layout.display = "none"  # the player takes over from the preview
        self._show_entry(entry)
        self.takes.add(entry)
        took = clip.meta.get("timings", {}).get("total_s")
        self.progress.bar_style = "success"
        self.progress.value = self.progress.max
        self.progress_label.value = "done" + (f" in {took:.1f} s" if took else "")
        self._show_status(f"done: {clip.num_frames} frames, {clip.duration:.1f} s — play it, then publish or save a draft",
                          "ok")
        self._set_busy(False)
        self._generated(clip)

    def _on_cancelled(self) -> None:
        self.publish_panel.cancel_prescreen()  # a take cancelled at the last moment is not shown
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress_label.value = "cancelled"
        self.preview.layout.display = "none"  # a half-made clip's preview would look like a result
        self._show_status("cancelled")
        self._set_busy(False)

    def _on_error(self, exc: BaseException) -> None:
        # Debug level on purpose: a warning would reach the kernel's stderr and show a traceback in the page.
        log.debug("generation failed", exc_info=exc)
        self.progress.bar_style = "danger"
        self.progress_label.value = "failed"
        self.preview.layout.display = "none"
        self._show_status(readable_error(exc), "error")
        self._set_busy(False)
        self._remember_error(exc)

    def _remember_error(self, exc: BaseException) -> None:
        self._last_error = exc
        self._errors(exc)

    def _remember_publish(self, result: publishing.PublishResult) -> None:
        self._last_publish = result

    # ================================================================ results
    @property
    def history(self) -> list[HistoryEntry]:
        """The takes made since the studio opened, oldest first."""
        return self.takes.entries

    def _show_entry(self, entry: HistoryEntry) -> None:
        self.current = entry
        player = ClipPlayer(entry.clip, media=entry.media)
        player.add_class("sw-main-player")
        self.player_box.children = [player]
        self.understood.value = understood_html(entry.clip.meta)
        self.spacetime_box.children = []
        self.spacetime_button.disabled = False
        self.publish_panel.show(entry)
        self.picture.take_ready(True)

    def _current_frame(self):
        """The current take's frames, fps and the time its player shows (for "Use this frame"), or None."""
        player = self.player
        if self.clip is None or player is None:
            return None
        return self.clip.frames, self.clip.fps, float(player.current_time)

    @property
    def clip(self) -> Clip | None:
        """The clip shown in the result area (the latest one made, unless another was picked)."""
        return self.current.clip if self.current else None

    @property
    def player(self) -> ClipPlayer | None:
        """The main player (None before the first clip)."""
        kids = self.player_box.children
        return kids[0] if kids else None

    def compare(self, a: int, b: int) -> None:
        """Show takes ``a`` and ``b`` (0-based) side by side, time and playback linked."""
        self.takes.compare(a, b)

    def show_space_time(self) -> None:
        """Open the (x, y, t) view of the current clip under the player."""
        if self.current is None:
            return
        try:
            from .space_time import SpaceTimeView

            self.spacetime_box.children = [SpaceTimeView(self.current.clip)]
        except Exception as exc:  # the 3D view is optional; say why it is missing
            log.debug("space-time view failed", exc_info=True)
            self.spacetime_box.children = [W.HTML(f"<span class='sw-error'>{html_escape(readable_error(exc))}</span>")]

    # ================================================================ publishing
    def publish(self, status: str = "published", *, wait: bool = False) -> BackgroundJob | None:
        """Save the current clip as ``status`` ("published" or "draft") — the Publish / Save draft buttons.

        Output moderation started when the clip was generated, so this usually only saves;
        ``wait=True`` blocks until done. The outcome goes to :meth:`on_published` / :meth:`on_error`.
        """
        return self.publish_panel.publish(status, wait=wait)
