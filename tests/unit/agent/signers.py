"""Test signers: a software passkey that signs the way a browser's authenticator does."""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ic import cbor
from ic.agent import Assertion, WebAuthnIdentity
from ic.keys import WebAuthnPublicKey


def webauthn_identity() -> WebAuthnIdentity:
    """A P-256 passkey signing like a browser: challenge = base64url(payload), DER signature."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    cose = cbor.encode(
        {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}, self_describe=False
    )
    der = WebAuthnPublicKey(cose).to_der()

    async def get_assertion(challenge: bytes) -> Assertion:
        client_data = json.dumps(
            {
                "type": "webauthn.get",
                "challenge": base64.urlsafe_b64encode(challenge).rstrip(b"=").decode(),
                "origin": "http://localhost:4943",
            }
        ).encode()
        auth_data = hashlib.sha256(b"localhost").digest() + b"\x05" + b"\x00\x00\x00\x01"
        signature = key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return Assertion(auth_data, client_data, signature)

    return WebAuthnIdentity(der, get_assertion)
