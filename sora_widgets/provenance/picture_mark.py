"""The invisible picture mark: a tiled spread-spectrum pattern in the luma, read over a whole clip.

Why hand-written: ``invisible-watermark``'s dwtDctSvd does not survive our own
H.264 encoding (0.75 bits right per frame at crf 23, chance after a 10 % crop)
and the learned video watermarks download their weights at run time (see
``docs/provenance.md``, "Marks"). This scheme is the classic one and is small.

Embedding (:func:`embed`)
    A *tile* of ``TILE_PX`` x ``TILE_PX`` pixels is the sum of 49 orthogonal
    pseudo-random patterns: one *pilot* (always +1, finds the tile's offset) and
    one per payload bit (sign = the bit). Each pattern is a ±1 code on a
    ``CHIPS`` x ``CHIPS`` grid (rows of a Hadamard matrix, scrambled by a fixed
    key: orthogonal yet noise-like), band-limited and periodically upsampled to
    the tile, with its lowest frequencies removed (those cost PSNR and the host
    picture drowns them). The tile repeats over the frame (periodic: a crop
    keeps whole periods) and is the same in every frame (so trimming and
    frame-rate changes keep it, and detection can average the clip). It is
    added to R, G and B alike (= to the luma) at ``AMPLITUDE`` grey levels RMS,
    scaled up in textured areas and down in flat ones (texture masking).

Detection (:func:`detect`)
    Each frame's luma is *whitened* (minus a Gaussian blur, divided by the local
    RMS, clipped: edges and flat areas weigh alike) and averaged over up to
    ``MAX_FRAMES`` frames spread over the clip. The tile's period in the picture
    (it changes when the clip was scaled) is read from the autocorrelation of
    that average; the average is rescaled so one period is ``TILE_PX`` again and
    folded onto one tile; a circular cross-correlation with the pilot finds the
    offset (a crop moves it); at that offset each bit is the sign of the
    correlation with its pattern. A payload is reported only when the pilot's
    peak stands ``SYNC_Z`` standard deviations above the other offsets *and* the
    48 bits carry a valid check code (:mod:`.mark_id`).

Units: frames are ``(T, H, W, 3)`` uint8 RGB; amplitudes in grey levels (0-255).
"""

from __future__ import annotations

import functools

import cv2
import numpy as np
import scipy.fft

from .mark_id import CODED_BITS, Detection, decode, encode, is_valid, walsh_rows

__all__ = ["Detection", "embed", "detect", "psnr", "TILE_PX", "AMPLITUDE"]

#: Side of the repeating tile, in pixels of the marked frames.
TILE_PX = 128
#: Pseudo-random chips per tile side (TILE_PX / CHIPS = 4 pixels a chip).
CHIPS = 32
#: RMS of the mark in grey levels (0-255) before clipping: 2.9 gives PSNR 38.6-39.5 dB on sim clips.
AMPLITUDE = 2.9
#: No frame's mark may exceed this PSNR floor (dB): a frame whose mark would is scaled down.
MIN_PSNR_DB = 38.3
#: Chip-grid frequencies (cycles per tile) below this radius are left out of the patterns.
LOW_CUT = 3
#: Share of the mark's energy that goes to the pilot (finds offset and scale).
PILOT_SHARE = 0.25
#: Frames read by :func:`detect` at most (spread evenly over the clip).
MAX_FRAMES = 48
#: ... and at most this many pixels in all (large frames: fewer frames), but never fewer than MIN_FRAMES frames.
PIXEL_BUDGET = 6_000_000
MIN_FRAMES = 8
#: The pilot's correlation peak must stand this many standard deviations above the other offsets
#: (unmarked videos: 2.5-4.5; the check code then removes all but 1 in 65,536 of what passes).
SYNC_Z = 6.0
#: Fixed key of the patterns: changing it makes every existing mark unreadable.
KEY = 0x5012A_16

_WHITEN_SIGMA = 2.0
_LOCAL_RMS_SIGMA = 6.0


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[np.ndarray, np.ndarray]:
    """(pilot tile (TILE, TILE), bit tiles (48, TILE, TILE)), float32, each of unit RMS."""
    rng = np.random.default_rng(KEY)
    n = CHIPS * CHIPS
    rows = rng.choice(np.arange(1, n), size=CODED_BITS + 1, replace=False)
    signs = rng.choice(np.array([-1.0, 1.0], np.float32), size=n)
    perm = rng.permutation(n)
    codes = (walsh_rows(rows, n) * signs)[:, perm].reshape(-1, CHIPS, CHIPS)
    # Band-limit: drop the lowest chip-grid frequencies, then upsample periodically by zero-padding.
    spec = scipy.fft.fft2(codes, axes=(1, 2))
    fy = np.fft.fftfreq(CHIPS) * CHIPS
    radius = np.hypot(fy[:, None], fy[None, :])
    spec[:, radius < LOW_CUT] = 0
    big = np.zeros((codes.shape[0], TILE_PX, TILE_PX), complex)
    h = CHIPS // 2
    big[:, :h, :h] = spec[:, :h, :h]
    big[:, :h, -h:] = spec[:, :h, -h:]
    big[:, -h:, :h] = spec[:, -h:, :h]
    big[:, -h:, -h:] = spec[:, -h:, -h:]
    tiles = scipy.fft.ifft2(big, axes=(1, 2)).real.astype(np.float32)
    tiles /= np.sqrt((tiles**2).mean(axis=(1, 2), keepdims=True))
    return tiles[0], tiles[1:]


