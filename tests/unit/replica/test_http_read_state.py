"""read_state: path authorization, request_status privacy, subnet endpoint, certificates."""

from __future__ import annotations

import pytest

from replica.http.testing import (
    Ed25519Identity,
    call_content,
    chain_identity,
    encode,
    envelope,
    lookup,
    read_state_content,
    verified_tree,
)

WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
EMPTY_ARGS = b"DIDL\x00\x00"


def read(client, identity, paths, *, url=f"/api/v2/canister/{WHOAMI}/read_state", **kw):
    sender = identity.principal if identity else b"\x04"
    return client.post(url, encode(envelope(read_state_content(paths, sender, **kw), identity)))


def make_call(client, replica, identity) -> bytes:
    from ic.request_id import request_id

    content = call_content(replica.canisters["whoami"].canister_id.raw, "whoami_update", EMPTY_ARGS, identity.principal)
    assert client.post(f"/api/v2/canister/{WHOAMI}/call", encode(envelope(content, identity))).status == 202
    return request_id(content)


def test_time_is_always_there_and_current(client, replica, clock):
    res = read(client, None, [])
    tree = verified_tree(res.cbor()["certificate"], replica)
    raw = lookup(tree, [b"time"])
    value, shift = 0, 0
    for byte in raw:
        value |= (byte & 0x7F) << shift
        shift += 7
    assert value == clock()


def test_time_for_any_canister_id(client, replica):
    res = read(client, None, [[b"time"]], url="/api/v2/canister/ryjl3-tyaaa-aaaaa-aaaba-cai/read_state")
    assert res.status == 200


def test_request_status_is_private_to_its_sender(client, replica):
    alice, mallory = Ed25519Identity(), Ed25519Identity()
    rid = make_call(client, replica, alice)
    res = read(client, mallory, [[b"request_status", rid]])
    assert res.status == 403
    assert res.text == "The user tries to access Request ID not signed by the caller."
    assert read(client, None, [[b"request_status", rid, b"reply"]]).status == 403
    assert read(client, alice, [[b"request_status", rid]]).status == 200


def test_request_status_through_another_canister_url(client, replica):
    alice = Ed25519Identity()
    rid = make_call(client, replica, alice)
    res = read(client, alice, [[b"request_status", rid]], url="/api/v2/canister/rdmx6-jaaaa-aaaaa-aaadq-cai/read_state")
    assert res.status == 403


def test_request_status_outside_delegation_targets(client, replica):
    from ic.principal import Principal

    root = Ed25519Identity()
    rid = make_call(client, replica, root)
    narrow = chain_identity(root, [Ed25519Identity()], targets=[Principal.from_text("rdmx6-jaaaa-aaaaa-aaadq-cai").raw])
    res = read(client, narrow, [[b"request_status", rid]])
    assert res.status == 403 and "not one of the delegation targets" in res.text


def test_unknown_request_is_provably_absent(client, replica):
    res = read(client, Ed25519Identity(), [[b"request_status", b"\x11" * 32]])
    tree = verified_tree(res.cbor()["certificate"], replica)
    assert lookup(tree, [b"request_status", b"\x11" * 32, b"status"]) is None


def test_request_id_must_be_32_bytes_and_unique(client, replica):
    me = Ed25519Identity()
    assert read(client, me, [[b"request_status", b"short"]]).status == 400
    res = read(client, me, [[b"request_status", b"\x01" * 32], [b"request_status", b"\x02" * 32]])
    assert res.status == 400


@pytest.mark.parametrize(
    "path",
    [
        [b"canister", bytes.fromhex("00000000001000010101"), b"certified_data"],
        [b"canister"],
        [b"nonsense"],
        [],
        [b"request_status"],
    ],
)
def test_paths_outside_the_allow_list_are_404(client, replica, path):
    if path and path[0] == b"canister" and len(path) > 1:
        path[1] = replica.canisters["whoami"].canister_id.raw
    res = read(client, None, [path])
    assert res.status == 404 and res.text == "Invalid path requested."


def test_canister_paths_for_another_canister_are_400(client, replica):
    res = read(client, None, [[b"canister", bytes.fromhex("00000000000000070101"), b"module_hash"]])
    assert res.status == 400
    assert res.text.startswith("Effective principal id in URL")


def test_canister_controllers(client, replica):
    cid = replica.canisters["whoami"].canister_id.raw
    res = read(client, None, [[b"canister", cid, b"controllers"], [b"canister", cid, b"module_hash"]])
    tree = verified_tree(res.cbor()["certificate"], replica)
    from ic import cbor

    assert cbor.decode(lookup(tree, [b"canister", cid, b"controllers"]), max_size=100) == []


def test_subnet_endpoint(client, replica):
    from ic.principal import Principal

    sid = Principal.self_authenticating(replica.root_key)
    res = read(client, None, [[b"subnet"], [b"time"]], url=f"/api/v2/subnet/{sid.to_text()}/read_state")
    assert res.status == 200
    tree = verified_tree(res.cbor()["certificate"], replica)
    assert lookup(tree, [b"subnet", sid.raw, b"public_key"]) == replica.root_key
    res = read(client, None, [[b"request_status", b"\x00" * 32]], url=f"/api/v3/subnet/{sid.to_text()}/read_state")
    assert res.status == 404


def test_too_many_paths(client, replica):
    res = read(client, None, [[b"time"]] * 1001)
    assert res.status == 400 and "too many paths" in res.text


def test_signed_read_state_checks_expiry(client, replica, clock):
    res = read(client, Ed25519Identity(), [[b"time"]], ingress_expiry=clock() + 10 * 60 * 10**9)
    assert res.status == 400 and res.text.startswith("Invalid request expiry: ")


def test_v3_canister_read_state_alias(client, replica):
    res = read(client, None, [[b"time"]], url=f"/api/v3/canister/{WHOAMI}/read_state")
    assert res.status == 200
    verified_tree(res.cbor()["certificate"], replica)


def test_certificate_is_fresh_and_bound_to_this_root_key(client, replica, clock):
    from ic.certificate import verify_certificate
    from ic.errors import CertificateError
    from ic import bls
    from replica.certification.keys import generate_keys

    cert = read(client, None, [[b"time"]]).cbor()["certificate"]
    with pytest.raises(CertificateError):
        verify_certificate(cert, root_key_der=generate_keys().root.der, bls_verify=bls.arkworks_verify)
    with pytest.raises(CertificateError):  # ten minutes later it is stale
        verify_certificate(cert, root_key_der=replica.root_key, bls_verify=bls.arkworks_verify, now_ns=clock() + 600 * 10**9)
