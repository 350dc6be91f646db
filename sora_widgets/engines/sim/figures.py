"""Articulated figures: people, cats, dogs and birds that move like themselves (issue 18 item 2).

A figure is two things:

- its **root**, the scene body :mod:`.physics` simulates in pymunk like any other: one rigid body with the
  figure's mass and size, kept upright. It walks at its pace, takes off with a real change of velocity, flies
  a ballistic arc under the scene's gravity, lands, collides, and carries a cat on its head. :func:`setup`
  gives each action's root its schedule (take-off times and speeds, glides, a bird's flight), which the
  simulation applies through :class:`Control`; gravity and contacts stay pymunk's.
- its **skeleton**, a 2D side-view rig whose joint angles follow keyframed targets per action: pelvis, torso,
  neck, head, two legs of thigh/shin/foot and two arms of upper arm/forearm for people; a body, head, tail and
  four two-segment legs for cats and dogs; a body, head, beak, tail and two wings for birds. Poses are read
  from the clock and the root's *simulated* state: walking phases follow the distance actually covered (so a
  planted foot does not slide, and a walker stopped by a wall stops stepping); a rotation in the air (a
  backflip, a triple axel) is spread over the simulated flight, so it ends exactly at the landing.

The rig is drawn with its lowest point on the root's bottom edge: on the ground its feet are planted (a
crouch lowers the hips, a stride makes the walker bob, a fallen figure lies on the floor); in the air it
hangs from the root, so it follows the root's parabola. Feet, paws and hands that reach the ground make
contact events like any collision (:func:`add_contacts`), which :mod:`.audio` turns into footsteps, a
landing, a thud.

Actions (``scene["objects"][i]["action"]``, read from the prompt by :mod:`.parse` through
:func:`action_phrase` / :func:`assign` / :func:`note_motion`): people ``stand``, ``walk``, ``run``, ``jump``,
``kick``, ``throw``, ``catch``, ``dance``, ``wave``, ``fall``, ``swim``, ``skate``, ``spin``, ``axel`` (a
jump with ``turns`` turns), ``backflip``, ``cartwheel``, ``handle`` (hands working in front: playing,
reading, drinking, knitting); cats and dogs ``stand``, ``walk``, ``trot``,
``gallop``; birds ``fly``. Units: metres, seconds, radians; a limb's angle is measured from straight down,
positive forward (the way the figure faces).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from . import things

if TYPE_CHECKING:  # types only: physics.py and render.py import this module
    from .physics import Body, SimResult, World

__all__ = ["ACTIONS", "Animator", "Control", "action_phrase", "add_contacts", "arrange", "assign", "figure_kind",
           "human_points", "note_motion", "pose", "setup", "thing_bob"]

# --------------------------------------------------------------------------- words
#: What each kind of figure can do.
ACTIONS: dict[str, frozenset[str]] = {
    "human": frozenset({"stand", "walk", "run", "jump", "kick", "throw", "catch", "dance", "wave", "fall", "swim",
                        "skate", "spin", "axel", "backflip", "cartwheel", "handle"}),
    "quadruped": frozenset({"stand", "walk", "trot", "gallop", "jump"}),
    "bird": frozenset({"fly"}),
}

#: Phrases read as what a figure does, before the keyword lexicon (so "triple axel" is no count of three,
#: "waves" after a person is no beach, "figure skater" is one person). phrase -> the mention's value:
#: ``action``; ``turns`` for jumps with turns; ``setting`` the action implies unless the prompt names one;
#: ``noun`` when the phrase also names the doer; ``verb`` when the word is a noun after a determiner ("the
#: waves", "a fly", "a catch").
ACTION_PHRASES: dict[str, dict] = {}


def _phrases(words: str, **value) -> None:
    for w in words.split("|"):
        ACTION_PHRASES[w] = value


_phrases("backflip|backflips|back flip|back flips|backflipping|back handspring|back handsprings|somersault|"
         "somersaults|backward somersault", action="backflip")
_phrases("flip|flips|flipping", action="backflip", verb=True)
_phrases("cartwheel|cartwheels|cartwheeling", action="cartwheel")
_phrases("triple axel|triple axels", action="axel", turns=3.5, setting="ice")
_phrases("double axel|double axels", action="axel", turns=2.5, setting="ice")
_phrases("axel|axels|single axel", action="axel", turns=1.5, setting="ice")
_phrases("triple lutz|triple salchow|triple toe loop|triple loop", action="axel", turns=3.0, setting="ice")
_phrases("pirouette|pirouettes|pirouetting|twirl|twirls|twirling|scratch spin|camel spin", action="spin")
_phrases("skates|skate", action="skate", setting="ice", verb=True)
_phrases("swims|swim|swimming|swam", action="swim", setting="beach", verb=True)
_phrases("catches|catch|catching|caught", action="catch", verb=True)
_phrases("gallops|gallop|galloping|galloped", action="gallop")
_phrases("trots|trot|trotting|trotted", action="trot")
_phrases("flies|fly|flew|soars|soaring|flaps|flapping|flutters|fluttering", action="fly", setting="grass",
         verb=True)
_phrases("flying", action="fly", setting="grass")
_phrases("waves|wave|waving|waved", action="wave", verb=True)
_phrases("trips|stumbles|slips|falls over|falls down|trips over|keels over", action="fall")
_phrases("figure skater", action="skate", setting="ice", noun="person")
# Work with the hands (issue 18, VBench's human actions): the person stands, hands in front at chest height,
# working in a steady rhythm ("playing guitar", "reading a book", "drinking coffee", "knitting").
_phrases("playing|plays|play|reading|reads|drinking|drinks|eating|eats|writing|writes|cutting|cuts|knitting|"
         "knits|sewing|sews|peeling|peels|ironing|irons|sharpening|strumming|strums|drumming|drums|typing|types|"
         "cooking|cooks|cleaning|cleans|washing|washes|brushing|brushes|combing|grooming|folding|folds|smoking|"
         "texting|tasting|barbequing|barbecuing|grilling|chopping|stirring|baking|bakes|fixing|repairing|"
         "building|sculpting|carving|knitting|crocheting|shuffling|juggling|sipping|sips|holding|holds|"
         "applauding|clapping|claps|counting|arranging|assembling|wrapping|polishing|scrubbing|sweeping|mopping|"
         "shaving|pouring|feeding|petting|hugging|hugs|kissing|shaking hands|tying|sanding|painting nails|"
         "doing nails|doing makeup|applying makeup|making tea|making coffee|making bed|making sushi|"
         "making pizza|making a cake|making snowman|bartending|signing|unboxing|using computer|using a computer",
         action="handle", verb=True)
_phrases("marching|marches|hiking|hikes|strolling|wandering|walking the dog|walking dog", action="walk",
         verb=True)
_phrases("jogging|jogs|sprinting|running on treadmill", action="run", verb=True)
_phrases("doing yoga|doing tai chi|doing exercise|doing exercises|doing push ups|doing sit ups|doing ballet|ballet|breakdancing|break dancing|salsa dancing|tap dancing|zumba|tai chi|yoga|"
         "doing aerobics|aerobics|stretching|stretching leg|exercising|exercises|bending", action="dance")
_phrases("skydiving|bungee jumping|high jump|long jump|triple jump|trampolining|jumping jacks|jumping rope|"
         "skipping rope|pole vault|diving|climbing|rock climbing|climbing ladder|climbing a rope", action="jump")

#: Words before a noun: an action word marked ``verb`` right after one of these is a noun ("the waves").
_NOUN_BEFORE = frozenset("a an the this that these those his her their its my your our some big huge giant small "
                         "ocean crashing gentle rolling".split())

#: "on her head", "on his shoulders": the parser reads these as the figure named before (what rests there rests
#: on top of the figure).
POSSESSIVES = frozenset({"his", "her", "their"})
BODY_PARTS = frozenset({"head", "heads", "shoulder", "shoulders", "back", "backs", "lap", "arms", "hands", "hand"})

#: Motion words that mean an action for a figure: word -> (action, motion the root keeps; None: unchanged).
_MOTION_ACTIONS: dict[str, tuple[str, str | None]] = {
    **{w: ("dance", "rest") for w in ("dance", "dances", "dancing", "danced")},
    **{w: ("fall", "rest") for w in ("fall", "falls", "falling", "fell", "collapse", "collapses", "tumble",
                                     "tumbles")},
    **{w: ("kick", None) for w in ("kick", "kicks", "kicked", "kicking", "punts")},
    **{w: ("throw", None) for w in ("throw", "throws", "threw", "thrown", "toss", "tosses", "tossed", "hurl",
                                    "hurls", "hurled", "flung", "lob", "lobs", "lobbed", "shoot", "shoots", "pass",
                                    "passes", "launch", "launches")},
    **{w: ("spin", "rest") for w in ("spin", "spins", "spinning")},
}
#: Actions whose figure stays where it is (the root rests; the rig does the moving).
_ACTION_MOTION = {"fall": "rest", "dance": "rest", "spin": "rest", "handle": "rest"}
#: Catalogue animals have no rig (their picture is an emoji); a gait word still makes them move.
_THING_GAIT_MOTION = {"gallop": "run", "trot": "run", "walk": "walk"}


def action_phrase(tokens: list[str], i: int) -> tuple[int, dict] | None:
    """The action phrase starting at ``tokens[i]`` as (number of tokens, mention value), or None.

    Args:
        tokens: the prompt's lower-case tokens.
        i: where to look.
    """
    for n in (3, 2, 1):
        if i + n > len(tokens):
            continue
        value = ACTION_PHRASES.get(" ".join(tokens[i : i + n]))
        if value is None:
            continue
        if value.get("verb") and i > 0 and tokens[i - 1] in _NOUN_BEFORE:
            return None  # "the waves", "a fly": a noun
        return n, value
    return None


def figure_kind(group: dict) -> str | None:
    """Which rig draws a scene group: ``"human"``, ``"quadruped"``, ``"bird"`` (a catalogue bird that flies),
    or None (drawn as before: balls, boxes, catalogue pictures, cameos).

    Args:
        group: a ``scene["objects"]`` entry.
    """
    if group.get("cameo"):
        return None
    if group["kind"] == "person":
        return "human"
    if group["kind"] in ("cat", "dog"):
        return "quadruped"
    if group["kind"] == things.THING_KIND and group.get("action") == "fly":
        t = things.get(group["thing"])
        if t.group == "animal-bird":
            return "bird"
    return None


def assign(groups: list[dict], value: dict, pending: dict) -> None:
    """Give an action phrase to the groups that can do it (the doers named before it), else keep it for the
    next noun in ``pending`` ("a flying bird").

    Args:
        groups: candidate doers, in the order named (the clause's subject first).
        value: the mention value of :data:`ACTION_PHRASES`.
        pending: the parser's modifiers waiting for their noun.
    """
    action = value["action"]
    doers = []
    moved = False
    for g in groups:
        kind = figure_kind({**g, "action": action})
        if kind is not None and action in ACTIONS[kind]:
            doers.append(g)
        elif g["kind"] == things.THING_KIND and action in _THING_GAIT_MOTION and \
                things.get(g["thing"]).group.startswith("animal"):
            g["motion"] = _THING_GAIT_MOTION[action]  # "a horse gallops": the picture runs (and bobs)
            moved = True
    if moved and not doers:
        return
    if not doers and action == "handle":
        return  # hands at work need a person; nothing else takes it later
    if not doers:
        pending["action"] = action
        if "turns" in value:
            pending["turns"] = value["turns"]
        return
    for g in doers:
        g["action"] = action
        if action in _ACTION_MOTION:
            g["motion"] = _ACTION_MOTION[action]
        if "turns" in value:
            g["turns"] = float(value["turns"])
        if action in ("gallop", "trot", "walk", "run") and g.get("motion") in (None, "rest"):
            g["motion"] = "run" if action in ("gallop", "run") else "walk"


def note_motion(groups: list[dict], word: str) -> None:
    """A motion word given to ``groups`` ("dances", "falls", "kicks"): the figures among them take the
    action it means for a body with limbs (a person who falls topples over instead of being dropped).

    Args:
        groups: the groups the parser gave the motion to.
        word: the motion word as written.
    """
    hit = _MOTION_ACTIONS.get(word)
    if hit is None:
        return
    action, motion = hit
    for g in groups:
        kind = figure_kind(g)
        if kind is None or action not in ACTIONS[kind] or g.get("action") not in (None, action):
            continue  # "trips and falls": one fall; "does a backflip and falls": the backflip stays
        g["action"] = action
        if motion is not None:
            g["motion"] = motion


# --------------------------------------------------------------------------- the human rig
#: Segment lengths and radii as shares of the figure's height (soles to the top of the head).
HUMAN = {"thigh": 0.245, "shin": 0.235, "foot": 0.085, "sole": 0.02, "torso": 0.30, "neck": 0.035,
         "head_r": 0.068, "upper_arm": 0.17, "forearm": 0.165, "hip_z": 0.05, "shoulder_z": 0.09,
         "r_torso": 0.075, "r_thigh": 0.042, "r_shin": 0.033, "r_foot": 0.022, "r_upper_arm": 0.028,
         "r_forearm": 0.024, "r_neck": 0.026, "r_hand": 0.03}
_HUMAN_TOP = HUMAN["thigh"] + HUMAN["shin"] + HUMAN["sole"] + HUMAN["torso"] + HUMAN["neck"] + 2 * HUMAN["head_r"]
#: Pose keys: torso lean, near/far hip and knee, near/far shoulder and elbow, whole-body rotation in the
#: picture plane (counter-clockwise, facing right), turn about the vertical axis. Radians.
POSE_KEYS = ("lean", "hn", "kn", "hf", "kf", "sn", "en", "sf", "ef", "rot", "yaw")
_SKIN = (224.0, 172.0, 138.0)


def _down(a: float) -> tuple[float, float]:
    """Unit vector of a limb at angle ``a`` from straight down, positive forward (+x)."""
    return math.sin(a), -math.cos(a)


def human_points(p: dict, height: float) -> dict[str, tuple[float, float, float]]:
    """Joint positions (x forward, y up, z towards the viewer; metres, pelvis at the origin) of pose ``p``
    for a person ``height`` m tall, before the whole-body rotation and turn.

    Args:
        p: pose, keys of :data:`POSE_KEYS` (missing ones are 0).
        height: soles to the top of the head, metres.
    """
    H = height / _HUMAN_TOP
    g = p.get
    lean = g("lean", 0.0)
    ux, uy = math.sin(lean), math.cos(lean)
    out: dict[str, tuple[float, float, float]] = {"pelvis": (0.0, 0.0, 0.0)}
    sx, sy = ux * HUMAN["torso"] * H, uy * HUMAN["torso"] * H
    out["shoulder"] = (sx, sy, 0.0)
    nx, ny = sx + ux * HUMAN["neck"] * H, sy + uy * HUMAN["neck"] * H
    out["neck"] = (nx, ny, 0.0)
    out["head"] = (nx + ux * HUMAN["head_r"] * H, ny + uy * HUMAN["head_r"] * H, 0.0)
    for side, z in (("n", 1.0), ("f", -1.0)):
        a1 = lean + g("h" + side, 0.0)
        dx, dy = _down(a1)
        hz = z * HUMAN["hip_z"] * H
        kx, ky = dx * HUMAN["thigh"] * H, dy * HUMAN["thigh"] * H
        a2 = a1 - g("k" + side, 0.0)
        dx, dy = _down(a2)
        ax_, ay = kx + dx * HUMAN["shin"] * H, ky + dy * HUMAN["shin"] * H
        out["knee_" + side] = (kx, ky, hz)
        out["ankle_" + side] = (ax_, ay, hz)
        out["toe_" + side] = (ax_ + math.cos(a2) * HUMAN["foot"] * H, ay + math.sin(a2) * HUMAN["foot"] * H, hz)
        sz = z * HUMAN["shoulder_z"] * H
        b1 = lean + g("s" + side, 0.0)
        dx, dy = _down(b1)
        ex, ey = sx + dx * HUMAN["upper_arm"] * H, sy + dy * HUMAN["upper_arm"] * H
        b2 = b1 + g("e" + side, 0.0)
        dx, dy = _down(b2)
        out["elbow_" + side] = (ex, ey, sz)
        out["hand_" + side] = (ex + dx * HUMAN["forearm"] * H, ey + dy * HUMAN["forearm"] * H, sz)
        out["hip_" + side] = (0.0, 0.0, hz)
        out["shoulder_" + side] = (sx, sy, sz)
    return out


def _lerp(a: dict, b: dict, w: float) -> dict:
    return {k: a.get(k, 0.0) + (b.get(k, 0.0) - a.get(k, 0.0)) * w for k in set(a) | set(b)}


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def _bump(u: float) -> float:
    """0 outside [0, 1], rising smoothly to 1 at the middle."""
    return math.sin(math.pi * u) ** 2 if 0.0 < u < 1.0 else 0.0


STAND = {"hn": 0.03, "hf": -0.03, "kn": 0.05, "kf": 0.05, "sn": 0.08, "sf": -0.06, "en": 0.2, "ef": 0.15}
CROUCH = {"lean": 0.5, "hn": 1.15, "hf": 1.1, "kn": 2.0, "kf": 1.95, "sn": -0.9, "sf": -0.8, "en": 0.3, "ef": 0.3}
TUCK = {"lean": 0.3, "hn": 2.1, "hf": 2.05, "kn": 2.3, "kf": 2.25, "sn": 1.5, "sf": 1.4, "en": 1.6, "ef": 1.6}
#: Gaits: hip swing amplitude, knee flex in the swing, arm swing, elbow bend, torso lean (radians), and the
#: share of a cycle each foot is on the ground (duty factor).
GAITS = {"walk": (0.45, 0.95, 0.35, 0.25, 0.04, 0.62), "run": (0.6, 1.9, 0.7, 1.45, 0.18, 0.42),
         "skate": (0.45, 0.5, 0.5, 0.3, 0.35, 0.6)}


def gait_stride(gait: str, leg_m: float) -> float:
    """Metres covered in one full cycle (two steps) of a gait. In its stance a foot moves back relative to the
    hips by ``2 × leg × sin(amplitude)`` at a constant speed while the body covers ``duty × stride``: equal,
    the planted foot stays put."""
    amp, duty = GAITS[gait][0], GAITS[gait][5]
    return 2 * leg_m * math.sin(amp) / duty


def _leg_cycle(phase: float, amp: float, duty: float, flex: float) -> tuple[float, float]:
    """(hip angle, knee flex) of one leg at ``phase`` of its cycle. Stance (phase < duty): the straight leg's
    foot moves back at a constant speed relative to the hips (``sin(hip)`` linear), so it stays planted while
    the body moves on; swing: the foot comes forward, the knee bent most half-way."""
    phase %= 1.0
    if phase < duty:
        return math.asin(math.sin(amp) * (1 - 2 * phase / duty)), 0.05
    u = (phase - duty) / (1 - duty)
    return math.asin(-math.sin(amp) * math.cos(math.pi * u)), 0.05 + flex * math.sin(math.pi * u)


def _gait(phase: float, gait: str) -> dict:
    amp, knee, arm, elbow, lean, duty = GAITS[gait]
    c = 2 * math.pi * phase
    hn, kn = _leg_cycle(phase, amp, duty, knee)
    hf, kf = _leg_cycle(phase + 0.5, amp, duty, knee)
    p = {"lean": lean, "hn": hn, "hf": hf, "kn": kn, "kf": kf,
         "sn": -arm * math.sin(c), "sf": arm * math.sin(c), "en": elbow, "ef": elbow}
    if gait == "skate":  # a push to the side reads as a leg stretched back; the arms swing wide
        p["hf"] = -0.25 - 0.35 * max(0.0, math.sin(c))
        p["hn"] = 0.25 - 0.35 * max(0.0, -math.sin(c))
    return p


@dataclass
class Ctx:
    """What a pose depends on besides the action: the clock and the root's simulated state.

    Attributes:
        t: seconds since the start.
        dist: metres the root has covered so far (sideways, summed).
        flight: (take-off s, landing s) of the flight ``t`` is in or the last one, or None.
        next_takeoff: the next scheduled take-off (s), or None.
        turns: turns of an axel.
        aim: (dx, dy) metres from the shoulder to what the figure reaches for (catch), facing right, or None.
        held: whether the figure holds what it caught.
        leg: leg length, metres.
    """

    t: float
    dist: float = 0.0
    flight: tuple[float, float] | None = None
    next_takeoff: float | None = None
    turns: float = 3.5
    aim: tuple[float, float] | None = None
    held: bool = False
    leg: float = 0.8


#: When things happen, seconds from the start: the crouch before a take-off, a kick's foot meeting the
#: ball, a throw's release, a fall's start, the first take-off of a backflip and of an axel.
CROUCH_S = 0.3
KICK_AT = 0.45
THROW_AT = 0.5
FALL_AT = 0.5
BACKFLIP_AT = 0.6
AXEL_AT = 1.0
CARTWHEEL_S = 1.1  # one cartwheel (a full turn)


def _reach(aim: tuple[float, float], lean: float, leg: float) -> tuple[float, float]:
    """(shoulder, elbow) angles that put the near hand at ``aim`` (metres from the standing shoulder, facing
    right) with the torso leaning by ``lean``: two-link inverse kinematics, the elbow bending forward."""
    S = leg / (HUMAN["thigh"] + HUMAN["shin"])  # metres per share of the height
    T, L1, L2 = HUMAN["torso"] * S, HUMAN["upper_arm"] * S, HUMAN["forearm"] * S
    dx, dy = aim[0] - T * math.sin(lean), aim[1] - (T * math.cos(lean) - T)  # from the leaning shoulder
    d = min(max(math.hypot(dx, dy), abs(L1 - L2) + 1e-3), L1 + L2 - 1e-3)
    elbow = math.pi - math.acos((L1 * L1 + L2 * L2 - d * d) / (2 * L1 * L2))
    alpha = math.acos((L1 * L1 + d * d - L2 * L2) / (2 * L1 * d))
    return math.atan2(dx, -dy) - alpha - lean, elbow


def _air(ctx: Ctx) -> tuple[float, float] | None:
    """(u, flight duration): where ``ctx.t`` is in its flight (0 take-off .. 1 landing), or None on the ground."""
    if ctx.flight is None:
        return None
    t0, t1 = ctx.flight
    if not t0 <= ctx.t < t1:
        return None
    return (ctx.t - t0) / max(t1 - t0, 1e-6), t1 - t0


PUSH_S = 0.15  # the legs straighten in the last 0.15 s before a take-off, feet still on the ground
ABSORB_S = 0.12  # after a landing the knees take the shock in 0.12 s, then the figure stands up in 0.35 s


def _flight_pose(action: str, u: float, ctx: Ctx) -> dict:
    """The pose at ``u`` (0 take-off .. 1 landing) of a jump, a backflip or an axel."""
    if action == "jump":  # arms up, the knees drawn up at the top
        knees = math.sin(math.pi * u)
        return {"lean": 0.05, "hn": 0.1 + 0.6 * knees, "kn": 0.1 + 1.0 * knees, "hf": 0.05 + 0.55 * knees,
                "kf": 0.1 + 1.0 * knees, "sn": 2.8, "sf": 2.7, "en": 0.1, "ef": 0.1}
    if action == "backflip":
        # angular speed peaks in the tuck: rot = 2π(u − sin(2πu)/2π), 0 at take-off and landing
        rot = 2 * math.pi * (u - math.sin(2 * math.pi * u) / (2 * math.pi))
        ext = {"lean": -0.1, "hn": 0.0, "kn": 0.1, "hf": 0.0, "kf": 0.1, "sn": 2.9, "sf": 2.8, "en": 0.0, "ef": 0.0}
        return {**_lerp(ext, TUCK, math.sin(math.pi * u) ** 0.7), "rot": rot}
    # axel: arms crossed on the chest, legs crossed straight, the turns packed into the middle of the flight
    yaw = 2 * math.pi * ctx.turns * (u - math.sin(2 * math.pi * u) / (2 * math.pi))
    return {"lean": 0.0, "hn": 0.08, "kn": 0.05, "hf": -0.05, "kf": 0.1, "sn": 1.0, "en": 2.3, "sf": 0.95,
            "ef": 2.3, "yaw": yaw}


def _between_flights(action: str, ctx: Ctx) -> dict:
    """On the ground around the flights of a jump, a backflip or an axel: crouch, push off (the legs
    straighten into the flight's first pose while the feet are still down, so the body rises before it
    leaves the ground), and after a landing absorb the shock and stand up."""
    base = dict(STAND)
    if action == "axel" and ctx.dist > 0.05:
        base = _gait((ctx.dist / gait_stride("skate", ctx.leg)) % 1.0, "skate")
    if action == "axel" and ctx.flight is not None and ctx.t >= ctx.flight[1]:
        # landed backwards on one leg: the free leg stretched back, arms out
        base = {"lean": 0.25, "hn": 0.1, "kn": 0.35, "hf": -0.9, "kf": 0.1, "sn": 1.4, "en": 0.1, "sf": -1.2,
                "ef": 0.1, "yaw": 2 * math.pi * ctx.turns}
    crouch = {**CROUCH, "yaw": base.get("yaw", 0.0)}
    if ctx.next_takeoff is not None and 0.0 <= ctx.next_takeoff - ctx.t < CROUCH_S + PUSH_S:
        tau = ctx.next_takeoff - ctx.t
        if tau >= PUSH_S:
            return _lerp(base, crouch, math.sin(0.5 * math.pi * (CROUCH_S + PUSH_S - tau) / CROUCH_S))
        return _lerp(crouch, _flight_pose(action, 0.0, ctx), _smooth((PUSH_S - tau) / PUSH_S))
    if ctx.flight is not None and 0.0 <= ctx.t - ctx.flight[1] < ABSORB_S + 0.35:
        sigma = ctx.t - ctx.flight[1]
        landed = {**_flight_pose(action, 1.0, ctx), "rot": 0.0}
        soft = _lerp(base, crouch, 0.7)
        if sigma < ABSORB_S:
            return _lerp(landed, soft, _smooth(sigma / ABSORB_S))
        return _lerp(soft, base, _smooth((sigma - ABSORB_S) / 0.35))
    return base


def pose(action: str, ctx: Ctx) -> dict:
    """The human pose (keys of :data:`POSE_KEYS`) of ``action`` at ``ctx``.

    Args:
        action: one of ``ACTIONS["human"]``.
        ctx: the clock and the root's state.
    """
    t = ctx.t
    if action in ("walk", "run", "skate", "kick"):
        gait = "walk" if action == "kick" else action
        base = _gait((ctx.dist / gait_stride(gait, ctx.leg)) % 1.0, gait) if ctx.dist > 1e-3 or action != "kick" \
            else dict(STAND)
        if action == "skate" and ctx.dist < 0.05:
            base = dict(STAND)
        if action != "kick":
            return base
        u = (t - KICK_AT + 0.4) / 0.8  # back-swing, the foot meets the ball at u = 0.5, follow-through
        if not 0.0 < u < 1.0:
            return base
        hip = -0.7 + 2.4 * _smooth((u - 0.2) / 0.4) if u < 0.75 else 1.7 - 1.7 * _smooth((u - 0.75) / 0.25)
        hip = hip if u >= 0.2 else -0.7 * _smooth(u / 0.2)
        kick = {"lean": -0.15, "hn": hip, "kn": 1.3 * _bump(u / 0.55) if u < 0.45 else 0.1, "hf": -0.05,
                "kf": 0.15, "sn": -0.6, "sf": 0.9, "en": 0.3, "ef": 0.3}
        return _lerp(base, kick, math.sin(math.pi * u) ** 0.5)
    if action == "throw":
        if t < THROW_AT:  # wind-up: lean back, then forward, the hand on the ball (it waits where its flight starts)
            w = _smooth(t / 0.15)
            lean = -0.22 * math.sin(math.pi * t / THROW_AT) ** 2 if t < 0.6 * THROW_AT else \
                0.25 * _smooth((t - 0.6 * THROW_AT) / (0.4 * THROW_AT)) - 0.22 * math.sin(math.pi * t / THROW_AT) ** 2
            p = {**STAND, "lean": lean * w, "hn": 0.35 * w, "kn": 0.25 * w, "hf": -0.3 * w, "kf": 0.1, "sf": 0.6,
                 "ef": 0.5}
            if ctx.aim is not None:
                p["sn"], p["en"] = _reach(ctx.aim, p["lean"], ctx.leg)
            return p
        u = (t - THROW_AT) / 0.45  # follow-through
        if u >= 1.0:
            return _lerp({**STAND, "lean": 0.25, "sn": 0.4, "en": 0.2, "hn": 0.35, "kn": 0.25, "hf": -0.3},
                         STAND, _smooth(u - 1.0))
        return {**STAND, "lean": 0.25, "sn": 1.9 - 1.5 * _smooth(u), "en": 0.2, "hn": 0.35, "kn": 0.25, "hf": -0.3,
                "sf": 0.6, "ef": 0.5}
    if action == "catch":
        if ctx.held:
            return {**STAND, "sn": 1.1, "sf": 1.0, "en": 1.3, "ef": 1.3}
        if ctx.aim is None:
            return dict(STAND)
        dx, dy = ctx.aim
        a = math.atan2(dx, -dy)  # the arm's angle from down that points at the ball
        a = min(max(a, 0.4), 2.8)
        return {**STAND, "lean": 0.05, "sn": a, "sf": a - 0.08, "en": 0.15, "ef": 0.2, "kn": 0.2, "kf": 0.2,
                "hn": 0.15, "hf": 0.1}
    if action == "wave":
        return {**STAND, "sn": 2.75, "en": 0.45 + 0.5 * math.sin(2 * math.pi * 2.2 * t)}
    if action == "handle":  # hands in front at chest height, working twice a second
        c = math.sin(2 * math.pi * 2.0 * t)
        return {**STAND, "lean": 0.08, "sn": 0.75 + 0.12 * c, "en": 1.35 - 0.2 * c, "sf": 0.65 - 0.1 * c,
                "ef": 1.45 + 0.15 * c}
    if action == "dance":
        c = 2 * math.pi * t / 1.0  # one bar a second, a step on every beat
        up = max(0.0, math.sin(c))
        down = max(0.0, -math.sin(c))
        return {"lean": 0.12 * math.sin(c), "hn": 0.75 * up, "kn": 1.3 * up, "hf": 0.75 * down, "kf": 1.3 * down,
                "sn": 1.6 + 1.2 * up, "en": 0.9 - 0.6 * up, "sf": 1.6 + 1.2 * down, "ef": 0.9 - 0.6 * down,
                "yaw": 0.55 * math.sin(0.5 * c)}
    if action == "fall":
        u = (t - FALL_AT) / 0.85  # an inverted pendulum: slow at first, fast at the end
        if u <= 0:
            return dict(STAND)
        w = min(u, 1.0) ** 2
        lying = {"rot": -0.5 * math.pi, "sn": 2.6, "sf": 2.4, "en": 0.3, "ef": 0.3, "hn": 0.05, "hf": -0.1,
                 "kn": 0.15, "kf": 0.3, "lean": 0.0}
        mid = {"rot": -0.5 * math.pi * w, "sn": 1.5, "sf": 1.3, "en": 0.2, "ef": 0.2, "hn": 0.3, "kn": 0.4,
               "hf": -0.1, "kf": 0.1, "lean": 0.1}
        return mid if u < 1.0 else lying
    if action == "swim":  # front crawl: prone, head first, arms windmilling, a flutter kick
        c = 2 * math.pi * 0.8 * t
        return {"rot": -0.5 * math.pi + 0.05 * math.sin(2 * c), "sn": math.pi - c % (2 * math.pi),
                "sf": math.pi - (c + math.pi) % (2 * math.pi), "en": 0.25, "ef": 0.25,
                "hn": 0.25 * math.sin(3 * c), "hf": -0.25 * math.sin(3 * c), "kn": 0.25, "kf": 0.25, "lean": 0.0}
    if action == "spin":  # a scratch spin: arms hugged in, the free leg crossed, turning faster
        rate = 1.2 + 0.8 * min(t / 1.5, 1.0)  # turns per second
        return {"hn": 0.05, "kn": 0.05, "hf": 0.55, "kf": 1.3, "sn": 1.3, "en": 2.1, "sf": 1.25, "ef": 2.1,
                "yaw": 2 * math.pi * (1.2 * t + 0.4 * min(t, 1.5) ** 2 / 1.5) if rate else 0.0}
    if action in ("jump", "backflip", "axel"):
        air = _air(ctx)
        if air is None:
            return _between_flights(action, ctx)
        return _flight_pose(action, air[0], ctx)
    if action == "cartwheel":  # hands over head, legs split, rolling like a wheel along the ground
        k, u = divmod(t - 0.3, CARTWHEEL_S + 0.5)
        if t < 0.3 or u > CARTWHEEL_S:
            return dict(STAND)
        w = _smooth(u / 0.15) * _smooth((CARTWHEEL_S - u) / 0.15)
        wheel = {"sn": math.pi - 0.2, "sf": math.pi + 0.2, "en": 0.0, "ef": 0.0, "hn": 0.75, "hf": -0.75,
                 "kn": 0.0, "kf": 0.0, "lean": 0.0}
        return {**_lerp(STAND, wheel, w), "rot": -2 * math.pi * _smooth(u / CARTWHEEL_S)}
    return dict(STAND)


# --------------------------------------------------------------------------- cats and dogs
#: Gaits of four legs: (phase offset of left hind, left fore, right hind, right fore), hip amplitude,
#: flex in the swing, body pitch, bound (share of the leg lifted in the suspension).
QUAD_GAITS = {"walk": ((0.0, 0.25, 0.5, 0.75), 0.5, 0.7, 0.0, 0.0, 0.65),
              "trot": ((0.5, 0.0, 0.0, 0.5), 0.55, 0.9, 0.0, 0.06, 0.5),
              "gallop": ((0.0, 0.55, 0.1, 0.65), 0.7, 1.1, 0.12, 0.22, 0.4)}


def quad_stride(gait: str, leg_m: float) -> float:
    """Metres a cat or dog covers in one cycle of ``gait`` (as :func:`gait_stride`)."""
    _o, amp, _f, _p, _b, duty = QUAD_GAITS[gait]
    return 2 * leg_m * math.sin(amp) / duty


def _quad_legs(gait: str | None, phase: float) -> tuple[list[tuple[float, float]], float, float]:
    """(hip angle, flex) of the legs (left hind, left fore, right hind, right fore), body pitch and lift (share
    of the leg length) of a four-legged gait at ``phase``."""
    if gait is None:
        return [(0.0, 0.05)] * 4, 0.0, 0.0
    offs, amp, flex, pitch, bound, duty = QUAD_GAITS[gait]
    legs = [_leg_cycle(phase + o, amp, duty, flex) for o in offs]
    c = 2 * math.pi * phase
    return legs, pitch * math.sin(c), bound * max(0.0, math.sin(c + math.pi / 2))


def thing_bob(b: Body, t: float) -> float:
    """Metres a catalogue animal's picture (an emoji: no rig) rises at ``t`` as it walks or gallops: the bounce
    of its steps, two a stride (a stride is 1.2 body heights at a walk, 2 at a run), 2 % of its height at a
    walk and 7 % at a run. 0 for anything else.

    Args:
        b: a body (``b.thing``, ``b.init["drive"]`` in m/s, ``b.half`` in metres).
        t: seconds.
    """
    drive = b.init.get("drive") if b.thing is not None else None
    if not drive or not things.get(b.thing).group.startswith("animal"):
        return 0.0
    pace, h = abs(drive), 2 * b.half[1]
    run = pace >= 2.0
    stride = (2.0 if run else 1.2) * h
    return (0.07 if run else 0.02) * h * abs(math.sin(2 * math.pi * pace * t / stride))


# --------------------------------------------------------------------------- drawing
def _sd_capsule(px, py, ax, ay, bx, by, r):
    ex, ey = bx - ax, by - ay
    ll = ex * ex + ey * ey or 1e-9
    h = np.clip(((px - ax) * ex + (py - ay) * ey) / ll, 0.0, 1.0)
    return np.hypot(px - ax - h * ex, py - ay - h * ey) - r


def _sd_convex(px, py, pts):
    """Signed distance (approximate outside corners) to a convex polygon given in either winding."""
    pts = np.asarray(pts, np.float64)
    area = 0.5 * np.sum(pts[:, 0] * np.roll(pts[:, 1], -1) - np.roll(pts[:, 0], -1) * pts[:, 1])
    sign = 1.0 if area > 0 else -1.0
    d = None
    for k in range(len(pts)):
        ax, ay = pts[k]
        bx, by = pts[(k + 1) % len(pts)]
        ex, ey = bx - ax, by - ay
        ln = math.hypot(ex, ey) or 1.0
        s = sign * ((px - ax) * ey - (py - ay) * ex) / ln
        d = s if d is None else np.maximum(d, s)
    return d


@dataclass
class _Part:
    """One shape of a figure in frame pixels (y down): a capsule (a, b, r), or a convex polygon."""

    kind: str  # "capsule" | "poly"
    pts: list
    r: float
    rgb: tuple
    depth: float = 0.0


def _raster(parts: list[_Part]) -> tuple[np.ndarray, int, int]:
    """Premultiplied RGBA (h, w, 4) float32 of ``parts`` drawn in order, and its top-left frame pixel."""
    xs = [x for p in parts for x, _ in p.pts]
    ys = [y for p in parts for _, y in p.pts]
    pad = max(p.r for p in parts) + 2
    X0, Y0 = int(math.floor(min(xs) - pad)), int(math.floor(min(ys) - pad))
    w, h = int(math.ceil(max(xs) + pad)) - X0 + 1, int(math.ceil(max(ys) + pad)) - Y0 + 1
    out = np.zeros((h, w, 4), np.float32)
    for p in parts:
        pxs = [x - X0 for x, _ in p.pts]
        pys = [y - Y0 for _, y in p.pts]
        x0, x1 = max(0, int(min(pxs) - p.r - 1)), min(w, int(math.ceil(max(pxs) + p.r + 1)) + 1)
        y0, y1 = max(0, int(min(pys) - p.r - 1)), min(h, int(math.ceil(max(pys) + p.r + 1)) + 1)
        if x1 <= x0 or y1 <= y0:
            continue
        gx = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
        gy = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
        if p.kind == "capsule":
            (ax, bx), (ay, by) = (pxs[0], pxs[-1]), (pys[0], pys[-1])
            sd = _sd_capsule(gx, gy, ax, ay, bx, by, p.r)
        else:
            sd = _sd_convex(gx, gy, list(zip(pxs, pys, strict=True))) - p.r
        a = np.clip(0.5 - sd, 0.0, 1.0)[..., None]
        col = np.asarray(p.rgb, np.float32) * np.where(sd[..., None] > -1.2, 0.72, 1.0)  # a darker rim
        patch = out[y0:y1, x0:x1]
        patch *= 1 - a
        patch[..., :3] += col * a
        patch[..., 3:] += a
    return out, X0, Y0


def _rotate(x: float, y: float, a: float) -> tuple[float, float]:
    c, s = math.cos(a), math.sin(a)
    return c * x - s * y, s * x + c * y


def _human_parts(p: dict, height: float, rgb: tuple, light: float) -> list[tuple[str, tuple, tuple, float, tuple,
                                                                                   float]]:
    """The person's shapes in metres (pelvis at the origin, y up, facing right) after rotation and turn, as
    (kind, point a, point b, radius, rgb, depth), drawn far side first."""
    pts = human_points(p, height)
    H = height / _HUMAN_TOP
    yaw, rot = p.get("yaw", 0.0), p.get("rot", 0.0)
    cy, sy = math.cos(yaw), math.sin(yaw)

    def place(name):
        x, y, z = pts[name]
        x2 = x * cy + z * sy
        depth = -x * sy + z * cy
        return (*_rotate(x2, y, rot), depth)

    lit = 0.6 + 0.4 * light
    main = tuple(c * lit for c in rgb)
    dark = tuple(c * 0.72 for c in main)  # trousers a shade darker than the shirt: one colour reads as one figure
    skin = _SKIN
    shoe = (60.0 * lit, 55.0 * lit, 55.0 * lit)
    out = []
    for side in ("n", "f"):
        hip, knee, ankle, toe = (place(f"{j}_{side}") for j in ("hip", "knee", "ankle", "toe"))
        sh, el, hand = (place(f"{j}_{side}") for j in ("shoulder", "elbow", "hand"))
        depth_leg = hip[2]
        depth_arm = sh[2]
        out += [("capsule", hip[:2], knee[:2], HUMAN["r_thigh"] * H, dark, depth_leg, "thigh_" + side),
                ("capsule", knee[:2], ankle[:2], HUMAN["r_shin"] * H, dark, depth_leg + 1e-3, "shin_" + side),
                ("capsule", ankle[:2], toe[:2], HUMAN["r_foot"] * H, shoe, depth_leg + 2e-3, "foot_" + side),
                ("capsule", sh[:2], el[:2], HUMAN["r_upper_arm"] * H, main, depth_arm + 0.01, "arm_" + side),
                ("capsule", el[:2], hand[:2], HUMAN["r_forearm"] * H, main, depth_arm + 0.011, "forearm_" + side),
                ("capsule", hand[:2], hand[:2], HUMAN["r_hand"] * H, skin, depth_arm + 0.012, "hand_" + side)]
    pelvis, shoulder, neck, head = (place(j) for j in ("pelvis", "shoulder", "neck", "head"))
    out += [("capsule", pelvis[:2], shoulder[:2], HUMAN["r_torso"] * H, main, 0.0, "torso"),
            ("capsule", shoulder[:2], neck[:2], HUMAN["r_neck"] * H, skin, 0.001, "neck"),
            ("capsule", head[:2], head[:2], HUMAN["head_r"] * H, skin, 0.002, "head")]
    # far limbs darker; draw by depth (far first)
    shaded = []
    for kind, a, b, r, col, depth, name in out:
        if depth < -1e-6:
            col = tuple(c * 0.8 for c in col)
        shaded.append((kind, a, b, r, col, depth, name))
    shaded.sort(key=lambda s: s[5])
    return shaded


def _quad_parts(kind: str, hw: float, hh: float, gait: str | None, phase: float, rgb: tuple, light: float,
                t: float):
    """A cat's or dog's shapes in metres (body centre at the origin, facing right), and the paw positions."""
    lit = 0.6 + 0.4 * light
    main = tuple(c * lit for c in rgb)
    far = tuple(c * 0.78 for c in main)
    dog = kind == "dog"
    leg = 0.9 * hh  # shoulder to paw
    legs, pitch, _lift = _quad_legs(gait, phase)
    body = []
    hips = {"lh": (-0.5 * hw, 0.0), "lf": (0.45 * hw, 0.0), "rh": (-0.5 * hw, 0.0), "rf": (0.45 * hw, 0.0)}
    paws = []
    for (name, (hx, hy)), (a, flex) in zip(hips.items(), legs, strict=True):
        hind = name.endswith("h")
        hx, hy = _rotate(hx, hy, pitch)
        dx, dy = _down(a)
        kx, ky = hx + dx * 0.5 * leg, hy + dy * 0.5 * leg
        a2 = a + flex if hind else a - flex  # hocks bend forward, knees back
        dx, dy = _down(a2)
        px, py = kx + dx * 0.5 * leg, ky + dy * 0.5 * leg
        col = main if name.startswith("l") else far
        depth = 1.0 if name.startswith("l") else -1.0
        body.append(("capsule", (hx, hy), (kx, ky), 0.09 * hw, col, depth, "upper_" + name))
        body.append(("capsule", (kx, ky), (px, py), 0.065 * hw, col, depth + 0.01, "paw_" + name))
        paws.append((px, py))
    ex, ey = 0.62 * hw, 0.13 * hh
    cx, cy = _rotate(0.0, 0.18 * hh, pitch)
    body.append(("ellipse", (cx, cy), (0.66 * hw, 0.36 * hh), 0.0, main, 0.0))
    tx, ty = _rotate(-0.62 * hw, 0.2 * hh, pitch)
    wag = 0.15 * math.sin(2 * math.pi * (2.5 if dog else 0.6) * t)
    tail_up = (0.95 if not dog else 0.7) * hh
    body.append(("capsule", (tx, ty), (tx - 0.3 * hw, ty + tail_up * (0.8 + wag)), 0.05 * hw, main, 0.01))
    hx, hy = _rotate(ex, 0.55 * hh + ey, pitch)
    hr = 0.3 * hh
    body.append(("capsule", (ex * 0.8, 0.35 * hh), (hx, hy), 0.16 * hh, main, 0.02))  # neck
    body.append(("capsule", (hx, hy), (hx, hy), hr, main, 0.03))
    if dog:
        body.append(("capsule", (hx, hy - 0.1 * hh), (hx + 0.42 * hw, hy - 0.16 * hh), 0.14 * hh, main, 0.04))
        body.append(("capsule", (hx - 0.1 * hw, hy + 0.2 * hh), (hx - 0.18 * hw, hy - 0.18 * hh), 0.09 * hh,
                     tuple(c * 0.55 for c in main), 0.05))
        body.append(("capsule", (hx + 0.42 * hw, hy - 0.1 * hh), (hx + 0.42 * hw, hy - 0.1 * hh), 0.06 * hh,
                     (30.0, 30.0, 30.0), 0.06))
    else:
        for dx in (-0.12, 0.14):
            body.append(("poly", [(hx + (dx - 0.1) * hw, hy + 0.55 * hr), (hx + (dx + 0.12) * hw, hy + 0.55 * hr),
                                  (hx + dx * hw, hy + 1.45 * hr)], (0, 0), 0.0, main, 0.05))
    body.append(("capsule", (hx + 0.35 * hr, hy + 0.2 * hr), (hx + 0.35 * hr, hy + 0.2 * hr), 0.11 * hr,
                 (25.0, 25.0, 25.0), 0.07))  # eye
    body = [s if len(s) == 7 else (*s, "") for s in body]
    body.sort(key=lambda s: s[5])
    return body, paws


def _bird_parts(hh: float, flap: float, rgb: tuple, light: float):
    """A flying bird's shapes in metres (body centre at the origin, facing right); ``flap`` -1 (wings down)
    to 1 (up)."""
    lit = 0.6 + 0.4 * light
    main = tuple(c * lit for c in rgb)
    far = tuple(c * 0.7 for c in main)
    s = hh
    out = []
    span = 1.5 * s
    for depth, col, ph in ((-1.0, far, 0.15), (1.0, main, 0.0)):
        tip_y = span * math.sin(0.9 * (flap - ph))
        out.append(("poly", [(-0.35 * s, 0.1 * s), (0.3 * s, 0.15 * s), (-0.2 * s, tip_y)], (0, 0), 0.03 * s, col,
                    depth))
    out.append(("ellipse", (0.0, 0.0), (0.75 * s, 0.38 * s), 0.0, main, 0.0))
    out.append(("poly", [(-0.6 * s, 0.05 * s), (-1.25 * s, 0.3 * s), (-1.25 * s, -0.2 * s)], (0, 0), 0.02 * s, main,
                -0.5))
    out.append(("capsule", (0.7 * s, 0.3 * s), (0.7 * s, 0.3 * s), 0.3 * s, main, 0.1))
    out.append(("poly", [(0.92 * s, 0.38 * s), (0.92 * s, 0.2 * s), (1.3 * s, 0.28 * s)], (0, 0), 0.01 * s,
                (240.0, 160.0, 30.0), 0.2))
    out.append(("capsule", (0.8 * s, 0.38 * s), (0.8 * s, 0.38 * s), 0.06 * s, (20.0, 20.0, 20.0), 0.3))
    out = [(*p, "") for p in out]
    out.sort(key=lambda p: p[5])
    return out


def _ellipse_poly(c, radii, n: int = 14) -> list[tuple[float, float]]:
    return [(c[0] + radii[0] * math.cos(2 * math.pi * k / n), c[1] + radii[1] * math.sin(2 * math.pi * k / n))
            for k in range(n)]


# --------------------------------------------------------------------------- physics hooks
class Control:
    """A figure's root schedule, called by the simulation before every sub-step (``control(t, body)``):
    take-offs (a change of vertical velocity at a set time, when the root is on something) and a bird's
    flight (velocity set towards a cruising height with a wing-beat bob, turning at the view's edges).

    Args:
        takeoffs: (time s, vertical speed m/s) in order.
        fly: None, or (cruise height m, speed m/s, flap Hz, x min, x max).
    """

    def __init__(self, takeoffs: list[tuple[float, float]] | None = None, fly: tuple | None = None) -> None:
        self.takeoffs = list(takeoffs or [])
        self.fly = fly
        self.heading = 0.0

    def __call__(self, t: float, body) -> None:
        if self.takeoffs and t >= self.takeoffs[0][0] and abs(body.velocity.y) < 0.6:
            _, vy = self.takeoffs.pop(0)
            body.velocity = (body.velocity.x, vy)
        if self.fly is not None:
            y0, speed, hz, xmin, xmax = self.fly
            x, y = body.position
            if not self.heading:
                self.heading = 1.0 if body.velocity.x >= 0 else -1.0
            if (x > xmax and self.heading > 0) or (x < xmin and self.heading < 0):
                self.heading = -self.heading
            bob = 0.12 * 2 * math.pi * hz * math.cos(2 * math.pi * hz * t)
            body.velocity = (self.heading * speed, 2.0 * (y0 - y) + bob)


def _facing(b: Body) -> float:
    v = b.init.get("v", (0.0, 0.0))[0]
    d = b.init.get("drive") or 0.0
    return -1.0 if (d or v) < 0 else 1.0


def setup(b: Body, g: dict, scene: dict, world: World, duration: float) -> None:
    """Make body ``b`` (laid out by physics.layout from group ``g``) a figure when its kind has a rig: set
    ``b.figure`` and the root's schedule (``b.init["control"]``, the take-offs of a jump, a backflip or an
    axel; a glide on the ice; a bird's flight).

    Args:
        b: the body, with its initial state in ``b.init``.
        g: its scene group (``action``, ``motion``, ``turns``, ``direction``).
        scene: the scene (setting, gravity).
        world: the view (metres).
        duration: the clip's length, seconds.
    """
    kind = figure_kind(g)
    if kind is None:
        return
    motion = g.get("motion")
    action = g.get("action")
    if action not in ACTIONS[kind]:
        action = None
    if kind == "human" and action is None:
        action = {"walk": "walk", "run": "run", "jump": "jump", "throw": "throw"}.get(motion, "stand")
    if kind == "quadruped" and action in (None, "stand"):
        action = {"walk": "walk", "run": "gallop", "jump": "jump"}.get(motion, "stand")
    b.figure = {"kind": kind, "action": action, "turns": float(g.get("turns") or 3.5), "facing": _facing(b)}
    if g.get("direction") == "left":
        b.figure["facing"] = -1.0
    grounded = world.floor and world.gravity > 0
    if grounded and motion == "drop" and g.get("action") and kind != "bird" and not (g.get("place") or {}).get("on"):
        b.init.update(p=(b.init["p"][0], b.half[1] + 0.01), v=(0.0, 0.0))  # it acts on the ground, not dropped
    g_ratio = math.sqrt(max(world.gravity, 0.5) / 9.81)
    takeoffs: list[tuple[float, float]] = []
    if grounded and action == "jump":
        b.init["jump"] = False  # the figure crouches before each take-off: the schedule is ours
        takeoffs = [(t, 3.0 * g_ratio) for t in np.arange(0.5, duration - 0.3, 1.1)]
    elif grounded and action == "backflip":
        takeoffs = [(t, 4.4 * g_ratio) for t in (BACKFLIP_AT, BACKFLIP_AT + 2.0) if t < duration - 1.0]
    elif grounded and action == "axel":
        takeoffs = [(AXEL_AT, 3.7 * g_ratio)] if AXEL_AT < duration - 0.8 else []
    if action in ("axel", "skate", "spin") and grounded:
        glide = {"axel": 1.3, "skate": 2.2, "spin": 0.0}[action]
        b.init["v"] = (b.figure["facing"] * glide, 0.0)  # a skater glides on (ice friction is low)
        b.init["drive"] = None
    if action == "cartwheel" and grounded:
        b.init["drive"] = b.figure["facing"] * 1.5
    if action == "swim":
        b.init["drive"] = b.figure["facing"] * 0.9
    fly = None
    if kind == "bird":
        top = world.y_bottom + world.h
        y0 = world.y_bottom + 0.62 * world.h if world.floor else world.y_bottom + 0.5 * world.h
        y0 = min(y0, top - 2 * b.half[1] - 0.2)
        b.init["p"] = (b.init["p"][0], y0)
        b.init["v"] = (b.figure["facing"] * 2.0, 0.0)
        b.init["drive"] = None
        if b.half[1] < 0.3:  # a small bird's rig is drawn at least 0.6 m tall: its wings must read
            b.half = (b.half[0] * 0.3 / b.half[1], 0.3)
        fly = (y0, 2.0, 3.0 if b.half[1] > 0.2 else 5.0, 0.8, world.w - 0.8)
    if takeoffs or fly:
        b.init["control"] = Control(takeoffs, fly)
    b.figure["takeoffs"] = [t for t, _ in takeoffs]


def arrange(bodies: list[Body], world: World) -> None:
    """Bring a kicker, thrower or catcher together with the ball it acts on (after physics.layout):

    - a kicker stands behind the ball, which rests on the ground until the foot meets it (``KICK_AT``) and
      then leaves with the shot's velocity;
    - a thrower stands where the ball's flight starts, the ball in its hand until the release
      (``THROW_AT``): the same flight, later;
    - a catcher stands across the view; the ball is thrown to its hands and stays there;
    - a person whose hands work (``handle``: "playing a guitar", "reading a book", "drinking from a cup") holds
      the first thing small enough to hold in both hands for the whole clip (:class:`_InHands`).

    Args:
        bodies: every body of the scene, laid out.
        world: the view.
    """
    for b in bodies:
        fig = b.figure
        if fig is not None and fig["kind"] == "human" and fig["action"] == "handle":
            H = 2 * b.half[1]
            thing = next((o for o in bodies if o.figure is None and not o.init.get("control")
                          and max(o.half) <= HOLD_MAX_SHARE * H), None)
            if thing is not None:
                hold = _InHands(b, bodies.index(b))
                thing.init["control"] = hold
                thing.init.update(p=hold.where(0.0, b.init["p"]), v=(0.0, 0.0), w=0.0)
            continue
        if fig is None or fig["kind"] != "human" or fig["action"] not in ("kick", "throw", "catch"):
            continue
        ball = next((o for o in bodies if o.figure is None and o.shape == "circle" and not o.init.get("control")),
                    None)
        if ball is None:
            continue
        H = 2 * b.half[1]
        if fig["action"] == "catch":
            sign = 1.0 if b.init["p"][0] > 0.5 * world.w else -1.0
            x = 0.75 * world.w if sign > 0 else 0.25 * world.w
            b.init.update(p=(x, b.half[1] + 0.01), v=(0.0, 0.0), drive=None)
            fig["facing"] = -sign
            fig["partner"] = bodies.index(ball)
            ball.init["control"] = _Catch(b, ball, world, fig)
            continue
        if ball.motion != "throw":
            continue
        (bx, by), (vx, vy) = ball.init["p"], ball.init["v"]
        sign = 1.0 if vx >= 0 else -1.0
        fig["facing"] = sign
        if fig["action"] == "kick":
            reach = 0.27 * H + ball.half[1]  # the kicking foot's reach in front of the hips at contact
        else:
            reach = 0.22 * H + ball.half[1]  # an arm's comfortable reach forward, the hand behind the ball
            fig["partner"] = bodies.index(ball)
        # the figure stands inside the view (pymunk would push a body out of the wall at the edge); the ball's
        # flight moves with it
        x = float(np.clip(bx - sign * reach, b.half[0] + 0.05, world.w - b.half[0] - 0.05))
        bx = x + sign * reach
        b.init.update(p=(x, b.half[1] + 0.01), v=(0.0, 0.0), drive=None)
        if fig["action"] == "kick":
            r = ball.half[1]
            up = 0.5 * max(world.gravity, 0.5) * 1.1  # the kicked ball flies 1.1 s before it lands
            ball.init["control"] = _Hold(KICK_AT, (bx, r + 0.002), (vx, up))
            ball.init.update(p=(bx, r + 0.002), v=(0.0, 0.0), w=0.0)
        else:
            ball.init["control"] = _Hold(THROW_AT, (bx, by), (vx, vy), carried=True)
            ball.init.update(p=(bx, by), v=(0.0, 0.0), w=0.0)


class _Hold:
    """A ball held before it is kicked or thrown: it waits on the ground (kick) or in the thrower's hand where
    its flight starts (throw; ``carried``: it touches nothing meanwhile), and leaves at ``t_release`` from ``p``
    with velocity ``v`` (the flight physics.layout planned). A carried ball does not move before the release,
    so no one takes the wind-up for a flight."""

    def __init__(self, t_release: float, p: tuple, v: tuple, carried: bool = False) -> None:
        self.t, self.p, self.v, self.carried = t_release, p, v, carried
        self.done = False

    def __call__(self, t: float, body) -> None:
        if self.done:
            return
        if t >= self.t:
            body.position = self.p
            body.velocity = self.v
            _held(body, False)
            self.done = True
            return
        if self.carried:
            _held(body, True)  # in the hand it touches nothing (it would shove its thrower)
        body.velocity = (0.0, 0.0)
        body.angular_velocity = 0.0
        body.position = self.p


def _held(body, held: bool) -> None:
    """A held ball is a sensor: it collides with nothing until it leaves the hand."""
    for shape in body.shapes:
        shape.sensor = held


#: A person holds a thing whose half extent is at most this share of the person's height (a guitar, a cup, a
#: book, an umbrella; not a table or a car).
HOLD_MAX_SHARE = 0.35
_HOLD_HZ = 60  # the hands' path is sampled this often (s⁻¹) and interpolated between samples


def hands_at(action: str, height: float, t: float) -> tuple[float, float]:
    """Where a standing person's two hands meet in pose ``action`` at ``t`` s: metres from the bottom centre of
    the figure's root (x forward, facing right; y up), drawn exactly as :class:`Animator` places the pose.

    Args:
        action: a human action of :data:`ACTIONS`.
        height: the figure's height, metres (``2 * body.half[1]``).
        t: seconds since the start.
    """
    parts = _human_parts(pose(action, Ctx(t=t)), height, (0.0, 0.0, 0.0), 1.0)
    low = min(_lowest(p) for p in parts)
    hands = [p[1] for p in parts if p[6] in ("hand_n", "hand_f")]
    return sum(h[0] for h in hands) / len(hands), sum(h[1] for h in hands) / len(hands) - low


class _InHands:
    """A thing held in a working person's hands: before every sub-step it is put where the hands are in the
    figure's pose at that time (they move twice a second) relative to where the person's root is then, upright
    and still, and it touches nothing (it would shove its holder).

    Args:
        person: the holder (a human figure).
        index: the holder's index among the scene's bodies (its shapes carry it as ``sim_index``).
    """

    def __init__(self, person: Body, index: int) -> None:
        self.index, self.half_h = index, person.half[1]
        self.sign = person.figure["facing"]
        self.height, self.action = 2 * person.half[1], person.figure["action"]
        self.path: dict[int, tuple[float, float]] = {}
        self.root = None  # the holder's pymunk body, found on the first sub-step

    def where(self, t: float, root: tuple[float, float]) -> tuple[float, float]:
        """The held thing's centre (world metres) at ``t`` s when the holder's root centre is at ``root``: the
        hands' midpoint, interpolated between samples."""
        k, u = divmod(t * _HOLD_HZ, 1.0)
        a, b = (self._sample(int(k) + d) for d in (0, 1))
        dx, dy = a[0] + (b[0] - a[0]) * u, a[1] + (b[1] - a[1]) * u
        return root[0] + self.sign * dx, root[1] - self.half_h + dy

    def _sample(self, k: int) -> tuple[float, float]:
        if k not in self.path:
            self.path[k] = hands_at(self.action, self.height, k / _HOLD_HZ)
        return self.path[k]

    def __call__(self, t: float, body) -> None:
        if self.root is None:
            self.root = next(o for o in body.space.bodies
                             if any(getattr(s, "sim_index", None) == self.index for s in o.shapes))
            _held(body, True)
        body.position = self.where(t, tuple(self.root.position))
        body.velocity = (0.0, 0.0)
        body.angle = 0.0
        body.angular_velocity = 0.0


#: A thrown ball reaches the catcher's hands this many seconds after the start.
CATCH_AT = 1.3


class _Catch:
    """The ball a catcher catches: thrown from the far side so that it reaches the catcher's hands at
    ``CATCH_AT``, then carried there."""

    def __init__(self, catcher: Body, ball: Body, world: World, fig: dict) -> None:
        H = 2 * catcher.half[1]
        sign = fig["facing"]
        reach = human_points({**STAND, "sn": 1.4, "sf": 1.3, "en": 0.15}, H)["hand_n"]
        cx, cy = catcher.init["p"]
        self.hands = (cx + sign * (reach[0] + ball.half[1]), (cy - catcher.half[1]) + 0.5 * H + reach[1])
        g = max(world.gravity, 0.0)
        x0 = cx + sign * 0.55 * world.w
        x0 = float(np.clip(x0, ball.half[1] + 0.1, world.w - ball.half[1] - 0.1))
        y0 = 1.1
        T = CATCH_AT
        self.v0 = ((self.hands[0] - x0) / T, (self.hands[1] - y0 + 0.5 * g * T * T) / T)
        ball.init.update(p=(x0, y0), v=self.v0, w=0.0)
        self.caught = False

    def __call__(self, t: float, body) -> None:
        if t >= CATCH_AT:
            if not self.caught:
                _held(body, True)
            self.caught = True
            body.position = self.hands
            body.velocity = (0.0, 0.0)
            body.angular_velocity = 0.0


# --------------------------------------------------------------------------- after the simulation
def _root_tracks(b: Body, sim: SimResult, j: int) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """(cumulative sideways distance per sub-step, flights (take-off s, landing s)) of figure ``j``."""
    x = sim.pos[:, j, 0]
    dist = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(x)))])
    flights = []
    vy = sim.vel[:, j, 1]
    for t0 in b.figure.get("takeoffs", []):
        k0 = int(np.searchsorted(sim.t, t0))
        # the take-off happens at the first sub-step at or after t0 when the root was on something
        rising = np.nonzero(vy[k0:] > 0.5)[0]
        if not len(rising):
            continue
        k_up = k0 + int(rising[0])
        falling = np.nonzero(vy[k_up:] < -0.5)[0]
        if not len(falling):
            flights.append((float(sim.t[k_up]), float(sim.t[-1]) + 1.0))
            continue
        k_fall = k_up + int(falling[0])
        landed = np.nonzero(vy[k_fall:] > -0.2)[0]
        k_land = k_fall + int(landed[0]) if len(landed) else len(vy) - 1
        flights.append((float(sim.t[max(k_up - 1, 0)]), float(sim.t[k_land])))
    return dist, flights


