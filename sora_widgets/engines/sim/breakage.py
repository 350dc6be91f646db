"""Breakable things: a body told to break ("the glass shatters", "a vase smashes on the floor") splits into
convex shards at its first hard impact, and the crash is heard.

Physics: when a contact event of a breakable body passes ``BREAK_DV`` (change of velocity, m/s), the body leaves
the pymunk space after that sub-step and ``SHARDS`` convex pieces take its place: a Voronoi split of its outline
around seeded points, each piece with the parent's velocity at its centroid plus an outward kick
(``KICK_MPS``) and a spin. Pieces keep colliding with the floor, walls and other bodies; their own contacts make
no events (the crash sound stands for them). Shards are recorded per sub-step for the renderer.

Sound: a crash = a broadband noise burst (sharp attack, 0.25 s decay) plus many short high tinkles (the glass
modes of :data:`vocab.MATERIALS`, scaled per piece) spread over 0.4 s as the pieces land.

Units: metres, seconds, kilograms; sample rate passed in (Hz).
"""

from __future__ import annotations

import math

import numpy as np
import pymunk

from . import vocab

__all__ = ["BREAK_DV", "BREAK_WORDS", "SHARDS", "Breaker", "crash_sound", "fracture"]

#: Words that make the things of a scene breakable (only then: a glass marble dropped on ice still bounces).
BREAK_WORDS = frozenset({"break", "breaks", "broke", "broken", "breaking", "shatter", "shatters", "shattered",
                         "shattering", "smash", "smashes", "smashed", "smashing", "crack", "cracks", "cracked",
                         "cracking", "splinter", "splinters", "splintered", "burst", "bursts"})
BREAK_DV = 2.0  # m/s: an impact at least this hard breaks a breakable body (a 0.2 m drop is 2 m/s)
SHARDS = 7  # pieces per break
KICK_MPS = (0.6, 2.2)  # outward speed of the pieces, m/s
SPIN_RAD_S = 9.0  # the pieces' spin, up to this many rad/s either way


def _clip(poly: np.ndarray, n: np.ndarray, c: float) -> np.ndarray:
    """The part of convex polygon ``poly`` (k, 2) where n·x <= c (Sutherland-Hodgman, one half-plane)."""
    out = []
    k = len(poly)
    for i in range(k):
        a, b = poly[i], poly[(i + 1) % k]
        da, db = float(n @ a) - c, float(n @ b) - c
        if da <= 0:
            out.append(a)
        if da * db < 0:
            out.append(a + (b - a) * (da / (da - db)))
    return np.array(out) if out else np.zeros((0, 2))


def _area_centroid(poly: np.ndarray) -> tuple[float, np.ndarray]:
    x, y = poly[:, 0], poly[:, 1]
    x1, y1 = np.roll(x, -1), np.roll(y, -1)
    cross = x * y1 - x1 * y
    a = 0.5 * float(cross.sum())
    if abs(a) < 1e-12:
        return 0.0, poly.mean(axis=0)
    cx = float(((x + x1) * cross).sum()) / (6 * a)
    cy = float(((y + y1) * cross).sum()) / (6 * a)
    return abs(a), np.array([cx, cy])


