"""Inter-canister calls between hand-written modules, through the scheduler: callbacks through the
table, cleanup on a trapping callback, did-not-reply, unknown canisters, calls from a query, the
scheduler's bounds, cycles on calls."""

from __future__ import annotations

import pytest

from replica.wasm import Limits, WasmCanister
from replica.wasm.scheduler import Scheduler, SchedulerLimits
from tests.unit.wasm.conftest import CONTROLLER, USER, wat

CALLER = bytes.fromhex("00000000000000010101")  # rrkah-fqaaa-aaaaa-aaaaq-cai
CALLEE = bytes.fromhex("00000000000000020101")
NOWHERE = bytes.fromhex("00000000000000990101")
LIMITS = Limits(update_instructions=50_000_000, query_instructions=50_000_000, install_instructions=50_000_000)

IMPORTS = """
  (import "ic0" "call_new" (func $call_new (param i32 i32 i32 i32 i32 i32 i32 i32)))
  (import "ic0" "call_on_cleanup" (func $call_on_cleanup (param i32 i32)))
  (import "ic0" "call_data_append" (func $call_data_append (param i32 i32)))
  (import "ic0" "call_cycles_add128" (func $call_cycles_add128 (param i64 i64)))
  (import "ic0" "call_perform" (func $call_perform (result i32)))
  (import "ic0" "msg_arg_data_size" (func $arg_size (result i32)))
  (import "ic0" "msg_arg_data_copy" (func $arg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reject_code" (func $reject_code (result i32)))
  (import "ic0" "msg_reject_msg_size" (func $rmsg_size (result i32)))
  (import "ic0" "msg_reject_msg_copy" (func $rmsg_copy (param i32 i32 i32)))
  (import "ic0" "msg_reply" (func $reply))
  (import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))
  (import "ic0" "msg_reject" (func $reject (param i32 i32)))
  (import "ic0" "msg_cycles_refunded128" (func $refunded (param i32)))
  (import "ic0" "msg_cycles_available128" (func $available (param i32)))
  (import "ic0" "msg_cycles_accept128" (func $accept (param i64 i64 i32)))
  (import "ic0" "stable64_grow" (func $sgrow (param i64) (result i64)))
  (import "ic0" "stable64_write" (func $swrite (param i64 i64 i64)))
"""

