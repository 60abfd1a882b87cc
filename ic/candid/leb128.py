"""LEB128 and SLEB128 (spec `Candid.md`, "Binary Format", notation), bounded for untrusted input.

Redundant trailing groups (`80 00` for 0) are accepted, as the spec's test suite requires; what is
refused is a number longer than its field allows (`max_bytes`), or input that ends mid-number.
"""

from __future__ import annotations

from ic.leb128 import encode_signed, encode_unsigned

from .errors import CandidError, CandidLimitError

U64_BYTES = 10  # ceil(64 / 7): longest LEB128 accepted for lengths, counts, ids and indices


def encode_uleb(n: int) -> bytes:
    if n < 0:
        raise CandidError(f"cannot LEB128-encode negative number {n}")
    return encode_unsigned(n)


encode_sleb = encode_signed


def _end_of(data: bytes, pos: int, max_bytes: int, what: str) -> int:
    """Index one past the last byte of the LEB128 number starting at `pos`."""
    end = pos
    limit = min(len(data), pos + max_bytes)
    while end < limit:
        if data[end] < 0x80:
            return end + 1
        end += 1
    if end >= len(data):
        raise CandidError(f"{what} at byte {pos}: input ends inside a LEB128 number")
    raise CandidLimitError(
        f"{what} at byte {pos}: LEB128 number longer than {max_bytes} bytes")


def read_uleb(data: bytes, pos: int, max_bytes: int = U64_BYTES,
              what: str = "number") -> tuple[int, int]:
    b = data[pos] if pos < len(data) else -1
    if 0 <= b < 0x80:
        return b, pos + 1
    end = _end_of(data, pos, max_bytes, what)
    n = 0
    for i in range(end - 1, pos - 1, -1):
        n = (n << 7) | (data[i] & 0x7F)
    return n, end


def read_sleb(data: bytes, pos: int, max_bytes: int = U64_BYTES,
              what: str = "number") -> tuple[int, int]:
    b = data[pos] if pos < len(data) else -1
    if 0 <= b < 0x80:
        return (b - 0x80 if b & 0x40 else b), pos + 1
    end = _end_of(data, pos, max_bytes, what)
    n = 0
    for i in range(end - 1, pos - 1, -1):
        n = (n << 7) | (data[i] & 0x7F)
    bits = 7 * (end - pos)
    if data[end - 1] & 0x40:
        n -= 1 << bits
    return n, end
