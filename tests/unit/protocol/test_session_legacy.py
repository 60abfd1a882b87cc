"""The authorize session speaking the legacy `authorize-client` protocol (@dfinity/auth-client 3.x)."""

from __future__ import annotations

import base64

import pytest

from app.protocol import (
    HEARTBEAT_TIMER,
    REQUEST_TIMER,
    AlternativeOriginsResponse,
    AuthnMethod,
    AuthorizeSession,
    BigIntValue,
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
from tests.unit.protocol.payloads import (
    DAPP_ORIGIN,
    EIGHT_HOURS_NS,
    II_ORIGIN,
    OTHER_ORIGIN,
    auth_client_request,
    b64,
    chain_for,
    ecdsa_session_key,
    ed25519_session_key,
    from_dapp,
    result_for,
)

KEY = ecdsa_session_key()


def started() -> AuthorizeSession:
    session = AuthorizeSession(II_ORIGIN)
    session.start(has_opener=True)
    return session


def posts(effects) -> list[PostMessage]:
    return [e for e in effects if isinstance(e, PostMessage)]


def with_request(**custom) -> AuthorizeSession:
    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY, **custom)))
    assert session.state.phase is Phase.REQUEST_RECEIVED, effects
    return session


def test_start_greets_the_opener_with_target_star_and_waits_ten_seconds():
    session = AuthorizeSession(II_ORIGIN)
    assert session.state.phase is Phase.NOT_STARTED
    assert session.start(has_opener=True) == [
        PostMessage({"kind": "authorize-ready"}, "*"),
        StartTimer(REQUEST_TIMER, 10_000),
    ]
    assert session.state.phase is Phase.WAITING_FOR_REQUEST
    with pytest.raises(RuntimeError):
        session.start(has_opener=True)


def test_no_opener_is_a_failure_screen_and_posts_nothing():
    session = AuthorizeSession(II_ORIGIN)
    effects = session.start(has_opener=False)
    assert len(effects) == 1 and isinstance(effects[0], ShowFailure)
    assert "not opened by a dapp" in effects[0].detail
    assert session.state.phase is Phase.FAILED
    assert session.state.failure is FailureReason.NO_OPENER
    # Nothing revives it.
    assert session.on_message(from_dapp(auth_client_request(KEY))) == []
    assert session.on_authenticated(result_for(KEY)) == []


def test_messages_before_start_are_a_usage_error():
    with pytest.raises(RuntimeError):
        AuthorizeSession(II_ORIGIN).on_message(from_dapp(auth_client_request(KEY)))


def test_own_origin_must_be_an_origin():
    with pytest.raises(ValueError):
        AuthorizeSession(II_ORIGIN + "/#authorize")


def test_auth_client_request_shows_the_requesting_origin():
    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY)))
    assert effects[0] == CancelTimer(REQUEST_TIMER)
    assert isinstance(effects[1], ShowRequest) and len(effects) == 2
    request = effects[1].request
    assert request.protocol is Protocol.LEGACY
    assert request.request_origin == DAPP_ORIGIN
    assert request.frontend_origin == DAPP_ORIGIN
    assert request.session_public_key == KEY
    assert request.max_time_to_live_ns == EIGHT_HOURS_NS
    assert request.derivation_origin is None and request.allow_pin_authentication is None
    assert session.state.request == request and session.state.protocol is Protocol.LEGACY


def test_success_goes_to_the_request_origin_only_with_structured_clone_types():
    session = with_request()
    effects = session.on_authenticated(result_for(KEY, expiration=1_795_028_800_000_000_000))
    assert effects[1:] == [ShowCompleted(DAPP_ORIGIN)]
    (post,) = posts(effects)
    assert post.target_origin == DAPP_ORIGIN
    chain = chain_for(KEY, expiration=1_795_028_800_000_000_000)
    assert post.message == {
        "kind": "authorize-client-success",
        "delegations": [{
            "delegation": {"pubkey": KEY, "expiration": BigIntValue(1_795_028_800_000_000_000)},
            "signature": chain.delegations[0].signature,
        }],
        "userPublicKey": chain.public_key,
        "authnMethod": "passkey",
    }
    assert session.state.phase is Phase.COMPLETED
    # Answered once: a second result, a cancel or a timer changes nothing.
    assert session.on_authenticated(result_for(KEY)) == []
    assert session.on_user_cancel() == []
    assert session.on_timer(REQUEST_TIMER) == []


