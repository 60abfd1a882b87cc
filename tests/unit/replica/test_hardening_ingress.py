"""The ingress history is bounded, and durable: a replay after a restart is answered, not executed.

Findings 1 and 3 of issue 11: every reply was kept in memory until its expiry with no cap, and
replay protection lived only in memory, so a captured `add` replayed after a restart brought back a
device its owner had removed.
"""

from __future__ import annotations

import pytest

from ic.candid.encode import encode as candid_encode
from ic.request_id import request_id
from replica.certification.request_status import IngressHistoryFull, Outcome, RequestRecord, RequestStatusStore
from replica.http.testing import (
    AsgiClient,
    Clock,
    Ed25519Identity,
    call_content,
    encode,
    envelope,
    lookup,
    make_replica,
    read_state_content,
    verified_tree,
)
from tests.unit.replica.test_ii_support import device, reference_did

II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"


def record(n: int, *, reply: bytes | None = b"r", expiry: int = 100) -> RequestRecord:
    outcome = Outcome(reply=reply) if reply is not None else Outcome.rejected(4, "no", "IC0406")
    return RequestRecord(n.to_bytes(32, "big"), b"s", b"c", expiry, "replied" if reply is not None else "rejected", outcome)


# -- the store's bounds ---------------------------------------------------------------------------


def test_past_the_byte_budget_the_oldest_replies_are_pruned_to_done_and_the_newest_kept():
    store = RequestStatusStore(max_reply_bytes=2500)
    for n in range(5):
        store.put(record(n, reply=bytes(1000)))
    assert store.reply_bytes <= 2500
    statuses = [store.get(n.to_bytes(32, "big")).status for n in range(5)]
    assert statuses == ["done", "done", "done", "replied", "replied"]
    assert store.get((0).to_bytes(32, "big")).tree() == {b"status": b"done"}
    # one reply larger than the whole budget still answers its own call
    store.put(record(9, reply=bytes(10_000)))
    assert store.get((9).to_bytes(32, "big")).status == "replied"
    assert [store.get(n.to_bytes(32, "big")).status for n in (3, 4)] == ["done", "done"]


def test_reject_messages_count_against_the_budget_too():
    store = RequestStatusStore(max_reply_bytes=10)
    store.put(RequestRecord(b"a" * 32, b"s", b"c", 100, "rejected", Outcome.rejected(4, "x" * 20, "IC0406")))
    store.put(record(2))
    assert store.get(b"a" * 32).status == "done"


def test_a_full_history_refuses_a_new_call_until_records_expire():
    store = RequestStatusStore(max_entries=3)
    for n in range(3):
        store.put(record(n, expiry=1_000_000_000 * (n + 10)))
    with pytest.raises(IngressHistoryFull, match=r"ingress history is full: 3 calls .* limit is 3\). Retry in about 10 s"):
        store.admit(now_ns=1_000_000_000)
    store.admit(now_ns=1_000_000_000 * 11)  # the first record has expired: room again
    assert len(store) == 2


# -- over HTTP ------------------------------------------------------------------------------------


def reference_whoami():
    from ic import candid
    from replica.canisters.whoami import WhoamiCanister

    return candid.parse_did(WhoamiCanister.did_text)


def test_many_large_replies_stay_within_the_budget(tmp_path):
    clock = Clock()
    replica = make_replica(tmp_path, clock=clock, ingress_max_reply_bytes=500_000)
    client = AsgiClient(replica.api)
    cid = replica.canisters["whoami"].canister_id.raw
    me = Ed25519Identity()
    arg = candid_encode(list(reference_whoami().service["http_request"].args),
                        [{"method": "GET", "url": "/legacy-dapp.mjs", "headers": [], "body": b""}])
    first = None
    for n in range(10):
        content = call_content(cid, "http_request", arg, me.principal, nonce=b"%d" % n)
        first = first or request_id(content)
        res = client.post(f"/api/v3/canister/{WHOAMI}/call", encode(envelope(content, me)))
        assert res.status == 200, res.text
        assert res.cbor()["status"] == "replied"
    assert 0 < replica.state.requests.reply_bytes <= 500_000
    # the oldest call is still known (a replay is not executed) but its reply is gone: "done"
    paths = [[b"request_status", first]]
    rs = client.post(f"/api/v2/canister/{WHOAMI}/read_state", encode(envelope(read_state_content(paths, me.principal), me)))
    assert lookup(verified_tree(rs.cbor()["certificate"], replica), [b"request_status", first, b"status"]) == b"done"
    replica.close()


