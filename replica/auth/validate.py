"""Authenticate a parsed envelope (ic-interface-facts §2 "Ingress expiry rule", §4.6).

`authenticate(envelope, now_ns=..., verify=...)` runs the real replica's checks in its order and
returns who sent the request and which canisters its delegations allow; the first failed check
raises an `AuthError` whose text says which check failed:

1. ingress_expiry within [now, now + 5 min + 30 s] (not for anonymous query / read_state);
2. nonce at most 32 bytes;
3. anonymous sender carries no signature; any other sender carries `sender_pubkey`+`sender_sig`;
4. sender == self-authenticating(sender_pubkey);
5. at most 20 delegations, none expired, no public key repeated, at most 1000 targets each;
6. each delegation signed by the previous key, `sender_sig` by the last key (every scheme);
7. for call and query, `canister_id` within the intersection of all `targets` lists.

Step 5 and the delegation signatures of step 6 are `ic.delegation.check_links`, the one copy of the
chain rules; `_wire_error` gives each of its structured errors the real replica's class and text.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Callable

from ic.delegation import (
    DELEGATION_DOMAIN,
    MAX_DELEGATIONS,
    MAX_TARGETS,
    ChainTooLong,
    LinkExpired,
    LinkSignatureInvalid,
    RepeatedKey,
    TooManyTargets,
    check_links,
)
from ic.errors import DelegationError
from ic.request_id import request_id
from replica.auth.envelope import Envelope
from replica.auth.errors import (
    AuthError,
    DelegationExpired,
    ExpiryError,
    InvalidDelegation,
    InvalidSignature,
    MalformedRequest,
    TargetNotAllowed,
)

MAX_INGRESS_TTL_NS = 5 * 60 * 1_000_000_000
PERMITTED_DRIFT_NS = 30 * 1_000_000_000
MAX_NONCE_BYTES = 32
ANONYMOUS = b"\x04"
REQUEST_DOMAIN = b"\x0aic-request"

# verify(der_public_key, signed_bytes, signature): raises ValueError with the reason on failure.
Verifier = Callable[[bytes, bytes, bytes], None]


@dataclass(frozen=True)
class Authenticated:
    sender: bytes  # principal bytes
    targets: frozenset[bytes] | None  # None: every canister

    def allows(self, canister_id: bytes) -> bool:
        return self.targets is None or canister_id in self.targets


def format_time(ns: int) -> str:
    """`2026-11-23 21:10:00.000000000 UTC`, the way the replica prints times."""
    seconds, rest = divmod(ns, 1_000_000_000)
    try:
        stamp = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"{ns} ns"
    return f"{stamp}.{rest:09d} UTC"


def check_expiry(ingress_expiry: int, now_ns: int) -> None:
    low, high = now_ns, now_ns + MAX_INGRESS_TTL_NS + PERMITTED_DRIFT_NS
    if not low <= ingress_expiry <= high:
        raise ExpiryError(
            "Specified ingress_expiry not within expected range: "
            f"Minimum allowed expiry: {format_time(low)}, Maximum allowed expiry: {format_time(high)}, "
            f"Provided expiry: {format_time(ingress_expiry)}"
        )


def _principal_text(raw: bytes) -> str:
    from ic.principal import Principal

    return Principal.from_bytes(raw).to_text()


def _self_authenticating(der: bytes) -> bytes:
    from ic.principal import Principal

    return Principal.self_authenticating(der).raw


def authenticate(envelope: Envelope, *, now_ns: int, verify: Verifier) -> Authenticated:
    content = envelope.content
    anonymous = content.sender == ANONYMOUS
    if not (anonymous and content.request_type in ("query", "read_state")):
        check_expiry(content.ingress_expiry, now_ns)
    if content.nonce is not None and len(content.nonce) > MAX_NONCE_BYTES:
        raise MalformedRequest(
            f"Nonce in request is too big: max allowed size {MAX_NONCE_BYTES} bytes, actual size {len(content.nonce)} bytes"
        )
    if anonymous:
        if envelope.sender_pubkey is not None or envelope.sender_sig is not None or envelope.sender_delegation:
            raise AuthError("Signature is not allowed for the anonymous user.")
        return Authenticated(content.sender, None)
    if envelope.sender_pubkey is None or envelope.sender_sig is None:
        raise AuthError(f"Missing signature from user: {_principal_text(content.sender)}")
    if _self_authenticating(envelope.sender_pubkey) != content.sender:
        raise AuthError(
            f"The user id '{_principal_text(content.sender)}' does not match the public key '{envelope.sender_pubkey.hex()}'"
        )
    chain = envelope.sender_delegation or ()
    targets = _check_delegations(envelope.sender_pubkey, chain, now_ns, verify)
    signer = chain[-1].delegation.pubkey if chain else envelope.sender_pubkey
    try:
        verify(signer, REQUEST_DOMAIN + envelope.request_id, envelope.sender_sig)
    except ValueError as exc:
        raise InvalidSignature(
            f"Invalid basic signature: request 0x{envelope.request_id.hex()} is not signed by the "
            f"{'last delegated key' if chain else 'sender_pubkey'}: {exc}"
        ) from None
    auth = Authenticated(content.sender, targets)
    if content.canister_id is not None and not auth.allows(content.canister_id):
        raise TargetNotAllowed(_principal_text(content.canister_id))
    return auth


def _check_delegations(sender_pubkey: bytes, chain, now_ns: int, verify: Verifier) -> frozenset[bytes] | None:
    """The rules of `ic.delegation.check_links`; each link signs the hash of its map as received."""

    def verify_link(_index: int, signer: bytes, link) -> None:
        verify(signer, DELEGATION_DOMAIN + request_id(link.delegation.raw), link.signature)

    try:
        return check_links(sender_pubkey, chain, now_ns=now_ns, verify_link=verify_link)
    except DelegationError as err:
        raise _wire_error(err) from None


def _wire_error(err: DelegationError) -> AuthError:
    """The real replica's error (class and text) for each broken `check_links` rule."""
    if isinstance(err, ChainTooLong):
        return InvalidDelegation(
            f"Chain of delegations is too long: got {err.count} delegations, but at most {MAX_DELEGATIONS} are allowed"
        )
    if isinstance(err, LinkExpired):
        return DelegationExpired(
            f"Specified sender delegation has expired: delegation {err.index} expired at "
            f"{format_time(err.expiration)}, the replica time is {format_time(err.now)}"
        )
    if isinstance(err, RepeatedKey):
        return InvalidDelegation(
            "Chain of delegations contains at least one cycle: first repeating public key in delegations is "
            f"{err.pubkey.hex()}"
        )
    if isinstance(err, TooManyTargets):
        return InvalidDelegation(
            f"Delegation {err.index} has too many targets: got {err.count} targets, but at most {MAX_TARGETS} are allowed"
        )
    if isinstance(err, LinkSignatureInvalid):
        who = "sender_pubkey" if err.index == 0 else f"the key of delegation {err.index - 1}"
        return InvalidDelegation(f"Invalid signature of delegation {err.index} (signed by {who}): {err.reason}")
    return InvalidDelegation(str(err))