def test_small_expirations_are_still_marked_bigint():
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(KEY, expiration=5)))
    assert post.message["delegations"][0]["delegation"]["expiration"] == BigIntValue(5)


@pytest.mark.parametrize("method", list(AuthnMethod))
def test_authn_method_is_reported(method):
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(KEY, method)))
    assert post.message["authnMethod"] == method.value


def test_targets_are_sent_in_the_structured_clone_form_of_a_principal():
    from ic.principal import Principal

    target = Principal.from_text("bd3sg-teaaa-aaaaa-qaaba-cai")
    session = with_request()
    (post,) = posts(session.on_authenticated(result_for(KEY, targets=(target,))))
    assert post.message["delegations"][0]["delegation"]["targets"] == [{"_arr": target.raw, "_isPrincipal": True}]


@pytest.mark.parametrize("key_form", ["memoryview", "bytes", "bytearray", "base64"])
@pytest.mark.parametrize("ttl_form,expected", [
    (EIGHT_HOURS_NS, EIGHT_HOURS_NS),  # bigint
    (3_600_000_000_000, 3_600_000_000_000),  # a number (safe integer)
    (3_600_000_000_000.0, 3_600_000_000_000),  # a number that reached Python as a float
    ("3600000000000", 3_600_000_000_000),  # a decimal string (what II's redirect encodes)
    (None, DEFAULT_TIME_TO_LIVE_NS),  # undefined
])
def test_accepted_forms(key_form, ttl_form, expected):
    key = {"memoryview": memoryview(KEY), "bytes": KEY, "bytearray": bytearray(KEY), "base64": b64(KEY)}[key_form]
    session = started()
    session.on_message(from_dapp(auth_client_request(KEY, sessionPublicKey=key, maxTimeToLive=ttl_form)))
    assert session.state.request.session_public_key == KEY
    assert session.state.request.max_time_to_live_ns == expected


def test_absent_ttl_key_gets_the_thirty_minute_default():
    data = auth_client_request(KEY)
    del data["maxTimeToLive"]
    session = started()
    session.on_message(from_dapp(data))
    assert session.state.request.max_time_to_live_ns == 30 * 60 * 1_000_000_000
    assert session.state.request.requested_time_to_live_ns is None


def test_two_months_is_clamped_to_thirty_days():
    two_months = 60 * 24 * 3600 * 1_000_000_000
    session = with_request(maxTimeToLive=two_months)
    assert session.state.request.max_time_to_live_ns == MAX_TIME_TO_LIVE_NS == 30 * 24 * 3600 * 1_000_000_000
    assert session.state.request.requested_time_to_live_ns == two_months


def test_ed25519_session_key_and_custom_values():
    key = ed25519_session_key()
    session = started()
    session.on_message(from_dapp(auth_client_request(
        key, autoSelectionPrincipal="2vxsx-fae", allowPinAuthentication=False, someCustomValue={"x": 1})))
    request = session.state.request
    assert request.session_public_key == key
    assert request.auto_selection_principal.to_text() == "2vxsx-fae"
    assert request.allow_pin_authentication is False


