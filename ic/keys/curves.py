"""Point checks for the two ECDSA curves the IC accepts (SEC 2 §2.4.1 secp256k1, §2.4.2 secp256r1).

Pure Python, so keys are validated when parsed, without `cryptography`: an uncompressed point
04 ‖ x ‖ y must satisfy y² = x³ + ax + b (mod p) with x, y < p.
"""

from __future__ import annotations

from ic.errors import KeyFormatError

P256 = ("P-256", 2**256 - 2**224 + 2**192 + 2**96 - 1, -3, 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B)
SECP256K1 = ("secp256k1", 2**256 - 2**32 - 977, 0, 7)


def check_point(point: bytes, curve: tuple[str, int, int, int], *, what: str) -> bytes:
    """`point` if it is an uncompressed point on `curve`, else KeyFormatError naming `what`."""
    name, p, a, b = curve
    if len(point) != 65:
        raise KeyFormatError(f"{what}: {name} point must be 65 bytes (uncompressed), found {len(point)}")
    if point[0] != 0x04:
        raise KeyFormatError(f"{what}: {name} point must start with 0x04 (uncompressed), found 0x{point[0]:02x}")
    x = int.from_bytes(point[1:33], "big")
    y = int.from_bytes(point[33:], "big")
    if x >= p or y >= p or (y * y - (x * x * x + a * x + b)) % p != 0:
        raise KeyFormatError(f"{what}: the point is not on the {name} curve")
    return point
