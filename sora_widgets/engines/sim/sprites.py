"""Sprites of catalogue things (:mod:`.things`), rendered from the Noto Color Emoji font.

Why this set: Google's Noto Color Emoji is an open font (SIL Open Font License 1.1) that Debian ships as
``fonts-noto-color-emoji`` (installed by ``make``: the Makefile's ``APT_PACKAGES``), it covers every
Unicode 15 emoji — about 750 of them are physical things: animals, plants, food, vehicles, tools, sports
gear, instruments — and Pillow renders its CBDT bitmaps directly (``embedded_color=True`` at the font's
one bitmap size, 109 px). Nothing is downloaded at run time.

- :func:`base_rgba`: the emoji's own picture, cropped to its alpha, (H, W, 4) uint8, cached per emoji.
- :func:`sprite`: premultiplied float32 RGBA at a height in pixels, optionally tinted to a colour, and
  rotated; cached per (emoji, height, tint, angle bin) so a clip renders each look once.
- :func:`outline`: the convex hull of the alpha as a polygon in units of the sprite's height, for the
  physics body (pymunk takes convex polygons).

A second set gives breadth: Material Design Icons (Pictogrammers, fonts and icons Apache-2.0; the font ships in
the PyPI package ``fonticon-materialdesignicons7``, a runtime dependency), about 7,300 monochrome icons of
which about 340 are things the emoji lack (limousine, forklift, excavator, tools, furniture, appliances...). Their sprite ids read ``"mdi:<icon name>:<codepoint hex>:<CSS colour>"``; the glyph's alpha is
filled with that colour, lit from above and outlined a shade darker, so tinting keeps a shading like an emoji's.

A third set: Tabler Icons (MIT; SVGs in the PyPI package ``tablerpy``, read with ``svgelements``), sprite ids
``"tabler:<icon name>:<filled|outline>:<CSS colour>"``. A filled icon's paths are filled even-odd; an outline
icon's strokes are drawn at the set's width and the silhouette they enclose filled, its own lines kept darker,
so it reads as a solid thing shaded like the MDI ones.

A fourth set: game-icons.net (CC BY 3.0; :mod:`.things_game`), drawn silhouettes of weapons, tools, creatures,
plants and food the others lack, vendored as 1-bit pictures (``game_icons.npz``, with its licence file) so a plain
pip install has them; sprite ids ``"game:<icon name>:<CSS colour>"``, shaded like the MDI ones.

If the font is missing, :func:`available` is False and :func:`base_rgba` raises :class:`SpriteUnavailable`
with the install command; the engine then draws the thing as a hand-drawn box and records the
substitution (see ``physics.layout``/``render``), never crashing.
"""

from __future__ import annotations

import math
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["FONT_ENV", "FONT_PATHS", "GAME_PREFIX", "ICONIFY_PREFIX", "MDI_PREFIX", "MONO_PREFIXES", "TABLER_PREFIX", "SpriteUnavailable", "aspect",
           "available", "base_rgba", "font_path", "game_sprite_id", "iconify_sprite_id", "is_round", "mdi_font_path", "mdi_sprite_id", "outline", "sprite", "tabler_dir",
           "tabler_sprite_id"]

#: Environment variable naming another colour-emoji font file (CBDT/sbix bitmaps) to use instead.
FONT_ENV = "SORA_EMOJI_FONT"
#: Where Debian/Ubuntu (fonts-noto-color-emoji) and Fedora put the font.
FONT_PATHS = (
    "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf",
    "/usr/share/fonts/google-noto-color-emoji-fonts/NotoColorEmoji.ttf",
    "/usr/share/fonts/noto/NotoColorEmoji.ttf",
)
_BITMAP_SIZE = 109  # the one strike size of Noto Color Emoji's CBDT bitmaps (136 x 128 px glyphs)
_CANVAS = 160
ALPHA_MIN = 0.5  # alpha above which a pixel belongs to the body's outline


class SpriteUnavailable(RuntimeError):
    """The emoji font is not installed (or cannot draw this emoji)."""


@lru_cache(maxsize=1)
def font_path() -> Path | None:
    """Path of the colour-emoji font, or None if none is installed."""
    env = os.environ.get(FONT_ENV)
    for p in ((env,) if env else ()) + FONT_PATHS:
        if p and Path(p).is_file():
            return Path(p)
    return None


def available() -> bool:
    """True if sprites can be drawn (the font is installed and Pillow can open it)."""
    try:
        _font()
    except SpriteUnavailable:
        return False
    return True


