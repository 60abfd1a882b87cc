"""Server-side signature verification for every scheme the IC accepts (ic-interface-facts §4.3-4.5, §8).

`verify_signature(key, message, signature, ctx=...)` returns None or raises: `SignatureError`
(or `WebAuthnError` for passkeys) naming the scheme and the failed check, `KeyFormatError` for a
key that cannot be read or cannot sign. `message` is the full signed payload, domain separator
included (e.g. `\\x0Aic-request` ‖ request id).

`cryptography` is imported only inside the functions that verify, so importing this module works
under Pyodide, where the browser verifies nothing but certificates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from ic.errors import KeyFormatError, SignatureError
from ic.keys.cose import CoseEc2Key, CoseKey, CoseOkpKey, CoseRsaKey
from ic.keys.public_key import (
    BlsPublicKey,
    CanisterSigPublicKey,
    EcdsaP256PublicKey,
    Ed25519PublicKey,
    PublicKey,
    Secp256k1PublicKey,
    WebAuthnPublicKey,
    parse_der,
)


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


def verify_signature(
    public_key: PublicKey | bytes,
    message: bytes,
    signature: bytes,
    *,
    ctx: VerifyContext | None = None,
) -> None:
    """Verify `signature` over `message` (the full payload) with a typed key or its DER bytes.

    Canister signatures need `ctx`; every other scheme ignores it.
    """
    key = parse_der(public_key) if isinstance(public_key, (bytes, bytearray)) else public_key
    if isinstance(key, Ed25519PublicKey):
        verify_ed25519(key.raw, message, signature)
    elif isinstance(key, EcdsaP256PublicKey):
        verify_ecdsa_raw(key.point, "P-256", message, signature)
    elif isinstance(key, Secp256k1PublicKey):
        verify_ecdsa_raw(key.point, "secp256k1", message, signature)
    elif isinstance(key, WebAuthnPublicKey):
        from ic.webauthn import verify_webauthn_signature

        verify_webauthn_signature(key, message, signature)
    elif isinstance(key, CanisterSigPublicKey):
        if ctx is None:
            raise SignatureError(
                "canister signature: cannot verify without a VerifyContext (IC root key and BLS verifier)"
            )
        from ic.canister_sig import verify_canister_signature

        verify_canister_signature(key, message, signature, ctx=ctx)
    elif isinstance(key, BlsPublicKey):
        raise KeyFormatError("BLS12-381 keys certify state; they cannot sign requests or delegations")
    else:
        raise KeyFormatError(f"not a public key: {type(key).__name__}")
