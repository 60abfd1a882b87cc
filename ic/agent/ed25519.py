"""Ed25519 in pure Python (RFC 8032 §5.1: key generation, signing, verification).

For the browser, where `cryptography` is absent: II's dummy-auth identity is an Ed25519 key (seed
32 x 0x00), and query responses carry Ed25519 node signatures. Only `hashlib` and integers are
used. Signing is deterministic, so a secret seed never depends on a random source here; the code
is not constant-time, which is acceptable for test keys and for verification (public data), and
is why CPython tools prefer `cryptography` when it is installed (see `ic.agent.identity`).

Points are kept in extended homogeneous coordinates (X, Y, Z, T) with x = X/Z, y = Y/Z, x*y = T/Z
(RFC 8032 §5.1.4).
"""

from __future__ import annotations

import hashlib

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # order of the base point
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

SEED_LENGTH = 32
PUBLIC_KEY_LENGTH = 32
SIGNATURE_LENGTH = 64

Point = tuple[int, int, int, int]


def _recover_x(y: int, sign: int) -> int | None:
    """The x coordinate of the point with this y and x parity (RFC 8032 §5.1.3), or None."""
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P:
        return None
    if x & 1 != sign:
        x = P - x
    return x


_GY = 4 * pow(5, P - 2, P) % P
_GX = _recover_x(_GY, 0)
assert _GX is not None
BASE: Point = (_GX, _GY, 1, _GX * _GY % P)
IDENTITY: Point = (0, 1, 1, 0)


def _add(a: Point, b: Point) -> Point:
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _double(a: Point) -> Point:
    x1, y1, z1, _ = a
    aa = x1 * x1 % P
    bb = y1 * y1 % P
    cc = 2 * z1 * z1 % P
    h = aa + bb
    e = h - (x1 + y1) * (x1 + y1)
    g = aa - bb
    f = cc + g
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar: int, point: Point) -> Point:
    result = IDENTITY
    addend = point
    while scalar:
        if scalar & 1:
            result = _add(result, addend)
        addend = _double(addend)
        scalar >>= 1
    return result


def _equal(a: Point, b: Point) -> bool:
    x1, y1, z1, _ = a
    x2, y2, z2, _ = b
    return (x1 * z2 - x2 * z1) % P == 0 and (y1 * z2 - y2 * z1) % P == 0


def _compress(point: Point) -> bytes:
    x, y, z, _ = point
    zinv = pow(z, P - 2, P)
    x, y = x * zinv % P, y * zinv % P
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


def _decompress(data: bytes) -> Point | None:
    if len(data) != 32:
        return None
    value = int.from_bytes(data, "little")
    y = value & ((1 << 255) - 1)
    x = _recover_x(y, value >> 255)
    if x is None:
        return None
    return (x, y, 1, x * y % P)


def _sha512_int(*parts: bytes) -> int:
    return int.from_bytes(hashlib.sha512(b"".join(parts)).digest(), "little")


def _expand_seed(seed: bytes) -> tuple[int, bytes]:
    """(clamped secret scalar, prefix) from the 32-byte seed (RFC 8032 §5.1.5)."""
    if not isinstance(seed, (bytes, bytearray)) or len(seed) != SEED_LENGTH:
        found = f"{len(seed)} bytes" if isinstance(seed, (bytes, bytearray)) else type(seed).__name__
        raise ValueError(f"Ed25519 seed: expected {SEED_LENGTH} bytes, found {found}")
    digest = hashlib.sha512(bytes(seed)).digest()
    scalar = int.from_bytes(digest[:32], "little")
    scalar &= (1 << 254) - 8
    scalar |= 1 << 254
    return scalar, digest[32:]


def public_key(seed: bytes) -> bytes:
    """The 32-byte public key of a 32-byte seed (the "private key" of RFC 8032)."""
    scalar, _ = _expand_seed(seed)
    return _compress(_multiply(scalar, BASE))


def sign(seed: bytes, message: bytes) -> bytes:
    """The 64-byte signature R ‖ S of `message` (RFC 8032 §5.1.6)."""
    scalar, prefix = _expand_seed(seed)
    public = _compress(_multiply(scalar, BASE))
    message = bytes(message)
    r = _sha512_int(prefix, message) % L
    encoded_r = _compress(_multiply(r, BASE))
    k = _sha512_int(encoded_r, public, message) % L
    s = (r + k * scalar) % L
    return encoded_r + s.to_bytes(32, "little")


def verify(public: bytes, message: bytes, signature: bytes) -> bool:
    """Whether `signature` is a valid signature of `message` under `public` (RFC 8032 §5.1.7).

    Uses the cofactorless equation [S]B = R + [k]A, as `cryptography`/OpenSSL and the IC do.
    Never raises on malformed input.
    """
    if not isinstance(public, (bytes, bytearray)) or not isinstance(signature, (bytes, bytearray)):
        return False
    if len(public) != PUBLIC_KEY_LENGTH or len(signature) != SIGNATURE_LENGTH:
        return False
    point_a = _decompress(bytes(public))
    point_r = _decompress(bytes(signature[:32]))
    if point_a is None or point_r is None:
        return False
    s = int.from_bytes(signature[32:], "little")
    if s >= L:
        return False
    k = _sha512_int(bytes(signature[:32]), bytes(public), bytes(message)) % L
    return _equal(_multiply(s, BASE), _add(point_r, _multiply(k, point_a)))