@lru_cache(maxsize=1)
def _font():
    from PIL import ImageFont

    p = font_path()
    if p is None:
        raise SpriteUnavailable("the colour-emoji font is missing: install it with `apt-get install "
                                f"fonts-noto-color-emoji` (or `make system-deps`), or set {FONT_ENV} to a font file")
    try:
        return ImageFont.truetype(str(p), _BITMAP_SIZE)
    except OSError as exc:  # a font Pillow/FreeType cannot open at that size
        raise SpriteUnavailable(f"cannot open the emoji font {p}: {exc}") from exc


#: Sprite ids of Material Design Icons start with this.
MDI_PREFIX = "mdi:"
_MDI_PX = 128  # glyph size the icons are rendered at (their design grid is 24 units: 5.3 px a unit)


def mdi_sprite_id(name: str, codepoint: int, color: str) -> str:
    """The sprite id of a Material Design Icon filled with a CSS colour name (see the module docstring)."""
    return f"{MDI_PREFIX}{name}:{codepoint:X}:{color}"


@lru_cache(maxsize=1)
def mdi_font_path() -> Path | None:
    """Path of the Material Design Icons font of ``fonticon-materialdesignicons7``, or None if not installed."""
    import importlib.util

    spec = importlib.util.find_spec("fonticon_mdi7")  # the package's own module is 250 kB of names: not imported
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "materialdesignicons-webfont.ttf"
    return p if p.is_file() else None


@lru_cache(maxsize=1)
def _mdi_font():
    from PIL import ImageFont

    p = mdi_font_path()
    if p is None:
        raise SpriteUnavailable("the Material Design Icons font is missing: pip install fonticon-materialdesignicons7")
    return ImageFont.truetype(str(p), _MDI_PX)


def _color_rgb(color: str, sprite_id: str) -> np.ndarray:
    """The RGB (float32, 0-255) of a CSS colour name in a monochrome sprite id."""
    from . import vocab

    try:
        return np.asarray(vocab.hex_to_rgb(vocab.colors()[color]), np.float32)
    except KeyError as exc:
        raise SpriteUnavailable(f"bad icon sprite id {sprite_id!r}") from exc


def _shaded(alpha: np.ndarray, rgb: np.ndarray, lines: np.ndarray | None = None) -> np.ndarray:
    """A monochrome picture from its alpha (uint8, any size; cropped here): ``rgb`` lit from above (x1.18 at the
    top to x0.82 at the bottom) with a 2-px rim at x0.6, so its shape reads on any ground; ``lines`` (bool, same
    shape), an outline icon's own strokes, are drawn at the rim's shade inside the filled silhouette."""
    from scipy.ndimage import binary_erosion

    ys, xs = np.nonzero(alpha > 8)
    if len(ys) == 0:
        raise SpriteUnavailable("the icon has no picture")
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    a = alpha[y0:y1, x0:x1]
    # pixels 2 px inside the edge keep the fill; the rim between is darker (an erosion of the alpha)
    inner = binary_erosion(np.pad(a > 127, 2), np.ones((5, 5), bool))[2:-2, 2:-2].astype(np.float32)
    if lines is not None:
        inner = np.where(lines[y0:y1, x0:x1], 0.0, inner)
    light = np.linspace(1.18, 0.82, a.shape[0], dtype=np.float32)[:, None]
    shade = light * (0.6 + 0.4 * inner)
    out = np.empty(a.shape + (4,), np.uint8)
    out[..., :3] = np.clip(rgb[None, None, :] * shade[..., None] + 0.5, 0, 255).astype(np.uint8)
    out[..., 3] = a
    return out


def _mdi_rgba(sprite_id: str) -> np.ndarray:
    """The icon of ``"mdi:<name>:<hex>:<colour>"`` as (H, W, 4) uint8 cropped to its alpha, shaded
    (:func:`_shaded`)."""
    from PIL import Image, ImageDraw

    try:
        _, _name, hexcp, color = sprite_id.split(":")
        ch = chr(int(hexcp, 16))
    except ValueError as exc:
        raise SpriteUnavailable(f"bad icon sprite id {sprite_id!r}") from exc
    rgb = _color_rgb(color, sprite_id)
    im = Image.new("L", (_MDI_PX + 16, _MDI_PX + 16), 0)
    ImageDraw.Draw(im).text((8, 8), ch, font=_mdi_font(), fill=255)
    try:
        return _shaded(np.asarray(im), rgb)
    except SpriteUnavailable:
        raise SpriteUnavailable(f"the icon font has no picture for {sprite_id!r}") from None


#: Sprite ids of Tabler Icons start with this.
TABLER_PREFIX = "tabler:"
_TABLER_STROKE = 2.0  # the set's stroke width, in its 24-unit design grid


