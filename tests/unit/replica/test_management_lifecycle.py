"""aaaaa-aa over the HTTP interface: create, install, call, query, upgrade, status, stop/start,
delete, and the refusals that leave everything as it was."""

from __future__ import annotations

import hashlib

import pytest

from replica.http.testing import Ed25519Identity
from tests.unit.replica.test_management_client import (  # noqa: F401  (fixtures)
    EMPTY, candid, ic, motoko, nat, owner, stranger, text, uncandid)

II = bytes.fromhex("00000000000000070101")
WHOAMI_TEXT = "qoctq-giaaa-aaaaa-aaaea-cai"


@pytest.fixture
def counter(ic, owner, motoko):
    cid = ic.create(owner)
    assert ic.install(owner, cid, motoko("counter")).replied
    return cid


def test_create_allocates_ids_of_the_range_apart_from_ii_and_whoami(ic, owner, replica):
    from ic.principal import Principal

    ids = [ic.create(owner) for _ in range(12)]
    assert len(set(ids)) == 12
    reserved = {II, Principal.from_text(WHOAMI_TEXT).raw}
    assert not reserved & set(ids)
    assert all(replica.state.in_ranges(cid) for cid in ids)
    status = ic.ok(owner, "canister_status", {"canister_id": ids[0]})
    assert status["settings"]["controllers"][0].raw == owner.principal
    assert status["module_hash"] is None and status["status"] == {"running": None}
    assert status["cycles"] == 100_000_000_000_000


@pytest.mark.parametrize("version", ["v2", "v3", "v4"])
def test_every_call_version_creates_and_installs(ic, owner, motoko, version):
    cid = ic.create(owner) if version == "v3" else ic.decode_reply(
        "provisional_create_canister_with_cycles",
        ic.mgmt(owner, "provisional_create_canister_with_cycles",
                {"amount": [7], "settings": None, "specified_id": None}, version=version).reply)["canister_id"].raw
    answer = ic.mgmt(owner, "install_code", {"mode": "install", "canister_id": cid, "wasm_module": motoko("counter"),
                                            "arg": EMPTY, "sender_canister_version": None}, version=version)
    assert answer.replied, answer
    assert nat(ic.call(owner, cid, "inc", EMPTY, version=version)) == 1


def test_provisional_create_takes_any_effective_id_of_the_range_and_a_specified_id(ic, owner, replica):
    wanted = (500).to_bytes(8, "big") + b"\x01\x01"
    arg = ic.encode_args("provisional_create_canister_with_cycles",
                         {"amount": None, "settings": None, "specified_id": [wanted]})
    answer = ic.call(owner, b"", "provisional_create_canister_with_cycles", arg, ecid=II)
    assert ic.decode_reply("provisional_create_canister_with_cycles", answer.reply)["canister_id"].raw == wanted
    again = ic.call(owner, b"", "provisional_create_canister_with_cycles", arg)
    assert again.status == "rejected" and "already" in again.reject_message
    outside = ic.call(owner, b"", "provisional_create_canister_with_cycles", arg, ecid=b"\x01" * 29)
    assert outside.http_status == 400
    taken = ic.encode_args("provisional_create_canister_with_cycles",
                           {"amount": None, "settings": None, "specified_id": [II]})
    assert ic.call(owner, b"", "provisional_create_canister_with_cycles", taken).status == "rejected"


def test_install_call_query_and_certified_query(ic, owner, counter, replica):
    me = Ed25519Identity()
    assert nat(ic.call(me, counter, "inc", EMPTY)) == 1
    assert nat(ic.call(me, counter, "inc", EMPTY)) == 2
    assert nat(ic.query(me, counter, "get", EMPTY)) == 2
    assert nat(ic.query(me, counter, "bumpInQuery", EMPTY)) == 102
    assert nat(ic.query(me, counter, "get", EMPTY)) == 2
    who = ic.call(me, counter, "whoami", EMPTY)
    assert uncandid("(principal)", who.reply)[0].raw == me.principal
    trapped = ic.call(me, counter, "failAfterWrite", EMPTY)
    assert (trapped.status, trapped.reject_code, trapped.error_code) == ("rejected", 5, "IC0503")
    assert nat(ic.query(me, counter, "get", EMPTY)) == 2
    missing = ic.call(me, counter, "nope", EMPTY)
    assert (missing.status, missing.error_code) == ("non_replicated_rejection", "IC0536")


