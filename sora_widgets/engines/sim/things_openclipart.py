"""Catalogue records from the Open Clip Art Library, for :mod:`.things_build` — a developer tool (and the vendored
pictures).

After the emoji and the icon sets, Debian's ``openclipart-svg`` (:data:`OPENCLIPART_VERSION`; about 8,100 SVG
drawings, every one dedicated to the public domain) gives a few more things none of them draws. Only the build
reads the package (``apt-get install openclipart-svg``; :data:`ROOT`); the selected drawings are vendored, as
1-bit :data:`PICTURE_PX` square masks of their filled silhouette, in ``openclipart_icons.npz`` beside
``things.json`` (with :data:`LICENSE`, the package's public-domain statement), so neither a ``pip install`` nor CI
needs the package. Sprite ids read ``"iconify:openclipart/<drawing>:<CSS colour>"`` (the Iconify sets' reader,
routed to this file by ``sprites``).

Rules, on the drawing's own name (its SVG ``<dc:title>``), as for the icon sets (:mod:`.things_game`,
:mod:`.things_iconify`):

- drawings in the folders of :data:`SKIP_DIRS` (computer screens, shapes, signs, logos, maps, buildings) are not
  read;
- the title is read as English (:func:`english_name`: an author credit, numbers and colour or style words dropped,
  a plural made singular: "Clipart by Nicu Buculei - pear" -> "pear", "tennis shoes" -> "tennis shoe"), at most
  three words, none of the icon sets' skip words nor :data:`SKIP_WORDS`;
- its WordNet meaning is an artefact, animal, plant or food that is not a place, a whole animal or plant
  (``things_game.meaning``; a title in Italian or a genus name is no English thing), and not the meaning of a name
  some picture already has (``things_iconify.meanings``);
- a name, plural, one-word spelling or encoder neighbour (cosine >= ``things_game.STEAL_COSINE``) of a thing an
  older set has is not taken: an older set keeps its names;
- of the drawings with one name, the clearest single object (:func:`clarity`) is its picture, and none when no
  drawing is one (:func:`is_object`: not a scene of many parts, not a filled rectangle or frame, not a speck).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np

from . import things_game, things_iconify

#: The Debian package version whose drawings the build read.
OPENCLIPART_VERSION = "1:0.18+dfsg-19"
#: Where the package puts its drawings.
ROOT = Path("/usr/share/openclipart/svg")
#: The set prefix of the pictures' names (``"openclipart/<folder>/<file stem>"``) and sprite ids.
PREFIX = "openclipart"
#: Side of the vendored 1-bit pictures (px), as :data:`.things_game.PICTURE_PX`.
PICTURE_PX = things_game.PICTURE_PX
#: The vendored pictures and the package's public-domain statement, beside ``things.json``.
PICTURES = Path(__file__).with_name("openclipart_icons.npz")
LICENSE = Path(__file__).with_name("OPENCLIPART_LICENSE.txt")
#: Top folders of the package whose drawings are no things one places in a scene (screens and interface pictures,
#: geometric shapes, signs and symbols, logos, maps, buildings, buttons).
SKIP_DIRS = frozenset("computer shapes signs_and_symbols logos buttons geography buildings".split())
#: Words of a title that say how it is drawn, not what: dropped ("Brown Fish" is a "fish").
STYLE_WORDS = frozenset("""
clipart clip art by the a an of and with icon simple cartoon stylized stylised shaded outline outlined line
drawing sketch silhouette black white bw red green blue yellow orange purple pink brown grey gray golden gold
silver dark light cute little big small old new svg version color colour colored coloured clothing
""".split())
#: More words that make a drawing no thing to place in a scene (a pattern, a person, a scene, a playing card).
SKIP_WORDS = frozenset("""
pattern patterns background border frame scene landscape people person man woman boy girl child kid family
card cards map flag sign symbol logo smiley face head collection set various emblem clock
""".split())
#: Whole names seen on the contact sheet (the drawing's title read as English) that picture no single thing, no
#: readable silhouette, or another thing than the name says. Exclusions only: no name is ever added by hand.
#: Another thing: ``mule`` (the eMule logo), ``blazer`` (a Chevrolet car, not the jacket), ``as pique`` (the ace of
#: spades), ``marchio gallina`` (a round Italian trademark), ``trefoil`` (an architectural ornament),
#: ``self portrait`` (a person painting), ``video lcd`` (a computer screen), ``airbrush`` (a hand spraying a dot),
#: ``grass hopper`` (a grasshopper, misspelt: WordNet reads a hopper), ``vavuum cleaner upright`` (misspelt; the
#: vacuum cleaner is drawn), ``gallows`` (game-icons.net's gibbet draws it). Not one thing: ``toothbrush toothpaste``, ``candied apple`` (three on a tray).
#: No readable silhouette (a blob): ``clip`` (a heap of paper clips), ``spaghetti sauce`` (a plate from above),
#: ``burner`` (a gas bottle), ``camcorder``, ``potato chip`` (a heap), ``lasagna``, ``toque``.
SKIP_NAMES = frozenset({"mule", "blazer", "as pique", "marchio gallina", "trefoil", "self portrait", "video lcd",
                        "airbrush", "grass hopper", "vavuum cleaner upright", "gallows", "toothbrush toothpaste",
                        "candied apple", "clip", "spaghetti sauce", "burner", "camcorder", "potato chip",
                        "lasagna", "toque"})
#: Share of its bounding box above which a silhouette is a filled rectangle (a background, a frame, a tile).
MAX_FILL = 0.85
#: Share of the painted pixels the largest part must hold: below it the drawing is a scene of many things.
MIN_MAIN = 0.6
#: Parts smaller than this share of the painted pixels are specks (a stray mark far off) and are dropped.
SPECK = 0.03


def english_name(title: str, wn=None) -> str | None:
    """A drawing's title read as English (lower case, words joined by spaces), or None: an author credit
    ("Clipart by X - "), bracketed text, numbers and :data:`STYLE_WORDS` dropped, camel case split, a plural made
    singular by WordNet (``wn``, when given); None when more than three words are left, or one is a skip word.

    Args:
        title (`str`): the drawing's ``<dc:title>``.
        wn: nltk's WordNet reader, or None (no singular).
    """
    t = re.sub(r"(?i)^clip\s*art by [^-]*-\s*", "", title)
    t = re.sub(r"\([^)]*\)|#\d+", " ", t)
    t = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", t)
    t = re.sub(r"[^A-Za-z]+", " ", t).lower()
    words = [w for w in t.split() if w not in STYLE_WORDS and len(w) > 1]
    if not 0 < len(words) <= 3:
        return None
    name = " ".join(words)
    if wn is not None and (single := wn.morphy(name.replace(" ", "_"), "n")) is not None:
        lemmas = {lem.name().lower() for s in wn.synsets(name.replace(" ", "_"), "n") for lem in s.lemmas()}
        if single != name.replace(" ", "_") and name.replace(" ", "_") not in lemmas:
            name = single.replace("_", " ")
    if set(name.split()) & SKIP_WORDS or name in SKIP_NAMES:
        return None
    name = things_iconify.english_name(name.replace(" ", "-"))
    return name


def meaning(wn, name: str, taken: set[str]):
    """The WordNet thing a name means (``things_game.meaning``), also when WordNet spells it with a hyphen
    ("ice cream cone" is its "ice-cream cone"), or None."""
    words = name.split()
    for i in [None, *range(len(words) - 1)]:
        spelt = name if i is None else " ".join([*words[:i], words[i] + "-" + words[i + 1], *words[i + 2 :]])
        if i is not None and not wn.synsets(spelt.replace(" ", "_"), "n"):
            continue  # a hyphenated spelling counts as a whole name only, never by its head
        s = things_game.meaning(wn, spelt, taken)
        if s is not None:
            return s
    return None


def read_title(path: str | Path) -> str:
    """The drawing's own title (its first ``<dc:title>``), or ``""``."""
    m = re.search(r"<dc:title>([^<]*)</dc:title>", Path(path).read_text(encoding="utf-8", errors="replace"))
    return m.group(1).strip() if m else ""


