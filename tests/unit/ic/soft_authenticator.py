"""A software WebAuthn authenticator for tests: produces what a browser hands to JavaScript.

`attestation_object()` is `response.attestationObject` of `navigator.credentials.create`, and
`assert_challenge()` returns `(authenticatorData, clientDataJSON, signature)` of
`navigator.credentials.get`, built byte for byte per WebAuthn Level 3 §6.1, §6.5 and §5.8.1 with
`cryptography` and cbor2 directly (independent of `ic.cbor`).
"""

from __future__ import annotations

import base64
import hashlib
import json

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

ES256, EDDSA, RS256 = -7, -8, -257
AAGUID = bytes.fromhex("adce000235bcc60a648b0b25f1f05503")  # any 16 bytes; this one looks like a real model


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class SoftAuthenticator:
    def __init__(self, alg: int, *, rp_id: str = "localhost", origin: str = "http://localhost:4943"):
        self.alg = alg
        self.rp_id = rp_id
        self.origin = origin
        self.credential_id = hashlib.sha256(f"credential {alg}".encode()).digest()
        self.sign_count = 0
        if alg == ES256:
            self.private = ec.generate_private_key(ec.SECP256R1())
        elif alg == EDDSA:
            self.private = ed25519.Ed25519PrivateKey.generate()
        elif alg == RS256:
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        else:
            raise ValueError(alg)

    def cose_parameters(self) -> dict:
        """The full COSE key, in the order authenticators commonly write it."""
        public = self.private.public_key()
        if self.alg == ES256:
            numbers = public.public_numbers()
            return {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        if self.alg == EDDSA:
            from cryptography.hazmat.primitives import serialization

            raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
            return {1: 1, 3: -8, -1: 6, -2: raw}
        numbers = public.public_numbers()
        return {1: 3, 3: -257, -1: numbers.n.to_bytes(256, "big"), -2: numbers.e.to_bytes(3, "big")}

    def authenticator_data(self, *, flags: int = 0x05, attested: bytes = b"", extensions: bytes = b"") -> bytes:
        self.sign_count += 1
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested + extensions

    def attestation_object(
        self, *, cose: bytes | None = None, extensions: dict | None = None, fmt: str = "none"
    ) -> bytes:
        cose = cose if cose is not None else cbor2.dumps(self.cose_parameters())
        attested = AAGUID + len(self.credential_id).to_bytes(2, "big") + self.credential_id + cose
        flags = 0x45 | (0x80 if extensions is not None else 0)
        ext = cbor2.dumps(extensions) if extensions is not None else b""
        auth_data = self.authenticator_data(flags=flags, attested=attested, extensions=ext)
        return cbor2.dumps({"fmt": fmt, "attStmt": {}, "authData": auth_data})

    def client_data_json(self, challenge: bytes, *, kind: str = "webauthn.get", origin: str | None = None) -> bytes:
        body = {"type": kind, "challenge": b64url(challenge), "origin": origin or self.origin, "crossOrigin": False}
        return json.dumps(body, separators=(",", ":")).encode()

    def sign_raw(self, data: bytes) -> bytes:
        if self.alg == ES256:
            return self.private.sign(data, ec.ECDSA(hashes.SHA256()))
        if self.alg == EDDSA:
            return self.private.sign(data)
        return self.private.sign(data, padding.PKCS1v15(), hashes.SHA256())

    def assert_challenge(
        self, challenge: bytes, *, kind: str = "webauthn.get", client_data: bytes | None = None
    ) -> tuple[bytes, bytes, bytes]:
        auth_data = self.authenticator_data()
        client_data = client_data if client_data is not None else self.client_data_json(challenge, kind=kind)
        return auth_data, client_data, self.sign_raw(auth_data + hashlib.sha256(client_data).digest())