class Animator:
    """Poses and pictures of every figure of a simulation, frame by frame.

    Args:
        world: the view.
        bodies: the scene's bodies (figures have ``b.figure``).
        sim: the simulation.
        light: the scene's light (0..1), which dims colours like every other body.
    """

    def __init__(self, world: World, bodies: list[Body], sim: SimResult, light: float = 1.0) -> None:
        self.world, self.bodies, self.sim, self.light = world, bodies, sim, light
        self.tracks = {j: _root_tracks(b, sim, j) for j, b in enumerate(bodies) if b.figure is not None}
        self._cache: dict = {}

    def _k(self, t: float) -> int:
        s = self.sim
        return min(int(round(t * (len(s.t) - 1) / max(s.t[-1], 1e-9))), len(s.t) - 1)

    def ctx(self, j: int, t: float) -> Ctx:
        """The pose context of figure ``j`` at ``t`` seconds."""
        b = self.bodies[j]
        dist, flights = self.tracks[j]
        k = self._k(t)
        flight = None
        for f in flights:
            if f[0] <= t:
                flight = f
        nxt = next((t0 for t0 in b.figure.get("takeoffs", []) if t0 > t and not any(
            abs(f[0] - t0) < 0.2 and f[0] <= t for f in flights)), None)
        H = 2 * b.half[1]
        c = Ctx(t=t, dist=float(dist[k]), flight=flight, next_takeoff=nxt, turns=b.figure["turns"],
                leg=(HUMAN["thigh"] + HUMAN["shin"]) * H / _HUMAN_TOP)
        partner = b.figure.get("partner")
        if partner is not None:
            c.held = t >= CATCH_AT if b.figure["action"] == "catch" else t < THROW_AT
            px, py = self.sim.pos[k, partner, :2]
            rx, ry = self.sim.pos[k, j, :2]
            shoulder_y = (ry - b.half[1]) + (HUMAN["thigh"] + HUMAN["shin"] + HUMAN["sole"] + HUMAN["torso"]) * H / \
                _HUMAN_TOP
            behind = 0.8 * self.bodies[partner].half[1] if b.figure["action"] == "throw" else 0.0  # hand behind
            c.aim = (b.figure["facing"] * (px - rx) - behind, py - shoulder_y)
        return c

    def shapes(self, j: int, t: float) -> tuple[list, float, float]:
        """Figure ``j``'s shapes at ``t`` in metres relative to its anchor, the anchor's world x and the height
        of its lowest point above the root's bottom (0 on the ground)."""
        b = self.bodies[j]
        fig = b.figure
        k = self._k(t)
        rx, ry = self.sim.pos[k, j, :2]
        if fig["kind"] == "human":
            p = pose(fig["action"], self.ctx(j, t))
            parts = _human_parts(p, 2 * b.half[1], b.rgb, self.light)
        elif fig["kind"] == "quadruped":
            dist, _ = self.tracks[j]
            gait = fig["action"] if fig["action"] in QUAD_GAITS else None
            phase = (float(dist[k]) / quad_stride(gait, 0.9 * b.half[1])) % 1.0 if gait else 0.0
            parts, _paws = _quad_parts(b.kind, b.half[0], b.half[1], gait, phase, b.rgb, self.light, t)
            _l, _p, lift = _quad_legs(gait, phase)
            return parts, float(rx), lift * 0.9 * b.half[1]
        else:
            hz = 3.0 if b.half[1] > 0.2 else 5.0
            parts = _bird_parts(b.half[1], math.sin(2 * math.pi * hz * t), b.rgb, self.light)
            return parts, float(rx), 0.0
        return parts, float(rx), 0.0

    def placed(self, j: int, t: float) -> tuple[list, float, float]:
        """Figure ``j``'s shapes at ``t`` (metres, relative to an anchor, facing right) and the anchor's world
        position. On the ground the lowest point sits on the root's bottom edge (the floor, or what the figure
        stands on). In a flight the shapes' centre (by area, what a viewer sees move) follows the root's
        parabola plus a straight line from its height above the feet at take-off to that at landing, so the
        figure flies an exact parabola whatever it does with its limbs, and meets its ground poses at both ends.
        """
        parts, x, y, _target = self._placement(j, t)
        return parts, x, y

    def _placement(self, j: int, t: float) -> tuple[list, float, float, float | None]:
        """:meth:`placed`, and in a flight the height (m) its centre should be drawn at (None on the ground)."""
        b = self.bodies[j]
        k = self._k(t)
        rx, ry = self.sim.pos[k, j, :2]
        parts, _x, lift = self.shapes(j, t)
        if b.figure["kind"] == "bird":
            return parts, float(rx), float(ry), None
        low = min(_lowest(p) for p in parts)
        y = (ry - b.half[1]) - low + lift
        flight = next((f for f in self.tracks[j][1] if f[0] <= t < f[1]), None)
        if flight is not None:
            t0, t1 = flight
            t1 = min(t1, float(self.sim.t[-1]))
            ends = []
            for te in (t0 - 1e-3, t1 + 1e-3):
                pe, _x, _l = self.shapes(j, te)
                ends.append(_centroid(pe) - min(_lowest(q) for q in pe))
            u = (t - t0) / max(t1 - t0, 1e-6)
            target = (ry - b.half[1]) + ends[0] + (ends[1] - ends[0]) * u
            y = target - _centroid(parts)
            if y >= (ry - b.half[1]) - low:
                return parts, float(rx), float(y), float(target)
            y = (ry - b.half[1]) - low  # never below what it took off from
        return parts, float(rx), float(y), None

    def sprite(self, j: int, i: int, fps: float) -> tuple[np.ndarray, float, float]:
        """Premultiplied RGBA picture of figure ``j`` in frame ``i`` and the frame pixel its centre goes to
        (for Renderer._paste)."""
        b = self.bodies[j]
        parts, rx, base, target = self._placement(j, i / fps)
        sign = -1.0 if b.figure["facing"] < 0 else 1.0
        s = self.world.scale
        ox, oy = self.world.to_px(rx, base)
        ox, oy = float(ox), float(oy)
        px_parts = []
        for kind, a, bb, r, col, _d, _name in parts:
            if kind == "ellipse":
                pts = [(ox + sign * x * s, oy - y * s) for x, y in _ellipse_poly(a, bb)]
                px_parts.append(_Part("poly", pts, 0.0, col))
            elif kind == "poly":
                px_parts.append(_Part("poly", [(ox + sign * x * s, oy - y * s) for x, y in a], r * s, col))
            else:
                px_parts.append(_Part("capsule", [(ox + sign * a[0] * s, oy - a[1] * s),
                                                  (ox + sign * bb[0] * s, oy - bb[1] * s)], max(r * s, 0.6), col))
        key = (j, tuple(round(v * 4) for p in px_parts for xy in p.pts for v in xy))
        hit = self._cache.get(key)
        if hit is None:
            hit = _raster(px_parts)
            if len(self._cache) < 512:
                self._cache[key] = hit
        spr, X0, Y0 = hit
        dy = 0.0
        if target is not None:  # in the air: the drawn pixels' own centre (by alpha) goes on the parabola
            a = spr[..., 3]
            rows = np.arange(a.shape[0], dtype=np.float64) + 0.5
            cy = Y0 + float((a.sum(axis=1) * rows).sum() / max(float(a.sum()), 1e-9))
            dy = float(self.world.to_px(rx, target)[1]) - cy
        return spr, X0 + spr.shape[1] / 2, Y0 + spr.shape[0] / 2 + dy