INVALID = [
    ({"sessionPublicKey": None}, "sessionPublicKey", "missing"),
    ({"sessionPublicKey": memoryview(b"")}, "sessionPublicKey", "empty"),
    ({"sessionPublicKey": memoryview(b"\x30\x03\x02\x01\x01")}, "sessionPublicKey", "DER"),
    ({"sessionPublicKey": KEY[:-1]}, "sessionPublicKey", "DER"),
    ({"sessionPublicKey": list(KEY)}, "sessionPublicKey", "array"),
    ({"sessionPublicKey": "not base64!"}, "sessionPublicKey", "base64"),
    ({"sessionPublicKey": memoryview(KEY + b"\x00").cast("H")}, "sessionPublicKey", "2-byte"),
    ({"maxTimeToLive": -1}, "maxTimeToLive", "negative"),
    ({"maxTimeToLive": 0}, "maxTimeToLive", "greater than 0"),
    ({"maxTimeToLive": 2**64}, "maxTimeToLive", "64 bits"),
    ({"maxTimeToLive": "1e9"}, "maxTimeToLive", "decimal"),
    ({"maxTimeToLive": " 12"}, "maxTimeToLive", "decimal"),
    ({"maxTimeToLive": 1.5}, "maxTimeToLive", "whole number"),
    ({"maxTimeToLive": float("nan")}, "maxTimeToLive", "whole number"),
    ({"maxTimeToLive": True}, "maxTimeToLive", "boolean"),
    ({"maxTimeToLive": [1]}, "maxTimeToLive", "array"),
    ({"derivationOrigin": "https://example.org/"}, "derivationOrigin", "bare origin"),
    ({"derivationOrigin": "https://Example.org"}, "derivationOrigin", "bare origin"),
    ({"derivationOrigin": "https://example.org:443"}, "derivationOrigin", "bare origin"),
    ({"derivationOrigin": "example.org"}, "derivationOrigin", "bare origin"),
    ({"derivationOrigin": 42}, "derivationOrigin", "number"),
    ({"allowPinAuthentication": "yes"}, "allowPinAuthentication", "boolean"),
    ({"autoSelectionPrincipal": "not-a-principal"}, "autoSelectionPrincipal", "principal"),
    ({"autoSelectionPrincipal": 7}, "autoSelectionPrincipal", "principal text"),
]


@pytest.mark.parametrize("custom,field,why", INVALID)
def test_invalid_request_is_answered_with_the_field_and_never_delegated(custom, field, why):
    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY, **custom)))
    (post,) = posts(effects)
    assert post.target_origin == DAPP_ORIGIN
    assert post.message["kind"] == "authorize-client-failure"
    assert set(post.message) == {"kind", "text"}
    assert post.message["text"].startswith(f"Invalid request: {field}: ")
    assert why in post.message["text"]
    assert CancelTimer(REQUEST_TIMER) in effects
    (screen,) = [e for e in effects if isinstance(e, ShowFailure)]
    assert field in screen.detail and "The dapp was told" in screen.detail
    assert session.state.phase is Phase.FAILED and session.state.failure is FailureReason.INVALID_REQUEST
    assert session.state.request is None
    # A bad request never yields a delegation, and a valid one sent afterwards is not taken.
    assert session.on_authenticated(result_for(KEY)) == []
    assert session.on_message(from_dapp(auth_client_request(KEY))) == []
    assert session.state.phase is Phase.FAILED


@pytest.mark.parametrize("message", [
    from_dapp(auth_client_request(KEY), from_opener=False),  # another window, even with the dapp's origin
    from_dapp(auth_client_request(KEY), OTHER_ORIGIN, from_opener=False),
    from_dapp(auth_client_request(KEY), II_ORIGIN),  # II's own origin (e.g. an extension)
    from_dapp({"kind": "authorize-ready"}),
    from_dapp({"kind": "something-else", "sessionPublicKey": KEY}),
    from_dapp("authorize-client"),
    from_dapp(None),
    from_dapp([auth_client_request(KEY)]),
])
def test_messages_that_are_not_a_request_from_the_opener_are_ignored(message):
    session = started()
    assert session.on_message(message) == []
    assert session.state.phase is Phase.WAITING_FOR_REQUEST and session.state.protocol is None
    # ... and the real request still works afterwards.
    session.on_message(from_dapp(auth_client_request(KEY)))
    assert session.state.phase is Phase.REQUEST_RECEIVED


