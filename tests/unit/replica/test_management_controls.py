"""aaaaa-aa: controllers and settings, the ingress filter and effective ids, read_state of module
hash / controllers / metadata, the chunk store, logs, and bad modules."""

from __future__ import annotations

import hashlib

import pytest
import wasmtime

from ic import cbor
from ic.principal import Principal
from tests.unit.replica.test_management_client import (  # noqa: F401  (fixtures)
    EMPTY, ic, motoko, nat, owner, stranger, text)

NO_SETTINGS = {"controllers": None, "compute_allocation": None, "memory_allocation": None, "freezing_threshold": None,
               "reserved_cycles_limit": None, "log_visibility": None, "wasm_memory_limit": None,
               "wasm_memory_threshold": None, "environment_variables": None}


@pytest.fixture
def counter(ic, owner, motoko):
    cid = ic.create(owner)
    assert ic.install(owner, cid, motoko("counter")).replied
    return cid


def test_a_non_controller_is_refused_and_nothing_changes(ic, owner, stranger, counter, motoko):
    before = ic.ok(owner, "canister_status", {"canister_id": counter})
    for method, value in [
        ("canister_status", {"canister_id": counter}),
        ("stop_canister", {"canister_id": counter}),
        ("install_code", {"mode": "reinstall", "canister_id": counter, "wasm_module": motoko("counter"), "arg": EMPTY,
                          "sender_canister_version": None}),
        ("update_settings", {"canister_id": counter, "settings": {**NO_SETTINGS, "controllers": [[stranger.principal]]},
                             "sender_canister_version": None}),
        ("upload_chunk", {"canister_id": counter, "chunk": b"x"}),
        ("delete_canister", {"canister_id": counter}),
    ]:
        answer = ic.mgmt(stranger, method, value)
        assert (answer.status, answer.reject_code, answer.error_code) == ("non_replicated_rejection", 5, "IC0512")
        assert answer.reject_message == f"Only controllers of canister {text(counter)} can call ic00 method {method}"
    after = ic.ok(owner, "canister_status", {"canister_id": counter})
    assert after == before


def test_settings_update_and_controllers_hand_over(ic, owner, stranger, counter):
    settings = {**NO_SETTINGS, "controllers": [[owner.principal, stranger.principal]], "freezing_threshold": [123],
                "log_visibility": [{"public": None}], "environment_variables": [[{"name": "A", "value": "b"}]]}
    ic.ok(owner, "update_settings", {"canister_id": counter, "settings": settings, "sender_canister_version": None})
    status = ic.ok(stranger, "canister_status", {"canister_id": counter})
    assert [p.raw for p in status["settings"]["controllers"]] == [owner.principal, stranger.principal]
    assert status["settings"]["freezing_threshold"] == 123
    assert status["settings"]["log_visibility"] == {"public": None}
    assert status["settings"]["environment_variables"] == [{"name": "A", "value": "b"}]
    assert status["settings"]["wasm_memory_limit"] == 3 * 1024 ** 3
    only_stranger = {**NO_SETTINGS, "controllers": [[stranger.principal]]}
    ic.ok(owner, "update_settings", {"canister_id": counter, "settings": only_stranger, "sender_canister_version": None})
    assert ic.mgmt(owner, "canister_status", {"canister_id": counter}).error_code == "IC0512"
    too_many = {**NO_SETTINGS, "controllers": [[bytes([i]) * 29 for i in range(11)]]}
    refused = ic.mgmt(stranger, "update_settings", {"canister_id": counter, "settings": too_many,
                                                    "sender_canister_version": None})
    assert refused.status == "rejected" and "controllers" in refused.reject_message


def test_created_with_other_controllers(ic, owner, stranger):
    cid = ic.create(owner, settings=[{**NO_SETTINGS, "controllers": [[stranger.principal]]}])
    assert ic.mgmt(owner, "canister_status", {"canister_id": cid}).error_code == "IC0512"
    assert ic.ok(stranger, "canister_status", {"canister_id": cid})["status"] == {"running": None}