# The argument of each caller method: [n][callee: n bytes][method name]. Callbacks: 0 reply with
# "R" env arg, 1 reply with "J" code message, 2 cleanup (stable byte 0 := env), 3 trap after a
# write, 4 do nothing. Callback envs: reply 7, reject 9, cleanup 11.
CALLER_WAT = """(module """ + IMPORTS + """
  (memory 1)
  (table 5 funcref)
  (elem (i32.const 0) $on_reply $on_reject $on_cleanup $on_reply_trap $on_nothing)
  (global $g (mut i32) (i32.const 0))
  (data (i32.const 48) "ping")
  (func $call (param $reply i32) (param $reject i32) (param $cleanup i32) (param $cycles i64)
    (local $n i32)
    (call $arg_copy (i32.const 300) (i32.const 0) (call $arg_size))
    (local.set $n (i32.load8_u (i32.const 300)))
    (call $call_new (i32.const 301) (local.get $n) (i32.add (i32.const 301) (local.get $n))
      (i32.sub (i32.sub (call $arg_size) (i32.const 1)) (local.get $n))
      (local.get $reply) (i32.const 7) (local.get $reject) (i32.const 9))
    (if (i32.ge_s (local.get $cleanup) (i32.const 0))
      (then (call $call_on_cleanup (local.get $cleanup) (i32.const 11))))
    (call $call_data_append (i32.const 48) (i32.const 4))
    (if (i64.gt_u (local.get $cycles) (i64.const 0)) (then (call $call_cycles_add128 (i64.const 0) (local.get $cycles))))
    (if (call $call_perform) (then unreachable)))
  (func $on_reply (param $env i32)
    (i32.store8 (i32.const 100) (i32.const 82)) (i32.store8 (i32.const 101) (local.get $env))
    (call $arg_copy (i32.const 102) (i32.const 0) (call $arg_size))
    (call $append (i32.const 100) (i32.add (i32.const 2) (call $arg_size))) (call $reply))
  (func $on_reject (param $env i32)
    (i32.store8 (i32.const 100) (i32.const 74)) (i32.store8 (i32.const 101) (call $reject_code))
    (call $rmsg_copy (i32.const 102) (i32.const 0) (call $rmsg_size))
    (call $append (i32.const 100) (i32.add (i32.const 2) (call $rmsg_size))) (call $reply))
  (func $on_cleanup (param $env i32)
    (drop (call $sgrow (i64.const 1)))
    (i32.store8 (i32.const 200) (local.get $env))
    (call $swrite (i64.const 0) (i64.const 200) (i64.const 1)))
  (func $on_reply_trap (param $env i32) (global.set $g (i32.const 1)) unreachable)
  (func $on_nothing (param $env i32))
  (func (export "canister_update go") (call $call (i32.const 0) (i32.const 1) (i32.const -1) (i64.const 0)))
  (func (export "canister_update go_trapping_callback")
    (global.set $g (i32.const 2)) (call $call (i32.const 3) (i32.const 1) (i32.const 2) (i64.const 0)))
  (func (export "canister_update go_silent") (call $call (i32.const 4) (i32.const 4) (i32.const -1) (i64.const 0)))
  (func (export "canister_update go_then_trap") (call $call (i32.const 0) (i32.const 1) (i32.const -1) (i64.const 0))
    unreachable)
  (func (export "canister_update reply_then_go") (call $reply) (call $call (i32.const 0) (i32.const 1) (i32.const -1) (i64.const 0)))
  (func (export "canister_update go_with_cycles") (call $call (i32.const 5) (i32.const 5) (i32.const -1) (i64.const 1000)))
  (func (export "canister_query g") (i32.store8 (i32.const 0) (global.get $g)) (call $append (i32.const 0) (i32.const 1)) (call $reply))
  (func (export "canister_query query_calls") (call $call (i32.const 0) (i32.const 1) (i32.const -1) (i64.const 0)))
  (func (export "canister_composite_query cq") (global.set $g (i32.const 5))
    (call $call (i32.const 6) (i32.const 1) (i32.const -1) (i64.const 0)))
  (table $t2 0 funcref)
)"""
# 5: refunded cycles as reply; 6: composite reply callback: the global as the composite query left it.
CALLER_WAT = CALLER_WAT.replace("(table 5 funcref)", "(table 7 funcref)").replace(
    "$on_reply_trap $on_nothing)", "$on_reply_trap $on_nothing $on_refund $on_cq)").replace("  (table $t2 0 funcref)\n", """
  (func $on_refund (param $env i32) (call $refunded (i32.const 400)) (call $append (i32.const 400) (i32.const 16)) (call $reply))
  (func $on_cq (param $env i32) (i32.store8 (i32.const 0) (global.get $g)) (call $append (i32.const 0) (i32.const 1))
    (call $arg_copy (i32.const 1) (i32.const 0) (call $arg_size)) (call $append (i32.const 1) (call $arg_size)) (call $reply))
""")

CALLEE_WAT = """(module """ + IMPORTS + """
  (memory 1)
  (data (i32.const 0) "pong:")
  (data (i32.const 16) "nope")
  (func (export "canister_update ping") (call $arg_copy (i32.const 5) (i32.const 0) (call $arg_size))
    (call $append (i32.const 0) (i32.add (i32.const 5) (call $arg_size))) (call $reply))
  (func (export "canister_query qping") (call $arg_copy (i32.const 5) (i32.const 0) (call $arg_size))
    (call $append (i32.const 0) (i32.add (i32.const 5) (call $arg_size))) (call $reply))
  (func (export "canister_update silent"))
  (func (export "canister_update boom") unreachable)
  (func (export "canister_update refuse") (call $reject (i32.const 16) (i32.const 4)))
  (func (export "canister_update take_half") (call $available (i32.const 100))
    (call $accept (i64.const 0) (i64.shr_u (i64.load (i32.const 100)) (i64.const 1)) (i32.const 120))
    (call $reply))
)"""


def arg(callee: bytes, method: str) -> bytes:
    return bytes([len(callee)]) + callee + method.encode()


@pytest.fixture
def net():
    caller = WasmCanister(CALLER, controllers=[CONTROLLER], limits=LIMITS)
    callee = WasmCanister(CALLEE, controllers=[CONTROLLER], limits=LIMITS)
    assert caller.install(wat(CALLER_WAT), b"", CONTROLLER, 1).replied
    assert callee.install(wat(CALLEE_WAT), b"", CONTROLLER, 1).replied
    canisters = {CALLER: caller, CALLEE: callee}
    return Scheduler(canisters), caller, callee


