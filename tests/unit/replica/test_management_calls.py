"""Calls between canisters through the IC HTTP interface: an ingress update to a Wasm canister runs
with every call it makes (to another Wasm canister, to a Python canister, to aaaaa-aa), each
canister's changes are durable, and the replica's rounds fire Motoko's global timer."""

from __future__ import annotations

from ic.principal import Principal
from replica.http.testing import Clock, Ed25519Identity, make_replica
from tests.unit.replica.test_management_client import (  # noqa: F401  (fixtures)
    EMPTY, Ic, candid, ic, motoko, nat, owner, uncandid)

WHOAMI = Principal.from_text("qoctq-giaaa-aaaaa-aaaea-cai").raw


def installed(ic, owner, wasm: bytes) -> bytes:
    cid = ic.create(owner)
    assert ic.install(owner, cid, wasm).replied
    return cid


def test_an_ingress_call_reaches_another_wasm_canister_and_both_keep_their_changes(tmp_path, motoko):
    owner = Ed25519Identity(b"\x05" * 32)
    first = make_replica(tmp_path, clock=Clock())
    ic = Ic(first)
    counter, caller = installed(ic, owner, motoko("counter")), installed(ic, owner, motoko("caller"))
    assert nat(ic.call(owner, caller, "bump", candid("(principal)", Principal.from_bytes(counter)))) == 1001
    assert nat(ic.call(owner, caller, "bump", candid("(principal)", Principal.from_bytes(counter)))) == 2002
    assert nat(ic.query(owner, counter, "get", EMPTY)) == 2
    first.close()

    second = make_replica(tmp_path, clock=Clock())
    try:
        ic = Ic(second)
        assert nat(ic.query(owner, counter, "get", EMPTY)) == 2
        assert nat(ic.query(owner, caller, "getSteps", EMPTY)) == 2
        assert nat(ic.call(owner, caller, "bump", candid("(principal)", Principal.from_bytes(counter)))) == 3003
    finally:
        second.close()


def test_a_trapping_callee_is_a_reject_to_its_caller_and_keeps_nothing(ic, owner, motoko):
    counter, caller = installed(ic, owner, motoko("counter")), installed(ic, owner, motoko("caller"))
    answer = ic.call(owner, caller, "tryFail", candid("(principal)", Principal.from_bytes(counter)))
    code, message = uncandid("(text)", answer.reply)[0].split(" ", 1)
    assert code == "#canister_error" and "Canister called `ic0.trap` with message: 'deliberate failure" in message
    assert nat(ic.query(owner, counter, "get", EMPTY)) == 0
    # The caller traps after its await: its state is kept as of the await, the callee's write stays.
    trapped = ic.call(owner, caller, "trapAfterAwait", candid("(principal)", Principal.from_bytes(counter)))
    assert trapped.status == "rejected" and trapped.reject_code == 5 and "after the await" in trapped.reject_message
    assert nat(ic.query(owner, caller, "getSteps", EMPTY)) == 1
    assert nat(ic.query(owner, counter, "get", EMPTY)) == 1


def test_a_stopped_callee_and_an_unknown_one_are_rejects_to_the_caller(ic, owner, motoko):
    counter, caller = installed(ic, owner, motoko("counter")), installed(ic, owner, motoko("caller"))
    ic.ok(owner, "stop_canister", {"canister_id": counter})
    stopped = ic.call(owner, caller, "tryFail", candid("(principal)", Principal.from_bytes(counter)))
    assert uncandid("(text)", stopped.reply)[0] == f"#canister_error Canister {Principal.from_bytes(counter)} is stopped"
    nowhere = (999).to_bytes(8, "big") + b"\x01\x01"
    missing = ic.call(owner, caller, "tryFail", candid("(principal)", Principal.from_bytes(nowhere)))
    assert uncandid("(text)", missing.reply)[0].startswith("#destination_invalid Canister")


def test_a_wasm_canister_calls_a_python_canister(ic, owner, motoko):
    caller = installed(ic, owner, motoko("caller"))
    answer = ic.call(owner, caller, "greet", candid("(principal, text)", Principal.from_bytes(WHOAMI), "x"))
    assert uncandid("(text)", answer.reply)[0] == (
        f"error #destination_invalid Canister {Principal.from_bytes(WHOAMI)} has no update method 'greet'")


def test_a_wasm_canister_calls_the_management_canister(ic, owner, motoko):
    dice = installed(ic, owner, motoko("random"))
    first, second = (uncandid("(blob)", ic.call(owner, dice, "entropy", EMPTY).reply)[0] for _ in range(2))
    assert len(first) == len(second) == 32 and first != second
    assert nat(ic.query(owner, dice, "count", EMPTY)) == 2
    refused = ic.call(owner, dice, "myCycles", EMPTY)  # the canister does not control itself
    assert refused.status == "rejected" and "Only controllers of canister" in refused.reject_message
    ic.ok(owner, "update_settings", {"canister_id": dice, "settings": {"controllers": [[
        Principal.from_bytes(owner.principal), Principal.from_bytes(dice)]]}})
    status = ic.ok(owner, "canister_status", {"canister_id": dice})
    assert nat(ic.call(owner, dice, "myCycles", EMPTY)) == status["cycles"]


def test_composite_query_reads_another_canister_and_changes_nothing(ic, owner, motoko):
    counter, caller = installed(ic, owner, motoko("counter")), installed(ic, owner, motoko("caller"))
    assert nat(ic.call(owner, counter, "inc", EMPTY)) == 1
    assert nat(ic.query(owner, caller, "readOther", candid("(principal)", Principal.from_bytes(counter)))) == 1001
    assert nat(ic.query(owner, caller, "readOther", candid("(principal)", Principal.from_bytes(counter)))) == 1001
    assert nat(ic.query(owner, caller, "getSteps", EMPTY)) == 0


def test_the_rounds_fire_motokos_timer_and_its_ticks_are_durable(tmp_path, motoko):
    owner = Ed25519Identity(b"\x06" * 32)
    clock = Clock()
    first = make_replica(tmp_path, clock=clock)
    ic = Ic(first)
    ticker = installed(ic, owner, motoko("timer"))
    assert first.tick() == 3  # canister_global_timer, Motoko's self-call, its callback
    assert uncandid("(nat, nat64)", ic.query(owner, ticker, "state", EMPTY).reply) == [1, clock.now_ns]
    assert first.tick() == 0  # re-armed one second later
    clock.advance(1.5)
    assert first.tick() == 3
    first.close()

    second = make_replica(tmp_path, clock=clock)
    try:
        ic = Ic(second)
        assert uncandid("(nat, nat64)", ic.query(owner, ticker, "state", EMPTY).reply)[0] == 2
        clock.advance(1.5)
        assert second.tick() == 3  # the armed timer came back from disk
        assert uncandid("(nat, nat64)", ic.query(owner, ticker, "state", EMPTY).reply) == [3, clock.now_ns]
        clock.advance(10)
        assert second.tick() == 0
    finally:
        second.close()
