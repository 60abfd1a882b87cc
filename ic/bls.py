"""BLS12-381 as the IC certifies state (interface spec "Certification", "Signatures" > BLS).

Min-sig BLS ("basic" scheme of draft-irtf-cfrg-bls-signature): signatures are 48-byte compressed
G1 points, public keys 96-byte compressed G2 points, messages hashed to G1 with the DST below.
The root key travels as DER (a fixed 37-byte SubjectPublicKeyInfo prefix + the 96-byte key).

`BlsVerify` is the port that certificate verification takes: on the server `arkworks_verify`
(py-arkworks-bls12381, imported lazily so this module loads under Pyodide), in the browser the
vendored noble bundle (`app/browser/bls.py`). `arkworks_keygen`/`arkworks_sign` are for the
replica and tests. Identity points (the point at infinity) are refused before any pairing.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Callable

from ic.errors import KeyFormatError

BlsVerify = Callable[[bytes, bytes, bytes], bool]
"""`verify(signature_48, message, public_key_96) -> bool`; never raises on malformed input."""

DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"
SIGNATURE_LENGTH = 48
PUBLIC_KEY_LENGTH = 96
# SEQUENCE { SEQUENCE { OID 1.3.6.1.4.1.44668.5.3.1.2.1, OID 1.3.6.1.4.1.44668.5.3.2.1 }, BIT STRING (96 B) }
DER_PREFIX = bytes.fromhex("308182301d060d2b0601040182dc7c0503010201060c2b0601040182dc7c05030201036100")
DER_LENGTH = len(DER_PREFIX) + PUBLIC_KEY_LENGTH  # 133
CURVE_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
_COMPRESSED_FLAG, _INFINITY_FLAG = 0x80, 0x40


def der_encode_public_key(public_key: bytes) -> bytes:
    """The 133-byte DER form of a 96-byte G2 public key."""
    if not isinstance(public_key, (bytes, bytearray)) or len(public_key) != PUBLIC_KEY_LENGTH:
        found = f"{len(public_key)} bytes" if isinstance(public_key, (bytes, bytearray)) else type(public_key).__name__
        raise KeyFormatError(f"BLS public key: expected {PUBLIC_KEY_LENGTH} bytes (compressed G2), found {found}")
    return DER_PREFIX + bytes(public_key)


def der_decode_public_key(der: bytes) -> bytes:
    """The 96-byte G2 key inside a DER BLS key; exactly the 37-byte prefix + 96 bytes (as agent-js)."""
    if not isinstance(der, (bytes, bytearray)):
        raise KeyFormatError(f"BLS DER key: expected bytes, found {type(der).__name__}")
    der = bytes(der)
    if len(der) != DER_LENGTH:
        raise KeyFormatError(f"BLS DER key: expected {DER_LENGTH} bytes, found {len(der)}")
    if not der.startswith(DER_PREFIX):
        offset = next(i for i, (a, b) in enumerate(zip(der, DER_PREFIX)) if a != b)
        raise KeyFormatError(
            f"BLS DER key: byte {offset} is 0x{der[offset]:02x}, expected 0x{DER_PREFIX[offset]:02x} "
            f"(the prefix must be {DER_PREFIX.hex()})"
        )
    return der[len(DER_PREFIX) :]


def is_identity_encoding(point: bytes) -> bool:
    """Whether a compressed point encodes the point at infinity (the infinity flag, 0x40)."""
    return bool(point) and bool(point[0] & _INFINITY_FLAG)


def arkworks_verify(signature: bytes, message: bytes, public_key: bytes) -> bool:
    """Min-sig BLS verification: e(signature, -g2) * e(H(message), public_key) == 1."""
    from py_arkworks_bls12381 import GT, G1Point, G2Point

    if len(signature) != SIGNATURE_LENGTH or len(public_key) != PUBLIC_KEY_LENGTH:
        return False
    if is_identity_encoding(signature) or is_identity_encoding(public_key):
        return False
    try:
        sig = G1Point.from_compressed_bytes(bytes(signature))
        key = G2Point.from_compressed_bytes(bytes(public_key))
    except (ValueError, TypeError):
        return False
    if sig == G1Point.identity() or key == G2Point.identity():
        return False
    hashed = G1Point.hash_to_curve(bytes(message), DST)
    return bool(GT.pairing_check([sig, hashed], [_neg_g2_generator(), key]))


_NEG_G2: list = []


def _neg_g2_generator():
    if not _NEG_G2:
        from py_arkworks_bls12381 import G2Point

        _NEG_G2.append(-G2Point())
    return _NEG_G2[0]


def keygen_secret(ikm: bytes, key_info: bytes = b"") -> int:
    """KeyGen of draft-irtf-cfrg-bls-signature (also EIP-2333's HKDF_mod_r): a scalar in [1, r)."""
    if len(ikm) < 32:
        raise KeyFormatError(f"BLS key generation: the seed must be at least 32 bytes, found {len(ikm)}")
    salt = b"BLS-SIG-KEYGEN-SALT-"
    length = 48
    secret = 0
    while secret == 0:
        salt = hashlib.sha256(salt).digest()
        prk = hmac.new(salt, ikm + b"\x00", hashlib.sha256).digest()
        okm, block, info = b"", b"", key_info + length.to_bytes(2, "big")
        for counter in range(1, -(-length // 32) + 1):
            block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
            okm += block
        secret = int.from_bytes(okm[:length], "big") % CURVE_ORDER
    return secret


def arkworks_keygen(seed: bytes) -> tuple[bytes, bytes]:
    """(secret key as 32 big-endian bytes, 96-byte compressed G2 public key) from a >= 32-byte seed."""
    from py_arkworks_bls12381 import G2Point, Scalar

    secret = keygen_secret(bytes(seed))
    public = (G2Point() * Scalar(secret)).to_compressed_bytes()
    return secret.to_bytes(32, "big"), public


def arkworks_sign(secret: bytes, message: bytes) -> bytes:
    """The 48-byte signature H(message)^secret in G1."""
    from py_arkworks_bls12381 import G1Point, Scalar

    scalar = int.from_bytes(bytes(secret), "big")
    if len(secret) != 32 or not 0 < scalar < CURVE_ORDER:
        raise KeyFormatError("BLS secret key: expected 32 big-endian bytes of a scalar in [1, r)")
    return (G1Point.hash_to_curve(bytes(message), DST) * Scalar(scalar)).to_compressed_bytes()