def test_duplicate_requests_are_ignored_without_a_failure_reply():
    session = with_request()
    other_key = ecdsa_session_key(2)
    assert session.on_message(from_dapp(auth_client_request(other_key))) == []
    assert session.on_message(from_dapp(auth_client_request(KEY, sessionPublicKey=None))) == []
    assert session.state.request.session_public_key == KEY
    (post,) = posts(session.on_authenticated(result_for(KEY)))
    assert post.message["delegations"][0]["delegation"]["pubkey"] == KEY


def test_opaque_origin_fails_on_screen_without_posting():
    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY), "null"))
    assert posts(effects) == []
    assert session.state.failure is FailureReason.INVALID_REQUEST
    (screen,) = [e for e in effects if isinstance(e, ShowFailure)]
    assert "opaque origin" in screen.detail


def test_no_request_within_ten_seconds_fails_without_posting():
    session = started()
    effects = session.on_timer(REQUEST_TIMER)
    assert posts(effects) == []
    (screen,) = effects
    assert isinstance(screen, ShowFailure) and "10 seconds" in screen.detail
    assert session.state.failure is FailureReason.NO_REQUEST
    assert session.on_message(from_dapp(auth_client_request(KEY))) == []


def test_a_cancelled_timer_firing_late_is_ignored():
    session = with_request()
    assert session.on_timer(REQUEST_TIMER) == []
    assert session.on_timer(HEARTBEAT_TIMER) == []
    assert session.on_timer("unknown") == []
    assert session.state.phase is Phase.REQUEST_RECEIVED


def test_user_cancel_tells_the_dapp_user_interrupt():
    session = with_request()
    effects = session.on_user_cancel()
    (post,) = posts(effects)
    assert post == PostMessage({"kind": "authorize-client-failure", "text": "UserInterrupt"}, DAPP_ORIGIN)
    assert session.state.failure is FailureReason.CANCELLED
    assert session.on_authenticated(result_for(KEY)) == []


def test_user_cancel_before_any_request_posts_nothing():
    session = started()
    effects = session.on_user_cancel()
    assert posts(effects) == [] and CancelTimer(REQUEST_TIMER) in effects
    assert session.state.failure is FailureReason.CANCELLED


def test_delegation_failure_is_reported_to_the_dapp():
    session = with_request()
    effects = session.on_delegation_failed("the II canister rejected prepare_delegation")
    (post,) = posts(effects)
    assert post.target_origin == DAPP_ORIGIN
    assert post.message == {"kind": "authorize-client-failure",
                            "text": "Authorization failed: the II canister rejected prepare_delegation"}
    assert session.state.failure is FailureReason.DELEGATION_FAILED


def test_a_delegation_to_another_key_is_never_sent():
    session = with_request()
    effects = session.on_authenticated(result_for(ecdsa_session_key(9)))
    (post,) = posts(effects)
    assert post.message["kind"] == "authorize-client-failure"
    assert "session key" in post.message["text"]
    assert session.state.phase is Phase.FAILED


def test_an_empty_chain_is_never_sent():
    from app.protocol import AuthorizationResult
    from ic.delegation import DelegationChain

    session = with_request()
    (post,) = posts(session.on_authenticated(AuthorizationResult(DelegationChain((), chain_for(KEY).public_key))))
    assert post.message["kind"] == "authorize-client-failure"


def test_derivation_origin_equal_to_the_request_origin_needs_no_check():
    session = with_request(derivationOrigin=DAPP_ORIGIN)
    assert session.state.request.derivation_origin == DAPP_ORIGIN


