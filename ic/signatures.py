"""Signature verification for every scheme the IC accepts (ic-interface-facts §4.3-4.5, §8).

`verify_signature(key, message, signature, ctx=...)` returns None or raises: `SignatureError`
(or `WebAuthnError` for passkeys) naming the scheme and the failed check, `KeyFormatError` for a
key that cannot be read or cannot sign. `message` is the full signed payload, domain separator
included (e.g. `\\x0Aic-request` ‖ request id).

It sits above the schemes it dispatches to (`ic.keys.verify`, `ic.webauthn`, `ic.canister_sig`),
so none of them imports it back. `cryptography` is imported only inside the functions that
verify, so importing this module works under Pyodide.
"""

from __future__ import annotations

from ic.canister_sig import verify_canister_signature
from ic.errors import KeyFormatError, SignatureError
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
from ic.keys.verify import VerifyContext, verify_ecdsa_raw, verify_ed25519
from ic.webauthn import verify_webauthn_signature


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
        verify_webauthn_signature(key, message, signature)
    elif isinstance(key, CanisterSigPublicKey):
        if ctx is None:
            raise SignatureError(
                "canister signature: cannot verify without a VerifyContext (IC root key and BLS verifier)"
            )
        verify_canister_signature(key, message, signature, ctx=ctx)
    elif isinstance(key, BlsPublicKey):
        raise KeyFormatError("BLS12-381 keys certify state; they cannot sign requests or delegations")
    else:
        raise KeyFormatError(f"not a public key: {type(key).__name__}")
