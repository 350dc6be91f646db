"""Cameo widgets: ``CameoMaker`` (upload, box, mask scrubbing, phrase, name, audience) and
``MyCameos`` (the owner's list of cameos, who may use them, every clip that uses them).

They hold no rules: every decision is a call into :mod:`sora_widgets.cameo`,
whose errors are shown as they come (they are written for users).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from .. import cameo
from ..cameo.consent import VerificationFailed
from ..cameo.extract import MAX_DURATION_S
from ..cameo.verify import sound_problem
from ..media import DEFAULT_LIMITS, Clip, MediaError, encode_png
from ..store import Store
from ._html import escape
from ._worker import BackgroundJob

__all__ = ["CameoCanvas", "CameoMaker", "CameraCheck", "MyCameos", "WEBCAM_MESSAGES"]

_HERE = Path(__file__).parent
#: Uploads for a cameo: refused from the header when longer than a cameo may be (a little slack for
#: container rounding; ``cameo.extract`` applies the exact rule to the decoded clip).
CAMEO_UPLOAD_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_duration_s=MAX_DURATION_S + 0.5)
AUDIENCE_LABELS = {"Only me": "only_me", "People I approve": "approved", "My followers": "followers",
                   "Everyone": "everyone"}


def _handles(text: str) -> list[str]:
    """The handles typed in an "Approved" box (comma separated; blanks ignored; the service normalises them)."""
    return [h for h in (s.strip() for s in (text or "").split(",")) if h]


class CameoCanvas(anywidget.AnyWidget):
    """One frame on a canvas: drag a box on it (``box``, pixels of the source frame) and scrub ``frame_index``."""

    _esm = _HERE / "cameo_maker.js"
    _css = _HERE / "cameo_maker.css"

    frame_png = traitlets.Bytes(b"").tag(sync=True)
    width = traitlets.Int(256).tag(sync=True)
    height = traitlets.Int(256).tag(sync=True)
    num_frames = traitlets.Int(0).tag(sync=True)
    frame_index = traitlets.Int(0).tag(sync=True)
    box = traitlets.List(traitlets.Int(), default_value=[]).tag(sync=True)
    draw_enabled = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.clip: Clip | None = None
        self.asset: cameo.CameoAsset | None = None
        self.observe(lambda _: self._show(), names="frame_index")

    def show(self, clip: Clip | None, asset: cameo.CameoAsset | None = None) -> None:
        self.clip, self.asset = clip, asset
        if clip is None:
            self.frame_png, self.num_frames = b"", 0
            return
        self.width, self.height = clip.width, clip.height
        self.num_frames = clip.num_frames
        self.frame_index = min(self.frame_index, clip.num_frames - 1)
        self._show()

    def _show(self) -> None:
        if self.clip is None:
            return
        frame = self.clip.frames[self.frame_index]
        if self.asset is not None:
            frame = self.asset.overlay(frame, self.frame_index)
        self.frame_png = encode_png(frame)


#: What CameoMaker says when it cannot record (keys: the browser's getUserMedia error names, plus
#: "insecure", "no_microphone", "no_package" and "other"); every message offers the upload instead.
WEBCAM_MESSAGES = {
    "NotFoundError": "No webcam was found on this device. Upload a video of you instead (1-20 s, facing the "
                     "camera, saying the phrase).",
    "OverconstrainedError": "No webcam on this device can record video. Upload a video of you instead.",
    "no_microphone": "A webcam was found but no microphone: the spoken phrase proves it is you. Connect a "
                     "microphone and open this section again, or upload a video with sound.",
    "NotAllowedError": "The browser did not let this page use the camera. Allow the camera for this site "
                       "(the camera icon in the address bar), then close and open this section again, or "
                       "upload a video instead.",
    "NotReadableError": "The webcam is busy (another program is using it) or could not start. Close the other "
                        "program and open this section again, or upload a video instead.",
    "insecure": "Browsers let a page use the camera only over https:// (or on localhost). Ask whoever runs this "
                "server to serve it over https, or upload a video instead.",
    "no_package": "Recording with the webcam is not available on this server (the ipywebrtc package is not "
                  "installed). Upload a video of you instead.",
    "other": "The webcam could not start ({state}). Upload a video of you instead.",
}


class CameraCheck(anywidget.AnyWidget):
    """Asks the browser for the camera and microphone when ``request`` changes; answers in ``answer``.

    ``answer`` is "ok", a getUserMedia error name ("NotFoundError", "NotAllowedError", ...),
    "no_microphone" (a camera but no microphone) or "insecure" (no ``navigator.mediaDevices``: plain
    http on another host). The stream is stopped at once: ipywebrtc opens its own once it is built.
    """

    _esm = """
    async function answer(model) {
      const md = navigator.mediaDevices;
      if (!window.isSecureContext || !md || !md.getUserMedia) return "insecure";
      try {
        const s = await md.getUserMedia({ video: true, audio: true });
        s.getTracks().forEach((t) => t.stop());
        return "ok";
      } catch (e) {
        const name = (e && e.name) || "Error";
        if (name !== "NotFoundError") return name;
        try {  // which one is missing: a camera, or only the microphone?
          const v = await md.getUserMedia({ video: true });
          v.getTracks().forEach((t) => t.stop());
          return "no_microphone";
        } catch (e2) {
          return (e2 && e2.name) || name;
        }
      }
    }
    function render({ model, el }) {
      el.style.display = "none";
      const ask = async () => {
        if (!model.get("request")) return;
        model.set("answer", await answer(model));
        model.save_changes();
      };
      model.on("change:request", ask);
      return () => model.off("change:request", ask);
    }
    export default { render };
    """
    request = traitlets.Int(0).tag(sync=True)
    answer = traitlets.Unicode("").tag(sync=True)


class CameoMaker(w.VBox):
    """Make a cameo of yourself, your pet or a thing, as ``user``, in ``store``."""

    def __init__(self, store: Store, user: str, **kwargs: Any):
        self.store, self.user = store, user
        self.clip: Clip | None = None
        self.asset: cameo.CameoAsset | None = None
        self.challenge: cameo.Challenge | None = None
        self.cameo_id: str | None = None
        self.upload = w.FileUpload(accept="video/*,.mp4,.webm,.mov", multiple=False, description="Upload video")
        self.kind = w.ToggleButtons(options=[("Me", "person"), ("An animal", "animal"), ("A thing", "object")],
                                    value="person", description="Cameo of")
        self.canvas = CameoCanvas()
        self.hint = w.HTML()
        self.phrase_button = w.Button(description="Get a phrase to say", icon="microphone")
        self.phrase = w.HTML()
        self.extract_button = w.Button(description="Find it in the video", disabled=True)
        self.extract_progress = w.IntProgress(value=0, min=0, max=1, layout=w.Layout(width="200px"))
        self.extract_label = w.HTML()
        self.extract_cancel = w.Button(description="Cancel", button_style="warning")
        self.extract_cancel.add_class("sw-cameo-extract-cancel")
        self.extract_cancel.on_click(lambda _: self.extract_job is not None and self.extract_job.cancel())
        self.extract_row = w.HBox([self.extract_progress, self.extract_label, self.extract_cancel],
                                  layout=w.Layout(display="none", align_items="center", flex_flow="row wrap"))
        self.extract_row.add_class("sw-cameo-extract-progress")
        self.extract_job: BackgroundJob | None = None
        self.name = w.Text(description="Name @", placeholder="e.g. rex_the_dog")
        self.audience = w.Dropdown(options=list(AUDIENCE_LABELS), value="Only me", description="Who may use it",
                                   style={"description_width": "initial"})
        self.approved = w.Text(description="Approved", placeholder="handles, comma separated")
        self.create_button = w.Button(description="Create cameo", button_style="primary", disabled=True)
        self.status = w.HTML()
        # After a failed verification: what went wrong, one line per cause, and a one-click retry.
        self.guidance = w.HTML()
        self.retry_button = w.Button(description="Try again with a new phrase", icon="refresh",
                                     button_style="info", layout=w.Layout(display="none", width="auto"))
        for widget, cls in ((self.upload, "sw-cameo-upload"), (self.extract_button, "sw-cameo-extract"),
                            (self.phrase_button, "sw-cameo-phrase-button"), (self.create_button, "sw-cameo-create"),
                            (self.status, "sw-cameo-status"), (self.phrase, "sw-cameo-phrase"),
                            (self.guidance, "sw-cameo-guidance"), (self.retry_button, "sw-cameo-retry")):
            widget.add_class(cls)
        self.upload.observe(self._on_upload, names="value")
        self.canvas.observe(lambda _: self._box_changed(), names="box")
        self.kind.observe(lambda _: self._refresh(), names="value")
        self.phrase_button.on_click(lambda _: self._new_phrase())
        self.extract_button.on_click(lambda _: self._extract())
        self.create_button.on_click(lambda _: self._create())
        self.retry_button.on_click(lambda _: self.retry())
        children = [self.kind, w.HBox([self.phrase_button, self.phrase]), self.upload]
        recorder = self._webcam()
        if recorder is not None:
            children.append(recorder)
        children += [self.hint, self.canvas, self.extract_button, self.extract_row,
                     w.HBox([self.name, self.audience]), self.approved, self.create_button, self.status,
                     self.guidance, self.retry_button]
        super().__init__(children, **kwargs)
        self.add_class("sw-cameo-maker")
        self._refresh()

    # ------------------------------------------------------------ inputs
    def _webcam(self):
        """The webcam recorder (ipywebrtc) in a collapsed section, or a line saying why there is none.

        The camera is asked for only when the section is opened, by :class:`CameraCheck`; ipywebrtc's
        camera and recorder are built only once the browser has given a camera, so a machine without one
        (or a page the browser may not use the camera on) gets a sentence and the upload, never ipywebrtc's
        raw "Error creating view for mediastream: Requested device not found".
        """
        try:
            import ipywebrtc  # noqa: F401  (optional: uploads work without it)
        except Exception:
            note = w.HTML(f'<span class="sw-cameo-webcam-note">{escape(WEBCAM_MESSAGES["no_package"])}</span>')
            note.add_class("sw-cameo-webcam-missing")
            return note
        self.camera_check = CameraCheck()
        self.webcam_note = w.HTML()
        self.webcam_note.add_class("sw-cameo-webcam-missing")
        self._webcam_body = w.VBox([self.camera_check, self.webcam_note])
        box = w.Accordion(children=[self._webcam_body])
        box.set_title(0, "Record with the webcam")
        box.selected_index = None
        box.add_class("sw-cameo-webcam")
        self.webcam_box = box
        self._recorder = None
        box.observe(self._webcam_opened, names="selected_index")
        self.camera_check.observe(self._camera_answered, names="answer")
        return box

    def _webcam_opened(self, change) -> None:
        if change["new"] == 0 and self._recorder is None:  # opened, no camera yet: ask the browser for one
            self.webcam_note.value = "<i>asking the browser for the camera…</i>"
            self.camera_check.answer = ""
            self.camera_check.request += 1

    def _camera_answered(self, change) -> None:
        state = change["new"]
        if not state:
            return
        if state != "ok":
            message = WEBCAM_MESSAGES.get(state, WEBCAM_MESSAGES["other"].format(state=state))
            self.webcam_note.value = f'<span class="sw-cameo-webcam-note" role="alert">{escape(message)}</span>'
            return
        if self._recorder is not None:
            return
        import ipywebrtc

        camera = ipywebrtc.CameraStream(constraints={"audio": True, "video": {"width": 640, "height": 480}})
        recorder = ipywebrtc.VideoRecorder(stream=camera, format="webm")
        recorder.video.observe(lambda ch: self.load_bytes(bytes(ch["new"]), "webcam.webm"), names="value")
        camera.layout = w.Layout(width="320px")  # the live view: you see yourself while you record
        self._recorder = recorder
        self.webcam_note.value = ""
        self._webcam_body.children = (self.camera_check, camera, recorder)

    def _on_upload(self, change) -> None:
        files = change["new"]
        if files:
            f = files[0]
            self.load_bytes(bytes(f["content"]), f["name"])

    def load_bytes(self, data: bytes, name: str = "upload") -> None:
        """Decode an uploaded or recorded video and show its first frame."""
        if not data:
            return
        try:  # the cameo's 20 s rule is checked from the header, before anything is decoded
            self.set_clip(Clip.from_bytes(data, name=name, limits=CAMEO_UPLOAD_LIMITS))
        except MediaError as exc:
            self._say(str(exc), error=True)  # the message names the file already

    def set_clip(self, clip: Clip) -> None:
        self.clip, self.asset = clip, None
        self.canvas.box = []
        self.canvas.show(clip)
        said = f"loaded {clip.num_frames} frames, {clip.duration:.1f} s"
        problem = sound_problem(clip) if self.kind.value == "person" else None
        if problem:  # found now rather than at "Create": the spoken phrase is what proves it is you
            said += f" — {problem}"
        self._say(said)
        self._refresh()

    def _box_changed(self) -> None:
        """A new box makes the extraction stale: drop it so "Create" cannot store masks of the old box."""
        if self.asset is None or self.clip is None:
            return
        self.asset = None
        self.canvas.show(self.clip)
        self._say("box changed: find it in the video again")
        self._refresh()

    # ------------------------------------------------------------ actions
    def _new_phrase(self) -> None:
        self.challenge = cameo.new_challenge(self.store, self.user)
        self._show_phrase()
        self._guide(None)

    def _show_phrase(self, missed: tuple[str, ...] = ()) -> None:
        """The phrase to say; words in ``missed`` (not heard last time) marked."""
        words = " ".join(
            f'<span class="sw-cameo-missed" style="color:#b00020;text-decoration:underline">{escape(wd)}</span>'
            if wd in missed else escape(wd) for wd in self.challenge.words)
        self.phrase.value = f'Say: <b class="sw-cameo-words">"{words}"</b>, facing the camera'

    def retry(self) -> None:
        """Start over after a failed verification: a fresh phrase, and the old take put aside (it says the old words)."""
        self._new_phrase()
        self.clip, self.asset = None, None
        self.canvas.box = []
        self.canvas.show(None)
        self._say("new phrase: record or upload a video of you saying it")
        self._refresh()

    def _guide(self, verification: cameo.Verification | None) -> None:
        """Show why ``verification`` failed, one line per cause, and offer the retry (None: clear it)."""
        if verification is None:
            self.guidance.value = ""
            self.retry_button.layout.display = "none"
            return
        missed = tuple(verification.details.get("missing_words") or ())
        if self.challenge is not None and missed:
            self._show_phrase(missed)
        items = "".join(f"<li>{escape(r)}</li>" for r in verification.reasons)
        self.guidance.value = (f'<div style="color:#b00020"><b>We could not confirm it is you:</b>'
                               f"<ul>{items}</ul></div>")
        self.retry_button.layout.display = ""

    def _extract(self) -> BackgroundJob | None:
        """Find the subject in every frame on a background thread, with progress and Cancel (issue 14 item 6)."""
        if self.clip is None or (self.extract_job is not None and self.extract_job.running):
            return None
        clip, kind = self.clip, self.kind.value
        box = self.canvas.box if kind != "person" else None
        self._say("finding it in every frame...")

        def job(on_progress, cancel):
            return cameo.extract(clip, kind=kind, box=box or None, cancel=cancel,
                                 on_progress=lambda done, total: on_progress(done, total, None, label="frames"))

        def done(asset) -> None:
            self.asset = asset
            self.canvas.show(clip, asset)
            self._say(f"found in {asset.num_frames} frames; scrub to check the mask, then name it")
            self._extracting(False)
            self._refresh()

        def cancelled() -> None:
            self._say("stopped: nothing was kept; press the button again to find it")
            self._extracting(False)

        def failed(exc: BaseException) -> None:
            self._say(str(exc) if isinstance(exc, cameo.CameoError) else f"could not find it: {exc}", error=True)
            self._extracting(False)

        def progress(p) -> None:
            self.extract_progress.max, self.extract_progress.value = max(1, p.total), min(p.step, p.total)
            self.extract_label.value = p.describe()

        self.extract_job = BackgroundJob(job, on_progress=progress, on_done=done, on_cancelled=cancelled,
                                         on_error=failed, name="sora-widgets-cameo-extract")
        self._extracting(True)
        return self.extract_job.start()

    def _extracting(self, busy: bool) -> None:
        self.extract_progress.value = 0 if busy else self.extract_progress.value
        self.extract_row.layout.display = "" if busy else "none"
        self.extract_button.disabled = busy or self.clip is None

    def wait_extraction(self, timeout: float | None = None) -> str:
        """Block until the running extraction ends; its state ("done", "cancelled", "error"; "idle" if none)."""
        if self.extract_job is None:
            return "idle"
        self.extract_job.join(timeout)
        return self.extract_job.state

    def _create(self) -> None:
        if self.clip is None or self.asset is None:
            return
        try:
            cid = cameo.create(
                self.store, owner=self.user, clip=self.clip, kind=self.kind.value, name=self.name.value,
                box=self.canvas.box or None, challenge=self.challenge, asset=self.asset,
            )
            audience = AUDIENCE_LABELS[self.audience.value]
            approved = _handles(self.approved.value)
            if audience != "only_me" or approved:
                cameo.set_audience(self.store, cid, by=self.user, audience=audience, approved=approved)
        except VerificationFailed as exc:
            self._say("verification failed: see what to change below, then try again with a new phrase", error=True)
            self._guide(exc.verification)
            return
        except (cameo.CameoError, PermissionError, ValueError, LookupError) as exc:
            self._say(str(exc), error=True)
            return
        self.cameo_id = cid
        self.challenge = None
        self.phrase.value = ""
        self._guide(None)
        self._say(f"created @{self.name.value.strip().lstrip('@').lower()} ({cid})")

    # ------------------------------------------------------------ display
    def _refresh(self) -> None:
        person = self.kind.value == "person"
        self.canvas.draw_enabled = not person
        self.phrase_button.layout.display = "" if person else "none"
        self.phrase.layout.display = "" if person else "none"
        self.hint.value = ("Get a phrase, then record or upload a video of you saying it, facing the camera."
                           if person else "Upload a video, then drag a box around the animal or thing on the frame.")
        self.extract_button.disabled = self.clip is None
        self.create_button.disabled = self.asset is None

    def _say(self, text: str, *, error: bool = False) -> None:
        color = "#b00020" if error else "#1b5e20"
        self.status.value = f'<span style="color:{color}">{escape(text)}</span>'


class MyCameos(w.VBox):
    """The owner's dashboard: cameos, who may use them, every clip that uses them (play, remove), revoke."""

    def __init__(self, store: Store, user: str, **kwargs: Any):
        self.store, self.user = store, user
        self.player_box = w.VBox()
        self.player_box.add_class("sw-cameo-player")
        self.status = w.HTML()
        self.status.add_class("sw-cameo-status")
        self.list_box = w.VBox()
        super().__init__([self.list_box, self.status, self.player_box], **kwargs)
        self.add_class("sw-my-cameos")
        self.refresh()

    def refresh(self) -> None:
        rows = cameo.list_cameos(self.store, owner=self.user)
        if rows.empty:
            self.list_box.children = [w.HTML("<i>You have no cameos yet. Make one in the other tab.</i>")]
            return
        self.list_box.children = [self._cameo_panel(r) for r in rows.itertuples()]

    def _cameo_panel(self, r) -> w.Widget:
        head = w.HTML(
            f"<b>@{escape(str(r.name))}</b> ({escape(str(r.kind))}) &middot; {escape(str(r.status))}"
            f" &middot; who may use it: <b>{escape(str(r.audience))}</b>"
            + (f" &middot; approved: {escape(r.approved)}" if isinstance(r.approved, str) and r.approved else "")
        )
        audience_row = self._audience_row(r) if r.status == "active" else w.HTML("")
        revoke = w.Button(description="Revoke", button_style="danger", disabled=r.status != "active")
        revoke_all = w.Checkbox(value=False, description="and take down past clips", indent=False)
        revoke.add_class(f"sw-revoke-{r.cameo_id}")
        revoke.on_click(lambda _, cid=r.cameo_id: self._revoke(cid, revoke_all.value))
        uses = cameo.uses(self.store, r.cameo_id, by=self.user)
        lines = [self._use_row(u) for u in uses.itertuples()] or [w.HTML("<i>No clip has used it yet.</i>")]
        panel = w.VBox([head, audience_row, w.HBox([revoke, revoke_all]), *lines])
        panel.add_class("sw-cameo-panel")
        return panel

    def _audience_row(self, r) -> w.Widget:
        """Change who may use an active cameo after creating it (issue 14 item 4); the consent service
        decides what is allowed (a minor's cameo stays with approved people) and audits the change."""
        current = {v: k for k, v in AUDIENCE_LABELS.items()}.get(str(r.audience), "Only me")
        audience = w.Dropdown(options=list(AUDIENCE_LABELS), value=current, description="Who may use it",
                              style={"description_width": "initial"}, layout=w.Layout(width="auto", max_width="100%"))
        approved = w.Text(value=r.approved if isinstance(r.approved, str) else "", description="Approved",
                          placeholder="handles, comma separated", layout=w.Layout(width="auto", max_width="100%"))
        save = w.Button(description="Save", tooltip="Save who may use this cameo")
        save.add_class("sw-audience-save")
        save.add_class(f"sw-audience-save-{r.cameo_id}")
        audience.add_class("sw-audience-choice")
        approved.add_class("sw-audience-approved")
        save.on_click(lambda _, cid=r.cameo_id: self._set_audience(cid, audience.value, approved.value))
        row = w.HBox([audience, approved, save], layout=w.Layout(flex_flow="row wrap", align_items="center"))
        row.add_class("sw-cameo-audience")
        return row

    def _set_audience(self, cameo_id: str, label: str, approved_text: str) -> None:
        try:
            cameo.set_audience(self.store, cameo_id, by=self.user, audience=AUDIENCE_LABELS[label],
                               approved=_handles(approved_text))
        except (PermissionError, LookupError, ValueError, cameo.CameoError) as exc:
            self._say(str(exc), error=True)
            return
        self._say(f"saved: {label.lower()} may use it now")
        self.refresh()

    def _use_row(self, u) -> w.Widget:
        # Everything here was written by someone else (the prompt above all): escaped, never markup.
        label = w.HTML(f"<code>{escape(str(u.clip_id))}</code> by <b>@{escape(str(u.user))}</b> &middot; "
                       f"<span class='sw-use-status'>{escape(str(u.status))}</span> &middot; "
                       f"{escape(str(u.prompt or '')[:60])}")
        play = w.Button(description="Play", icon="play", disabled=not isinstance(u.media_hash, str))
        remove = w.Button(description="Remove", button_style="warning", disabled=u.status == "removed")
        play.on_click(lambda _, cid=u.clip_id: self._play(cid))
        remove.on_click(lambda _, cid=u.clip_id: self._remove(cid))
        remove.add_class("sw-use-remove")
        play.add_class("sw-use-play")
        row = w.HBox([label, play, remove])
        row.add_class("sw-cameo-use")
        row.add_class(f"sw-use-{u.clip_id}")
        return row

    def _play(self, clip_id: str) -> None:
        from .clip_player import ClipPlayer

        try:
            clip = self.store.get_clip(clip_id)
        except (LookupError, RuntimeError) as exc:
            self._say(str(exc), error=True)
            return
        self.player_box.children = [ClipPlayer(clip, title=f"{clip_id} (uses your cameo)")]

    def _remove(self, clip_id: str) -> None:
        try:
            removed = cameo.remove_use(self.store, clip_id, by=self.user)
        except (PermissionError, LookupError) as exc:
            self._say(str(exc), error=True)
            return
        self.player_box.children = []
        self._say(f"removed {', '.join(removed) or clip_id}: no one else can see it now")
        self.refresh()

    def _revoke(self, cameo_id: str, remove_past: bool) -> None:
        try:
            removed = cameo.revoke(self.store, cameo_id, by=self.user, remove_past=remove_past)
        except (PermissionError, LookupError, cameo.CameoError) as exc:
            self._say(str(exc), error=True)
            return
        self._say("revoked: no new clip can use it" + (f"; took down {len(removed)} clip(s)" if removed else ""))
        self.refresh()

    def _say(self, text: str, *, error: bool = False) -> None:
        self.status.value = f'<span style="color:{"#b00020" if error else "#1b5e20"}">{escape(text)}</span>'

