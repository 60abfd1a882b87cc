"""Bad input of every kind: always a 4xx with a reason, never a 500, never a state change."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cbor2

from replica.http.testing import AsgiClient, Clock, Ed25519Identity, call_content, envelope, make_replica


def encode(obj) -> bytes:
    """What a hostile client may send: any CBOR cbor2 can write (bignums too), tagged 55799."""
    return b"\xd9\xd9\xf7" + cbor2.dumps(obj)

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
ENDPOINTS = [f"/api/v2/canister/{WHOAMI}/call", f"/api/v3/canister/{WHOAMI}/call", f"/api/v2/canister/{WHOAMI}/query",
             f"/api/v2/canister/{WHOAMI}/read_state", f"/api/v4/canister/{WHOAMI}/call"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    replica = make_replica(tmp_path_factory.mktemp("bad"), clock=Clock())
    yield replica, AsgiClient(replica.api)
    replica.close()


def snapshot(replica):
    return len(replica.state.requests), dict(replica.state.certified_data)


cbor_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.binary(max_size=40)
    | st.text(max_size=20) | st.sampled_from(["call", "query", "read_state", "whoami", b"\x04"]),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(
        st.sampled_from(["content", "request_type", "sender", "ingress_expiry", "canister_id", "method_name", "arg",
                         "paths", "nonce", "sender_pubkey", "sender_sig", "sender_delegation", "delegation",
                         "pubkey", "expiration", "targets", "signature"]) | st.text(max_size=5),
        children,
        max_size=8,
    ),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=200), path=st.sampled_from(ENDPOINTS))
def test_random_bytes(setup, body, path):
    replica, client = setup
    before = snapshot(replica)
    res = client.post(path, body)
    assert 400 <= res.status < 500, (res.status, res.text)
    assert res.text
    assert snapshot(replica) == before


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(obj=cbor_values, path=st.sampled_from(ENDPOINTS))
def test_random_cbor_structures(setup, obj, path):
    replica, client = setup
    before = snapshot(replica)
    res = client.post(path, encode(obj))
    assert res.status != 500, res.text
    assert 400 <= res.status < 500 or res.status == 200, res.text
    assert snapshot(replica) == before


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["request_type", "sender", "ingress_expiry", "canister_id", "method_name", "arg", "nonce"]),
       value=cbor_values)
def test_one_field_replaced_in_a_signed_call(setup, field, value):
    assume(value is not None)  # None means "absent": that is the original, valid request
    replica, client = setup
    me = Ed25519Identity(b"\x07" * 32)
    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami_update", b"DIDL\x00\x00", me.principal)
    assume(value != content.get(field))
    env = envelope(content, me)
    env["content"] = dict(content, **{field: value})
    before = snapshot(replica)
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", encode(env))
    assert res.status == 400, res.text  # the signature no longer matches, or the field is malformed
    assert snapshot(replica) == before


def test_still_serving_after_all_that(setup):
    replica, client = setup
    assert client.get("/api/v2/status").status == 200