@functools.lru_cache(maxsize=64)
def _mark_tile(payload: int) -> np.ndarray:
    """The unit-RMS tile carrying ``payload`` (float32, TILE x TILE)."""
    pilot, bits = _patterns()
    signs = encode(payload)
    pilot_w = np.sqrt(PILOT_SHARE / (1 - PILOT_SHARE) * CODED_BITS)
    tile = pilot_w * pilot + np.tensordot(signs, bits, axes=1)
    return (tile / np.sqrt((tile**2).mean())).astype(np.float32)


def _luma(frame: np.ndarray) -> np.ndarray:
    """Rec. 601 luma of an RGB uint8 frame, float32 grey levels."""
    return cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY).astype(np.float32)


def _masking(frame: np.ndarray) -> np.ndarray:
    """Per-pixel gain (RMS 1): more mark where the picture is textured, less where it is flat.

    Measured on the half-size luma (4x fewer pixels; the gain is smooth anyway).
    """
    h, w = frame.shape[:2]
    small = cv2.resize(_luma(frame), (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    hp = small - cv2.GaussianBlur(small, (0, 0), _WHITEN_SIGMA / 2)
    activity = np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), _LOCAL_RMS_SIGMA / 2))
    gain = np.clip((activity + 2.0) / (float(activity.mean()) + 2.0), 0.5, 2.0)
    gain = cv2.resize(gain, (w, h), interpolation=cv2.INTER_LINEAR)
    return gain / np.sqrt(float((gain**2).mean()))


def embed(frames: np.ndarray, payload: int, *, amplitude: float = AMPLITUDE) -> np.ndarray:
    """Add the invisible picture mark carrying ``payload`` to every frame.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB (any size; the tile is cut at the edges).
        payload: a valid 48-bit payload (:func:`.mark_id.new_mark_id`).
        amplitude: RMS of the mark in grey levels; the default keeps PSNR >= 38 dB.

    Returns:
        New ``(T, H, W, 3)`` uint8 frames (the input is not modified). Burn the
        visible mark *before* this (the invisible mark then covers it too).
    """
    if not is_valid(payload):
        raise ValueError("payload must be a valid 48-bit watermark payload (see mark_id.new_mark_id)")
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8; got {frames.shape} {frames.dtype}")
    _, height, width, _ = frames.shape
    tile = _mark_tile(payload)
    reps = (-(-height // TILE_PX), -(-width // TILE_PX))
    pattern = np.tile(tile, reps)[:height, :width] * np.float32(amplitude)
    out = np.empty_like(frames)
    max_rms = 255.0 / 10 ** (MIN_PSNR_DB / 20)
    for i, frame in enumerate(frames):
        delta = pattern * _masking(frame)
        rms = float(np.sqrt(np.mean(delta * delta)))
        if rms > max_rms:  # masking gain and pattern lined up: keep the PSNR floor
            delta *= max_rms / rms
        delta = np.rint(delta).astype(np.int16)
        out[i] = np.clip(frame.astype(np.int16) + delta[..., None], 0, 255).astype(np.uint8)
    return out


def _whiten(frame: np.ndarray) -> np.ndarray:
    """High-passed, locally normalised, clipped luma: the mark stands out, the picture does not."""
    luma = _luma(frame)
    hp = luma - cv2.GaussianBlur(luma, (0, 0), _WHITEN_SIGMA)
    rms = np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), _LOCAL_RMS_SIGMA)) + 1.0
    return np.clip(hp / rms, -3.0, 3.0)


def _period_candidates(avg: np.ndarray, n: int = 3) -> list[float]:
    """Likely tile periods (pixels) of the averaged residual, strongest first.

    The mark repeats every period P along both axes, so the autocorrelation has
    peaks at lags (P, 0) and (0, P); random pictures have none there.
    """
    h, w = avg.shape
    spec = np.fft.rfft2(avg - avg.mean(), s=(2 * h, 2 * w))
    ac = np.fft.irfft2(np.abs(spec) ** 2, s=(2 * h, 2 * w))
    ac /= ac[0, 0] + 1e-9
    lo = max(8, int(TILE_PX * 0.3))
    hi = min(int(TILE_PX * 1.6), h - 8, w - 8)
    if hi <= lo:
        return []
    lags = np.arange(lo, hi + 1)
    # Normalise by the overlap so long lags are not penalised.
    row = ac[0, lags] * w / (w - lags)
    col = ac[lags, 0] * h / (h - lags)
    score = row + col
    found: list[float] = []
    order = np.argsort(score)[::-1]
    for idx in order:
        if len(found) >= n:
            break
        if 0 < idx < len(score) - 1:
            a, b, c = score[idx - 1], score[idx], score[idx + 1]
            denom = a - 2 * b + c
            frac = 0.5 * (a - c) / denom if denom < 0 else 0.0
        else:
            frac = 0.0
        p = float(lags[idx] + frac)
        if all(abs(p - q) > 2 for q in found):
            found.append(p)
    return found


