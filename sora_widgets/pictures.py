"""Pictures a clip starts from ("Start from a picture", issue 18 item 5): decoded safely, checked, fitted, hashed.

A picture comes from a user (an upload in the Studio) or from a frame of an earlier take. Whatever its size,
aspect or format, it becomes one (H, W, 3) uint8 RGB array here; ``generate(image=...)`` checks it with
:func:`check_picture`, the recipe records :func:`picture_sha256`, and the engines fit it to the frame with
:func:`fit_picture`.

Decoding is bounded like video uploads (:class:`~sora_widgets.media.MediaLimits`): the file's size, the
pixels its header states (refused before anything is decoded: a 1 kB PNG can state 50 000 x 50 000) and the
longest side kept (scaled down while decoding).
"""

from __future__ import annotations

import hashlib
import io
import warnings

import numpy as np

from .media import MediaError, MediaLimits

__all__ = [
    "MAX_PICTURE_BYTES",
    "MIN_PICTURE_SIDE_PX",
    "PICTURE_FORMATS",
    "check_picture",
    "fit_picture",
    "frame_of",
    "picture_sha256",
    "read_picture",
    "store_picture",
    "stored_picture",
]

#: The formats a picture may come in (Pillow's names). Others (GIF, TIFF, BMP, SVG ...) are refused by name.
PICTURE_FORMATS = ("PNG", "JPEG", "WEBP")
#: The largest picture file accepted, in bytes (a 36-megapixel JPEG at high quality is about 20 MB).
MAX_PICTURE_BYTES = 40 * 1024 * 1024
#: The shortest side a picture may have, in pixels (smaller is an icon, not a scene).
MIN_PICTURE_SIDE_PX = 16


