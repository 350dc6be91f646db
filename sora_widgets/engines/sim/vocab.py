"""The concept vocabulary of the sim engine: what a prompt can talk about.

Each *slot* (object kind, material, motion, setting, ...) has a few *concepts*;
each concept has exact keywords (English, some French) and a few descriptive
phrases. Exact keywords are looked up directly; any other content word is
embedded with MiniLM and compared with the phrases (:mod:`.parse`), so
paraphrases and synonyms ("orb", "kitten", "lunar surface") still land.

Physical units: density in kg/m², sizes in metres, gravity in m/s², speeds in m/s.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = [
    "AMBIENCES",
    "BACKDROPS",
    "BASIC_COLORS",
    "CAMERAS",
    "PACES",
    "CONCEPT_PHRASES",
    "COLLECTIVES",
    "COUNT_PHRASES",
    "COUNT_WORDS",
    "MATERIALS",
    "MOTIONS",
    "OBJECTS",
    "PLACES",
    "RELATIONS",
    "SETTINGS",
    "SIZES",
    "STOPWORDS",
    "STYLES",
    "STYLE_WORDS",
    "TIMES",
    "TRANSITIVE",
    "colors",
    "hex_to_rgb",
    "keyword_lexicon",
]

# ------------------------------------------------------------------ objects
#: kind -> (keywords, descriptive phrases for the encoder, defaults)
OBJECTS: dict[str, dict] = {
    "ball": {
        "words": ["ball", "balls", "sphere", "spheres", "orb", "orbs", "balle", "balles", "ballon", "ballons", "bille"],
        "phrases": ["a ball", "a round sphere", "a bouncy ball", "a globe"],
        "material": "rubber", "color": "red",
    },
    "box": {
        "words": ["box", "boxes", "cube", "cubes", "crate", "crates", "block", "blocks", "brick", "bricks", "boite",
                  "boîte", "boîtes", "caisse", "caisses", "dice", "die", "package", "parcel"],
        "phrases": ["a box", "a cube", "a wooden crate", "a square block", "a cardboard carton"],
        "material": "wood", "color": "tan",
    },
    "triangle": {
        "words": ["triangle", "triangles", "wedge", "wedges", "pyramid", "pyramids", "prism", "doorstop"],
        "phrases": ["a triangle", "a wedge", "a pyramid shape", "a triangular prism"],
        "material": "wood", "color": "orange",
    },
    "bottle": {
        "words": ["bottle", "bottles", "bouteille", "bouteilles", "flask", "jar", "vase"],
        "phrases": ["a bottle", "a glass bottle", "a wine bottle", "a water bottle"],
        "material": "glass", "color": "green",
    },
    "can": {
        "words": ["can", "cans", "tin", "tins", "canette", "canettes", "cup", "cups", "mug", "mugs", "cylinder",
                  "cylinders", "barrel", "barrels", "soda"],
        "phrases": ["a soda can", "a tin can", "a coffee mug", "a cylinder"],
        "material": "steel", "color": "silver",
    },
    "cat": {
        "words": ["cat", "cats", "kitten", "kittens", "kitty", "chat", "chats", "chaton", "feline", "tabby"],
        "phrases": ["a cat", "a kitten", "a pet cat", "a feline"],
        "material": "fur", "color": "gray",
    },
    "dog": {
        "words": ["dog", "dogs", "puppy", "puppies", "pup", "chien", "chiens", "chiot", "doggo", "hound", "canine",
                  "retriever", "retrievers", "labrador", "terrier", "bulldog", "beagle", "husky", "dachshund",
                  "spaniel", "collie", "corgi", "pug", "chihuahua", "dalmatian", "rottweiler", "greyhound"],
        "phrases": ["a dog", "a puppy", "a pet dog", "a hound"],
        "material": "fur", "color": "saddlebrown",
    },
    "person": {
        "words": ["person", "people", "man", "men", "woman", "women", "boy", "girl", "kid", "kids", "child",
                  "children", "guy", "lady", "player", "players", "figure", "athlete", "someone", "astronaut",
                  "personne", "homme", "femme", "garçon", "fille", "human", "dancer", "runner",
                   "skater", "skaters", "skier", "skiers", "surfer", "surfers", "baby", "babies", "toddler",
                   "chef", "soldier", "soldiers", "rider", "teammate", "teammates", "teenager", "teenagers",
                   "student", "students", "farmer", "worker", "workers", "gymnast", "gymnasts", "swimmer",
                   "swimmers", "cyclist", "cyclists", "hiker", "hikers", "musician", "mother",
                   "father", "mom", "dad", "grandmother", "grandfather", "boys", "girls", "friends",
                   "crowd of people", "pedestrian", "pedestrians", "tourist", "tourists", "police officer",
                   "doctor", "nurse", "teacher", "juggler", "acrobat", "ballerina", "skateboarder", "jogger"],
        "phrases": ["a person", "a man", "a woman", "a human figure", "a basketball player"],
        "material": "cloth", "color": "royalblue",
    },
}

#: Named things that imply a kind plus defaults (a basketball is an orange rubber ball, and puts us in a gym).
SPECIAL_OBJECTS: dict[str, dict] = {
    "basketball": {"kind": "ball", "color": "darkorange", "material": "rubber", "setting": "gym"},
    "basketballs": {"kind": "ball", "color": "darkorange", "material": "rubber", "setting": "gym"},
    "tennis ball": {"kind": "ball", "color": "greenyellow", "material": "rubber", "size": "small"},
    "tennis balls": {"kind": "ball", "color": "greenyellow", "material": "rubber", "size": "small"},
    "soccer ball": {"kind": "ball", "color": "white", "material": "rubber"},
    "football": {"kind": "ball", "color": "white", "material": "rubber"},
    "beach ball": {"kind": "ball", "color": "deeppink", "material": "plastic", "size": "large"},
    "bowling ball": {"kind": "ball", "color": "black", "material": "stone"},
    "marble": {"kind": "ball", "color": "deepskyblue", "material": "glass", "size": "tiny"},
    "marbles": {"kind": "ball", "color": "deepskyblue", "material": "glass", "size": "tiny"},
    "ping pong ball": {"kind": "ball", "color": "white", "material": "plastic", "size": "tiny"},
    "wine bottle": {"kind": "bottle", "color": "darkgreen", "material": "glass"},
    "soda can": {"kind": "can", "color": "red", "material": "steel"},
    "ice cube": {"kind": "box", "color": "lightcyan", "material": "glass", "size": "small"},
}

# ---------------------------------------------------------------- materials
#: elasticity (restitution 0..1), friction coefficient, density kg/m², and the modal sound:
#: modes = [(frequency Hz, decay s)], noise = share of the contact click, click_hz = its brightness (low-pass).
MATERIALS: dict[str, dict] = {
    "rubber": {"words": ["rubber", "bouncy", "caoutchouc", "elastic", "springy"],
               "phrases": ["made of rubber", "a bouncy rubber material"],
               "elasticity": 0.88, "friction": 0.9, "density": 1.0,
               "modes": [(180.0, 0.06), (410.0, 0.04), (720.0, 0.025)], "noise": 0.25, "click_hz": 1200.0},
    "steel": {"words": ["steel", "metal", "metallic", "iron", "acier", "métal", "metal", "aluminium", "aluminum",
                        "chrome", "tin-plated"],
              "phrases": ["made of steel", "a shiny metal"],
              "elasticity": 0.6, "friction": 0.4, "density": 7.8,
              "modes": [(1250.0, 0.9), (3030.0, 0.6), (5180.0, 0.35), (7400.0, 0.2)], "noise": 0.08, "click_hz": 9000.0},
    "wood": {"words": ["wood", "wooden", "bois", "timber", "oak", "pine"],
             "phrases": ["made of wood", "a wooden plank"],
             "elasticity": 0.45, "friction": 0.6, "density": 0.7,
             "modes": [(420.0, 0.08), (980.0, 0.05), (1720.0, 0.03)], "noise": 0.3, "click_hz": 4000.0},
    "glass": {"words": ["glass", "verre", "crystal", "glassy"],
              "phrases": ["made of glass", "transparent glass"],
              "elasticity": 0.6, "friction": 0.3, "density": 2.5,
              "modes": [(2100.0, 0.5), (4450.0, 0.35), (6900.0, 0.2)], "noise": 0.05, "click_hz": 11000.0},
    "plastic": {"words": ["plastic", "plastique", "vinyl", "hollow"],
                "phrases": ["made of plastic", "a light plastic toy"],
                "elasticity": 0.7, "friction": 0.5, "density": 0.4,
                "modes": [(650.0, 0.05), (1500.0, 0.03)], "noise": 0.4, "click_hz": 3000.0},
    "stone": {"words": ["stone", "rock", "granite", "marble-stone", "pierre", "concrete", "heavy"],
              "phrases": ["made of stone", "a heavy rock"],
              "elasticity": 0.3, "friction": 0.8, "density": 3.0,
              "modes": [(300.0, 0.05), (850.0, 0.03)], "noise": 0.5, "click_hz": 2500.0},
    "cardboard": {"words": ["cardboard", "paper", "carton", "papier"],
                  "phrases": ["made of cardboard", "a paper box"],
                  "elasticity": 0.2, "friction": 0.7, "density": 0.2,
                  "modes": [(250.0, 0.03)], "noise": 0.7, "click_hz": 1800.0},
    "fur": {"words": ["furry", "fluffy", "soft"],
            "phrases": ["soft fur"],
            "elasticity": 0.2, "friction": 0.9, "density": 0.9,
            "modes": [(140.0, 0.04)], "noise": 0.6, "click_hz": 700.0},
    "cloth": {"words": ["cloth", "fabric"],
              "phrases": ["made of cloth"],
              "elasticity": 0.1, "friction": 0.9, "density": 1.0,
              "modes": [(120.0, 0.05)], "noise": 0.6, "click_hz": 700.0},
}

SIZES: dict[str, dict] = {
    "tiny": {"words": ["tiny", "minuscule", "mini", "miniature", "little", "wee", "minuscule"],
             "phrases": ["very small"], "scale": 0.45},
    "small": {"words": ["small", "petit", "petite", "petits", "smaller", "compact"], "phrases": ["small"], "scale": 0.7},
    "medium": {"words": ["medium", "normal", "regular", "average"], "phrases": ["medium sized"], "scale": 1.0},
    "large": {"words": ["large", "big", "grand", "grande", "gros", "grosse", "bigger", "larger"],
              "phrases": ["large", "big"], "scale": 1.45},
    "huge": {"words": ["huge", "giant", "enormous", "massive", "gigantic", "enorme", "énorme"],
             "phrases": ["very large", "gigantic"], "scale": 1.9},
}

# ------------------------------------------------------------------ motions
MOTIONS: dict[str, dict] = {
    "drop": {"words": ["drop", "drops", "dropped", "dropping", "fall", "falls", "falling", "fell", "bounce", "bounces",
                       "bouncing", "bounced", "rebondit", "rebondissent", "tombe", "tombent", "plunges", "plummets",
                       "hops", "hopping", "ricochets", "ricochet", "ricocheting"],
             "phrases": ["bounces up and down", "falls to the ground", "is dropped from above"]},
    "roll": {"words": ["roll", "rolls", "rolling", "rolled", "roule", "roulent", "trundles", "spins", "drives",
                      "driving", "drive", "rides", "riding", "cruises", "cruising"],
             "phrases": ["rolls across the floor"]},
    "slide": {"words": ["slide", "slides", "sliding", "slid", "glides", "gliding", "skids", "skidding", "glisse",
                       "push", "pushes", "pushed", "pushing", "shoves", "drags", "pulls"],
              "phrases": ["slides across the surface"]},
    "throw": {"words": ["throw", "throws", "thrown", "threw", "toss", "tosses", "tossed", "shoot", "shoots", "shot",
                        "launch", "launches", "launched", "kick", "kicks", "kicked", "hurl", "hurled", "flung", "lancé",
                        "lance", "lob", "lobbed", "pass", "passes"],
              "phrases": ["is thrown through the air", "shoots at the basket"]},
    "stack": {"words": ["stack", "stacked", "stacks", "tower", "pile", "piled", "empilé", "empilées"],
              "phrases": ["stacked on top of each other", "a tower of blocks"]},
    "topple": {"words": ["topple", "topples", "toppling", "toppled", "tumble", "tumbles", "collapse", "collapses",
                         "knocked", "knock", "knocks", "crumbles"],
               "phrases": ["a tower topples over", "knocked over"]},
    "collide": {"words": ["collide", "collides", "colliding", "collision", "crash", "crashes", "smash", "smashes",
                          "clash", "bump", "bumps"],
                "phrases": ["crash into each other", "a head-on collision"]},
    "walk": {"words": ["walk", "walks", "walking", "strolls", "marche", "wanders", "paces"],
             "phrases": ["walks along", "taking a stroll"]},
    "run": {"words": ["run", "runs", "running", "sprints", "sprinting", "dashes", "races", "jogs", "chases", "flees", "flee", "fleeing", "hurries",
                      "chasing", "chase"],
            "phrases": ["runs quickly"]},
    "jump": {"words": ["jump", "jumps", "jumping", "leaps", "leaping", "saute", "pounces", "dances", "dancing",
                      "dance", "hops up", "skips", "jumped"],
             "phrases": ["jumps up high"]},
    "rest": {"words": ["floats", "floating", "hovers", "hovering", "perched", "lying", "sits", "sitting", "sleeps", "sleeping", "stands", "standing", "rests", "resting", "waits",
                       "lies", "still", "idle"],
             "phrases": ["sits still", "stays in place"]},
}

DIRECTIONS: dict[str, list[str]] = {
    "left": ["left", "leftward", "leftwards", "gauche", "westward"],
    "right": ["right", "rightward", "rightwards", "droite", "eastward"],
    "up": ["upward", "upwards", "skyward"],
}

OUTCOMES: dict[str, list[str]] = {
    "miss": ["miss", "misses", "missed", "missing", "airball", "clanks", "rebound", "rebounds"],
    "score": ["score", "scores", "scored", "swish", "swishes", "dunk", "dunks", "basket", "goes in", "makes it",
              "nothing but net", "sinks"],
}

# ------------------------------------------------------------------ settings
#: gravity in m/s² (downwards); ground colours as CSS names; sky gradient top/bottom by time of day.
SETTINGS: dict[str, dict] = {
    "floor": {"words": ["floor", "room", "studio", "indoors", "indoor", "table", "kitchen", "sol", "salle", "tabletop",
                        "bedroom", "office", "classroom", "library", "restaurant", "cafe", "bathroom", "hallway",
                        "garage", "workshop", "laboratory", "lab", "desk", "shelf", "countertop", "counter",
                        "ground", "warehouse", "stage"],
              "phrases": ["on a wooden floor", "inside a room"], "gravity": 9.81, "ground": "burlywood",
              "texture": "planks", "friction": 0.7, "elasticity": 0.95, "ground_material": "wood"},
    "grass": {"words": ["grass", "grassy", "lawn", "field", "park", "meadow", "garden", "herbe", "pelouse", "jardin",
                        "forest", "woods", "jungle", "farm", "countryside", "orchard", "savanna", "playground",
                        "prairie", "backyard", "yard"],
              "phrases": ["on green grass", "in a park"], "gravity": 9.81, "ground": "forestgreen",
              "texture": "blades", "friction": 0.9, "elasticity": 0.8, "ground_material": "fur"},
    "beach": {"words": ["beach", "sand", "sandy", "seaside", "shore", "plage", "sable", "coast", "dunes", "desert",
                        "ocean", "sea", "lake", "river", "pond", "waves"],
              "phrases": ["on a sandy beach", "by the sea"], "gravity": 9.81, "ground": "navajowhite",
              "texture": "grain", "friction": 1.0, "elasticity": 0.6, "ground_material": "cardboard"},
    "ice": {"words": ["ice", "icy", "rink", "frozen", "glace", "glacé", "patinoire", "skating", "snow",
                      "snowy", "glacier", "arctic", "antarctic"],
            "phrases": ["on a frozen lake", "on an ice rink"], "gravity": 9.81, "ground": "lightcyan",
            "texture": "streaks", "friction": 0.03, "elasticity": 0.9, "ground_material": "glass"},
    "gym": {"words": ["gym", "court", "basket", "hoop", "hoops", "backboard", "rim", "gymnase", "arena",
                      "gymnasium", "panier"],
            "phrases": ["a basketball court with a hoop", "in a gymnasium"], "gravity": 9.81, "ground": "peru",
            "texture": "planks", "friction": 0.7, "elasticity": 0.95, "ground_material": "wood", "hoop": True},
    "moon": {"words": ["moon", "lunar", "lune", "moonscape", "crater", "craters"],
             "phrases": ["on the surface of the moon", "lunar landscape"], "gravity": 1.62, "ground": "darkgray",
             "texture": "craters", "friction": 0.8, "elasticity": 0.9, "ground_material": "stone", "sky": "space"},
    "mars": {"words": ["mars", "martian"], "phrases": ["on the red planet mars"], "gravity": 3.71,
             "ground": "sienna", "texture": "grain", "friction": 0.8, "elasticity": 0.85, "ground_material": "stone"},
    "space": {"words": ["space", "orbit", "weightless", "zero-g", "espace", "cosmos", "galaxy", "spaceship", "space station", "outer space", "asteroid",
                        "spacestation", "zerog"],
              "phrases": ["floating in outer space", "zero gravity"], "gravity": 0.0, "ground": None,
              "texture": "stars", "friction": 0.5, "elasticity": 1.0, "ground_material": "steel", "sky": "space"},
    "street": {"words": ["street", "road", "city", "sidewalk", "pavement", "asphalt", "rue", "ville", "parking",
                         "alley", "downtown"],
               "phrases": ["on a city street", "on the asphalt road"], "gravity": 9.81, "ground": "dimgray",
               "texture": "asphalt", "friction": 0.9, "elasticity": 0.92, "ground_material": "stone"},
}

TIMES: dict[str, dict] = {
    "day": {"words": ["day", "daytime", "noon", "morning", "afternoon", "daylight", "sunny", "jour", "midday", "bright"],
            "phrases": ["in broad daylight"], "sky": ("#5aa7e6", "#cfe8fb"), "light": 1.0},
    "sunset": {"words": ["sunset", "dusk", "evening", "twilight", "soir", "golden hour", "sundown"],
               "phrases": ["at sunset", "golden hour"], "sky": ("#3b2e6e", "#f59e5b"), "light": 0.85},
    "night": {"words": ["night", "nighttime", "midnight", "dark", "nuit", "moonlight", "moonlit"],
              "phrases": ["at night", "in the dark"], "sky": ("#050914", "#1c2745"), "light": 0.6},
    "dawn": {"words": ["dawn", "sunrise", "daybreak", "aube", "matin"],
             "phrases": ["at sunrise"], "sky": ("#6f83c4", "#ffd3a5"), "light": 0.9},
}

#: Playback pace: how many seconds of the simulated world one second of the clip shows. "slow motion" shows
#: 0.4 s a second (a 4 s clip is 1.6 s of physics, its sound slowed with it and so lower), "time lapse" 3 s.
#: Read from exact phrases only (no encoder concept: concepts.npz is unchanged).
PACES: dict[str, dict] = {
    "slow_motion": {"factor": 0.4, "words": ["slow motion", "slow-motion", "slowmo", "slow mo", "in slow motion",
                                             "slowed down", "bullet time"]},
    "super_slow_motion": {"factor": 0.25, "words": ["super slow motion", "super slow-motion", "extreme slow motion",
                                                   "ultra slow motion", "high speed camera"]},
    "time_lapse": {"factor": 3.0, "words": ["time lapse", "time-lapse", "timelapse", "hyperlapse", "fast motion",
                                            "fast forward", "sped up", "speeded up", "fast-forward"]},
}

#: Camera moves. The sim draws the scene from the front at eye level (an elevation), so "front view" / "side
#: view" / "still frame" are the static camera; an aerial or wide view is a pull-back from above the action.
CAMERAS: dict[str, dict] = {
    "static": {"words": ["static", "fixed", "locked", "tripod", "steady", "front view", "side view", "still frame",
                         "tableau", "steady and smooth perspective", "smooth perspective", "locked-off",
                         "stationary camera", "eye level", "frontal view"],
               "phrases": ["a static camera"]},
    "pan": {"words": ["pan", "pans", "panning", "tracking", "follows", "dolly", "travelling", "pan left",
                      "pan right", "pans left", "pans right", "panning left", "panning right", "tracking shot",
                      "dolly shot", "truck left", "truck right", "360 view", "rotating view", "orbit shot"],
            "phrases": ["the camera pans sideways"]},
    "zoom_in": {"words": ["zoom", "zooms", "zooming", "closeup", "close-up", "push-in", "zoom in", "zooms in",
                          "zooming in", "close up", "close-up view", "close up view", "dolly in", "dolly zoom",
                          "macro"],
                "phrases": ["the camera zooms in"]},
    "zoom_out": {"words": ["zoom out", "zooms out", "zooming out", "pull back", "pulls back", "wide shot",
                           "aerial view", "aerial", "aerial shot", "bird's eye view", "birds eye view", "top view",
                           "overhead view", "drone view", "drone shot", "panoramic view", "panoramic",
                           "wide view", "wide angle", "dolly out"],
                 "phrases": ["the camera zooms out"]},
    "tilt_up": {"words": ["tilt up", "tilts up", "tilting up", "tilt", "tilts", "tilting", "crane up",
                          "pedestal up"],
                "phrases": ["the camera tilts up"]},
    "tilt_down": {"words": ["tilt down", "tilts down", "tilting down", "crane down", "pedestal down"],
                  "phrases": ["the camera tilts down"]},
    "shake": {"words": ["shaking", "shaky", "handheld", "hand-held", "camera shake", "shaking effect",
                        "intense shaking effect", "with an intense shaking effect", "jittery", "earthquake"],
              "phrases": ["a shaky handheld camera"]},
    "rack_focus": {"words": ["racking focus", "rack focus", "focus pull", "pull focus", "shallow focus",
                             "focus", "bokeh", "depth of field"],
                   "phrases": ["the focus shifts"]},
}

#: Backdrops: the place a prompt names, drawn behind the action (issue 18: "alley", "bakery shop", "the Bund
#: Shanghai", "a canyon"). Each has the ground setting it stands on (:data:`SETTINGS`), a structure that
#: :mod:`.backdrops` draws over the sky ("city": buildings with windows, "shelves": a back wall with shelves and
#: goods, "corridor": a hallway in perspective, "stairs", "mountains", "trees", "water": a horizon of water,
#: "waterfall", "underwater", "landmark": a tower / temple / arch silhouette, "house", "clouds") and its colours
#: (CSS names: main, second). A scene that names a place and no thing draws the place, not the default ball.
BACKDROPS: dict[str, dict] = {
    "city": {"words": ["city", "downtown", "skyline", "skyscraper", "skyscrapers", "metropolis", "bund", "shanghai",
                       "new york", "manhattan", "tokyo", "london", "hong kong", "town", "cityscape", "urban",
                       "buildings", "business district", "times square", "industrial area", "factory", "campus",
                       "office building", "apartment", "apartments"],
             "phrases": ["a city skyline with tall buildings", "downtown streets", "an urban landscape"],
             "setting": "street", "draw": "city", "colors": ["slategray", "lightsteelblue"]},
    "alley": {"words": ["alley", "alleyway", "lane", "backstreet", "narrow street"],
              "phrases": ["a narrow alley between buildings"],
              "setting": "street", "draw": "city", "colors": ["sienna", "rosybrown"]},
    "street": {"words": ["crosswalk", "intersection", "gas station", "parking lot", "driveway",
                         "bus station", "train station", "railway", "platform", "market", "bazaar",
                         "plaza", "gas pump"],
               "phrases": ["a busy street with shops", "a road with traffic"],
               "setting": "street", "draw": "city", "colors": ["gray", "silver"]},
    "shop": {"words": ["bakery", "bakery shop", "shop", "store", "supermarket", "grocery", "pharmacy", "drugstore",
                       "boutique", "bookstore", "mall", "shopping mall", "food court", "cafeteria", "pub",
                       "diner", "deli", "butcher shop", "candy store", "toy store", "clothing store", "florist",
                       "ice cream parlor"],
             "phrases": ["inside a shop with shelves of goods", "a store aisle"],
             "setting": "floor", "draw": "shelves", "colors": ["peru", "khaki"]},
    "library": {"words": ["library", "indoor library", "bookshelf", "bookshelves", "archive"],
                "phrases": ["a library with shelves of books"],
                "setting": "floor", "draw": "shelves", "colors": ["saddlebrown", "firebrick"]},
    "museum": {"words": ["museum", "indoor museum", "gallery", "art gallery", "exhibition", "nursery", "classroom",
                         "lobby", "hall", "auditorium", "church", "cathedral", "chapel"],
               "phrases": ["inside a museum with pictures on the walls"],
               "setting": "floor", "draw": "gallery", "colors": ["beige", "goldenrod"]},
    "kitchen": {"words": ["kitchen", "bathroom", "laundromat", "laundry room", "locker room"],
                "phrases": ["a kitchen with cupboards", "a tiled bathroom"],
                "setting": "floor", "draw": "shelves", "colors": ["lightgray", "white"]},
    "corridor": {"words": ["corridor", "hallway", "tunnel", "subway", "underground", "basement", "aisle"],
                 "phrases": ["a long corridor", "a tunnel"],
                 "setting": "floor", "draw": "corridor", "colors": ["dimgray", "wheat"]},
    "stairs": {"words": ["staircase", "stairs", "stairway", "escalator"],
               "phrases": ["a flight of stairs"],
               "setting": "floor", "draw": "stairs", "colors": ["tan", "gray"]},
    "mountains": {"words": ["mountain", "mountains", "peak", "peaks", "alps", "summit", "hills", "highlands",
                            "rocky mountains", "mountain range", "ridge", "volcano", "valley", "meadow valley"],
                  "phrases": ["snowy mountain peaks", "a mountain range"],
                  "setting": "grass", "draw": "mountains", "colors": ["slategray", "white"]},
    "glacier": {"words": ["glacier", "glaciers", "snowy mountains", "snowfield", "iceberg", "icebergs", "tundra",
                          "ski slope", "ski resort"],
                "phrases": ["a glacier of blue ice", "snow covered mountains"],
                "setting": "ice", "draw": "mountains", "colors": ["lightsteelblue", "white"]},
    "canyon": {"words": ["canyon", "canyons", "gorge", "mesa", "badlands", "grand canyon", "ravine", "cliff",
                         "cliffs", "rock formation", "arch", "sandstone", "butte", "quarry"],
               "phrases": ["a red rock canyon", "steep cliffs"],
               "setting": "beach", "draw": "mountains", "colors": ["sienna", "peru"]},
    "forest": {"words": ["forest road", "woodland", "trees", "pine forest", "rainforest", "bamboo forest",
                         "bamboo", "grove", "tree farm", "vineyard"],
               "phrases": ["a forest of tall trees"],
               "setting": "grass", "draw": "trees", "colors": ["darkgreen", "saddlebrown"]},
    "sea": {"words": ["coast", "coastal", "horizon", "harbor", "harbour", "pier", "port", "dock", "bay",
                      "lagoon", "boathouse", "marina"],
            "phrases": ["the sea on the horizon", "a harbour"],
            "setting": "beach", "draw": "water", "colors": ["steelblue", "lightblue"]},
    "waterfall": {"words": ["waterfall", "waterfalls", "cascade", "rapids", "stream", "creek", "fountain"],
                  "phrases": ["a waterfall over rocks"],
                  "setting": "grass", "draw": "waterfall", "colors": ["dimgray", "aliceblue"]},
    "underwater": {"words": ["underwater", "coral reef", "reef", "aquarium", "seabed", "seafloor",
                             "deep sea", "ocean floor"],
                   "phrases": ["under the sea", "a coral reef under water"],
                   "setting": "beach", "draw": "underwater", "colors": ["teal", "coral"]},
    "landmark": {"words": ["eiffel tower", "eiffel", "paris", "lighthouse", "big ben", "monument",
                           "statue of liberty", "skytower", "leaning tower", "pagoda", "minaret", "obelisk"],
                 "phrases": ["a famous tower", "a landmark tower"],
                 "setting": "street", "draw": "tower", "colors": ["dimgray", "lightgray"]},
    "temple": {"words": ["temple", "parthenon", "acropolis", "ruins", "palace", "castle", "colosseum", "fortress",
                         "athens", "rome", "petra", "mosque", "cathedral façade", "capitol",
                         "great wall", "taj mahal"],
               "phrases": ["an ancient temple with columns", "a palace", "ancient ruins"],
               "setting": "street", "draw": "temple", "colors": ["wheat", "tan"]},
    "bridge": {"words": ["bridge", "golden gate", "viaduct", "aqueduct"],
               "phrases": ["a bridge over water"],
               "setting": "beach", "draw": "bridge", "colors": ["firebrick", "steelblue"]},
    "house": {"words": ["house", "barn", "farmhouse", "cottage", "cabin", "hut", "teahouse", "villa", "mansion",
                        "home", "porch", "shed", "chalet", "hotel", "motel", "inn", "estate", "victorian house"],
              "phrases": ["a house with a roof", "an old barn"],
              "setting": "grass", "draw": "house", "colors": ["firebrick", "wheat"]},
    # "the sky" itself is always drawn: only clouds and lights in it are a backdrop ("a bird flies across the sky"
    # keeps a clear sky, where the analyser follows it)
    "clouds": {"words": ["clouds", "cloud", "cloudy", "aurora", "northern lights",
                      "rainbow", "sunbeams"],
            "phrases": ["fluffy white clouds", "the northern lights"],
            "setting": "grass", "draw": "clouds", "colors": ["white", "lightsteelblue"]},
}

#: Render styles: a cheap pass over each finished frame (:mod:`.styles`) for the style words people write
#: ("black and white", "in the style of Ukiyo", "watercolor painting"). "style" itself counts as placed only
#: when a style was found.
STYLES: dict[str, dict] = {
    "black_and_white": {"words": ["black and white", "black-and-white", "monochrome", "grayscale", "greyscale",
                                  "b&w", "film noir", "noir", "sepia"],
                        "phrases": ["a black and white film"]},
    "watercolor": {"words": ["watercolor", "watercolour", "watercolor painting", "watercolors", "aquarelle"],
                   "phrases": ["a watercolour painting"]},
    "pixel_art": {"words": ["pixel art", "pixel", "pixelated", "8-bit", "8 bit", "16-bit", "retro game",
                            "voxel", "minecraft"],
                  "phrases": ["retro pixel art"]},
    "cyberpunk": {"words": ["cyberpunk", "neon", "synthwave", "vaporwave", "futuristic", "sci-fi", "blade runner"],
                  "phrases": ["neon cyberpunk city lights"]},
    "cartoon": {"words": ["animated", "animation", "cartoon", "cartoonish", "anime", "comic", "comics", "disney",
                          "pixar", "3d animation", "claymation"],
                "phrases": ["a cartoon animation"]},
    "ukiyo_e": {"words": ["ukiyo", "ukiyo-e", "hokusai", "woodblock", "woodcut", "japanese print"],
                "phrases": ["a japanese woodblock print"]},
    "oil_painting": {"words": ["oil painting", "painting", "painted", "van gogh", "gogh", "monet", "impressionist",
                               "impressionism", "expressionism", "oil on canvas", "canvas", "renaissance",
                               "baroque", "pop art", "picasso", "cubism", "abstract", "fantasy art"],
                     "phrases": ["an oil painting on canvas"]},
    "surreal": {"words": ["surrealism", "surreal", "surrealist", "dali", "psychedelic", "dreamlike", "dreamy",
                          "trippy"],
                "phrases": ["a surreal dreamlike image"]},
    "sketch": {"words": ["sketch", "pencil drawing", "pencil sketch", "charcoal", "line art", "ink drawing",
                         "doodle"],
               "phrases": ["a pencil sketch"]},
}
#: Words that introduce a style ("in cyberpunk style", "in the style of Ukiyo"): placed with the style.
STYLE_WORDS = ("style", "styles", "styled", "in the style of", "aesthetic", "art style")

AMBIENCES: dict[str, dict] = {
    "rain": {"words": ["rain", "rainy", "raining", "rainstorm", "downpour", "drizzle", "pluie", "storm", "stormy",
                       "shower"],
             "phrases": ["in the pouring rain", "a rainy day"]},
    "wind": {"words": ["wind", "windy", "breeze", "breezy", "gust", "gusts", "vent", "gale"],
             "phrases": ["a strong wind blowing"]},
    "crowd": {"words": ["crowd", "audience", "spectators", "fans", "cheering", "cheers", "foule", "stadium",
                        "applause", "public"],
              "phrases": ["a cheering crowd", "an audience watching"]},
    "birds": {"words": ["birds", "bird", "birdsong", "chirping", "tweeting", "oiseaux", "songbirds"],
              "phrases": ["birds singing"]},
    "traffic": {"words": ["traffic", "cars", "honking", "circulation", "highway", "rush"],
                "phrases": ["busy city traffic"]},
    "quiet": {"words": ["quiet", "silent", "silence", "calm", "peaceful", "silencieux", "hushed", "tranquil",
                        "tranquility", "tranquillity", "serene", "serenity"],
              "phrases": ["complete silence"]},
}

GRAVITY_WORDS: dict[str, float] = {
    "zero gravity": 0.0, "no gravity": 0.0, "without gravity": 0.0, "microgravity": 0.0,
    "low gravity": 1.62, "weak gravity": 1.62, "moon gravity": 1.62,
    "high gravity": 20.0, "heavy gravity": 20.0, "strong gravity": 20.0, "double gravity": 19.62,
}

RAMP_WORDS = ["ramp", "ramps", "slope", "incline", "hill", "hillside", "chute", "rampe", "pente"]

COUNT_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "single": 1, "lone": 1, "un": 1, "une": 1,
    "two": 2, "pair": 2, "couple": 2, "both": 2, "deux": 2, "twin": 2, "twins": 2,
    "three": 3, "trois": 3, "few": 3, "several": 3,
    "four": 4, "quatre": 4, "five": 5, "cinq": 5, "six": 6, "many": 6, "lots": 6, "bunch": 4,
    "seven": 7, "sept": 7, "eight": 8, "huit": 8, "dozen": 12, "nine": 9, "neuf": 9, "ten": 10, "dix": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "numerous": 7, "countless": 20, "hundreds": 20, "thousands": 20,
    "dozens": 20, "triple": 3, "trio": 3, "quartet": 4,
}
MAX_COUNT = 20  # more bodies than this stops being readable at 256 px; the parser caps and notes it
#: Number words as people write them: the count a phrase means ("a few" = 3, "many" = 6: the scene shows that many).
COUNT_PHRASES: dict[str, int] = {
    "a pair of": 2, "a couple of": 2, "a few": 3, "a dozen": 12, "a bunch of": 4, "a lot of": 6, "lots of": 6,
    "plenty of": 6, "a handful of": 4, "a number of": 4, "a row of": 5, "a line of": 5, "half a dozen": 6,
}

#: Collective nouns: "a family of five" -> 5 people. phrase -> (kind when no noun follows, or None; default count).
COLLECTIVES: dict[str, tuple[str | None, int]] = {
    "family": ("person", 4), "group": ("person", 4), "team": ("person", 5), "crew": ("person", 4),
    "troupe": ("person", 4), "gang": ("person", 4), "choir": ("person", 6), "squad": ("person", 5),
    "pack": (None, 4), "flock": (None, 6), "herd": (None, 5), "litter": (None, 4), "swarm": (None, 10),
    "pride": (None, 4), "collection": (None, 5),
}

#: Spatial relations, as written between two things ("a cat on the left of a box") -> the layout constraint.
#: "A left_of B": A's centre is left of B's; "on": A rests on top of B; "under": B rests on A; "behind" /
#: "front": drawn behind / in front, at the same x; "next_to": adjacent; "between": B < A < C.
RELATIONS: dict[str, str] = {
    "on the left of": "left_of", "to the left of": "left_of", "left of": "left_of", "on the left side of": "left_of",
    "at the left of": "left_of", "on the right of": "right_of", "to the right of": "right_of",
    "right of": "right_of", "on the right side of": "right_of", "at the right of": "right_of",
    "on": "on", "onto": "on", "atop": "on", "on top of": "on", "upon": "on", "above": "above",
    "under": "under", "underneath": "under", "beneath": "under", "below": "under",
    "on the bottom of": "under", "at the bottom of": "under", "on the underside of": "under",
    "at the foot of": "under",
    "behind": "behind", "in front of": "front", "next to": "next_to", "beside": "next_to",
    "near": "next_to", "alongside": "next_to", "close to": "next_to", "nearby": "next_to",
    "between": "between", "in between": "between", "à gauche de": "left_of", "à droite de": "right_of",
    "sous": "under", "derrière": "behind", "devant": "front", "à côté de": "next_to", "entre": "between",
}
#: Where a thing stands in the frame when the prompt says so without a second thing ("a dog on the left").
PLACES: dict[str, float] = {
    "on the left": 0.22, "at the left": 0.22, "on the left side": 0.22, "in the left": 0.22,
    "on the right": 0.78, "at the right": 0.78, "on the right side": 0.78, "in the right": 0.78,
    "in the middle": 0.5, "in the center": 0.5, "in the centre": 0.5, "at the center": 0.5,
}

#: Verbs with a doer and a thing done to: word -> (the agent's motion, the patient's motion).
#: "a child kicks a ball": the child walks up, the ball flies; the thrower is not thrown.
TRANSITIVE: dict[str, tuple[str, str]] = {
    **{w: ("rest", "throw") for w in ("throw", "throws", "threw", "thrown", "toss", "tosses", "tossed", "hurl",
                                       "hurls", "hurled", "flung", "lob", "lobs", "lobbed", "launch", "launches",
                                       "launched", "shoot", "shoots", "pass", "passes", "lance", "lancé")},
    **{w: ("walk", "throw") for w in ("kick", "kicks", "kicked", "kicking", "hit", "hits", "strikes", "bats",
                                       "punts", "heads")},
    **{w: ("run", "run") for w in ("chase", "chases", "chasing", "chased", "follows", "pursues", "hunts")},
    **{w: ("walk", "slide") for w in ("push", "pushes", "pushed", "pushing", "shoves", "drags", "pulls")},
    **{w: ("walk", "topple") for w in ("knock", "knocks", "knocked")},
    **{w: ("rest", "drop") for w in ("drop", "drops", "dropped", "dropping", "bounce", "bounces", "bouncing",
                                      "bounced", "dribbles", "dribbling", "juggles", "juggling")},
    **{w: ("rest", "roll") for w in ("roll", "rolls", "rolled", "rolling")},
}

STOPWORDS = frozenset(
    """the a an of on in at to from into onto with and or but then while as is are was were be being been it its
    it's this that these those there here some very really just so too by for off over under across through
    around about toward towards against near next beside behind front back again each other another also up down
    out away along has have had does do did who which what when where how than like very quite slowly quickly
    fast slow gently hard softly loudly makes make making gets get getting goes go going come comes their his her
    our my your they them he she we you i me us onto upon one's camera shot scene video clip shows showing show
    while during under above below between after before until toward le la les des du de d l sur dans et qui au aux
    à avec est sont en par pour une un puis très surface says say said shouts shout yells whispers whisper sings
    asks exclaims dit crie murmure chante talks speaks barks meows replies answers""".split()
)

#: Basic colour categories the analyser and the recolour edit speak about (sRGB).
BASIC_COLORS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 35), "orange": (245, 130, 20), "yellow": (245, 215, 30), "green": (40, 170, 60),
    "blue": (35, 85, 220), "purple": (130, 50, 180), "pink": (245, 120, 175), "brown": (130, 80, 40),
    "black": (20, 20, 20), "white": (245, 245, 245), "gray": (128, 128, 128), "cyan": (30, 200, 215),
}

#: French colour words (the basic ones), by English name.
FRENCH_COLORS = {
    "rouge": "red", "rouges": "red", "bleu": "blue", "bleue": "blue", "bleus": "blue", "bleues": "blue", "vert": "green",
    "verte": "green", "jaune": "yellow", "jaunes": "yellow", "noir": "black", "noire": "black", "blanc": "white",
    "blanche": "white", "violet": "purple", "violette": "purple", "rose": "pink", "gris": "gray", "grise": "gray",
    "marron": "brown", "orange": "orange", "verts": "green", "vertes": "green", "noirs": "black", "noires": "black",
    "blancs": "white", "blanches": "white", "violets": "purple", "violettes": "purple", "roses": "pink",
    "grises": "gray", "marrons": "brown", "oranges": "orange",
}


@lru_cache(maxsize=1)
def colors() -> dict[str, str]:
    """Every colour name we know (CSS 4 + XKCD survey + basic + French) -> '#rrggbb'."""
    data = json.loads((Path(__file__).with_name("colors.json")).read_text())
    for name, rgb in BASIC_COLORS.items():
        data[name] = "#{:02x}{:02x}{:02x}".format(*rgb)
    data["grey"] = data["gray"]
    for fr, en in FRENCH_COLORS.items():
        data[fr] = data[en]
    return data


def hex_to_rgb(h: str) -> tuple[int, int, int]:
    h = h.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


_SLOT_TABLES = {
    "object": OBJECTS, "material": MATERIALS, "size": SIZES, "motion": MOTIONS, "setting": SETTINGS,
    "time": TIMES, "camera": CAMERAS, "ambience": AMBIENCES, "backdrop": BACKDROPS, "style": STYLES,
}


@lru_cache(maxsize=1)
def keyword_lexicon() -> dict[str, tuple[str, object]]:
    """Exact phrase (lower case, 1-4 words) -> (slot, value). Later entries do not override earlier slots,
    except colours, which yield to every other slot ("steel", "sand", "ice" are things before they are colours)."""
    lex: dict[str, tuple[str, object]] = {}
    for name, _hexv in colors().items():
        lex[name] = ("color", name)
        if " " in name:
            lex[name.replace(" ", "")] = ("color", name)
            lex[name.replace(" ", "-")] = ("color", name)
    for slot, table in _SLOT_TABLES.items():
        for value, spec in table.items():
            lex[value.replace("_", " ")] = (slot, value)
            for w in spec["words"]:
                lex[w] = (slot, value)
    for phrase in SPECIAL_OBJECTS:
        lex[phrase] = ("special", phrase)
    for d, words in DIRECTIONS.items():
        for w in words:
            lex[w] = ("direction", d)
    for o, words in OUTCOMES.items():
        for w in words:
            lex[w] = ("outcome", o)
    for phrase, g in GRAVITY_WORDS.items():
        lex[phrase] = ("gravity", g)
    for w in RAMP_WORDS:
        lex[w] = ("ramp", True)
    for w, n in COUNT_WORDS.items():
        lex.setdefault(w, ("count", n)) if w in ("a", "an") else lex.__setitem__(w, ("count", n))
    for phrase, n in COUNT_PHRASES.items():
        lex[phrase] = ("count", n)
    for w, (kind, n) in COLLECTIVES.items():
        lex.setdefault(f"{w} of", ("collective", (kind, n)))
        lex.setdefault(w, ("collective", (kind, n)))
    for phrase, rel in RELATIONS.items():
        lex.setdefault(phrase, ("relation", rel))
    lex["a couple"] = ("collective", ("person", 2))  # "a couple dancing": two people ("a couple of" is a count)
    for phrase, x in PLACES.items():
        lex[phrase] = ("place", x)
    for phrase in STYLE_WORDS:
        lex[phrase] = ("style", None)
    for value, spec in PACES.items():
        for w in spec["words"]:
            lex[w] = ("pace", value)
    for w, (_agent, patient) in TRANSITIVE.items():
        lex.setdefault(w, ("motion", patient))
    # Words that are both a colour and something else in other senses: keep the other sense.
    lex["orange"] = ("color", "orange")
    lex["basket"] = ("setting", "gym")
    lex["court"] = ("setting", "gym")
    return lex


@lru_cache(maxsize=1)
def concept_phrases() -> list[tuple[str, object, str]]:
    """(slot, value, phrase) triples the encoder compares unknown words with."""
    out: list[tuple[str, object, str]] = []
    for slot, table in _SLOT_TABLES.items():
        for value, spec in table.items():
            out.append((slot, value, value.replace("_", " ")))
            for p in spec["phrases"]:
                out.append((slot, value, p))
    for name in BASIC_COLORS:
        out.append(("color", name, f"{name} colour"))
    out.append(("outcome", "miss", "misses the basket"))
    out.append(("outcome", "score", "scores a basket"))
    out.append(("direction", "left", "to the left"))
    out.append(("direction", "right", "to the right"))
    return out


CONCEPT_PHRASES = concept_phrases
