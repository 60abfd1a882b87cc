"""Node signatures on query responses (ic-interface-facts §7; agent-js `verifyQuerySignatures`).

A replica signs each query answer with a node's Ed25519 key over
`\\x0Bic-response ‖ hash_of_map({status, reply | reject fields, timestamp, request_id})`. The
node keys come from a *verified* `/subnet` certificate: `node_keys_from_certificate` requires the
subnet's `canister_ranges` to contain the canister and every `node/<id>/public_key` to be a
44-byte Ed25519 DER key. `verify_query_response` then checks that the first signature is recent
and that a signature verifies with its node's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from ic import hash_tree
from ic.agent import ed25519
from ic.agent.errors import NodeKeysError, QuerySignatureError
from ic.errors import ICError
from ic.keys.public_key import Ed25519PublicKey, parse_der
from ic.principal import Principal
from ic.request_id import DOMAIN_RESPONSE, hash_of_map

Ed25519Verify = Callable[[bytes, bytes, bytes], bool]
"""`verify(raw_public_key_32, message, signature_64) -> bool`; never raises on bad input."""

MAX_SIGNATURE_AGE_NS = 5 * 60 * 10**9
NODE_KEY_DER_LENGTH = 44


@dataclass(frozen=True)
class NodeKeys:
    subnet_id: Principal
    keys: Mapping[bytes, bytes]  # node id (principal bytes) -> raw 32-byte Ed25519 key
    fetched_at_ns: int


def default_ed25519_verify() -> Ed25519Verify:
    """`cryptography`'s verifier when it is installed (CPython), else the pure-Python one."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey as _Key
    except ImportError:
        return ed25519.verify

    def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
        try:
            _Key.from_public_bytes(bytes(public_key)).verify(bytes(signature), bytes(message))
            return True
        except (InvalidSignature, ValueError):
            return False

    return verify


def node_keys_from_certificate(
    certificate: Any, *, subnet_id: Principal, canister_id: Principal, now_ns: int
) -> NodeKeys:
    """The node keys of `subnet_id` in a verified certificate (read_state of `[["subnet"]]`)."""
    tree = certificate.tree
    sid = subnet_id.raw
    where = f"/subnet/{subnet_id.to_text()}"
    if not _in_ranges(certificate, subnet_id, canister_id, where):
        raise NodeKeysError(f"canister {canister_id.to_text()} is not in the canister ranges of subnet {subnet_id.to_text()}")
    nodes = hash_tree.lookup_subtree(tree, [b"subnet", sid, b"node"])
    if not isinstance(nodes, hash_tree.Found):
        raise NodeKeysError(f"{where}/node is not in the certificate ({type(nodes).__name__})")
    keys: dict[bytes, bytes] = {}
    for child in hash_tree.flatten_forks(nodes.value):
        if not isinstance(child, hash_tree.Labeled):
            raise NodeKeysError(f"{where}/node: expected labeled node ids, found {type(child).__name__}")
        node_where = f"{where}/node/{_principal_text(child.label)}/public_key"
        found = hash_tree.lookup_path(child.subtree, [b"public_key"])
        if not isinstance(found, hash_tree.Found):
            raise NodeKeysError(f"{node_where} is not in the certificate ({type(found).__name__})")
        der = found.value
        if len(der) != NODE_KEY_DER_LENGTH:
            raise NodeKeysError(f"{node_where}: expected a {NODE_KEY_DER_LENGTH}-byte Ed25519 DER key, found {len(der)} bytes")
        try:
            key = parse_der(der)
        except ICError as exc:
            raise NodeKeysError(f"{node_where}: {exc}") from None
        if not isinstance(key, Ed25519PublicKey):
            raise NodeKeysError(f"{node_where}: expected an Ed25519 key, found {type(key).__name__}")
        keys[child.label] = key.raw
    if not keys:
        raise NodeKeysError(f"{where}/node lists no nodes")
    return NodeKeys(subnet_id, keys, now_ns)


