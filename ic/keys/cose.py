"""COSE public keys as WebAuthn authenticators produce them (RFC 9052 §7, RFC 9053 §2, §7; RFC 8230 §4).

The IC accepts a COSE key wrapped in DER (ic-interface-facts §4.3, ii-facts §2); the frontend
keeps only the parameters kty (1), alg (3), crv/n (-1), x/e (-2) and y (-3), re-encoded as
canonical CBOR, because the IC rejects keys carrying anything else. Supported algorithms:
ES256 (-7, EC2 P-256), EdDSA (-8, OKP Ed25519) and RS256 (-257, RSA).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Union

from ic import cbor
from ic.errors import CborError, KeyFormatError
from ic.keys.curves import P256, check_point

KTY, ALG, CRV_OR_N, X_OR_E, Y = 1, 3, -1, -2, -3
KEPT_PARAMETERS = (KTY, ALG, CRV_OR_N, X_OR_E, Y)

KTY_OKP, KTY_EC2, KTY_RSA = 1, 2, 3
ALG_ES256, ALG_EDDSA, ALG_RS256 = -7, -8, -257
CRV_P256, CRV_ED25519 = 1, 6

ALGORITHM_NAMES = {ALG_ES256: "ES256", ALG_EDDSA: "EdDSA", ALG_RS256: "RS256"}

MIN_RSA_BITS, MAX_RSA_BITS = 1024, 4096


@dataclass(frozen=True)
class CoseEc2Key:
    """ES256: an uncompressed P-256 point as two 32-byte coordinates."""

    x: bytes
    y: bytes
    alg: int = ALG_ES256

    def point(self) -> bytes:
        return b"\x04" + self.x + self.y

    def parameters(self) -> dict[int, Any]:
        return {KTY: KTY_EC2, ALG: self.alg, CRV_OR_N: CRV_P256, X_OR_E: self.x, Y: self.y}


@dataclass(frozen=True)
class CoseOkpKey:
    """EdDSA over Ed25519: the 32-byte public key."""

    x: bytes
    alg: int = ALG_EDDSA

    def parameters(self) -> dict[int, Any]:
        return {KTY: KTY_OKP, ALG: self.alg, CRV_OR_N: CRV_ED25519, X_OR_E: self.x}


@dataclass(frozen=True)
class CoseRsaKey:
    """RS256 (RSASSA-PKCS1-v1_5 with SHA-256): modulus and exponent, big-endian."""

    n: bytes
    e: bytes
    alg: int = ALG_RS256

    def parameters(self) -> dict[int, Any]:
        return {KTY: KTY_RSA, ALG: self.alg, CRV_OR_N: self.n, X_OR_E: self.e}


CoseKey = Union[CoseEc2Key, CoseOkpKey, CoseRsaKey]


def _field(params: dict, label: int, name: str, kind: type) -> Any:
    if label not in params:
        raise KeyFormatError(f"COSE key: parameter {label} ({name}) is missing")
    value = params[label]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise KeyFormatError(f"COSE key: parameter {label} ({name}) must be an integer, found {type(value).__name__}")
    if kind is bytes and not isinstance(value, bytes):
        raise KeyFormatError(f"COSE key: parameter {label} ({name}) must be a byte string, found {type(value).__name__}")
    return value


def _sized(value: bytes, size: int, label: int, name: str) -> bytes:
    if len(value) != size:
        raise KeyFormatError(f"COSE key: parameter {label} ({name}) must be {size} bytes, found {len(value)}")
    return value


def parse_cose_parameters(params: Any, *, strict: bool = True) -> CoseKey:
    """A typed key from a decoded COSE map; `strict` refuses parameters beyond 1, 3, -1, -2, -3."""
    if not isinstance(params, dict):
        raise KeyFormatError(f"COSE key: expected a CBOR map, found {type(params).__name__}")
    for label in params:
        if isinstance(label, bool) or not isinstance(label, int):
            raise KeyFormatError(f"COSE key: parameter labels must be integers, found {label!r}")
    kty = _field(params, KTY, "kty", int)
    alg = _field(params, ALG, "alg", int)
    if kty == KTY_EC2:
        allowed = {KTY, ALG, CRV_OR_N, X_OR_E, Y}
    elif kty == KTY_OKP or kty == KTY_RSA:
        allowed = {KTY, ALG, CRV_OR_N, X_OR_E}
    else:
        raise KeyFormatError(f"COSE key: key type (1) {kty} is not supported; expected 1 (OKP), 2 (EC2) or 3 (RSA)")
    if strict:
        extra = sorted(label for label in params if label not in allowed)
        if extra:
            raise KeyFormatError(
                f"COSE key: unexpected parameters {extra} for key type {kty}; the IC accepts only {sorted(allowed)}"
            )
    if kty == KTY_EC2:
        if alg != ALG_ES256:
            raise KeyFormatError(f"COSE key: EC2 key with algorithm {alg}; expected -7 (ES256)")
        crv = _field(params, CRV_OR_N, "crv", int)
        if crv != CRV_P256:
            raise KeyFormatError(f"COSE key: EC2 curve {crv} is not supported; expected 1 (P-256)")
        x = _sized(_field(params, X_OR_E, "x", bytes), 32, X_OR_E, "x")
        y = _sized(_field(params, Y, "y", bytes), 32, Y, "y")
        check_point(b"\x04" + x + y, P256, what="COSE EC2 key")
        return CoseEc2Key(x, y, alg)
    if kty == KTY_OKP:
        if alg != ALG_EDDSA:
            raise KeyFormatError(f"COSE key: OKP key with algorithm {alg}; expected -8 (EdDSA)")
        crv = _field(params, CRV_OR_N, "crv", int)
        if crv != CRV_ED25519:
            raise KeyFormatError(f"COSE key: OKP curve {crv} is not supported; expected 6 (Ed25519)")
        return CoseOkpKey(_sized(_field(params, X_OR_E, "x", bytes), 32, X_OR_E, "x"), alg)
    if alg != ALG_RS256:
        raise KeyFormatError(f"COSE key: RSA key with algorithm {alg}; expected -257 (RS256)")
    n = _field(params, CRV_OR_N, "n", bytes)
    e = _field(params, X_OR_E, "e", bytes)
    bits = int.from_bytes(n, "big").bit_length()
    if not MIN_RSA_BITS <= bits <= MAX_RSA_BITS:
        raise KeyFormatError(f"COSE key: RSA modulus of {bits} bits; expected {MIN_RSA_BITS} to {MAX_RSA_BITS} bits")
    exponent = int.from_bytes(e, "big")
    if len(e) > 8 or exponent < 3 or exponent % 2 == 0:
        raise KeyFormatError(f"COSE key: RSA exponent {e.hex() or 'empty'} is not an odd number of at most 8 bytes above 1")
    return CoseRsaKey(n, e, alg)


def parse_cose_key(data: bytes, *, strict: bool = True) -> CoseKey:
    """Decode COSE key bytes (one CBOR map, nothing after it) into a typed key."""
    try:
        params = cbor.decode(data)
    except CborError as exc:
        raise KeyFormatError(f"COSE key: not valid CBOR: {exc}") from None
    return parse_cose_parameters(params, strict=strict)


def encode_cose_key(key: CoseKey) -> bytes:
    """Canonical CBOR (RFC 8949 §4.2.1 / CTAP2 order) of the key's kept parameters only."""
    return cbor.encode_canonical(key.parameters())
