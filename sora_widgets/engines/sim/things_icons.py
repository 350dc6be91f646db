"""Catalogue records from Material Design Icons, for :mod:`.things_build` — a developer tool.

The emoji give about 650 things in colour; Material Design Icons (Pictogrammers; icons and font Apache-2.0)
give about 340 more as monochrome pictures: kinds the emoji lack (limousine, forklift, excavator,
washing machine, sofa, chess knight, electric guitar...). Which icons are things, what they are called and
how big and heavy they are is decided here by rules on the icon set's own metadata (its ``meta.json``: name
and category tags), not by hand per icon:

- an icon is a thing when one of its tags is in :data:`TAGS` and none in :data:`SKIP_TAGS`, and no word of
  its name says it is a state, a symbol, a person or a part (:data:`SKIP_WORDS`);
- its name is the icon name read as English: ``car-limousine`` -> "limousine car" (the set names a kind
  after its head noun: :data:`HEAD_FIRST`), ``food-apple`` -> "apple", ``teddy-bear`` -> "teddy bear";
  ``-side`` (a side view, which the sim's side-on camera wants) and ``-variant`` are dropped, side views first;
- a name the emoji, a hand-drawn kind or any keyword of the prompt reader (colours, settings, actions)
  already has is not taken: the colour emoji keep "dog" and "car", the reader keeps "fire" and "swim";
- its class (the emoji subgroup it joins: sizes, materials, vehicles, the contact sheet's rows) comes from
  the words of its name (:data:`WORD_GROUPS`), else its tag (:data:`TAGS`); its size and mass from
  ``things_sizes.SIZES`` by name, else :data:`WORD_SIZES`, else the class's default; its colour from
  :data:`GROUP_COLORS` (asking for another colour tints it, as with the emoji).

The metadata is read at build time only, from the npm package ``@mdi/svg`` of the font's version::

    npm pack @mdi/svg@7.2.96 && tar xzf mdi-svg-7.2.96.tgz package/meta.json
    python -m sora_widgets.engines.sim.things_build --mdi-meta package/meta.json
"""

from __future__ import annotations

import json
from pathlib import Path

#: The icon set's version the build expects (that of ``fonticon-materialdesignicons7``'s font).
MDI_VERSION = "7.2.96"

