"""Properties of the session under arbitrary message sequences (hypothesis).

Whatever arrives: no exception escapes, answers go only to the origin of a message from the
opener (or `"*"` for the content-free `authorize-ready`), and a delegation is posted only for a
validated request to its own session key.
"""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

from app.protocol import AuthorizeSession, IncomingMessage, Phase, PostMessage, Protocol, Unreadable
from tests.unit.protocol.payloads import (
    DAPP_ORIGIN,
    II_ORIGIN,
    OTHER_ORIGIN,
    auth_client_request,
    b64,
    ecdsa_session_key,
    heartbeat,
    icrc34_request,
    result_for,
)

KEY = ecdsa_session_key()
OTHER_KEY = ecdsa_session_key(2)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True),
    st.text(max_size=30), st.binary(max_size=100).map(memoryview), st.builds(Unreadable, st.text(max_size=10)),
    st.sampled_from([KEY, b64(KEY), OTHER_KEY, "2vxsx-fae", OTHER_ORIGIN, DAPP_ORIGIN, "28800000000000",
                     "icrc34_delegation", "icrc29_status", "authorize-client", "2.0"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=5)), max_leaves=12)

field_names = st.sampled_from(["kind", "sessionPublicKey", "maxTimeToLive", "derivationOrigin",
                               "allowPinAuthentication", "autoSelectionPrincipal", "jsonrpc", "id", "method",
                               "params", "publicKey", "icrc95DerivationOrigin", "targets"])


@st.composite
def mutated(draw, base):
    data = dict(base)
    for _ in range(draw(st.integers(0, 3))):
        data[draw(field_names)] = draw(values)
    return data


payloads = st.one_of(
    values,
    mutated(auth_client_request(KEY)),
    mutated(icrc34_request(KEY)),
    mutated(icrc34_request(KEY)["params"]).map(lambda p: {"jsonrpc": "2.0", "id": 1, "method": "icrc34_delegation",
                                                          "params": p}),
    st.just(auth_client_request(KEY)),
    st.just(icrc34_request(KEY)),
    st.just(heartbeat()),
)
messages = st.builds(IncomingMessage, payloads, st.sampled_from([DAPP_ORIGIN, OTHER_ORIGIN, II_ORIGIN, "null"]),
                     st.booleans())


@settings(max_examples=200, deadline=None)
@given(st.lists(messages, max_size=6), st.booleans())
def test_arbitrary_sequences_respect_the_invariants(sequence, authenticate_with_own_key):
    session = AuthorizeSession(II_ORIGIN)
    effects = list(session.start(has_opener=True))
    for message in sequence:
        out = session.on_message(message)
        for effect in out:
            if isinstance(effect, PostMessage):
                assert message.from_opener and message.origin not in (II_ORIGIN, "null")
                assert effect.target_origin == message.origin
        effects.extend(out)
    state = session.state
    event(f"{state.protocol} {state.phase.value}")
    if state.request is not None:
        assert state.request.request_origin == DAPP_ORIGIN or state.request.request_origin == OTHER_ORIGIN
    key = KEY if authenticate_with_own_key else OTHER_KEY
    before = state.phase
    delivered = session.on_authenticated(result_for(key))
    successes = [e for e in delivered if isinstance(e, PostMessage)
                 and (e.message.get("kind") == "authorize-client-success" or "result" in e.message)]
    if successes:
        assert before is Phase.REQUEST_RECEIVED
        assert state.request.session_public_key == key
        (success,) = successes
        assert success.target_origin == state.request.request_origin
        if state.protocol is Protocol.LEGACY:
            assert success.message["delegations"][0]["delegation"]["pubkey"] == key
        else:
            assert success.message["result"]["signerDelegation"][0]["delegation"]["pubkey"] == b64(key)
    else:
        assert before is not Phase.REQUEST_RECEIVED or state.request.session_public_key != key
