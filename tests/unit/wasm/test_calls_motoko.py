"""Inter-canister calls between canisters compiled by the real Motoko compiler, and to a Python
canister of `replica.runtime` through `RuntimeCallee`, driven by the scheduler."""

from __future__ import annotations

import pytest

from replica.wasm import Limits, WasmCanister
from replica.wasm.scheduler import RuntimeCallee, Scheduler
from tests.unit.wasm.conftest import CONTROLLER, USER, candid, uncandid

CALLER = bytes.fromhex("00000000000000010101")  # rrkah-fqaaa-aaaaa-aaaaq-cai
COUNTER = bytes.fromhex("00000000000000020101")  # ryjl3-tyaaa-aaaaa-aaaba-cai
GREETER = bytes.fromhex("00000000000000030101")
NOWHERE = bytes.fromhex("00000000000000990101")
EMPTY = candid("()")
LIMITS = Limits(update_instructions=2_000_000_000, query_instructions=2_000_000_000, install_instructions=5_000_000_000)


def principal(raw: bytes):
    from ic.principal import Principal

    return Principal.from_bytes(raw)


class Greeter:
    """A tiny Python canister (replica/runtime/contract.py's `Canister`)."""

    name = "greeter"
    did_text = "service : { greet : (text) -> (text) }"

    def __init__(self):
        self.canister_id = principal(GREETER)
        self.callers = []

    def call(self, method, ctx, args):
        from replica.runtime.contract import CanisterReject, CanisterTrap

        self.callers.append(ctx.caller.raw)
        name = args[0]
        if name == "trap":
            raise CanisterTrap("greeter trapped")
        if name == "":
            raise CanisterReject("a name, please")
        return [f"hello {name}"]

    def http_request(self, request):
        raise NotImplementedError


@pytest.fixture(scope="module")
def modules(motoko):
    return motoko("caller"), motoko("counter")


@pytest.fixture
def world(modules):
    from replica.runtime.dispatch import Runtime

    caller, counter = WasmCanister(CALLER, limits=LIMITS), WasmCanister(COUNTER, limits=LIMITS)
    assert caller.install(modules[0], EMPTY, CONTROLLER, 1).replied
    assert counter.install(modules[1], EMPTY, CONTROLLER, 1).replied
    runtime = Runtime(set_certified_data=lambda cid, data: None, data_certificate=lambda cid, t: b"")
    greeter = Greeter()
    runtime.register(greeter)
    canisters = {CALLER: caller, COUNTER: counter, GREETER: RuntimeCallee(runtime, GREETER)}
    return Scheduler(canisters), caller, counter, greeter


def nat(outcome) -> int:
    assert outcome.replied, outcome
    return uncandid("(nat)", outcome.reply)[0]


def text(outcome) -> str:
    assert outcome.replied, outcome
    return uncandid("(text)", outcome.reply)[0]


def target(raw: bytes) -> bytes:
    return candid("(principal)", principal(raw))


def test_a_caller_awaits_a_counter_in_another_canister(world):
    scheduler, caller, counter, _ = world
    assert nat(scheduler.call(CALLER, "bump", target(COUNTER), USER, 10).outcome) == 1001
    assert nat(scheduler.call(CALLER, "bump", target(COUNTER), USER, 11).outcome) == 2002
    assert nat(counter.query("get", EMPTY, USER, 12)) == 2
    assert caller.open_call_contexts == 0 and caller.outstanding_callbacks == 0


def test_a_callee_that_traps_is_caught_with_try_catch(world):
    scheduler, _, counter, _ = world
    out = text(scheduler.call(CALLER, "tryFail", target(COUNTER), USER, 10).outcome)
    assert out == ("#canister_error Error from Canister ryjl3-tyaaa-aaaaa-aaaba-cai: Canister called `ic0.trap`"
                   " with message: 'deliberate failure at 1_000'")
    assert nat(counter.query("get", EMPTY, USER, 11)) == 0  # the callee's write was rolled back


def test_an_unknown_canister_is_destination_invalid(world):
    scheduler, _, _, _ = world
    out = text(scheduler.call(CALLER, "tryFail", target(NOWHERE), USER, 10).outcome)
    assert out.startswith("#destination_invalid Canister ") and out.endswith(" not found")


def test_a_trap_after_an_await_keeps_the_state_of_the_await(world):
    scheduler, caller, counter, _ = world
    out = scheduler.call(CALLER, "trapAfterAwait", target(COUNTER), USER, 10).outcome
    assert (out.reject_code, out.error_code) == (5, "IC0503")
    assert out.reject_message == ("Error from Canister rrkah-fqaaa-aaaaa-aaaaq-cai: Canister called `ic0.trap` with"
                                  " message: 'after the await'")
    assert nat(caller.query("getSteps", EMPTY, USER, 11)) == 1  # committed at the await; +100 rolled back
    assert nat(counter.query("get", EMPTY, USER, 11)) == 1  # the callee's reply stands
    assert nat(scheduler.call(CALLER, "bump", target(COUNTER), USER, 12).outcome) == 2002  # still works


def test_a_canister_calls_itself(world):
    scheduler, caller, _, _ = world
    assert nat(scheduler.call(CALLER, "selfCall", EMPTY, USER, 10).outcome) == 11
    assert nat(caller.query("getSteps", EMPTY, USER, 11)) == 10


def test_a_wasm_canister_calls_a_python_canister(world):
    scheduler, _, _, greeter = world
    greet = candid("(principal, text)", principal(GREETER), "ada")
    assert text(scheduler.call(CALLER, "greet", greet, USER, 10).outcome) == "hello ada"
    assert greeter.callers == [CALLER]  # the Python canister sees the Wasm canister as its caller
    trapped = candid("(principal, text)", principal(GREETER), "trap")
    assert text(scheduler.call(CALLER, "greet", trapped, USER, 11).outcome) == (
        "error #canister_error Error from Canister " + principal(GREETER).to_text()
        + ": Canister called `ic0.trap` with message: greeter trapped")
    refused = candid("(principal, text)", principal(GREETER), "")
    assert text(scheduler.call(CALLER, "greet", refused, USER, 12).outcome) == "error #canister_reject a name, please"


def test_a_python_canister_is_an_ingress_target_of_the_scheduler(world):
    scheduler, _, _, _ = world
    assert text(scheduler.call(GREETER, "greet", candid("(text)", "bob"), USER, 10).outcome) == "hello bob"


def test_a_composite_query_reads_another_canisters_query_and_keeps_nothing(world):
    scheduler, caller, counter, _ = world
    assert scheduler.call(COUNTER, "inc", EMPTY, USER, 10).outcome.replied
    version = caller.state.version
    run = scheduler.query(CALLER, "readOther", target(COUNTER), USER, 11)
    assert nat(run.outcome) == 1 + 1000
    assert nat(scheduler.query(CALLER, "readOther", target(COUNTER), USER, 12).outcome) == 1001  # nothing kept
    assert nat(caller.query("getSteps", EMPTY, USER, 13)) == 0 and caller.state.version == version
    assert caller.open_call_contexts == 0
    out = caller.query("readOther", target(COUNTER), USER, 14)  # without a scheduler: no call is delivered
    assert not out.replied
