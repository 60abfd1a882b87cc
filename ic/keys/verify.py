"""The signature primitives under `ic.signatures.verify_signature` (ic-interface-facts §4.3-4.5):
Ed25519, ECDSA on P-256 and secp256k1, COSE-keyed WebAuthn signatures, and the `VerifyContext`
canister signatures need. Each returns None or raises `SignatureError` / `KeyFormatError` naming
the scheme and the failed check.

`cryptography` is imported only inside the functions that verify, so importing this module works
under Pyodide, where the browser verifies nothing but certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ic.errors import KeyFormatError, SignatureError
from ic.keys.cose import CoseEc2Key, CoseKey, CoseOkpKey, CoseRsaKey


@dataclass(frozen=True)
class VerifyContext:
    """What canister signatures need beyond the key: the IC root key and a BLS verifier.

    `bls_verify(signature, message, public_key) -> bool` is the same callable `ic.certificate`
    takes (`ic.bls.arkworks_verify` on the server). `now_ns` and `max_certificate_age_ns`, when
    both set, bound the age of the certificate inside a canister signature; the replica itself
    does not check it (ic-interface-facts §8 step 4), so both default to None.
    """

    root_key_der: bytes
    bls_verify: Callable[[bytes, bytes, bytes], bool]
    now_ns: Optional[int] = None
    max_certificate_age_ns: Optional[int] = None


def _short(data: bytes) -> str:
    text = data.hex()
    return text if len(text) <= 24 else f"{text[:24]}… ({len(data)} bytes)"


def _check_length(signature: bytes, size: int, scheme: str) -> None:
    if not isinstance(signature, (bytes, bytearray)):
        raise SignatureError(f"{scheme} signature: expected bytes, found {type(signature).__name__}")
    if len(signature) != size:
        raise SignatureError(f"{scheme} signature: expected {size} bytes, found {len(signature)}")


def verify_ed25519(raw_key: bytes, message: bytes, signature: bytes, *, scheme: str = "Ed25519") -> None:
    """Pure Ed25519 (RFC 8032 §5.1.7) over the message itself."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey as _Ed25519

    _check_length(signature, 64, scheme)
    try:
        _Ed25519.from_public_bytes(raw_key).verify(bytes(signature), message)
    except (InvalidSignature, ValueError):
        raise SignatureError(
            f"{scheme} signature does not verify: key {_short(raw_key)}, message {_short(message)}"
        ) from None


def _ecdsa_public_key(point: bytes, curve_name: str):
    from cryptography.hazmat.primitives.asymmetric import ec

    curve = ec.SECP256R1() if curve_name == "P-256" else ec.SECP256K1()
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
    except ValueError:
        raise KeyFormatError(f"ECDSA {curve_name} key: the point {_short(point)} is not a valid public key") from None


def verify_ecdsa_raw(point: bytes, curve_name: str, message: bytes, signature: bytes) -> None:
    """ECDSA with SHA-256 of the message; signature r ‖ s, 32 bytes each (IEEE P1363, WebCrypto)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    scheme = f"ECDSA {curve_name}"
    _check_length(signature, 64, scheme)
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    if r == 0 or s == 0:
        raise SignatureError(f"{scheme} signature: r and s must be non-zero")
    key = _ecdsa_public_key(point, curve_name)
    try:
        key.verify(utils.encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError(
            f"{scheme} signature does not verify: key {_short(point)}, message {_short(message)}"
        ) from None


def verify_cose_signature(key: CoseKey, message: bytes, signature: bytes) -> None:
    """A WebAuthn assertion signature with a COSE key: ES256 (DER-encoded ECDSA), EdDSA, RS256."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

    if isinstance(key, CoseOkpKey):
        verify_ed25519(key.x, message, signature, scheme="WebAuthn EdDSA")
        return
    if isinstance(key, CoseEc2Key):
        public = _ecdsa_public_key(key.point(), "P-256")
        try:
            public.verify(bytes(signature), message, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise SignatureError(
                "WebAuthn ES256 signature does not verify (expected a DER-encoded ECDSA P-256 signature "
                f"over authenticatorData ‖ SHA-256(clientDataJSON)); found {_short(bytes(signature))}"
            ) from None
        return
    if isinstance(key, CoseRsaKey):
        numbers = rsa.RSAPublicNumbers(int.from_bytes(key.e, "big"), int.from_bytes(key.n, "big"))
        try:
            public = numbers.public_key()
        except ValueError as exc:
            raise KeyFormatError(f"COSE RSA key: not a valid RSA public key: {exc}") from None
        try:
            public.verify(bytes(signature), message, padding.PKCS1v15(), hashes.SHA256())
        except InvalidSignature:
            raise SignatureError(
                "WebAuthn RS256 signature does not verify (expected RSASSA-PKCS1-v1_5 with SHA-256 "
                f"over authenticatorData ‖ SHA-256(clientDataJSON)); found {_short(bytes(signature))}"
            ) from None
        return
    raise KeyFormatError(f"COSE key: unsupported key object {type(key).__name__}")
