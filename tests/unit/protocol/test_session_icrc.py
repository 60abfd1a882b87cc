"""The authorize session speaking ICRC-29/25/34 JSON-RPC (@icp-sdk/auth, @icp-sdk/signer)."""

from __future__ import annotations

import re

import pytest

from app.protocol import (
    HEARTBEAT_TIMER,
    REQUEST_TIMER,
    AlternativeOriginsResponse,
    AuthorizeSession,
    CancelTimer,
    FailureReason,
    FetchAlternativeOrigins,
    Phase,
    PostMessage,
    Protocol,
    ShowCompleted,
    ShowFailure,
    ShowRequest,
    StartTimer,
)
from app.protocol.request import DEFAULT_TIME_TO_LIVE_NS, MAX_TIME_TO_LIVE_NS
from ic.delegation import parse_chain_json
from tests.unit.protocol.payloads import (
    DAPP_ORIGIN,
    EIGHT_HOURS_NS,
    II_ORIGIN,
    OTHER_ORIGIN,
    UUIDS,
    auth_client_request,
    b64,
    chain_for,
    ecdsa_session_key,
    from_dapp,
    heartbeat,
    icrc34_request,
    result_for,
    rpc,
)

KEY = ecdsa_session_key()
SPECS = "https://github.com/dfinity/wg-identity-authentication/blob/main/topics/"


def started() -> AuthorizeSession:
    session = AuthorizeSession(II_ORIGIN)
    session.start(has_opener=True)
    return session


def connected() -> AuthorizeSession:
    session = started()
    session.on_message(from_dapp(heartbeat()))
    return session


def posts(effects) -> list[PostMessage]:
    return [e for e in effects if isinstance(e, PostMessage)]


def answer(session: AuthorizeSession, data, origin: str = DAPP_ORIGIN) -> dict:
    """The one JSON-RPC answer to `data`, posted to `origin`."""
    (post,) = posts(session.on_message(from_dapp(data, origin)))
    assert post.target_origin == origin
    return post.message


def with_request(**kwargs) -> AuthorizeSession:
    session = connected()
    effects = session.on_message(from_dapp(icrc34_request(KEY, **kwargs)))
    assert session.state.phase is Phase.REQUEST_RECEIVED, effects
    return session


def test_first_heartbeat_opens_the_channel_and_is_answered_ready():
    session = started()
    effects = session.on_message(from_dapp(heartbeat(UUIDS[0])))
    assert effects == [
        CancelTimer(REQUEST_TIMER),
        PostMessage({"jsonrpc": "2.0", "id": UUIDS[0], "result": "ready"}, DAPP_ORIGIN),
        StartTimer(HEARTBEAT_TIMER, 10_000),
    ]
    assert session.state.protocol is Protocol.ICRC
    assert session.state.phase is Phase.WAITING_FOR_REQUEST


def test_each_heartbeat_is_answered_and_keeps_the_channel_alive():
    session = connected()
    for rpc_id in UUIDS:
        assert session.on_message(from_dapp(heartbeat(rpc_id))) == [
            PostMessage({"jsonrpc": "2.0", "id": rpc_id, "result": "ready"}, DAPP_ORIGIN),
            StartTimer(HEARTBEAT_TIMER, 10_000),
        ]
    assert answer(session, heartbeat(7)) == {"jsonrpc": "2.0", "id": 7, "result": "ready"}


def test_heartbeats_from_another_window_or_origin_are_ignored():
    session = connected()
    assert session.on_message(from_dapp(heartbeat(), from_opener=False)) == []
    assert session.on_message(from_dapp(heartbeat(), OTHER_ORIGIN)) == []  # the opener navigated away
    assert session.on_message(from_dapp(icrc34_request(KEY), OTHER_ORIGIN)) == []
    assert session.state.phase is Phase.WAITING_FOR_REQUEST


def test_a_heartbeat_not_from_the_opener_does_not_open_a_channel():
    session = started()
    assert session.on_message(from_dapp(heartbeat(), from_opener=False)) == []
    assert session.state.protocol is None