def test_listed_derivation_origin_is_allowed():
    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY, derivationOrigin=OTHER_ORIGIN)))
    url = "http://localhost:4943/.well-known/ii-alternative-origins?canisterId=bd3sg-teaaa-aaaaa-qaaba-cai"
    assert effects == [CancelTimer(REQUEST_TIMER), FetchAlternativeOrigins(url)]
    assert session.state.phase is Phase.CHECKING_DERIVATION_ORIGIN
    assert session.on_authenticated(result_for(KEY)) == []  # not before the check passed
    body = b'{"alternativeOrigins": ["%s"]}' % DAPP_ORIGIN.encode()
    effects = session.on_alternative_origins(AlternativeOriginsResponse(200, False, body))
    assert effects == [ShowRequest(session.state.request)]
    assert session.state.request.frontend_origin == OTHER_ORIGIN
    (post,) = posts(session.on_authenticated(result_for(KEY)))
    assert post.target_origin == DAPP_ORIGIN  # the answer still goes to the requesting origin


def test_unlisted_derivation_origin_is_refused_with_the_classic_text():
    session = started()
    session.on_message(from_dapp(auth_client_request(KEY, derivationOrigin=OTHER_ORIGIN)))
    effects = session.on_alternative_origins(
        AlternativeOriginsResponse(200, False, b'{"alternativeOrigins": ["https://elsewhere.example"]}'))
    (post,) = posts(effects)
    assert post.target_origin == DAPP_ORIGIN
    assert post.message["text"].startswith("Invalid derivation origin: ")
    assert "is not listed" in post.message["text"]
    assert session.state.failure is FailureReason.UNVERIFIED_ORIGIN
    assert session.on_authenticated(result_for(KEY)) == []


def test_derivation_origin_on_a_custom_domain_resolves_the_canister_first():
    from app.protocol import ResolveCanisterId

    session = started()
    effects = session.on_message(from_dapp(auth_client_request(KEY, derivationOrigin="https://nice.example")))
    assert effects[-1] == ResolveCanisterId("https://nice.example")
    assert session.on_alternative_origins(AlternativeOriginsResponse(200)) == []  # nothing fetched yet
    effects = session.on_canister_id("bd3sg-teaaa-aaaaa-qaaba-cai")
    assert effects == [FetchAlternativeOrigins(
        "http://localhost:4943/.well-known/ii-alternative-origins?canisterId=bd3sg-teaaa-aaaaa-qaaba-cai")]
    assert session.on_canister_id("bd3sg-teaaa-aaaaa-qaaba-cai") == []  # a late repeat
    body = b'{"alternativeOrigins": ["%s"]}' % DAPP_ORIGIN.encode()
    assert isinstance(session.on_alternative_origins(AlternativeOriginsResponse(200, body=body))[0], ShowRequest)


@pytest.mark.parametrize("header", [None, "", "not a principal"])
def test_unresolvable_custom_domain_is_refused(header):
    session = started()
    session.on_message(from_dapp(auth_client_request(KEY, derivationOrigin="https://nice.example")))
    (post,) = posts(session.on_canister_id(header))
    assert "could not resolve the canister id" in post.message["text"]
    assert session.state.failure is FailureReason.UNVERIFIED_ORIGIN


def test_user_cancel_while_the_list_is_fetched_drops_the_late_answer():
    session = started()
    session.on_message(from_dapp(auth_client_request(KEY, derivationOrigin=OTHER_ORIGIN)))
    session.on_user_cancel()
    body = b'{"alternativeOrigins": ["%s"]}' % DAPP_ORIGIN.encode()
    assert session.on_alternative_origins(AlternativeOriginsResponse(200, body=body)) == []
    assert session.state.failure is FailureReason.CANCELLED


def test_base64_session_key_request_as_ii_redirect_encodes_it():
    """The current II re-encodes requests with base64 keys and decimal-string TTLs."""
    session = started()
    session.on_message(from_dapp({"kind": "authorize-client", "sessionPublicKey": base64.b64encode(KEY).decode(),
                                  "maxTimeToLive": "28800000000000"}))
    assert session.state.request.session_public_key == KEY
    assert session.state.request.max_time_to_live_ns == EIGHT_HOURS_NS
