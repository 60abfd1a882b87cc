"""The legacy client authentication protocol, `authorize-client` (ii-facts §1; @dfinity/auth-client).

II posts `{kind: "authorize-ready"}` to `window.opener` (target `"*"`); the dapp answers with

    {kind: "authorize-client", sessionPublicKey, maxTimeToLive?, derivationOrigin?,
     allowPinAuthentication?, autoSelectionPrincipal?, ...customValues}

and II replies, to the request's origin only, with `authorize-client-success` or
`authorize-client-failure`. Like the current II, `sessionPublicKey` may be a `Uint8Array` or a
base64 string and `maxTimeToLive` a `bigint`, a number or a decimal string; unknown keys are
ignored and `undefined`/`null` mean absent.
"""

from __future__ import annotations

from typing import Any

from app.protocol.errors import InvalidRequest
from app.protocol.values import BigIntValue, describe, is_absent, nat64_from_any
from app.protocol.request import (
    AuthnMethod,
    AuthorizationRequest,
    Protocol,
    check_request_origin,
    effective_time_to_live,
    optional_bool,
    parse_origin,
    parse_principal_text,
    parse_session_key,
)
from ic.delegation import DelegationChain

REQUEST_KIND = "authorize-client"
SUCCESS_KIND = "authorize-client-success"
FAILURE_KIND = "authorize-client-failure"
REQUEST_FIELDS = ("kind", "sessionPublicKey", "maxTimeToLive", "derivationOrigin", "allowPinAuthentication",
                  "autoSelectionPrincipal")  # all `parse_authorize_client` reads; the rest is ignored


def authorize_ready() -> dict[str, Any]:
    """The first message: posted to `window.opener` with target origin `"*"` (it carries nothing)."""
    return {"kind": "authorize-ready"}


def is_authorize_client(data: Any) -> bool:
    """Whether a message is meant as a legacy request (it may still be invalid)."""
    return isinstance(data, dict) and data.get("kind") == REQUEST_KIND


def parse_authorize_client(data: Any, origin: str) -> AuthorizationRequest:
    """Validate an `authorize-client` message sent from `origin`; raises `InvalidRequest`."""
    request_origin = check_request_origin(origin)
    if not is_authorize_client(data):
        raise InvalidRequest("kind", f'expected "{REQUEST_KIND}"')
    session_key = parse_session_key(
        data.get("sessionPublicKey"), "sessionPublicKey", allow_base64=True, allow_bytes=True
    )
    ttl = data.get("maxTimeToLive")
    requested = None if is_absent(ttl) else nat64_from_any(ttl, "maxTimeToLive")
    derivation = data.get("derivationOrigin")
    principal = data.get("autoSelectionPrincipal")
    return AuthorizationRequest(
        protocol=Protocol.LEGACY,
        request_origin=request_origin,
        session_public_key=session_key,
        max_time_to_live_ns=effective_time_to_live(requested, "maxTimeToLive"),
        requested_time_to_live_ns=requested,
        derivation_origin=None if is_absent(derivation) else parse_origin(derivation, "derivationOrigin"),
        auto_selection_principal=None if is_absent(principal) else parse_principal_text(
            principal, "autoSelectionPrincipal"
        ),
        allow_pin_authentication=optional_bool(data.get("allowPinAuthentication"), "allowPinAuthentication"),
    )


def build_success(chain: DelegationChain, authn_method: AuthnMethod) -> dict[str, Any]:
    """`authorize-client-success` in the structured-clone form AuthClient reads: bytes become
    `Uint8Array`, expirations `bigint`. Targets (II never sets any) are sent as the structured clone
    of an agent-js `Principal`, `{_arr, _isPrincipal}`, which is what a browser would send."""
    delegations = []
    for link in chain.delegations:
        inner: dict[str, Any] = {
            "pubkey": link.delegation.pubkey,
            "expiration": BigIntValue(link.delegation.expiration),
        }
        if link.delegation.targets is not None:
            inner["targets"] = [{"_arr": target.raw, "_isPrincipal": True} for target in link.delegation.targets]
        delegations.append({"delegation": inner, "signature": link.signature})
    return {
        "kind": SUCCESS_KIND,
        "delegations": delegations,
        "userPublicKey": chain.public_key,
        "authnMethod": AuthnMethod(authn_method).value,
    }


def build_failure(text: str) -> dict[str, Any]:
    """`authorize-client-failure`; AuthClient closes the window and calls `onError(text)`."""
    if not isinstance(text, str):
        raise TypeError(f"failure text: expected str, found {describe(text)}")
    return {"kind": FAILURE_KIND, "text": text}