def test_heartbeat_without_id_is_a_notification_and_opens_nothing():
    session = started()
    assert session.on_message(from_dapp({"jsonrpc": "2.0", "method": "icrc29_status"})) == []
    assert session.on_message(from_dapp({"jsonrpc": "2.0", "method": "icrc29_status", "id": None})) == []
    assert session.state.protocol is None
    assert session.on_timer(REQUEST_TIMER)  # and the request timer still runs


def test_supported_standards_lists_icrc_25_29_34_95():
    session = connected()
    reply = answer(session, rpc("icrc25_supported_standards", rpc_id="s1"))
    assert reply == {"jsonrpc": "2.0", "id": "s1", "result": {"supportedStandards": [
        {"name": "ICRC-25", "url": SPECS + "icrc_25_signer_interaction_standard.md"},
        {"name": "ICRC-29", "url": SPECS + "icrc_29_window_post_message_transport.md"},
        {"name": "ICRC-34", "url": SPECS + "icrc_34_delegation.md"},
        {"name": "ICRC-95", "url": SPECS + "icrc_95_derivationorigin.md"},
    ]}}


def test_queries_tolerate_the_icrc95_param_the_signer_adds_to_every_request():
    session = connected()
    params = {"icrc95DerivationOrigin": OTHER_ORIGIN}
    assert "result" in answer(session, rpc("icrc25_supported_standards", params))
    assert "result" in answer(session, rpc("icrc25_permissions", params))


GRANTED = {"scopes": [{"scope": {"method": "icrc34_delegation"}, "state": "granted"}]}


def test_permissions_grant_icrc34_delegation():
    session = connected()
    assert answer(session, rpc("icrc25_permissions", rpc_id=1)) == {"jsonrpc": "2.0", "id": 1, "result": GRANTED}


@pytest.mark.parametrize("scopes", [
    [{"method": "icrc34_delegation"}],
    [{"method": "icrc27_accounts"}, {"method": "icrc49_call_canister"}],  # unknown scopes are ignored
    [],
])
def test_request_permissions_answers_every_supported_scope(scopes):
    session = connected()
    assert answer(session, rpc("icrc25_request_permissions", {"scopes": scopes}))["result"] == GRANTED


@pytest.mark.parametrize("params", [None, [], {"scopes": "icrc34_delegation"}, {"scopes": [{"method": 3}]},
                                    {"scopes": ["icrc34_delegation"]}])
def test_request_permissions_with_invalid_params(params):
    session = connected()
    error = answer(session, rpc("icrc25_request_permissions", params))["error"]
    assert error["code"] == -32602 and error["message"].startswith("Invalid params: ")


@pytest.mark.parametrize("method", ["icrc27_accounts", "icrc49_call_canister", "nope"])
def test_unknown_methods_are_method_not_found(method):
    session = connected()
    assert answer(session, rpc(method, {}, rpc_id="m")) == {
        "jsonrpc": "2.0", "id": "m", "error": {"code": -32601, "message": f"Method not found: {method}"}}


def test_notifications_get_no_answer():
    session = connected()
    assert session.on_message(from_dapp({"jsonrpc": "2.0", "method": "icrc25_supported_standards"})) == []
    assert session.on_message(from_dapp({"jsonrpc": "2.0", "method": "nope"})) == []
    assert session.on_message(from_dapp({"jsonrpc": "2.0", "method": "icrc34_delegation",
                                         "params": {"publicKey": b64(KEY)}})) == []
    assert session.state.phase is Phase.WAITING_FOR_REQUEST