def _centroid(parts) -> float:
    """Height of the shapes' centre, weighted by area (metres, anchor frame)."""
    num = den = 0.0
    for kind, a, b, r, *_ in parts:
        if kind == "ellipse":
            w, y = math.pi * b[0] * b[1], a[1]
        elif kind == "poly":
            w, y = 0.5 * abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(a, a[1:] + a[:1], strict=True))), \
                sum(q[1] for q in a) / len(a)
        else:
            w, y = 2 * r * math.hypot(b[0] - a[0], b[1] - a[1]) + math.pi * r * r, 0.5 * (a[1] + b[1])
        num += w * y
        den += w
    return num / max(den, 1e-12)


def _lowest(part) -> float:
    kind, a, b, r = part[:4]
    if kind == "ellipse":
        return a[1] - b[1]
    if kind == "poly":
        return min(y for _, y in a) - r
    return min(a[1], b[1]) - r


#: A foot, paw or hand that comes down to the ground faster than this (m/s) makes a contact sound.
CONTACT_SPEED = 0.25
#: A point must have risen this high (m) since its last contact to make another: a stance paw rocking a few
#: millimetres as the body moves over it is not a step.
LIFT_M = 0.03
_CONTACT_HZ = 60  # poses are evaluated this often to find contacts (their times are interpolated)


