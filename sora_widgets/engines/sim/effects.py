"""More physics (issue 18 item 4), wired into each stage of the sim engine by one call per stage.

- Reading (:func:`claims`, :func:`read`, called by :mod:`.parse`): liquid words ("water", "milk"...), pouring
  ("pours", "fills", "spills"), a body of water ("in the water", "the lake", "swims"), boards that float
  ("paddleboard", "surfboard", "raft"), breaking ("shatters", "breaks", "smashes") and dominoes become scene
  slots: ``scene["water"]``, ``scene["liquid"]``, a group's ``breakable``, a group with ``form`` "domino" or
  "board" (drawn and simulated as a box of that shape).
- Layout (:func:`arrange`, called at the end of ``physics.layout``): dominoes stand in a row and the first is
  tipped; boards lie on the water and figures stand on them; things in water start at its surface; figures
  walking or running on ice glide instead (skating: they push off once and slide on the ice's low friction).
- Simulation (:func:`attach`, called by ``physics.simulate``): buoyancy and splashes (:mod:`.liquids`), poured
  particles, breaking (:mod:`.breakage`); the result lands in ``SimResult.extras``.
- Drawing (:func:`draw`, :func:`hidden`) and sound (:func:`sound`): water, poured liquid, shards, splashes,
  crashes and pouring, from that result.

Every scene without these words is unchanged, byte for byte: nothing here runs or draws random numbers then.
"""

from __future__ import annotations

import math

import numpy as np

from . import breakage, liquids, things, vocab

__all__ = ["arrange", "attach", "claims", "draw", "hidden", "read", "sound", "WATER_LEVEL_M"]

WATER_LEVEL_M = 1.1  # height of a body of water's surface above the ground, metres (about a fifth of the view)
POUR_WORDS = frozenset({"pour", "pours", "poured", "pouring", "fill", "fills", "filled", "filling", "spill",
                        "spills", "spilled", "spilling", "spilt", "drip", "drips", "dripping", "flows", "flowing",
                        "overflows", "overflowing", "verse", "versé"})
SPILL_WORDS = frozenset({"spill", "spills", "spilled", "spilling", "spilt"})
#: Words for a body of water (some are setting keywords of the beach: the scene then also has water).
#: Not "waves" (a hand waves), "floats" (a balloon floats) or "sink" (a kitchen sink).
WATER_WORDS = frozenset({"pool", "swimming", "swim", "swims", "swimmer", "swimmers", "lake", "sea", "ocean", "river",
                         "pond", "underwater", "splash", "splashes", "splashing", "paddling", "bay", "harbor",
                         "harbour", "canal", "bathtub", "piscine", "lac", "mer", "rivière"})
#: Boards that float, as (form, rgb, half extents m): "a paddleboard", "a surfboard", "a raft".
BOARDS: dict[str, tuple[tuple[int, int, int], tuple[float, float]]] = {
    "paddleboard": ((250, 250, 245), (1.2, 0.07)), "surfboard": ((255, 215, 80), (1.0, 0.06)),
    "raft": ((190, 140, 80), (1.1, 0.12)), "kayak": ((240, 90, 40), (1.3, 0.1)),
    "board": ((250, 250, 245), (1.2, 0.07)),
}
BOARD_WORDS = {"paddleboard": "paddleboard", "paddleboards": "paddleboard", "paddle": "paddleboard",
               "sup": "paddleboard", "surfboard": "surfboard", "surfboards": "surfboard", "raft": "raft",
               "rafts": "raft", "kayak": "kayak", "kayaks": "kayak", "board": "board", "boards": "board"}
DOMINO_WORDS = frozenset({"domino", "dominoes", "dominos"})
DOMINO_COUNT = 12  # "dominoes" without a number
DOMINO_RATIO = (0.2, 0.55)  # a domino's width and spacing as shares of its height
#: Containers a liquid is poured into, by word -> the container drawn.
CONTAINER_WORDS = {"glass": "glass", "glasses": "glass", "tumbler": "glass", "cup": "mug", "mug": "mug",
                   "bowl": "bowl", "jar": "glass", "vase": "glass", "bucket": "mug", "verre": "glass"}
