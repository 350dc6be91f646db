"""Liquids: a body of water things float or sink in, and a liquid poured as particles (into a glass, or spilt).

Water body (``scene["water"]``: "in the water", "on a paddleboard", "a duck floats on the lake"): the water fills
the view from the ground up to ``level`` metres. Every dynamic body below the surface feels Archimedes' force,
``WATER_DENSITY`` x submerged area x g upwards at the submerged centroid, and a drag (linear and quadratic in
its speed, and on its spin) in proportion to the submerged share; so a body lighter than water floats with the
right share under, a heavier one sinks slowly. A body entering the surface fast enough throws up a splash of
droplets (ballistic, drawn but not simulated) and is heard.

Poured liquid (``scene["liquid"]`` with ``pour``: "water pours into a glass", "milk spills on the floor"):
``PARTICLES`` small frictionless circles leave a tilted jug's spout at a steady rate and fall into a glass (or
onto the floor), in their own pymunk space stepped every second sub-step (the bodies of the scene do not feel
them; they feel the floor, walls and the glass). Drawn as one surface: particles splatted and blurred, then
thresholded (metaballs). Heard as a stream whose resonance rises as the glass fills (the air column above the
liquid shortens), with drops plinking.

Units: metres, seconds, kg per m² (2D densities, as :data:`vocab.MATERIALS`), pixels where said.
"""

from __future__ import annotations

import math

import numpy as np
import pymunk
import pymunk.batch

__all__ = ["LIQUIDS", "WATER_DENSITY", "PARTICLES", "Pour", "WaterBody", "container_shape", "draw_pour",
           "draw_water", "pour_sound", "water_sound"]

_SPRAY = np.array([235.0, 245.0, 252.0], np.float32)  # droplets catch the light: near white
WATER_DENSITY = 1.0  # kg/m² in the engine's 2D units (the materials' densities are relative to water)
DRAG_LINEAR = 2.0  # 1/s: fully submerged, a body loses this share of its speed per second (plus quadratic drag)
DRAG_QUADRATIC = 1.2  # 1/m
HEAVE_MAX = 15.0  # cap of the heave damping's multiplier (a 5 t boat is damped, not frozen in place)
SPLASH_SPEED = 0.8  # m/s: a body crossing the surface faster than this splashes
PARTICLES = 110  # poured particles (about 4/5 of a glass)
PARTICLE_R = 0.035  # metres
POUR_S = (0.3, 2.6)  # seconds the stream runs
POUR_X = 0.58  # the container's centre, share of the view's width
SPOUT_DX = 0.45  # metres from the spout (left) to the container's centre
#: Liquids by name: RGB and opacity of the surface.
LIQUIDS: dict[str, dict] = {
    "water": {"words": ["water", "waters", "eau"], "rgb": (70, 150, 230), "alpha": 0.7},
    "milk": {"words": ["milk", "lait", "cream"], "rgb": (248, 248, 242), "alpha": 0.97},
    "juice": {"words": ["juice", "orange juice", "jus"], "rgb": (250, 160, 30), "alpha": 0.9},
    "wine": {"words": ["wine", "vin"], "rgb": (120, 20, 45), "alpha": 0.9},
    "coffee": {"words": ["coffee", "café", "espresso"], "rgb": (90, 55, 30), "alpha": 0.97},
    "tea": {"words": ["tea", "thé"], "rgb": (170, 100, 40), "alpha": 0.85},
    "honey": {"words": ["honey", "syrup", "miel"], "rgb": (235, 170, 40), "alpha": 0.9},
    "oil": {"words": ["oil", "huile"], "rgb": (220, 200, 70), "alpha": 0.85},
    "lemonade": {"words": ["lemonade", "soda", "cola"], "rgb": (240, 235, 160), "alpha": 0.8},
    "paint": {"words": ["paint", "peinture"], "rgb": (200, 40, 160), "alpha": 1.0},
    "liquid": {"words": ["liquid", "fluid", "liquide"], "rgb": (70, 150, 230), "alpha": 0.75},
}


