"""An analyser that judges a clip from its pixels and its sound only (never from ``clip.meta``).

It estimates the static background as the per-pixel temporal median, marks pixels that differ from it
(ignoring soft shadows: a uniformly darkened background), labels connected blobs in every frame, names
each blob's colour, follows blob centres from frame to frame, finds bounces (vertical velocity reversals,
timed to sub-frame accuracy by intersecting the parabolas fitted before and after), fits the flight
between bounces with a parabola (R², acceleration), and finds audio onsets with librosa.

Units: pixels, seconds, frames; image y grows downwards.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

__all__ = ["Analysis", "Track", "analyse", "audio_onsets", "colour_name", "bounce_onset_errors"]


# --------------------------------------------------------------------------- colour names
def colour_name(rgb) -> str:
    """A basic colour word for an sRGB triple (0-255), from hue / saturation / value."""
    r, g, b = (float(c) / 255.0 for c in rgb)
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    hue = h * 360
    if v < 0.16:
        return "black"
    if s < 0.22:
        if v > 0.82:
            return "white"
        return "gray" if v > 0.3 else "black"
    if hue < 14 or hue >= 340:
        if v < 0.5 and s < 0.75:
            return "brown"
        return "pink" if s < 0.45 and v > 0.75 else "red"
    if hue < 42:
        return "brown" if v < 0.62 else "orange"
    if hue < 70:
        return "yellow" if v > 0.45 else "brown"
    if hue < 165:
        return "green"
    if hue < 197:
        return "cyan"
    if hue < 258:
        return "blue"
    if hue < 292:
        return "purple"
    return "pink"


# --------------------------------------------------------------------------- blobs and tracks
@dataclass
class Blob:
    frame: int
    cx: float
    cy: float
    area: int
    colour: str
    rgb: tuple
    bbox: tuple  # y0, x0, y1, x1


@dataclass
class Track:
    blobs: list[Blob] = field(default_factory=list)
    colour: str = ""

    @property
    def frames(self) -> np.ndarray:
        return np.array([b.frame for b in self.blobs])

    @property
    def xy(self) -> np.ndarray:
        return np.array([(b.cx, b.cy) for b in self.blobs])

    @property
    def net_dx(self) -> float:
        xy = self.xy
        return float(xy[-1, 0] - xy[0, 0])

    @property
    def path_length(self) -> float:
        xy = self.xy
        return float(np.hypot(*np.diff(xy, axis=0).T).sum()) if len(xy) > 1 else 0.0


def background(frames: np.ndarray) -> np.ndarray:
    """The static background (float32 (H, W, 3)).

    The per-pixel temporal median fails where an object rests for most of the clip. So take the medians of
    the whole clip and of each quarter, and keep per pixel the candidate closest to the row-wise median of
    the whole-clip median: objects are compact, so a row is mostly background, and a quarter in which the
    object was elsewhere shows what lies behind it.
    """
    idx = np.linspace(0, len(frames) - 1, min(len(frames), 64)).astype(int)
    stack = frames[idx].astype(np.float32)
    whole = np.median(stack, axis=0)
    cands = [whole] + [np.median(q, axis=0) for q in np.array_split(stack, 4) if len(q)]
    ref = np.median(whole, axis=1, keepdims=True)
    dist = np.stack([np.linalg.norm(c - ref, axis=-1) for c in cands])
    pick = np.argmin(dist, axis=0)
    return np.take_along_axis(np.stack(cands), pick[None, ..., None], axis=0)[0]


def foreground(frame: np.ndarray, bg: np.ndarray, thresh: float = 40.0) -> np.ndarray:
    """Pixels that are not the background and not a shadow (background scaled by 0.4-0.99)."""
    f = frame.astype(np.float32)
    diff = np.linalg.norm(f - bg, axis=-1)
    bb = (bg * bg).sum(-1) + 1e-6
    ratio = (f * bg).sum(-1) / bb
    resid = np.linalg.norm(f - ratio[..., None] * bg, axis=-1)
    shadow = (ratio > 0.4) & (ratio < 1.0) & (resid < 10.0)
    return (diff > thresh) & ~shadow


def blobs_in(frame: np.ndarray, bg: np.ndarray, i: int, min_area: int) -> list[Blob]:
    mask = foreground(frame, bg)
    mask = ndimage.binary_opening(mask, iterations=1)
    lab, n = ndimage.label(mask)
    out = []
    if n == 0:
        return out
    objs = ndimage.find_objects(lab)
    for k, sl in enumerate(objs, start=1):
        m = lab[sl] == k
        area = int(m.sum())
        if area < min_area:
            continue
        ys, xs = np.nonzero(m)
        # the colour of the interior: erode away anti-aliased edges (keep all if it would vanish)
        inner = ndimage.binary_erosion(m, iterations=1)
        px = frame[sl][inner if inner.sum() >= 4 else m].astype(np.float32)
        rgb = tuple(np.median(px, axis=0))
        out.append(Blob(i, float(xs.mean() + sl[1].start), float(ys.mean() + sl[0].start), area,
                        colour_name(rgb), rgb, (sl[0].start, sl[1].start, sl[0].stop, sl[1].stop)))
    return out


def track(per_frame: list[list[Blob]], max_jump: float) -> list[Track]:
    """Greedy nearest-neighbour tracking of blobs of the same colour; a jump longer than max_jump starts a new
    track (which is how a teleport would show up)."""
    tracks: list[Track] = []
    active: list[Track] = []
    for blobs in per_frame:
        free = list(blobs)
        still: list[Track] = []
        pairs = []
        for ti, t in enumerate(active):
            last = t.blobs[-1]
            for bi, b in enumerate(free):
                if b.colour != t.colour:
                    continue
                d = math.hypot(b.cx - last.cx, b.cy - last.cy)
                if d <= max_jump:
                    pairs.append((d, ti, bi))
        used_t, used_b = set(), set()
        for d, ti, bi in sorted(pairs):
            if ti in used_t or bi in used_b:
                continue
            used_t.add(ti)
            used_b.add(bi)
            active[ti].blobs.append(free[bi])
            still.append(active[ti])
        for bi, b in enumerate(free):
            if bi not in used_b:
                t = Track([b], b.colour)
                tracks.append(t)
                still.append(t)
        active = still
    return tracks


# --------------------------------------------------------------------------- motion analysis
def _fit(t: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    c = np.polyfit(t, y, 2)
    pred = np.polyval(c, t)
    ss_res = float(((y - pred) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum()) or 1e-12
    return c, 1.0 - ss_res / ss_tot


def find_bounces(tr: Track, fps: float, min_speed_px: float) -> list[dict]:
    """Vertical velocity reversals (falling -> rising) of a track, with sub-frame times."""
    f = tr.frames
    y = tr.xy[:, 1]
    out = []
    if len(f) < 5:
        return out
    vy = np.diff(y)  # px per frame, + = down
    for k in range(1, len(vy)):
        if f[k + 1] - f[k - 1] != 2:
            continue  # a gap in the track: no reliable velocity
        if vy[k - 1] > min_speed_px and vy[k] < -min_speed_px:
            i = k  # index of the lowest sample
            t_low = f[i] / fps
            before = [j for j in range(max(0, i - 3), i + 1)]
            after = [j for j in range(i, min(len(f), i + 4))]
            t_hit = t_low
            # the contact happened between frames i-1 and i+1: intersect the two flights
            if len(before) >= 3 and len(after) >= 3:
                tb, yb = f[before[:-1]] / fps, y[before[:-1]]
                ta, ya = f[after[1:]] / fps, y[after[1:]]
                if len(tb) >= 3 and len(ta) >= 3:
                    cb, cA = np.polyfit(tb, yb, 2), np.polyfit(ta, ya, 2)
                else:
                    cb, cA = np.polyfit(tb, yb, 1), np.polyfit(ta, ya, 1)
                    cb, cA = np.r_[0.0, cb], np.r_[0.0, cA]
                roots = np.roots(cb - cA)
                real = [float(r.real) for r in np.atleast_1d(roots) if abs(r.imag) < 1e-9
                        and (f[i - 1] / fps - 1e-9) <= r.real <= (f[i + 1] / fps + 1e-9)]
                if real:
                    t_hit = min(real, key=lambda r: abs(r - t_low))
            out.append({"t": t_hit, "frame": int(f[i]), "x": float(tr.xy[i, 0]), "y": float(y[i]),
                        "speed_in": float(vy[k - 1]), "speed_out": float(-vy[k])})
    return out


def flights(tr: Track, bounces: list[dict], fps: float, min_len: int = 6) -> list[dict]:
    """Parabola fits of y(t) between bounces (segments of at least min_len consecutive frames)."""
    f = tr.frames
    y = tr.xy[:, 1]
    areas = np.array([b.area for b in tr.blobs], np.float64)
    cuts = [0] + [int(np.searchsorted(f, b["frame"])) for b in bounces] + [len(f) - 1]
    out = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        seg = np.arange(a + 1, b)  # exclude the contact frames themselves
        if len(seg) < min_len or np.any(np.diff(f[seg]) != 1):
            continue
        # skip segments where the blob merges or leaves the picture (area jumps)
        if areas[seg].max() > 1.35 * np.median(areas[seg]) or areas[seg].min() < 0.65 * np.median(areas[seg]):
            continue
        t = f[seg] / fps
        if np.ptp(y[seg]) < 3.0:
            continue  # resting: nothing to fit
        dv = np.diff(y[seg])
        if np.any((dv[:-1] > 0) & (dv[1:] < 0)):
            continue  # a bounce too small to detect lies inside: not one flight
        c, r2 = _fit(t, y[seg])
        out.append({"start": float(t[0]), "end": float(t[-1]), "r2": r2, "accel_px_s2": 2 * c[0]})
    return out


# --------------------------------------------------------------------------- sound
def audio_onsets(audio: np.ndarray, sr: int, hop: int = 128) -> np.ndarray:
    """Onset times (s) of the mono mix, by librosa's spectral-flux onset detector."""
    import librosa

    mono = np.asarray(audio, np.float32).mean(axis=0)
    env = librosa.onset.onset_strength(y=mono, sr=sr, hop_length=hop)
    return librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop, units="time", backtrack=False)


