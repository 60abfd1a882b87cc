"""WebCrypto: the session key of a sign-in, ECDSA P-256, non-extractable.

The passkey signs one delegation to this key (one prompt per sign-in); every canister call after
that is signed with it. The private key never leaves the browser's key store, not even to Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import js

from app.browser.interop import buffer_bytes, to_js_object

ECDSA_P256 = {"name": "ECDSA", "namedCurve": "P-256"}
ECDSA_SHA256 = {"name": "ECDSA", "hash": {"name": "SHA-256"}}


@dataclass(frozen=True)
class SessionKey:
    key_pair: Any          # CryptoKeyPair; the private key is not extractable
    public_key_der: bytes  # SubjectPublicKeyInfo

    async def sign(self, message: bytes) -> bytes:
        """ECDSA over SHA-256(message); WebCrypto returns r ‖ s (64 bytes), the IC's format."""
        signature = await js.crypto.subtle.sign(to_js_object(ECDSA_SHA256), self.key_pair.privateKey,
                                                to_js_object(bytes(message)))
        return buffer_bytes(signature)


async def generate_session_key() -> SessionKey:
    pair = await js.crypto.subtle.generateKey(to_js_object(ECDSA_P256), False,
                                              to_js_object(["sign", "verify"]))
    spki = await js.crypto.subtle.exportKey("spki", pair.publicKey)
    return SessionKey(pair, buffer_bytes(spki))
