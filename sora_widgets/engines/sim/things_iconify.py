"""Catalogue records from more open icon sets in Iconify's JSON form, for :mod:`.things_build` — a developer
tool (and the vendored pictures).

After the emoji, Material Design Icons, Tabler Icons and game-icons.net, a few more open sets give things all four
lack (a cooking pot, a rocking horse, a defibrillator, a seesaw, a narwhal...). Each comes from the npm package
``@iconify-json/<set>`` (:data:`SETS`: version, licence and authors as the package's ``info.json`` states them;
permissive licences only, CC BY ones credited in :data:`LICENSE`). One collector reads them all, in the order of
:data:`SETS` (an earlier set keeps a name), by the rules of :mod:`.things_game` (the icon's own name read as
English; a WordNet artefact, animal, plant or food, not a place, and for animals and plants a whole one; no name,
plural or encoder neighbour (cosine >= ``things_game.STEAL_COSINE``) of a thing some older set or the prompt
reader has, nor of one this collector took just before), plus:

- a set's style variants are one icon (``horse-fill``, ``horse-bold``, ``horse-duotone``: the first of
  :data:`VARIANTS` the set has, the filled one where there is one), and so are numbered redraws
  (``kettle-one``, ``kettle-two``: icon-park's; the plain name or the lowest number);
- a leading class word is dropped (``clothes-sweater`` -> "sweater", ``animal-donkey`` -> "donkey");
- no word of :data:`SKIP_WORDS` (interface and circuit signs: ``eject-button``, ``hard-disk``, ``resistor``;
  collective or vague words: ``furniture``, ``dessert``; brand names: ``lark``);
- its WordNet meaning is not one of a name some picture already has (:func:`meanings`: "cellphone" is the
  emoji mobile phone, "koala bear" the koala, "microwave oven" the MDI microwave), nor of one taken before it here, and it is not an older name
  written as one word ("wineglass" is the emoji wine glass).

- its picture is a shape (:func:`is_shape`: not a filled tile, as colour emoji sets' backgrounds and screens are).

The selected icons are rendered once here (``resvg-py``, build time only) to 1-bit :data:`PICTURE_PX` square masks
(a stroked set's outline filled: :data:`STROKED`) and vendored as ``iconify_icons.npz`` beside ``things.json``
(with :data:`LICENSE`), so a plain ``pip install`` draws them; :mod:`.sprites` shades them like the other
monochrome icons. Sprite ids read ``"iconify:<set>/<icon>:<CSS colour>"``.

Build (each set: ``npm pack @iconify-json/<set>@<version>`` and ``tar xzf ... package/icons.json`` into a folder
named after the set, all under one folder)::

    python -m sora_widgets.engines.sim.things_build ... --game-icons gi/package/icons.json --iconify npm/ --wordnet
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from . import things_game

#: Set prefix -> (npm version of ``@iconify-json/<set>``, licence (SPDX), authors). Line Awesome is not read: its
#: icons under thing names are mostly brand logos (``blackberry``, ``cuttlefish``, ``hornbill``). The order is the collector's:
#: an earlier set keeps a name. Share-alike sets (OpenMoji, CC BY-SA 4.0) are left out: their adapted pictures
#: would bind the vendored file to that licence: they come last and go to a file of their own (:data:`OWN_FILES`).
SETS: dict[str, tuple[str, str, str]] = {
    "icon-park-solid": ("1.2.4", "Apache-2.0", "ByteDance (IconPark)"),
    "icon-park-outline": ("1.2.4", "Apache-2.0", "ByteDance (IconPark)"),
    "ph": ("1.2.2", "MIT", "Phosphor Icons"),
    "material-symbols": ("1.2.98", "Apache-2.0", "Google (Material Symbols)"),
    "mingcute": ("1.2.8", "Apache-2.0", "MingCute Design"),
    "healthicons": ("1.2.13", "MIT", "Resolve to Save Lives (Health Icons)"),
    "temaki": ("1.2.6", "CC0-1.0", "Bryan Housel (Temaki)"),
    "maki": ("1.2.5", "CC0-1.0", "Mapbox (Maki)"),
    "lucide": ("1.2.137", "ISC", "Lucide Contributors"),
    "carbon": ("1.2.29", "Apache-2.0", "IBM (Carbon)"),
    "fluent-emoji-flat": ("1.2.6", "MIT", "Microsoft Corporation (Fluent Emoji)"),
    "noto": ("1.2.9", "Apache-2.0", "Google Inc (Noto Emoji)"),
    "fxemoji": ("1.2.2", "Apache-2.0", "Mozilla (Firefox OS Emoji)"),
    "fa6-solid": ("1.2.4", "CC-BY-4.0", "Dave Gandy (Font Awesome 6 Free)"),
    "streamline": ("1.2.5", "CC-BY-4.0", "Streamline"),
    "emojione-monotone": ("1.2.1", "CC-BY-4.0", "Emoji One"),
    "twemoji": ("1.2.5", "CC-BY-4.0", "Twitter (Twemoji)"),
    "hugeicons": ("1.2.35", "MIT", "Hugeicons"),
    "mdi": ("1.2.3", "Apache-2.0", "Pictogrammers (Material Design Icons, newer than the font's 7.2.96)"),
    "tabler": ("1.2.41", "MIT", "Pawel Kuna (Tabler Icons, newer than tablerpy's)"),
    "lucide-lab": ("1.2.3", "ISC", "Lucide Contributors (Lucide Lab)"),
    "tdesign": ("1.2.19", "MIT", "Tencent (TDesign Icons)"),
    "streamline-ultimate": ("1.2.2", "CC-BY-4.0", "Streamline (Ultimate free icons)"),
    "solar": ("1.2.13", "CC-BY-4.0", "480 Design (Solar)"),
    "fa7-solid": ("1.2.5", "CC-BY-4.0", "Dave Gandy (Font Awesome 7 Free solid)"),
    "ri": ("1.2.10", "Apache-2.0", "Remix Design (Remix Icon)"),
    "uil": ("1.2.3", "Apache-2.0", "Iconscout (Unicons)"),
    "gis": ("1.2.5", "CC-BY-4.0", "Jean-Marc Viglino (Font-GIS)"),
    "streamline-freehand-color": ("1.2.2", "CC-BY-4.0", "Streamline (Freehand color icons)"),
    "pepicons-pop": ("1.2.4", "CC-BY-4.0", "CyCraft (Pepicons Pop!)"),
    "clarity": ("1.2.4", "MIT", "VMware (Clarity)"),
    "guidance": ("1.2.2", "CC-BY-4.0", "Streamline (Guidance)"),
    "iconoir": ("1.2.11", "MIT", "Luca Burgio (Iconoir)"),
    "fontisto": ("1.2.1", "MIT", "Kenan Gundogan (Fontisto)"),
    "streamline-flex": ("1.2.3", "CC-BY-4.0", "Streamline (Flex free icons)"),
    "wpf": ("1.2.0", "MIT", "Icons8 (Windows 8 icons)"),
    "bxs": ("1.2.3", "MIT", "Atisa (Boxicons solid)"),
    "f7": ("1.2.2", "MIT", "Vladimir Kharlampidi (Framework7 Icons)"),
    "openmoji": ("1.2.29", "CC-BY-SA-4.0", "OpenMoji (HfG Schwaebisch Gmuend)"),
}
#: Share-alike sets, each vendored in a file of its own beside the others (set -> file), with the licence's text
#: beside it (:data:`OWN_LICENSES`: the credit and the licence's full text): CC BY-SA 4.0 binds those adapted
#: pictures, not the other files nor the code reading them.
OWN_FILES: dict[str, str] = {"openmoji": "openmoji_icons.npz"}
OWN_LICENSES: dict[str, str] = {"openmoji": "OPENMOJI_LICENSE.txt"}
#: Sets drawn with strokes: the mask is the area the strokes enclose (holes filled), like Tabler's outline icons.
STROKED = frozenset({"icon-park-outline", "lucide", "hugeicons", "lucide-lab", "tabler", "guidance", "iconoir"})
#: Style suffixes, most wanted first: of an icon's variants the first the set has is its picture.
VARIANTS = ("-fill", "-filled", "-solid", "", "-simple-fill", "-simple", "-bold", "-regular", "-outline",
            "-outlined", "-line", "-duotone", "-twotone", "-rounded", "-sharp", "-light", "-thin", "-negative")
#: Numbered redraws ("kettle-one") and other variant tails that do not change the thing.
_TAIL = re.compile(r"-(one|two|three|four|five|six|seven|eight|nine|ten|simple|alt|round|rounded|sharp|"
                   r"outline|outlined|fill|filled|solid|bold|line|light|thin|duotone|twotone|regular|negative|"
                   r"\d+)$")
#: Leading class words of some sets' names, dropped ("clothes-sweater", "animal-donkey", "ppe-gown").
PREFIXES = ("clothes-", "animal-", "ppe-", "vending-")
#: Words that make an icon an interface, data or circuit sign, or a word no thing is called by.
SKIP_WORDS = frozenset("""
button buttons screen device devices android mac data system interface commodity consignment transport
transporter product products assembly equalizer hub widget widgets output input media sensors switches
hardware general smart universal lan backspace segment segments drag handle fit flex padding glyphs colors
invert compress view privacy performance passkey tab local people resistor oscillator potentiometer diode
receiver stock market disk drive drives ethernet hdmi connector intercom bars antenna cells kiosk dicom overlay
subflow collapse shrink expand virtual machine spyre navaid recording trigger cost binding edge multiuser
portfolio schematics automatic cloud wintry mix weather feed dynamic match instant lab mobile phonelink tablet
watch wearables chromecast contacts body chrome meal meals nest sunblock modeling monochrome photos universal
crosshair prohibit inset sidebar shuffle rss eject fingerprint link asterisk archive storefront swatches manhole
junction trench quay rigging stile waste gas water cable restaurant stand pickup hookup rv draw collage quilt
cozy bling layer stripe mosaic combine case upper lower spline loader inspection panel
dairy fruits vegetables gluten staples stitches implant machinery roof proper lounge discharge sonogram
odontology copper iud asthma cochlear contraceptive diaphragm mosquitos alcohol snacks makeups jewelry apparel
toys pets laundry hardware furniture confectionery fashion accessories utensils flatware shades shelves
painted reverse digital surveillance engineering game beauty working battery hold seeds round poker trunk
drink drinking noodle seafood chips avocado kanji doorbell ink handball sports shopping all acoustic lark
geometric dirty moving roofing spoke dinner instrument dragonhead mound viruses unlock no short vicia deck mitre
detector dessert bean shuttle booth cones recycle mastodon braces keyhole charger loupe rag sweats feeder toast
photograph boules gauze reel bleachers sculpture cushion aerialway stereo bath sandglass
google facebook brand internet python spam mollie bootstrap setup radial hologram releases restore dot currency
workplace nuke mine railroad wrap vintage wan separator duplicate electronics amex delicious pix calender scenery
poi pois revers rails cutout backdrop content shutter dial mri myna tux simple trump colossus figure component
vehicle surface launchpad pockets capacitor inductor chemical hole controller aed fuse earth story minimalistic
""".split())
#: Whole names seen on the contact sheet to picture a sign (``root``: a square-root sign, ``roast``: a face) or a
#: thing an older set already draws under a wider or narrower WordNet meaning (``hydrant``: the fire hydrant,
#: ``wristwatch``: the watch) or a brand logo (``blackberry``: the phone). Exclusions only: no name is ever added to the catalogue by hand.
SKIP_NAMES = frozenset("root pocket roast hydrant magnifier wristwatch cutlery crockery lens maps blackberry".split())
#: Side of the vendored 1-bit pictures (px), as :data:`.things_game.PICTURE_PX`.
PICTURE_PX = things_game.PICTURE_PX
#: The vendored pictures (``"<set>/<icon>"`` names and packed bits) and the sets' credits, beside ``things.json``.
PICTURES = Path(__file__).with_name("iconify_icons.npz")
LICENSE = Path(__file__).with_name("ICONIFY_LICENSES.txt")


def base_name(icon: str) -> str:
    """The thing an icon name names, without its style and numbering tails and class prefix:
    ``horse-fill`` -> ``horse``, ``kettle-one`` -> ``kettle``, ``clothes-sweater`` -> ``sweater``."""
    b = icon
    while (m := _TAIL.search(b)) is not None and m.start() > 0:
        b = b[: m.start()]
    for p in PREFIXES:
        if b.startswith(p) and len(b) > len(p):
            b = b[len(p) :]
    return b


def pick_variants(icons: dict) -> dict[str, str]:
    """Base name -> the icon that pictures it: the first style of :data:`VARIANTS` the set has (a numbered redraw
    only when there is no plain one, the lowest first by name)."""
    groups: dict[str, list[str]] = {}
    for n in sorted(icons):
        groups.setdefault(base_name(n), []).append(n)
    out = {}
    for b, names in groups.items():
        rank = {}
        for n in names:
            tail = n[len(b) :] if n.startswith(b) else n
            rank[n] = (VARIANTS.index(tail) if tail in VARIANTS else len(VARIANTS), len(n), n)
        out[b] = min(names, key=rank.__getitem__)
    return out


def english_name(base: str) -> str | None:
    """A base name read as English by :func:`.things_game.english_name`, or None (also for :data:`SKIP_WORDS`)."""
    name = things_game.english_name(base)
    if name is None or set(name.split()) & SKIP_WORDS or name in SKIP_NAMES:
        return None
    return name


def meanings(wn, names) -> set:
    """Every WordNet noun meaning (synset) of each of ``names`` (a phrase joined by ``_``) that is a thing's (an
    artefact, animal, plant or food): "microwave" is also the microwave oven."""
    from . import things_tabler

    return {s for n in names for s in wn.synsets(n.replace(" ", "_"), "n") if s.lexname() in things_tabler.THING_LEX}


#: Share of its bounding box above which a mask is a filled rectangle (a colour emoji's tile, a screen), no shape.
MAX_FILL = 0.9


def is_shape(mask: np.ndarray) -> bool:
    """Whether a mask pictures a shape: at least 2 % of the square painted, and not a filled rectangle
    (:data:`MAX_FILL` of its bounding box or more)."""
    ys, xs = np.nonzero(mask)
    if len(ys) < 0.02 * mask.size:
        return False
    return len(ys) / ((ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)) < MAX_FILL


def load_set(folder: str | Path, prefix: str) -> tuple[dict[str, str], dict]:
    """(icon name -> its SVG body, default size {width, height, left, top}) of ``<folder>/<prefix>/package/icons.json``.

    Raises:
        FileNotFoundError: the set was not unpacked there.
    """
    data = json.loads((Path(folder) / prefix / "package" / "icons.json").read_text(encoding="utf-8"))
    size = {k: data.get(k, d) for k, d in (("width", 16), ("height", 16), ("left", 0), ("top", 0))}
    return {n: json.dumps(dict(size, **{k: v for k, v in i.items() if k in size}, body=i["body"]))
            for n, i in data["icons"].items() if not i.get("hidden")}, size


def rasterise(icon_json: str, stroked: bool = False, px: int = PICTURE_PX) -> np.ndarray:
    """An Iconify icon (JSON of body and box) as a bool (px, px) mask, its box scaled to fit and centred; the
    painted pixels (alpha >= 50 %), with the holes a stroked outline encloses filled when ``stroked``. Needs
    ``resvg-py`` (build time only)."""
    import io

    import resvg_py
    from PIL import Image
    from scipy.ndimage import binary_fill_holes

    i = json.loads(icon_json)
    box = f'{i["left"]} {i["top"]} {i["width"]} {i["height"]}'
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{px}" '
           f'height="{px}" viewBox="{box}" color="#000">{i["body"]}</svg>')
    png = bytes(resvg_py.svg_to_bytes(svg_string=svg, width=px, height=px))
    mask = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3] >= 128
    return binary_fill_holes(mask) if stroked else mask


def pictures_file(name: str) -> Path:
    """The vendored file of a picture ``"<set>/<icon>"`` (or of a set): :data:`PICTURES`, or a share-alike set's
    own file (:data:`OWN_FILES`). The Open Clip Art Library drawings share the sprite ids
    (``"iconify:openclipart/<drawing>:<colour>"``) but not this module: ``sprites`` routes them to
    ``things_openclipart.picture``, which builds on this module's name rules."""
    s = name.split("/")[0]
    return PICTURES.with_name(OWN_FILES[s]) if s in OWN_FILES else PICTURES


