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
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

__all__ = ["Detection", "PAYLOAD_BITS", "ID_BITS", "CHECK_BITS", "new_mark_id", "pack", "unpack", "is_valid", "to_bits", "from_bits"]

#: Bits of the registry id.
ID_BITS = 32
#: Bits of the check code.
CHECK_BITS = 16
#: Bits a mark carries (the picture and sound marks both carry exactly this many).
PAYLOAD_BITS = ID_BITS + CHECK_BITS


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