def tabler_sprite_id(name: str, style: str, color: str) -> str:
    """The sprite id of a Tabler icon (``style`` "filled" or "outline") in a CSS colour name."""
    return f"{TABLER_PREFIX}{name}:{style}:{color}"


@lru_cache(maxsize=1)
def tabler_dir() -> Path | None:
    """The folder of Tabler's SVGs in the PyPI package ``tablerpy`` (``filled/``, ``outline/``), or None."""
    import importlib.util

    spec = importlib.util.find_spec("tablerpy")
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(next(iter(spec.submodule_search_locations))) / "icons"
    return p if p.is_dir() else None


def _tabler_alpha(svg_path: Path, filled: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Rasterise a Tabler SVG at ``_MDI_PX`` px: (alpha uint8, the strokes as bool or None).

    A filled icon's subpaths are filled even-odd (a hole in a hole is filled again); an outline icon's strokes
    are drawn with round joins at the set's width and the silhouette they enclose is filled, so the thing reads
    as a solid body like the other sets' pictures, its own lines kept for :func:`_shaded`."""
    from PIL import Image, ImageChops, ImageDraw
    from scipy.ndimage import binary_fill_holes
    from svgelements import SVG, Shape
    from svgelements import Path as SvgPath

    px, pad = _MDI_PX, 8
    k = px / 24.0
    polys: list[list[tuple[float, float]]] = []
    for el in SVG.parse(str(svg_path)).elements():
        if not isinstance(el, Shape) or str(el.values.get("stroke")) == str(el.values.get("fill")) == "none":
            continue  # the set's invisible 24x24 frame
        for sub in map(SvgPath, SvgPath(el).as_subpaths()):
            seg = sub.npoint(np.linspace(0.0, 1.0, max(8, int(sub.length(error=1e-2) * k / 2))))
            pts = [(pad + float(x) * k, pad + float(y) * k) for x, y in np.asarray(seg, np.float64)]
            if len(pts) > 1:
                polys.append(pts)
    size = (px + 2 * pad, px + 2 * pad)
    if filled:
        im = Image.new("1", size, 0)
        for pts in polys:
            one = Image.new("1", size, 0)
            ImageDraw.Draw(one).polygon(pts, fill=1)
            im = ImageChops.logical_xor(im, one)
        return np.asarray(im.convert("L")), None
    im = Image.new("L", size, 0)
    draw = ImageDraw.Draw(im)
    w = max(1, int(round(_TABLER_STROKE * k)))
    for pts in polys:
        draw.line(pts, fill=255, width=w, joint="curve")
        for x, y in (pts[0], pts[-1]):  # round caps
            draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=255)
    lines = np.asarray(im) > 127
    body = binary_fill_holes(lines)
    return np.where(body, 255, 0).astype(np.uint8), lines


def _tabler_rgba(sprite_id: str) -> np.ndarray:
    """The icon of ``"tabler:<name>:<style>:<colour>"`` as (H, W, 4) uint8 cropped to its alpha, shaded."""
    try:
        _, name, style, color = sprite_id.split(":")
    except ValueError as exc:
        raise SpriteUnavailable(f"bad icon sprite id {sprite_id!r}") from exc
    d = tabler_dir()
    if d is None:
        raise SpriteUnavailable("the Tabler Icons are missing: pip install tablerpy")
    path = d / style / f"{name}.svg"
    if style not in ("filled", "outline") or not path.is_file():
        raise SpriteUnavailable(f"Tabler has no picture for {sprite_id!r}")
    alpha, lines = _tabler_alpha(path, style == "filled")
    try:
        return _shaded(alpha, _color_rgb(color, sprite_id), lines)
    except SpriteUnavailable:
        raise SpriteUnavailable(f"Tabler has no picture for {sprite_id!r}") from None


#: Sprite ids of game-icons.net pictures start with this.
GAME_PREFIX = "game:"


def game_sprite_id(name: str, color: str) -> str:
    """The sprite id of a vendored game-icons.net picture (:mod:`.things_game`) in a CSS colour name."""
    return f"{GAME_PREFIX}{name}:{color}"


def _game_rgba(sprite_id: str) -> np.ndarray:
    """The picture of ``"game:<name>:<colour>"`` as (H, W, 4) uint8 cropped to its alpha, shaded."""
    from . import things_game

    return _vendored_rgba(sprite_id, things_game.picture)


def _vendored_rgba(sprite_id: str, picture) -> np.ndarray:
    """The picture of a vendored mask's sprite id ``"<prefix>:<name>:<colour>"``, ``picture(name)`` its alpha."""
    try:
        _, name, color = sprite_id.split(":")
        alpha = picture(name)
    except (ValueError, KeyError, OSError) as exc:
        raise SpriteUnavailable(f"no vendored picture for {sprite_id!r}") from exc
    return _shaded(alpha, _color_rgb(color, sprite_id))


