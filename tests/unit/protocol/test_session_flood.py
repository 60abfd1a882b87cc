"""The session under a message flood (issue 11 item 7): junk never starves or resets the request.

Junk is what `app.browser.messaging.read_data` delivers of what a dapp (or another window) may
post that is no request: non-objects, unknown kinds, wrong-typed envelopes, `Unreadable` stand-ins
for huge or exotic values, messages from other windows and origins, malformed JSON-RPC,
notifications, and ICRC-25 queries or unknown methods, which are answered but bind nothing.
"""

from __future__ import annotations

import copy
import itertools

import pytest

from app.protocol import (
    HEARTBEAT_TIMER,
    MESSAGE_FIELDS,
    REQUEST_TIMER,
    AuthorizeSession,
    CancelTimer,
    FailureReason,
    IncomingMessage,
    Phase,
    PostMessage,
    Protocol,
    StartTimer,
    Unreadable,
    icrc,
    legacy,
)
from tests.unit.protocol.payloads import (
    DAPP_ORIGIN,
    II_ORIGIN,
    OTHER_ORIGIN,
    auth_client_request,
    b64,
    ecdsa_session_key,
    from_dapp,
    heartbeat,
    icrc34_request,
    result_for,
    rpc,
)

KEY = ecdsa_session_key()
OTHER_KEY = ecdsa_session_key(2)
HUGE = "x" * 1_000_000

JUNK_DATA = [
    42, "authorize-client", None, True, 2**64, 1.5, b"\x00", memoryview(KEY), [auth_client_request(KEY)], HUGE,
    Unreadable("an array of 262144 items"), Unreadable("a Map"), Unreadable("a string of 4194304 characters"),
    {}, {"kind": "authorize-ready"}, {"kind": "authorize-client-success", "delegations": []}, {"kind": HUGE},
    {"kind": 7}, {"kind": ["authorize-client"]}, {"kind": Unreadable("a String")}, {"kind": None},
    {"kind": "authorize-clientX", "sessionPublicKey": KEY}, {"sessionPublicKey": memoryview(KEY)},
    {"jsonrpc": "1.0", "id": 1, "method": "icrc29_status"}, {"jsonrpc": 2, "id": "a", "method": "icrc29_status"},
    {"jsonrpc": Unreadable("a string of 4194304 characters"), "id": 1, "method": "icrc29_status"},
    {"jsonrpc": "2.0", "id": {"x": 1}, "method": "icrc29_status"}, {"jsonrpc": "2.0", "id": True},
    {"jsonrpc": "2.0", "id": 3}, {"jsonrpc": "2.0", "id": 4, "method": 5}, {"jsonrpc": "2.0", "id": 5, "method": HUGE},
    {"jsonrpc": "2.0", "id": 6, "method": "icrc34_delegation", "params": "x"},
    {"jsonrpc": "2.0", "id": 7, "method": "icrc34_delegation", "params": Unreadable("an object of 65536 items")},
    {"jsonrpc": "2.0", "method": "icrc34_delegation", "params": {"publicKey": b64(KEY)}},  # a notification
    {"jsonrpc": "2.0", "method": "icrc29_status"},
    rpc("icrc25_supported_standards", rpc_id="q"), rpc("icrc25_permissions", rpc_id="p"),
    rpc("icrc25_request_permissions", {"scopes": [{"method": "icrc34_delegation"}]}, rpc_id="r"),
    rpc("icrc25_request_permissions", {"scopes": Unreadable("an array of 262144 items")}, rpc_id="r2"),
    rpc("icrc27_accounts", rpc_id="u"), rpc("nope", {"targets": Unreadable("an array of 262144 items")}, rpc_id="n"),
]
# Requests that would be valid from the opener, but come from another window or origin.
FOREIGN = [
    from_dapp(auth_client_request(OTHER_KEY), from_opener=False),
    from_dapp(auth_client_request(OTHER_KEY), OTHER_ORIGIN, from_opener=False),
    from_dapp(auth_client_request(OTHER_KEY), II_ORIGIN),
    from_dapp(heartbeat(), from_opener=False),
    from_dapp(heartbeat(), II_ORIGIN),
    from_dapp(icrc34_request(OTHER_KEY), from_opener=False),
    from_dapp(rpc("icrc25_supported_standards"), "null"),
]


def junk(count: int = 1000) -> list[IncomingMessage]:
    """`count` junk messages: the opener's junk data, interleaved with other windows' requests."""
    opener = (from_dapp(data) for data in itertools.cycle(JUNK_DATA))
    foreign = itertools.cycle(FOREIGN)
    return [next(foreign) if i % 7 == 6 else next(opener) for i in range(count)]


def started() -> AuthorizeSession:
    session = AuthorizeSession(II_ORIGIN)
    session.start(has_opener=True)
    return session


def flood(session: AuthorizeSession, messages: list[IncomingMessage]) -> list:
    """Feed `messages`; check that each costs at most one short answer to its own sender."""
    effects = []
    for message in messages:
        out = session.on_message(message)
        assert len(out) <= 1, (message, out)
        for effect in out:
            assert isinstance(effect, PostMessage) and effect.target_origin == message.origin == DAPP_ORIGIN
            assert len(repr(effect.message)) < 2_000  # huge fields are never echoed
        effects.extend(out)
    return effects