# ----------------------------------------------------------------------------- water body
def _submerged(shape: pymunk.Shape, level: float) -> tuple[float, tuple[float, float]]:
    """(area m² below y = level, its centroid in world metres) of a circle or convex polygon."""
    body = shape.body
    if isinstance(shape, pymunk.Circle):
        c = body.local_to_world(shape.offset)
        r = shape.radius
        h = level - (c.y - r)  # depth of the circle below the surface
        if h <= 0:
            return 0.0, (c.x, c.y)
        if h >= 2 * r:
            return math.pi * r * r, (c.x, c.y)
        d = r - h  # signed distance of the surface line from the centre (positive: the centre is above)
        area = r * r * math.acos(d / r) - d * math.sqrt(max(r * r - d * d, 0.0))
        cy = c.y - 2 * (r * r - d * d) ** 1.5 / (3 * max(area, 1e-12))
        return area, (c.x, cy)
    pts = [body.local_to_world(v) for v in shape.get_vertices()]
    clipped = []
    k = len(pts)
    for i in range(k):
        a, b = pts[i], pts[(i + 1) % k]
        if a.y <= level:
            clipped.append((a.x, a.y))
        if (a.y - level) * (b.y - level) < 0:
            u = (level - a.y) / (b.y - a.y)
            clipped.append((a.x + (b.x - a.x) * u, level))
    if len(clipped) < 3:
        return 0.0, (body.position.x, body.position.y)
    x = np.array([p[0] for p in clipped])
    y = np.array([p[1] for p in clipped])
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a2 = float(cross.sum())
    if abs(a2) < 1e-12:
        return 0.0, (body.position.x, body.position.y)
    return abs(a2) / 2, (float(((x + x1) * cross).sum()) / (3 * a2), float(((y + y1) * cross).sum()) / (3 * a2))


class WaterBody:
    """Buoyancy, drag and splashes for the dynamic bodies of a space under a flat surface at ``level`` m.

    Hollow things are lighter than their side view's area says (a ball is air inside, a paddleboard is wider
    than it looks from the side): a body may set ``init["float_share"]``, the share of it under water when it
    floats (with ``init["carries"]``, the names of the bodies standing on it, counted in its load); its
    Archimedes force is scaled so that it floats so.

    Args:
        space: the pymunk space (every dynamic body in it is affected, shards included).
        level: height of the surface, metres above the ground.
        gravity: m/s² downwards.
        dt: the sub-step, seconds. Forces are applied as impulses every ``EVERY`` sub-steps (the same mean force
            at half the cost).
        bodies, pm_bodies: the scene's bodies and their pymunk bodies, in the same order (for ``float_share``).
    """

    EVERY = 2

    def __init__(self, space: pymunk.Space, level: float, gravity: float, dt: float, bodies=(),
                 pm_bodies=()) -> None:
        self.space, self.level, self.g, self.dt = space, level, gravity, dt
        self.was_under: dict[int, bool] = {}
        self.splashes: list[dict] = []  # {"t", "x", "speed", "width", "mass"}
        # id(pymunk body) -> (share under water, its area m², the pymunk bodies it may carry)
        self.floats: dict[int, tuple[float, float, list]] = {}
        by_name = {b.name: pb for b, pb in zip(bodies, pm_bodies, strict=True)}
        for b, pb in zip(bodies, pm_bodies, strict=True):
            share = b.init.get("float_share")
            if share:
                riders = [by_name[n] for n in b.init.get("carries", ()) if n in by_name]
                self.floats[id(pb)] = (share, max(sum(sh.area for sh in pb.shapes), 1e-6), riders)

    def _factor(self, body: pymunk.Body) -> float:
        """Multiplier of the body's Archimedes force so it floats with its share under water, carrying the riders
        standing on it now (a board a gymnast has jumped off floats as an empty board does: it does not leap
        out of the water with the lift that carried her)."""
        spec = self.floats.get(id(body))
        if spec is None:
            return 1.0
        share, area, riders = spec
        load = body.mass
        if riders:  # riders touching it and not leaving it (a take-off sets a rider rising at once)
            touching: set[int] = set()
            body.each_arbiter(lambda arb: touching.update(id(s.body) for s in arb.shapes))
            load += sum(r.mass for r in riders if id(r) in touching and r.velocity.y - body.velocity.y < 0.3)
        return max(load / (share * WATER_DENSITY * area), 1.0)

    def before_step(self, step: int) -> None:
        if step % self.EVERY:
            return
        h = self.dt * self.EVERY
        for body in self.space.bodies:
            if body.body_type != pymunk.Body.DYNAMIC:
                continue
            area = 0.0
            fx = fy = 0.0
            total = 0.0
            for shape in body.shapes:
                bb = shape.bb
                total += (bb.right - bb.left) * (bb.top - bb.bottom)
                if bb.bottom >= self.level:
                    continue
                a, (cx, cy) = _submerged(shape, self.level)
                if a > 0:
                    area += a
                    fx += a * cx
                    fy += a * cy
            key = id(body)
            under = area > 0
            if under and not self.was_under.get(key, False) and body.velocity.y < -SPLASH_SPEED:
                bb = next(iter(body.shapes)).bb
                self.splashes.append({"t": step * self.dt, "x": float(body.position.x),
                                      "speed": float(-body.velocity.y), "width": float(bb.right - bb.left),
                                      "mass": float(body.mass)})
            self.was_under[key] = under
            if not under:
                continue
            share = min(area / max(total * 0.8, 1e-9), 1.0)
            factor = self._factor(body)
            lift = WATER_DENSITY * area * self.g * h * factor
            body.apply_impulse_at_world_point((0.0, lift), (fx / area, fy / area))
            v = body.velocity
            speed = v.length
            damp = math.exp(-(DRAG_LINEAR + DRAG_QUADRATIC * speed) * share * h)
            # heaving moves water in proportion to the lift: a hollow board's bob dies out as fast as it rises
            heave = math.exp(-(DRAG_LINEAR + DRAG_QUADRATIC * abs(v.y)) * share * h * min(factor, HEAVE_MAX))
            body.velocity = (v.x * damp, v.y * heave)
            if math.isfinite(body.moment):
                body.angular_velocity *= math.exp(-3.0 * share * h)


