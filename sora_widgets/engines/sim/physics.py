"""Scene -> bodies -> pymunk simulation with fixed sub-steps, contact events and sliding/rolling speeds.

Units: metres, seconds, kilograms (2D density in kg/m²), y up, floor at y = 0.
The view shows x in [0, world_w] and y in [-FLOOR_MARGIN * world_h, (1 - FLOOR_MARGIN) * world_h]; the scale
is ``min(width, height) / VIEW_M`` px per metre, so the same scene keeps its physical size in any aspect ratio.
The simulation steps at ``SUBSTEP_HZ`` whatever the frame rate, so physics (and the sound made from its contacts)
does not depend on fps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pymunk
import pymunk.batch

from . import effects, figures, sprites, things, vocab

__all__ = ["Body", "SimResult", "World", "layout", "simulate", "SUBSTEP_HZ"]

SUBSTEP_HZ = 240
VIEW_M = 5.0  # metres across the shorter side of the frame
FLOOR_MARGIN = 0.15  # share of the view height below the floor line

# Hoop geometry (metres): rim height, rim inner diameter, board height span.
RIM_Y = 3.05
RIM_D = 0.62  # a toy-world hoop: wide enough for the 0.2 m ball to drop through cleanly
BOARD_Y = (2.85, 4.0)

_BASE_SIZE = {  # half extents (w/2, h/2) in metres at size "medium"
    "ball": (0.3, 0.3), "box": (0.3, 0.3), "triangle": (0.35, 0.3), "bottle": (0.11, 0.33), "can": (0.15, 0.2),
    "cat": (0.38, 0.27), "dog": (0.48, 0.34), "person": (0.26, 0.85),
}
_UPRIGHT = {"cat", "dog", "person"}  # animated figures keep upright (infinite moment of inertia)


@dataclass
class World:
    width_px: int
    height_px: int
    scale: float  # px per metre
    w: float  # metres
    h: float
    y_bottom: float  # world y at the bottom edge of the frame
    gravity: float
    floor: bool
    hoop: dict | None = None
    ramp: tuple | None = None  # ((x0, y0), (x1, y1)) metres

    def to_px(self, x, y):
        """World metres -> pixel coordinates (x right, y down)."""
        return np.asarray(x) * self.scale, (self.y_bottom + self.h - np.asarray(y)) * self.scale


@dataclass
class Body:
    name: str
    kind: str
    group: int
    shape: str  # "circle" | "poly"
    radius: float  # circle radius, or half height for polys (used for shadows)
    verts: list  # local polygon vertices (metres), empty for circles
    half: tuple  # half extents (w/2, h/2)
    rgb: tuple
    material: str
    cameo: str | None = None
    upright: bool = False
    motion: str | None = None
    init: dict = field(default_factory=dict)  # position, velocity, angle, angular velocity
    thing: str | None = None  # catalogue key (kind "thing"): drawn with its sprite
    mass: float | None = None  # kg; None: density of the material x area
    tint: tuple | None = None  # RGB the sprite is recoloured to; None: its own colours
    note: str | None = None  # a substitution the engine reports (e.g. no emoji font: drawn as a box)
    figure: dict | None = None  # an articulated figure (figures.py): rig kind, action, facing, take-offs


@dataclass
class SimResult:
    t: np.ndarray  # (S,) seconds of each recorded sub-step
    pos: np.ndarray  # (S, B, 3) x, y, angle
    vel: np.ndarray  # (S, B, 2)
    rolling: np.ndarray  # (S, B) speed in m/s of bodies sliding/rolling on something static, else 0
    events: list[dict]  # contact events
    extras: dict = field(default_factory=dict)  # water, poured liquid, shards (effects.attach's result)


def make_world(scene: dict, width: int, height: int) -> World:
    scale = min(width, height) / VIEW_M
    w, h = width / scale, height / scale
    setting = vocab.SETTINGS.get(scene.get("setting", "floor"), vocab.SETTINGS["floor"])
    floor = setting.get("ground") is not None
    y_bottom = -FLOOR_MARGIN * h if floor else -0.5 * h
    world = World(width, height, scale, w, h, y_bottom, float(scene.get("gravity", 9.81)), floor)
    if setting.get("hoop"):
        xb = w - 0.45
        world.hoop = {"board_x": xb, "board_y": BOARD_Y, "rim_front": (xb - 0.06 - RIM_D, RIM_Y),
                      "rim_back": (xb - 0.06, RIM_Y)}
    if scene.get("ramp") and floor:
        top = min(0.45 * (h + y_bottom), 2.4)
        world.ramp = ((0.0, top), (0.55 * w, 0.0))
    return world


def _body_name(g: dict, i: int) -> str:
    if g.get("cameo"):
        base = f"@{g['cameo']}"
    else:
        label = things.get(g["thing"]).name if g["kind"] == things.THING_KIND else g["kind"]
        base = f"{g['color']} {label}"
    return base if g["count"] == 1 else f"{base} {i + 1}"


def _half_extents(g: dict, cameo_aspect: float | None) -> tuple[float, float]:
    scale = vocab.SIZES.get(g.get("size", "medium"), vocab.SIZES["medium"])["scale"]
    if g["kind"] == things.THING_KIND and cameo_aspect is None:
        thing = things.get(g["thing"])
        hh = things.display_height(thing, scale) / 2
        return hh * (sprites.aspect(thing.emoji) if sprites.available() else 1.0), hh
    hw, hh = _BASE_SIZE[g["kind"]]
    if cameo_aspect is not None:  # a cameo keeps its cut-out's aspect (w / h) at the height of its kind
        hh = {"person": 0.85, "cat": 0.35, "dog": 0.4}.get(g["kind"], 0.35)
        hw = hh * cameo_aspect
    return hw * scale, hh * scale


def _poly(kind: str, hw: float, hh: float) -> list[tuple[float, float]]:
    if kind == "triangle":
        return [(-hw, -hh), (hw, -hh), (0.0, hh)]
    return [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]


def layout(scene: dict, world: World, duration: float, rng: np.random.Generator,
           cameo_aspects: dict[str, float] | None = None) -> list[Body]:
    """Place every object of the scene with its initial state, following its motion."""
    cameo_aspects = cameo_aspects or {}
    bodies: list[Body] = []
    groups = scene["objects"]
    n_total = sum(int(g["count"]) for g in groups)
    gym = world.hoop is not None
    top = world.y_bottom + world.h  # top edge of the view (metres)
    slot = 0
    collide_side = 0
    starts: dict[str, float] = {}
    fit, side_by_side = _fit_things(groups, world, cameo_aspects)
    for gi, g in enumerate(groups):
        thing = things.get(g["thing"]) if g["kind"] == things.THING_KIND and not g.get("cameo") else None
        motion = g.get("motion") or ("rest" if g["kind"] in _UPRIGHT or (thing and thing.upright) else "drop")
        if g.get("cameo") and motion == "drop" and g["kind"] == "person":
            motion = "rest"
        aspect = cameo_aspects.get(g["cameo"]) if g.get("cameo") else None
        hw, hh = _half_extents(g, aspect)
        if gym and g["kind"] == "ball" and not g.get("cameo"):
            hw = hh = 0.2 * vocab.SIZES.get(g.get("size", "medium"), vocab.SIZES["medium"])["scale"]
        if thing is not None:
            hw, hh = hw * fit, hh * fit
        upright = g["kind"] in _UPRIGHT or bool(g.get("cameo")) or bool(thing and thing.upright)
        shape = "circle" if g["kind"] == "ball" and not g.get("cameo") else "poly"
        direction = g.get("direction")
        for i in range(int(g["count"])):
            b = Body(_body_name(g, i), g["kind"], gi, shape, hh, [] if shape == "circle" else _poly(g["kind"], hw, hh),
                     (hw, hh), tuple(g.get("rgb") or vocab.hex_to_rgb(vocab.colors()[g["color"]])),
                     g.get("material", "rubber"), g.get("cameo"), upright, motion)
            if thing is not None:
                _as_thing(b, thing, g)
            frac = (slot + 0.5) / max(n_total, 1)
            x_spread = 0.12 * world.w + 0.76 * world.w * frac
            if side_by_side is not None:  # catalogue things are of very different widths: place by width
                x_spread = side_by_side[slot]
            place = g.get("place") or {}  # layout constraints of the prompt's relations (parse._place)
            if "x" in place:
                x_spread = _placed_x(place["x"], i, int(g["count"]), hw, world)
            support = _support_top(groups, place.get("on"), cameo_aspects)
            slot += 1
            sign = -1.0 if direction == "left" else 1.0
            if not world.floor or world.gravity == 0:  # space / zero gravity: drift and tumble inside the frame
                ang = rng.uniform(0, 2 * math.pi)
                spd = rng.uniform(0.4, 1.0)
                b.init = {"p": (x_spread, world.y_bottom + world.h * rng.uniform(0.3, 0.7)),
                          "v": (spd * math.cos(ang), spd * math.sin(ang)), "w": rng.uniform(-1.5, 1.5)}
            elif motion == "throw":
                b.init = _throw(world, hw, hh, i, sign, g.get("target"), scene.get("outcome"), gym, top)
            elif motion in ("roll", "slide", "collide", "walk", "run"):
                if motion == "collide":
                    sign = 1.0 if collide_side % 2 == 0 else -1.0
                    collide_side += 1
                speed = {"walk": 1.3, "run": 3.2}.get(motion)
                if speed is None:
                    if motion == "slide" or (motion == "roll" and b.shape != "circle"):
                        mu = max(0.02, vocab.SETTINGS[scene["setting"]]["friction"] * vocab.MATERIALS.get(
                            b.material, vocab.MATERIALS["wood"])["friction"])
                        speed = min(9.0, math.sqrt(2 * mu * max(world.gravity, 1.0) * 0.45 * world.w))
                    else:
                        speed = float(np.clip(0.5 * world.w / max(duration, 0.5), 0.8, 4.0))
                    if motion == "collide":
                        speed = 3.0
                # line up from the starting edge inwards, after the bodies already placed on that side
                key = "start_right" if sign > 0 else "start_left"
                lane = starts.get(key, 0.06 * world.w)
                x0 = lane + hw if sign > 0 else world.w - lane - hw
                starts[key] = lane + 2 * hw + 0.12
                y0 = hh + 0.002
                if "x" in place:
                    x0 = x_spread
                if world.ramp is not None and motion in ("roll", "slide"):
                    (rx0, ry0), (rx1, ry1) = world.ramp
                    x0 = 0.06 * world.w + i * 2.5 * hw
                    slope = (ry1 - ry0) / (rx1 - rx0)
                    y0 = ry0 + slope * x0 + hh / math.cos(math.atan(slope)) + 0.01
                    speed = 0.3
                    sign = 1.0
                b.init = {"p": (x0, y0), "v": (sign * speed, 0.0),
                          "w": -sign * speed / hh if b.shape == "circle" and motion != "slide" else 0.0,
                          "drive": sign * speed if motion in ("walk", "run") else None}
                if thing is not None and thing.vehicle and motion in ("roll", "slide") and world.ramp is None:
                    b.init["drive"] = sign * max(speed, VEHICLE_SPEED)  # it drives on, on its wheels
                    b.init["v"] = (b.init["drive"], 0.0)
                if world.ramp is not None and motion in ("roll", "slide") and b.shape == "poly" and not upright:
                    b.init["a"] = math.atan(slope)  # lie flat on the slope, not on a corner
            elif motion in ("stack", "topple"):
                # a toppling stack leans by half a box per level, so the upper boxes' centre of mass
                # passes the base's edge and the tower falls; the top one is also nudged
                lean = (0.5 * hw if motion == "topple" else 0.0) * (-1.0 if direction == "left" else 1.0)
                base_x = 0.5 * world.w - 0.5 * lean * (int(g["count"]) - 1)
                top_box = i == int(g["count"]) - 1
                b.init = {"p": (base_x + lean * i + (0.004 if i % 2 else -0.004), hh + i * (2 * hh + 0.004)),
                          "v": (1.2 * (1 if lean >= 0 else -1) if motion == "topple" and top_box else 0.0, 0.0),
                          "w": 0.0}
            elif motion in ("rest", "jump"):
                b.init = {"p": (x_spread, support + hh + 0.05), "v": (0.0, 0.0), "w": 0.0, "jump": motion == "jump"}
            else:  # drop / bounce / fall
                y0 = float(np.clip(rng.uniform(0.55, 0.8) * top, support + hh + 0.5, top - hh - 0.1))
                x0 = x_spread
                if world.ramp is not None:
                    (rx0, ry0), (rx1, ry1) = world.ramp
                    x0 = 0.15 * world.w + i * 2.5 * hw
                b.init = {"p": (x0, y0), "v": (0.0, 0.0),
                          "w": float(rng.uniform(-1.0, 1.0)) if b.shape == "poly" and not upright else 0.0}
            figures.setup(b, g, scene, world, duration)  # people, cats, dogs, flying birds: a rig and its schedule
            bodies.append(b)
    figures.arrange(bodies, world)  # a kicker or thrower with its ball, a catcher and what it catches
    effects.arrange(scene, world, bodies)  # dominoes, boards, water, skating (issue 18 item 4)
    return bodies


def _fit_things(groups: list[dict], world: World, cameo_aspects: dict) -> tuple[float, list[float] | None]:
    """For a scene with catalogue things: (scale of the things' sizes, x centre (m) of every body in order) so
    that all bodies stand side by side in the view, in the order named, without overlapping (a bus, a car and
    an elephant are 9 m wide together; the view is 5 m). (1.0, None) for scenes without things, which keep the
    even spread of the hand-drawn kinds."""
    if not any(g["kind"] == things.THING_KIND and not g.get("cameo") for g in groups):
        return 1.0, None
    widths, is_thing = [], []
    for g in groups:
        hw, _ = _half_extents(g, cameo_aspects.get(g["cameo"]) if g.get("cameo") else None)
        widths += [2 * hw] * int(g["count"])
        is_thing += [g["kind"] == things.THING_KIND and not g.get("cameo")] * int(g["count"])
    widths_a = np.array(widths)
    room = 0.94 * world.w - 0.08 * (len(widths) - 1)  # the view less small gaps
    fixed = float(widths_a[~np.array(is_thing)].sum())
    scalable = float(widths_a[np.array(is_thing)].sum())
    fit = float(np.clip((room - fixed) / max(scalable, 1e-6), 0.35, 1.0))
    widths_a = np.where(is_thing, widths_a * fit, widths_a)
    gap = max(0.08, (world.w - widths_a.sum()) / (len(widths) + 1))
    left = max(0.03 * world.w, (world.w - widths_a.sum() - gap * (len(widths) - 1)) / 2)
    centres = left + np.cumsum(widths_a + gap) - gap - widths_a / 2
    return fit, [float(c) for c in centres]


def _placed_x(frac: float, i: int, count: int, hw: float, world: World) -> float:
    """x (m) of member ``i`` of a group placed at ``frac`` of the width: members side by side, kept in view."""
    x = frac * world.w + (i - (count - 1) / 2) * (2 * hw + 0.08)
    return float(np.clip(x, hw + 0.02, world.w - hw - 0.02))


def _support_top(groups: list[dict], j: int | None, cameo_aspects: dict) -> float:
    """Height (m) of the top of group ``j`` (what a thing "on" it rests on); 0 for the floor."""
    if j is None or not 0 <= j < len(groups):
        return 0.0
    g = groups[j]
    try:
        return 2 * _half_extents(g, cameo_aspects.get(g["cameo"]) if g.get("cameo") else None)[1]
    except KeyError:  # a kind without a hand-drawn size: about a box's height
        return 2 * _BASE_SIZE["box"][1]


#: Masses (kg) a thing is simulated with: pymunk's solver stays stable within this range (a 5 t truck still
#: pushes a 0.3 kg ball aside; a 40 t whale would make every contact with it explode numerically).
THING_MASS_RANGE = (0.01, 5000.0)
VEHICLE_SPEED = 3.0  # m/s at least, for a vehicle told to roll/drive (a 5 m view: crossed in under 2 s)


def _as_thing(b: Body, thing: things.Thing, g: dict) -> None:
    """Give body ``b`` the catalogue thing's sprite, outline (convex hull of the sprite's alpha), mass and
    material; its colour tints the sprite unless it is the thing's own colour. Without the emoji font the
    body stays a box of the same size, and says so in ``b.note``."""
    hw, hh = b.half
    b.thing = thing.key
    b.mass = float(np.clip(thing.mass_kg, *THING_MASS_RANGE))
    if not g.get("material"):
        b.material = thing.material
    own = vocab.hex_to_rgb(vocab.colors()[thing.color]) if thing.color in vocab.colors() else None
    b.tint = None if g.get("color") in (None, thing.color) or tuple(b.rgb) == own else tuple(b.rgb)
    if not sprites.available():
        b.note = f"{thing.name} drawn as a box: the emoji font is not installed (apt-get install fonts-noto-color-emoji)"
        return
    if not b.upright and sprites.is_round(thing.emoji):  # balls, coins, cookies: a circle, so they roll
        b.shape, b.radius, b.verts = "circle", hh, []
        return
    b.verts = [(x * 2 * hh, y * 2 * hh) for x, y in sprites.outline(thing.emoji)]


def _throw(world: World, hw: float, hh: float, i: int, sign: float, target, outcome, gym: bool, top: float) -> dict:
    g = max(world.gravity, 0.0)
    x0 = (0.12 * world.w if sign > 0 else 0.88 * world.w) - sign * i * 0.3
    y0 = 1.2 + hh
    if gym and target == "hoop":
        hoop = world.hoop
        x0 = max(0.18 * world.w, hoop["board_x"] - 3.8) + i * 0.25  # the same shot whatever the aspect ratio
        y0 = 1.6
        if outcome == "score":
            tx = (hoop["rim_front"][0] + hoop["rim_back"][0]) / 2
            ty = RIM_Y + 0.02
            t_flight = 1.1  # steep enough to drop through the rim, low enough to stay in the picture
        else:  # a miss: a hard, flat shot high on the board rebounds out over the front of the rim
            tx = hoop["board_x"] - hh - 0.05
            ty = RIM_Y + 0.65
            t_flight = 0.6
    else:
        tx = x0 + sign * 0.6 * world.w
        ty = hh
        t_flight = 1.2
    if g > 0:
        t_flight *= min(math.sqrt(9.81 / g), 2.2)  # on the moon: a slower, higher arc that still lands in view
        vy = (ty - y0 + 0.5 * g * t_flight**2) / t_flight
        apex = y0 + vy**2 / (2 * g)
        if apex > top - hh and not (gym and target == "hoop"):
            vy = math.sqrt(max(2 * g * (top - hh - y0 - 0.2), 0.1))
            t_flight = (vy + math.sqrt(max(vy**2 - 2 * g * (ty - y0), 0.0))) / g
    else:
        vy = (ty - y0) / t_flight
    vx = (tx - x0) / t_flight
    return {"p": (x0, y0), "v": (vx, vy), "w": -vx / max(hh, 0.05) * 0.5}


def _material(name: str) -> dict:
    return vocab.MATERIALS.get(name, vocab.MATERIALS["rubber"])


def simulate(scene: dict, world: World, bodies: list[Body], duration: float) -> SimResult:
    """Run the physics for ``duration`` seconds at SUBSTEP_HZ; record every sub-step."""
    space = pymunk.Space()
    space.iterations = 20
    space.gravity = (0.0, -world.gravity)
    setting = vocab.SETTINGS.get(scene.get("setting", "floor"), vocab.SETTINGS["floor"])
    statics: list[pymunk.Shape] = []
    static_bodies: list[pymunk.Body] = []

    def seg(a, b, r, name, elasticity=None, friction=None):
        s = pymunk.Segment(_static_body(static_bodies), a, b, r)
        s.elasticity = setting["elasticity"] if elasticity is None else elasticity
        s.friction = setting["friction"] if friction is None else friction
        s.sim_name = name
        statics.append(s)
        return s

    big = 50.0
    y_top = world.y_bottom + world.h
    if world.floor:
        seg((-big, -1.0), (world.w + big, -1.0), 1.0, "floor")
    else:
        seg((-1.0, world.y_bottom - 1.0), (world.w + 1.0, world.y_bottom - 1.0), 1.0, "wall")
        seg((-1.0, y_top + 1.0), (world.w + 1.0, y_top + 1.0), 1.0, "wall")
    # invisible walls at the frame edges keep every object in the picture
    seg((-1.0, world.y_bottom - big), (-1.0, y_top + big), 1.0, "wall", 0.6, 0.4)
    seg((world.w + 1.0, world.y_bottom - big), (world.w + 1.0, y_top + big), 1.0, "wall", 0.6, 0.4)
    if world.hoop is not None:
        hb = world.hoop
        seg((hb["board_x"] + 0.04, hb["board_y"][0]), (hb["board_x"] + 0.04, hb["board_y"][1]), 0.04, "backboard",
            0.75, 0.5)
        for key in ("rim_front", "rim_back"):
            c = pymunk.Circle(_static_body(static_bodies), 0.025, hb[key])
            c.elasticity, c.friction, c.sim_name = 0.6, 0.5, "rim"
            statics.append(c)
    if world.ramp is not None:
        seg(world.ramp[0], world.ramp[1], 0.05, "ramp", 0.3, 0.8)
    space.add(*static_bodies, *statics)

    pm_bodies = []
    for idx, b in enumerate(bodies):
        mat = _material(b.material)
        if b.shape == "circle":
            mass = b.mass if b.mass is not None else mat["density"] * math.pi * b.radius**2
            moment = pymunk.moment_for_circle(mass, 0, b.radius)
        else:
            mass = b.mass if b.mass is not None else mat["density"] * 4 * b.half[0] * b.half[1]
            moment = math.inf if b.upright else pymunk.moment_for_poly(mass, b.verts)
        body = pymunk.Body(mass, moment)
        body.position = b.init["p"]
        body.angle = b.init.get("a", 0.0)
        body.velocity = b.init["v"]
        body.angular_velocity = b.init.get("w", 0.0)
        shape = pymunk.Circle(body, b.radius) if b.shape == "circle" else pymunk.Poly(body, b.verts, radius=0.005)
        shape.elasticity = mat["elasticity"]
        shape.friction = mat["friction"]
        shape.sim_name = b.name
        shape.sim_index = idx
        drive = b.init.get("drive")
        if world.hoop is not None and b.shape == "circle":
            (fx, ry), (bx_, _) = world.hoop["rim_front"], world.hoop["rim_back"]

            # the net catches a ball that drops through the rim: it loses its sideways speed
            def net_func(bd, grav, damping, dt, fx=fx, bx_=bx_, ry=ry):
                pymunk.Body.update_velocity(bd, grav, damping, dt)
                x, y = bd.position
                if fx < x < bx_ and ry - 0.45 < y < ry:
                    bd.velocity = (bd.velocity.x * 0.9, bd.velocity.y)

            body.velocity_func = net_func
        if drive is not None:
            # walkers keep their pace: a velocity function drives x, gravity still acts on y
            def vel_func(bd, grav, damping, dt, drive=drive):
                pymunk.Body.update_velocity(bd, grav, damping, dt)
                bd.velocity = (drive, bd.velocity.y)

            body.velocity_func = vel_func
        space.add(body, shape)
        pm_bodies.append(body)

    dt = 1.0 / SUBSTEP_HZ
    n_steps = int(math.ceil(duration * SUBSTEP_HZ)) + 1
    nb = len(bodies)
    pos = np.zeros((n_steps, nb, 3))
    vel = np.zeros((n_steps, nb, 2))
    touch = np.zeros((n_steps, nb), bool)  # body j touches something without an index (floor, wall, shard)
    events: list[dict] = []
    contacts = _Contacts(space, bodies, pm_bodies, statics, setting, events, touch, dt)
    more = effects.attach(scene, world, space, bodies, pm_bodies, events, dt)  # water, pouring, breaking
    jumpers = [(j, pm_bodies[j]) for j, b in enumerate(bodies) if b.init.get("jump")]
    controlled = [(b.init["control"], pm_bodies[j]) for j, b in enumerate(bodies) if b.init.get("control") is not None]
    half_s = SUBSTEP_HZ // 2

    states = _BodyStates(space, pm_bodies)
    for step in range(n_steps):
        states.read(pos[step], vel[step])
        for _j, body in jumpers:
            if abs(body.velocity.y) < 0.05 and step % half_s == 0 and step:
                body.apply_impulse_at_local_point((0.0, body.mass * 3.5))
        for control, body in controlled:  # a figure's take-offs, a held or caught ball
            control(step * dt, body)
        if step < n_steps - 1:
            more.before_step(step)
            space.step(dt)
            contacts.read(step + 1)
            more.after_step(step)
    rolling = np.where(touch, np.sqrt(vel[..., 0] ** 2 + vel[..., 1] ** 2), 0.0).astype(np.float32)
    t = np.arange(n_steps) * dt
    result = SimResult(t, pos, vel, rolling, events, more.result())
    figures.add_contacts(world, bodies, result, setting.get("ground_material", "wood"))  # feet, paws, hands
    return result


_BODY_FIELDS = (pymunk.batch.BodyFields.BODY_ID | pymunk.batch.BodyFields.POSITION | pymunk.batch.BodyFields.ANGLE
                | pymunk.batch.BodyFields.VELOCITY)


class _BodyStates:
    """The scene bodies' positions, angles and velocities read after every sub-step in one batch (pymunk's
    property reads cost a few microseconds each, per body per sub-step). The batch lists every body in the space
    (shards, water particles, statics too) in the space's own order: the scene bodies first, in scene order, until
    a removal reshuffles them; then each one's row is found by its id, and a scene body out of the space (a broken
    thing) is read from its properties, which keep its last state. Below :data:`BATCH_FROM` bodies the properties
    are cheaper than the batch's own cost (about 10 us)."""

    BATCH_FROM = 3

    def __init__(self, space: pymunk.Space, pm_bodies: list) -> None:
        self.space, self.pm_bodies = space, pm_bodies
        self.buf = pymunk.batch.Buffer()
        self.want = np.array([b.id for b in pm_bodies], np.uintp)
        self.want_bytes = self.want.tobytes()

    def read(self, pos: np.ndarray, vel: np.ndarray) -> None:
        """Fill ``pos`` ((n, 3): x m, y m, angle rad) and ``vel`` ((n, 2): m/s) for the n scene bodies."""
        nb = len(self.pm_bodies)
        if nb < self.BATCH_FROM:
            self._read_properties(pos, vel, range(nb))
            return
        buf = self.buf
        buf.clear()
        pymunk.batch.get_space_bodies(self.space, _BODY_FIELDS, buf)
        if buf.int_buf()[: len(self.want_bytes)] == self.want_bytes:  # the usual case: rows 0..n-1
            state = np.frombuffer(buf.float_buf(), np.float64, count=5 * nb).reshape(nb, 5)  # x, y, angle, vx, vy
            pos[:] = state[:, :3]
            vel[:] = state[:, 3:]
            return
        ids = np.frombuffer(buf.int_buf(), np.uintp)
        order = np.argsort(ids)
        rows = order[np.minimum(np.searchsorted(ids, self.want, sorter=order), ids.size - 1)]
        state = np.frombuffer(buf.float_buf(), np.float64).reshape(ids.size, 5)[rows]
        pos[:] = state[:, :3]
        vel[:] = state[:, 3:]
        self._read_properties(pos, vel, np.nonzero(ids[rows] != self.want)[0])

    def _read_properties(self, pos: np.ndarray, vel: np.ndarray, which) -> None:
        for j in which:
            body = self.pm_bodies[j]
            (pos[j, 0], pos[j, 1]), pos[j, 2] = body.position, body.angle
            vel[j] = body.velocity