def drawings(root: str | Path = ROOT) -> list[tuple[str, str]]:
    """(picture name ``"openclipart/<folder>/<stem>"``, title) of every drawing outside :data:`SKIP_DIRS`, in
    path order.

    Raises:
        FileNotFoundError: the package is not installed there (``apt-get install openclipart-svg``).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: apt-get install openclipart-svg (build time only)")
    out = []
    for f in sorted(root.rglob("*.svg")):
        rel = f.relative_to(root)
        if rel.parts[0] in SKIP_DIRS or ":" in str(rel):
            continue
        out.append((f"{PREFIX}/{rel.with_suffix('').as_posix()}", read_title(f)))
    return out


def svg_path(name: str, root: str | Path = ROOT) -> Path:
    """The SVG file of a picture name ``"openclipart/<folder>/<stem>"``."""
    return Path(root) / (name.split("/", 1)[1] + ".svg")


def render_alpha(path: str | Path, px: int = 512) -> np.ndarray:
    """A drawing's alpha (px, px) uint8, its painted extent scaled to fit and centred: the page size of the file
    is ignored (many drawings lie partly off their page), found by a first render of a wide box. Needs
    ``resvg-py`` (build time only).

    Raises:
        ValueError: the SVG cannot be read or draws nothing.
    """
    import resvg_py
    from PIL import Image

    txt = Path(path).read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<svg\b[^>]*>", txt)
    if m is None:
        raise ValueError(f"{path}: no <svg> element")
    head = re.sub(r'\s(width|height|viewBox|preserveAspectRatio)="[^"]*"', "", m.group(0))
    head = head[:-1].rstrip().rstrip("/")

    def draw(box: tuple[float, float, float], size: int) -> np.ndarray:
        svg = f'{txt[: m.start()]}{head} width="{size}" height="{size}" viewBox="{box[0]} {box[1]} {box[2]} {box[2]}">' \
              f"{txt[m.end():]}"
        png = bytes(resvg_py.svg_to_bytes(svg_string=svg))
        return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))[..., 3]

    wide, n = 8000.0, 1000
    a = draw((-wide / 2, -wide / 2, wide), n)
    ys, xs = np.nonzero(a)
    if len(ys) == 0:
        raise ValueError(f"{path}: draws nothing")
    k = wide / n
    x0, x1 = xs.min() * k - wide / 2 - k, (xs.max() + 1) * k - wide / 2 + k
    y0, y1 = ys.min() * k - wide / 2 - k, (ys.max() + 1) * k - wide / 2 + k
    s = max(x1 - x0, y1 - y0)
    return draw(((x0 + x1 - s) / 2, (y0 + y1 - s) / 2, s), px)


def silhouette(alpha: np.ndarray, px: int = PICTURE_PX) -> tuple[np.ndarray, dict[str, float]]:
    """The filled silhouette of a drawing's alpha as a bool (px, px) mask (painted >= 50 %, holes filled, specks
    of less than :data:`SPECK` of the paint dropped, cropped, centred and scaled to fit), and its measures:
    ``main`` (the largest part's share of the paint), ``parts`` (parts kept), ``fill`` (share of its bounding box
    painted), ``area`` (share of the square painted)."""
    from PIL import Image
    from scipy.ndimage import binary_fill_holes, label

    mask = binary_fill_holes(alpha >= 128)
    lab, n = label(mask, structure=np.ones((3, 3), bool))
    sizes = np.bincount(lab.ravel())[1:] if n else np.zeros(0, int)
    total = int(sizes.sum())
    if total == 0:
        return np.zeros((px, px), bool), {"main": 0.0, "parts": 0, "fill": 1.0, "area": 0.0}
    keep = np.flatnonzero(sizes >= SPECK * total) + 1
    mask = np.isin(lab, keep)
    ys, xs = np.nonzero(mask)
    crop = mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
    h, w = crop.shape
    side = max(h, w)
    sq = np.zeros((side, side), np.uint8)
    sq[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = crop * 255
    out = np.asarray(Image.fromarray(sq).resize((px, px), Image.Resampling.BILINEAR)) >= 128
    oy, ox = np.nonzero(out)
    fill = len(oy) / ((oy.max() - oy.min() + 1) * (ox.max() - ox.min() + 1)) if len(oy) else 1.0
    return out, {"main": float(sizes.max()) / total, "parts": len(keep), "fill": float(fill),
                 "area": float(out.mean())}


def is_object(measures: dict[str, float]) -> bool:
    """Whether a silhouette's measures (:func:`silhouette`) are a single object's: its largest part holds
    :data:`MIN_MAIN` of the paint (not a scene), it fills less than :data:`MAX_FILL` of its bounding box (not a
    background, a frame or a tile), and at least 2 % of the square (not a line)."""
    return measures["main"] >= MIN_MAIN and measures["fill"] < MAX_FILL and measures["area"] >= 0.02


def clarity(measures: dict[str, float]) -> tuple:
    """Sort key of the clearest drawing of a name (largest first): a single object, then the fewest parts,
    then the largest part's share."""
    return (is_object(measures), -measures["parts"], measures["main"])