def test_effective_id_must_be_the_argument_canister(ic, owner, counter):
    other = ic.create(owner)
    arg = ic.encode_args("canister_status", {"canister_id": counter})
    answer = ic.call(owner, b"", "canister_status", arg, ecid=other)
    assert answer.http_status == 400
    assert answer.reject_message == (f"Specified CanisterId {text(counter)} does not match effective canister id in"
                                     f" URL {text(other)}")


@pytest.mark.parametrize("method,value", [("raw_rand", None), ("canister_info", "cid"), ("deposit_cycles", "cid"),
                                          ("create_canister", "create")])
def test_canister_only_methods_are_refused_from_ingress(ic, owner, counter, method, value):
    if value == "cid":
        value = {"canister_id": counter} if method != "canister_info" else {"canister_id": counter,
                                                                             "num_requested_changes": None}
    elif value == "create":
        value = {"settings": None, "sender_canister_version": None}
    answer = ic.mgmt(owner, method, value, ecid=counter)
    assert (answer.status, answer.reject_code, answer.error_code) == ("non_replicated_rejection", 4, "IC0406")
    assert answer.reject_message == f"Only canisters can call ic00 method {method}"


def test_canister_info_and_raw_rand_for_canisters(replica, ic, owner, counter):
    """Canister-only methods, called as a canister would (inter-canister calls are not wired yet)."""
    management = replica.runtime.hosted[b""].canister
    from replica.runtime.contract import CallContext

    ctx = CallContext(caller=Principal.from_bytes(counter), time_ns=1, canister_id=Principal.from_bytes(b""),
                      is_query=False, set_certified_data=lambda d: None, data_certificate=lambda: None,
                      random=lambda n: b"\x05" * n)
    (info,) = management.call("canister_info", ctx, [{"canister_id": Principal.from_bytes(counter),
                                                       "num_requested_changes": [5]}])
    assert info["total_num_changes"] == 2
    assert [list(c["details"]) for c in info["recent_changes"]] == [["creation"], ["code_deployment"]]
    assert info["controllers"] == [owner.principal]
    assert management.call("raw_rand", ctx, []) == [b"\x05" * 32]


def test_read_state_module_hash_controllers_and_metadata(ic, owner, stranger, counter, motoko):
    from replica.http.testing import lookup

    tree = ic.read_state(owner, counter, [[b"canister", counter, b"module_hash"],
                                          [b"canister", counter, b"controllers"]])
    assert lookup(tree, [b"canister", counter, b"module_hash"]) == hashlib.sha256(motoko("counter")).digest()
    assert cbor.decode(lookup(tree, [b"canister", counter, b"controllers"])) == [owner.principal]
    # Motoko puts candid:service in an icp:private section: controllers only.
    path = [b"canister", counter, b"metadata", b"candid:service"]
    did = lookup(ic.read_state(owner, counter, [path]), path)
    assert b"inc" in did
    refused = ic.read_state(stranger, counter, [path])
    assert refused.status == 403 and "candid:service" in refused.text
    assert lookup(ic.read_state(None, counter, [[b"canister", counter, b"metadata", b"nope"]]),
                  [b"canister", counter, b"metadata", b"nope"]) is None


def test_chunked_install(ic, owner, motoko):
    wasm = motoko("counter")
    cid = ic.create(owner)
    pieces = [wasm[i:i + 200_000] for i in range(0, len(wasm), 200_000)]
    hashes = [ic.ok(owner, "upload_chunk", {"canister_id": cid, "chunk": p})["hash"] for p in pieces]
    assert hashes == [hashlib.sha256(p).digest() for p in pieces]
    stored = ic.ok(owner, "stored_chunks", {"canister_id": cid})
    assert [c["hash"] for c in stored] == hashes
    args = {"mode": "install", "target_canister": cid, "store_canister": None,
            "chunk_hashes_list": [{"hash": h} for h in hashes], "wasm_module_hash": b"\x00" * 32, "arg": EMPTY,
            "sender_canister_version": None}
    assert "does not match" in ic.mgmt(owner, "install_chunked_code", args).reject_message
    args["wasm_module_hash"] = hashlib.sha256(wasm).digest()
    assert ic.mgmt(owner, "install_chunked_code", args).replied
    assert nat(ic.call(owner, cid, "inc", EMPTY)) == 1
    ic.ok(owner, "clear_chunk_store", {"canister_id": cid})
    assert ic.ok(owner, "stored_chunks", {"canister_id": cid}) == []
    big = ic.mgmt(owner, "upload_chunk", {"canister_id": cid, "chunk": bytes(1024 * 1024 + 1)})
    assert big.status in ("rejected", "http")