def _static_body(made: list) -> pymunk.Body:
    """A static body of its own for one named static shape (floor, wall, rim...), appended to ``made``: a
    contact read in a batch names its two bodies, so every static shape gets one (the physics is that of one
    shared static body)."""
    made.append(pymunk.Body(body_type=pymunk.Body.STATIC))
    return made[-1]


_ARBITER_FIELDS = (pymunk.batch.ArbiterFields.BODY_A_ID | pymunk.batch.ArbiterFields.BODY_B_ID
                   | pymunk.batch.ArbiterFields.TOTAL_IMPULSE | pymunk.batch.ArbiterFields.IS_FIRST_CONTACT
                   | pymunk.batch.ArbiterFields.CONTACT_COUNT | pymunk.batch.ArbiterFields.POINT_A_1)
IMPACT_DV = 0.35  # m/s: a contact whose impulse changes the lighter body's velocity by less makes no sound
IMPACT_GAP_S = 0.05  # seconds between two events of the same two things
IMPACT_SPIKE = 3.0  # an ongoing contact is an impact again when its impulse jumps this many times


class _Contacts:
    """Contact events and ground contacts read after every sub-step from pymunk's arbiters in one batch (a
    Python ``post_solve`` callback per contact per sub-step cost more than the rest of the simulation).

    The rule: a new contact, or a spike in an existing one (a tumbling box landing on its next corner), is an
    impact when it changes the lighter scene body's velocity by more than IMPACT_DV and the same two things
    made no event in the last IMPACT_GAP_S. A resting contact re-made every few steps is not an impact.
    Every contact of a scene body with a shape of no scene body (floor, walls, shards) marks ``touch``: the
    body's speed is then its rolling/sliding speed for the sound.
    """

    def __init__(self, space: pymunk.Space, bodies: list[Body], pm_bodies: list, statics: list, setting: dict,
                 events: list[dict], touch: np.ndarray, dt: float) -> None:
        self.space, self.bodies, self.setting = space, bodies, setting
        self.events, self.touch, self.dt = events, touch, dt
        self.buf = pymunk.batch.Buffer()
        # pymunk body id -> (name, scene index or -1, mass (inf: no scene body), material, shape or None)
        self.info: dict[int, tuple] = {}
        for sh in statics:
            self.info[sh.body.id] = (sh.sim_name, -1, math.inf, _shape_material(sh, bodies, setting), None)
        for j, pb in enumerate(pm_bodies):
            sh = next(iter(pb.shapes))
            # a held ball is a sensor for a while (figures._held): sensors make no contacts
            watch = sh if bodies[j].init.get("control") is not None else None
            self.info[pb.id] = (bodies[j].name, j, pb.mass, bodies[j].material, watch)
        self.last_impulse: dict[tuple, float] = {}  # per pair of names: the impulse of the last sub-step
        self.last_event: dict[tuple, float] = {}

    def _learn(self) -> None:
        """Bodies added during the simulation (shards of a broken thing): no scene index, no events."""
        for pb in self.space.bodies:
            if pb.id not in self.info:
                sh = next(iter(pb.shapes), None)
                name = getattr(sh, "sim_name", "") if sh is not None else ""
                j = getattr(sh, "sim_index", None) if sh is not None else None
                mat = _shape_material(sh, self.bodies, self.setting) if sh is not None else "wood"
                self.info[pb.id] = (name, -1 if j is None else j, pb.mass if j is not None else math.inf, mat, None)

    def read(self, step: int) -> None:
        buf = self.buf
        buf.clear()
        pymunk.batch.get_space_arbiters(self.space, _ARBITER_FIELDS, buf)
        ints = np.frombuffer(buf.int_buf(), np.uintp).reshape(-1, 4).tolist()  # a, b, first contact, count
        if not ints:
            if self.last_impulse:
                self.last_impulse.clear()
            return
        flts = np.frombuffer(buf.float_buf(), np.float64).reshape(-1, 4).tolist()  # impulse x y, point a x y
        info, last_impulse, last_event = self.info, self.last_impulse, self.last_event
        t = step * self.dt
        seen = set()
        first_event = len(self.events)
        for (ida, idb, first, count), (jx, jy, px, py) in zip(ints, flts, strict=True):
            if not count:  # a cached arbiter: the two have separated
                continue
            a, b = info.get(ida), info.get(idb)
            if a is None or b is None:
                self._learn()
                a, b = info[ida], info[idb]
            if (a[4] is not None and a[4].sensor) or (b[4] is not None and b[4].sensor):
                continue
            if a[1] >= 0 and b[1] < 0:
                self.touch[step, a[1]] = True
            elif b[1] >= 0 and a[1] < 0:
                self.touch[step, b[1]] = True
            key = (a[0], b[0]) if a[0] <= b[0] else (b[0], a[0])
            seen.add(key)
            imp = math.sqrt(jx * jx + jy * jy)
            prev = last_impulse.get(key, 0.0)
            last_impulse[key] = imp
            if not (first or imp > IMPACT_SPIKE * prev + 1e-6):
                continue
            m = min(a[2], b[2])
            dv = imp / m if m < math.inf else 0.0
            if dv > IMPACT_DV and t - last_event.get(key, -1.0) > IMPACT_GAP_S:
                last_event[key] = t
                self.events.append({"t": t, "bodies": [a[0], b[0]], "impulse": imp, "dv": dv, "wx": px, "wy": py,
                                    "materials": [a[3], b[3]]})
        for key in [k for k in last_impulse if k not in seen]:  # separated: a new contact starts from nothing
            del last_impulse[key]
        if len(self.events) - first_event > 1:
            # pymunk lists arbiters in an order that follows memory addresses, which differ from run to run: one
            # sub-step's events are put in an order of their own, so a seed gives the same sound in every process
            self.events[first_event:] = sorted(self.events[first_event:], key=lambda e: (e["bodies"], e["wx"], e["wy"]))


def _shape_material(shape, bodies: list[Body], setting: dict) -> str:
    i = getattr(shape, "sim_index", None)
    if i is not None:
        return bodies[i].material
    name = getattr(shape, "sim_name", "")
    if name in ("backboard",):
        return "glass"
    if name == "rim":
        return "steel"
    if name == "ramp":
        return "wood"
    return setting.get("ground_material", "wood")