def bounce_onset_errors(bounce_times: list[float], onsets: np.ndarray) -> np.ndarray:
    """For each bounce, the distance (s) to the nearest audio onset."""
    if len(onsets) == 0:
        return np.full(len(bounce_times), np.inf)
    on = np.asarray(onsets)
    return np.array([float(np.min(np.abs(on - t))) for t in bounce_times])


# --------------------------------------------------------------------------- everything
@dataclass
class Analysis:
    fps: float
    size: tuple
    tracks: list[Track]
    counts: dict[str, int]  # colour -> most blobs of that colour seen in one frame
    bounces: list[dict]
    flights: list[dict]
    onsets: np.ndarray
    max_step_px: float
    background: np.ndarray

    def moving(self, min_range_frac: float = 0.04) -> list[Track]:
        """Tracks whose centre moves over at least this share of the shorter frame side."""
        lim = min_range_frac * min(self.size)
        return [t for t in self.tracks if len(t.blobs) >= 3 and np.ptp(t.xy, axis=0).max() >= lim]

    def main_colours(self) -> list[str]:
        return sorted(self.counts, key=lambda c: -self.counts[c])


def analyse(frames: np.ndarray, audio: np.ndarray | None, fps: float, sr: int | None, *,
            with_audio: bool = True) -> Analysis:
    frames = np.asarray(frames)
    T, H, W, _ = frames.shape
    bg = background(frames)
    min_area = max(6, int(H * W * 0.0004))
    per_frame = [blobs_in(frames[i], bg, i, min_area) for i in range(T)]
    # a body can move at most ~12 m/s here; at 5 m per short side that is 2.4 short sides per second.
    max_jump = 2.4 * min(H, W) / fps + 3.0
    tracks = track(per_frame, max_jump)
    # Count only blobs on tracks that move: an object resting for most of the clip is part of the median
    # background, and where it rested a "ghost" blob of the true background appears, which does not move.
    min_range = 0.04 * min(H, W)
    movers = {id(b) for tr in tracks if len(tr.blobs) >= 3 and np.ptp(tr.xy, axis=0).max() >= min_range
              for b in tr.blobs}
    counts: dict[str, int] = {}
    for blobs in per_frame:
        c: dict[str, int] = {}
        for b in blobs:
            if id(b) in movers:
                c[b.colour] = c.get(b.colour, 0) + 1
        for k, v in c.items():
            counts[k] = max(counts.get(k, 0), v)
    bounces, fl = [], []
    min_speed = 0.0015 * H * (24.0 / fps)
    for tr in tracks:
        if len(tr.blobs) < 5:
            continue
        b = find_bounces(tr, fps, min_speed)
        for x in b:
            x["colour"] = tr.colour
        bounces.extend(b)
        fl.extend(flights(tr, b, fps))
    steps = [float(np.max(np.hypot(*np.diff(tr.xy, axis=0).T))) for tr in tracks if len(tr.blobs) > 1]
    onsets = audio_onsets(audio, sr) if (with_audio and audio is not None and audio.size) else np.zeros(0)
    return Analysis(fps, (H, W), tracks, counts, sorted(bounces, key=lambda b: b["t"]), fl, onsets,
                    max(steps) if steps else 0.0, bg)
