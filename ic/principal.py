"""Principals (interface spec "Principals": special forms, textual representation).

A principal is a blob of 0..29 bytes; its last byte names its class: 0x01 opaque (canister ids:
8-byte big-endian index ‖ 01 01), 0x02 self-authenticating (SHA-224 of a DER public key),
0x03 derived, 0x04 anonymous (exactly one byte), 0x7f reserved; the empty blob is the
management canister. The text form is `crc32_be(b) ‖ b`, base32 (RFC 4648, lowercase, no
padding), in dash-separated groups of 5 characters, at most 63 characters.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass

from ic.errors import PrincipalError

MAX_LENGTH = 29
MAX_TEXT_LENGTH = 63
CLASS_OPAQUE = 0x01
CLASS_SELF_AUTHENTICATING = 0x02
CLASS_DERIVED = 0x03
CLASS_ANONYMOUS = 0x04
CLASS_RESERVED = 0x7F
_BASE32_ALPHABET = frozenset("abcdefghijklmnopqrstuvwxyz234567")


@dataclass(frozen=True, order=True)
class Principal:
    """An IC principal; compares, sorts and hashes by its raw bytes."""

    raw: bytes

    def __post_init__(self) -> None:
        raw = self.raw
        if isinstance(raw, (bytearray, memoryview)):
            raw = bytes(raw)
            object.__setattr__(self, "raw", raw)
        if not isinstance(raw, bytes):
            raise PrincipalError(f"principal: expected bytes, found {type(raw).__name__}")
        if len(raw) > MAX_LENGTH:
            raise PrincipalError(f"principal: at most {MAX_LENGTH} bytes, found {len(raw)} ({raw.hex()})")

    # -- constructors ------------------------------------------------------------------------

    @classmethod
    def from_bytes(cls, raw: bytes | bytearray | memoryview) -> "Principal":
        return cls(bytes(raw) if isinstance(raw, (bytearray, memoryview)) else raw)

    @classmethod
    def from_hex(cls, text: str) -> "Principal":
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise PrincipalError(f"principal: {text!r} is not hexadecimal") from None

    @classmethod
    def from_text(cls, text: str) -> "Principal":
        """Parse the textual form (case-insensitive); the checksum and grouping must be exact."""
        return cls(parse_principal_text(text))

    @classmethod
    def management(cls) -> "Principal":
        """The management canister `aaaaa-aa` (the empty blob)."""
        return cls(b"")

    @classmethod
    def anonymous(cls) -> "Principal":
        """The anonymous principal `2vxsx-fae` (the single byte 0x04)."""
        return cls(bytes([CLASS_ANONYMOUS]))

    @classmethod
    def self_authenticating(cls, der_public_key: bytes) -> "Principal":
        """SHA-224(DER public key) ‖ 0x02."""
        if not isinstance(der_public_key, (bytes, bytearray, memoryview)):
            raise PrincipalError(f"self-authenticating principal: expected DER bytes, found {type(der_public_key).__name__}")
        return cls(hashlib.sha224(bytes(der_public_key)).digest() + bytes([CLASS_SELF_AUTHENTICATING]))

    @classmethod
    def derived(cls, registerer: "Principal", nonce: bytes) -> "Principal":
        """SHA-224(len(registerer) ‖ registerer ‖ nonce) ‖ 0x03."""
        raw = registerer.raw
        return cls(hashlib.sha224(bytes([len(raw)]) + raw + bytes(nonce)).digest() + bytes([CLASS_DERIVED]))

    @classmethod
    def from_canister_index(cls, index: int) -> "Principal":
        """The canister id with this index: 8-byte big-endian index ‖ 01 01."""
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < 2**64:
            raise PrincipalError(f"canister index: expected an integer in [0, 2**64), found {index!r}")
        return cls(index.to_bytes(8, "big") + b"\x01\x01")

    # -- views ----------------------------------------------------------------------------------

    def to_text(self) -> str:
        return encode_principal_text(self.raw)

    def to_hex(self) -> str:
        return self.raw.hex()

    def canister_index(self) -> int:
        """The index of a canister id of the standard form (inverse of `from_canister_index`)."""
        if len(self.raw) != 10 or self.raw[8:] != b"\x01\x01":
            raise PrincipalError(
                f"principal {self.to_text()}: not a canister id of the form <8-byte index> 01 01 "
                f"(found {len(self.raw)} bytes {self.raw.hex()})"
            )
        return int.from_bytes(self.raw[:8], "big")

    def __bytes__(self) -> bytes:
        return self.raw

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"Principal({self.to_text()!r})"

    # -- classes (interface spec "Special forms of principals") --------------------------------

    def is_management(self) -> bool:
        return self.raw == b""

    def is_anonymous(self) -> bool:
        return self.raw == bytes([CLASS_ANONYMOUS])

    def is_self_authenticating(self) -> bool:
        return len(self.raw) == MAX_LENGTH and self.raw[-1] == CLASS_SELF_AUTHENTICATING

    def is_derived(self) -> bool:
        return len(self.raw) == MAX_LENGTH and self.raw[-1] == CLASS_DERIVED

    def is_opaque(self) -> bool:
        return self.raw[-1:] == bytes([CLASS_OPAQUE])

    def is_reserved(self) -> bool:
        return self.raw[-1:] == bytes([CLASS_RESERVED])


def encode_principal_text(raw: bytes) -> str:
    """The textual form of principal bytes."""
    checksum = zlib.crc32(raw).to_bytes(4, "big")
    chars = base64.b32encode(checksum + raw).decode("ascii").rstrip("=").lower()
    return "-".join(chars[i : i + 5] for i in range(0, len(chars), 5))


def parse_principal_text(text: str) -> bytes:
    """The bytes of a textual principal; PrincipalError names the exact defect."""
    if not isinstance(text, str):
        raise PrincipalError(f"principal text: expected str, found {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise PrincipalError(f"principal text: at most {MAX_TEXT_LENGTH} characters, found {len(text)}")
    if not text:
        raise PrincipalError("principal text: empty string (the management canister is 'aaaaa-aa')")
    lowered = text.lower()
    for i, ch in enumerate(lowered):
        if ch != "-" and ch not in _BASE32_ALPHABET:
            raise PrincipalError(
                f"principal text {text!r}: character {text[i]!r} at position {i} is not allowed "
                f"(expected a-z, 2-7 or '-')"
            )
    groups = lowered.split("-")
    for index, group in enumerate(groups):
        last = index == len(groups) - 1
        if len(group) != 5 and not (last and 1 <= len(group) <= 5):
            start = sum(len(g) + 1 for g in groups[:index])
            raise PrincipalError(
                f"principal text {text!r}: group {index + 1} at position {start} has {len(group)} "
                f"characters, expected {'1 to 5' if last else 5} (dashes every 5 characters)"
            )
    chars = "".join(groups)
    if len(chars) % 8 in (1, 3, 6):
        raise PrincipalError(f"principal text {text!r}: {len(chars)} base32 characters is not a valid length")
    padded = chars.upper() + "=" * (-len(chars) % 8)
    try:
        decoded = base64.b32decode(padded)
    except ValueError as exc:  # binascii.Error
        raise PrincipalError(f"principal text {text!r}: not valid base32 ({exc})") from None
    if len(decoded) < 4:
        raise PrincipalError(f"principal text {text!r}: too short for the 4-byte checksum")
    checksum, raw = decoded[:4], decoded[4:]
    if len(raw) > MAX_LENGTH:
        raise PrincipalError(f"principal text {text!r}: {len(raw)} bytes, at most {MAX_LENGTH} allowed")
    expected = zlib.crc32(raw).to_bytes(4, "big")
    if checksum != expected:
        raise PrincipalError(
            f"principal text {text!r}: bad checksum: expected {expected.hex()} (CRC-32 of {raw.hex() or 'empty'}), "
            f"found {checksum.hex()}"
        )
    canonical = encode_principal_text(raw)
    if canonical != lowered:
        raise PrincipalError(f"principal text {text!r}: not in canonical form; expected {canonical!r}")
    return raw