def test_the_reply_callback_runs_through_the_table_with_its_env(net):
    scheduler, caller, _ = net
    run = scheduler.call(CALLER, "go", arg(CALLEE, "ping"), USER, 5)
    assert run.outcome.reply == b"R\x07pong:ping" and run.messages == 3 and run.pending == ()
    assert caller.open_call_contexts == 0 and caller.outstanding_callbacks == 0


def test_a_reject_reaches_the_reject_callback_with_code_and_message(net):
    scheduler, _, _ = net
    assert scheduler.call(CALLER, "go", arg(CALLEE, "refuse"), USER, 5).outcome.reply == b"J\x04nope"


def test_a_callee_that_traps_gives_code_5_with_the_ics_message(net):
    scheduler, _, _ = net
    reply = scheduler.call(CALLER, "go", arg(CALLEE, "boom"), USER, 5).outcome.reply
    assert reply == b"J\x05Error from Canister ryjl3-tyaaa-aaaaa-aaaba-cai: Canister trapped: unreachable"


def test_a_callee_that_does_not_reply_gives_no_response(net):
    scheduler, _, _ = net
    assert scheduler.call(CALLER, "go", arg(CALLEE, "silent"), USER, 5).outcome.reply == b"J\x05No response"


def test_an_unknown_canister_is_destination_invalid(net):
    scheduler, _, _ = net
    reply = scheduler.call(CALLER, "go", arg(NOWHERE, "ping"), USER, 5).outcome.reply
    assert reply[:2] == b"J\x03" and reply.endswith(b" not found")
    assert scheduler.call(CALLER, "go", arg(CALLEE, "nope"), USER, 5).outcome.reply == (
        b"J\x03Canister ryjl3-tyaaa-aaaaa-aaaba-cai has no update method 'nope'")


def test_a_context_that_ends_without_a_reply_is_did_not_reply(net):
    scheduler, caller, _ = net
    out = scheduler.call(CALLER, "go_silent", arg(CALLEE, "ping"), USER, 5).outcome
    assert (out.reject_code, out.error_code) == (5, "IC0506")
    assert out.reject_message == "Canister rrkah-fqaaa-aaaaa-aaaaq-cai did not reply to the call"
    assert caller.open_call_contexts == 0


def test_a_trapping_callback_is_rolled_back_and_runs_the_cleanup(net):
    scheduler, caller, _ = net
    version = caller.state.version
    out = scheduler.call(CALLER, "go_trapping_callback", arg(CALLEE, "ping"), USER, 5).outcome
    assert (out.reject_code, out.error_code) == (5, "IC0502")
    assert out.reject_message.endswith("Canister trapped: unreachable")
    assert caller.query("g", b"", USER, 6).reply == b"\x02"  # the update's write kept, the callback's dropped
    assert caller.state.stable.read(0, 1) == b"\x0b"  # the cleanup ran with its env (11) and committed
    assert caller.state.version == version + 2  # the update and the cleanup


def test_a_trap_after_call_perform_sends_nothing(net):
    scheduler, _, callee = net
    run = scheduler.call(CALLER, "go_then_trap", arg(CALLEE, "ping"), USER, 5)
    assert run.outcome.error_code == "IC0502" and run.messages == 1
    assert callee.state.version == 1  # the callee never ran


def test_a_context_replies_once_across_its_callbacks(net):
    scheduler, caller, _ = net
    run = scheduler.call(CALLER, "reply_then_go", arg(CALLEE, "ping"), USER, 5)
    assert run.outcome.reply == b"" and run.messages == 3
    assert caller.open_call_contexts == 0  # the callback trapped ("already replied"); nothing is left


def test_a_query_may_not_call(net):
    scheduler, caller, _ = net
    out = caller.query("query_calls", arg(CALLEE, "ping"), USER, 5)
    assert out.error_code == "IC0504"
    assert out.reject_message.endswith('"ic0_call_new" cannot be executed in non-replicated query mode')
    out = scheduler.query(CALLER, "query_calls", arg(CALLEE, "ping"), USER, 5).outcome
    assert out.error_code == "IC0504"


def test_call_perform_in_a_query_traps(canister):
    body = ('(func (export "canister_query q") (drop (call $perform)))'
            ' (func (export "canister_update u") (drop (call $perform)))')
    c = canister()
    assert c.install(wat(f'(module (import "ic0" "call_perform" (func $perform (result i32))) (memory 1) {body})'),
                     b"", CONTROLLER, 1).replied
    out = Scheduler({c.canister_id: c}).query(c.canister_id, "q", b"", USER, 2).outcome
    assert out.reject_message.endswith('"ic0_call_perform" cannot be executed in non-replicated query mode')
    out = Scheduler({c.canister_id: c}).call(c.canister_id, "u", b"", USER, 2).outcome
    assert out.reject_message.endswith("ic0_call_perform: no call is under construction (call ic0.call_new first)")


