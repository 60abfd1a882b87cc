"""Canisters compiled by the real Motoko compiler (npm `motoko`), run on the engine."""

from __future__ import annotations

import logging

import pytest

from tests.unit.wasm.conftest import CONTROLLER, USER, candid, uncandid

EMPTY = candid("()")


def nat(outcome) -> int:
    assert outcome.replied, outcome
    return uncandid("(nat)", outcome.reply)[0]


@pytest.fixture
def counter(motoko, canister):
    c = canister()
    assert c.install(motoko("counter"), EMPTY, CONTROLLER, 1).replied
    return c


def test_install_reads_the_module(counter):
    module = counter.module
    assert module.is_64 and module.enhanced_orthogonal_persistence
    assert module.methods["inc"].value == "canister_update" and module.methods["get"].value == "canister_query"
    assert b"inc" in module.private_metadata["candid:service"]


def test_updates_persist_and_query_writes_are_discarded(counter):
    assert nat(counter.update("inc", EMPTY, USER, 10)) == 1
    assert nat(counter.update("inc", EMPTY, USER, 11)) == 2
    assert nat(counter.query("bumpInQuery", EMPTY, USER, 12)) == 102
    assert nat(counter.query("get", EMPTY, USER, 13)) == 2
    assert nat(counter.update("inc", EMPTY, USER, 14)) == 3  # Motoko still runs after the discarded write
    assert nat(counter.query("get", EMPTY, USER, 15)) == 3


def test_an_update_to_a_query_method_is_not_persisted(counter):
    assert nat(counter.update("bumpInQuery", EMPTY, USER, 10)) == 100
    assert nat(counter.query("get", EMPTY, USER, 11)) == 0


def test_a_trap_rolls_the_state_back(counter):
    assert nat(counter.update("inc", EMPTY, USER, 10)) == 1
    version = counter.state.version
    out = counter.update("failAfterWrite", EMPTY, USER, 11)
    assert (out.reject_code, out.error_code) == (5, "IC0503")
    assert out.reject_message == ("Error from Canister rrkah-fqaaa-aaaaa-aaaaq-cai: Canister called `ic0.trap` with"
                                  " message: 'deliberate failure at 1_001'")
    assert counter.state.version == version
    assert nat(counter.query("get", EMPTY, USER, 12)) == 1
    assert nat(counter.update("inc", EMPTY, USER, 13)) == 2


def test_the_caller_is_the_sender(counter):
    out = counter.update("whoami", EMPTY, USER, 10)
    assert uncandid("(principal)", out.reply)[0].raw == USER


def test_unknown_methods_and_kinds(counter):
    assert counter.update("nope", EMPTY, USER, 1).error_code == "IC0536"
    assert counter.query("inc", EMPTY, USER, 1).error_code == "IC0536"
    out = counter.update("inc", b"not candid", USER, 1)
    assert out.reject_code == 5 and not out.replied


def test_large_argument_and_reply(counter):
    blob = bytes(range(256)) * 7000  # 1.8 MB
    assert nat(counter.update("size", candid("(blob)", blob), USER, 1)) == len(blob)
    out = counter.query("make", candid("(nat)", 1_900_000), USER, 2)
    assert uncandid("(blob)", out.reply)[0] == bytes(i % 256 for i in range(1_900_000))
    too_big = counter.update("size", candid("(blob)", bytes(2 * 1024 * 1024)), USER, 3)
    assert (too_big.reject_code, too_big.error_code) == (5, "IC0504")
    over = counter.query("make", candid("(nat)", 2 * 1024 * 1024), USER, 4)
    assert over.error_code == "IC0504" and "application payload size" in over.reject_message


def test_debug_print_goes_to_the_log_with_the_canister_id(counter, caplog):
    with caplog.at_level(logging.INFO, logger="replica.wasm.canister"):
        counter.update("inc", EMPTY, USER, 42)
    assert "[Canister rrkah-fqaaa-aaaaa-aaaaq-cai] count is 1" in caplog.text
    last = counter.log.records()[-1]
    assert (last.time_ns, last.text) == (42, "count is 1")