#: Category tag -> the emoji subgroup its things join when no word of the name says better.
TAGS: dict[str, str] = {
    "Animal": "animal-mammal",
    "Agriculture": "plant-other",
    "Automotive": "transport-ground",
    "Transportation + Road": "transport-ground",
    "Transportation + Other": "transport-ground",
    "Transportation + Flying": "transport-air",
    "Transportation + Water": "transport-water",
    "Food / Drink": "food-prepared",
    "Sport": "sport",
    "Music": "musical-instrument",
    "Nature": "plant-other",
    "Medical / Hospital": "medical",
    "Science": "science",
    "Hardware / Tools": "tool",
    "Clothing": "clothing",
    "Holiday": "event",
    "Gaming / RPG": "game",
    "Device / Tech": "computer",
    "Home Automation": "household",
    "Shopping": "household",
    "Photography": "light & video",
    "Drawing / Art": "arts & crafts",
    "Health / Beauty": "household",
}
#: Tags of icons that are never things: people, faces, symbols, states, places, weather.
SKIP_TAGS = frozenset({
    "People / Family", "Emoji", "Weather", "Arrow", "Alert / Error", "Account / User", "Brand / Logo",
    "Alpha / Numeric", "Math", "Shape", "Form", "Tooltip", "Text / Content / Format", "Files / Folders",
    "Navigation", "Settings", "Lock", "Notification", "Geographic Information System", "Places", "Religion",
    "Battery", "Cloud", "Database", "Vector", "View", "Arrange", "Social Media", "Color", "Date / Time",
    "Cellphone / Phone", "Audio", "Video / Movie", "Banking", "Currency", "Edit / Modify", "Developer / Languages",
})
#: Words of an icon name that make it a state, a symbol, a person, a body part or a UI variant.
SKIP_WORDS = frozenset("""
outline off plus minus check remove alert cog lock edit arrow arrows settings sync clock cancel search star
multiple network marker wireless bluetooth question account circle badge info refresh percent high low medium
empty full open closed auto chevron sensor box alt emoticon alpha numeric format file folder home cursor pound
down up left right key export import cash heart wifi signal speed timer history note notes clef rest
accidental human face man woman male female child baby walk walker run runner running swim swimmer ski skiing
hiking yoga karate dance dancing rowing kabaddi meditation skateboarding surfing kayaking diving weight lifter
hand foot tooth eye ear nose brain lungs stomach kidney skull print sign symbol icon logo text filled fill
unfill tag label pause play stop skip cast image filter focus panorama shimmer select defrost brake traction abs
seat door emergency cross pulse document fast slow wash hazard plug port socket charging station shape tire
metering party mode retake flip switch front rear burst control enhance iris coolant level temperature cruise
shift pattern parking lights dimmed fog clutch esp connected back windshield turbocharger progress disconnected
leak on dashboard screenshot ambient guide broken disabled dual group night tick rec sink thread fin sugar beam
recessed led power location enter exit transit gradient white balance land plan field fields plots rows club
service halal kosher nutrition allergy diabetes ph nfc food nature connection gesture terrain strategy
tournament sale raw reproduction spa halloween fuel oil gauge compost record script playlist virus bacteria
atom molecule radioactive biohazard triforce ghost paw rodent martial gymnastics fencing polo rugby snowshoeing
paragliding curling volcano pedal cards landing takeoff conditioner waterfall tunnel stairs balcony barn greenhouse hospital silo hoop cabin awning
fire liquid landslide spot co articulated end meter induction hvac hydro wind solar pump heat heating
cfl spiral fluorescent tube expansion card gate terrain podium
pokeball space invaders nintendo hololens tower classic
""".split())
#: The 80 COCO object classes (Lin et al. 2014; VBench's object and colour prompts use them): an icon whose
#: English name is one passes the tag and word rules (MDI's bench and fire hydrant carry no tag, its snowboard
#: the "People / Family" tag), so the public benchmarks' everyday objects are drawable.
COCO_CLASSES = frozenset((
    "person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat", "traffic light",
    "fire hydrant", "stop sign", "parking meter", "bench", "bird", "cat", "dog", "horse", "sheep", "cow",
    "elephant", "bear", "zebra", "giraffe", "backpack", "umbrella", "handbag", "tie", "suitcase", "frisbee",
    "skis", "snowboard", "sports ball", "kite", "baseball bat", "baseball glove", "skateboard", "surfboard",
    "tennis racket", "bottle", "wine glass", "cup", "fork", "knife", "spoon", "bowl", "banana", "apple",
    "sandwich", "orange", "broccoli", "carrot", "hot dog", "pizza", "donut", "cake", "chair", "couch",
    "potted plant", "bed", "dining table", "toilet", "tv", "laptop", "mouse", "remote", "keyboard", "cell phone",
    "microwave", "oven", "toaster", "sink", "refrigerator", "book", "clock", "vase", "scissors", "teddy bear",
    "hair drier", "toothbrush",
))
#: Icons whose picture is a symbol or a person although their name and tags pass (checked by eye on the
#: contact sheet).
SKIP_ICONS = frozenset({"car-wrench", "elevator-passenger", "escalator", "airbag", "air-conditioner",
                        "shield-airplane", "shield-car", "shield-crown", "shield-moon", "shield-sword",
                        "baseball-diamond", "fuse", "fuse-blade", "airplane-landing", "airplane-takeoff",
                        "medical-cotton-swab", "shopping-music", "archive-music", "plane-car", "plane-train",
                        "flash-triangle", "location-enter", "toothbrush-paste", "silverware-clean",
                        "wheelchair-accessibility", "car-lifted-pickup", "liquid-spot", "gesture"})
#: A dropped word: the picture is still of the thing ("dog-side" is a dog, "horse-variant" a horse).
DROP_WORDS = frozenset({"side", "variant"})
#: First words the set puts before the kind ("car-limousine", "guitar-electric"): the name reads reversed.
HEAD_FIRST = frozenset("""
car bus truck van train tram bed glass bottle hat shoe bike bicycle motorbike boat ship chair cup knife sword
axe guitar hammer saw lamp table sofa desk fridge kettle pot pan bowl shield bag basket bucket candle fan oven
stove toaster tractor plane airplane helicopter rocket balloon drone scooter snowmobile trolley wagon cart
brush mirror pillow bench hanger lightbulb camera television radio speaker microphone pen pencil ruler
scissors needle flask beaker microscope telescope watch ring necklace crown glasses tie shirt dress jacket
coat sock glove boot sandal moped mower razor toothbrush
""".split())
#: Second words that are the head themselves ("coffee-maker", "washing-machine", "guitar-pick"): no reversal.
HEAD_SECOND = frozenset("maker machine pick rack stand holder board bag bowl pot player dryer oven light".split())
#: First words that only say the set's category: dropped ("food-apple" -> "apple").
CATEGORY_FIRST = frozenset({"food", "fruit"})