def _principal_text(raw: bytes) -> str:
    try:
        return Principal(raw).to_text()
    except ICError:
        return "0x" + raw.hex()


def _in_ranges(certificate: Any, subnet_id: Principal, canister_id: Principal, where: str) -> bool:
    from ic.certificate import subnet_canister_ranges

    try:
        ranges = subnet_canister_ranges(certificate, subnet_id)
    except ICError as exc:
        raise NodeKeysError(f"{where}/canister_ranges: {exc}") from None
    return any(low <= canister_id.raw <= high for low, high in ranges)


def response_signing_payload(response: Mapping[str, Any], request_id: bytes, timestamp: int) -> bytes:
    """`\\x0Bic-response ‖ hash_of_map(...)` for a decoded query response."""
    status = response.get("status")
    fields: dict[str, Any]
    if status == "replied":
        fields = {"status": "replied", "reply": response["reply"]}
    elif status == "rejected":
        fields = {
            "status": "rejected",
            "reject_code": response["reject_code"],
            "reject_message": response["reject_message"],
        }
        if response.get("error_code") is not None:
            fields["error_code"] = response["error_code"]
    else:
        raise QuerySignatureError(f"query response: unknown status {status!r}")
    fields["timestamp"] = timestamp
    fields["request_id"] = bytes(request_id)
    return DOMAIN_RESPONSE + hash_of_map(fields)


def verify_query_response(
    response: Mapping[str, Any],
    request_id: bytes,
    node_keys: NodeKeys,
    *,
    now_ns: int,
    verify: Ed25519Verify,
    max_age_ns: int = MAX_SIGNATURE_AGE_NS,
) -> None:
    """Raises `QuerySignatureError` unless a node of the subnet signed this exact response recently."""
    signatures = response.get("signatures")
    if not isinstance(signatures, list) or not signatures:
        raise QuerySignatureError("query response carries no node signatures (the replica must sign queries)")
    first = signatures[0]
    timestamp = first.get("timestamp") if isinstance(first, dict) else None
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp <= 0:
        raise QuerySignatureError(f"query response signature: timestamp missing or zero ({timestamp!r})")
    if now_ns - timestamp > max_age_ns:
        raise QuerySignatureError(
            f"query response signature is {(now_ns - timestamp) / 1e9:.0f} s old; at most "
            f"{max_age_ns / 1e9:.0f} s allowed (clock skew or a replayed answer)"
        )
    problems = []
    for index, signature in enumerate(signatures):
        if not isinstance(signature, dict):
            problems.append(f"signatures[{index}] is not a map")
            continue
        node_id, sig, ts = signature.get("identity"), signature.get("signature"), signature.get("timestamp")
        if not isinstance(node_id, bytes) or not isinstance(sig, bytes) or not isinstance(ts, int):
            problems.append(f"signatures[{index}] lacks identity, signature or timestamp")
            continue
        key = node_keys.keys.get(node_id)
        if key is None:
            problems.append(
                f"signatures[{index}]: node {_principal_text(node_id)} is not a node of subnet "
                f"{node_keys.subnet_id.to_text()}"
            )
            continue
        if verify(key, response_signing_payload(response, request_id, ts), sig):
            return
        problems.append(f"signatures[{index}] by node {_principal_text(node_id)} does not verify")
    raise QuerySignatureError("query response signature check failed: " + "; ".join(problems))


def subnet_id_of(certificate: Any, root_key_der: bytes) -> Principal:
    """The subnet that signed a certificate: its delegation's subnet, else the root subnet.

    Without a delegation the subnet id is the self-authenticating principal of the root key, as
    agent-js assumes (ic-interface-facts §7).
    """
    delegation = getattr(certificate, "delegation", None)
    if delegation is not None:
        subnet = getattr(delegation, "subnet_id", None)
        if isinstance(subnet, Principal):
            return subnet
        if isinstance(subnet, (bytes, bytearray)):
            return Principal(bytes(subnet))
    return Principal.self_authenticating(root_key_der)