#: Sprite ids of the other vendored icon sets' pictures (:mod:`.things_iconify`) start with this.
ICONIFY_PREFIX = "iconify:"
#: The prefixes of the monochrome pictures' sprite ids (every set but the colour emoji).
MONO_PREFIXES = (MDI_PREFIX, TABLER_PREFIX, GAME_PREFIX, ICONIFY_PREFIX)


def iconify_sprite_id(name: str, color: str) -> str:
    """The sprite id of a vendored Iconify picture (``"<set>/<icon>"``, :mod:`.things_iconify`) in a CSS colour."""
    return f"{ICONIFY_PREFIX}{name}:{color}"


def _iconify_rgba(sprite_id: str) -> np.ndarray:
    """The picture of ``"iconify:<set>/<icon>:<colour>"`` as (H, W, 4) uint8 cropped to its alpha, shaded."""
    return _vendored_rgba(sprite_id, _iconify_picture)


def _iconify_picture(name: str) -> np.ndarray:
    """The vendored alpha of ``"<set>/<icon>"``: an Open Clip Art Library drawing's (``things_openclipart``,
    prefix ``openclipart``) or an Iconify set's (``things_iconify``)."""
    from . import things_iconify, things_openclipart

    if name.split("/")[0] == things_openclipart.PREFIX:
        return things_openclipart.picture(name)
    return things_iconify.picture(name)


@lru_cache(maxsize=2048)
def base_rgba(emoji: str) -> np.ndarray:
    """The emoji's picture at the font's bitmap size, cropped to its alpha: (H, W, 4) uint8, read-only.

    Args:
        emoji (`str`): the emoji character(s), e.g. ``"\\U0001F40E"``, or an icon's sprite id
            (:func:`mdi_sprite_id`).

    Raises:
        SpriteUnavailable: no font, or the font draws nothing for ``emoji``.
    """
    from PIL import Image, ImageDraw

    if emoji.startswith(MONO_PREFIXES):
        out = (_mdi_rgba(emoji) if emoji.startswith(MDI_PREFIX) else
               _tabler_rgba(emoji) if emoji.startswith(TABLER_PREFIX) else
               _game_rgba(emoji) if emoji.startswith(GAME_PREFIX) else _iconify_rgba(emoji))
        out.setflags(write=False)
        return out
    font = _font()
    im = Image.new("RGBA", (_CANVAS, _CANVAS), (0, 0, 0, 0))
    ImageDraw.Draw(im).text((4, 4), emoji, font=font, embedded_color=True)
    a = np.asarray(im)
    ys, xs = np.nonzero(a[..., 3] > 8)
    if len(ys) == 0:
        raise SpriteUnavailable(f"the emoji font has no picture for {emoji!r}")
    out = np.ascontiguousarray(a[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1])
    out.setflags(write=False)
    return out


def aspect(emoji: str) -> float:
    """Width / height of the emoji's picture (cropped to its alpha)."""
    h, w = base_rgba(emoji).shape[:2]
    return w / h


@lru_cache(maxsize=2048)
def outline(emoji: str, max_verts: int = 16) -> tuple[tuple[float, float], ...]:
    """Convex hull of the alpha, counter-clockwise, y up, in units of the sprite's height, centred on the
    picture's centre (x in ±aspect/2, y in ±0.5). At most ``max_verts`` vertices (the hull is thinned by
    dropping the vertex whose removal loses the least area)."""
    from scipy.spatial import ConvexHull

    a = base_rgba(emoji)
    h, w = a.shape[:2]
    ys, xs = np.nonzero(a[..., 3] >= 255 * ALPHA_MIN)
    # pixel corners, so a 1-px-wide part keeps its width
    pts = np.concatenate([np.stack([xs + dx, ys + dy], 1) for dx in (0, 1) for dy in (0, 1)]).astype(np.float64)
    hull = pts[ConvexHull(pts).vertices]  # CCW in (x right, y down) -> clockwise once y is flipped
    v = np.stack([(hull[:, 0] - w / 2) / h, (h / 2 - hull[:, 1]) / h], 1)[::-1]  # CCW with y up
    v = list(map(tuple, v))
    while len(v) > max_verts:
        areas = []
        for k in range(len(v)):
            (ax, ay), (bx, by), (cx, cy) = v[k - 1], v[k], v[(k + 1) % len(v)]
            areas.append(abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)))
        v.pop(int(np.argmin(areas)))
    return tuple((float(x), float(y)) for x, y in v)


