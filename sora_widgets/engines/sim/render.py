"""Simulation -> frames: anti-aliased numpy rendering with textured backgrounds and soft shadows.

Everything is drawn from signed distances in pixels: coverage = clip(0.5 - distance, 0, 1), which gives
one pixel of anti-aliasing at any size. The background (sky, textured ground, hoop, ramp) is drawn once;
each frame copies it and composites shadows and bodies in small patches around them, so a frame costs
a few array operations per body. Figures (people, cats, dogs, cameos) stay upright and are pre-drawn
sprites; balls and boxes rotate and are drawn per frame. A moving camera (pan / zoom) is a per-frame
crop of the rendered frame, resampled bilinearly.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from . import backdrops, effects, figures, picture, sprites, styles, things, vocab
from .physics import Body, SimResult, World

__all__ = ["Renderer"]

_SKIN = np.array([224, 172, 138], np.float32)


# ----------------------------------------------------------------------------- signed distances
def _sd_poly(px: np.ndarray, py: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """Signed distance (px) to a convex counter-clockwise polygon; negative inside."""
    d = None
    n = len(verts)
    for k in range(n):
        ax, ay = verts[k]
        bx, by = verts[(k + 1) % n]
        ex, ey = bx - ax, by - ay
        ln = math.hypot(ex, ey) or 1.0
        # outward normal of a CCW polygon edge (y up) is (ey, -ex)
        s = ((px - ax) * ey - (py - ay) * ex) / ln
        d = s if d is None else np.maximum(d, s)
    return d


def _sd_capsule(px, py, ax, ay, bx, by, r):
    ex, ey = bx - ax, by - ay
    ll = ex * ex + ey * ey or 1e-9
    h = np.clip(((px - ax) * ex + (py - ay) * ey) / ll, 0.0, 1.0)
    return np.hypot(px - ax - h * ex, py - ay - h * ey) - r


def _sd_ellipse(px, py, cx, cy, rx, ry):
    # approximate but smooth: scaled circle distance times the smaller radius
    k = np.hypot((px - cx) / rx, (py - cy) / ry)
    return (k - 1.0) * min(rx, ry)


def _cover(sd: np.ndarray) -> np.ndarray:
    return np.clip(0.5 - sd, 0.0, 1.0)


# ----------------------------------------------------------------------------- figures
def _figure_parts(kind: str, hw: float, hh: float, phase: float):
    """Primitive parts of an upright figure in local px (x right, y up), as (sd_fn, shade) pairs."""
    sw = math.sin(phase)
    parts = []
    if kind == "person":
        head_r = 0.2 * hh * 0.9
        parts.append((lambda x, y: np.hypot(x, y - 0.78 * hh) - head_r, "skin"))
        parts.append((lambda x, y: _sd_capsule(x, y, 0, 0.5 * hh, 0, 0.0, 0.42 * hw), "main"))
        for s in (-1, 1):
            parts.append((lambda x, y, s=s: _sd_capsule(x, y, 0.15 * hw * s, -0.05 * hh,
                                                        0.35 * hw * s * sw + 0.1 * s * hw, -0.95 * hh, 0.17 * hw),
                          "dark"))
            parts.append((lambda x, y, s=s: _sd_capsule(x, y, 0.3 * hw * s, 0.48 * hh,
                                                        0.75 * hw * s, 0.05 * hh - 0.1 * hh * sw * s, 0.13 * hw),
                          "skin"))
    else:  # cat / dog: body ellipse, head, ears, legs, tail
        dog = kind == "dog"
        parts.append((lambda x, y: _sd_ellipse(x, y, -0.1 * hw, 0.0, 0.72 * hw, 0.38 * hh), "main"))
        hx, hy, hr = 0.62 * hw, 0.38 * hh, 0.36 * hh
        parts.append((lambda x, y: np.hypot(x - hx, y - hy) - hr, "main"))
        if dog:
            parts.append((lambda x, y: _sd_capsule(x, y, hx, hy - 0.1 * hh, hx + 0.42 * hw, hy - 0.14 * hh,
                                                   0.15 * hh), "main"))
            parts.append((lambda x, y: _sd_capsule(x, y, hx - 0.12 * hw, hy + 0.25 * hh, hx - 0.2 * hw,
                                                   hy - 0.15 * hh, 0.1 * hh), "dark"))
        else:
            for dx in (-0.16, 0.14):
                ear = np.array([[hx + (dx - 0.1) * hw, hy + 0.2 * hh], [hx + (dx + 0.12) * hw, hy + 0.2 * hh],
                                [hx + dx * hw, hy + 0.62 * hh]])
                parts.append((lambda x, y, ear=ear: _sd_poly(x, y, ear), "main"))
        for lx, ph in ((-0.55, 0.0), (-0.3, math.pi), (0.25, math.pi), (0.45, 0.0)):
            off = 0.12 * hw * math.sin(phase + ph)
            parts.append((lambda x, y, lx=lx, off=off: _sd_capsule(x, y, lx * hw, -0.1 * hh, lx * hw + off,
                                                                   -0.92 * hh, 0.07 * hw), "main"))
        tail_up = 0.7 if not dog else 0.45
        parts.append((lambda x, y: _sd_capsule(x, y, -0.78 * hw, 0.05 * hh, -0.98 * hw, tail_up * hh,
                                               0.05 * hw), "main"))
    return parts


def _draw_figure(kind: str, rgb: np.ndarray, hw_px: float, hh_px: float, phase: float) -> np.ndarray:
    """(h, w, 4) float32 premultiplied RGBA sprite of a figure, origin at its centre."""
    pad = 2
    w = int(math.ceil(2 * hw_px * 1.25)) + 2 * pad
    h = int(math.ceil(2 * hh_px)) + 2 * pad
    x = (np.arange(w, dtype=np.float32) + 0.5 - w / 2)[None, :]
    y = (h / 2 - (np.arange(h, dtype=np.float32) + 0.5))[:, None]
    out = np.zeros((h, w, 4), np.float32)
    shades = {"main": rgb, "dark": rgb * 0.55, "skin": _SKIN}
    light = 0.85 + 0.25 * np.clip(y / max(hh_px, 1), -1, 1)  # lit from above
    for fn, shade in _figure_parts(kind, hw_px, hh_px, phase):
        sd = fn(x, y)
        a = _cover(sd)[..., None]
        col = np.clip(shades[shade][None, None, :] * light[..., None], 0, 255)
        col = col * np.where(sd[..., None] > -1.5, 0.7, 1.0)  # a darker rim reads as an outline
        out[..., :3] = out[..., :3] * (1 - a) + col * a
        out[..., 3:] = out[..., 3:] * (1 - a) + a
    return out


def _resize_rgba(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """Area-ish bilinear resize of an (H, W, 4) float image to (h, w, 4)."""
    H, W = img.shape[:2]
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    y1 = np.minimum(y0 + 1, H - 1)
    x1 = np.minimum(x0 + 1, W - 1)
    fy = (ys - y0)[:, None, None]
    fx = (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bot = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bot * fy


# ----------------------------------------------------------------------------- background
def _sky(scene: dict, h: int, w: int) -> np.ndarray:
    setting = vocab.SETTINGS.get(scene["setting"], vocab.SETTINGS["floor"])
    if setting.get("sky") == "space":
        top, bottom = np.array([4, 5, 12], np.float32), np.array([14, 16, 30], np.float32)
    else:
        t = vocab.TIMES.get(scene.get("time", "day"), vocab.TIMES["day"])
        top = np.array(vocab.hex_to_rgb(t["sky"][0]), np.float32)
        bottom = np.array(vocab.hex_to_rgb(t["sky"][1]), np.float32)
        if scene["setting"] in ("floor", "gym"):  # indoors: a wall, warmed by the time of day
            wall = np.array([236, 228, 214], np.float32) if scene["setting"] == "floor" else np.array(
                [214, 222, 232], np.float32)
            light = t["light"]
            top, bottom = wall * light * 0.92 + top * 0.08, wall * light
    g = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None, None]
    return np.broadcast_to(top * (1 - g) + bottom * g, (h, w, 3)).copy()


def _ground_texture(kind: str, rgb: np.ndarray, h: int, w: int, scale: float, rng: np.random.Generator):
    y = np.arange(h, dtype=np.float32)[:, None]
    x = np.arange(w, dtype=np.float32)[None, :]
    base = np.broadcast_to(rgb, (h, w, 3)).astype(np.float32).copy()
    shade = np.ones((h, w), np.float32)
    if kind == "planks":
        plank = max(3.0, 0.22 * scale)
        row = np.floor(y / plank)
        seam = (np.abs((y % plank) - 0.5) < 0.6).astype(np.float32)
        offs = (row * 97.0) % (3.2 * scale)
        vseam = (np.abs((x + offs) % (3.2 * scale)) < 1.0).astype(np.float32)
        grain = 0.04 * np.sin(x / max(1.0, 0.15 * scale) + row * 1.7)
        shade = 1.0 + grain - 0.18 * np.maximum(seam, vseam) + 0.05 * ((row % 2) - 0.5)
    elif kind == "blades":
        n = rng.normal(0, 1, (h, w)).astype(np.float32)
        shade = 1.0 + 0.09 * n + 0.05 * np.sin(x * 1.3 + 3 * np.sin(y * 0.7))
    elif kind in ("grain", "asphalt"):
        n = rng.normal(0, 1, (h, w)).astype(np.float32)
        shade = 1.0 + (0.05 if kind == "grain" else 0.08) * n
        if kind == "asphalt":
            dash = (np.abs(y - h * 0.45) < max(1.0, 0.03 * scale)) & ((x // max(4.0, scale)) % 2 == 0)
            base[dash] = (240, 235, 200)
    elif kind == "streaks":
        n = rng.normal(0, 1, (1, w)).astype(np.float32)
        shade = 1.0 + 0.04 * np.sin(x * 0.21 + y * 0.05) + 0.03 * n
    elif kind == "craters":
        n = rng.normal(0, 1, (h, w)).astype(np.float32)
        shade = 1.0 + 0.05 * n
        for _ in range(max(3, w // 40)):
            cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.1, 0.35) * scale
            d = np.hypot((x - cx) / 2.2, y - cy) / max(r, 1.0)
            shade = shade - 0.18 * np.clip(1.0 - d, 0, 1) + 0.08 * np.clip(1.0 - np.abs(d - 1.05) * 6, 0, 1)
    return np.clip(base * shade[..., None], 0, 255)


def _stars(img: np.ndarray, rng: np.random.Generator, upto: int) -> None:
    h, w = upto, img.shape[1]
    n = max(20, (h * w) // 500)
    ys = rng.integers(0, max(h, 1), n)
    xs = rng.integers(0, w, n)
    b = rng.uniform(120, 255, n).astype(np.float32)
    img[ys, xs] = np.maximum(img[ys, xs], b[:, None])


def _fill(img: np.ndarray, sd_fn, box, rgb, alpha: float = 1.0) -> None:
    """Composite a shape given by its signed distance over pixel box (x0, y0, x1, y1)."""
    H, W = img.shape[:2]
    x0, y0, x1, y1 = max(0, int(box[0])), max(0, int(box[1])), min(W, int(math.ceil(box[2]))), min(H, int(
        math.ceil(box[3])))
    if x1 <= x0 or y1 <= y0:
        return
    x = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
    y = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
    a = (_cover(sd_fn(x, y)) * alpha)[..., None]
    patch = img[y0:y1, x0:x1]
    patch *= 1 - a
    patch += np.asarray(rgb, np.float32) * a


GAIT_HZ_PER_MPS = 3.0  # animation phases per second per m/s of walking pace (4 phases = one stride)


def gait_phase(t: float, pace_mps: float) -> int:
    """Which of the 4 leg poses a walker shows at time ``t`` s; a footstep falls on every even phase."""
    return int(t * GAIT_HZ_PER_MPS * max(pace_mps, 0.5))


@contextlib.contextmanager
def _float_patch(img: np.ndarray, y0: int, y1: int, x0: int, x1: int):
    """A float32 view (or copy, written back rounded) of img[y0:y1, x0:x1]."""
    view = img[y0:y1, x0:x1]
    if img.dtype == np.float32:
        yield view
        return
    patch = view.astype(np.float32)
    yield patch
    np.clip(patch + 0.5, 0, 255, out=patch)
    view[...] = patch.astype(np.uint8)


def _fill_frame(img: np.ndarray, sd_fn, box, rgb, alpha: float = 1.0) -> None:
    """:func:`_fill` on a uint8 frame: the box is composited in float and written back rounded."""
    H, W = img.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(W, int(math.ceil(box[2]))), min(H, int(math.ceil(box[3])))
    if x1 <= x0 or y1 <= y0:
        return
    with _float_patch(img, y0, y1, x0, x1) as patch:
        _fill(patch, lambda x, y: sd_fn(x + x0, y + y0), (0, 0, x1 - x0, y1 - y0), rgb, alpha)


#: Drawing primitives handed to effects.draw (which cannot import this module: this module imports it).
_PAINT = {"fill": _fill_frame, "poly": _sd_poly, "capsule": _sd_capsule}


class Renderer:
    """Draws frames of one simulation. ``frame(i)`` returns (H, W, 3) uint8."""

    def __init__(self, scene: dict, world: World, bodies: list[Body], sim: SimResult, *, fps: int, n_frames: int,
                 seed: int, cameos: dict | None = None, backdrop: np.ndarray | None = None) -> None:
        """``backdrop``: (H, W, 3) float32 drawn instead of the setting (a start picture, :mod:`.picture`),
        under a slow camera move across it."""
        self.scene, self.world, self.bodies, self.sim = scene, world, bodies, sim
        self.fps, self.n_frames = fps, n_frames
        self.W, self.H = world.width_px, world.height_px
        self.rng = np.random.default_rng(seed)
        self.rng_seed = int(seed)
        self.cameos = cameos or {}
        self.light = vocab.TIMES.get(scene.get("time", "day"), vocab.TIMES["day"])["light"]
        self.picture = backdrop is not None
        self.background = self._background() if backdrop is None else np.asarray(backdrop, np.float32)
        self.background_u8 = np.clip(self.background + 0.5, 0, 255).astype(np.uint8)
        self._sprites: dict = {}
        self._rigid_cache: dict = {}
        self._last_shadow: dict = {}  # body name -> (its shadow's geometry, the (h, w, 1) darkening factor)
        self._figures = figures.Animator(world, bodies, sim, self.light)  # articulated people, cats, dogs, birds
        self._prepare_sprites()
        self.floor_px = float(world.to_px(0.0, 0.0)[1])
        self.camera = "picture" if self.picture else scene.get("camera", "static")
        self._action_px = self._action_track() if self.camera not in ("static", "picture") else None

    def _action_track(self) -> np.ndarray:
        """(n_frames, 2) px: where the camera looks — the bodies' mean position, smoothed over ±0.5 s."""
        pts = []
        for i in range(self.n_frames):
            pos, _ = self._state(i)
            if len(pos):
                x, y = self.world.to_px(pos[:, 0].mean(), pos[:, 1].mean())
                pts.append((float(x), float(y)))
            else:
                pts.append((self.W / 2, self.H / 2))
        a = np.array(pts)
        k = max(1, int(self.fps))  # one-second box filter, edges padded
        pad = np.pad(a, ((k // 2, k - 1 - k // 2), (0, 0)), mode="edge")
        kern = np.ones(k) / k
        return np.stack([np.convolve(pad[:, c], kern, mode="valid") for c in range(2)], axis=1)

    # ------------------------------------------------------------------ background
    def _background(self) -> np.ndarray:
        w, s = self.world, self.world.scale
        img = _sky(self.scene, self.H, self.W)
        setting = vocab.SETTINGS.get(self.scene["setting"], vocab.SETTINGS["floor"])
        if setting.get("sky") == "space" or self.scene.get("time") == "night" and self.scene["setting"] not in (
                "floor", "gym"):
            _stars(img, self.rng, int(w.to_px(0, 0)[1]) if w.floor else self.H)
        # the place the prompt named (issue 18), on the ground line, under the ground's contact shade
        backdrops.draw(img, self.scene.get("backdrop"), float(w.to_px(0.0, 0.0)[1]) if w.floor else self.H,
                       self.light, np.random.default_rng([self.rng_seed, 7]))
        if w.floor:
            fy = float(w.to_px(0.0, 0.0)[1])
            y0 = int(math.floor(fy))
            ground = np.array(vocab.hex_to_rgb(vocab.colors()[setting["ground"]]), np.float32) * (
                0.55 + 0.45 * self.light)
            tex = _ground_texture(setting["texture"], ground, self.H - y0, self.W, s, self.rng)
            cover = np.clip((np.arange(y0, self.H, dtype=np.float32) + 0.5 - fy) + 0.5, 0, 1)[:, None, None]
            img[y0:] = img[y0:] * (1 - cover) + tex * cover
            # a soft contact line where the wall meets the floor
            band = np.exp(-((np.arange(self.H, dtype=np.float32) - fy) / max(1.0, 0.04 * s)) ** 2)[:, None, None]
            img *= 1 - 0.12 * band
        if w.ramp is not None:
            (ax, ay), (bx, by) = w.ramp
            pa, pb = w.to_px(ax, ay), w.to_px(bx, by)
            pf = w.to_px(ax, 0.0)
            verts = np.array([[pf[0], pf[1]], [pb[0], pb[1]], [pa[0], pa[1]]], np.float32)
            verts[:, 1] *= -1  # y down -> CCW test in y-up space
            _fill(img, lambda x, y: _sd_poly(x, -y, verts) - 0.0,
                  (min(pa[0], pb[0]) - 2, pa[1] - 2, max(pa[0], pb[0]) + 2, pb[1] + 2), (150, 110, 70))
            _fill(img, lambda x, y: _sd_capsule(x, y, pa[0], pa[1], pb[0], pb[1], 0.05 * s),
                  (min(pa[0], pb[0]) - 0.1 * s, pa[1] - 0.1 * s, max(pa[0], pb[0]) + 0.1 * s, pb[1] + 0.1 * s),
                  (110, 75, 45))
        if w.hoop is not None:
            self._draw_hoop(img)
        return img

    def _draw_hoop(self, img: np.ndarray) -> None:
        w, s, hb = self.world, self.world.scale, self.world.hoop
        bx = hb["board_x"]
        px0, py0 = w.to_px(bx + 0.06, hb["board_y"][1])
        px1, py1 = w.to_px(bx + 0.14, 0.0)
        _fill(img, lambda x, y: np.maximum(np.abs(x - (px0 + px1) / 2) - 0.04 * s, -np.minimum(y - py0, py1 - y)),
              (px0 - 4, py0 - 4, px1 + 4, py1 + 4), (90, 90, 100))  # pole
        ax, ay = w.to_px(bx - 0.0, hb["board_y"][1])
        cx, cy = w.to_px(bx + 0.08, hb["board_y"][0])
        rect = lambda x, y, m=0.0: np.maximum(np.maximum(ax - x, x - cx), np.maximum(ay - y, y - cy)) + m  # noqa: E731
        _fill(img, rect, (ax - 2, ay - 2, cx + 2, cy + 2), (250, 250, 250))
        _fill(img, lambda x, y: np.abs(rect(x, y)) - 0.015 * s, (ax - 3, ay - 3, cx + 3, cy + 3), (200, 40, 40))
        fx, fy = w.to_px(*hb["rim_front"])
        bkx, _ = w.to_px(*hb["rim_back"])
        # net: a trapezoid of thin strings below the rim
        net_h = 0.4 * s
        for k in range(6):
            u = k / 5
            top_x = fx + (bkx - fx) * u
            bot_x = fx + (bkx - fx) * (0.2 + 0.6 * u)
            _fill(img, lambda x, y, a=top_x, b=bot_x: _sd_capsule(x, y, a, fy, b, fy + net_h, 0.006 * s + 0.3),
                  (min(top_x, bot_x) - 3, fy - 3, max(top_x, bot_x) + 3, fy + net_h + 3), (245, 245, 245), 0.8)
        _fill(img, lambda x, y: _sd_capsule(x, y, fx, fy, bkx, fy, 0.025 * s + 0.4),
              (fx - 4, fy - 4, bkx + 4, fy + 4), (235, 90, 20))

    # ------------------------------------------------------------------ sprites
    def _prepare_sprites(self) -> None:
        s = self.world.scale
        for b in self.bodies:
            if b.figure is not None:  # drawn pose by pose (figures.Animator)
                continue
            rgb = np.array(b.rgb, np.float32) * (0.6 + 0.4 * self.light)
            if b.cameo is not None and b.cameo in self.cameos:
                asset = self.cameos[b.cameo]
                cut = np.asarray(asset.cutouts if getattr(asset, "cutouts", None) is not None else asset.still[None])
                if cut.ndim == 3:
                    cut = cut[None]
                h = max(2, int(round(2 * b.half[1] * s)))
                w = max(2, int(round(2 * b.half[0] * s)))
                frames = []
                for k in range(min(len(cut), 48)):  # cycled; 48 distinct frames are plenty at 24 fps
                    f = cut[k].astype(np.float32)
                    a = f[..., 3:] / 255.0
                    prem = np.concatenate([f[..., :3] * a, a], axis=-1)
                    r = _resize_rgba(prem, h, w)
                    if not self.picture:  # cut out of the start picture: it keeps the picture's own light
                        r[..., :3] *= 0.6 + 0.4 * self.light
                    frames.append(r)
                self._sprites[b.name] = frames
            elif b.thing is not None:
                if b.upright and sprites.available():  # catalogue things that keep upright: one picture
                    self._sprites[b.name] = [self._thing_sprite(b, 0)]
            elif b.upright:
                phases = 4 if b.motion in ("walk", "run") else 1
                self._sprites[b.name] = [
                    _draw_figure(b.kind, rgb, b.half[0] * s, b.half[1] * s, 2 * math.pi * k / phases)
                    for k in range(phases)]

    # ------------------------------------------------------------------ frames
    def _state(self, i: int) -> tuple[np.ndarray, int]:
        t = i / self.fps
        k = min(int(round(t * (len(self.sim.t) - 1) / max(self.sim.t[-1], 1e-9))), len(self.sim.t) - 1)
        return self.sim.pos[k], k

    def frame(self, i: int) -> np.ndarray:
        pos, k = self._state(i)
        # Every frame composites into a uint8 copy of the background, touching only the patches around bodies
        # and shadows in float; a moving camera then warps the whole uint8 frame, and a style restyles it.
        img = self.background_u8.copy()
        gone = effects.hidden(self.sim.extras, k)  # broken: drawn as shards by effects.draw
        if self.world.floor and not self.picture:  # a picture has its own light and floor
            for j, b in enumerate(self.bodies):
                if j not in gone:
                    self._shadow(img, b, pos[j])
        for j, b in enumerate(self.bodies):
            if j not in gone:
                self._body(img, j, b, pos[j], i, k)
        effects.draw(img, self.scene, self.world, self.sim.extras, i, k, self.fps, self.rng_seed, _PAINT)
        if self.camera != "static":
            img = self._camera(img, i)
        return styles.apply(img, self.scene.get("style"), i / self.fps)

    def _shadow(self, img: np.ndarray, b: Body, p: np.ndarray) -> None:
        _w, s = self.world, self.world.scale
        height = max(0.0, p[1] - b.half[1])
        strength = 0.36 * math.exp(-height / 2.0) * (0.5 + 0.5 * self.light)  # soft: never darker than 64 %
        # a thing at rest casts the same shadow every frame: with its geometry rounded to 1/8 px (and the
        # strength to 1/512), the last frame's darkening factor is reused while the geometry stays the same
        cx = round(p[0] * s * 8) / 8
        cy = self.floor_px + 0.02 * s
        rx = round(((b.half[0] * 1.1 + 0.15 * height) * s + 1.0) * 8) / 8
        ry = round(max(1.5, 0.09 * s * (1 + 0.2 * height)) * 8) / 8
        strength = round(strength * 512) / 512
        box = (cx - rx - 2, cy - ry - 2, cx + rx + 2, cy + ry + 2)
        H, W = img.shape[:2]
        x0, y0, x1, y1 = max(0, int(box[0])), max(0, int(box[1])), min(W, int(box[2]) + 1), min(H, int(box[3]) + 1)
        if x1 <= x0 or y1 <= y0:
            return
        key = (x0, y0, x1, y1, cx, cy, rx, ry, strength)
        last_key, factor = self._last_shadow.get(b.name, (None, None))
        if key != last_key:
            x = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
            y = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
            d2 = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2
            a = strength * np.clip(1.0 - d2, 0, 1) ** 1.5  # soft: fades to zero at the rim
            factor = (1.0 - a)[..., None]
            self._last_shadow[b.name] = (key, factor)
        with _float_patch(img, y0, y1, x0, x1) as patch:
            patch *= factor

    def _body(self, img: np.ndarray, j: int, b: Body, p: np.ndarray, i: int, k: int) -> None:
        w = self.world
        cx, cy = w.to_px(p[0], p[1])
        cx, cy = float(cx), float(cy)
        if b.figure is not None:
            self._paste(img, *self._figures.sprite(j, i, self.fps))
            return
        sprites = self._sprites.get(b.name)
        if sprites is not None:
            if b.cameo is not None and b.cameo in self.cameos:
                spr = sprites[i % len(sprites)]
            else:
                step = 0
                if len(sprites) > 1:  # the gait follows time and pace, not the frame rate
                    step = gait_phase(i / self.fps, abs(b.init.get("drive") or 0.0)) % len(sprites)
                spr = sprites[step]
                mirror = b.init.get("v", (0, 0))[0] < 0 or (b.init.get("drive") or 0) < 0
                if b.thing is not None:  # a catalogue picture is mirrored when it moves against its look
                    vx = b.init.get("v", (0, 0))[0]
                    mirror = vx != 0 and (vx > 0) == things.get(b.thing).faces_left
                if mirror:
                    spr = spr[:, ::-1]  # figures face where they go
                cy -= figures.thing_bob(b, i / self.fps) * w.scale  # a horse's gallop bounces
            self._paste(img, spr, cx, cy)
            return
        spr = self._rigid_sprite(b, float(p[2]))
        self._paste(img, spr, cx, cy)

    _ANGLE_BINS = 64  # per symmetry period; sprites are cached per (look, angle bin)
    _PERIOD = {"ball": math.pi, "box": math.pi / 2, "can": math.pi}

    def _rigid_sprite(self, b: Body, ang: float) -> np.ndarray:
        """Premultiplied RGBA sprite of a rotating body at angle ``ang`` (radians), cached by angle bin."""
        period = self._PERIOD.get(b.kind, 2 * math.pi)
        k = int(round((ang % period) / period * self._ANGLE_BINS)) % self._ANGLE_BINS
        key = (b.kind, b.shape, b.half, b.rgb, b.material, k, b.thing, b.tint)
        spr = self._rigid_cache.get(key)
        if spr is None:
            spr = self._draw_rigid(b, k * period / self._ANGLE_BINS)
            if spr.shape[0] * spr.shape[1] <= 160 * 160:  # big sprites (1024 px frames) are not worth keeping
                self._rigid_cache[key] = spr
        return spr

    def _thing_sprite(self, b: Body, angle_bin: int) -> np.ndarray:
        """The catalogue thing's picture at the body's height, tinted if asked, lit like the scene."""
        h_px = max(2, int(round(2 * b.half[1] * self.world.scale)))
        return sprites.sprite(things.get(b.thing).emoji, h_px, b.tint, angle_bin % self._ANGLE_BINS,
                              self._ANGLE_BINS, round(0.6 + 0.4 * self.light, 3))

    def _draw_rigid(self, b: Body, ang: float) -> np.ndarray:
        if b.thing is not None and sprites.available():
            return self._thing_sprite(b, int(round(ang / (2 * math.pi) * self._ANGLE_BINS)))
        s = self.world.scale
        r = b.radius * s
        n = int(math.ceil((max(b.half) * 1.5 if b.shape == "poly" else b.radius) * s)) + 2
        c = (np.arange(-n, n + 1, dtype=np.float32))
        dx = c[None, :]
        dy = -c[:, None]  # y up
        ca, sa = math.cos(ang), math.sin(ang)
        lx = ca * dx + sa * dy  # into the body's frame
        ly = -sa * dx + ca * dy
        rgb = np.array(b.rgb, np.float32) * (0.55 + 0.45 * self.light)
        if b.shape == "circle":
            d = np.hypot(dx, dy)
            sd = d - r
            # Lambert-ish shading from a light up-left, a stripe that shows the spin, a specular dot
            nz = np.sqrt(np.clip(1.0 - (d / max(r, 1e-6)) ** 2, 0, 1))
            # kept within 0.55..1.15 so the ball still reads as its own colour on its dark side
            lam = np.clip(0.55 + 0.45 * (nz * 0.75 + (-dx * 0.35 + dy * 0.55) / max(r, 1e-6)), 0.55, 1.15)
            stripe = np.abs(ly) < 0.1 * r + 0.5
            col = rgb[None, None, :] * lam[..., None] * np.where(stripe, 0.72, 1.0)[..., None]
            spec = np.exp(-(((dx + 0.35 * r) ** 2 + (dy - 0.4 * r) ** 2) / max((0.18 * r) ** 2, 0.5)))
            col = col + (255 - col) * (0.6 * spec)[..., None]
        else:
            hw, hh = b.half[0] * s, b.half[1] * s
            if b.kind == "bottle":
                body = np.maximum(np.abs(lx) - hw, np.abs(ly + 0.2 * hh) - 0.8 * hh)
                neck = np.maximum(np.abs(lx) - 0.38 * hw, np.abs(ly - 0.6 * hh) - 0.4 * hh)
                sd = np.minimum(body, neck)
            elif b.kind == "can":
                sd = np.maximum(np.abs(lx) - hw, np.abs(ly) - hh)
            else:
                verts = np.array(b.verts, np.float32) * s
                sd = _sd_poly(lx, ly, verts)
            shade = 0.92 + 0.16 * np.clip(ly / max(hh, 1), -1, 1) - 0.08 * np.clip(lx / max(hw, 1), -1, 1)
            edge = np.where(sd > -max(1.0, 0.06 * min(hw, hh)), 0.68, 1.0)
            col = rgb[None, None, :] * (shade * edge)[..., None]
            if b.kind == "can":
                band = np.abs(ly) < 0.3 * hh
                col = np.where(band[..., None], col * 0.8 + 40, col)
            if b.material == "glass":
                col = col * 0.85 + 30
        a = _cover(sd)[..., None]
        if b.material == "glass":
            a = a * 0.85
        return np.concatenate([np.clip(col, 0, 255) * a, a], axis=-1).astype(np.float32)

    def _paste(self, img: np.ndarray, spr: np.ndarray, cx: float, cy: float) -> None:
        """Composite a premultiplied RGBA sprite with its centre pixel at (cx, cy) px (rounded)."""
        h, w = spr.shape[:2]
        X0, Y0 = int(math.floor(cx - w / 2 + 0.5)), int(math.floor(cy - h / 2 + 0.5))
        H, W = img.shape[:2]
        x0, y0, x1, y1 = max(0, X0), max(0, Y0), min(W, X0 + w), min(H, Y0 + h)
        if x1 <= x0 or y1 <= y0:
            return
        s = spr[y0 - Y0 : y1 - Y0, x0 - X0 : x1 - X0]
        with _float_patch(img, y0, y1, x0, x1) as patch:
            patch *= 1 - s[..., 3:]
            patch += s[..., :3]

    def _camera(self, img: np.ndarray, i: int) -> np.ndarray:
        u = i / max(self.n_frames - 1, 1)
        u = u * u * (3 - 2 * u)  # ease in and out
        H, W = self.H, self.W
        if self.camera == "picture":  # a steady slow move across the start picture
            cx, cy, z = picture.camera_window(i / max(self.n_frames - 1, 1), W, H)
            return _resample(img, cx, cy, z)
        ax, ay = self._action_px[min(i, len(self._action_px) - 1)]
        if self.camera == "pan":  # follows the action sideways, keeping the ground in view
            z = 1.25
            cx = ax
            cy = H - H / (2 * z)
        elif self.camera in ("tilt_up", "tilt_down"):  # the view rises from the ground to the sky (or falls)
            z = 1.4
            v = u if self.camera == "tilt_up" else 1 - u
            cx = W / 2
            cy = H - H / (2 * z) - v * (H - H / z)
        elif self.camera == "shake":  # a handheld camera shaken hard: jitter of ~2 % of the frame each frame
            z = 1.12
            j = np.random.default_rng([self.rng_seed, 11, i]).normal(0, 0.02, 2)
            cx, cy = W / 2 + j[0] * W, H / 2 + j[1] * H
        elif self.camera == "rack_focus":  # out of focus at first, sharp by the middle of the clip
            blur = max(0.0, 1.0 - 2.0 * u)
            return _defocus(img, blur) if blur > 0.02 else img
        else:  # zooms towards the action
            z = 1.0 + 0.45 * (u if self.camera == "zoom_in" else 1 - u)
            cx = W / 2 + (ax - W / 2) * (1 - 1 / z) * 2
            cy = H / 2 + (ay - H / 2) * (1 - 1 / z) * 2
        cx = float(np.clip(cx, W / (2 * z), W - W / (2 * z)))
        cy = float(np.clip(cy, H / (2 * z), H - H / (2 * z)))
        return _resample(img, cx, cy, z)


def _defocus(img: np.ndarray, amount: float) -> np.ndarray:
    """``img`` out of focus by ``amount`` (0 sharp .. 1: a box blur of ~3 % of the width), as uint8.

    OpenCV's box blur on the uint8 frame (edges repeated): ~0.2 ms for 256², where a float cumulative-sum blur
    cost several ms."""
    import cv2  # on the first moving-camera frame only: a static clip never pays for the import

    r = max(1, int(round(amount * 0.03 * img.shape[1])))
    return cv2.blur(img, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REPLICATE)


def _resample(img: np.ndarray, cx: float, cy: float, z: float) -> np.ndarray:
    """The view of ``img`` centred on (cx, cy) px at zoom ``z``, resampled bilinearly to the frame's size.

    One affine warp of the uint8 frame (OpenCV, edges repeated): output pixel centre x + 0.5 looks at
    cx + (x + 0.5 - W/2) / z in the input, and likewise for y. ~0.3 ms for 256², where float bilinear sampling
    cost 3-5 ms and put every moving-camera clip over the speed goal."""
    import cv2

    H, W = img.shape[:2]
    m = np.array([[1 / z, 0.0, cx + (0.5 - W / 2) / z - 0.5],
                  [0.0, 1 / z, cy + (0.5 - H / 2) / z - 0.5]], np.float64)
    return cv2.warpAffine(np.ascontiguousarray(img), m, (W, H), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)