def add_contacts(world: World, bodies: list[Body], sim: SimResult, ground_material: str) -> None:
    """Append to ``sim.events`` a contact for every foot, paw or hand of a figure that comes down onto the
    ground or onto what the figure stands on (footsteps, a landing, a cartwheel's hands, a fall's thud).
    Time: where the point's height crosses 1 cm, interpolated between pose samples at 60 Hz.

    Args:
        world: the view.
        bodies: the scene's bodies.
        sim: the simulation (its ``events`` grow, kept in time order).
        ground_material: the setting's ground material (a key of ``vocab.MATERIALS``).
    """
    figs = [j for j, b in enumerate(bodies) if b.figure is not None and b.figure["kind"] != "bird"]
    if not figs:
        return
    anim = Animator(world, bodies, sim)
    duration = float(sim.t[-1])
    ts = np.arange(0.0, duration, 1.0 / _CONTACT_HZ)
    new = []
    for j in figs:
        b = bodies[j]
        names = None
        heights = []
        supported = []
        for t in ts:
            parts, _x, y = anim.placed(j, float(t))
            k = anim._k(float(t))
            ry, vy = sim.pos[k, j, 1], sim.vel[k, j, 1]
            on_floor = ry - b.half[1] < 0.03
            supported.append(on_floor or abs(vy) < 0.15)
            ends = _contact_points(parts, b.figure["kind"])
            if names is None:
                names = list(ends)
            heights.append([y + ends[n] - (ry - b.half[1]) for n in names])
        h = np.array(heights)  # (T, points) metres above the root's bottom
        dt = 1.0 / _CONTACT_HZ
        for c, name in enumerate(names or []):
            last = -1.0
            armed = True  # the point has been lifted clear since its last contact
            for k in range(1, len(ts)):
                a, bb = h[k - 1, c], h[k, c]
                armed = armed or a > LIFT_M
                if not (a > 0.01 >= bb and supported[k] and armed):
                    continue
                armed = False
                speed = (a - bb) / dt
                if speed < CONTACT_SPEED:
                    continue
                t = ts[k - 1] + dt * (a - 0.01) / max(a - bb, 1e-9)
                if t - last < 0.05:
                    continue
                last = t
                kk = anim._k(float(t))
                rx, ry = sim.pos[kk, j, :2]
                on_floor = ry - b.half[1] < 0.03
                share = 0.45 if name == "torso" else 0.12  # of the body's mass behind the contact
                mass = (b.mass or 60.0 * b.half[1]) * share
                new.append({"t": float(t), "bodies": [b.name, "floor" if on_floor else "support"],
                            "impulse": float(min(mass * speed, 6.0) * 0.25), "dv": float(speed),
                            "wx": float(rx), "wy": float(ry - b.half[1]),
                            "materials": [b.material, ground_material if on_floor else b.material],
                            "part": name})
    sim.events.extend(new)
    sim.events.sort(key=lambda e: e["t"])


#: The parts whose lowest point can touch the ground and make a sound.
_CONTACT_PARTS = frozenset({"foot_n", "foot_f", "hand_n", "hand_f", "torso", "head", "shin_n", "shin_f",
                            "paw_lh", "paw_lf", "paw_rh", "paw_rf"})


def _contact_points(parts, kind: str) -> dict[str, float]:
    """Heights (metres, anchor frame) of the lowest points of the parts that touch the ground: a person's feet,
    hands, shins, torso and head; a cat's or dog's paws."""
    return {p[6]: _lowest(p) for p in parts if p[6] in _CONTACT_PARTS}
