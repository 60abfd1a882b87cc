"""Messages shaped exactly as the real dapp libraries send them, after Pyodide's `to_py()`.

- `@dfinity/auth-client` 3.4.3 `login()`: on `authorize-ready` it posts `{kind: "authorize-client",
  sessionPublicKey: new Uint8Array(key.getPublicKey().toDer()), maxTimeToLive (bigint, 8 h by
  default), allowPinAuthentication (undefined unless set), derivationOrigin (undefined unless set),
  ...customValues}`; `to_py()` gives a memoryview for the Uint8Array, an int for the bigint and
  None for `undefined`.
- `@icp-sdk/auth` 7.x / `@icp-sdk/signer` 5.x: `icrc29_status` polled with uuid ids, then
  `icrc34_delegation` with `{publicKey: base64(DER), maxTimeToLive: "<decimal ns>"}` (undefined
  `targets` stripped by its JSON round trip) and `icrc95DerivationOrigin` added to every request's
  params when `derivationOrigin` is configured.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from app.protocol import AuthnMethod, AuthorizationResult, IncomingMessage
from ic.delegation import Delegation, DelegationChain, SignedDelegation
from ic.keys import CanisterSigPublicKey
from ic.principal import Principal

II_ORIGIN = "http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943"
II_CANISTER = Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai")
DAPP_CANISTER = "bkyz2-fmaaa-aaaaa-qaaaq-cai"
DAPP_ORIGIN = f"http://{DAPP_CANISTER}.localhost:4943"
OTHER_CANISTER = "bd3sg-teaaa-aaaaa-qaaba-cai"
OTHER_ORIGIN = f"http://{OTHER_CANISTER}.localhost:4943"
EIGHT_HOURS_NS = 8 * 3_600 * 1_000_000_000  # AuthClient's DEFAULT_MAX_TIME_TO_LIVE
UUIDS = ("3b241101-e2bb-4255-8caf-4136c566a962", "6f1c5c6e-2d47-4a8e-9d6b-0c1f5b1e8a77",
         "a8098c1a-f86e-11da-bd1a-00112444be1e")
NOW_NS = 1_795_000_000_000_000_000


def ecdsa_session_key(seed: int = 1) -> bytes:
    """What WebCrypto `exportKey("spki")` gives for AuthClient's default ECDSA P-256 key."""
    key = ec.derive_private_key(0x5EED + seed, ec.SECP256R1())
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def ed25519_session_key(seed: int = 1) -> bytes:
    """`Ed25519KeyIdentity.getPublicKey().toDer()`: `302a300506032b6570032100` ‖ 32 bytes."""
    key = ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(bytes([seed])).digest())
    return key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def auth_client_request(session_key: bytes, **custom) -> dict:
    """`@dfinity/auth-client` 3.x's `authorize-client` request, as `to_py()` delivers it."""
    request = {
        "kind": "authorize-client",
        "sessionPublicKey": memoryview(session_key),
        "maxTimeToLive": EIGHT_HOURS_NS,
        "allowPinAuthentication": None,
        "derivationOrigin": None,
    }
    request.update(custom)
    return request


def from_dapp(data, origin: str = DAPP_ORIGIN, *, from_opener: bool = True) -> IncomingMessage:
    return IncomingMessage(data=data, origin=origin, from_opener=from_opener)


def heartbeat(rpc_id: str = UUIDS[0]) -> dict:
    return {"jsonrpc": "2.0", "id": rpc_id, "method": "icrc29_status"}


def rpc(method: str, params=None, rpc_id: str = UUIDS[1]) -> dict:
    message = {"jsonrpc": "2.0", "id": rpc_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def icrc34_request(session_key: bytes, *, rpc_id: str = UUIDS[2], ttl: str | None = str(EIGHT_HOURS_NS),
                   derivation_origin: str | None = None) -> dict:
    """`@icp-sdk/signer`'s `requestDelegation`, after its JSON clean-up transform."""
    params = {"publicKey": b64(session_key)}
    if ttl is not None:
        params["maxTimeToLive"] = ttl
    if derivation_origin is not None:
        params["icrc95DerivationOrigin"] = derivation_origin
    return rpc("icrc34_delegation", params, rpc_id)


def user_key(origin: str = DAPP_ORIGIN, anchor: int = 10_000) -> bytes:
    """A canister-signature user key as the II canister makes it (the seed's exact bytes do not
    matter to the protocol layer)."""
    seed = hashlib.sha256(f"{anchor}|{origin}".encode()).digest()
    return CanisterSigPublicKey(II_CANISTER, seed).to_der()


def chain_for(session_key: bytes, *, expiration: int = NOW_NS + EIGHT_HOURS_NS, targets=None,
              signature: bytes = b"\xd9\xd9\xf7\xa2kcertificateY\x01\x00" + bytes(64)) -> DelegationChain:
    """The one-link chain II returns: the user's canister-signature key delegates to the session key."""
    link = SignedDelegation(Delegation(session_key, expiration, targets), signature)
    return DelegationChain((link,), user_key())


def result_for(session_key: bytes, authn_method: AuthnMethod = AuthnMethod.PASSKEY, **kwargs) -> AuthorizationResult:
    return AuthorizationResult(chain_for(session_key, **kwargs), authn_method)