def read_picture(data: bytes, *, name: str = "the picture", limits: MediaLimits | None = None) -> np.ndarray:
    """Decode an uploaded picture into RGB pixels, safely.

    Args:
        data (`bytes`): the file's bytes (PNG, JPEG or WebP; an animated WebP gives its first frame).
        name (`str`, *optional*, defaults to `"the picture"`): how messages name the file.
        limits (`MediaLimits`, *optional*): ``max_source_pixels`` (width x height the header may state) and
            ``max_side_px`` (longer sides are scaled down to it, keeping the aspect); defaults to
            ``MediaLimits()``.

    Returns:
        `np.ndarray`: (H, W, 3) uint8 RGB, turned upright by its EXIF orientation; transparency is laid on
        white.

    Raises:
        MediaError: empty, over ``MAX_PICTURE_BYTES``, not one of ``PICTURE_FORMATS``, a header stating more
            than ``max_source_pixels``, smaller than ``MIN_PICTURE_SIDE_PX``, or truncated/corrupt; the
            message says which and what to do.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    limits = limits or MediaLimits()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise MediaError(f"{name}: expected the file's bytes, got {type(data).__name__}.")
    data = bytes(data)
    if not data:
        raise MediaError(f"{name} is empty: choose a PNG, JPEG or WebP picture.")
    if len(data) > MAX_PICTURE_BYTES:
        raise MediaError(f"{name} is {len(data) / 2**20:.1f} MB; pictures up to {MAX_PICTURE_BYTES // 2**20} MB "
                         "are accepted: save it smaller or as a JPEG.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # our own cap decides, below
            im = Image.open(io.BytesIO(data), formats=list(PICTURE_FORMATS))
    except UnidentifiedImageError:
        raise MediaError(f"{name} is not a PNG, JPEG or WebP picture: save it in one of those formats.") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(f"{name} states more pixels than the {limits.max_source_pixels / 1e6:.0f} megapixels "
                         "accepted: make it smaller.") from None
    except Exception as exc:  # noqa: BLE001  Pillow's parsers raise many kinds on a header that lies or stops short
        raise MediaError(f"{name} could not be read ({type(exc).__name__}): the file is damaged; save it again.") from None
    with im:
        w, h = im.size
        if w * h > limits.max_source_pixels:
            raise MediaError(f"{name} is {w}x{h} pixels; pictures up to {limits.max_source_pixels / 1e6:.0f} "
                             "megapixels are accepted: make it smaller.")
        if min(w, h) < MIN_PICTURE_SIDE_PX:
            raise MediaError(f"{name} is {w}x{h} pixels; a picture needs at least {MIN_PICTURE_SIDE_PX} pixels "
                             "on each side.")
        try:
            side = limits.max_side_px
            if im.format == "JPEG":  # decode at a reduced scale straight away (DCT scaling): less memory
                im.draft("RGB", (side, side))
            im.load()
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
                rgba = im.convert("RGBA")
                im = Image.new("RGB", rgba.size, (255, 255, 255))
                im.paste(rgba, mask=rgba.getchannel("A"))
            else:
                im = im.convert("RGB")
            if max(im.size) > side:
                im.thumbnail((side, side), Image.Resampling.LANCZOS)
            pixels = np.asarray(im, dtype=np.uint8)
        except Exception as exc:  # noqa: BLE001  truncated or corrupt data: any parser error is the file's fault
            raise MediaError(f"{name} could not be decoded ({type(exc).__name__}: {exc}): the file is damaged; "
                             "save it again.") from None
    return np.ascontiguousarray(pixels)


def check_picture(image: object) -> np.ndarray:
    """The one rule for a start picture given to ``generate(image=...)``.

    Args:
        image (`object`): an array, (H, W, 3) RGB or (H, W, 4) RGBA (alpha dropped), uint8.

    Returns:
        `np.ndarray`: (H, W, 3) uint8, C-contiguous (the same pixels).

    Raises:
        ValueError: not a uint8 (H, W, 3|4) array, or a side under ``MIN_PICTURE_SIDE_PX`` or over
            ``MediaLimits().max_side_px`` (decode files with :func:`read_picture`, which scales them down).
    """
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] not in (3, 4):
        got = f"{image.dtype} {image.shape}" if isinstance(image, np.ndarray) else type(image).__name__
        raise ValueError(f"image must be an (H, W, 3) uint8 RGB array; got {got}. Decode a file with "
                         "sora_widgets.pictures.read_picture.")
    h, w = image.shape[:2]
    side = MediaLimits().max_side_px
    if min(h, w) < MIN_PICTURE_SIDE_PX or max(h, w) > side:
        raise ValueError(f"image is {w}x{h} pixels; a start picture must be {MIN_PICTURE_SIDE_PX} to {side} pixels "
                         "on each side (read_picture scales a file down).")
    return np.ascontiguousarray(image[..., :3])


def picture_sha256(image: np.ndarray) -> str:
    """SHA-256 (hex) of a picture's pixels and shape: what a clip's recipe records of its start picture.

    Args:
        image (`np.ndarray`): (H, W, 3) uint8, as :func:`check_picture` returns it.
    """
    image = np.ascontiguousarray(image)
    h = hashlib.sha256(f"rgb8 {image.shape[0]}x{image.shape[1]}\n".encode())
    h.update(image.tobytes())
    return h.hexdigest()


def fit_picture(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """The picture filling a ``width`` x ``height`` frame: scaled to cover it and cropped at the centre.

    Args:
        image (`np.ndarray`): (h, w, 3) uint8, any aspect.
        width (`int`): frame width in pixels.
        height (`int`): frame height in pixels.

    Returns:
        `np.ndarray`: (height, width, 3) uint8. Nothing is stretched: the longer direction is cropped.
    """
    from PIL import Image

    h, w = image.shape[:2]
    scale = max(width / w, height / h)
    cw, ch = width / scale, height / scale  # the source region that covers the frame
    x0, y0 = (w - cw) / 2, (h - ch) / 2
    im = Image.fromarray(np.ascontiguousarray(image[..., :3]))
    out = im.resize((int(width), int(height)), Image.Resampling.LANCZOS, box=(x0, y0, x0 + cw, y0 + ch))
    return np.asarray(out, dtype=np.uint8)


def frame_of(frames: np.ndarray, fps: float, t_s: float) -> np.ndarray:
    """The frame of a clip shown at ``t_s`` seconds (clamped to the clip), as a start picture.

    Args:
        frames (`np.ndarray`): the clip's frames, (T, H, W, 3) uint8.
        fps (`float`): its frame rate, frames per second.
        t_s (`float`): the time, seconds.

    Returns:
        `np.ndarray`: (H, W, 3) uint8, a copy.
    """
    i = int(np.clip(round(float(t_s) * float(fps)), 0, len(frames) - 1))
    return np.array(frames[i], dtype=np.uint8, copy=True)


def store_picture(store, image: np.ndarray) -> str:
    """Keep a start picture in the store's media, so a remix or a regenerate of the clip made from it can start
    from the same picture; returns its media digest (SHA-256 of the PNG bytes, as for any media).

    The picture is saved as a lossless PNG: :func:`stored_picture` gives back the same pixels, so the remix's
    recipe records the same :func:`picture_sha256`. Media files are content-addressed and written owner-only
    by the store; who may use the picture is who may see the clip that refers to it (``remix_request``
    checks the parent first).

    Args:
        store (`Store`): the store (``sora_widgets.store.open_store``).
        image (`np.ndarray`): the picture, (H, W, 3) uint8 (checked with :func:`check_picture`).
    """
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(check_picture(image)).save(buf, format="PNG")
    return store.put_media(buf.getvalue(), mime="image/png", suffix=".png")


def stored_picture(store, digest: str) -> np.ndarray:
    """The picture :func:`store_picture` kept under ``digest``, (H, W, 3) uint8.

    Raises:
        NotFound: no media under ``digest``.
        StoreError: the stored file is damaged (checked against its digest).
        MediaError: the media is not a picture.
    """
    return read_picture(store.media_bytes(digest), name="the stored picture")