def splash_drops(splash: dict, seed: int) -> np.ndarray:
    """(k, 4) droplets of a splash: x0, y0 (m), vx, vy (m/s) at the splash's time; more for a harder entry."""
    rng = np.random.default_rng([seed, int(splash["t"] * 1000), 5])
    k = int(np.clip(8 + 14 * splash["speed"] * splash["width"], 8, 50))
    side = rng.choice([-1.0, 1.0], k)
    x0 = splash["x"] + side * splash["width"] * rng.uniform(0.3, 0.6, k)
    vx = side * rng.uniform(0.3, 1.6, k) * min(splash["speed"], 4.0) ** 0.5
    vy = rng.uniform(0.4, 1.0, k) * min(0.8 + 0.4 * splash["speed"], 3.0)  # a 7 m/s entry: up to half a metre
    return np.stack([x0, np.zeros(k), vx, vy], 1)


def draw_water(img: np.ndarray, world, water: dict, splashes: list[dict], t: float, seed: int) -> None:
    """Draw the water over the frame (translucent, so what is under the surface shows through, tinted), its
    moving surface line, and the droplets of every splash in the air at time ``t`` s. In place, uint8."""
    H, W = img.shape[:2]
    s = world.scale
    x = (np.arange(W, dtype=np.float32) + 0.5) / s
    # two slow travelling waves on the surface, a few cm high
    surf = water["level"] + 0.03 * np.sin(2.1 * x - 1.7 * t) + 0.015 * np.sin(5.3 * x + 2.3 * t + 1.0)
    _, ys = world.to_px(x, surf)
    y0 = max(0, int(np.floor(ys.min())) - 1)
    if y0 >= H:
        return
    rows = (np.arange(y0, H, dtype=np.float32) + 0.5)[:, None]
    cover = np.clip(rows - ys[None, :] + 0.5, 0.0, 1.0)  # 1 below the surface, anti-aliased at it
    depth = np.clip((rows - ys[None, :]) / (1.5 * s), 0.0, 1.0)
    rgb = np.array(water.get("rgb", LIQUIDS["water"]["rgb"]), np.float32)
    a = (0.45 + 0.3 * depth) * cover
    line = np.clip(1.0 - np.abs(rows - ys[None, :] - 0.8) / 1.2, 0.0, 1.0) * 0.6  # a bright edge at the surface
    patch = img[y0:].astype(np.float32)
    patch = patch * (1 - a[..., None]) + rgb * a[..., None]
    patch = patch * (1 - line[..., None]) + 235.0 * line[..., None]
    img[y0:] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
    g = world.gravity
    r = max(1.2, 0.045 * s)
    for sp in splashes:  # droplets in the air, anywhere in the frame
        age = t - sp["t"]
        if age < 0 or age > 1.5:
            continue
        d = splash_drops(sp, seed)
        wy = water["level"] + d[:, 3] * age - 0.5 * g * age * age
        keep = wy > water["level"] - 0.05  # the rest have fallen back in
        px, py = world.to_px(d[keep, 0] + d[keep, 2] * age, wy[keep])
        for cx, cy in zip(px, py, strict=True):
            xa, xb = max(int(cx - r - 1), 0), min(int(cx + r + 2), W)
            ya, yb = max(int(cy - r - 1), 0), min(int(cy + r + 2), H)
            if xb <= xa or yb <= ya:
                continue
            gx = np.arange(xa, xb, dtype=np.float32)[None, :] + 0.5
            gy = np.arange(ya, yb, dtype=np.float32)[:, None] + 0.5
            cov = np.clip(r + 0.5 - np.hypot(gx - cx, gy - cy), 0, 1)[..., None]
            sub = img[ya:yb, xa:xb].astype(np.float32)
            img[ya:yb, xa:xb] = np.clip(sub * (1 - cov) + _SPRAY * cov + 0.5, 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------- poured liquid
def container_shape(kind: str) -> dict:
    """Inner width, wall height and wall thickness (metres) of a container drawn large enough to see."""
    return {"glass": {"w": 0.62, "h": 0.95, "wall": 0.04}, "bowl": {"w": 1.2, "h": 0.45, "wall": 0.05},
            "mug": {"w": 0.6, "h": 0.75, "wall": 0.06}}.get(kind, {"w": 0.62, "h": 0.95, "wall": 0.04})


class Pour:
    """A stream of particles from a spout into a container (or onto the floor), in its own pymunk space.

    Args:
        liquid: ``scene["liquid"]`` ({"kind", "container" or None, ...}).
        world: the scene's ``physics.World`` (size of the view, gravity).
        dt: the main sub-step, seconds; the particles step every second one.
        seed: for the particles' jitter.
    """

    EVERY = 2

    def __init__(self, liquid: dict, world, dt: float, seed: int = 0) -> None:
        self.world, self.dt = world, dt
        self.rng = np.random.default_rng([seed, 11])
        sp = pymunk.Space()
        sp.iterations = 10
        sp.gravity = (0.0, -max(world.gravity, 0.5))
        st = sp.static_body
        segs = [pymunk.Segment(st, (-5.0, -0.05), (world.w + 5, -0.05), 0.05),
                pymunk.Segment(st, (-0.05, -1), (-0.05, 50), 0.05),
                pymunk.Segment(st, (world.w + 0.05, -1), (world.w + 0.05, 50), 0.05)]
        self.container = None
        cx = POUR_X * world.w
        if liquid.get("container"):
            c = container_shape(liquid["container"])
            left, right = cx - c["w"] / 2 - c["wall"] / 2, cx + c["w"] / 2 + c["wall"] / 2
            r = c["wall"] / 2
            segs += [pymunk.Segment(st, (left, 0.0), (left, c["h"]), r),
                     pymunk.Segment(st, (right, 0.0), (right, c["h"]), r),
                     pymunk.Segment(st, (left, r), (right, r), r)]
            self.container = {"kind": liquid["container"], "x": cx, **c}
        for s in segs:
            s.friction, s.elasticity = 0.1, 0.0
        sp.add(*segs)
        self.space = sp
        # the spout: above and left of the container's rim, pouring right
        top = self.container["h"] if self.container else 0.6
        self.spout = (cx - SPOUT_DX, min(top + 0.35, world.y_bottom + world.h - 0.4))
        self.particles: list[pymunk.Body] = []
        self.born: list[int] = []
        self.track: list[np.ndarray] = []
        n_steps = (POUR_S[1] - POUR_S[0]) / (dt * self.EVERY)
        self.per_step = PARTICLES / max(n_steps, 1.0)
        self.owed = 0.0

    def before_step(self, step: int) -> None:
        if step % self.EVERY:
            return
        t = step * self.dt
        if POUR_S[0] <= t < POUR_S[1] and len(self.particles) < PARTICLES:
            self.owed += self.per_step
            while self.owed >= 1.0 and len(self.particles) < PARTICLES:
                self.owed -= 1.0
                b = pymunk.Body(0.01, math.inf)
                b.position = (self.spout[0] + float(self.rng.uniform(-0.01, 0.01)),
                              self.spout[1] + float(self.rng.uniform(-0.02, 0.02)))
                b.velocity = (0.9 + float(self.rng.uniform(-0.05, 0.05)), -0.2)
                c = pymunk.Circle(b, PARTICLE_R)
                c.friction, c.elasticity = 0.0, 0.0
                self.space.add(b, c)
                self.particles.append(b)
                self.born.append(step)
        self.space.step(self.dt * self.EVERY)
        buf = pymunk.batch.Buffer()  # every body of this space is a particle, in the order added
        pymunk.batch.get_space_bodies(self.space, pymunk.batch.BodyFields.POSITION, buf)
        pts = np.frombuffer(buf.float_buf(), np.float64).reshape(-1, 2)[:len(self.particles)]  # none: one stray row
        self.track.append(pts.copy())

    def result(self) -> dict:
        """``frames``: per recorded step (every EVERY sub-steps) the (n, 2) particle positions, metres;
        ``fill``: the liquid's height in the container per recorded step (m); the spout and container."""
        fill = []
        for p in self.track:
            if self.container and len(p):
                c = self.container
                inside = p[(np.abs(p[:, 0] - c["x"]) < c["w"] / 2) & (p[:, 1] < c["h"])]
                fill.append(float(len(inside) * math.pi * PARTICLE_R**2 * 1.25 / c["w"]))
            else:
                fill.append(0.0)
        return {"frames": self.track, "every": self.EVERY, "fill": fill, "spout": self.spout,
                "container": self.container}


def draw_pour(img: np.ndarray, world, liquid: dict, pour: dict, k: int, paint: dict) -> None:
    """Draw the jug, the poured liquid at main sub-step ``k`` (metaballs), and the container in front of it.

    Args:
        img: (H, W, 3) uint8 frame, drawn in place.
        world: the scene's ``physics.World``.
        liquid: ``scene["liquid"]``.
        pour: :meth:`Pour.result`.
        k: the main sub-step of this frame.
        paint: the renderer's drawing primitives {"fill": fill(img, sd_fn, box, rgb, alpha), "poly": sd_poly,
            "capsule": sd_capsule} (shapes from signed distances in px, 1-px anti-aliasing).
    """
    from scipy.ndimage import gaussian_filter

    H, W = img.shape[:2]
    s = world.scale
    spec = LIQUIDS.get(liquid.get("kind", "water"), LIQUIDS["water"])
    rgb = np.array(liquid.get("rgb") or spec["rgb"], np.float32)
    layers = pour.get("_layers")
    if layers is None or layers[0] != (H, W):  # the jug and the glass do not move: drawn once per frame size
        layers = pour["_layers"] = ((H, W), _layer(H, W, lambda im: _draw_jug(im, world, pour, paint)),
                                    _layer(H, W, lambda im: _draw_container(im, world, pour, paint)))
    _composite(img, layers[1])
    frames = pour["frames"]
    j = min(k // pour["every"], len(frames) - 1) if frames else -1
    p = frames[j] if j >= 0 else np.zeros((0, 2))
    if len(p):
        px, py = world.to_px(p[:, 0], p[:, 1])
        pad = int(3 * PARTICLE_R * s) + 3
        x0, x1 = max(0, int(px.min()) - pad), min(W, int(px.max()) + pad + 1)
        y0, y1 = max(0, int(py.min()) - pad), min(H, int(py.max()) + pad + 1)
        if x1 > x0 and y1 > y0:
            dens = np.zeros((y1 - y0, x1 - x0), np.float32)
            ix = np.clip(px.astype(int) - x0, 0, x1 - x0 - 1)
            iy = np.clip(py.astype(int) - y0, 0, y1 - y0 - 1)
            np.add.at(dens, (iy, ix), 1.0)
            sigma = max(0.8, 1.1 * PARTICLE_R * s)
            dens = gaussian_filter(dens, sigma) * (2 * math.pi * sigma * sigma)
            a = np.clip((dens - 0.25) / 0.35, 0.0, 1.0) * spec["alpha"]
            # lighter where the surface is thin (edges, the stream), darker in depth
            shade = np.clip(0.85 + 0.25 * (1.0 - np.clip(dens / 3.0, 0, 1)), 0.7, 1.1)
            patch = img[y0:y1, x0:x1].astype(np.float32)
            col = np.clip(rgb[None, None, :] * shade[..., None], 0, 255)
            patch = patch * (1 - a[..., None]) + col * a[..., None]
            img[y0:y1, x0:x1] = np.clip(patch + 0.5, 0, 255).astype(np.uint8)
    _composite(img, layers[2])


def _layer(h: int, w: int, draw) -> tuple[np.ndarray, int, int] | None:
    """What ``draw(img)`` paints on an (h, w) uint8 frame, as (premultiplied float32 RGBA of its bounding box,
    top row, left column), or None if it paints nothing: drawn on black and on white, the difference is its
    transparency."""
    black, white = np.zeros((h, w, 3), np.uint8), np.full((h, w, 3), 255, np.uint8)
    draw(black)
    draw(white)
    a = 1.0 - (white.astype(np.float32) - black.astype(np.float32)).mean(axis=-1) / 255.0
    rows, cols = np.flatnonzero(a.max(axis=1) > 0), np.flatnonzero(a.max(axis=0) > 0)
    if not len(rows):
        return None
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    rgba = np.concatenate([black[y0:y1, x0:x1].astype(np.float32), np.clip(a[y0:y1, x0:x1, None], 0, 1)], -1)
    return rgba, int(y0), int(x0)


def _composite(img: np.ndarray, layer: tuple[np.ndarray, int, int] | None) -> None:
    """Composite a :func:`_layer` over the uint8 frame, in place."""
    if layer is None:
        return
    sub, y0, x0 = layer
    y1, x1 = y0 + sub.shape[0], x0 + sub.shape[1]
    out = img[y0:y1, x0:x1].astype(np.float32) * (1.0 - sub[..., 3:]) + sub[..., :3]
    img[y0:y1, x0:x1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def _draw_jug(img: np.ndarray, world, pour: dict, paint: dict) -> None:
    """The jug, tilted to pour: a body and its spout, to the left of the stream's start."""
    s = world.scale
    fill, capsule = paint["fill"], paint["capsule"]
    sx, sy = world.to_px(*pour["spout"])
    jug = (150, 90, 60)
    fill(img, lambda x, y: capsule(x, y, sx - 0.42 * s, sy - 0.38 * s, sx - 0.12 * s, sy - 0.08 * s, 0.17 * s),
         (sx - 0.7 * s, sy - 0.7 * s, sx + 0.1 * s, sy + 0.2 * s), jug)
    fill(img, lambda x, y: capsule(x, y, sx - 0.12 * s, sy - 0.08 * s, sx, sy, 0.05 * s),
         (sx - 0.25 * s, sy - 0.2 * s, sx + 0.1 * s, sy + 0.1 * s), jug)


def _draw_container(img: np.ndarray, world, pour: dict, paint: dict) -> None:
    """The glass (a faint pane and its walls) or the opaque mug or bowl, drawn in front of the liquid."""
    s = world.scale
    fill, capsule = paint["fill"], paint["capsule"]
    c = pour["container"]
    if c:
        left, right = c["x"] - c["w"] / 2 - c["wall"] / 2, c["x"] + c["w"] / 2 + c["wall"] / 2
        (lx, ly0), (rx, _) = world.to_px(left, 0.0), world.to_px(right, 0.0)
        _, top = world.to_px(left, c["h"])
        lx, rx, ly0, top = float(lx), float(rx), float(ly0), float(top)
        glass = c["kind"] == "glass"
        tint = (225, 240, 250) if glass else (200, 60, 50)
        if glass:  # a faint pane between the walls
            fill(img, lambda x, y: np.maximum(np.maximum(lx - x, x - rx), np.maximum(top - y, y - ly0)),
                 (lx - 1, top - 1, rx + 1, ly0 + 1), tint, 0.18)
        r = max(1.0, c["wall"] * s / 2)
        for ax, ay, bx, by in ((lx, top, lx, ly0), (rx, top, rx, ly0), (lx, ly0 - r, rx, ly0 - r)):
            fill(img, lambda x, y, ax=ax, ay=ay, bx=bx, by=by: capsule(x, y, ax, ay, bx, by, r),
                 (min(ax, bx) - r - 2, min(ay, by) - r - 2, max(ax, bx) + r + 2, max(ay, by) + r + 2),
                 tint if not glass else (200, 225, 240), 0.85 if glass else 1.0)


def _resonator(x: np.ndarray, f_hz: np.ndarray, q: float, sr: int, block: int = 480) -> np.ndarray:
    """Band-pass ``x`` through a two-pole resonator whose centre follows ``f_hz`` (per sample), block by block."""
    from scipy.signal import lfilter

    out = np.zeros_like(x)
    zi = np.zeros(2)
    for i in range(0, len(x), block):
        f = float(f_hz[min(i + block // 2, len(f_hz) - 1)])
        r = math.exp(-math.pi * f / (q * sr))
        a = [1.0, -2 * r * math.cos(2 * math.pi * f / sr), r * r]
        y, zi = lfilter([1 - r], a, x[i:i + block], zi=zi)
        out[i:i + block] = y
    return out


def pour_sound(pour: dict, dt: float, n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Mono sound (float32) of the pour: the stream's hiss through the container's air-column resonance,
    rising as it fills (a real glass: about 500 Hz empty, 3 kHz nearly full), and drops plinking.

    Args:
        pour: :meth:`Pour.result`.
        dt: the main sub-step, s.
        n: samples.
        sr: sample rate, Hz.
        rng: seeded random source.
    """
    t = np.arange(n) / sr
    on = ((t >= POUR_S[0]) & (t < POUR_S[1] + 0.25)).astype(np.float32)
    env = np.convolve(on, np.ones(int(0.05 * sr)) / int(0.05 * sr), mode="same").astype(np.float32)
    c = pour["container"]
    rec_t = np.arange(len(pour["fill"])) * dt * pour["every"]
    if c and len(rec_t):
        air = np.clip(1.0 - np.interp(t, rec_t, pour["fill"]) / c["h"], 0.08, 1.0)
        f = 500.0 / air  # quarter-wave: f ∝ 1 / (length of the air column)
    else:
        f = np.full(n, 900.0)
    noise = rng.standard_normal(n).astype(np.float32)
    gurgle = 0.6 + 0.4 * np.sin(2 * np.pi * 7.0 * t + 2.0 * np.sin(2 * np.pi * 1.3 * t))
    out = _resonator(noise, np.minimum(f, 6000.0), 6.0, sr).astype(np.float32) * env * gurgle.astype(np.float32)
    out = out / (float(np.abs(out).max()) or 1.0)
    for _ in range(int(12 * (POUR_S[1] - POUR_S[0]))):  # bubbles: short rising sine blips (Minnaert)
        i0 = int(rng.uniform(*POUR_S) * sr)
        m = min(n - i0, int(0.03 * sr))
        if m <= 0:
            continue
        tt = np.arange(m) / sr
        f0 = float(rng.uniform(600, 1600))
        out[i0:i0 + m] += 0.25 * np.sin(2 * np.pi * f0 * (tt + 40 * tt * tt)) * np.exp(-tt / 0.008)
    return out / (float(np.abs(out).max()) or 1.0)


def water_sound(water_splashes: list[dict], n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """(2, n) float32: gentle lapping of the water, and a splash at every entry (louder for a harder one).

    Args:
        water_splashes: :attr:`WaterBody.splashes`.
        n: samples.
        sr: sample rate, Hz.
        rng: seeded random source.
    """
    from scipy.signal import lfilter

    t = np.arange(n) / sr
    out = np.zeros((2, n), np.float32)
    for ch in range(2):
        lap = lfilter([0.02], [1, -0.98], rng.standard_normal(n)).astype(np.float32)
        swell = 0.5 + 0.5 * np.sin(2 * np.pi * (0.23 + 0.04 * ch) * t + rng.uniform(0, 6)) ** 2
        out[ch] = 0.6 * lap * swell.astype(np.float32)
    for sp in water_splashes:
        i0 = int(sp["t"] * sr)
        if i0 >= n:
            continue
        m = min(n - i0, int(0.6 * sr))
        tt = np.arange(m) / sr
        hiss = rng.standard_normal(m)
        body = lfilter([0.15], [1, -0.85], hiss)  # the low "whump" and the hiss of the spray
        amp = 1.0 - math.exp(-sp["speed"] * max(sp["mass"], 0.05) / 0.8)
        sig = (0.6 * body * np.exp(-tt / 0.08) + 0.35 * hiss * np.exp(-tt / 0.18) * (tt > 0.02)).astype(np.float32)
        sig[:48] *= np.linspace(0.3, 1.0, min(48, m), dtype=np.float32)
        out[:, i0:i0 + m] += max(amp, 0.2) * sig / (float(np.abs(sig).max()) or 1.0)
    return out