def test_a_composite_query_calls_a_query_and_everything_is_discarded(net):
    scheduler, caller, _ = net
    version = caller.state.version
    run = scheduler.query(CALLER, "cq", arg(CALLEE, "qping"), USER, 5)
    assert run.outcome.reply == b"\x05pong:ping"  # the callback saw the composite query's write
    assert caller.query("g", b"", USER, 6).reply == b"\x00" and caller.state.version == version
    assert caller.open_call_contexts == 0
    out = scheduler.query(CALLER, "cq", arg(CALLEE, "ping"), USER, 5).outcome  # an update is not callable
    assert out.reply == b"J\x03Canister ryjl3-tyaaa-aaaaa-aaaba-cai has no query method 'ping'"


def test_a_composite_query_is_not_callable_in_replicated_mode(net):
    scheduler, _, _ = net
    out = scheduler.call(CALLER, "cq", arg(CALLEE, "qping"), USER, 5).outcome
    assert out.error_code == "IC0504" and "cannot be called in replicated mode" in out.reject_message


def test_cycles_travel_with_the_call_and_the_rest_is_refunded(net):
    scheduler, caller, callee = net
    before, callee_before = caller.state.cycles, callee.state.cycles
    run = scheduler.call(CALLER, "go_with_cycles", arg(CALLEE, "take_half"), USER, 5)
    assert int.from_bytes(run.outcome.reply, "little") == 500
    assert caller.state.cycles == before - 500 and callee.state.cycles == callee_before + 500
    run = scheduler.call(CALLER, "go_with_cycles", arg(NOWHERE, "take_half"), USER, 6)
    assert int.from_bytes(run.outcome.reply, "little") == 1000 and caller.state.cycles == before - 500


SELF_WAT = """(module """ + IMPORTS + """
  (import "ic0" "canister_self_copy" (func $self_copy (param i32 i32 i32)))
  (import "ic0" "canister_self_size" (func $self_size (result i32)))
  (memory 1) (table 2 funcref) (elem (i32.const 0) $relay $relay)
  (data (i32.const 64) "again")
  (func $again (call $self_copy (i32.const 0) (i32.const 0) (call $self_size))
    (call $call_new (i32.const 0) (call $self_size) (i32.const 64) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (drop (call $call_perform)))
  (func $relay (param i32) (call $reply))
  (func (export "canister_update again") (call $again))
  (func (export "canister_update fan") (call $again) (call $again))
  (data (i32.const 80) "fan")
  (func $fan_call (call $self_copy (i32.const 0) (i32.const 0) (call $self_size))
    (call $call_new (i32.const 0) (call $self_size) (i32.const 80) (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 0))
    (drop (call $call_perform)))
)"""


def test_self_calls_are_bounded_by_the_call_depth(canister):
    c = canister(limits=LIMITS)
    assert c.install(wat(SELF_WAT), b"", CONTROLLER, 1).replied
    run = Scheduler({c.canister_id: c}, limits=SchedulerLimits(max_call_depth=20)).call(c.canister_id, "again", b"",
                                                                                       USER, 2)
    # the ingress, 20 calls that ran, the refused 21st, and 21 callbacks relaying the reject up
    assert run.outcome.replied and run.messages == 1 + 20 + 1 + 21
    assert c.open_call_contexts == 0 and c.outstanding_callbacks == 0


def test_the_work_of_one_ingress_message_is_bounded(canister):
    c = canister(limits=LIMITS)
    assert c.install(wat(SELF_WAT.replace('(func (export "canister_update fan") (call $again) (call $again))',
                                          '(func (export "canister_update fan") (call $fan_call) (call $fan_call))')),
                     b"", CONTROLLER, 1).replied
    scheduler = Scheduler({c.canister_id: c}, limits=SchedulerLimits(max_messages=50))
    run = scheduler.call(c.canister_id, "fan", b"", USER, 2)
    assert run.messages == 50 and run.pending and run.limit_error
    assert (run.outcome.reject_code, run.outcome.error_code) == (5, "IC0518")
    assert "ran 50 messages" in run.outcome.reject_message
