"""Watermark ids: a 32-bit registry id with a 16-bit check code, 48 bits in all.

The invisible picture and sound marks (:mod:`.picture_mark`, :mod:`.sound_mark`)
carry a 48-bit *payload*. A payload is ``(registry_id << 16) | crc16(registry_id)``:
a detector that decodes 48 random bits (an unmarked video, noise) produces a
payload whose check code matches with probability 2**-16 (1 in 65,536), and
the detectors add their own statistical threshold on top, so a random detection
almost never validates. The registry (P2's ``provenance.registry``) files the
payload under the clip it was minted for.

CRC-16/CCITT-FALSE (polynomial 0x1021, initial value 0xFFFF) over the four
big-endian bytes of the id: a well-known code that catches every error of up
to 3 bits in 48 and every burst up to 16 bits long.

The marks do not carry the 48 bits bare: :func:`encode` spreads them over
:data:`CODED_BITS` channel bits with the standard rate-1/2 convolutional code
(constraint length 7, generators 171/133 octal, as in 802.11 and DVB), and
:func:`decode` reads them back with a soft-decision Viterbi decoder, which
corrects the weak or wrong channel bits a heavy re-encode leaves (about 4-5 dB
of coding gain over bare bits at the same mark strength).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import numpy as np

__all__ = ["Detection", "CODED_BITS", "encode", "decode", "walsh_rows", "PAYLOAD_BITS", "ID_BITS", "CHECK_BITS", "new_mark_id", "pack", "unpack", "is_valid", "to_bits", "from_bits"]

#: Bits of the registry id.
ID_BITS = 32
#: Bits of the check code.
CHECK_BITS = 16
#: Bits a mark carries (the picture and sound marks both carry exactly this many).
PAYLOAD_BITS = ID_BITS + CHECK_BITS

#: Constraint length and generator polynomials (octal 171, 133) of the convolutional code.
_K = 7
_GENERATORS = (0o171, 0o133)
#: Channel bits a mark carries: (48 payload bits + 6 tail bits) x 2.
CODED_BITS = (PAYLOAD_BITS + _K - 1) * len(_GENERATORS)


def _crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of ``data`` (0..65535)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def pack(registry_id: int) -> int:
    """The 48-bit payload of a registry id.

    Args:
        registry_id: an integer in ``[1, 2**32)`` (0 is never minted: an
            all-zero payload is what a blank detector would read).

    Returns:
        ``(registry_id << 16) | crc16(registry_id)``.
    """
    if not 0 < registry_id < (1 << ID_BITS):
        raise ValueError(f"a registry id is an integer in [1, 2**{ID_BITS}), got {registry_id!r}")
    return (registry_id << CHECK_BITS) | _crc16(registry_id.to_bytes(4, "big"))


def unpack(payload: int) -> int:
    """The registry id inside a valid payload.

    Args:
        payload: a 48-bit payload as :func:`pack` makes it.

    Raises:
        ValueError: when the check code does not match (use :func:`is_valid` first).
    """
    if not is_valid(payload):
        raise ValueError(f"not a valid watermark payload: {payload!r}")
    return payload >> CHECK_BITS


def is_valid(payload: int | None) -> bool:
    """True when ``payload`` is a 48-bit integer whose check code matches its id (and the id is not 0)."""
    if not isinstance(payload, int) or isinstance(payload, bool) or not 0 <= payload < (1 << PAYLOAD_BITS):
        return False
    registry_id = payload >> CHECK_BITS
    return registry_id != 0 and (payload & 0xFFFF) == _crc16(registry_id.to_bytes(4, "big"))


def new_mark_id() -> int:
    """A fresh random payload (48 bits, valid check code) for a clip about to be marked.

    Random rather than sequential so that ids say nothing about how many clips
    exist; the registry refuses a duplicate (about 1 in 4 billion per pair).
    """
    return pack(secrets.randbelow((1 << ID_BITS) - 1) + 1)


def to_bits(payload: int) -> list[int]:
    """The payload as :data:`PAYLOAD_BITS` bits, most significant first (0/1)."""
    return [(payload >> (PAYLOAD_BITS - 1 - i)) & 1 for i in range(PAYLOAD_BITS)]


def from_bits(bits) -> int:
    """The integer of :data:`PAYLOAD_BITS` bits (0/1 or bool), most significant first."""
    value = 0
    for bit in bits:
        value = (value << 1) | int(bool(bit))
    return value


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


def _trellis() -> tuple[np.ndarray, np.ndarray]:
    """(next state [state, bit], expected ±1 outputs [state, bit, 2]) of the code's 64-state trellis."""
    states = 1 << (_K - 1)
    nxt = np.zeros((states, 2), np.int64)
    out = np.zeros((states, 2, len(_GENERATORS)), np.float64)
    for state in range(states):
        for bit in (0, 1):
            register = (bit << (_K - 1)) | state
            nxt[state, bit] = register >> 1
            out[state, bit] = [1.0 if _parity(register & g) else -1.0 for g in _GENERATORS]
    return nxt, out


