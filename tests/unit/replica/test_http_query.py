"""Queries: replies and rejects, signed by the node key found in the certified subnet subtree."""

from __future__ import annotations

import pytest

from replica.http.testing import (
    EcdsaIdentity,
    Ed25519Identity,
    call_content,
    encode,
    envelope,
    lookup,
    principal_reply,
    read_state_content,
    verified_tree,
)

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
EMPTY_ARGS = b"DIDL\x00\x00"


def query(client, replica, identity, method="whoami", arg=EMPTY_ARGS, **kw):
    sender = identity.principal if identity else b"\x04"
    content = call_content(replica.canisters["whoami"].canister_id.raw, method, arg, sender, request_type="query", **kw)
    res = client.post(f"/api/v2/canister/{WHOAMI}/query", encode(envelope(content, identity)))
    return content, res


def node_keys(client, replica, identity=None) -> dict[bytes, bytes]:
    """What agent-js's fetchNodeKeys does: read /subnet, find ranges and every node key."""
    from ic.principal import Principal

    sender = identity.principal if identity else b"\x04"
    rs = read_state_content([[b"subnet"]], sender)
    res = client.post(f"/api/v2/canister/{WHOAMI}/read_state", encode(envelope(rs, identity)))
    assert res.status == 200, res.text
    tree = verified_tree(res.cbor()["certificate"], replica)
    subnet_id = Principal.self_authenticating(replica.root_key).raw
    assert lookup(tree, [b"subnet", subnet_id, b"public_key"]) == replica.root_key
    from ic import cbor

    ranges = cbor.decode(lookup(tree, [b"subnet", subnet_id, b"canister_ranges"]), max_size=4096)
    ecid = replica.canisters["whoami"].canister_id.raw
    assert any(lo <= ecid <= hi for lo, hi in ranges)
    node_id = replica.state.node_id
    key = lookup(tree, [b"subnet", subnet_id, b"node", node_id, b"public_key"])
    assert len(key) == 44
    return {node_id: key}


def check_signature(response: dict, content: dict, keys: dict[bytes, bytes]) -> None:
    from cryptography.hazmat.primitives.serialization import load_der_public_key

    from ic.request_id import request_id

    (sig,) = response["signatures"]
    assert sig["timestamp"] > 0
    signed = {k: v for k, v in response.items() if k != "signatures"}
    signed.update(timestamp=sig["timestamp"], request_id=request_id(content))
    load_der_public_key(keys[sig["identity"]]).verify(sig["signature"], b"\x0bic-response" + request_id(signed))


@pytest.mark.parametrize("make", [lambda: None, Ed25519Identity, EcdsaIdentity])
def test_query_reply_is_signed_by_the_node(client, replica, make):
    me = make()
    content, res = query(client, replica, me)
    assert res.status == 200, res.text
    answer = res.cbor()
    assert answer["status"] == "replied"
    sender = me.principal if me else b"\x04"
    assert answer["reply"]["arg"] == principal_reply(sender)
    check_signature(answer, content, node_keys(client, replica, me))


def test_query_reject_is_signed_too(client, replica):
    content, res = query(client, replica, None, method="whoami_update")
    answer = res.cbor()
    assert answer["status"] == "rejected"
    assert answer["reject_code"] == 3
    assert answer["error_code"] == "IC0536"
    assert "has no query method 'whoami_update'" in answer["reject_message"]
    check_signature(answer, content, node_keys(client, replica))


def test_query_bad_argument_is_a_trap(client, replica):
    _, res = query(client, replica, None, arg=b"nope")
    answer = res.cbor()
    assert answer["status"] == "rejected" and answer["reject_code"] == 5 and answer["error_code"] == "IC0503"


def test_query_to_unknown_canister(client, replica):
    from ic.principal import Principal

    other = "rrkah-fqaaa-aaaaa-aaaaq-cai"
    content = call_content(Principal.from_text(other).raw, "whoami", EMPTY_ARGS, b"\x04", request_type="query")
    answer = client.post(f"/api/v3/canister/{other}/query", encode(envelope(content, None))).cbor()
    assert answer["status"] == "rejected" and answer["reject_code"] == 3 and answer["error_code"] == "IC0301"


def test_anonymous_query_ignores_expiry_but_signed_query_does_not(client, replica, clock):
    _, res = query(client, replica, None, ingress_expiry=1)
    assert res.status == 200
    _, res = query(client, replica, Ed25519Identity(), ingress_expiry=1)
    assert res.status == 400 and res.text.startswith("Invalid request expiry: ")


def test_v3_query_alias(client, replica):
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami", EMPTY_ARGS, b"\x04", request_type="query")
    res = client.post(f"/api/v3/canister/{WHOAMI}/query", encode(envelope(content, None)))
    assert res.status == 200 and res.cbor()["status"] == "replied"


def test_query_canister_id_must_match_url(client, replica):
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami", EMPTY_ARGS, b"\x04", request_type="query")
    res = client.post("/api/v2/canister/rdmx6-jaaaa-aaaaa-aaadq-cai/query", encode(envelope(content, None)))
    assert res.status == 400 and "does not match effective canister id in URL" in res.text


def test_call_envelope_on_query_endpoint(client, replica):
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami", EMPTY_ARGS, b"\x04")
    res = client.post(f"/api/v2/canister/{WHOAMI}/query", encode(envelope(content, None)))
    assert res.status == 400 and "takes request_type 'query', found 'call'" in res.text
