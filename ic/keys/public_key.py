"""Typed public keys of every scheme the IC knows, and their DER forms (ic-interface-facts §4.3, §8).

`parse_der(der)` reads a SubjectPublicKeyInfo once and returns one of the frozen dataclasses
below; each has `to_der()` (the exact bytes the IC expects) and `principal()` (the
self-authenticating principal, SHA-224(DER) ‖ 0x02, interface spec "Principals"). Parsing needs no
`cryptography`: EC points are checked against their curve equation in pure Python.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import ClassVar, Union

from ic.errors import KeyFormatError
from ic.keys import der
from ic.keys.cose import CoseKey, parse_cose_key
from ic.keys.curves import P256, SECP256K1, check_point
from ic.principal import Principal

OID_ED25519 = "1.3.101.112"
OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_P256 = "1.2.840.10045.3.1.7"
OID_SECP256K1 = "1.3.132.0.10"
OID_RSA = "1.2.840.113549.1.1.1"
OID_WEBAUTHN_COSE = "1.3.6.1.4.1.56387.1.1"
OID_CANISTER_SIG = "1.3.6.1.4.1.56387.1.2"
OID_BLS_ALGORITHM = "1.3.6.1.4.1.44668.5.3.1.2.1"
OID_BLS_CURVE = "1.3.6.1.4.1.44668.5.3.2.1"

MAX_PRINCIPAL_BYTES = 29


class _Key(abc.ABC):
    """Behaviour every key type shares; subclasses are frozen dataclasses."""

    scheme: ClassVar[str]

    @abc.abstractmethod
    def to_der(self) -> bytes:
        """The DER SubjectPublicKeyInfo the IC expects for this key."""

    def principal(self) -> Principal:
        """The self-authenticating principal of this key."""
        return Principal.self_authenticating(self.to_der())


@dataclass(frozen=True)
class Ed25519PublicKey(_Key):
    """RFC 8410 Ed25519 key: 32 bytes."""

    raw: bytes
    scheme: ClassVar[str] = "ed25519"

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != 32:
            raise KeyFormatError(f"Ed25519 key: expected 32 bytes, found {_describe(self.raw)}")

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_ED25519), self.raw)


@dataclass(frozen=True)
class EcdsaP256PublicKey(_Key):
    """ECDSA on P-256 (prime256v1): the uncompressed point 04 ‖ x ‖ y."""

    point: bytes
    scheme: ClassVar[str] = "ecdsa-p256"

    def __post_init__(self) -> None:
        check_point(_as_bytes(self.point, "ECDSA P-256 key"), P256, what="ECDSA P-256 key")

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_EC_PUBLIC_KEY, OID_P256), self.point)


@dataclass(frozen=True)
class Secp256k1PublicKey(_Key):
    """ECDSA on secp256k1: the uncompressed point 04 ‖ x ‖ y."""

    point: bytes
    scheme: ClassVar[str] = "ecdsa-secp256k1"

    def __post_init__(self) -> None:
        check_point(_as_bytes(self.point, "secp256k1 key"), SECP256K1, what="secp256k1 key")

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_EC_PUBLIC_KEY, OID_SECP256K1), self.point)


@dataclass(frozen=True)
class WebAuthnPublicKey(_Key):
    """A passkey: the COSE key bytes exactly as registered, wrapped in OID 1.3.6.1.4.1.56387.1.1."""

    cose_bytes: bytes
    cose: CoseKey = field(init=False, repr=False, compare=False)
    scheme: ClassVar[str] = "webauthn"

    def __post_init__(self) -> None:
        object.__setattr__(self, "cose", parse_cose_key(_as_bytes(self.cose_bytes, "WebAuthn key")))

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_WEBAUTHN_COSE), self.cose_bytes)


@dataclass(frozen=True)
class CanisterSigPublicKey(_Key):
    """Canister-signature key (interface spec "Canister signatures"): signing canister + seed."""

    canister_id: Principal
    seed: bytes
    scheme: ClassVar[str] = "canister-signature"

    def __post_init__(self) -> None:
        if not isinstance(self.canister_id, Principal):
            raise KeyFormatError(f"canister-signature key: canister_id must be a Principal, found {_describe(self.canister_id)}")
        _as_bytes(self.seed, "canister-signature key seed")

    def raw(self) -> bytes:
        """The BIT STRING content: len(canister_id) ‖ canister_id ‖ seed."""
        cid = self.canister_id.raw
        return bytes([len(cid)]) + cid + self.seed

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_CANISTER_SIG), self.raw())

    @classmethod
    def from_raw(cls, raw: bytes) -> CanisterSigPublicKey:
        if not raw:
            raise KeyFormatError("canister-signature key: empty key bytes; expected len(canister_id) ‖ canister_id ‖ seed")
        size = raw[0]
        if size > MAX_PRINCIPAL_BYTES:
            raise KeyFormatError(
                f"canister-signature key: canister id length byte is {size}, at most {MAX_PRINCIPAL_BYTES}"
            )
        if len(raw) < 1 + size:
            raise KeyFormatError(
                f"canister-signature key: canister id of {size} bytes declared, only {len(raw) - 1} present"
            )
        return cls(Principal.from_bytes(raw[1 : 1 + size]), raw[1 + size :])


@dataclass(frozen=True)
class BlsPublicKey(_Key):
    """BLS12-381 min-sig public key: a 96-byte compressed G2 point (IC root and subnet keys)."""

    raw: bytes
    scheme: ClassVar[str] = "bls12381-g2"

    def __post_init__(self) -> None:
        if not isinstance(self.raw, bytes) or len(self.raw) != 96:
            raise KeyFormatError(f"BLS12-381 key: expected 96 bytes (compressed G2), found {_describe(self.raw)}")
        flags = self.raw[0]
        if not flags & 0x80:
            raise KeyFormatError("BLS12-381 key: the compression flag (0x80 of the first byte) is not set")
        if flags & 0x40:
            raise KeyFormatError("BLS12-381 key: the point at infinity is not a valid public key")

    def to_der(self) -> bytes:
        return der.encode_spki(der.encode_algorithm(OID_BLS_ALGORITHM, OID_BLS_CURVE), self.raw)


PublicKey = Union[
    Ed25519PublicKey, EcdsaP256PublicKey, Secp256k1PublicKey, WebAuthnPublicKey, CanisterSigPublicKey, BlsPublicKey
]


def _describe(value: object) -> str:
    if isinstance(value, (bytes, bytearray)):
        return f"{len(value)} bytes"
    return type(value).__name__


def _as_bytes(value: object, what: str) -> bytes:
    if not isinstance(value, bytes):
        raise KeyFormatError(f"{what}: expected bytes, found {_describe(value)}")
    return value


def parse_der(data: bytes) -> PublicKey:
    """Read a DER SubjectPublicKeyInfo into a typed key (ic-interface-facts §4.3).

    The whole input must be exactly one SEQUENCE { AlgorithmIdentifier, BIT STRING }.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise KeyFormatError(f"DER public key: expected bytes, found {type(data).__name__}")
    data = bytes(data)
    spki = der.expect(der.read_single(data, what="SubjectPublicKeyInfo"), der.TAG_SEQUENCE, what="SubjectPublicKeyInfo")
    parts = der.read_children(spki, what="SubjectPublicKeyInfo")
    if len(parts) != 2:
        raise KeyFormatError(
            f"DER: SubjectPublicKeyInfo: expected 2 items (AlgorithmIdentifier, BIT STRING), found {len(parts)}"
        )
    algorithm = der.expect(parts[0], der.TAG_SEQUENCE, what="AlgorithmIdentifier")
    key = der.read_bit_string(parts[1], what="subjectPublicKey")
    ids = der.read_children(algorithm, what="AlgorithmIdentifier")
    if not ids or len(ids) > 2:
        raise KeyFormatError(
            f"DER: AlgorithmIdentifier at offset {algorithm.offset}: expected 1 or 2 items, found {len(ids)}"
        )
    oid = der.decode_oid(ids[0], what="algorithm")
    parameter = ids[1] if len(ids) == 2 else None

    def no_parameter() -> None:
        if parameter is not None:
            raise KeyFormatError(
                f"DER: AlgorithmIdentifier at offset {algorithm.offset}: algorithm {oid} takes no parameters, "
                f"found {der.TAG_NAMES.get(parameter.tag, hex(parameter.tag))}"
            )

    def curve() -> str:
        if parameter is None:
            raise KeyFormatError(f"DER: algorithm {oid} at offset {algorithm.offset}: the curve parameter is missing")
        return der.decode_oid(parameter, what="curve parameter")

    if oid == OID_ED25519:
        no_parameter()
        return Ed25519PublicKey(key)
    if oid == OID_EC_PUBLIC_KEY:
        named = curve()
        if named == OID_P256:
            return EcdsaP256PublicKey(key)
        if named == OID_SECP256K1:
            return Secp256k1PublicKey(key)
        raise KeyFormatError(
            f"DER: EC curve {named} is not supported; expected {OID_P256} (P-256) or {OID_SECP256K1} (secp256k1)"
        )
    if oid == OID_WEBAUTHN_COSE:
        no_parameter()
        return WebAuthnPublicKey(key)
    if oid == OID_CANISTER_SIG:
        no_parameter()
        return CanisterSigPublicKey.from_raw(key)
    if oid == OID_BLS_ALGORITHM:
        named = curve()
        if named != OID_BLS_CURVE:
            raise KeyFormatError(f"DER: BLS curve {named} is not supported; expected {OID_BLS_CURVE} (BLS12-381 G2)")
        return BlsPublicKey(key)
    if oid == OID_RSA:
        raise KeyFormatError("DER: RSA public keys are not allowed except inside a WebAuthn COSE key")
    raise KeyFormatError(
        f"DER: algorithm {oid} is not supported; expected Ed25519, ECDSA (P-256, secp256k1), "
        "WebAuthn COSE, canister signature or BLS12-381"
    )