@pytest.mark.parametrize("data", JUNK_DATA)
def test_each_junk_message_is_answered_at_most_once_and_changes_nothing(data):
    session = started()
    before = copy.deepcopy(vars(session))
    flood(session, [from_dapp(data)])
    assert vars(session) == before  # nothing stored, no timer started or stopped
    assert session.state.phase is Phase.WAITING_FOR_REQUEST and session.state.protocol is None


def test_a_thousand_junk_messages_store_nothing_and_leave_the_request_timer_alone():
    session = started()
    before = copy.deepcopy(vars(session))
    effects = flood(session, junk())
    assert not [e for e in effects if isinstance(e, (StartTimer, CancelTimer))]
    assert vars(session) == before
    # The 10 s timer started by `start()` still fires: junk is no request.
    (screen,) = session.on_timer(REQUEST_TIMER)
    assert session.state.failure is FailureReason.NO_REQUEST and "10 seconds" in screen.detail


def test_legacy_request_after_a_flood_is_served():
    session = started()
    flood(session, junk())
    effects = session.on_message(from_dapp(auth_client_request(KEY)))
    assert CancelTimer(REQUEST_TIMER) in effects
    assert session.state.phase is Phase.REQUEST_RECEIVED and session.state.protocol is Protocol.LEGACY
    flood(session, junk())  # more junk while the user signs in changes nothing either
    (post,) = [e for e in session.on_authenticated(result_for(KEY)) if isinstance(e, PostMessage)]
    assert post.target_origin == DAPP_ORIGIN and post.message["kind"] == "authorize-client-success"
    assert post.message["delegations"][0]["delegation"]["pubkey"] == KEY


@pytest.mark.parametrize("with_heartbeat", [True, False])
def test_icrc_request_after_a_flood_is_served(with_heartbeat):
    session = started()
    flood(session, junk())
    if with_heartbeat:
        session.on_message(from_dapp(heartbeat()))
    session.on_message(from_dapp(icrc34_request(KEY, rpc_id="the-request")))
    assert session.state.phase is Phase.REQUEST_RECEIVED and session.state.protocol is Protocol.ICRC
    effects = flood(session, junk())
    assert not [e for e in effects if isinstance(e, StartTimer)]  # junk does not keep the channel alive
    (post,) = [e for e in session.on_authenticated(result_for(KEY)) if isinstance(e, PostMessage)]
    assert post.target_origin == DAPP_ORIGIN and post.message["id"] == "the-request"
    assert post.message["result"]["signerDelegation"][0]["delegation"]["pubkey"] == b64(KEY)


def test_junk_does_not_reset_the_heartbeat_timer():
    session = started()
    session.on_message(from_dapp(heartbeat()))
    effects = flood(session, junk())
    assert not [e for e in effects if isinstance(e, (StartTimer, CancelTimer))]
    session.on_timer(HEARTBEAT_TIMER)
    assert session.state.failure is FailureReason.CONNECTION_LOST


def test_queries_before_the_channel_are_answered_but_bind_nothing():
    session = started()
    (post,) = session.on_message(from_dapp(rpc("icrc25_supported_standards", rpc_id="s")))
    assert post.target_origin == DAPP_ORIGIN and post.message["id"] == "s" and "result" in post.message
    (post,) = session.on_message(from_dapp(rpc("nope", rpc_id="n")))
    assert post.message["error"]["code"] == -32601
    assert session.state.protocol is None
    # So a legacy dapp that probes ICRC first is still served (this hung the window before).
    session.on_message(from_dapp(auth_client_request(KEY)))
    assert session.state.phase is Phase.REQUEST_RECEIVED and session.state.protocol is Protocol.LEGACY


class _Recording(dict):
    """A message object that records every key the session reads of it."""

    read: set[str] = set()

    def get(self, key, default=None):
        _Recording.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key):
        _Recording.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        _Recording.read.add(key)
        return super().__contains__(key)


def _recording(value):
    if isinstance(value, dict):
        return _Recording({key: _recording(item) for key, item in value.items()})
    if isinstance(value, list):
        return [_recording(item) for item in value]
    return value


def test_the_session_reads_no_key_the_adapter_leaves_out():
    """`read_data` keeps only `MESSAGE_FIELDS` of each object: that must be all the session reads."""
    _Recording.read = set()
    requests = [
        auth_client_request(KEY, derivationOrigin=DAPP_ORIGIN, autoSelectionPrincipal="2vxsx-fae",
                            allowPinAuthentication=False, customValue=1),
        rpc("icrc25_request_permissions", {"scopes": [{"method": "icrc34_delegation", "x": 1}]}),
        icrc34_request(KEY, derivation_origin=DAPP_ORIGIN) | {"params": {
            "publicKey": b64(KEY), "maxTimeToLive": "1", "targets": ["2vxsx-fae"], "icrc95DerivationOrigin": DAPP_ORIGIN}},
    ]
    for data in [*requests, *JUNK_DATA]:
        for first in (None, heartbeat()):
            session = started()
            if first:
                session.on_message(from_dapp(first))
            session.on_message(from_dapp(_recording(data)))
    assert _Recording.read <= set(MESSAGE_FIELDS)
    assert set(legacy.REQUEST_FIELDS) | {"jsonrpc", "id", "method", "params", "publicKey", "scopes"} <= _Recording.read
    assert icrc.CHANNEL_METHODS == ("icrc29_status", "icrc34_delegation")
