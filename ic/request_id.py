"""Representation-independent hashing and request ids (interface spec "Representation-independent
hashing of structured data", "Request ids", "Domain separation").

    hash(blob)  = SHA-256(bytes)            hash(text) = SHA-256(UTF-8)
    hash(nat)   = SHA-256(unsigned LEB128)  hash(int)  = SHA-256(signed LEB128)   (shortest forms)
    hash(array) = SHA-256(hash(e1) ‖ hash(e2) ‖ ...)
    hash(map)   = SHA-256(concatenation of the sorted SHA-256(key) ‖ hash(value), one per field)

A map field whose value is None is absent (agent-js drops `undefined`; decoded CBOR `undefined`
and `null` become None). A `Principal` hashes as its bytes. Booleans and floats have no hash.
"""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from ic.errors import RequestIdError
from ic.leb128 import encode_signed, encode_unsigned
from ic.principal import Principal

MAX_DEPTH = 128


def domain_separator(name: str) -> bytes:
    """`len(name) ‖ name`: the prefix-free form every IC signature domain takes."""
    raw = name.encode("ascii")
    if len(raw) > 255:
        raise RequestIdError(f"domain separator {name!r}: at most 255 bytes, found {len(raw)}")
    return bytes([len(raw)]) + raw


DOMAIN_REQUEST = domain_separator("ic-request")  # b"\x0aic-request": sender_sig over a request id
DOMAIN_DELEGATION = domain_separator("ic-request-auth-delegation")  # b"\x1a...": delegation signatures
DOMAIN_RESPONSE = domain_separator("ic-response")  # b"\x0bic-response": node signatures on queries
DOMAIN_STATE_ROOT = domain_separator("ic-state-root")  # b"\x0dic-state-root": certificate signatures
DOMAIN_SENDER_INFO = domain_separator("ic-sender-info")  # b"\x0eic-sender-info"


class RequestId(bytes):
    """A 32-byte request id (the hash of a request's content map); displayed as `0x` + hex."""

    def to_text(self) -> str:
        return "0x" + self.hex()

    def __repr__(self) -> str:
        return f"RequestId({self.to_text()})"


def encode_leb128(value: int) -> bytes:
    """Shortest unsigned LEB128 (624485 -> e5 8e 26)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RequestIdError(f"LEB128: expected a natural number, found {value!r}")
    return encode_unsigned(value)


def decode_leb128(data: bytes, *, max_bytes: int = 10) -> int:
    """The natural number in `data`, which must be exactly one unsigned LEB128 of <= max_bytes bytes."""
    if not data:
        raise RequestIdError("LEB128: empty input")
    if len(data) > max_bytes:
        raise RequestIdError(f"LEB128: at most {max_bytes} bytes, found {len(data)}")
    value = 0
    for index, byte in enumerate(data):
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            if index != len(data) - 1:
                raise RequestIdError(f"LEB128: {len(data) - index - 1} byte(s) after the end at offset {index}")
            return value
    raise RequestIdError(f"LEB128: the last byte (offset {len(data) - 1}) has its continuation bit set")


def encode_sleb128(value: int) -> bytes:
    """Shortest signed LEB128 (-123456 -> c0 bb 78)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestIdError(f"SLEB128: expected an integer, found {value!r}")
    return encode_signed(value)


def hash_value(value: Any, *, where: str = "value", _depth: int = 0) -> bytes:
    """The representation-independent hash of one value."""
    if _depth > MAX_DEPTH:
        raise RequestIdError(f"hash of {where}: nested deeper than {MAX_DEPTH} levels")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _sha256(bytes(value))
    if isinstance(value, str):
        return _sha256(value.encode("utf-8"))
    if isinstance(value, bool):
        raise RequestIdError(f"hash of {where}: booleans have no representation-independent hash, found {value!r}")
    if isinstance(value, int):
        return _sha256(encode_leb128(value) if value >= 0 else encode_sleb128(value))
    if isinstance(value, Mapping):
        return hash_of_map(value, where=where, _depth=_depth + 1)
    if isinstance(value, (list, tuple)):
        return _sha256(
            b"".join(hash_value(item, where=f"{where}[{i}]", _depth=_depth + 1) for i, item in enumerate(value))
        )
    if isinstance(value, Principal):
        return _sha256(value.raw)
    raise RequestIdError(
        f"hash of {where}: unsupported type {type(value).__name__}; expected bytes, str, int, list, map or Principal"
    )


def hash_of_map(fields: Mapping[str, Any], *, where: str = "map", _depth: int = 0) -> bytes:
    """SHA-256 of the sorted `SHA-256(key) ‖ hash(value)` pairs; None values are absent fields."""
    if not isinstance(fields, Mapping):
        raise RequestIdError(f"hash of {where}: expected a map, found {type(fields).__name__}")
    pairs = []
    for key, value in fields.items():
        if not isinstance(key, str):
            raise RequestIdError(f"hash of {where}: map keys must be text, found {type(key).__name__} {key!r}")
        if value is None:
            continue
        pairs.append(_sha256(key.encode("utf-8")) + hash_value(value, where=f"{where}.{key}", _depth=_depth))
    pairs.sort()
    return _sha256(b"".join(pairs))


def request_id(content: Mapping[str, Any]) -> RequestId:
    """The request id of a request's `content` map (also the hash of a delegation map)."""
    return RequestId(hash_of_map(content, where="content"))


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