#: Share of a floating thing under water (hollow things, and people and animals who swim with their heads out).
_FLOAT_SHARE = {"board": 0.25, "hollow ball": 0.35, "boat": 0.15, "bottle": 0.5, "can": 0.5, "person": 0.8,
                "cat": 0.75, "dog": 0.75, "bird": 0.35, "swimmer": 0.2}
SKATE_SPEED = 1.8  # m/s a skater pushes off with (then glides on the ice's friction)
_LIQUID_WORDS = {w: k for k, spec in liquids.LIQUIDS.items() for w in spec["words"]}
#: Words read here whatever the sentence. Not the water's nouns ("a blue pool" keeps its colour on the pool, left
#: unplaced, not on the duck floating in it): :func:`read` finds those in the tokens.
_CLAIMED = POUR_WORDS | breakage.BREAK_WORDS | DOMINO_WORDS | set(BOARD_WORDS) | {"water", "waters", "eau"}


def claims(word: str, tokens: list[str]) -> bool:
    """Whether this (lower-case) word of the prompt ``tokens`` is read here rather than matched to a thing by
    the encoder: verbs of pouring and breaking, dominoes, boards, "water" (never a bottle), and a liquid's name
    when something pours ("coffee" is otherwise a cup of coffee, "three cups of coffee" three of them)."""
    return word in _CLAIMED or (word in _LIQUID_WORDS and not POUR_WORDS.isdisjoint(tokens))


# ----------------------------------------------------------------------------- reading
def _count_before(tokens: list[str], i: int) -> int | None:
    for j in range(i - 1, max(i - 4, -1), -1):
        w = tokens[j]
        if w.isdigit():
            return int(w)
        if w in vocab.COUNT_WORDS and w not in ("a", "an", "un", "une"):
            return vocab.COUNT_WORDS[w]
    return None


def _colour_before(tokens: list[str], i: int) -> str | None:
    cols = vocab.colors()
    for j in range(i - 1, max(i - 3, -1), -1):
        if tokens[j] in cols:
            return tokens[j]
    return None


_INTO = frozenset({"in", "into", "on", "onto", "under", "through", "across", "over", "beneath", "dans", "sur"})


def _in_water(tokens: list[str]) -> bool:
    """"in the water", "into the water", "on the water": a body of water (not "a glass of water")."""
    return any(w in ("water", "eau") and any(t in _INTO for t in tokens[max(i - 3, 0):i])
               for i, w in enumerate(tokens))


def _is_default_ball(g: dict, tokens: list[str]) -> bool:
    """A ball the parser added because it found no noun (no ball word in the prompt)."""
    return g["kind"] == "ball" and not any(w in vocab.OBJECTS["ball"]["words"] for w in tokens)


def _group(kind: str, count: int, color: str, material: str, **extra) -> dict:
    return {"kind": kind, "count": count, "color": color, "size": "medium", "material": material, "motion": None,
            "direction": None, "cameo": None, "target": None,
            "rgb": list(vocab.hex_to_rgb(vocab.colors()[color])), **extra}


