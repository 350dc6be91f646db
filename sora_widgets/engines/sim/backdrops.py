"""Backdrops: the place a prompt names, drawn once behind the action (issue 18).

``scene["backdrop"]`` names an entry of :data:`.vocab.BACKDROPS` ("alley", "canyon", "library", ...). Its
``draw`` says which structure is painted over the sky, above the ground line, in the entry's two colours:
buildings with lit windows, a back wall with shelves of goods, framed pictures, a corridor or stairs in
perspective, mountain ridges, trees, a water horizon, a waterfall, an underwater tint with coral, a tower,
a temple with columns, a bridge, a house, clouds. Shapes are simple polygons and rectangles drawn with
anti-aliased coverage; the random layout comes from the clip's seed, so the same request draws the same place.

Units: pixels (``floor_y`` is the ground line's row; ``scale`` is pixels per metre).
"""

from __future__ import annotations

import numpy as np

from . import vocab

__all__ = ["draw"]


def _rgb(name: str, light: float) -> np.ndarray:
    return np.array(vocab.hex_to_rgb(vocab.colors()[name]), np.float32) * (0.55 + 0.45 * light)


def _rect(img: np.ndarray, x0: float, y0: float, x1: float, y1: float, rgb, alpha: float = 1.0) -> None:
    """Fill a rectangle (px, y down) with coverage-weighted edges."""
    H, W = img.shape[:2]
    xa, xb = max(0, int(np.floor(x0))), min(W, int(np.ceil(x1)))
    ya, yb = max(0, int(np.floor(y0))), min(H, int(np.ceil(y1)))
    if xa >= xb or ya >= yb:
        return
    xs = np.arange(xa, xb, dtype=np.float32) + 0.5
    ys = np.arange(ya, yb, dtype=np.float32) + 0.5
    cx = np.clip(np.minimum(xs - x0, x1 - xs) + 0.5, 0, 1)[None, :]
    cy = np.clip(np.minimum(ys - y0, y1 - ys) + 0.5, 0, 1)[:, None]
    a = (cx * cy * alpha)[..., None]
    img[ya:yb, xa:xb] = img[ya:yb, xa:xb] * (1 - a) + np.asarray(rgb, np.float32) * a


def _ridge(img: np.ndarray, heights: np.ndarray, floor_y: float, rgb, alpha: float = 1.0) -> None:
    """Fill everything between a skyline (``heights[x]``: px above the ground line) and the ground line."""
    H, W = img.shape[:2]
    top = floor_y - heights[None, :]
    ys = np.arange(H, dtype=np.float32)[:, None] + 0.5
    a = np.clip(ys - top + 0.5, 0, 1) * (ys < floor_y + 1)
    a = (a * alpha)[..., None]
    img[:] = img * (1 - a) + np.asarray(rgb, np.float32) * a


def _city(img, floor_y, W, main, second, rng, light, narrow: bool) -> None:
    x = 0.0
    while x < W:
        bw = rng.uniform(0.1, 0.2) * W
        bh = rng.uniform(0.35, 0.85) * floor_y
        shade = rng.uniform(0.8, 1.1)
        _rect(img, x, floor_y - bh, x + bw - 1, floor_y, main * shade)
        wy = floor_y - bh + 0.06 * bh
        lit = second * (1.15 if light < 0.8 else 0.95)  # windows glow at night
        while wy < floor_y - 0.1 * bh:
            for wx in np.arange(x + 0.15 * bw, x + bw - 0.2 * bw, 0.25 * bw):
                if rng.random() < 0.8:
                    _rect(img, wx, wy, wx + 0.12 * bw, wy + 0.05 * bh, lit)
            wy += 0.12 * bh
        x += bw
    if narrow:  # an alley: two dark walls close in from the sides
        for side in (0, 1):
            x0, x1 = (0, 0.14 * W) if side == 0 else (0.86 * W, W)
            _rect(img, x0, 0, x1, floor_y, main * 0.6)


def _shelves(img, floor_y, W, main, second, rng) -> None:
    _rect(img, 0.05 * W, 0.12 * floor_y, 0.95 * W, floor_y, main * 0.8)
    for k in range(4):
        y = (0.12 + 0.22 * (k + 1)) * floor_y
        _rect(img, 0.05 * W, y - 0.025 * floor_y, 0.95 * W, y, main * 0.55)
        x = 0.07 * W
        while x < 0.93 * W:  # goods on the shelf: boxes, jars, loaves, books
            gw = rng.uniform(0.02, 0.06) * W
            gh = rng.uniform(0.08, 0.17) * floor_y
            tint = second * rng.uniform(0.6, 1.2) + rng.uniform(-30, 30, 3)
            _rect(img, x, y - 0.025 * floor_y - gh, x + gw, y - 0.025 * floor_y, np.clip(tint, 0, 255))
            x += gw + rng.uniform(0.0, 0.02) * W


