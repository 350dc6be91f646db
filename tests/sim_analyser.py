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
        return "brown" if v < 0.55 else "orange"
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
    idx = np.linspace(0, len(frames) - 1, min(len(frames), 48)).astype(int)
    stack = frames[idx]
    whole = np.median(stack, axis=0).astype(np.float32)
    cands = [whole] + [np.median(q, axis=0).astype(np.float32) for q in np.array_split(stack, 4) if len(q)]
    ref = np.median(whole, axis=1, keepdims=True)
    dist = np.stack([np.linalg.norm(c - ref, axis=-1) for c in cands])
    pick = np.argmin(dist, axis=0)
    return np.take_along_axis(np.stack(cands), pick[None, ..., None], axis=0)[0]


def foreground(frame: np.ndarray, bg: np.ndarray, thresh: float = 40.0, bb: np.ndarray | None = None) -> np.ndarray:
    """Pixels that are not the background and not a soft shadow (the background scaled by 0.6-0.99).

    ``thresh`` is the RGB distance (0-255 units) above which a pixel differs; ``bb`` the per-pixel
    squared norm of the background, if already computed.
    """
    f = frame.astype(np.float32)
    d = f - bg
    diff2 = np.einsum("ijk,ijk->ij", d, d)
    if bb is None:
        bb = np.einsum("ijk,ijk->ij", bg, bg)
    fb = np.einsum("ijk,ijk->ij", f, bg)
    ff = np.einsum("ijk,ijk->ij", f, f)
    ratio = fb / (bb + 1e-6)
    resid2 = ff - fb * ratio  # squared distance from f to the line through bg (shadows lie on it)
    shadow = (ratio > 0.6) & (ratio < 1.0) & (resid2 < 100.0)
    return (diff2 > thresh * thresh) & ~shadow


def blobs_in(frame: np.ndarray, bg: np.ndarray, i: int, min_area: int, bb: np.ndarray | None = None) -> list[Blob]:
    mask = foreground(frame, bg, bb=bb)
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
        for _d, ti, bi in sorted(pairs):
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


def _contact_time(t: np.ndarray, y: np.ndarray, lo: int, hi: int, k: int = 4) -> float | None:
    """Time of a bounce whose lowest samples are lo..hi: fit the flights before and after with one shared
    acceleration (gravity does not change at a bounce), y = a t² + b t + c, and intersect them. Each low
    sample may belong to either flight; the split with the smallest residual whose crossing lies between
    the two flights wins."""
    n = len(t)
    pre = list(range(max(0, lo - k), lo))
    post = list(range(hi + 1, min(n, hi + 1 + k)))
    low = list(range(lo, hi + 1))
    best = None
    for split in range(len(low) + 1):
        before, after = pre + low[:split], low[split:] + post
        if len(before) < 3 or len(after) < 3:
            continue
        rows = [[t[j] ** 2, t[j], 1.0, 0.0, 0.0] for j in before] + [[t[j] ** 2, 0.0, 0.0, t[j], 1.0] for j in after]
        A = np.array(rows)
        rhs = np.array([y[j] for j in before + after])
        coef, *_ = np.linalg.lstsq(A, rhs, rcond=None)
        resid = float(((A @ coef - rhs) ** 2).sum())
        _, b1, c1, b2, c2 = coef
        if abs(b1 - b2) < 1e-9:
            continue
        tc = -(c1 - c2) / (b1 - b2)
        if not (t[before[-1]] - 1e-9 <= tc <= t[after[0]] + 1e-9):
            continue
        if best is None or resid < best[0]:
            best = (resid, float(tc))
    return None if best is None else best[1]


def find_bounces(tr: Track, fps: float, min_speed_px: float) -> list[dict]:
    """Vertical velocity reversals (falling -> rising) of a track, with sub-frame times.

    The turn is either at one lowest sample, or between two equally low samples (the contact fell
    between two frames). Its time is where the parabola through the last samples before it meets the
    parabola through the first samples after it.
    """
    f = tr.frames
    y = tr.xy[:, 1]
    out = []
    n = len(f)
    if n < 5:
        return out
    i = 1
    while i < n - 1:
        d = None
        if f[i] - f[i - 1] == 1 and y[i] - y[i - 1] > min_speed_px:
            if f[i + 1] - f[i] == 1 and y[i + 1] - y[i] < -min_speed_px:
                d = 0
            elif (i + 2 < n and f[i + 2] - f[i] == 2 and abs(y[i + 1] - y[i]) <= min_speed_px
                  and y[i + 2] - y[i + 1] < -min_speed_px):
                d = 1
        if d is None:
            i += 1
            continue
        lo, hi = i, i + d  # the low sample(s)
        t_low = (f[lo] + f[hi]) / 2 / fps
        t_hit = _contact_time(f / fps, y, lo, hi)
        if t_hit is None:
            t_hit = t_low
        out.append({"t": t_hit, "frame": int(f[lo]), "x": float(tr.xy[lo, 0]), "y": float(y[lo]),
                    "speed_in": float(y[lo] - y[lo - 1]), "speed_out": float(y[hi] - y[hi + 1])})
        i = hi + 1
    return out