def read(tokens: list[str], scene: dict) -> set[str]:
    """Add the slots of this module to a parsed scene, in place.

    Args:
        tokens: the prompt's lower-case tokens (``parse.Reading.tokens``).
        scene: the scene dict ``parse_prompt`` built (objects already finished).

    Returns:
        The words it used: the parser must not report them as not placed ("swims", "pool", "splashes").
    """
    words = set(tokens)
    used: set[str] = set()
    objects = scene["objects"]
    liquid = next((_LIQUID_WORDS[w] for w in tokens if w in _LIQUID_WORDS), None)
    if "orange" in words and "juice" in words:
        liquid = "juice"
    # dominoes: a row of thin blocks; the ball the parser fell back on is not wanted
    at = next((i for i, w in enumerate(tokens) if w in DOMINO_WORDS), None)
    if at is not None and not any(g.get("form") == "domino" for g in objects):  # an edit may name them again
        n = _count_before(tokens, at) or DOMINO_COUNT
        objects[:] = [g for g in objects if not _is_default_ball(g, tokens)]
        colour = _colour_before(tokens, at) or "white"
        objects.insert(0, _group("box", max(3, min(n, vocab.MAX_COUNT)), colour, "wood", form="domino",
                                 motion="chain", direction="left" if "left" in words else "right"))
        used |= words & DOMINO_WORDS
    # pouring: a jug pours into a container (or spills on the floor); the container is drawn with the liquid
    if words & POUR_WORDS and (liquid or words & set(CONTAINER_WORDS)) and "liquid" not in scene:
        container = next((CONTAINER_WORDS[w] for w in tokens if w in CONTAINER_WORDS), None)
        if container is None and not words & SPILL_WORDS:
            container = "glass"
        spec = liquids.LIQUIDS[liquid or "water"]
        scene["liquid"] = {"kind": liquid or "water", "pour": True, "container": container,
                           "rgb": list(spec["rgb"])}
        used |= words & (POUR_WORDS | set(_LIQUID_WORDS) | set(CONTAINER_WORDS))
        # the glass, cup or bottle named is the one drawn by the pour: not a second, falling one
        objects[:] = [g for g in objects if not (_is_default_ball(g, tokens) or g["kind"] in ("bottle", "can") or
                                                 (g["kind"] == "thing" and things.get(g["thing"]).group in
                                                  ("drink", "dishware")))]
    elif words & WATER_WORDS or _in_water(tokens) or words & set(BOARD_WORDS) - {"board", "boards"}:
        if scene.get("setting") != "ice" and scene.get("gravity", 9.81) > 0:
            scene["water"] = {"level": WATER_LEVEL_M, "rgb": list(liquids.LIQUIDS["water"]["rgb"])}
            used |= words & (WATER_WORDS | {"water", "eau"})
            if scene.get("setting") == "floor" and not words & set(vocab.SETTINGS["floor"]["words"]):
                scene["setting"] = "beach"  # water with no room named: outdoors, over a sandy bed
    board = next((BOARD_WORDS[w] for w in tokens if w in BOARD_WORDS), None)
    if board is not None and (board != "board" or "water" in scene) and not any(
            g.get("form") == "board" for g in objects):
        rgb, _half = BOARDS[board]
        g = _group("box", 1, "white", "plastic", form="board", board=board, motion="rest")
        g["rgb"] = list(rgb)
        objects.append(g)
        used |= words & set(BOARD_WORDS)
    if words & breakage.BREAK_WORDS and objects:
        used |= words & breakage.BREAK_WORDS
        glassy = [g for g in objects if g.get("material") in ("glass", "stone") or g["kind"] == "bottle"]
        for g in glassy or objects[:1]:
            g["breakable"] = True
            if g.get("motion") in (None, "collide", "rest"):
                g["motion"] = "drop"  # "the vase smashes": it falls and breaks, it does not drive into another
            if g["kind"] == "ball" and g.get("material") == "glass" and _is_default_ball(g, tokens):
                # "a glass shatters": a drinking glass, not a glass ball
                g.update(kind="box", form="glass", color="lightsteelblue",
                         rgb=list(vocab.hex_to_rgb(vocab.colors()["lightsteelblue"])))
    return used


