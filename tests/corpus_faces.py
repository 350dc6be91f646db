"""Clips with known answers for the face and liveness checks (fixed seeds; used by tests and benchmarks).

- :func:`face_conditions` / :func:`transform`: the face photos that ship in our packages (scikit-image's
  astronaut, matplotlib's Grace Hopper) tilted, scaled, dimmed, lit from one side, turned;
- :func:`non_face_photos`: sample photos with no face (none may be found);
- :func:`liveness_case`: a talking astronaut in sync with her voice, the still photo with the phrase
  dubbed over it, the talking face with the sound 1 s late or early, and a face saying other words
  with the phrase dubbed - each filmed by a shaky hand-held phone.
"""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np

from sora_widgets.cameo import synthetic
from sora_widgets.cameo.verify import VOCABULARY
from sora_widgets.media import Clip

#: espeak-ng voices used for the spoken phrases.
VOICES = ("en-us", "en", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-us+f3")
#: Liveness cases: name -> whether a check must pass.
LIVENESS_EXPECT = {"live": True, "live_rough": True, "photo": False, "late_1s": False, "early_1s": False,
                   "dubbed": False}


def face_photos() -> dict[str, np.ndarray]:
    """Face photos that ship inside installed packages (RGB uint8)."""
    import matplotlib
    import skimage.data

    hopper = cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"))
    return {"astronaut": skimage.data.astronaut(), "grace_hopper": cv2.cvtColor(hopper, cv2.COLOR_BGR2RGB)}


def non_face_photos() -> dict[str, np.ndarray]:
    """Sample photos with no human face (RGB uint8). skimage's ``camera`` is left out: it shows a man."""
    import skimage.data
    import sklearn.datasets

    names = ("coffee", "chelsea", "rocket", "stereo_motorcycle", "horse", "brick", "grass", "gravel",
             "hubble_deep_field", "retina", "coins", "page", "text", "moon", "immunohistochemistry", "cell",
             "colorwheel", "logo")
    out = {}
    for n in names:
        v = getattr(skimage.data, n)()
        v = np.asarray(v[0] if isinstance(v, tuple) else v)  # stereo_motorcycle: (left, right, disparity)
        if v.dtype != np.uint8:
            v = (v * 255 if v.max() <= 1 else v).astype(np.uint8)
        out[n] = np.stack([v] * 3, -1) if v.ndim == 2 else v[..., :3]
    for n in ("china.jpg", "flower.jpg"):
        out[n.split(".")[0]] = sklearn.datasets.load_sample_image(n)
    return out


def transform(img: np.ndarray, *, angle: float = 0.0, height: int | None = None, light: str | None = None,
              yaw: float = 0.0) -> np.ndarray:
    """``img`` turned ``yaw`` degrees (a perspective squeeze), tilted ``angle`` degrees, scaled to ``height``
    px, and lit: ``"dim"`` (30 % light) or ``"gradient"`` (15 % at the left edge to 100 % at the right)."""
    out = img
    h, w = out.shape[:2]
    if yaw:
        c, s = np.cos(np.radians(yaw)), np.sin(np.radians(yaw))
        src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
        dst = np.float32([[0, 0], [w * c, h * 0.12 * s], [w * c, h * (1 - 0.12 * s)], [0, h]])
        out = cv2.warpPerspective(out, cv2.getPerspectiveTransform(src, dst), (int(w * c), h),
                                  borderMode=cv2.BORDER_REFLECT)
        h, w = out.shape[:2]
    if angle:
        out = cv2.warpAffine(out, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h),
                             borderMode=cv2.BORDER_REFLECT)
    if height:
        k = height / h
        out = cv2.resize(out, (max(1, round(w * k)), height), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    f = out.astype(np.float32)
    if light == "dim":
        f *= 0.3
    elif light == "gradient":
        f *= np.linspace(0.15, 1.0, f.shape[1], dtype=np.float32)[None, :, None]
    return np.clip(f, 0, 255).astype(np.uint8)


def face_conditions(*, full: bool = False) -> list[dict]:
    """Keyword sets for :func:`transform`: tilts x heights x lights, and turns x heights x lights."""
    angles = range(-25, 26, 5) if full else (-25, 0, 25)
    heights = (96, 128, 192, 256, 360, 480, 720, 1080) if full else (96, 360, 1080)
    lights = (None, "dim", "gradient")
    out = [dict(angle=a, height=h, light=li) for a in angles for h in heights for li in lights]
    out += [dict(yaw=y, height=h, light=li) for y in ((30, 45) if full else (45,)) for h in heights for li in lights]
    return out


def phone_shake(frames: np.ndarray, seed: int, *, shift: float = 0.03, turn_deg: float = 3.0) -> np.ndarray:
    """``frames`` as held by a hand: a smooth random wander of up to ``shift`` of the side and ``turn_deg``."""
    rng = np.random.default_rng(seed)
    t, h, w = frames.shape[:3]
    walk = np.cumsum(rng.normal(size=(t, 3)), axis=0)
    walk = cv2.GaussianBlur(walk.astype(np.float32), (1, 5), 0) if t >= 5 else walk
    walk = walk / (np.abs(walk).max(axis=0, keepdims=True) + 1e-9)
    out = np.empty_like(frames)
    for i in range(t):
        m = cv2.getRotationMatrix2D((w / 2, h / 2), float(walk[i, 2] * turn_deg), 1.06)
        m[:, 2] += walk[i, :2] * shift * np.array([w, h])
        out[i] = cv2.warpAffine(frames[i], m, (w, h), borderMode=cv2.BORDER_REFLECT)
    return out


def liveness_case(kind: str, seed: int, *, size: int = 160, fps: int = 15) -> tuple[Clip, str]:
    """One clip of ``kind`` (a key of ``LIVENESS_EXPECT``) and the phrase its sound says.

    A random phrase (fixed ``seed``) in a random voice and speed; the picture is the astronaut,
    zoomed and panned and shaken like a hand-held phone.
    """
    rng = random.Random(seed)
    phrase = " ".join(rng.choice(words) for words in VOCABULARY.values())
    voice, wpm = rng.choice(VOICES), rng.choice((130, 150, 170))
    said, sr = synthetic.spoken(phrase, voice=voice, speed_wpm=wpm)
    pad = np.zeros(int(1.0 * sr), np.float32)
    if kind == "live":
        clip, _ = synthetic.astronaut_clip(audio=said, sample_rate=sr, size=size, fps=fps, talking=True)
    elif kind == "live_rough":
        # A less perfect speaker: the mouth follows the voice 80 ms early, opens 40-100 % as wide from
        # moment to moment, with noise; the picture is JPEG-compressed like a webcam's.
        gen = np.random.default_rng(seed)
        lead = int(0.08 * sr)
        gain = np.interp(np.arange(len(said)), np.linspace(0, len(said), 8), gen.uniform(0.4, 1.0, 8))
        mouth_audio = np.concatenate([said[lead:] * gain[lead:], np.zeros(lead, np.float32)])
        mouth_audio = (mouth_audio + gen.normal(0, 0.03, len(mouth_audio))).astype(np.float32)
        clip, _ = synthetic.astronaut_clip(audio=mouth_audio, sample_rate=sr, size=size, fps=fps, talking=True)
        frames = np.stack([cv2.imdecode(cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, 35])[1], cv2.IMREAD_COLOR)
                           for f in clip.frames])
        clip = Clip(frames, _track_like(clip, said, sr), clip.fps, clip.sample_rate)
    elif kind == "photo":
        clip, _ = synthetic.astronaut_clip(audio=said, sample_rate=sr, size=size, fps=fps, talking=False)
    elif kind in ("late_1s", "early_1s"):
        # The mouth says the phrase in time with one copy of the sound; the clip carries another copy 1 s off.
        mouth_audio = np.concatenate([pad, said, pad]) if kind == "late_1s" else np.concatenate([pad, pad, said])
        heard = np.concatenate([pad, pad, said]) if kind == "late_1s" else np.concatenate([pad, said, pad])
        clip, _ = synthetic.astronaut_clip(audio=mouth_audio, sample_rate=sr, size=size, fps=fps, talking=True)
        clip = Clip(clip.frames, _track_like(clip, heard, sr), clip.fps, clip.sample_rate)
    elif kind == "dubbed":
        other = " ".join(rng.choice(words) for words in VOCABULARY.values())
        mouth_said, _ = synthetic.spoken(other, voice=rng.choice(VOICES), speed_wpm=rng.choice((130, 150, 170)))
        n = max(len(said), len(mouth_said))
        mouth_audio, heard = (np.pad(a, (0, n - len(a))) for a in (mouth_said, said))
        clip, _ = synthetic.astronaut_clip(audio=mouth_audio, sample_rate=sr, size=size, fps=fps, talking=True)
        clip = Clip(clip.frames, _track_like(clip, heard, sr), clip.fps, clip.sample_rate)
    else:
        raise ValueError(f"unknown liveness case {kind!r}")
    return Clip(phone_shake(clip.frames, seed), clip.audio, clip.fps, clip.sample_rate), phrase


def _track_like(clip: Clip, audio: np.ndarray, sr: int) -> np.ndarray:
    """``audio`` placed as astronaut_clip places a sound (from 0.15 s), cut to ``clip``'s length."""
    track = np.zeros_like(clip.audio)
    start = int(0.15 * sr)
    seg = audio[: max(0, track.shape[1] - start)]
    track[0, start:start + len(seg)] = seg
    return track
