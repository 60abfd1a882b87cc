"""Update calls: v3/v4 synchronous with a certified reply, v2 asynchronous, once per request id."""

from __future__ import annotations

import pytest

from replica.http.testing import (
    Ed25519Identity,
    call_content,
    encode,
    envelope,
    read_state_content,
)
from replica.http.testing import lookup, principal_reply, verified_tree

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
EMPTY_ARGS = b"DIDL\x00\x00"


def whoami_id(replica) -> bytes:
    return replica.canisters["whoami"].canister_id.raw


def call_body(replica, identity, method="whoami_update", arg=EMPTY_ARGS, **kw):
    sender = identity.principal if identity else b"\x04"
    content = call_content(whoami_id(replica), method, arg, sender, **kw)
    return content, encode(envelope(content, identity))


@pytest.mark.parametrize("version", ["v3", "v4"])
def test_sync_call_returns_a_certified_reply(client, replica, version):
    me = Ed25519Identity()
    content, body = call_body(replica, me, nonce=b"n1")
    res = client.post(f"/api/{version}/canister/{WHOAMI}/call", body)
    assert res.status == 200, res.text
    answer = res.cbor()
    assert answer["status"] == "replied"
    tree = verified_tree(answer["certificate"], replica)
    from ic.request_id import request_id

    rid = request_id(content)
    assert lookup(tree, [b"request_status", rid, b"status"]) == b"replied"
    assert lookup(tree, [b"request_status", rid, b"reply"]) == principal_reply(me.principal)


def test_anonymous_call(client, replica):
    content, body = call_body(replica, None)
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    tree = verified_tree(res.cbor()["certificate"], replica)
    from ic.request_id import request_id

    assert lookup(tree, [b"request_status", request_id(content), b"reply"]) == principal_reply(b"\x04")


def test_v2_call_is_202_then_readable(client, replica):
    me = Ed25519Identity()
    content, body = call_body(replica, me)
    res = client.post(f"/api/v2/canister/{WHOAMI}/call", body)
    assert res.status == 202 and res.body == b""
    from ic.request_id import request_id

    rid = request_id(content)
    rs = read_state_content([[b"request_status", rid]], me.principal)
    res = client.post(f"/api/v2/canister/{WHOAMI}/read_state", encode(envelope(rs, me)))
    assert res.status == 200, res.text
    tree = verified_tree(res.cbor()["certificate"], replica)
    assert lookup(tree, [b"request_status", rid, b"status"]) == b"replied"
    assert lookup(tree, [b"request_status", rid, b"reply"]) == principal_reply(me.principal)


def test_a_request_id_executes_at_most_once(client, replica, monkeypatch):
    me = Ed25519Identity()
    _, body = call_body(replica, me, nonce=b"once")
    calls = []
    whoami = replica.canisters["whoami"]
    original = whoami.call
    monkeypatch.setattr(whoami, "call", lambda *a: calls.append(a) or original(*a))
    first = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    again = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    v2 = client.post(f"/api/v2/canister/{WHOAMI}/call", body)
    assert first.status == again.status == 200 and v2.status == 202
    assert len(calls) == 1
    assert again.cbor()["status"] == "replied"


def test_unknown_canister_is_a_non_replicated_rejection(client, replica):
    me = Ed25519Identity()
    other = "rrkah-fqaaa-aaaaa-aaaaq-cai"
    from ic.principal import Principal

    content = call_content(Principal.from_text(other).raw, "whoami", EMPTY_ARGS, me.principal)
    res = client.post(f"/api/v3/canister/{other}/call", encode(envelope(content, me)))
    assert res.status == 200
    answer = res.cbor()
    assert answer["status"] == "non_replicated_rejection"
    assert answer["reject_code"] == 3
    assert answer["error_code"] == "IC0301"
    assert other in answer["reject_message"]
    res = client.post(f"/api/v2/canister/{other}/call", encode(envelope(content, me)))
    assert res.status == 200 and res.cbor()["reject_code"] == 3


def test_unknown_method(client, replica):
    _, body = call_body(replica, Ed25519Identity(), method="steal_everything")
    answer = client.post(f"/api/v3/canister/{WHOAMI}/call", body).cbor()
    assert answer["status"] == "non_replicated_rejection"
    assert answer["error_code"] == "IC0536"
    assert "has no update method 'steal_everything'" in answer["reject_message"]


def test_bad_candid_argument_is_a_certified_reject(client, replica):
    content, body = call_body(replica, Ed25519Identity(), arg=b"DIDL\x00\x01\x71\x05abc")
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    from ic.request_id import request_id

    tree = verified_tree(res.cbor()["certificate"], replica)
    rid = request_id(content)
    assert lookup(tree, [b"request_status", rid, b"status"]) == b"rejected"
    assert lookup(tree, [b"request_status", rid, b"reject_code"]) == b"\x05"
    assert lookup(tree, [b"request_status", rid, b"error_code"]) == b"IC0503"
    assert b"failed to decode the arguments" in lookup(tree, [b"request_status", rid, b"reject_message"])


@pytest.mark.parametrize("arg", [b"", b"DIDL", b"garbage", b"DIDL\x00\x01\x68\x01\x40" + b"x"])
def test_garbage_candid_is_rejected_and_server_keeps_serving(client, replica, arg):
    _, body = call_body(replica, Ed25519Identity(), arg=arg)
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    assert res.status == 200
    assert client.get("/api/v2/status").status == 200


def test_effective_canister_id_must_match(client, replica):
    _, body = call_body(replica, Ed25519Identity())
    res = client.post("/api/v3/canister/rdmx6-jaaaa-aaaaa-aaadq-cai/call", body)
    assert res.status == 400
    assert res.text.startswith("Specified CanisterId qoctq-giaaa-aaaaa-aaaea-cai does not match effective canister id in URL")


def test_query_method_via_call_is_allowed(client, replica):
    content, body = call_body(replica, Ed25519Identity(), method="whoami")
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    from ic.request_id import request_id

    tree = verified_tree(res.cbor()["certificate"], replica)
    assert lookup(tree, [b"request_status", request_id(content), b"status"]) == b"replied"


def test_rejected_requests_change_nothing(client, replica, clock):
    me = Ed25519Identity()
    _, body = call_body(replica, me, ingress_expiry=clock() - 1)
    before = len(replica.state.requests)
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", body)
    assert res.status == 400 and res.text.startswith("Invalid request expiry: ")
    assert len(replica.state.requests) == before
