"""The authorize session and `ii-icrc3-attributes` (@icp-sdk/auth `requestAttributes`)."""

from __future__ import annotations

import base64

import pytest

from app.protocol import AlternativeOriginsResponse, Phase, PostMessage
from app.protocol.icrc import AttributesRequest, parse_attributes_params
from tests.unit.protocol.payloads import DAPP_ORIGIN, OTHER_ORIGIN, UUIDS, from_dapp, icrc34_request, result_for, rpc
from tests.unit.protocol.test_session_icrc import KEY, answer, connected, posts, started, with_request

NONCE = bytes(range(32))


def attributes_rpc(keys=("name",), nonce=NONCE, rpc_id="attr", **extra):
    params = {"keys": list(keys), "nonce": base64.b64encode(nonce).decode(), **extra}
    return rpc("ii-icrc3-attributes", params, rpc_id)


def test_the_request_waits_for_the_sign_in_and_is_answered_before_the_delegation():
    session = connected()
    assert session.on_message(from_dapp(attributes_rpc(("name", "email")))) == []
    assert session.attributes_request is None  # no sign-in request yet
    session.on_message(from_dapp(icrc34_request(KEY)))
    assert session.attributes_request == AttributesRequest(("name", "email"), NONCE)
    assert session.attributes_origin == DAPP_ORIGIN
    (post,) = session.on_attributes(b"message", b"signature")
    assert post == PostMessage({"jsonrpc": "2.0", "id": "attr", "result": {
        "data": base64.b64encode(b"message").decode(), "signature": base64.b64encode(b"signature").decode()}},
        DAPP_ORIGIN)
    assert session.attributes_request is None and session.on_attributes(b"m", b"s") == []
    replies = [p.message for p in posts(session.on_authenticated(result_for(KEY)))]
    assert [r["id"] for r in replies] == [UUIDS[2]] and "result" in replies[0]


def test_it_may_also_come_after_the_sign_in_request():
    session = with_request()
    assert session.on_message(from_dapp(attributes_rpc())) == []
    assert session.attributes_request.keys == ("name",)


def test_a_canister_refusal_is_a_generic_error_and_the_sign_in_goes_on():
    session = with_request()
    session.on_message(from_dapp(attributes_rpc()))
    (post,) = session.on_attributes_failed("AttributeMismatch: Attribute name not available for identity")
    assert post.message["error"] == {"code": 1000, "message":
                                     "Attribute sharing failed: AttributeMismatch: Attribute name not available for identity"}
    assert session.state.phase is Phase.REQUEST_RECEIVED


@pytest.mark.parametrize("params, field", [
    (None, "params"),
    ({"nonce": "AAAA"}, "keys"),
    ({"keys": "name", "nonce": "AAAA"}, "keys"),
    ({"keys": ["name", 3], "nonce": "AAAA"}, "keys[1]"),
    ({"keys": ["x" * 1047], "nonce": "AAAA"}, "keys[0]"),
    ({"keys": ["name"] * 101, "nonce": "AAAA"}, "keys"),
    ({"keys": ["name"]}, "nonce"),
    ({"keys": ["name"], "nonce": "not base64!"}, "nonce"),
    ({"keys": ["name"], "nonce": "AAAA", "icrc95DerivationOrigin": "https://a.example/path"}, "icrc95DerivationOrigin"),
])
def test_invalid_params_are_32602_and_store_nothing(params, field):
    session = with_request()
    reply = answer(session, rpc("ii-icrc3-attributes", params, "bad"))
    assert reply["id"] == "bad" and reply["error"]["code"] == -32602
    assert reply["error"]["message"].startswith(f"Invalid params: {field}")
    assert session.attributes_request is None
    assert session.state.phase is Phase.REQUEST_RECEIVED  # the sign-in itself is not affected


def test_one_pending_request_at_a_time():
    session = with_request()
    session.on_message(from_dapp(attributes_rpc()))
    assert session.on_message(from_dapp(attributes_rpc())) == []  # the same id again
    reply = answer(session, attributes_rpc(rpc_id="second"))
    assert reply["error"]["code"] == 1000 and "'attr'" in reply["error"]["message"]
    assert session.attributes_request.keys == ("name",)


def test_before_the_channel_or_after_the_answer_it_is_refused():
    session = started()
    reply = answer(session, attributes_rpc())
    assert reply["error"]["code"] == 1000 and "icrc29_status" in reply["error"]["message"]
    session = with_request()
    session.on_authenticated(result_for(KEY))
    reply = answer(session, attributes_rpc())
    assert reply["error"]["code"] == 1000 and "already answered" in reply["error"]["message"]


def test_unanswered_when_the_session_ends_it_gets_an_answer_too():
    session = with_request()
    session.on_message(from_dapp(attributes_rpc()))
    replies = [p.message for p in posts(session.on_authenticated(result_for(KEY)))]
    assert [r["id"] for r in replies] == ["attr", UUIDS[2]]
    assert "completed before" in replies[0]["error"]["message"]
    session = with_request()
    session.on_message(from_dapp(attributes_rpc()))
    replies = [p.message for p in posts(session.on_user_cancel())]
    assert [(r["id"], r["error"]["code"]) for r in replies] == [("attr", 3001), (UUIDS[2], 3001)]


def test_the_derivation_origin_must_be_the_verified_one_of_the_sign_in():
    session = connected()
    session.on_message(from_dapp(attributes_rpc(icrc95DerivationOrigin=OTHER_ORIGIN)))
    session.on_message(from_dapp(icrc34_request(KEY, derivation_origin=OTHER_ORIGIN)))
    body = b'{"alternativeOrigins":["%s"]}' % DAPP_ORIGIN.encode()
    session.on_alternative_origins(AlternativeOriginsResponse(200, False, body))
    assert session.attributes_origin == OTHER_ORIGIN
    session = with_request()
    reply = answer(session, attributes_rpc(icrc95DerivationOrigin=OTHER_ORIGIN))
    assert reply["id"] == "attr" and reply["error"]["code"] == -32602
    assert reply["error"]["message"].startswith("Unverified derivation origin: ")
    assert session.attributes_request is None


def test_parse_keeps_the_order_and_drops_repeats():
    request = parse_attributes_params({"keys": ["name", "email", "name"], "nonce": ""})
    assert request == AttributesRequest(("name", "email"), b"")