def _gallery(img, floor_y, W, main, second, rng) -> None:
    for k in range(3):
        cx = (0.2 + 0.3 * k) * W
        _rect(img, cx - 0.1 * W, 0.2 * floor_y, cx + 0.1 * W, 0.6 * floor_y, second * 0.7)  # frame
        _rect(img, cx - 0.085 * W, 0.22 * floor_y, cx + 0.085 * W, 0.58 * floor_y,
              np.clip(rng.uniform(40, 230, 3), 0, 255))  # the picture
    _rect(img, 0, 0.9 * floor_y, W, floor_y, main * 0.7)  # skirting


def _corridor(img, floor_y, W, main, second) -> None:
    H = img.shape[0]
    ys = np.arange(H, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(W, dtype=np.float32)[None, :] + 0.5
    cx, cy = W / 2, 0.5 * floor_y
    # the far end: a lit doorway; the walls converge towards it
    d = np.maximum(np.abs(xs - cx) / (0.5 * W), np.abs(ys - cy) / (0.5 * floor_y + 1e-3))
    wall = (d > 0.25) & (ys < floor_y)
    shade = np.clip(0.55 + 0.5 * d, 0, 1.1)[..., None]
    img[:] = np.where(wall[..., None], main * shade, img)
    _rect(img, cx - 0.12 * W, cy - 0.14 * floor_y, cx + 0.12 * W, cy + 0.12 * floor_y, second)
    for k in range(1, 5):  # ceiling lights receding
        f = 0.25 + 0.18 * k
        _rect(img, cx - 0.05 * W * f * 2, cy - 0.5 * floor_y * f - 2, cx + 0.05 * W * f * 2,
              cy - 0.5 * floor_y * f + 1, second * 1.1)


def _stairs(img, floor_y, W, main, second) -> None:
    n = 7
    for k in range(n):
        y1 = floor_y - k * 0.11 * floor_y
        x0 = 0.15 * W + k * 0.07 * W
        _rect(img, x0, y1 - 0.11 * floor_y, 0.95 * W, y1, main * (1.0 - 0.05 * k))
        _rect(img, x0, y1 - 0.11 * floor_y, 0.95 * W, y1 - 0.09 * floor_y, second)  # the tread's nosing


def _mountains(img, floor_y, W, main, second, rng) -> None:
    x = np.arange(W, dtype=np.float32)
    for layer, (amp, shade) in enumerate(((0.85, 0.75), (0.6, 1.0))):
        peaks = rng.uniform(0, W, 4)
        h = np.zeros(W, np.float32)
        for p in peaks:
            ph = rng.uniform(0.5, 1.0) * amp * floor_y
            h = np.maximum(h, ph - np.abs(x - p) * rng.uniform(0.9, 1.6))
        h = np.maximum(h, 0.12 * floor_y)
        _ridge(img, h, floor_y, main * shade)
        if layer == 0:  # snow or pale rock on the far peaks
            cap = np.maximum(h - 0.75 * h.max(), 0)
            top = floor_y - h
            ys = np.arange(img.shape[0], dtype=np.float32)[:, None] + 0.5
            a = ((ys >= top[None, :]) & (ys < top[None, :] + cap[None, :] * 1.2)).astype(np.float32)[..., None]
            img[:] = img * (1 - a) + second * a


def _trees(img, floor_y, W, main, second, rng) -> None:
    for _ in range(max(8, W // 18)):
        cx = rng.uniform(0, W)
        th = rng.uniform(0.3, 0.8) * floor_y
        tw = rng.uniform(0.05, 0.09) * W
        _rect(img, cx - 0.012 * W, floor_y - 0.35 * th, cx + 0.012 * W, floor_y, second)
        x = np.arange(W, dtype=np.float32)
        h = np.where(np.abs(x - cx) < tw, th - np.abs(x - cx) * th / tw * 0.8, 0)
        shade = rng.uniform(0.75, 1.15)
        top = floor_y - h
        ys = np.arange(img.shape[0], dtype=np.float32)[:, None] + 0.5
        a = ((ys >= top[None, :]) & (ys < floor_y - 0.25 * th) & (h[None, :] > 0)).astype(np.float32)[..., None]
        img[:] = img * (1 - a) + main * shade * a


def _water(img, floor_y, W, main, second) -> None:
    top = 0.62 * floor_y
    _rect(img, 0, top, W, floor_y, main)
    for k in range(6):  # glints on the water
        y = top + (k + 0.5) * (floor_y - top) / 6
        _rect(img, 0, y, W, y + 1, second, 0.35)


def _waterfall(img, floor_y, W, main, second) -> None:
    _rect(img, 0, 0.15 * floor_y, 0.38 * W, floor_y, main)  # rock on each side
    _rect(img, 0.62 * W, 0.15 * floor_y, W, floor_y, main * 0.85)
    _rect(img, 0.38 * W, 0.15 * floor_y, 0.62 * W, floor_y, second)
    for k in range(7):  # streaks of falling water
        x = 0.4 * W + k * 0.032 * W
        _rect(img, x, 0.15 * floor_y, x + 1.2, floor_y, main * 1.3, 0.35)


def _underwater(img, floor_y, W, main, second, rng) -> None:
    img[:] = img * 0.35 + main * 0.65
    x = np.arange(W, dtype=np.float32)
    for _ in range(5):  # coral fans on the bed
        cx = rng.uniform(0, W)
        h = np.maximum(0, rng.uniform(0.15, 0.3) * floor_y - np.abs(x - cx) * 1.5)
        _ridge(img, h, floor_y, second * rng.uniform(0.8, 1.1))


def _tower(img, floor_y, W, main) -> None:
    cx = 0.62 * W
    x = np.arange(W, dtype=np.float32)
    u = np.abs(x - cx) / (0.16 * W)  # 0 on the axis, 1 at the feet
    h = np.where(u < 1, 0.92 * floor_y * (1 - u) ** 2, 0)  # a lattice tower's concave flanks
    before = img.copy()
    _ridge(img, h, floor_y, main)
    arch = np.where(u < 0.45, 0.2 * floor_y * (1 - (u / 0.45) ** 2), 0)  # the arch between its feet
    ys = np.arange(img.shape[0], dtype=np.float32)[:, None] + 0.5
    a = ((ys >= floor_y - arch[None, :]) & (ys < floor_y) & (arch[None, :] > 0))[..., None]
    img[:] = np.where(a, before, img)
    for f in (0.3, 0.55):  # its platforms
        _rect(img, cx - 0.16 * W * (1 - np.sqrt(f)) - 2, floor_y - f * 0.92 * floor_y - 1.5,
              cx + 0.16 * W * (1 - np.sqrt(f)) + 2, floor_y - f * 0.92 * floor_y + 1.5, main * 0.8)


def _temple(img, floor_y, W, main, second) -> None:
    x0, x1 = 0.2 * W, 0.8 * W
    top = 0.45 * floor_y
    _rect(img, x0, floor_y - 0.06 * floor_y, x1, floor_y, main * 0.85)  # steps
    for k in range(7):
        cx = x0 + (k + 0.5) * (x1 - x0) / 7
        _rect(img, cx - 0.018 * W, top + 0.1 * floor_y, cx + 0.018 * W, floor_y - 0.06 * floor_y, main)
    _rect(img, x0 - 0.02 * W, top, x1 + 0.02 * W, top + 0.1 * floor_y, second)  # entablature
    x = np.arange(W, dtype=np.float32)
    ped = np.where((x > x0) & (x < x1), 0.14 * floor_y * (1 - np.abs(x - W / 2) / ((x1 - x0) / 2)), 0)
    ys = np.arange(img.shape[0], dtype=np.float32)[:, None] + 0.5
    a = ((ys < top) & (ys >= top - ped[None, :]) & (ped[None, :] > 0)).astype(np.float32)[..., None]
    img[:] = img * (1 - a) + second * 0.9 * a


def _bridge(img, floor_y, W, main, second) -> None:
    _water(img, floor_y, W, second, second * 1.2)
    deck = 0.45 * floor_y
    _rect(img, 0, deck, W, deck + 0.05 * floor_y, main)
    for cx in (0.25 * W, 0.75 * W):
        _rect(img, cx - 0.02 * W, 0.1 * floor_y, cx + 0.02 * W, floor_y, main)
    x = np.arange(W, dtype=np.float32)
    for k in range(0, W, max(2, W // 40)):  # hanger cables under the main cable
        sag = 0.1 * floor_y + 0.3 * floor_y * (1 - ((x[k] % (0.5 * W)) / (0.25 * W) - 1) ** 2)
        _rect(img, x[k], sag, x[k] + 0.8, deck, main, 0.6)


def _house(img, floor_y, W, main, second) -> None:
    x0, x1 = 0.45 * W, 0.85 * W
    wall_top = 0.45 * floor_y
    _rect(img, x0, wall_top, x1, floor_y, second)
    x = np.arange(W, dtype=np.float32)
    roof = np.where((x > x0 - 0.04 * W) & (x < x1 + 0.04 * W),
                    0.25 * floor_y * (1 - np.abs(x - (x0 + x1) / 2) / ((x1 - x0) / 2 + 0.04 * W)), 0)
    ys = np.arange(img.shape[0], dtype=np.float32)[:, None] + 0.5
    a = ((ys < wall_top + 2) & (ys >= wall_top - roof[None, :]) & (roof[None, :] > 0)).astype(np.float32)[..., None]
    img[:] = img * (1 - a) + main * a
    _rect(img, (x0 + x1) / 2 - 0.04 * W, floor_y - 0.28 * floor_y, (x0 + x1) / 2 + 0.04 * W, floor_y, main * 0.6)
    _rect(img, x0 + 0.04 * W, wall_top + 0.12 * floor_y, x0 + 0.11 * W, wall_top + 0.24 * floor_y, (250, 240, 190))


def _clouds(img, floor_y, W, main, rng) -> None:
    H = img.shape[0]
    ys = np.arange(H, dtype=np.float32)[:, None] + 0.5
    xs = np.arange(W, dtype=np.float32)[None, :] + 0.5
    for _ in range(5):
        cx, cy = rng.uniform(0, W), rng.uniform(0.1, 0.6) * floor_y
        rx, ry = rng.uniform(0.1, 0.2) * W, rng.uniform(0.04, 0.08) * floor_y
        k = np.hypot((xs - cx) / rx, (ys - cy) / ry)
        a = (np.clip((1.0 - k) * 4, 0, 1) * 0.85)[..., None]
        img[:] = img * (1 - a) + main * a


def draw(img: np.ndarray, name: str | None, floor_y: float, light: float, rng: np.random.Generator) -> None:
    """Paint backdrop ``name`` (a key of :data:`.vocab.BACKDROPS`; None: nothing) over ``img`` in place.

    Args:
        img: (H, W, 3) float32 background with its sky drawn, before the ground.
        name: the scene's ``backdrop``.
        floor_y: row (px) of the ground line; the backdrop stands on it (the frame's height with no ground).
        light: the time of day's light (0.6 at night .. 1.0 by day): the structures are dimmed with it.
        rng: the renderer's generator (the layout of windows, peaks and trees).
    """
    spec = vocab.BACKDROPS.get(name) if name else None
    if spec is None:
        return
    W = img.shape[1]
    floor_y = float(min(max(floor_y, 1.0), img.shape[0]))
    main, second = (_rgb(c, light) for c in spec["colors"])
    kind = spec["draw"]
    if kind == "city":
        _city(img, floor_y, W, main, second, rng, light, narrow=name == "alley")
    elif kind == "shelves":
        _shelves(img, floor_y, W, main, second, rng)
    elif kind == "gallery":
        _gallery(img, floor_y, W, main, second, rng)
    elif kind == "corridor":
        _corridor(img, floor_y, W, main, second)
    elif kind == "stairs":
        _stairs(img, floor_y, W, main, second)
    elif kind == "mountains":
        _mountains(img, floor_y, W, main, second, rng)
    elif kind == "trees":
        _trees(img, floor_y, W, main, second, rng)
    elif kind == "water":
        _water(img, floor_y, W, main, second)
    elif kind == "waterfall":
        _waterfall(img, floor_y, W, main, second)
    elif kind == "underwater":
        _underwater(img, floor_y, W, main, second, rng)
    elif kind == "tower":
        _tower(img, floor_y, W, main)
    elif kind == "temple":
        _temple(img, floor_y, W, main, second)
    elif kind == "bridge":
        _bridge(img, floor_y, W, main, second)
    elif kind == "house":
        _house(img, floor_y, W, main, second)
    elif kind == "clouds":
        _clouds(img, floor_y, W, main, rng)
