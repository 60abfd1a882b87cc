"""Identities: who sends a request and how it is signed (ic-interface-facts §2, §4).

An `Identity` gives the request's `sender`, the DER key that goes into `sender_pubkey`, an async
`sign` over the full payload (domain separator included) and, for delegated identities, the
chain that goes into `sender_delegation`. Signing is async because in the browser it is WebCrypto
or a passkey prompt; the signers themselves are injected, so this module imports nothing but the
standard library and `ic`:

- `AnonymousIdentity`: sender `2vxsx-fae`, unsigned envelopes;
- `Ed25519Identity`: a 32-byte seed; signs with `cryptography` when it is installed (CPython),
  else with the pure-Python `ic.agent.ed25519` (the browser's dummy-auth identity);
- `EcdsaIdentity`: a P-256 key held elsewhere (WebCrypto, a `cryptography` key in tests) behind an
  async signer returning r ‖ s;
- `WebAuthnIdentity`: a passkey behind an async "get assertion" function;
- `DelegationIdentity`: a session identity plus a delegation chain (Internet Identity logins).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Optional, Protocol, runtime_checkable

from ic.agent import ed25519
from ic.delegation import DelegationChain
from ic.errors import AgentError
from ic.keys.public_key import EcdsaP256PublicKey, Ed25519PublicKey, WebAuthnPublicKey, parse_der
from ic.principal import Principal

AsyncSigner = Callable[[bytes], Awaitable[bytes]]
"""`await sign(payload) -> signature`; `payload` already carries its domain separator."""


@dataclass(frozen=True)
class Assertion:
    """What a WebAuthn `navigator.credentials.get` returns, as bytes."""

    authenticator_data: bytes
    client_data_json: bytes
    signature: bytes  # DER-encoded ECDSA (or raw RSA / EdDSA) as the authenticator produced it


GetAssertion = Callable[[bytes], Awaitable[Any]]
"""`await get_assertion(challenge) -> Assertion`; the challenge is the payload to sign. Any object
with `authenticator_data`, `client_data_json` and `signature` bytes will do (`app.passkeys.Assertion`)."""


@runtime_checkable
class Identity(Protocol):
    def sender(self) -> Principal: ...

    def public_key_der(self) -> Optional[bytes]: ...

    async def sign(self, message: bytes) -> bytes: ...

    def delegations(self) -> Optional[DelegationChain]: ...


class AnonymousIdentity:
    """The anonymous principal: envelopes carry only `content`."""

    def sender(self) -> Principal:
        return Principal.anonymous()

    def public_key_der(self) -> Optional[bytes]:
        return None

    async def sign(self, message: bytes) -> bytes:
        raise AgentError("the anonymous identity cannot sign")

    def delegations(self) -> Optional[DelegationChain]:
        return None

    def __repr__(self) -> str:
        return "AnonymousIdentity()"


class _SelfAuthenticating:
    """Shared by identities whose sender is the self-authenticating principal of their own key."""

    _der: bytes

    def sender(self) -> Principal:
        return Principal.self_authenticating(self._der)

    def public_key_der(self) -> Optional[bytes]:
        return self._der

    def delegations(self) -> Optional[DelegationChain]:
        return None


class Ed25519Identity(_SelfAuthenticating):
    """An Ed25519 key pair from a 32-byte seed (RFC 8032 "private key").

    `backend`: "auto" (use `cryptography` if importable, else pure Python), "pure" or "cryptography".
    """

    def __init__(self, seed: bytes, *, backend: str = "auto"):
        if not isinstance(seed, (bytes, bytearray)) or len(seed) != ed25519.SEED_LENGTH:
            raise AgentError(f"Ed25519 identity: the seed must be {ed25519.SEED_LENGTH} bytes")
        if backend not in ("auto", "pure", "cryptography"):
            raise AgentError(f"Ed25519 identity: unknown backend {backend!r} (auto, pure or cryptography)")
        self._seed = bytes(seed)
        self._signer = _cryptography_ed25519(self._seed) if backend != "pure" else None
        if self._signer is None and backend == "cryptography":
            raise AgentError("Ed25519 identity: the 'cryptography' package is not installed")
        raw = ed25519.public_key(self._seed) if self._signer is None else self._signer[1]
        self._raw_public = raw
        self._der = Ed25519PublicKey(raw).to_der()

    @classmethod
    def from_seed(cls, seed: bytes, *, backend: str = "auto") -> "Ed25519Identity":
        return cls(seed, backend=backend)

    @classmethod
    def generate(cls, *, random: Callable[[int], bytes] = os.urandom, backend: str = "auto") -> "Ed25519Identity":
        return cls(random(ed25519.SEED_LENGTH), backend=backend)

    @property
    def raw_public_key(self) -> bytes:
        return self._raw_public

    def sign_sync(self, message: bytes) -> bytes:
        if self._signer is not None:
            return self._signer[0].sign(bytes(message))
        return ed25519.sign(self._seed, message)

    async def sign(self, message: bytes) -> bytes:
        return self.sign_sync(message)

    def __repr__(self) -> str:
        return f"Ed25519Identity({self.sender().to_text()})"


def _cryptography_ed25519(seed: bytes):
    """(private key object, raw public key) with `cryptography`, or None where it is not installed."""
    try:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    except ImportError:
        return None
    key = Ed25519PrivateKey.from_private_bytes(seed)
    return key, key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class EcdsaIdentity(_SelfAuthenticating):
    """ECDSA P-256 over SHA-256; `sign(payload)` must return the 64-byte r ‖ s (WebCrypto's form).

    Browser: `EcdsaIdentity(session_key.public_key_der, session_key.sign)` with a WebCrypto key.
    """

    def __init__(self, public_key_der: bytes, sign: AsyncSigner):
        key = parse_der(bytes(public_key_der))
        if not isinstance(key, EcdsaP256PublicKey):
            raise AgentError(f"ECDSA identity: expected an ECDSA P-256 DER key, found {type(key).__name__}")
        self._der = bytes(public_key_der)
        self._sign = sign

    async def sign(self, message: bytes) -> bytes:
        signature = bytes(await self._sign(bytes(message)))
        if len(signature) != 64:
            raise AgentError(
                f"ECDSA identity: the signer returned {len(signature)} bytes; expected 64 (r ‖ s, "
                "WebCrypto's IEEE P1363 form, not DER)"
            )
        return signature

    @classmethod
    def from_cryptography_key(cls, private_key) -> "EcdsaIdentity":
        """Server side and tests: wrap a `cryptography` P-256 private key."""
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        der = private_key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)

        async def sign(message: bytes) -> bytes:
            r, s = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")

        return cls(der, sign)

    def __repr__(self) -> str:
        return f"EcdsaIdentity({self.sender().to_text()})"


class WebAuthnIdentity(_SelfAuthenticating):
    """A passkey: DER = the COSE key wrapped in OID 1.3.6.1.4.1.56387.1.1; signs via `get_assertion`."""

    def __init__(self, public_key_der: bytes, get_assertion: GetAssertion):
        key = parse_der(bytes(public_key_der))
        if not isinstance(key, WebAuthnPublicKey):
            raise AgentError(f"WebAuthn identity: expected a COSE-wrapped DER key, found {type(key).__name__}")
        self._der = bytes(public_key_der)
        self._get_assertion = get_assertion

    async def sign(self, message: bytes) -> bytes:
        from ic.webauthn import encode_webauthn_signature

        assertion = await self._get_assertion(bytes(message))
        return encode_webauthn_signature(
            assertion.authenticator_data, assertion.client_data_json, assertion.signature
        )

    def __repr__(self) -> str:
        return f"WebAuthnIdentity({self.sender().to_text()})"


class DelegationIdentity:
    """Signs with `inner` (the session key, the chain's last delegate) on behalf of `chain.public_key`.

    The sender is the self-authenticating principal of the chain's first key (with Internet
    Identity, the canister-signature user key), not of the session key.
    """

    def __init__(self, inner: Identity, chain: DelegationChain):
        if not chain.delegations:
            raise AgentError("delegation identity: the chain has no delegations")
        last = chain.delegations[-1].delegation.pubkey
        inner_der = inner.public_key_der()
        if inner_der is not None and inner_der != last:
            raise AgentError(
                "delegation identity: the chain's last delegation is to another key than the signing "
                f"identity's ({last.hex()[:24]}… vs {inner_der.hex()[:24]}…)"
            )
        self._inner = inner
        self._chain = chain

    @property
    def inner(self) -> Identity:
        return self._inner

    def sender(self) -> Principal:
        return self._chain.principal()

    def public_key_der(self) -> Optional[bytes]:
        return self._chain.public_key

    async def sign(self, message: bytes) -> bytes:
        return await self._inner.sign(message)

    def delegations(self) -> Optional[DelegationChain]:
        return self._chain

    def __repr__(self) -> str:
        return f"DelegationIdentity({self.sender().to_text()}, {len(self._chain.delegations)} link(s))"