def test_logs_top_up_and_log_visibility(ic, owner, stranger, counter):
    ic.call(owner, counter, "inc", EMPTY)
    ic.call(owner, counter, "inc", EMPTY)
    logs = ic.query(owner, b"", "fetch_canister_logs", ic.encode_args("fetch_canister_logs", {"canister_id": counter}),
                    ecid=counter)
    records = ic.decode_reply("fetch_canister_logs", logs.reply)["canister_log_records"]
    assert [r["content"] for r in records] == [b"count is 1", b"count is 2"]
    assert records[1]["idx"] == records[0]["idx"] + 1
    denied = ic.query(stranger, b"", "fetch_canister_logs",
                      ic.encode_args("fetch_canister_logs", {"canister_id": counter}), ecid=counter)
    assert denied.status == "rejected" and "not allowed" in denied.reject_message
    replicated = ic.mgmt(owner, "fetch_canister_logs", {"canister_id": counter})
    assert replicated.error_code == "IC0406"
    ic.ok(stranger, "provisional_top_up_canister", {"canister_id": counter, "amount": 5})
    assert ic.ok(owner, "canister_status", {"canister_id": counter})["cycles"] == 100_000_000_000_005


BAD_MODULES = {
    "malformed": b"\x00asm\x01\x00\x00\x00garbage",
    "unknown_import": wasmtime.wat2wasm('(module (import "ic0" "no_such_api" (func)))'),
    "init_trap": wasmtime.wat2wasm(
        '(module (import "ic0" "trap" (func $trap (param i32 i32))) (memory 1) (data (i32.const 0) "boom")'
        ' (func (export "canister_init") (call $trap (i32.const 0) (i32.const 4))))'),
}


@pytest.mark.parametrize("kind", sorted(BAD_MODULES))
def test_bad_modules_leave_the_canister_as_it_was(ic, owner, counter, kind):
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 1
    before = ic.ok(owner, "canister_status", {"canister_id": counter})
    answer = ic.install(owner, counter, BAD_MODULES[kind], mode="reinstall")
    assert answer.status == "rejected" and answer.reject_code == 5
    expected = {"malformed": "IC0505", "unknown_import": "IC0505", "init_trap": "IC0503"}[kind]
    assert answer.error_code == expected, answer
    if kind == "unknown_import":
        assert "no_such_api" in answer.reject_message
    assert ic.ok(owner, "canister_status", {"canister_id": counter}) == before
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 2
    empty = ic.create(owner)
    assert ic.install(owner, empty, BAD_MODULES[kind]).status == "rejected"
    assert ic.ok(owner, "canister_status", {"canister_id": empty})["module_hash"] is None


@pytest.mark.parametrize("mode", ["reinstall", "upgrade"])
def test_an_install_argument_over_two_mib_is_refused_and_nothing_changes(ic, owner, counter, motoko, mode):
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 1
    before = ic.ok(owner, "canister_status", {"canister_id": counter})
    install_mode = {"upgrade": []} if mode == "upgrade" else mode
    answer = ic.install(owner, counter, motoko("counter"), mode=install_mode, arg=bytes(2 * 1024 * 1024 + 1))
    assert (answer.status, answer.reject_code, answer.error_code) == ("rejected", 5, "IC0504")
    assert "install argument of 2097153 bytes exceeds the limit of 2097152 bytes" in answer.reject_message
    assert ic.ok(owner, "canister_status", {"canister_id": counter}) == before
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 2
