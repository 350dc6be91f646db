"""``PromptStudio``: write a prompt, generate in the background, watch it render, compare, publish.

Layout (top to bottom): who is signed in; prompt and negative prompt; engine
and its settings; Generate / Cancel with a progress bar ("step k/n, ETA s") and
live preview frames; the result in a :class:`ClipPlayer` with Publish / Save
draft; the history strip of clips made since the studio opened, where ticking
two shows them side by side with their time and play state linked.

No rules live here: generation goes through :func:`sora_widgets.publishing.create_clip`
(prompt moderation, then the engine) and saving through
:func:`sora_widgets.publishing.publish` (output moderation, the store). Both run
on worker threads so the kernel keeps answering other widgets (and the Cancel
button) while they work.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as W

from .. import publishing
from ..engines import EngineUnavailable, available
from ..media import Clip, MediaError
from ..session import current_user
from ..store import Store, open_store
from ._frontend_ready import FrontendReady
from ._worker import GenerationWorker, Progress
from .clip_player import ClipPlayer

__all__ = ["PromptStudio", "HistoryEntry", "frame_size", "readable_error", "ASPECTS", "SIZES_PX"]

log = logging.getLogger(__name__)

ASPECTS = ("1:1", "16:9", "9:16")
#: Length of the longest side, in pixels.
SIZES_PX = (256, 384, 512, 768)
FPS_CHOICES = (8, 12, 24, 30)
MIN_SIDE_PX = 64


def frame_size(aspect: str, long_side_px: int) -> tuple[int, int]:
    """(width, height) in pixels for ``aspect`` ("16:9"...) with the longest side ``long_side_px``; sides even."""
    try:
        a, b = (int(x) for x in aspect.split(":"))
    except ValueError:
        raise ValueError(f"aspect must look like '16:9'; got {aspect!r}") from None
    long_side = int(long_side_px)
    short = max(MIN_SIDE_PX, int(round(long_side * min(a, b) / max(a, b) / 2)) * 2)
    return (long_side, short) if a >= b else (short, long_side)


def readable_error(exc: BaseException) -> str:
    """One line a creator can act on; no traceback (that goes to the log)."""
    if isinstance(exc, (publishing.Blocked, ValueError, TypeError, EngineUnavailable, MediaError, PermissionError)):
        return str(exc)
    if isinstance(exc, KeyError):  # store.NotFound and friends
        return str(exc).strip("'\"")
    if isinstance(exc, MemoryError):
        return "out of memory: try a shorter or smaller clip."
    return f"the engine failed ({type(exc).__name__}: {exc}). Try another seed or smaller settings."


@dataclass
class HistoryEntry:
    """A clip made in this studio session, with what the browser needs to play it again."""

    clip: Clip
    media: dict[str, Any]
    made_at: float
    clip_id: str | None = None
    status: str | None = None
    widget: W.Widget | None = field(default=None, repr=False)
    compare_box: W.Checkbox | None = field(default=None, repr=False)


def _first_sentence(text: str, limit: int = 140) -> str:
    """The first sentence of ``text``, at most ``limit`` characters (engine reasons can be paragraphs)."""
    text = " ".join(str(text).split())
    cut = text.find(": download")  # "model X is not in the cache ...: download it with ..." -> keep the what
    head = text[:cut] if cut > 0 else text.split(". ")[0]
    return head if len(head) <= limit else head[: limit - 1] + "…"


def _html_escape(s: str) -> str:
    import html

    return html.escape(str(s), quote=True)


class PromptStudio(W.VBox):
    """The creation widget. ``store``: where clips are saved (default: ``$SORA_WIDGETS_HOME``).
    ``user``: the creator's handle (default: :func:`sora_widgets.session.current_user`).

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
        """``background_engine_check``: show the studio at once and fill the engine picker from a
        thread (importing engines takes ~1 s); Generate is enabled when the check is done. The
        dashboard uses it to appear sooner; notebooks keep the default (everything ready on return).
        """
        self._background_engine_check = background_engine_check
        self.store = store if store is not None else open_store()
        if user:
            self.store.ensure_user(user)
            self.user = user
        else:
            self.user = current_user(self.store)
        self.history: list[HistoryEntry] = []
        self.current: HistoryEntry | None = None
        self.worker: GenerationWorker | None = None
        self.last_publish: publishing.PublishResult | None = None
        self.last_error: BaseException | None = None  # the full exception behind the last message shown
        self._publish_thread: threading.Thread | None = None
        self._first_preview_at: float | None = None
        self._clicked_at: float | None = None
        self.warmed_up = threading.Event()  # set once the one-off start-up costs are paid (see _warm_up)
        self._build()
        super().__init__(self._layout(), **kwargs)
        self.add_class("sw-studio")
        self._warm_up()

    # ================================================================ building
    def _build(self) -> None:
        wide = W.Layout(width="100%")
        st = {"description_width": "110px"}
        self.who = W.HTML(f"<span class='sw-who'>Creating as <b>@{_html_escape(self.user)}</b></span>")
        self.prompt = W.Textarea(
            description="Prompt",
            placeholder="Describe the scene and its sound, e.g. 'a red ball bounces off the backboard'",
            rows=3, layout=wide, style=st,
        )
        self.prompt.add_class("sw-prompt")
        self.negative_prompt = W.Text(description="Negative prompt", placeholder="what to avoid (optional)",
                                      layout=wide, style=st)
        self.negative_prompt.add_class("sw-negative-prompt")

        self.engine_infos: dict[str, Any] = {}
        self.engine = W.Dropdown(options=[], description="Engine", style=st)
        self.engine.add_class("sw-engine")
        self.engine_note = W.HTML()
        self.engine_note.add_class("sw-engine-note")

        self.duration = W.BoundedFloatText(value=4.0, min=0.5, max=20.0, step=0.5, description="Duration (s)",
                                           style=st, layout=W.Layout(width="200px"))
        self.duration.add_class("sw-duration")
        self.fps = W.Dropdown(options=list(FPS_CHOICES), value=24, description="FPS", style=st,
                              layout=W.Layout(width="200px"))
        self.fps.add_class("sw-fps")
        self.aspect = W.ToggleButtons(options=list(ASPECTS), value="1:1", description="Aspect", style=st)
        self.aspect.add_class("sw-aspect")
        self.size = W.Dropdown(options=[(f"{s} px", s) for s in SIZES_PX], value=256, description="Size",
                               style=st, layout=W.Layout(width="200px"))
        self.size.add_class("sw-size")
        self.size_note = W.HTML()
        self.seed = W.IntText(value=secrets.randbelow(2**31), description="Seed", style=st,
                              layout=W.Layout(width="240px"))
        self.seed.add_class("sw-seed")
        # Text, not an emoji: headless browsers and many Linux desktops have no emoji font.
        self.dice = W.Button(description="Random", tooltip="Pick a random seed", layout=W.Layout(width="80px"))
        self.dice.add_class("sw-dice")
        self.steps = W.IntSlider(value=30, min=1, max=100, description="Steps", style=st)
        self.guidance = W.FloatSlider(value=5.0, min=1.0, max=15.0, step=0.5, description="Guidance", style=st)
        self.steps_box = W.HBox([self.steps, self.guidance])
        self.steps_box.add_class("sw-steps-box")

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
        self.publish_button = W.Button(description="Publish", button_style="success", disabled=True,
                                       tooltip="Check and publish the clip")
        self.publish_button.add_class("sw-publish")
        self.draft_button = W.Button(description="Save draft", disabled=True, tooltip="Save privately as a draft")
        self.draft_button.add_class("sw-save-draft")
        self.spacetime_button = W.Button(description="Space-time view", disabled=True,
                                         tooltip="Show the clip as an (x, y, t) volume")
        self.spacetime_button.add_class("sw-spacetime-button")
        self.publish_result = W.HTML("")
        self.publish_result.add_class("sw-publish-result")
        self.spacetime_box = W.VBox([])

        self.history_strip = W.HBox([], layout=W.Layout(overflow_x="auto", width="100%"))
        self.history_strip.add_class("sw-history")
        self.compare_hint = W.HTML("<small>Tick two clips to compare them side by side.</small>")
        self.compare_box = W.HBox([])
        self.compare_box.add_class("sw-compare")

        self.dice.on_click(lambda _b: self.roll_seed())
        self.generate_button.on_click(lambda _b: self.generate())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.publish_button.on_click(lambda _b: self.publish("published"))
        self.draft_button.on_click(lambda _b: self.publish("draft"))
        self.spacetime_button.on_click(lambda _b: self.show_space_time())
        self.engine.observe(lambda _c: self._engine_changed(), names="value")
        self.aspect.observe(lambda _c: self._size_changed(), names="value")
        self.size.observe(lambda _c: self._size_changed(), names="value")
        self._size_changed()
        if not self._background_engine_check:
            self._set_engines(available())
        else:
            self.engine_note.value = "<small>checking which engines can run here…</small>"
            self.generate_button.disabled = True

    def _set_engines(self, infos) -> None:
        """Fill the engine picker from :func:`sora_widgets.engines.available` (unavailable ones say why)."""
        self.engine_infos = {info.name: info for info in infos}
        options = [(name if info.available else f"{name} (unavailable)", name)
                   for name, info in self.engine_infos.items()]
        first_ok = next((n for n, i in self.engine_infos.items() if i.available), options[0][1] if options else None)
        keep = self.engine.value if self.engine.value in self.engine_infos else None
        self.engine.options = options  # selects the first option (and calls _engine_changed)
        # A refreshed list keeps the user's pick when it is still there.
        self.engine.value = keep or first_ok
        self._engine_changed()

    def _layout(self) -> list[W.Widget]:
        settings = W.VBox([
            W.HBox([self.engine, self.engine_note]),
            W.HBox([self.duration, self.fps]),
            W.HBox([self.aspect]),
            W.HBox([self.size, self.size_note]),
            W.HBox([self.seed, self.dice]),
            self.steps_box,
        ])
        run = W.HBox([self.generate_button, self.cancel_button, self.progress, self.progress_label],
                     layout=W.Layout(align_items="center"))
        result = W.VBox([
            self.player_box,
            W.HBox([self.publish_button, self.draft_button, self.spacetime_button]),
            self.publish_result,
            self.spacetime_box,
        ])
        # Widgets a background thread may change while the page is still loading (see _frontend_ready).
        self.frontend_ready = FrontendReady(self._frontend_rendered)
        return [
            self.frontend_ready,
            self.who, self.prompt, self.negative_prompt, settings, run, self.status,
            W.HBox([self.preview, result]),
            W.HTML("<b>This session</b>"), self.history_strip, self.compare_hint, self.compare_box,
        ]

    def _frontend_rendered(self) -> None:
        """A browser has drawn the studio: send again what a background thread may have changed
        while the page was loading (ipywidgets drops such updates; see ``_frontend_ready``)."""
        self.add_class("sw-synced")  # lets tests see the round trip happened
        for widget in (self, self.engine, self.engine_note, self.steps_box.layout, self.generate_button,
                       self.cancel_button, self.status):
            widget.send_state()  # the whole state; a widget without a front end sends nothing

    def _warm_up(self) -> None:
        """Pay one-off start-up costs on a background thread while the user types, not after a click.

        Measured cold costs: the prompt check's text model (~4 s, the first Generate),
        the sim engine's first clip (~1 s), librosa's first STFT (~1.5 s), the output
        check's detectors (~5 s, the first Publish). The calls below are pure checks
        and a throwaway clip: nothing is recorded, saved or shown, and no decision is used.
        """
        def step(fn) -> None:
            try:
                fn()
            except Exception:  # warming is an optimisation only
                log.debug("warm-up step failed", exc_info=True)

        def warm():
            import numpy as np

            if self._background_engine_check:
                try:
                    # The embedded default first, so Generate works within a second even while
                    # checking the diffusers engines still imports torch (tens of seconds on a cold disk).
                    self._set_engines(available(names=["sim"]))
                    self._set_engines(available())
                except Exception as exc:
                    log.debug("engine check failed", exc_info=True)
                    self._show_status(f"could not list the engines: {readable_error(exc)}", "error")
            # Only the CPU sim engine is warmed: warming a diffusers engine would load gigabytes unasked.
            info = self.engine_infos.get("sim")
            engine = "sim" if info is not None and info.available else None

            from .. import audio_features
            from ..engines import generate

            def text_check():
                from ..moderation.text import check_prompt

                check_prompt("a red ball bounces on a wooden floor")

            clip = []
            step(text_check)
            if engine is not None:
                step(lambda: clip.append(generate("a ball bounces", engine=engine, seed=0, duration=0.5, fps=8,
                                                  width=64, height=64)))
            step(lambda: audio_features.mel_spectrogram_db(np.full((1, 4096), 1e-3, np.float32), 48_000))
            if clip:
                from ..moderation.clip import check_clip

                step(lambda: check_clip(clip[0]))
            self.warmed_up.set()
            self.add_class("sw-warm")  # lets benchmarks and tests tell warm timings from cold ones

        threading.Thread(target=warm, name="sora-widgets-warmup", daemon=True).start()

    # ================================================================ settings
    def _engine_changed(self) -> None:
        if not self.engine_infos:
            return  # still checking (background_engine_check)
        info = self.engine_infos.get(self.engine.value)
        if info is None:
            self.engine_note.value = "<span class='sw-error'>no engine is registered</span>"
            self.generate_button.disabled = True
            return
        self.steps_box.layout.display = "" if info.uses_steps else "none"
        unavailable = [i for i in self.engine_infos.values() if not i.available]
        note = _html_escape(info.description)
        if not info.available:
            note = f"<span class='sw-error'>unavailable here: {_html_escape(_first_sentence(info.reason))}</span>"
        if unavailable:
            # Reasons can be long (how to download weights): folded, one line each, full text on hover.
            items = "".join(
                f"<li title='{_html_escape(i.reason)}'><b>{_html_escape(i.name)}</b>: "
                f"{_html_escape(_first_sentence(i.reason))}</li>" for i in unavailable)
            note += (f"<details class='sw-unavailable'><summary><small>{len(unavailable)} engine(s) unavailable here"
                     f"</small></summary><small><ul style='margin:0'>{items}</ul></small></details>")
        self.engine_note.value = note
        if not self.busy:
            self.generate_button.disabled = not info.available

    def _size_changed(self) -> None:
        w, h = frame_size(self.aspect.value, self.size.value)
        self.size_note.value = f"<small>{w} × {h} px</small>"

    def roll_seed(self) -> int:
        """Pick a new random seed (the dice button)."""
        self.seed.value = secrets.randbelow(2**31)
        return self.seed.value

    def request_kwargs(self) -> dict[str, Any]:
        """The generation settings as keyword arguments of :func:`sora_widgets.generate`."""
        info = self.engine_infos.get(self.engine.value)
        w, h = frame_size(self.aspect.value, self.size.value)
        kw: dict[str, Any] = {
            "engine": self.engine.value,
            "negative_prompt": self.negative_prompt.value,
            "seed": int(self.seed.value),
            "duration": float(self.duration.value),
            "fps": int(self.fps.value),
            "width": w,
            "height": h,
        }
        if info is not None and info.uses_steps:
            kw["steps"] = int(self.steps.value)
            kw["guidance"] = float(self.guidance.value)
        return kw

    # ================================================================ generating
    @property
    def busy(self) -> bool:
        return getattr(self, "worker", None) is not None and self.worker.running

    def _show_status(self, text: str, kind: str = "info") -> None:
        colour = {"info": "inherit", "error": "#c62828", "ok": "#2e7d32"}[kind]
        self.status.value = (f"<span class='sw-status-{kind}' role='status' style='color:{colour}'>"
                             f"{_html_escape(text)}</span>")

    def _set_busy(self, busy: bool) -> None:
        self.generate_button.disabled = busy or not self.engine_infos.get(self.engine.value, None) or \
            not self.engine_infos[self.engine.value].available
        self.cancel_button.disabled = not busy

    def generate(self) -> GenerationWorker | None:
        """Start generating with the current settings (what the Generate button does)."""
        if self.busy:
            self._show_status("a generation is already running; cancel it first", "error")
            return None
        if not self.engine_infos:
            self._show_status("still checking which engines can run here; try again in a moment", "error")
            return None
        prompt = self.prompt.value
        kwargs = self.request_kwargs()
        store, user = self.store, self.user
        self._clicked_at = time.perf_counter()
        self._first_preview_at = None

        def job(on_progress, cancel):
            clip = publishing.create_clip(store, prompt, user=user, on_progress=on_progress, cancel=cancel, **kwargs)
            # Encode for the browser here, on the worker thread, not on the kernel's.
            on_progress_label("encoding the video…")
            return clip, ClipPlayer.media_traits(clip)

        def on_progress_label(text: str) -> None:
            self.progress_label.value = text

        self.worker = GenerationWorker(
            job,
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
        """Block until the running generation and any publish finish; returns the worker state."""
        if self.worker is not None:
            self.worker.join(timeout)
        if self._publish_thread is not None:
            self._publish_thread.join(timeout)
        return self.worker.state if self.worker is not None else "idle"

    def _on_progress(self, p: Progress) -> None:
        with self.progress.hold_sync():
            self.progress.max = max(1, p.total)
            self.progress.value = min(p.step, p.total)
        self.progress_label.value = p.describe()
        if p.preview_png:
            if self._first_preview_at is None:
                self._first_preview_at = time.perf_counter()
            self.preview.value = p.preview_png
            self.preview.layout.display = ""

    def _on_done(self, result: tuple[Clip, dict[str, Any]]) -> None:
        clip, media = result
        entry = HistoryEntry(clip, media, time.time())
        self.history.append(entry)
        self.preview.layout.display = "none"  # the player takes over from the preview
        self._show_entry(entry)
        self._add_to_history(entry)
        took = clip.meta.get("timings", {}).get("total_s")
        self.progress.bar_style = "success"
        self.progress.value = self.progress.max
        self.progress_label.value = "done" + (f" in {took:.1f} s" if took else "")
        self._show_status(f"done: {clip.num_frames} frames, {clip.duration:.1f} s — play it, then publish or save a draft",
                          "ok")
        self._set_busy(False)

    def _on_cancelled(self) -> None:
        self.progress.value = 0
        self.progress.bar_style = ""
        self.progress_label.value = "cancelled"
        self.preview.layout.display = "none"  # a half-made clip's preview would look like a result
        self._show_status("cancelled")
        self._set_busy(False)

    def _on_error(self, exc: BaseException) -> None:
        # Debug level on purpose: a warning would reach the kernel's stderr and show a traceback in the page.
        log.debug("generation failed", exc_info=exc)
        self.last_error = exc
        self.progress.bar_style = "danger"
        self.progress_label.value = "failed"
        self.preview.layout.display = "none"
        self._show_status(readable_error(exc), "error")
        self._set_busy(False)

    # ================================================================ results
    def _show_entry(self, entry: HistoryEntry) -> None:
        self.current = entry
        player = ClipPlayer(entry.clip, media=entry.media)
        player.add_class("sw-main-player")
        self.player_box.children = [player]
        self.spacetime_box.children = []
        self.publish_button.disabled = entry.clip_id is not None
        self.draft_button.disabled = entry.clip_id is not None
        self.spacetime_button.disabled = False
        self.publish_result.value = self._publish_text(entry) if entry.clip_id else ""

    @property
    def clip(self) -> Clip | None:
        """The clip shown in the result area (the latest one made, unless another was picked)."""
        return self.current.clip if self.current else None

    @property
    def player(self) -> ClipPlayer | None:
        kids = self.player_box.children
        return kids[0] if kids else None

    def _add_to_history(self, entry: HistoryEntry) -> None:
        n = len(self.history)
        thumb = W.Image(value=entry.clip.thumbnail_png(96), format="png", layout=W.Layout(width="96px"))
        prompt = str(entry.clip.meta.get("prompt", ""))
        label = W.HTML(f"<small title='{_html_escape(prompt)}'>#{n} · seed {entry.clip.meta.get('seed', '?')}</small>")
        show = W.Button(description="Show", layout=W.Layout(width="56px"), tooltip=prompt[:200])
        show.add_class("sw-history-show")
        compare = W.Checkbox(value=False, description="compare", indent=False, layout=W.Layout(width="90px"))
        compare.add_class("sw-history-compare")
        show.on_click(lambda _b, e=entry: self._show_entry(e))
        compare.observe(lambda _c: self._update_compare(), names="value")
        item = W.VBox([thumb, label, W.HBox([show, compare])], layout=W.Layout(margin="0 8px 0 0"))
        item.add_class("sw-history-item")
        entry.widget, entry.compare_box = item, compare
        self.history_strip.children = (*self.history_strip.children, item)

    def compare(self, a: int, b: int) -> None:
        """Show history entries ``a`` and ``b`` (0-based) side by side, time and playback linked."""
        for i, e in enumerate(self.history):
            e.compare_box.value = i in (a, b)
        self._update_compare()

    def _update_compare(self) -> None:
        picked = [e for e in self.history if e.compare_box is not None and e.compare_box.value]
        if len(picked) != 2:
            self.compare_box.children = []
            self.compare_hint.value = ("<small>Tick two clips to compare them side by side.</small>" if len(picked) < 2
                                       else "<small class='sw-error'>Tick exactly two clips to compare.</small>")
            return
        players = [ClipPlayer(e.clip, media=e.media, display_px=300) for e in picked]
        # Linked in the browser (no kernel round trip): scrubbing or playing one drives the other.
        self._links = [W.jslink((players[0], name), (players[1], name)) for name in ("current_time", "playing", "loop")]
        self.compare_box.children = players
        self.compare_hint.value = "<small>Compared side by side: time, play and loop are linked.</small>"

    def show_space_time(self) -> None:
        """Open the (x, y, t) view of the current clip under the player."""
        if self.current is None:
            return
        try:
            from .space_time import SpaceTimeView

            self.spacetime_box.children = [SpaceTimeView(self.current.clip)]
        except Exception as exc:  # the 3D view is optional; say why it is missing
            log.debug("space-time view failed", exc_info=True)
            self.spacetime_box.children = [W.HTML(f"<span class='sw-error'>{_html_escape(readable_error(exc))}</span>")]

    # ================================================================ publishing
    @staticmethod
    def _publish_text(entry: HistoryEntry) -> str:
        return (f"<span class='sw-published' data-clip-id='{_html_escape(entry.clip_id)}'>"
                f"<b>{_html_escape(entry.status)}</b> · clip id <code>{_html_escape(entry.clip_id)}</code></span>")

    def publish(self, status: str = "published", *, wait: bool = False) -> None:
        """Check and save the current clip as ``status`` ("published" or "draft") — the Publish button.

        Runs on a thread (output moderation can take a few seconds); ``wait=True`` blocks until done.
        The outcome lands in ``last_publish`` and the widget.
        """
        entry = self.current
        if entry is None:
            self.publish_result.value = "<span class='sw-error'>generate a clip first</span>"
            return
        if entry.clip_id is not None:
            self.publish_result.value = self._publish_text(entry)
            return
        self.publish_button.disabled = self.draft_button.disabled = True
        self.publish_result.value = "<span class='sw-busy'>checking and saving…</span>"
        store, user = self.store, self.user

        def run():
            try:
                result = publishing.publish(store, entry.clip, user=user, status=status)
            except Exception as exc:
                log.debug("publish failed", exc_info=True)
                self.last_error = exc
                self.publish_result.value = f"<span class='sw-error' role='alert'>{_html_escape(readable_error(exc))}</span>"
                self.publish_button.disabled = self.draft_button.disabled = self.current is not entry
                return
            entry.clip_id, entry.status = result.clip_id, result.status
            entry.clip.meta["clip_id"] = result.clip_id
            self.last_publish = result
            if self.current is entry:
                # The service's message adds something only when the clip is held (the reasons).
                extra = f"<br><small>{_html_escape(result.message)}</small>" if result.status == "held" else ""
                self.publish_result.value = self._publish_text(entry) + extra

        self._publish_thread = threading.Thread(target=run, name="sora-widgets-publish", daemon=True)
        self._publish_thread.start()
        if wait:
            self._publish_thread.join()