@pytest.mark.parametrize("data,rpc_id,reason", [
    ({"jsonrpc": "1.0", "id": 1, "method": "icrc29_status"}, 1, "jsonrpc"),
    ({"jsonrpc": 2, "id": "a", "method": "icrc29_status"}, "a", "jsonrpc"),
    ({"jsonrpc": "2.0", "id": 1}, 1, "method"),
    ({"jsonrpc": "2.0", "id": 1, "method": 5}, 1, "method"),
    ({"jsonrpc": "2.0", "id": 1, "method": "icrc25_permissions", "params": "x"}, 1, "params"),
    ({"jsonrpc": "2.0", "id": True, "method": "icrc29_status"}, None, "id"),
    ({"jsonrpc": "2.0", "id": {"x": 1}, "method": "icrc29_status"}, None, "id"),
])
def test_malformed_json_rpc_is_invalid_request(data, rpc_id, reason):
    session = started()
    reply = answer(session, data)
    assert reply["id"] == rpc_id and reply["error"]["code"] == -32600
    assert reply["error"]["message"].startswith(f"Invalid request: {reason}")
    assert session.state.protocol is None  # a malformed message does not open the channel


def test_delegation_request_from_icp_sdk_auth_and_the_exact_result():
    session = connected()
    effects = session.on_message(from_dapp(icrc34_request(KEY, rpc_id=UUIDS[2])))
    (show,) = effects
    request = show.request
    assert request.protocol is Protocol.ICRC and request.request_origin == DAPP_ORIGIN
    assert request.session_public_key == KEY and request.max_time_to_live_ns == EIGHT_HOURS_NS
    expiration = 1_795_028_800_000_000_123
    effects = session.on_authenticated(result_for(KEY, expiration=expiration))
    chain = chain_for(KEY, expiration=expiration)
    assert effects == [
        PostMessage({"jsonrpc": "2.0", "id": UUIDS[2], "result": {
            "publicKey": b64(chain.public_key),
            "signerDelegation": [{
                "delegation": {"pubkey": b64(KEY), "expiration": "1795028800000000123"},
                "signature": b64(chain.delegations[0].signature),
            }],
        }}, DAPP_ORIGIN),
        CancelTimer(HEARTBEAT_TIMER),
        ShowCompleted(DAPP_ORIGIN),
    ]
    assert session.state.phase is Phase.COMPLETED


def test_the_result_decodes_as_the_signer_decodes_it():
    """@icp-sdk/signer: base64 strings, expiration matching ^[0-9]{1,20}$, leaf key = requested key."""
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(KEY)))
    result = post.message["result"]
    for link in result["signerDelegation"]:
        assert re.fullmatch(r"[0-9]{1,20}", link["delegation"]["expiration"])
    decoded = parse_chain_json(result)
    assert decoded == chain_for(KEY)
    assert decoded.delegations[-1].delegation.pubkey == KEY


def test_targets_are_text_in_the_result():
    from ic.principal import Principal

    target = Principal.from_text("bd3sg-teaaa-aaaaa-qaaba-cai")
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(KEY, targets=(target,))))
    assert post.message["result"]["signerDelegation"][0]["delegation"]["targets"] == ["bd3sg-teaaa-aaaaa-qaaba-cai"]


def test_a_request_may_open_the_channel_without_a_heartbeat():
    session = started()
    effects = session.on_message(from_dapp(icrc34_request(KEY)))
    assert effects[0] == CancelTimer(REQUEST_TIMER) and isinstance(effects[-1], ShowRequest)
    assert HEARTBEAT_TIMER not in [e.name for e in effects if isinstance(e, StartTimer)]


@pytest.mark.parametrize("ttl,expected", [
    (None, DEFAULT_TIME_TO_LIVE_NS),
    ("1", 1),
    (str(60 * 24 * 3600 * 1_000_000_000), MAX_TIME_TO_LIVE_NS),
    (str(2**64 - 1), MAX_TIME_TO_LIVE_NS),
])
def test_ttl_default_and_clamp(ttl, expected):
    session = with_request(ttl=ttl)
    assert session.state.request.max_time_to_live_ns == expected


def test_targets_are_checked_then_ignored_as_ii_does():
    session = connected()
    data = icrc34_request(KEY)
    data["params"]["targets"] = ["bd3sg-teaaa-aaaaa-qaaba-cai"]
    session.on_message(from_dapp(data))
    assert session.state.phase is Phase.REQUEST_RECEIVED