@lru_cache(maxsize=2048)
def is_round(emoji: str) -> bool:
    """Whether the picture is a disc (a ball, a coin, a cookie): about square, filling at least 90 % of its
    inscribed circle with under 2 % of it outside. Such things get a circle body, so they roll."""
    a = base_rgba(emoji)[..., 3] >= 255 * ALPHA_MIN
    h, w = a.shape
    if not 0.9 <= w / h <= 1.11:
        return False
    r = (h + w) / 4
    disc = (np.arange(h)[:, None] - (h - 1) / 2) ** 2 + (np.arange(w)[None, :] - (w - 1) / 2) ** 2 <= r * r
    return bool((a & disc).sum() >= 0.9 * disc.sum() and (a & ~disc).sum() < 0.02 * a.sum())


def _tint(rgba: np.ndarray, rgb) -> np.ndarray:
    """Recolour to ``rgb`` keeping the picture's shading: colour = rgb x (luminance / median luminance)."""
    f = rgba.astype(np.float32)
    lum = f[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)
    inside = f[..., 3] > 128
    ref = float(np.median(lum[inside])) if inside.any() else 128.0
    shade = np.clip(lum / max(ref, 1.0), 0.45, 1.35)
    out = f.copy()
    out[..., :3] = np.clip(np.asarray(rgb, np.float32)[None, None, :] * shade[..., None], 0, 255)
    return out


def sprite(emoji: str, height_px: int, tint: tuple | None = None, angle_bin: int = 0, bins: int = 64,
           light: float = 1.0) -> np.ndarray:
    """Premultiplied float32 RGBA sprite, (h, w, 4), of ``emoji`` scaled to ``height_px`` (before rotation).

    Args:
        emoji (`str`): the emoji.
        height_px (`int`): height of the unrotated picture in pixels (>= 2).
        tint (`tuple[int, int, int]`, *optional*): recolour to this RGB (0-255) keeping the shading;
            None keeps the emoji's own colours.
        angle_bin (`int`): rotation, counter-clockwise, in steps of 2π / ``bins``.
        bins (`int`): angle steps per turn.
        light (`float`): brightness factor of the scene's time of day (0-1.2).

    Read-only. Unrotated sprites are cached here (per emoji, size, tint, light); rotated ones are made from
    them on demand — the renderer keeps those of its clip — so a long-lived process holds a bounded cache.
    """
    h = max(2, int(height_px))
    tint = None if tint is None else tuple(int(c) for c in tint)
    k = angle_bin % bins
    if not k:
        return _cached_float(emoji, h, tint, float(light))
    from PIL import Image

    pic = _scaled(emoji, h, tint)
    im = Image.frombytes("RGBa", (pic.shape[1], pic.shape[0]), pic.tobytes())
    turned = im.rotate(math.degrees(2 * math.pi * k / bins), resample=Image.Resampling.BICUBIC, expand=True)
    return _premultiplied_float(np.asarray(turned), float(light))


@lru_cache(maxsize=128)
def _scaled(emoji: str, h: int, tint: tuple | None) -> np.ndarray:
    """(h, w, 4) uint8 premultiplied ("RGBa") picture at height ``h``, tinted."""
    from PIL import Image

    base = base_rgba(emoji)
    w = max(2, int(round(h * base.shape[1] / base.shape[0])))
    pic = base if tint is None else np.clip(_tint(base, tint) + 0.5, 0, 255).astype(np.uint8)
    im = Image.frombytes("RGBA", (pic.shape[1], pic.shape[0]), np.ascontiguousarray(pic).tobytes())
    # premultiply before resampling so transparent pixels' colours do not bleed into the edge
    im = im.convert("RGBa").resize((w, h), Image.Resampling.LANCZOS if h < base.shape[0] else Image.Resampling.BICUBIC)
    out = np.asarray(im)
    out.setflags(write=False)
    return out


@lru_cache(maxsize=128)
def _cached_float(emoji: str, h: int, tint: tuple | None, light: float) -> np.ndarray:
    return _premultiplied_float(_scaled(emoji, h, tint), light)


def _premultiplied_float(rgba_premult: np.ndarray, light: float) -> np.ndarray:
    a = rgba_premult.astype(np.float32) / 255.0
    out = np.empty(a.shape, np.float32)
    out[..., 3] = np.clip(a[..., 3], 0.0, 1.0)
    out[..., :3] = np.minimum(a[..., :3] * 255.0 * light, 255.0 * out[..., 3:])  # premultiplied, stays <= alpha
    out.setflags(write=False)
    return out