def test_a_full_history_answers_429_and_runs_nothing(tmp_path):
    replica = make_replica(tmp_path, ingress_max_entries=2)
    client = AsgiClient(replica.api)
    cid = replica.canisters["whoami"].canister_id.raw
    me = Ed25519Identity()
    for n in range(2):
        content = call_content(cid, "whoami_update", b"DIDL\x00\x00", me.principal, nonce=b"%d" % n)
        assert client.post(f"/api/v3/canister/{WHOAMI}/call", encode(envelope(content, me))).status == 200
    content = call_content(cid, "whoami_update", b"DIDL\x00\x00", me.principal, nonce=b"third")
    res = client.post(f"/api/v3/canister/{WHOAMI}/call", encode(envelope(content, me)))
    assert res.status == 429
    assert "ingress history is full" in res.text and "Retry in about" in res.text
    assert replica.state.requests.get(request_id(content)) is None
    replica.close()


# -- replay after a restart -----------------------------------------------------------------------


def ii_call(replica, identity, method: str, *args, nonce: bytes) -> tuple[dict, bytes]:
    func = reference_did().service[method]
    cid = replica.canisters["internet_identity"].canister_id.raw
    content = call_content(cid, method, candid_encode(list(func.args), list(args)), identity.principal, nonce=nonce)
    return content, encode(envelope(content, identity))


def devices_of(replica, number: int) -> list[bytes]:
    from ic.candid.decode import decode

    func = reference_did().service["lookup"]
    cid = replica.canisters["internet_identity"].canister_id.raw
    outcome = replica.runtime.execute(cid, "lookup", candid_encode(list(func.args), [number]), b"\x04",
                                      as_query=True, time_ns=replica.clock())
    return [d["pubkey"] for d in decode(outcome.reply, list(func.results))[0]]


def register(replica, client, owner) -> int:
    from ic.candid.decode import decode

    content, body = ii_call(replica, owner, "create_challenge", nonce=b"c")
    res = client.post(f"/api/v3/canister/{II}/call", body)
    tree = verified_tree(res.cbor()["certificate"], replica)
    challenge = decode(lookup(tree, [b"request_status", request_id(content), b"reply"]),
                       list(reference_did().service["create_challenge"].results))[0]
    content, body = ii_call(replica, owner, "register", device(owner.der, "owner"),
                            {"key": challenge["challenge_key"], "chars": "a"}, [], nonce=b"r")
    res = client.post(f"/api/v3/canister/{II}/call", body)
    tree = verified_tree(res.cbor()["certificate"], replica)
    reply = decode(lookup(tree, [b"request_status", request_id(content), b"reply"]),
                   list(reference_did().service["register"].results))[0]
    return reply["registered"]["user_number"]


def test_a_captured_add_replayed_after_a_restart_is_answered_not_executed(tmp_path):
    clock = Clock()
    replica = make_replica(tmp_path, clock=clock, with_internet_identity=True, dummy_captcha=True)
    client = AsgiClient(replica.api)
    owner, second = Ed25519Identity(), Ed25519Identity()
    number = register(replica, client, owner)
    captured_content, captured = ii_call(replica, owner, "add", number, device(second.der, "second"), nonce=b"add")
    assert client.post(f"/api/v2/canister/{II}/call", captured).status == 202
    assert second.der in devices_of(replica, number)
    _, remove = ii_call(replica, owner, "remove", number, second.der, nonce=b"remove")
    assert client.post(f"/api/v3/canister/{II}/call", remove).status == 200
    assert second.der not in devices_of(replica, number)
    replica.close()

    clock.advance(30)
    again = make_replica(tmp_path, clock=clock, with_internet_identity=True, dummy_captcha=True)
    client = AsgiClient(again.api)
    # a v2 client polling across the restart still learns the outcome of its call
    rid = request_id(captured_content)
    paths = [[b"request_status", rid]]
    rs = client.post(f"/api/v2/canister/{II}/read_state",
                     encode(envelope(read_state_content(paths, owner.principal), owner)))
    assert lookup(verified_tree(rs.cbor()["certificate"], again), [b"request_status", rid, b"status"]) == b"replied"
    # the replay is answered from the history; the removed device stays removed
    res = client.post(f"/api/v3/canister/{II}/call", captured)
    assert res.status == 200 and res.cbor()["status"] == "replied"
    assert second.der not in devices_of(again, number)
    again.close()


def test_records_past_their_expiry_are_not_loaded_back(tmp_path):
    clock = Clock()
    replica = make_replica(tmp_path, clock=clock)
    client = AsgiClient(replica.api)
    cid = replica.canisters["whoami"].canister_id.raw
    me = Ed25519Identity()
    content = call_content(cid, "whoami_update", b"DIDL\x00\x00", me.principal,
                           ingress_expiry=clock() + 60 * 10**9)
    assert client.post(f"/api/v3/canister/{WHOAMI}/call", encode(envelope(content, me))).status == 200
    replica.close()
    clock.advance(120)
    again = make_replica(tmp_path, clock=clock)
    assert again.state.requests.get(request_id(content)) is None
    assert len(again.state.requests) == 0
    again.close()
