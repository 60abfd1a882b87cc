"""Parse a decoded request envelope into typed values, once, at the edge (ic-interface-facts §2).

`parse_envelope(obj, expected_type)` takes the decoded CBOR of a request body and returns an
`Envelope`; any shape error raises `MalformedRequest` naming the field, what was expected and what
was found. CBOR `undefined`/`null` fields count as absent (agent-js sends `undefined`), both here
and in the request id, which is the representation-independent hash of the content as received.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from replica.auth.errors import MalformedRequest

MAX_PATHS = 1000
MAX_PATH_LABELS = 127
MAX_PRINCIPAL_BYTES = 29
REQUEST_TYPES = ("call", "query", "read_state")


@dataclass(frozen=True)
class Delegation:
    pubkey: bytes
    expiration: int
    targets: tuple[bytes, ...] | None
    raw: dict  # the map as received: its hash is what the signature covers


@dataclass(frozen=True)
class SignedDelegation:
    delegation: Delegation
    signature: bytes


@dataclass(frozen=True)
class Content:
    request_type: str
    sender: bytes
    ingress_expiry: int
    nonce: bytes | None
    canister_id: bytes | None  # call and query
    method_name: str | None
    arg: bytes | None
    paths: tuple[tuple[bytes, ...], ...] | None  # read_state
    raw: dict


@dataclass(frozen=True)
class Envelope:
    content: Content
    request_id: bytes
    sender_pubkey: bytes | None
    sender_sig: bytes | None
    sender_delegation: tuple[SignedDelegation, ...] | None


def _absent(value: Any) -> bool:
    if value is None:
        return True
    try:
        from cbor2 import undefined
    except ImportError:  # pragma: no cover
        return False
    return value is undefined


def strip_absent(obj: Any) -> Any:
    """Drop `undefined`/`null` map values recursively, as agent-js does before hashing."""
    if isinstance(obj, dict):
        return {k: strip_absent(v) for k, v in obj.items() if not _absent(v)}
    if isinstance(obj, list):
        return [strip_absent(v) for v in obj]
    return obj


def _type_name(value: Any) -> str:
    return {bytes: "bytes", str: "text", int: "nat", list: "array", dict: "map", bool: "bool"}.get(
        type(value), type(value).__name__
    )


def _field(obj: dict, name: str, kind: type, where: str, *, required: bool = True) -> Any:
    value = obj.get(name)
    if value is None:
        if required:
            raise MalformedRequest(f"missing field '{name}' in {where}")
        return None
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0 or value >= 1 << 64:
            raise MalformedRequest(f"field '{name}' in {where} must be a nat64, found {_type_name(value)} {value!r:.40}")
        return value
    if kind is bytes and isinstance(value, (bytearray, memoryview)):
        value = bytes(value)
    if not isinstance(value, kind):
        raise MalformedRequest(f"field '{name}' in {where} must be {kind.__name__}, found {_type_name(value)}")
    return value


def _principal_bytes(value: bytes, name: str, where: str) -> bytes:
    if len(value) > MAX_PRINCIPAL_BYTES:
        raise MalformedRequest(f"field '{name}' in {where} is {len(value)} bytes, a principal has at most 29")
    return value


def _parse_paths(value: Any) -> tuple[tuple[bytes, ...], ...]:
    if not isinstance(value, list):
        raise MalformedRequest(f"field 'paths' in content must be an array, found {_type_name(value)}")
    if len(value) > MAX_PATHS:
        raise MalformedRequest(f"too many paths in read_state: {len(value)}, at most {MAX_PATHS} are allowed")
    paths = []
    for i, path in enumerate(value):
        if not isinstance(path, list):
            raise MalformedRequest(f"paths[{i}] must be an array of byte strings, found {_type_name(path)}")
        if len(path) > MAX_PATH_LABELS:
            raise MalformedRequest(f"paths[{i}] has {len(path)} labels, at most {MAX_PATH_LABELS} are allowed")
        labels = []
        for j, label in enumerate(path):
            if not isinstance(label, (bytes, bytearray)):
                raise MalformedRequest(f"paths[{i}][{j}] must be a byte string, found {_type_name(label)}")
            labels.append(bytes(label))
        paths.append(tuple(labels))
    return tuple(paths)


def _parse_delegations(value: Any) -> tuple[SignedDelegation, ...]:
    if not isinstance(value, list):
        raise MalformedRequest(f"field 'sender_delegation' must be an array, found {_type_name(value)}")
    chain = []
    for i, item in enumerate(value):
        where = f"sender_delegation[{i}]"
        if not isinstance(item, dict):
            raise MalformedRequest(f"{where} must be a map, found {_type_name(item)}")
        inner = _field(item, "delegation", dict, where)
        signature = _field(item, "signature", bytes, where)
        dwhere = f"{where}.delegation"
        pubkey = _field(inner, "pubkey", bytes, dwhere)
        expiration = _field(inner, "expiration", int, dwhere)
        targets_raw = _field(inner, "targets", list, dwhere, required=False)
        targets = None
        if targets_raw is not None:
            targets = []
            for j, target in enumerate(targets_raw):
                if not isinstance(target, (bytes, bytearray)):
                    raise MalformedRequest(f"{dwhere}.targets[{j}] must be a principal (bytes), found {_type_name(target)}")
                targets.append(_principal_bytes(bytes(target), f"targets[{j}]", dwhere))
            targets = tuple(targets)
        chain.append(SignedDelegation(Delegation(pubkey, expiration, targets, inner), signature))
    return tuple(chain)


def parse_envelope(obj: Any, expected_type: str) -> Envelope:
    """Typed view of a decoded envelope whose `content.request_type` must be `expected_type`."""
    from ic.request_id import request_id

    if not isinstance(obj, dict):
        raise MalformedRequest(f"the request body must be a CBOR map, found {_type_name(obj)}")
    for key in obj:
        if not isinstance(key, str):
            raise MalformedRequest(f"envelope keys must be text, found {_type_name(key)}")
    obj = strip_absent(obj)
    raw = _field(obj, "content", dict, "envelope")
    for key in raw:
        if not isinstance(key, str):
            raise MalformedRequest(f"content keys must be text, found {_type_name(key)}")
    request_type = _field(raw, "request_type", str, "content")
    if request_type not in REQUEST_TYPES:
        raise MalformedRequest(f"unknown request_type '{request_type:.40}'; expected one of {', '.join(REQUEST_TYPES)}")
    if request_type != expected_type:
        raise MalformedRequest(f"this endpoint takes request_type '{expected_type}', found '{request_type}'")
    sender = _principal_bytes(_field(raw, "sender", bytes, "content"), "sender", "content")
    ingress_expiry = _field(raw, "ingress_expiry", int, "content")
    nonce = _field(raw, "nonce", bytes, "content", required=False)
    canister_id = method_name = arg = paths = None
    if request_type in ("call", "query"):
        canister_id = _principal_bytes(_field(raw, "canister_id", bytes, "content"), "canister_id", "content")
        method_name = _field(raw, "method_name", str, "content")
        arg = _field(raw, "arg", bytes, "content")
    else:
        paths = _parse_paths(_field(raw, "paths", list, "content"))
    content = Content(request_type, sender, ingress_expiry, nonce, canister_id, method_name, arg, paths, raw)
    try:
        rid = request_id(raw)
    except ValueError as exc:
        raise MalformedRequest(f"the content has no request id: {exc}") from None
    sender_pubkey = _field(obj, "sender_pubkey", bytes, "envelope", required=False)
    sender_sig = _field(obj, "sender_sig", bytes, "envelope", required=False)
    delegations = obj.get("sender_delegation")
    chain = _parse_delegations(delegations) if delegations is not None else None
    return Envelope(content, rid, sender_pubkey, sender_sig, chain)