BAD_PARAMS = [
    (None, "params"),
    ([b64(KEY)], "params"),
    ({}, "publicKey"),
    ({"publicKey": None}, "publicKey"),
    ({"publicKey": KEY}, "publicKey"),  # raw bytes are not JSON: ICRC-34 wants base64
    ({"publicKey": b64(KEY)[:-4]}, "publicKey"),
    ({"publicKey": b64(KEY).rstrip("=") + "!"}, "publicKey"),
    ({"publicKey": b64(b"\x30\x00")}, "publicKey"),
    ({"publicKey": b64(KEY), "maxTimeToLive": 28800000000000}, "maxTimeToLive"),  # a number, not text
    ({"publicKey": b64(KEY), "maxTimeToLive": "-1"}, "maxTimeToLive"),
    ({"publicKey": b64(KEY), "maxTimeToLive": "0"}, "maxTimeToLive"),
    ({"publicKey": b64(KEY), "maxTimeToLive": "18446744073709551616"}, "maxTimeToLive"),
    ({"publicKey": b64(KEY), "maxTimeToLive": "1" * 21}, "maxTimeToLive"),
    ({"publicKey": b64(KEY), "maxTimeToLive": "8h"}, "maxTimeToLive"),
    ({"publicKey": b64(KEY), "targets": "bd3sg-teaaa-aaaaa-qaaba-cai"}, "targets"),
    ({"publicKey": b64(KEY), "targets": ["not a principal"]}, "targets[0]"),
    ({"publicKey": b64(KEY), "icrc95DerivationOrigin": "https://a.example/path"}, "icrc95DerivationOrigin"),
    ({"publicKey": b64(KEY), "icrc95DerivationOrigin": 1}, "icrc95DerivationOrigin"),
]


@pytest.mark.parametrize("params,field", BAD_PARAMS)
def test_invalid_params_are_32602_naming_the_field_and_never_delegated(params, field):
    session = connected()
    data = rpc("icrc34_delegation", params, rpc_id="d")
    if params is None:
        data.pop("params", None)
    effects = session.on_message(from_dapp(data))
    (post,) = posts(effects)
    assert post.target_origin == DAPP_ORIGIN
    assert post.message["id"] == "d" and post.message["error"]["code"] == -32602
    assert post.message["error"]["message"].startswith(f"Invalid params: {field}: ")
    assert CancelTimer(HEARTBEAT_TIMER) in effects
    assert any(isinstance(e, ShowFailure) and field in e.detail for e in effects)
    assert session.state.failure is FailureReason.INVALID_REQUEST
    assert session.on_authenticated(result_for(KEY)) == []
    # A corrected request in the same window is refused: the window answered already.
    again = answer(session, icrc34_request(KEY, rpc_id="e"))
    assert again["error"]["code"] == 1000 and "already answered" in again["error"]["message"]


def test_a_second_delegation_request_while_one_is_pending():
    session = with_request(rpc_id="first")
    assert session.on_message(from_dapp(icrc34_request(KEY, rpc_id="first"))) == []  # the same request again
    reply = answer(session, icrc34_request(ecdsa_session_key(2), rpc_id="second"))
    assert reply["id"] == "second" and reply["error"]["code"] == 1000
    assert "already being processed" in reply["error"]["message"]
    (post,) = posts(session.on_authenticated(result_for(KEY)))
    assert post.message["id"] == "first" and "result" in post.message


def test_after_completion_heartbeats_are_answered_but_the_channel_timer_stays_off():
    session = with_request()
    session.on_authenticated(result_for(KEY))
    assert session.on_message(from_dapp(heartbeat("late"))) == [
        PostMessage({"jsonrpc": "2.0", "id": "late", "result": "ready"}, DAPP_ORIGIN)]
    assert session.on_timer(HEARTBEAT_TIMER) == []
    assert session.state.phase is Phase.COMPLETED


def test_lost_heartbeat_fails_while_the_user_is_authenticating():
    session = with_request()
    effects = session.on_timer(HEARTBEAT_TIMER)
    assert posts(effects) == []
    assert isinstance(effects[-1], ShowFailure) and "stopped answering" in effects[-1].detail
    assert session.state.failure is FailureReason.CONNECTION_LOST
    # The delegation computed meanwhile is dropped.
    assert session.on_authenticated(result_for(KEY)) == []