def fracture(outline: np.ndarray, pieces: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Split a convex outline (k, 2) metres, counter-clockwise, into up to ``pieces`` convex cells (a Voronoi
    split around points drawn inside it). Cells smaller than 1 % of the area are dropped. Counter-clockwise."""
    lo, hi = outline.min(axis=0), outline.max(axis=0)
    seeds: list[np.ndarray] = []
    while len(seeds) < pieces:
        p = rng.uniform(lo, hi)
        inside = all(float(np.cross(outline[(i + 1) % len(outline)] - outline[i], p - outline[i])) >= 0
                     for i in range(len(outline)))
        if inside:
            seeds.append(p)
    total, _ = _area_centroid(outline)
    cells = []
    for i, s in enumerate(seeds):
        cell = outline.copy()
        for k, o in enumerate(seeds):
            if k == i or len(cell) < 3:
                continue
            n = o - s  # keep the side nearer s: n·x <= n·(s+o)/2
            cell = _clip(cell, n, float(n @ (s + o) / 2))
        if len(cell) >= 3 and _area_centroid(cell)[0] > 0.01 * total:
            cells.append(cell)
    return cells


def _world_outline(body: pymunk.Body, shape: pymunk.Shape) -> np.ndarray:
    if isinstance(shape, pymunk.Circle):
        a = np.linspace(0, 2 * math.pi, 12, endpoint=False)
        local = np.stack([shape.radius * np.cos(a), shape.radius * np.sin(a)], 1)
    else:
        local = np.array([tuple(v) for v in shape.get_vertices()])
    ca, sa = math.cos(body.angle), math.sin(body.angle)
    rot = local @ np.array([[ca, sa], [-sa, ca]])
    return rot + np.array(tuple(body.position))


class Breaker:
    """Breaks the breakable bodies of one simulation at their first hard impact and records the shards.

    Args:
        space: the pymunk space of the simulation.
        pm_bodies: its pymunk bodies, in the order of ``bodies``.
        bodies: the scene's bodies (``physics.Body``); a body breaks when ``init["breakable"]`` is set.
        events: the simulation's contact event list (appended to during ``space.step``).
        dt: the sub-step, seconds.
    """

    def __init__(self, space, pm_bodies, bodies, events: list[dict], dt: float) -> None:
        self.space, self.pm_bodies, self.bodies, self.events, self.dt = space, pm_bodies, bodies, events, dt
        self.breakable = {b.name: j for j, b in enumerate(bodies) if b.init.get("breakable")}
        self.seen = 0
        self.gone: dict[int, int] = {}  # body index -> sub-step it broke at
        self.shards: list[dict] = []  # {"birth", "verts" (local, m), "rgb", "material", "track" [(x, y, a)]}
        self.breaks: list[dict] = []  # {"t", "x", "y", "size", "material"} for the sound

    def after_step(self, step: int) -> None:
        """Break what the last sub-step's impacts broke, then record every shard's pose."""
        if self.breakable:
            new = self.events[self.seen:]
            self.seen = len(self.events)
            for ev in new:
                if ev["dv"] < BREAK_DV:
                    continue
                for name in ev["bodies"]:
                    j = self.breakable.get(name)
                    if j is not None and j not in self.gone:
                        self._break(j, step + 1)
        for s in self.shards:
            b = s["body"]
            s["track"].append((b.position.x, b.position.y, b.angle))

    def _break(self, j: int, step: int) -> None:
        body = self.pm_bodies[j]
        shape = next(iter(body.shapes))
        outline = _world_outline(body, shape)
        b = self.bodies[j]
        mat = vocab.MATERIALS.get(b.material, vocab.MATERIALS["glass"])
        rng = np.random.default_rng([j, step, 18])
        self.space.remove(body, *body.shapes)
        self.gone[j] = step
        _area, centre = _area_centroid(outline)
        density = body.mass / max(_area, 1e-6)
        for cell in fracture(outline, SHARDS, rng):
            area, c = _area_centroid(cell)
            local = cell - c
            mass = max(density * area, 1e-4)
            pb = pymunk.Body(mass, pymunk.moment_for_poly(mass, [tuple(v) for v in local]))
            pb.position = tuple(c)
            pb.angle = 0.0
            out = c - centre
            out = out / (np.linalg.norm(out) or 1.0)
            kick = rng.uniform(*KICK_MPS)
            v = body.velocity_at_world_point(tuple(c))
            pb.velocity = (v.x * 0.3 + out[0] * kick, abs(v.y) * 0.15 + max(out[1], 0.2) * kick)
            pb.angular_velocity = float(rng.uniform(-SPIN_RAD_S, SPIN_RAD_S))
            ps = pymunk.Poly(pb, [tuple(v) for v in local], radius=0.002)
            ps.friction, ps.elasticity = 0.7, min(mat["elasticity"], 0.35)
            ps.sim_name = f"{b.name} shard"  # no sim_index: its contacts make no events
            self.space.add(pb, ps)
            self.shards.append({"birth": step, "verts": local, "rgb": b.rgb, "material": b.material, "body": pb,
                                "track": []})
        self.breaks.append({"t": step * self.dt, "x": float(centre[0]), "y": float(centre[1]),
                            "size": float(max(b.half)), "material": b.material})

    def result(self) -> dict:
        """What the renderer and the mixer need: ``gone`` {body index: sub-step}, ``shards`` (tracks as (S, 3)
        arrays from their birth sub-step) and ``breaks`` (when, where, how big)."""
        shards = [{"birth": s["birth"], "verts": s["verts"], "rgb": s["rgb"], "material": s["material"],
                   "track": np.array(s["track"], np.float64).reshape(-1, 3)} for s in self.shards]
        return {"gone": dict(self.gone), "shards": shards, "breaks": list(self.breaks)}


def crash_sound(size_m: float, material: str, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Mono crash (float32, peak 1) of a thing of ``size_m`` metres breaking: a noise burst and tinkles.

    Args:
        size_m: the broken thing's larger half extent, metres (bigger things crash lower and longer).
        material: a key of ``vocab.MATERIALS``; its modes tune the tinkles.
        sr: sample rate, Hz.
        rng: random source (seeded by the caller: the same clip sounds the same).
    """
    from scipy.signal import lfilter

    n = int(0.7 * sr)
    t = np.arange(n, dtype=np.float32) / sr
    burst = rng.standard_normal(n).astype(np.float32)
    # a bright crack: first-difference (high-passed) noise with a 1 ms attack and a fast decay
    burst = np.diff(burst, prepend=0.0).astype(np.float32) * np.exp(-t / (0.05 + 0.08 * min(size_m, 1.0)))
    out = 0.7 * burst
    body = lfilter([0.08], [1, -0.92], rng.standard_normal(n)).astype(np.float32)  # the low thud of the impact
    out += 0.8 * body * np.exp(-t / 0.04)
    modes = vocab.MATERIALS.get(material, vocab.MATERIALS["glass"])["modes"]
    for _ in range(28):  # pieces landing: short high rings
        i0 = int(rng.uniform(0.0, 0.45) ** 1.6 * sr)
        f, d = modes[int(rng.integers(len(modes)))]
        f *= float(rng.uniform(1.2, 2.6))
        m = min(n - i0, int(0.12 * sr))
        if m <= 0 or f >= sr / 2:
            continue
        tt = np.arange(m, dtype=np.float32) / sr
        out[i0:i0 + m] += float(rng.uniform(0.1, 0.45)) * np.sin(2 * np.pi * f * tt) * np.exp(-tt / min(d, 0.03))
    att = min(n, 48)
    out[:att] *= np.linspace(0.3, 1.0, att, dtype=np.float32)
    return out / (float(np.abs(out).max()) or 1.0)