# ----------------------------------------------------------------------------- layout
def arrange(scene: dict, world, bodies: list) -> None:
    """Adjust the bodies ``physics.layout`` placed (``physics.Body``), in place, for this module's slots."""
    groups = scene["objects"]
    water = scene.get("water")
    dominoes = [b for b in bodies if groups[b.group].get("form") == "domino"]
    if dominoes:
        _row_of_dominoes(dominoes, world, groups[dominoes[0].group].get("direction"))
    for b in bodies:
        g = groups[b.group]
        if g.get("form") == "glass":
            _reshape(b, "glass", 0.16, 0.24)
        if g.get("breakable"):
            b.init["breakable"] = True
    boards = [b for b in bodies if groups[b.group].get("form") == "board"]
    for k, b in enumerate(boards):
        hw, hh = BOARDS[groups[b.group].get("board", "paddleboard")][1]
        _reshape(b, "board", hw, hh)
        x = (0.5 + 0.3 * k) * world.w if len(boards) > 1 else 0.5 * world.w
        y = water["level"] if water else hh  # afloat, half under
        b.init = {"p": (x, y), "v": (0.0, 0.0), "w": 0.0}
    riders = [b for b in bodies if b.upright and groups[b.group].get("form") is None][:len(boards)]
    for b, board in zip(riders, boards, strict=False):  # a figure on a board stands on it
        bx, by = board.init["p"]
        b.init = {**b.init, "p": (bx, by + board.half[1] + b.half[1] + 0.01), "v": (0.0, 0.0), "drive": None}
        board.init["carries"] = [*board.init.get("carries", []), b.name]
    if water:
        for b in bodies:
            g = groups[b.group]
            share = _FLOAT_SHARE.get(g.get("form") or b.kind)
            if share is None and b.kind == "ball" and b.material in ("rubber", "plastic", "cloth", "fur"):
                share = _FLOAT_SHARE["hollow ball"]
            if share is None and b.thing is not None:
                group = things.get(b.thing).group
                share = (_FLOAT_SHARE["boat"] if group == "transport-water" else _FLOAT_SHARE["bird"]
                         if group == "animal-bird" else _FLOAT_SHARE["cat"] if group.startswith("animal") else None)
            if (g.get("action") or "") == "swim":  # a swimmer lies along the surface: the rig hangs from the root
                share = _FLOAT_SHARE["swimmer"]
            if share is not None:
                b.init["float_share"] = share
            x, y = b.init["p"]
            if b not in riders and y - b.half[1] < water["level"] and (share is not None or b.upright):
                # placed on the bed: it starts where it floats (a figure that sinks, from the surface)
                y = water["level"] + b.half[1] - 2 * b.half[1] * (share if share is not None else 0.8)
                b.init = {**b.init, "p": (x, y)}
    if (scene.get("liquid") or {}).get("pour"):  # the one pouring stands left of the stream, jug in hand
        x = liquids.POUR_X * world.w - liquids.SPOUT_DX - 0.75
        for b in [b for b in bodies if b.upright][:1]:
            b.init = {**b.init, "p": (x, b.init["p"][1]), "v": (0.0, 0.0), "drive": None}
    if scene.get("setting") == "ice":
        for b in bodies:
            drive = b.init.get("drive")
            if drive:  # skating: one push, then a glide on the ice
                sign = 1.0 if drive > 0 else -1.0
                b.init = {**b.init, "drive": None, "v": (sign * SKATE_SPEED, 0.0), "skate": True}


def _reshape(b, form: str, hw: float, hh: float) -> None:
    """Make body ``b`` a ``form`` ("domino", "board", "glass": drawn as a plain polygon with no symmetry
    assumed, unlike a box's quarter turn) of half extents ``hw`` x ``hh`` metres."""
    b.kind = form
    b.half = (hw, hh)
    b.radius = hh
    b.shape = "poly"
    b.verts = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]


def _row_of_dominoes(dominoes: list, world, direction: str | None) -> None:
    """Stand the dominoes in a row across the view, spaced so each one falling reaches the next; tip the first."""
    n = len(dominoes)
    wr, gap = DOMINO_RATIO
    h = min(0.8, 0.9 * world.w / ((n - 1) * gap + 1.0))  # the row and the last one lying flat fit the view
    hw, hh = wr * h / 2, h / 2
    span = (n - 1) * gap * h
    sign = -1.0 if direction == "left" else 1.0
    x0 = 0.5 * world.w - sign * (span + h) / 2
    tip = 2.2  # rad/s: the first domino starts turning about its front bottom corner
    for i, b in enumerate(dominoes):
        _reshape(b, "domino", hw, hh)
        b.upright = False
        x = x0 + sign * i * gap * h
        # the centre's velocity for a turn about the corner: v = w x (centre - corner)
        first = i == 0
        b.init = {"p": (x, hh + 0.002), "v": (sign * tip * hh, tip * hw) if first else (0.0, 0.0),
                  "w": -sign * tip if first else 0.0}