def test_establish_timeout_without_any_message():
    session = started()
    effects = session.on_timer(REQUEST_TIMER)
    assert posts(effects) == [] and session.state.failure is FailureReason.NO_REQUEST


def test_user_cancel_is_action_aborted():
    session = with_request(rpc_id="c")
    effects = session.on_user_cancel()
    (post,) = posts(effects)
    assert post.message["id"] == "c" and post.message["error"]["code"] == 3001
    assert CancelTimer(HEARTBEAT_TIMER) in effects
    assert session.state.failure is FailureReason.CANCELLED


def test_user_cancel_before_the_delegation_request_posts_nothing():
    session = connected()
    effects = session.on_user_cancel()
    assert posts(effects) == [] and session.state.failure is FailureReason.CANCELLED


def test_delegation_failure_is_generic_error():
    session = with_request(rpc_id="f")
    (post,) = posts(session.on_delegation_failed("canister trapped"))
    assert post.message == {"jsonrpc": "2.0", "id": "f",
                            "error": {"code": 1000, "message": "Delegation failed: canister trapped"}}


def test_a_delegation_to_another_key_is_never_sent():
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(ecdsa_session_key(3))))
    assert "error" in post.message and "session key" in post.message["error"]["message"]


def test_icrc95_derivation_origin_listed_is_allowed():
    session = connected()
    effects = session.on_message(from_dapp(icrc34_request(KEY, derivation_origin=OTHER_ORIGIN)))
    assert effects == [FetchAlternativeOrigins(
        "http://localhost:4943/.well-known/ii-alternative-origins?canisterId=bd3sg-teaaa-aaaaa-qaaba-cai")]
    body = b'{"alternativeOrigins":["%s"]}' % DAPP_ORIGIN.encode()
    (show,) = session.on_alternative_origins(AlternativeOriginsResponse(200, False, body))
    assert show.request.derivation_origin == OTHER_ORIGIN and show.request.frontend_origin == OTHER_ORIGIN


@pytest.mark.parametrize("response", [
    AlternativeOriginsResponse(404, body=b"not found"),
    AlternativeOriginsResponse(200, redirected=True, body=b'{"alternativeOrigins":["%s"]}' % DAPP_ORIGIN.encode()),
    AlternativeOriginsResponse(200, body=b"{not json"),
    AlternativeOriginsResponse(0, error="TypeError: Failed to fetch"),
])
def test_icrc95_derivation_origin_refused_is_invalid_params(response):
    session = connected()
    session.on_message(from_dapp(icrc34_request(KEY, rpc_id="o", derivation_origin=OTHER_ORIGIN)))
    effects = session.on_alternative_origins(response)
    (post,) = posts(effects)
    assert post.message["id"] == "o" and post.message["error"]["code"] == -32602
    assert post.message["error"]["message"].startswith("Unverified derivation origin: ")
    assert session.state.failure is FailureReason.UNVERIFIED_ORIGIN
    assert session.on_authenticated(result_for(KEY)) == []


def test_once_icrc_is_chosen_legacy_requests_are_ignored_and_vice_versa():
    icrc_session = connected()
    assert icrc_session.on_message(from_dapp(auth_client_request(KEY))) == []
    assert icrc_session.state.protocol is Protocol.ICRC

    legacy_session = started()
    legacy_session.on_message(from_dapp(auth_client_request(KEY)))
    assert legacy_session.on_message(from_dapp(heartbeat())) == []
    assert legacy_session.on_message(from_dapp({"jsonrpc": "1.0"})) == []
    assert legacy_session.state.protocol is Protocol.LEGACY


def test_heartbeat_from_an_opaque_origin_fails_without_posting():
    session = started()
    effects = session.on_message(from_dapp(heartbeat(), "null"))
    assert posts(effects) == []
    assert session.state.failure is FailureReason.INVALID_REQUEST
