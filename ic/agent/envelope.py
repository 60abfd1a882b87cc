"""Request contents and authentication envelopes (ic-interface-facts §2, §3, §4.6, §9 "Ingress expiry").

    content = call_content(...) | query_content(...) | read_state_content(...)
    signed = await sign_request(identity, content)      # SignedRequest(envelope, request_id)
    body = signed.envelope.to_cbor()                    # tag 55799 CBOR, ready to POST

The envelope is `{content}` for the anonymous identity, `{content, sender_pubkey, sender_sig}` for
a key, plus `sender_delegation` for a delegation chain; `sender_sig` signs
`\\x0Aic-request ‖ request_id(content)`. Expiries are computed like agent-js 3.x: now + 5 minutes,
rounded down to the whole minute (to the second for deltas under 90 s), in nanoseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Optional, Sequence

from ic import cbor
from ic.agent.identity import Identity
from ic.delegation import encode_sender_delegation
from ic.errors import AgentError
from ic.principal import Principal
from ic.request_id import DOMAIN_REQUEST, RequestId, request_id

DEFAULT_INGRESS_EXPIRY_MS = 5 * 60 * 1000
_ROUND_TO_MINUTES_THRESHOLD_MS = 90 * 1000
NONCE_LENGTH = 16
MAX_NONCE_LENGTH = 32


def ingress_expiry(now_ns: int, delta_ms: int = DEFAULT_INGRESS_EXPIRY_MS) -> int:
    """`now + delta`, rounded down to the minute (delta ≥ 90 s) or the second, in ns."""
    target_ms = now_ns // 1_000_000 + delta_ms
    unit_ms = 60_000 if delta_ms >= _ROUND_TO_MINUTES_THRESHOLD_MS else 1_000
    return target_ms // unit_ms * unit_ms * 1_000_000


@dataclass(frozen=True)
class CallContent:
    """`call` and `query` contents: same fields, different `request_type`."""

    request_type: str
    sender: Principal
    ingress_expiry: int
    canister_id: Principal
    method_name: str
    arg: bytes
    nonce: Optional[bytes] = None

    def __post_init__(self) -> None:
        if self.request_type not in ("call", "query"):
            raise AgentError(f"request content: request_type must be 'call' or 'query', found {self.request_type!r}")
        if self.nonce is not None and len(self.nonce) > MAX_NONCE_LENGTH:
            raise AgentError(f"request content: the nonce is {len(self.nonce)} bytes, at most {MAX_NONCE_LENGTH}")

    def to_map(self) -> dict[str, Any]:
        content: dict[str, Any] = {
            "request_type": self.request_type,
            "sender": self.sender.raw,
            "ingress_expiry": self.ingress_expiry,
            "canister_id": self.canister_id.raw,
            "method_name": self.method_name,
            "arg": bytes(self.arg),
        }
        if self.nonce is not None:
            content["nonce"] = bytes(self.nonce)
        return content


@dataclass(frozen=True)
class ReadStateContent:
    sender: Principal
    ingress_expiry: int
    paths: tuple[tuple[bytes, ...], ...]

    request_type = "read_state"

    def to_map(self) -> dict[str, Any]:
        return {
            "request_type": "read_state",
            "sender": self.sender.raw,
            "ingress_expiry": self.ingress_expiry,
            "paths": [list(path) for path in self.paths],
        }


Content = CallContent | ReadStateContent


def call_content(
    sender: Principal, canister_id: Principal, method_name: str, arg: bytes, *, expiry_ns: int, nonce: Optional[bytes]
) -> CallContent:
    return CallContent("call", sender, expiry_ns, canister_id, method_name, bytes(arg), nonce)


def query_content(
    sender: Principal,
    canister_id: Principal,
    method_name: str,
    arg: bytes,
    *,
    expiry_ns: int,
    nonce: Optional[bytes] = None,
) -> CallContent:
    return CallContent("query", sender, expiry_ns, canister_id, method_name, bytes(arg), nonce)


def read_state_content(sender: Principal, paths: Iterable[Sequence[bytes | str]], *, expiry_ns: int) -> ReadStateContent:
    """Labels may be given as bytes or as text (encoded as UTF-8)."""
    return ReadStateContent(sender, expiry_ns, tuple(tuple(_label(label) for label in path) for path in paths))


def _label(label: bytes | str | Principal) -> bytes:
    if isinstance(label, Principal):
        return label.raw
    if isinstance(label, str):
        return label.encode("utf-8")
    if isinstance(label, (bytes, bytearray, memoryview)):
        return bytes(label)
    raise AgentError(f"read_state path label: expected bytes or str, found {type(label).__name__}")


@dataclass(frozen=True)
class Envelope:
    content: dict[str, Any]
    sender_pubkey: Optional[bytes] = None
    sender_sig: Optional[bytes] = None
    sender_delegation: Optional[list[dict[str, Any]]] = None

    def to_map(self) -> dict[str, Any]:
        envelope: dict[str, Any] = {"content": self.content}
        if self.sender_pubkey is not None:
            envelope["sender_pubkey"] = self.sender_pubkey
        if self.sender_delegation is not None:
            envelope["sender_delegation"] = self.sender_delegation
        if self.sender_sig is not None:
            envelope["sender_sig"] = self.sender_sig
        return envelope

    def to_cbor(self) -> bytes:
        return cbor.encode(self.to_map())


@dataclass(frozen=True)
class SignedRequest:
    envelope: Envelope
    request_id: RequestId

    def to_cbor(self) -> bytes:
        return self.envelope.to_cbor()


def signing_payload(rid: bytes) -> bytes:
    """What `sender_sig` signs: `\\x0Aic-request ‖ request_id`."""
    return DOMAIN_REQUEST + bytes(rid)


async def sign_request(identity: Identity, content: Content) -> SignedRequest:
    """The envelope of `content` for `identity`; the content's sender must be the identity's."""
    if content.sender != identity.sender():
        raise AgentError(
            f"request content: sender {content.sender.to_text()} is not the identity's principal "
            f"{identity.sender().to_text()}"
        )
    content_map = content.to_map()
    rid = request_id(content_map)
    if content.sender.is_anonymous():
        return SignedRequest(Envelope(content_map), rid)
    public_key = identity.public_key_der()
    if public_key is None:
        raise AgentError(f"identity {identity!r} has no public key but sends as {content.sender.to_text()}")
    signature = bytes(await identity.sign(signing_payload(rid)))
    chain = identity.delegations()
    delegation = encode_sender_delegation(chain.delegations) if chain is not None else None
    return SignedRequest(Envelope(content_map, public_key, signature, delegation), rid)