# ----------------------------------------------------------------------------- simulation
class Boards:
    """Records the poses of the boards (drawn here: long and thin, the renderer's square sprites of them are
    large and uncached) after every sub-step."""

    def __init__(self, boards: dict[int, object], bodies: list) -> None:
        self.boards = boards  # body index -> pymunk body
        self.half = {j: bodies[j].half for j in boards}
        self.rgb = {j: bodies[j].rgb for j in boards}
        self.track: dict[int, list] = {j: [(pb.position.x, pb.position.y, pb.angle)] for j, pb in boards.items()}

    def after_step(self, step: int) -> None:
        for j, pb in self.boards.items():
            self.track[j].append((pb.position.x, pb.position.y, pb.angle))

    def result(self) -> dict:
        return {j: {"half": self.half[j], "rgb": self.rgb[j], "track": np.array(self.track[j])}
                for j in self.boards}


class Effects:
    """The controllers of one simulation: ``before_step`` / ``after_step`` around every sub-step."""

    def __init__(self, parts: list) -> None:
        self.parts = parts

    def before_step(self, step: int) -> None:
        for p in self.parts:
            f = getattr(p, "before_step", None)
            if f is not None:
                f(step)

    def after_step(self, step: int) -> None:
        for p in self.parts:
            f = getattr(p, "after_step", None)
            if f is not None:
                f(step)

    def result(self) -> dict:
        out: dict = {}
        for p in self.parts:
            if isinstance(p, breakage.Breaker):
                out["breakage"] = p.result()
            elif isinstance(p, liquids.WaterBody):
                out["splashes"] = p.splashes
            elif isinstance(p, liquids.Pour):
                out["pour"] = p.result()
            elif isinstance(p, Boards):
                out["boards"] = p.result()
        return out


def attach(scene: dict, world, space, bodies: list, pm_bodies: list, events: list[dict], dt: float) -> Effects:
    """The controllers this scene needs (none for a scene without water, pouring or breakables).

    Args:
        scene: the scene dict.
        world: its ``physics.World``.
        space: the pymunk space, bodies already added.
        bodies: ``physics.Body`` list; ``pm_bodies``: their pymunk bodies in the same order.
        events: the simulation's contact event list (breaking reads it).
        dt: sub-step, seconds.
    """
    parts: list = []
    if scene.get("water"):
        parts.append(liquids.WaterBody(space, float(scene["water"]["level"]), world.gravity, dt, bodies, pm_bodies))
    if (scene.get("liquid") or {}).get("pour"):
        parts.append(liquids.Pour(scene["liquid"], world, dt))
    if any(b.init.get("breakable") for b in bodies):
        parts.append(breakage.Breaker(space, pm_bodies, bodies, events, dt))
    boards = {j: pb for j, (b, pb) in enumerate(zip(bodies, pm_bodies, strict=True)) if b.kind == "board"}
    if boards:
        parts.append(Boards(boards, bodies))
    return Effects(parts)


# ----------------------------------------------------------------------------- drawing and sound
def hidden(extras: dict, k: int) -> set[int]:
    """Indices of the bodies the renderer does not draw at sub-step ``k``: broken ones (their shards are drawn
    instead) and boards (drawn by :func:`draw`)."""
    gone = (extras.get("breakage") or {}).get("gone") or {}
    return {j for j, step in gone.items() if k >= step} | set(extras.get("boards") or ())