_NEXT, _OUT = _trellis()


def encode(payload: int) -> np.ndarray:
    """The :data:`CODED_BITS` channel bits of a payload, as ±1 float32 (+1 = bit 1).

    Args:
        payload: a 48-bit payload (:func:`pack`).
    """
    state = 0
    chips: list[float] = []
    for bit in [*to_bits(payload), *([0] * (_K - 1))]:
        chips.extend(_OUT[state, bit])
        state = int(_NEXT[state, bit])
    return np.asarray(chips, np.float32)


def decode(soft: np.ndarray) -> tuple[int, float]:
    """Soft-decision Viterbi decoding of :data:`CODED_BITS` received values.

    Args:
        soft: one real value per channel bit; its sign is the bit (+ = 1), its
            size how sure the detector is (any scale).

    Returns:
        ``(payload, agreement)``: the most likely 48-bit payload (check its code
        with :func:`is_valid`) and the normalised correlation (-1..1) between
        ``soft`` and the re-encoded payload (near 1: clean; near 0.2: noise).
    """
    soft = np.asarray(soft, np.float64).reshape(-1, len(_GENERATORS))
    states = _NEXT.shape[0]
    metric = np.full(states, -np.inf)
    metric[0] = 0.0
    # The register shifts right: next state n comes from states p0 = (n % 32) * 2 and p0 + 1, with input bit n // 32.
    nxt = np.arange(states)
    bit_in = nxt >> (_K - 2)
    prev = np.stack([(nxt & (states // 2 - 1)) << 1, ((nxt & (states // 2 - 1)) << 1) | 1], axis=1)  # (states, 2)
    back = np.zeros((soft.shape[0], states), np.int64)  # the chosen previous state, per step and state
    for step, received in enumerate(soft):
        gain = _OUT @ received  # (states, 2): correlation of each branch's outputs with what was received
        options = metric[prev] + gain[prev, bit_in[:, None]]
        choice = np.argmax(options, axis=1)
        back[step] = prev[nxt, choice]
        metric = options[nxt, choice]
    state = 0  # the tail bits bring the encoder back to state 0
    bits = []
    for step in range(soft.shape[0] - 1, -1, -1):
        bits.append(state >> (_K - 2))
        state = int(back[step, state])
    bits.reverse()
    payload = from_bits(bits[:PAYLOAD_BITS])
    expected = encode(payload)
    flat = soft.ravel()
    agreement = float(flat @ expected / (np.linalg.norm(flat) * np.sqrt(flat.size) + 1e-12))
    return payload, agreement


def walsh_rows(rows: np.ndarray, n: int) -> np.ndarray:
    """Rows ``rows`` of the ``n`` x ``n`` Sylvester-Hadamard matrix, as ±1 float32 (``n`` a power of 2).

    Distinct rows are exactly orthogonal: the marks build their per-bit patterns
    from them (scrambled by a key), so one bit's pattern does not leak into another's.
    """
    if n & (n - 1) or n < 1:
        raise ValueError(f"n must be a power of 2, got {n}")
    cols = np.arange(n, dtype=np.uint64)
    parity = np.zeros((len(rows), n), np.uint8)
    for bit in range(int(n).bit_length()):
        parity ^= (((np.asarray(rows, np.uint64)[:, None] & cols[None, :]) >> np.uint64(bit)) & np.uint64(1)).astype(np.uint8)
    return (1.0 - 2.0 * parity).astype(np.float32)


@dataclass(frozen=True)
class Detection:
    """What a detector read from a clip.

    ``payload``: the 48-bit payload (:mod:`.mark_id`) when a mark was found and its
    check code is valid, else ``None``.
    ``confidence``: 0-1; how clearly the mark stood out (0 = nothing, >= 0.5 = a
    valid payload was read; 1 = unmistakable).
    ``score``: the raw statistic (sync peak in standard deviations for the picture
    mark, likewise for the sound mark) for logs and benchmarks.
    """

    payload: int | None
    confidence: float
    score: float = 0.0

    @property
    def found(self) -> bool:
        """True when a valid payload was read."""
        return self.payload is not None
