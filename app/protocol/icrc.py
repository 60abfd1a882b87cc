"""ICRC-29 window transport, ICRC-25 signer interaction and ICRC-34 delegation, as II answers them
(ii-facts §1 "CURRENT transport layer"; authclient-facts §6; @icp-sdk/signer).

Every message is JSON-RPC 2.0 (`{jsonrpc: "2.0", id?, method, params?}`); a request without `id`
is a notification and gets no answer. II answers:

- `icrc29_status` -> `"ready"` (the heartbeat the dapp polls every 300 ms);
- `icrc25_supported_standards` -> ICRC-25, ICRC-29, ICRC-34, ICRC-95;
- `icrc25_permissions` / `icrc25_request_permissions` -> scope `icrc34_delegation`, `granted`;
- `icrc34_delegation` `{publicKey: base64 DER, maxTimeToLive?: decimal ns, targets?: [principal
  text], icrc95DerivationOrigin?: origin}` -> `{publicKey, signerDelegation: [{delegation: {pubkey,
  expiration, targets?}, signature}]}` (base64 bytes, decimal-string expiration).

`targets` is checked for shape and then ignored, as II does: II issues unscoped delegations.

`ii-icrc3-attributes` `{keys: [text], nonce: base64, icrc95DerivationOrigin?: origin}` (II's
`Icrc3AttributesParamsSchema`) -> `{data: base64, signature: base64}`: the Candid-encoded ICRC-3
Value map the II canister certified and its canister signature (`app.flows.attributes`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Optional, Union

from app.protocol.errors import InvalidRequest, ProtocolError
from app.protocol.values import decode_base64, describe, encode_base64, is_absent, nat64_from_decimal
from app.protocol.request import (
    AuthorizationRequest,
    Protocol,
    check_request_origin,
    effective_time_to_live,
    parse_origin,
    parse_principal_text,
    parse_session_key,
)
from ic.delegation import DelegationChain, encode_chain_icrc34

JSONRPC_VERSION = "2.0"
MAX_TARGETS = 1000

STATUS = "icrc29_status"
SUPPORTED_STANDARDS = "icrc25_supported_standards"
PERMISSIONS = "icrc25_permissions"
REQUEST_PERMISSIONS = "icrc25_request_permissions"
DELEGATION = "icrc34_delegation"
ATTRIBUTES = "ii-icrc3-attributes"
MAX_ATTRIBUTE_KEYS = 100  # the canister's MAX_ATTRIBUTES_PER_REQUEST
MAX_ATTRIBUTE_KEY_CHARS = 1046  # the canister's longest key: "openid:" + 1024-byte issuer + ":verified_email"

_SPECS = "https://github.com/dfinity/wg-identity-authentication/blob/main/topics/"
STANDARDS = (
    ("ICRC-25", _SPECS + "icrc_25_signer_interaction_standard.md"),
    ("ICRC-29", _SPECS + "icrc_29_window_post_message_transport.md"),
    ("ICRC-34", _SPECS + "icrc_34_delegation.md"),
    ("ICRC-95", _SPECS + "icrc_95_derivationorigin.md"),
)
GRANTED_SCOPES = (DELEGATION,)
# The methods that bind the channel to the sender's origin: the ICRC-29 heartbeat and the request.
# Other methods are stateless queries: answering them commits II to nothing.
CHANNEL_METHODS = (STATUS, DELEGATION)

RpcId = Union[str, int, float]
ENVELOPE_FIELDS = ("jsonrpc", "id", "method", "params")  # all `parse_rpc_request` reads
# All the params checks read: `icrc34_delegation`'s, `icrc25_request_permissions`' (scopes[].method)
# and `ii-icrc3-attributes`' (keys, nonce).
PARAMS_FIELDS = ("publicKey", "maxTimeToLive", "targets", "icrc95DerivationOrigin", "scopes", "method", "keys", "nonce")


class ErrorCode(IntEnum):
    """JSON-RPC 2.0 errors and the ICRC-25 ones."""

    INVALID_REQUEST = -32600
    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    GENERIC_ERROR = 1000
    NOT_SUPPORTED = 2000
    PERMISSION_NOT_GRANTED = 3000
    ACTION_ABORTED = 3001
    NETWORK_ERROR = 4000


class InvalidRpc(ProtocolError):
    """A JSON-RPC message that is not a valid request object (answered with -32600)."""

    def __init__(self, rpc_id: Optional[RpcId], reason: str):
        super().__init__(reason)
        self.rpc_id = rpc_id
        self.reason = reason


@dataclass(frozen=True)
class RpcRequest:
    """A well-formed JSON-RPC 2.0 request; `id` None means a notification (no answer)."""

    id: Optional[RpcId]
    method: str
    params: Union[dict, list, None] = None


def is_json_rpc(data: Any) -> bool:
    """Whether a message is meant as JSON-RPC (it may still be malformed)."""
    return isinstance(data, dict) and "jsonrpc" in data


def _valid_id(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int))


def parse_rpc_request(data: Any) -> RpcRequest:
    """Check the JSON-RPC 2.0 envelope; raises `InvalidRpc` naming what is wrong."""
    if not isinstance(data, dict):
        raise InvalidRpc(None, f"expected a JSON-RPC request object, found {describe(data)}")
    raw_id = data.get("id")
    rpc_id = None if is_absent(raw_id) else raw_id
    if rpc_id is not None and not _valid_id(rpc_id):
        raise InvalidRpc(None, f"id: expected a string or a number, found {describe(rpc_id)}")
    if data.get("jsonrpc") != JSONRPC_VERSION:
        raise InvalidRpc(rpc_id, f'jsonrpc: expected "2.0", found {str(data.get("jsonrpc"))[:20]!r}')
    method = data.get("method")
    if not isinstance(method, str) or not method:
        raise InvalidRpc(rpc_id, f"method: expected a method name, found {describe(method)}")
    params = data.get("params")
    if is_absent(params):
        params = None
    elif not isinstance(params, (dict, list)):
        raise InvalidRpc(rpc_id, f"params: expected an object or an array, found {describe(params)}")
    return RpcRequest(rpc_id, method, params)


# --- responses -------------------------------------------------------------------------------------


def rpc_result(rpc_id: Optional[RpcId], result: Any) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "id": rpc_id, "result": result}


def rpc_error(rpc_id: Optional[RpcId], code: ErrorCode, message: str) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "id": rpc_id, "error": {"code": int(code), "message": message}}


def status_result() -> str:
    return "ready"


def supported_standards_result() -> dict[str, Any]:
    return {"supportedStandards": [{"name": name, "url": url} for name, url in STANDARDS]}


def permissions_result() -> dict[str, Any]:
    return {"scopes": [{"scope": {"method": method}, "state": "granted"} for method in GRANTED_SCOPES]}


def check_request_permissions(params: Any) -> None:
    """`{scopes: [{method: text, ...}]}`; scopes II does not know are ignored (ICRC-25)."""
    if not isinstance(params, dict):
        raise InvalidRequest("params", f"expected an object with 'scopes', found {describe(params)}")
    scopes = params.get("scopes")
    if not isinstance(scopes, list):
        raise InvalidRequest("scopes", f"expected an array of scope objects, found {describe(scopes)}")
    for i, scope in enumerate(scopes):
        if not isinstance(scope, dict) or not isinstance(scope.get("method"), str):
            raise InvalidRequest(f"scopes[{i}]", f"expected {{method: string}}, found {describe(scope)}")


# --- ICRC-34 ---------------------------------------------------------------------------------------


def parse_delegation_params(params: Any, origin: str) -> AuthorizationRequest:
    """Validate `icrc34_delegation` params sent from `origin`; raises `InvalidRequest`."""
    request_origin = check_request_origin(origin)
    if not isinstance(params, dict):
        raise InvalidRequest("params", f"expected an object with 'publicKey', found {describe(params)}")
    session_key = parse_session_key(params.get("publicKey"), "publicKey", allow_base64=True, allow_bytes=False)
    ttl = params.get("maxTimeToLive")
    requested = None if is_absent(ttl) else nat64_from_decimal(ttl, "maxTimeToLive")
    targets = params.get("targets")
    if not is_absent(targets):
        if not isinstance(targets, list):
            raise InvalidRequest("targets", f"expected an array of principal texts, found {describe(targets)}")
        if len(targets) > MAX_TARGETS:
            raise InvalidRequest("targets", f"{len(targets)} targets; at most {MAX_TARGETS} are allowed")
        for i, target in enumerate(targets):
            parse_principal_text(target, f"targets[{i}]")
    derivation = params.get("icrc95DerivationOrigin")
    return AuthorizationRequest(
        protocol=Protocol.ICRC,
        request_origin=request_origin,
        session_public_key=session_key,
        max_time_to_live_ns=effective_time_to_live(requested, "maxTimeToLive"),
        requested_time_to_live_ns=requested,
        derivation_origin=None if is_absent(derivation) else parse_origin(derivation, "icrc95DerivationOrigin"),
    )


def build_delegation_result(chain: DelegationChain) -> dict[str, Any]:
    """`{publicKey, signerDelegation}`: base64 keys and signatures, decimal-string expirations."""
    return encode_chain_icrc34(chain)


# --- ii-icrc3-attributes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributesRequest:
    """A valid `ii-icrc3-attributes` request: the wire keys the dapp asks for and its nonce."""

    keys: tuple[str, ...]
    nonce: bytes
    derivation_origin: Optional[str] = None


def parse_attributes_params(params: Any) -> AttributesRequest:
    """Validate `ii-icrc3-attributes` params; raises `InvalidRequest`.

    The nonce's length is the canister's to check (32 bytes), as in II.
    """
    if not isinstance(params, dict):
        raise InvalidRequest("params", f"expected an object with 'keys' and 'nonce', found {describe(params)}")
    keys = params.get("keys")
    if not isinstance(keys, list):
        raise InvalidRequest("keys", f"expected an array of strings, found {describe(keys)}")
    if len(keys) > MAX_ATTRIBUTE_KEYS:
        raise InvalidRequest("keys", f"{len(keys)} keys; at most {MAX_ATTRIBUTE_KEYS} are allowed")
    for i, key in enumerate(keys):
        if not isinstance(key, str):
            raise InvalidRequest(f"keys[{i}]", f"expected a string, found {describe(key)}")
        if len(key) > MAX_ATTRIBUTE_KEY_CHARS:
            raise InvalidRequest(f"keys[{i}]", f"{len(key)} characters; at most {MAX_ATTRIBUTE_KEY_CHARS} are allowed")
    nonce = params.get("nonce")
    if not isinstance(nonce, str):
        raise InvalidRequest("nonce", f"expected a base64 string, found {describe(nonce)}")
    derivation = params.get("icrc95DerivationOrigin")
    return AttributesRequest(
        keys=tuple(dict.fromkeys(keys)),
        nonce=decode_base64(nonce, "nonce"),
        derivation_origin=None if is_absent(derivation) else parse_origin(derivation, "icrc95DerivationOrigin"),
    )


def build_attributes_result(message: bytes, signature: bytes) -> dict[str, Any]:
    """`{data, signature}`, both base64: the certified message and its canister signature."""
    return {"data": encode_base64(message), "signature": encode_base64(signature)}