def draw(img: np.ndarray, scene: dict, world, extras: dict, i: int, k: int, fps: float, seed: int,
         paint: dict) -> None:
    """Draw this module's things into frame ``i`` (sub-step ``k``), in place: shards, poured liquid and its
    glass, then the water over everything under its surface.

    Args:
        img: (H, W, 3) uint8 frame.
        scene, world: the scene and its ``physics.World``.
        extras: ``SimResult.extras``.
        i: frame index; ``k``: the sub-step shown; ``fps``: frames per second.
        seed: the request's seed (splash droplets).
        paint: the renderer's primitives (see :func:`liquids.draw_pour`).
    """
    if not extras:
        return
    for bd in (extras.get("boards") or {}).values():
        x, y, a = bd["track"][min(k, len(bd["track"]) - 1)]
        _draw_board(img, world, x, y, a, bd["half"], bd["rgb"], paint)
    for sh in (extras.get("breakage") or {}).get("shards", []):
        j = k - sh["birth"]
        if j < 0 or not len(sh["track"]):
            continue
        x, y, a = sh["track"][min(j, len(sh["track"]) - 1)]
        ca, sa = math.cos(a), math.sin(a)
        v = sh["verts"] @ np.array([[ca, sa], [-sa, ca]]) + (x, y)
        px, py = world.to_px(v[:, 0], v[:, 1])
        verts = np.stack([px, -py], 1).astype(np.float32)  # y up for the counter-clockwise test
        rgb = np.array(sh["rgb"], np.float32)
        if sh["material"] == "glass":
            rgb = rgb * 0.8 + 20  # glass: a little darker than the body, so the pieces read on a pale floor
        paint["fill"](img, lambda xx, yy, verts=verts: paint["poly"](xx, -yy, verts),
                      (px.min() - 2, py.min() - 2, px.max() + 2, py.max() + 2), rgb, 0.95)
    if "pour" in extras:
        liquids.draw_pour(img, world, scene["liquid"], extras["pour"], k, paint)
    if scene.get("water"):
        liquids.draw_water(img, world, scene["water"], extras.get("splashes", []), i / fps, seed)


def _draw_board(img: np.ndarray, world, x: float, y: float, a: float, half: tuple, rgb, paint: dict) -> None:
    """A board at (x, y) m turned ``a`` rad: a rounded slab with a darker rail, drawn in its bounding box."""
    hw, hh = half
    ca, sa = math.cos(a), math.sin(a)
    r = hh * world.scale
    (ax, ay), (bx, by) = (world.to_px(x - (hw - hh) * ca, y - (hw - hh) * sa),
                          world.to_px(x + (hw - hh) * ca, y + (hw - hh) * sa))
    ax, ay, bx, by = float(ax), float(ay), float(bx), float(by)
    box = (min(ax, bx) - r - 2, min(ay, by) - r - 2, max(ax, bx) + r + 2, max(ay, by) + r + 2)
    cap = paint["capsule"]
    paint["fill"](img, lambda px, py: cap(px, py, ax, ay, bx, by, r), box, np.array(rgb, np.float32) * 0.6)
    paint["fill"](img, lambda px, py: cap(px, py, ax, ay - 0.3 * r, bx, by - 0.3 * r, 0.6 * r), box, rgb)


def sound(scene: dict, world, sim, n: int, sr: int, seed: int) -> np.ndarray | None:
    """(2, n) float32 to add to the mix, or None: crashes, splashes and lapping, pouring.

    Args:
        scene, world: the scene and its ``physics.World``.
        sim: the ``physics.SimResult`` (its ``extras``).
        n: samples; ``sr``: sample rate, Hz; ``seed``: the request's seed.
    """
    extras = getattr(sim, "extras", None) or {}
    if not extras:
        return None
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, 18])
    out = np.zeros((2, n), np.float32)

    def put(sig: np.ndarray, t: float, x_m: float, gain: float) -> None:
        i0 = int(round(t * sr))
        if i0 >= n:
            return
        m = min(len(sig), n - i0)
        p = min(max(x_m / max(world.w, 1e-6), 0.0), 1.0) * math.pi / 2
        out[0, i0:i0 + m] += gain * math.cos(p) * sig[:m]
        out[1, i0:i0 + m] += gain * math.sin(p) * sig[:m]

    for br in (extras.get("breakage") or {}).get("breaks", []):
        put(breakage.crash_sound(br["size"], br["material"], sr, rng), br["t"], br["x"], 1.6)
    if scene.get("water"):
        out += 0.5 * liquids.water_sound(extras.get("splashes", []), n, sr, rng)
    if "pour" in extras:
        dt = float(sim.t[1] - sim.t[0]) if len(sim.t) > 1 else 1 / 240
        put(liquids.pour_sound(extras["pour"], dt, n, sr, rng), 0.0, 0.55 * world.w, 0.5)
    return out
