"""Test seam for the IC HTTP interface: an in-process ASGI client and request builders.

`AsgiClient(app).post(path, body)` drives the ASGI app directly (no network), the way werkzeug's
test client does. The identities sign like the real clients: Ed25519 and ECDSA as agent-js does,
WebAuthn the way a browser's authenticator does (authenticator data, client data JSON with the
challenge, DER ECDSA signature), delegation chains as `@dfinity/identity` builds them.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import time
from dataclasses import dataclass, field
from typing import Any

REQUEST_DOMAIN = b"\x0aic-request"
DELEGATION_DOMAIN = b"\x1aic-request-auth-delegation"
ANONYMOUS = b"\x04"


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def cbor(self) -> Any:
        from ic import cbor

        return cbor.decode(self.body, max_size=10 * 1024 * 1024)


class AsgiClient:
    def __init__(self, app):
        self.app = app

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> HttpResult:
        coro = self._request(method, path, body, headers or {})
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        # Called while some other event loop runs in this thread (e.g. left by a sync Playwright
        # test): run ours in a worker thread instead.
        import concurrent.futures

        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coro).result()

    def get(self, path: str) -> HttpResult:
        return self.request("GET", path)

    def post(self, path: str, body: bytes, content_type: str = "application/cbor") -> HttpResult:
        return self.request("POST", path, body, {"content-type": content_type, "content-length": str(len(body))})

    async def _request(self, method, path, body, headers) -> HttpResult:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        }
        chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)] or [b""]
        sent: list[dict] = []

        async def receive():
            if chunks:
                chunk = chunks.pop(0)
                return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        await self.app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        out = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        hdrs = {k.decode(): v.decode() for k, v in start["headers"]}
        return HttpResult(start["status"], hdrs, out)


# -- identities ----------------------------------------------------------------------------------


def _spki(public_key) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


class Identity:
    der: bytes = b""

    @property
    def principal(self) -> bytes:
        from ic.principal import Principal

        return Principal.self_authenticating(self.der).raw

    def sign(self, message: bytes) -> bytes:
        raise NotImplementedError


class Ed25519Identity(Identity):
    def __init__(self, seed: bytes | None = None):
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        self.key = Ed25519PrivateKey.from_private_bytes(seed) if seed else Ed25519PrivateKey.generate()
        self.der = _spki(self.key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)


class EcdsaIdentity(Identity):
    """ECDSA over SHA-256, signature as r ‖ s (WebCrypto's P1363 form), P-256 or secp256k1."""

    def __init__(self, curve: str = "p256"):
        from cryptography.hazmat.primitives.asymmetric import ec

        self.curve = ec.SECP256R1() if curve == "p256" else ec.SECP256K1()
        self.key = ec.generate_private_key(self.curve)
        self.der = _spki(self.key.public_key())

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        r, s = decode_dss_signature(self.key.sign(message, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


class WebAuthnIdentity(Identity):
    """A P-256 passkey: COSE key wrapped in the IC's WebAuthn DER; signs like a browser would."""

    def __init__(self, origin: str = "http://localhost:4943", rp_id: str = "localhost"):
        from cryptography.hazmat.primitives.asymmetric import ec

        from ic import cbor

        self.key = ec.generate_private_key(ec.SECP256R1())
        numbers = self.key.public_key().public_numbers()
        cose = cbor.encode(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")},
            self_describe=False,
        )
        oid = bytes.fromhex("300c060a2b0601040183b8430101")
        bit_string = b"\x03" + _der_len(len(cose) + 1) + b"\x00" + cose
        self.der = b"\x30" + _der_len(len(oid) + len(bit_string)) + oid + bit_string
        self.origin = origin
        self.rp_id = rp_id
        self.counter = 0

    def sign(self, message: bytes) -> bytes:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec

        from ic import cbor

        self.counter += 1
        challenge = base64.urlsafe_b64encode(message).rstrip(b"=").decode()
        client_data = json.dumps(
            {"type": "webauthn.get", "challenge": challenge, "origin": self.origin, "crossOrigin": False},
            separators=(",", ":"),
        )
        auth_data = hashlib.sha256(self.rp_id.encode()).digest() + b"\x05" + self.counter.to_bytes(4, "big")
        signed = auth_data + hashlib.sha256(client_data.encode()).digest()
        der_signature = self.key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return cbor.encode({"authenticator_data": auth_data, "client_data_json": client_data, "signature": der_signature})


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


@dataclass
class DelegationIdentity(Identity):
    """Signs with `session`; carries a chain rooted at `root_der` (the sender's key)."""

    root_der: bytes
    chain: list[dict]
    session: Identity
    der: bytes = field(init=False)

    def __post_init__(self):
        self.der = self.root_der

    def sign(self, message: bytes) -> bytes:
        return self.session.sign(message)


def delegation_link(signer: Identity, pubkey: bytes, expiration: int, targets: list[bytes] | None = None, *, sign_with=None) -> dict:
    """One signed delegation from `signer` to `pubkey`, as `@dfinity/identity` builds it."""
    from ic.request_id import request_id

    delegation: dict[str, Any] = {"pubkey": pubkey, "expiration": expiration}
    if targets is not None:
        delegation["targets"] = list(targets)
    signature = (sign_with or signer).sign(DELEGATION_DOMAIN + request_id(delegation))
    return {"delegation": delegation, "signature": signature}


def chain_identity(root: Identity, keys: list[Identity], *, expiration: int | None = None, targets=None) -> DelegationIdentity:
    """root -> keys[0] -> ... -> keys[-1]; requests are signed by keys[-1]."""
    expiration = expiration if expiration is not None else time.time_ns() + 3600 * 10**9
    chain, previous = [], root
    for key in keys:
        chain.append(delegation_link(previous, key.der, expiration, targets))
        previous = key
    return DelegationIdentity(root.der, chain, keys[-1])


# -- envelopes -----------------------------------------------------------------------------------


def expiry(now_ns: int | None = None, minutes: float = 4) -> int:
    return (now_ns if now_ns is not None else time.time_ns()) + int(minutes * 60 * 10**9)


def call_content(
    canister_id: bytes, method: str, arg: bytes, sender: bytes, *, request_type="call", ingress_expiry=None, nonce=None
) -> dict:
    content = {
        "request_type": request_type,
        "sender": sender,
        "ingress_expiry": ingress_expiry if ingress_expiry is not None else expiry(),
        "canister_id": canister_id,
        "method_name": method,
        "arg": arg,
    }
    if nonce is not None:
        content["nonce"] = nonce
    return content


def read_state_content(paths: list[list[bytes]], sender: bytes, *, ingress_expiry=None) -> dict:
    return {
        "request_type": "read_state",
        "sender": sender,
        "ingress_expiry": ingress_expiry if ingress_expiry is not None else expiry(),
        "paths": paths,
    }


def envelope(content: dict, identity: Identity | None) -> dict:
    """`{content}` for anonymous, else `{content, sender_pubkey, sender_sig[, sender_delegation]}`."""
    from ic.request_id import request_id

    if identity is None:
        return {"content": content}
    env = {"content": content, "sender_pubkey": identity.der, "sender_sig": identity.sign(REQUEST_DOMAIN + request_id(content))}
    if isinstance(identity, DelegationIdentity):
        env["sender_delegation"] = identity.chain
    return env


def encode(obj: Any) -> bytes:
    from ic import cbor

    return cbor.encode(obj)


# -- replicas for tests --------------------------------------------------------------------------

_KEYS_CACHE: list = []


def shared_test_keys():
    """One generated key set per test process (BLS key generation is the slow part)."""
    from replica.certification.keys import generate_keys

    if not _KEYS_CACHE:
        _KEYS_CACHE.append(generate_keys())
    return _KEYS_CACHE[0]


class Clock:
    """A settable clock port: `clock()` returns ns; `clock.advance(seconds)`."""

    def __init__(self, now_ns: int | None = None):
        self.now_ns = now_ns if now_ns is not None else time.time_ns()

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, seconds: float) -> None:
        self.now_ns += int(seconds * 1e9)


def make_replica(tmp_path, *, clock=None, with_internet_identity: bool = False, **config):
    """A `Replica` on a temporary state dir with the shared test keys."""
    from pathlib import Path

    from replica.config import Config
    from replica.replica import Replica

    cfg = Config(db_path=Path(tmp_path) / "replica.sqlite3", **config)
    return Replica(cfg, clock=clock or time.time_ns, keys=shared_test_keys(), with_internet_identity=with_internet_identity)


# -- reading answers -----------------------------------------------------------------------------


def principal_reply(principal: bytes) -> bytes:
    """The Candid reply `(principal)`, written out by hand as a check independent of ic.candid."""
    return b"DIDL\x00\x01\x68\x01" + bytes([len(principal)]) + principal


def verified_tree(certificate: bytes, replica, *, now_ns: int | None = None):
    """Verify a certificate against the replica's root key (as agent-js would); return its tree."""
    from ic import bls
    from ic.certificate import verify_certificate

    cert = verify_certificate(
        certificate,
        root_key_der=replica.root_key,
        bls_verify=bls.arkworks_verify,
        now_ns=now_ns if now_ns is not None else replica.clock(),
    )
    return cert.tree


def lookup(tree, path: list[bytes]):
    """The leaf at `path`, or None when the tree proves it absent; raises if it is unknown."""
    from ic import hash_tree

    return hash_tree.lookup_value(tree, path)