def write_pictures(pictures: dict[str, np.ndarray]) -> list[Path]:
    """Write ``pictures`` ("<set>/<icon>" -> bool mask) to :data:`PICTURES` and the share-alike sets' own files
    (compressed; the licence text beside each, :data:`OWN_LICENSES`, is kept in the repository, not written)."""
    files: dict[Path, dict[str, np.ndarray]] = {PICTURES: {}}
    files.update({PICTURES.with_name(f): {} for s, f in OWN_FILES.items() if s in SETS})
    for n, m in pictures.items():
        files[pictures_file(n)][n] = m
    return [things_game.save_masks(f, ms) for f, ms in files.items()]


def write_license(counts: dict[str, int]) -> Path:
    """Write :data:`LICENSE`: each set's credit, licence and the number of its pictures vendored."""
    lines = ["iconify_icons.npz — pictures from open icon sets, via the npm packages @iconify-json/<set>", "",
             "Each picture was rendered to a 128 x 128 one-bit mask (the sim engine fills it with a colour, shades",
             "and scales it); the names given to them in things.json are ours. No endorsement by the authors is",
             "implied. Per set: npm package and version, authors, licence, pictures taken.", ""]
    urls = {"Apache-2.0": "https://www.apache.org/licenses/LICENSE-2.0", "MIT": "https://opensource.org/license/mit",
            "ISC": "https://opensource.org/license/isc-license-txt",
            "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
            "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/ (changes: rendered to one-bit masks)",
            "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/ (changes: rendered to one-bit masks; "
                            "vendored in a file of its own with the licence text, see OWN_FILES)"}
    for s, (ver, lic, who) in SETS.items():
        if counts.get(s):
            lines.append(f"- @iconify-json/{s} {ver}: {who}; licence {lic} ({urls[lic]}); {counts[s]} pictures")
    LICENSE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return LICENSE


def picture(name: str) -> np.ndarray:
    """The vendored picture ``"<set>/<icon>"``: alpha (PICTURE_PX, PICTURE_PX) uint8 (0 or 255).

    Raises:
        KeyError: not among the vendored ones.
    """
    return things_game.picture(name, pictures_file(name))


def _vendored(path: Path = PICTURES) -> tuple[dict[str, int], np.ndarray, int]:
    """(name -> row, packed bits, side px) of :data:`PICTURES` (or a share-alike set's own file)."""
    return things_game.read_masks(path)