def _fold(avg: np.ndarray, period: float) -> np.ndarray:
    """Rescale ``avg`` so one period is TILE_PX pixels, then sum it onto one tile (mean per pixel)."""
    scale = TILE_PX / period
    h, w = avg.shape
    resized = avg if abs(scale - 1) < 1e-3 else cv2.resize(
        avg, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_LINEAR)
    rh, rw = resized.shape
    ph, pw = -(-rh // TILE_PX) * TILE_PX, -(-rw // TILE_PX) * TILE_PX
    padded = np.zeros((ph, pw), np.float32)
    count = np.zeros((ph, pw), np.float32)
    padded[:rh, :rw] = resized
    count[:rh, :rw] = 1
    folded = padded.reshape(ph // TILE_PX, TILE_PX, pw // TILE_PX, TILE_PX).sum(axis=(0, 2))
    counts = count.reshape(ph // TILE_PX, TILE_PX, pw // TILE_PX, TILE_PX).sum(axis=(0, 2))
    return folded / np.maximum(counts, 1)


def _read_tile(folded: np.ndarray) -> tuple[float, int]:
    """(sync z-score, decoded payload) of one folded tile."""
    pilot, codes = _patterns()
    f = np.fft.fft2(folded - folded.mean())
    corr = np.fft.ifft2(f * np.conj(np.fft.fft2(pilot))).real
    peak = np.unravel_index(int(np.argmax(corr)), corr.shape)
    z = float((corr[peak] - corr.mean()) / (corr.std() + 1e-12))
    # The tile was added at offset (dy, dx): undo the shift, then project on each channel bit's pattern.
    aligned = np.roll(folded, (-int(peak[0]), -int(peak[1])), axis=(0, 1))
    soft = np.tensordot(codes, aligned, axes=((1, 2), (0, 1)))
    payload, _ = decode(soft)
    return z, payload


def _frame_indices(frames: np.ndarray, max_frames: int) -> np.ndarray:
    """Frames to read: evenly spread, at most ``max_frames`` and at most ``PIXEL_BUDGET`` pixels in all."""
    t, h, w = frames.shape[:3]
    n = int(min(t, max_frames, max(MIN_FRAMES, PIXEL_BUDGET // (h * w))))
    return np.unique(np.linspace(0, t - 1, n).round().astype(int))


def detect(frames: np.ndarray, *, max_frames: int = MAX_FRAMES) -> Detection:
    """Look for the picture mark in a clip's frames (the whole clip at once).

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB, as decoded from the file (any size,
            crop, scale between about 0.4x and 1.5x of the marked size, frame rate).
        max_frames: frames read at most, spread evenly over the clip (speed); large
            frames are read fewer (``PIXEL_BUDGET``).

    Returns:
        :class:`~.mark_id.Detection`; ``payload`` is set only when the pilot stands
        out by ``SYNC_Z`` and the decoded 48 bits carry a valid check code.
        ``confidence`` is 0.5 at the threshold and 1.0 at twice it.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[0] == 0 or min(frames.shape[1:3]) < 32:
        return Detection(None, 0.0, 0.0)
    idx = _frame_indices(frames, max_frames)
    avg = np.zeros(frames.shape[1:3], np.float32)
    for i in idx:
        avg += _whiten(frames[i])
    avg /= len(idx)
    best = Detection(None, 0.0, 0.0)
    # The autocorrelation's guesses, then the two scales copies have most often (as made, and halved).
    periods = _period_candidates(avg)
    periods += [p for p in (float(TILE_PX), TILE_PX / 2.0) if all(abs(p - q) > 1 for q in periods)]
    for period in periods:
        z, payload = _read_tile(_fold(avg, period))
        ok = z >= SYNC_Z and is_valid(payload)
        confidence = min(1.0, 0.5 + 0.5 * (z - SYNC_Z) / SYNC_Z) if ok else min(0.49, 0.5 * z / SYNC_Z)
        candidate = Detection(payload if ok else None, float(max(0.0, confidence)), z)
        if (candidate.found, candidate.score) > (best.found, best.score):
            best = candidate
    return best


def psnr(original: np.ndarray, marked: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 frame stacks (peak 255)."""
    mse = float(np.mean((original.astype(np.float64) - marked.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)