def test_stable_memory_and_upgrade_keep_state(motoko, canister):
    c = canister()
    wasm = motoko("stable")
    assert c.install(wasm, EMPTY, CONTROLLER, 1).replied
    assert c.update("put", candid("(blob)", b"kept across upgrades"), USER, 2).replied
    assert c.state.stable.pages > 0
    refused = c.upgrade(wasm, EMPTY, CONTROLLER, 3)  # EOP: main memory must be kept
    assert refused.error_code == "IC0504" and "wasm_memory_persistence" in refused.reject_message
    assert c.upgrade(wasm, EMPTY, CONTROLLER, 4, wasm_memory_persistence="keep").replied
    assert uncandid("(blob)", c.query("load", EMPTY, USER, 5).reply)[0] == b"kept across upgrades"
    assert uncandid("(nat, nat)", c.query("stats", EMPTY, USER, 5).reply) == [1, 1]
    assert c.update("put", candid("(blob)", b"again"), USER, 6).replied
    assert uncandid("(nat, nat)", c.query("stats", EMPTY, USER, 7).reply) == [2, 1]


def test_certified_data_read_back_with_the_injected_certificate(motoko, canister):
    issued = []

    def certificate(cid: bytes, time_ns: int) -> bytes:
        issued.append((cid, time_ns))
        return b"certificate over " + c.state.certified_data

    c = canister(data_certificate=certificate)
    assert c.install(motoko("certified"), EMPTY, CONTROLLER, 1).replied
    assert c.update("set", candid("(blob)", b"\x01" * 32), USER, 2).replied
    assert c.state.certified_data == b"\x01" * 32
    out = c.query("certificate", EMPTY, USER, 3)
    assert uncandid("(opt blob)", out.reply)[0] == [b"certificate over " + b"\x01" * 32]
    assert issued == [(c.canister_id, 3)]
    # In replicated mode (an update call to the query) there is no certificate.
    assert uncandid("(opt blob)", c.update("certificate", EMPTY, USER, 4).reply)[0] is None
    too_long = c.update("set", candid("(blob)", b"\x02" * 33), USER, 5)
    assert too_long.error_code == "IC0504" and c.state.certified_data == b"\x01" * 32


def test_motoko_arms_its_global_timer(motoko, canister):
    c = canister()
    assert c.install(motoko("timer"), EMPTY, CONTROLLER, 1).replied
    assert c.state.global_timer == 1  # Motoko asks to be woken at once when it has `system func timer`
    assert c.global_timer(0) is None  # not due yet
    assert c.global_timer(10).replied
    # Motoko runs the timer body through a call to itself, which only a scheduler delivers.
    assert [callee for callee, _method in c.api.msg.failed_calls] == [c.canister_id]


def test_motoko_timer_ticks(motoko, canister):
    from replica.wasm.scheduler import Scheduler

    c = canister()
    assert c.install(motoko("timer"), EMPTY, CONTROLLER, 1).replied
    scheduler = Scheduler({c.canister_id: c})
    assert scheduler.global_timer(c.canister_id, 0) is None  # not due yet
    run = scheduler.global_timer(c.canister_id, 10)  # canister_global_timer, the self-call, its callback
    assert run.trap is None and run.messages == 3 and run.pending == ()
    assert uncandid("(nat, nat64)", c.query("state", EMPTY, USER, 11).reply) == [1, 10]
    assert c.state.global_timer == 1_000_000_010  # re-armed by the timer body
    assert scheduler.global_timer(c.canister_id, 20) is None
    for tick, now in ((2, 1_000_000_010), (3, 2_000_000_010)):
        assert scheduler.global_timer(c.canister_id, now).trap is None
        assert uncandid("(nat, nat64)", c.query("state", EMPTY, USER, now).reply) == [tick, now]
    assert c.state.global_timer == 0 and scheduler.global_timer(c.canister_id, 10 ** 12) is None
    assert c.open_call_contexts == 0 and c.outstanding_callbacks == 0