def write_pictures(pictures: dict[str, np.ndarray]) -> Path:
    """Write ``pictures`` (picture name -> bool mask) to :data:`PICTURES` (packed bits, compressed)."""
    return things_game.save_masks(PICTURES, pictures)


#: The package's copyright file: its public-domain statement is copied into :data:`LICENSE`.
COPYRIGHT = Path("/usr/share/doc/openclipart-svg/copyright")


def read_author(path: str | Path) -> str:
    """The drawing's author as its metadata names them (``<dc:creator>``), or ``"unknown"``."""
    txt = Path(path).read_text(encoding="utf-8", errors="replace")
    m = re.search(r"<dc:creator>.*?<dc:title>([^<]*)</dc:title>", txt, re.S)
    return m.group(1).strip() if m and m.group(1).strip() else "unknown"


def write_license(used: dict[str, str], root: str | Path = ROOT, copyright_file: str | Path = COPYRIGHT) -> Path:
    """Write :data:`LICENSE`: where the drawings come from, the package's public-domain statement (from its
    ``copyright`` file) and, per vendored drawing (``used``: picture name -> our name), its file, title and
    author."""
    text = Path(copyright_file).read_text(encoding="utf-8")
    statement = text[text.index("Copyright:") :].strip()
    lines = ["openclipart_icons.npz — drawings of the Open Clip Art Library (http://www.openclipart.org), from",
             f"Debian's package openclipart-svg {OPENCLIPART_VERSION}, read at build time only. Every drawing was",
             "dedicated to the public domain by its author (the package's copyright statement follows). Each was",
             "rendered to a 128 x 128 one-bit mask of its filled silhouette (the sim engine fills it with a colour,",
             "shades and scales it); the names given to them in things.json are ours. No endorsement by the",
             "authors is implied.", "", *statement.splitlines(), "",
             "Drawings vendored (file under /usr/share/openclipart/svg, title, author, our name):", ""]
    for pic, name in sorted(used.items()):
        f = svg_path(pic, root)
        lines.append(f"- {pic.split('/', 1)[1]}.svg: \"{read_title(f)}\" by {read_author(f)}; \"{name}\"")
    LICENSE.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return LICENSE


def picture(name: str) -> np.ndarray:
    """The vendored picture ``"openclipart/<folder>/<stem>"``: alpha (PICTURE_PX, PICTURE_PX) uint8 (0 or 255).

    Raises:
        KeyError: not among the vendored ones.
    """
    return things_game.picture(name, PICTURES)