#: Words of a name -> the emoji subgroup (checked in name order, before the tag).
WORD_GROUPS: dict[str, str] = {
    **dict.fromkeys("""bird duck owl penguin parrot eagle chicken turkey rooster swan flamingo dove pigeon crow
        hummingbird""".split(), "animal-bird"),
    **dict.fromkeys("fish jellyfish shark dolphin whale octopus squid shrimp crab seal turtle".split(),
                    "animal-marine"),
    **dict.fromkeys("bee bug spider butterfly ladybug snail worm ant beetle mosquito".split(), "animal-bug"),
    **dict.fromkeys("snake dinosaur lizard crocodile".split(), "animal-reptile"),
    **dict.fromkeys("""car bus truck van train tram tractor bulldozer excavator forklift jeepney rickshaw rv
        bicycle bike motorbike scooter moped atv snowmobile wagon trolley cart locomotive taxi ambulance
        caravan""".split(), "transport-ground"),
    **dict.fromkeys("plane airplane helicopter rocket airballoon drone zeppelin glider ufo".split(),
                    "transport-air"),
    **dict.fromkeys("boat ship ferry sail sailboat submarine kayak canoe".split(), "transport-water"),
    **dict.fromkeys("""apple banana cherries citrus grapes pear pineapple watermelon lemon orange strawberry
        peach""".split(), "food-fruit"),
    **dict.fromkeys("carrot corn mushroom pepper chili potato onion garlic".split(), "food-vegetable"),
    **dict.fromkeys("cake cookie candy candycane cupcake donut muffin ice cream".split(), "food-sweet"),
    **dict.fromkeys("glass bottle cup mug beer wine cocktail coffee tea kettle teapot liquor".split(), "drink"),
    **dict.fromkeys("flower rose tulip sunflower flower-tulip".split(), "plant-flower"),
    **dict.fromkeys("tree pine palm cactus leaf sprout grass bush".split(), "plant-other"),
    **dict.fromkeys("guitar piano violin trumpet saxophone drum flute harp metronome".split(),
                    "musical-instrument"),
}

#: Words of a name -> (height m, mass kg[, material]): sizes of kinds the class default gets wrong.
WORD_SIZES: dict[str, tuple] = {
    "truck": (3.0, 7000), "bus": (3.2, 12000), "train": (4.0, 40000), "tram": (3.5, 30000),
    "locomotive": (4.5, 100000), "car": (1.5, 1300), "van": (2.1, 2500), "rv": (3.2, 6000),
    "tractor": (2.8, 5000), "bulldozer": (3.2, 20000), "excavator": (3.2, 20000), "forklift": (2.2, 3000),
    "crane": (8.0, 30000), "jeepney": (2.2, 2500), "rickshaw": (1.7, 350), "atv": (1.1, 300),
    "snowmobile": (1.2, 250), "wagon": (1.0, 30, "wood"), "cart": (1.0, 30), "trolley": (1.0, 30),
    "bicycle": (1.0, 12), "bike": (1.0, 12), "motorbike": (1.1, 200), "scooter": (1.0, 10),
    "airplane": (4.0, 40000), "plane": (4.0, 40000), "helicopter": (3.5, 2500), "rocket": (6.0, 50000),
    "airballoon": (6.0, 400, "cloth"), "zeppelin": (8.0, 10000, "cloth"), "drone": (0.2, 1.5, "plastic"),
    "boat": (2.0, 1500), "ship": (15.0, 5e6), "submarine": (4.0, 1e6), "sail": (8.0, 3000),
    "bed": (1.0, 80, "wood"), "sofa": (0.9, 60, "cloth"), "chair": (0.9, 7, "wood"), "table": (0.75, 25, "wood"),
    "desk": (0.75, 30, "wood"), "wardrobe": (2.0, 80, "wood"), "dresser": (1.0, 50, "wood"),
    "fridge": (1.8, 80, "steel"), "washing": (0.85, 70, "steel"), "dishwasher": (0.85, 50, "steel"),
    "stove": (0.9, 60, "steel"), "oven": (0.9, 60, "steel"), "microwave": (0.3, 15, "steel"),
    "toaster": (0.2, 2, "steel"), "kettle": (0.25, 1.2, "steel"), "lamp": (1.5, 5, "steel"),
    "television": (0.6, 10, "plastic"), "monitor": (0.45, 5, "plastic"), "piano": (1.3, 250, "wood"),
    "guitar": (1.0, 3, "wood"), "drum": (0.5, 5, "wood"), "dinosaur": (4.0, 5000, "fur"),
    "elephant": (3.0, 5000, "fur"), "horse": (1.6, 500, "fur"), "cow": (1.4, 700, "fur"),
    "sheep": (0.9, 70, "fur"), "pig": (0.9, 150, "fur"), "goat": (0.8, 60, "fur"), "rabbit": (0.25, 2, "fur"),
    "cat": (0.3, 4, "fur"), "dog": (0.6, 25, "fur"), "bird": (0.15, 0.05, "fur"), "fish": (0.15, 0.5, "fur"),
    "tree": (5.0, 500, "wood"), "cactus": (1.5, 40, "wood"), "ladder": (2.0, 8, "wood"),
    "bench": (0.8, 30, "wood"), "grill": (1.0, 30, "steel"), "mower": (1.0, 40, "steel"),
    "barrel": (0.9, 60, "wood"), "safe": (0.8, 200, "steel"), "robot": (1.2, 60, "steel"),
}