def flights(tr: Track, bounces: list[dict], fps: float, min_len: int = 6, min_height_px: float = 10.0) -> list[dict]:
    """Parabola fits of y(t) between bounces: segments of at least ``min_len`` consecutive frames in the air
    that rise or fall by at least ``min_height_px`` (smaller hops are dominated by 1 px rounding)."""
    f = tr.frames
    y = tr.xy[:, 1]
    areas = np.array([b.area for b in tr.blobs], np.float64)
    bottom = np.array([b.bbox[2] for b in tr.blobs], np.float64)
    grounded = bottom >= bottom.max() - 1.0  # touching its lowest level: on the ground, not in flight
    cuts = [0] + [int(np.searchsorted(f, b["frame"])) for b in bounces] + [len(f) - 1]
    # a bounce between two equally low samples: the second one is a contact frame too
    grounded = grounded.copy()
    for b in bounces:
        k = int(np.searchsorted(f, b["frame"]))
        grounded[k : k + 2] |= np.abs(y[k : k + 2] - y[k]) <= 1.0
    out = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        seg = np.arange(a + 1, b)  # exclude the contact frames themselves
        seg = seg[~grounded[seg]]
        if len(seg) < min_len or np.any(np.diff(f[seg]) != 1):
            continue
        # skip segments where the blob merges or leaves the picture (area jumps)
        if areas[seg].max() > 1.35 * np.median(areas[seg]) or areas[seg].min() < 0.65 * np.median(areas[seg]):
            continue
        t = f[seg] / fps
        if np.ptp(y[seg]) < min_height_px:
            continue  # resting or a tiny hop: nothing to fit
        dv = np.diff(y[seg])
        dv = dv[dv != 0]
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
    # 10 ms peak-picking windows (librosa's defaults are 30 ms) so two bounces 30 ms apart stay two onsets
    w = max(1, int(round(0.01 * sr / hop)))
    return librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=hop, units="time", backtrack=False,
                                      pre_max=w, post_max=1, wait=w)


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
    bb = np.einsum("ijk,ijk->ij", bg, bg)
    per_frame = [blobs_in(frames[i], bg, i, min_area, bb) for i in range(T)]
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
    # a visible bounce moves at least 0.6 % of the frame height per frame at 24 fps on both sides of the turn
    # (slower "bounces" are the bob of a walking figure's legs, or a body settling)
    min_speed = 0.006 * H * (24.0 / fps)
    for tr in tracks:
        if len(tr.blobs) < 5:
            continue
        b = find_bounces(tr, fps, min_speed)
        for x in b:
            x["colour"] = tr.colour
        bounces.extend(b)
        fl.extend(flights(tr, b, fps, min_height_px=0.04 * H))
    steps = [float(np.max(np.hypot(*np.diff(tr.xy, axis=0).T))) for tr in tracks if len(tr.blobs) > 1]
    onsets = audio_onsets(audio, sr) if (with_audio and audio is not None and audio.size) else np.zeros(0)
    return Analysis(fps, (H, W), tracks, counts, sorted(bounces, key=lambda b: b["t"]), fl, onsets,
                    max(steps) if steps else 0.0, bg)


# --------------------------------------------------------------------------- backboard
def find_backboard(bg: np.ndarray) -> tuple[int, int] | None:
    """Column range (x0, x1) px of a tall, narrow, near-white panel in the upper part of the background."""
    H, W, _ = bg.shape
    upper = bg[: int(0.7 * H)]
    white = (upper > 225).all(axis=-1)
    col = white.sum(axis=0)
    cols = np.flatnonzero(col >= max(3, 0.08 * H))
    if len(cols) == 0 or len(cols) > 0.08 * W:
        return None
    return int(cols.min()), int(cols.max())


def x_reversals(tr: Track, fps: float, min_speed_px: float) -> list[dict]:
    """Horizontal velocity reversals of a track (frames where vx changes sign with speed on both sides)."""
    f = tr.frames
    x = tr.xy[:, 0]
    out = []
    vx = np.diff(x)
    for k in range(2, len(vx) - 1):
        if f[k + 1] - f[k - 2] != 3:
            continue
        before = vx[k - 2 : k].mean()
        after = vx[k : k + 2].mean()
        if abs(before) > min_speed_px and abs(after) > min_speed_px and np.sign(before) != np.sign(after):
            radius = math.sqrt(tr.blobs[k].area / math.pi)
            out.append({"t": f[k] / fps, "frame": int(f[k]), "x": float(x[k]), "radius": radius,
                        "before": float(before), "after": float(after)})
    return out