def test_certified_data_of_a_wasm_update_is_in_the_state_tree(ic, owner, motoko, replica):
    from ic import cbor, hash_tree
    from replica.http.testing import verified_tree

    cid = ic.create(owner)
    assert ic.install(owner, cid, motoko("certified")).replied
    assert ic.call(owner, cid, "set", candid("(blob)", b"\x07" * 32)).replied
    answer = ic.query(owner, cid, "certificate", EMPTY)
    (certificate,) = uncandid("(opt blob)", answer.reply)[0]
    tree = verified_tree(certificate, replica)
    assert hash_tree.lookup_value(tree, [b"canister", cid, b"certified_data"]) == b"\x07" * 32
    assert cbor.decode(certificate)["tree"]  # a real certificate of this replica


def test_upgrade_keeps_stable_state_and_status_reports_it(ic, owner, motoko):
    cid = ic.create(owner)
    wasm = motoko("stable")
    assert ic.install(owner, cid, wasm).replied
    assert ic.call(owner, cid, "put", candid("(blob)", b"kept")).replied
    refused = ic.install(owner, cid, wasm, mode={"upgrade": None})
    assert refused.status == "rejected" and "wasm_memory_persistence" in refused.reject_message
    assert uncandid("(nat, nat)", ic.query(owner, cid, "stats", EMPTY).reply) == [1, 0]
    upgrade = {"upgrade": [{"skip_pre_upgrade": None, "wasm_memory_persistence": [{"keep": None}]}]}
    assert ic.install(owner, cid, wasm, mode=upgrade).replied
    assert uncandid("(blob)", ic.query(owner, cid, "load", EMPTY).reply)[0] == b"kept"
    assert uncandid("(nat, nat)", ic.query(owner, cid, "stats", EMPTY).reply) == [1, 1]
    status = ic.ok(owner, "canister_status", {"canister_id": cid})
    assert status["module_hash"] == [hashlib.sha256(wasm).digest()]
    metrics = status["memory_metrics"]
    assert metrics["stable_memory_size"] > 0 and metrics["wasm_memory_size"] > 0
    assert metrics["wasm_binary_size"] == len(wasm)
    assert status["memory_size"] == sum(metrics.values())
    assert status["version"] >= 3
    assert set(status) == {"status", "ready_for_migration", "version", "settings", "module_hash", "memory_size",
                           "memory_metrics", "cycles", "reserved_cycles", "idle_cycles_burned_per_day", "query_stats"}
    assert status["query_stats"]["num_calls_total"] == 3


def test_reinstall_starts_over(ic, owner, counter, motoko):
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 1
    assert ic.install(owner, counter, motoko("counter")).error_code == "IC0538"  # install on a non-empty canister
    assert ic.install(owner, counter, motoko("counter"), mode="reinstall").replied
    assert nat(ic.query(owner, counter, "get", EMPTY)) == 0


def test_stop_start_uninstall_delete(ic, owner, counter):
    assert ic.ok(owner, "stop_canister", {"canister_id": counter}) is None
    stopped = ic.call(owner, counter, "inc", EMPTY)
    assert (stopped.status, stopped.error_code, stopped.reject_message) == (
        "non_replicated_rejection", "IC0508", f"Canister {text(counter)} is stopped")
    assert ic.query(owner, counter, "get", EMPTY).error_code == "IC0508"
    assert ic.ok(owner, "canister_status", {"canister_id": counter})["status"] == {"stopped": None}
    ic.ok(owner, "start_canister", {"canister_id": counter})
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 1
    not_stopped = ic.mgmt(owner, "delete_canister", {"canister_id": counter})
    assert (not_stopped.status, not_stopped.error_code) == ("rejected", "IC0510")
    ic.ok(owner, "uninstall_code", {"canister_id": counter, "sender_canister_version": None})
    empty = ic.call(owner, counter, "inc", EMPTY)
    assert empty.error_code == "IC0537"
    ic.ok(owner, "stop_canister", {"canister_id": counter})
    ic.ok(owner, "delete_canister", {"canister_id": counter})
    gone = ic.mgmt(owner, "canister_status", {"canister_id": counter})
    assert (gone.reject_code, gone.error_code) == (3, "IC0301")
    assert ic.call(owner, counter, "inc", EMPTY).error_code == "IC0301"