#: Emoji subgroup -> the CSS colour a monochrome icon of that class is drawn in.
GROUP_COLORS: dict[str, str] = {
    "animal-mammal": "sienna", "animal-bird": "peru", "animal-marine": "steelblue", "animal-bug": "darkolivegreen",
    "animal-reptile": "olivedrab", "animal-amphibian": "seagreen", "plant-flower": "mediumvioletred",
    "plant-other": "forestgreen", "food-fruit": "crimson", "food-vegetable": "darkorange",
    "food-prepared": "goldenrod", "food-sweet": "hotpink", "drink": "cadetblue", "transport-ground": "firebrick",
    "transport-water": "royalblue", "transport-air": "slategray", "sport": "darkorange",
    "musical-instrument": "saddlebrown", "medical": "teal", "science": "teal", "tool": "dimgray",
    "clothing": "mediumslateblue", "event": "crimson", "game": "darkslateblue", "computer": "dimgray",
    "household": "cadetblue", "light & video": "dimgray", "arts & crafts": "darkorchid",
}


def english_name(icon: str) -> str | None:
    """The icon name read as English, or None if nothing is left once the set's own words are dropped.

    Args:
        icon (`str`): the icon's name in the set, e.g. ``"car-limousine"``.

    >>> english_name("car-limousine"), english_name("food-apple"), english_name("dog-side")
    ('limousine car', 'apple', 'dog')
    """
    words = [w for w in icon.split("-") if w not in DROP_WORDS]
    if words and words[0] in CATEGORY_FIRST and len(words) > 1:
        words = words[1:]
    if 2 <= len(words) <= 3 and words[0] in HEAD_FIRST and words[-1] not in HEAD_FIRST | HEAD_SECOND:
        words = [*words[1:], words[0]]  # "bus-double-decker" -> "double decker bus"
    return " ".join(words) if 0 < len(words) <= 3 else None


def is_thing(entry: dict) -> bool:
    """Whether an icon of ``meta.json`` pictures a thing one can place (see the module docstring)."""
    tags = set(entry.get("tags", ()))
    words = entry["name"].split("-")
    if not entry.get("deprecated") and english_name(entry["name"]) in COCO_CLASSES:
        return True
    return (not entry.get("deprecated") and entry["name"] not in SKIP_ICONS and bool(tags & TAGS.keys())
            and not tags & SKIP_TAGS
            and not set(words) & SKIP_WORDS and not any(any(c.isdigit() for c in w) for w in words))


def group_of(name: str, tags: list[str]) -> str:
    """The emoji subgroup an icon's thing joins: by the words of its English name, else its first known tag,
    else (an untagged COCO class) "household"."""
    for w in name.split():
        if w in WORD_GROUPS:
            return WORD_GROUPS[w]
    return next((TAGS[t] for t in tags if t in TAGS), "household")  # an untagged COCO class: a household thing


def size_of(name: str) -> tuple | None:
    """(height m, mass kg[, material]) set by the last word of the name that has a size (English puts the
    head noun last: a "truck trailer" is sized as a trailer would be, a "dump truck" as a truck), or None."""
    for w in reversed(name.split()):
        if w in WORD_SIZES:
            return WORD_SIZES[w]
    return None


def load_meta(path: str | Path) -> list[dict]:
    """The icon records of ``@mdi/svg``'s ``meta.json``, side views first (so "dog-side" claims "dog" before
    "dog" does), otherwise in the set's order."""
    entries = json.loads(Path(path).read_text(encoding="utf-8"))
    return sorted(entries, key=lambda e: "side" not in e["name"].split("-"))
