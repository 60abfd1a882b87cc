"""Hand-written modules for the rules a compiler never breaks (wasmtime.wat2wasm)."""

from __future__ import annotations

import pytest

from replica.wasm import Limits
from tests.unit.wasm.conftest import CONTROLLER, USER, wat

PREFIX = "Error from Canister rrkah-fqaaa-aaaaa-aaaaq-cai: "


def module(body: str, *, imports: str = "", memory: str = "(memory 1)") -> bytes:
    return wat(f"(module {imports} {memory} {body})")


REPLY = '(import "ic0" "msg_reply" (func $reply))'
APPEND = '(import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))'


def installed(canister, wasm: bytes, **kw):
    c = canister(**kw)
    out = c.install(wasm, b"", CONTROLLER, 1)
    assert out.replied, out
    return c


def test_replying_twice_traps_with_the_spec_message(canister):
    c = installed(canister, module('(func (export "canister_update twice") call $reply call $reply)', imports=REPLY))
    out = c.update("twice", b"", USER, 2)
    assert (out.reject_code, out.error_code) == (5, "IC0504")
    assert out.reject_message == PREFIX + "Canister violated contract: ic0.msg_reply: the call is already replied"


def test_reply_data_is_returned(canister):
    c = installed(canister, module('(data (i32.const 0) "hi") (func (export "canister_query hi")'
                                   ' (call $append (i32.const 0) (i32.const 2)) call $reply)', imports=REPLY + APPEND))
    assert c.query("hi", b"", USER, 2).reply == b"hi"


def test_no_reply_is_the_ics_did_not_reply(canister):
    c = installed(canister, module('(func (export "canister_update silent"))'))
    out = c.update("silent", b"", USER, 2)
    assert (out.reject_code, out.error_code) == (5, "IC0506")
    assert out.reject_message == "Canister rrkah-fqaaa-aaaaa-aaaaq-cai did not reply to the call"


def test_msg_reply_in_canister_init_is_refused(canister):
    c = canister()
    out = c.install(module('(func (export "canister_init") call $reply)', imports=REPLY), b"", CONTROLLER, 1)
    assert out.error_code == "IC0504"
    assert out.reject_message == PREFIX + 'Canister violated contract: "ic0_msg_reply" cannot be executed in init mode'
    assert c.module is None  # the canister stays empty


def test_msg_caller_in_the_start_function_traps(canister):
    wasm = module('(func $start (drop (call $size))) (start $start)',
                  imports='(import "ic0" "msg_caller_size" (func $size (result i32)))')
    out = canister().install(wasm, b"", CONTROLLER, 1)
    assert out.reject_message.endswith('"ic0_msg_caller_size" cannot be executed in start mode')


def test_msg_arg_data_in_a_system_task_traps(canister):
    c = installed(canister, module(
        '(func (export "canister_heartbeat") (drop (call $size)))',
        imports='(import "ic0" "msg_arg_data_size" (func $size (result i32)))'))
    out = c.heartbeat(5)
    assert out.reject_message.endswith('"ic0_msg_arg_data_size" cannot be executed in system task mode')


def test_an_unknown_import_is_refused_at_install_by_name(canister):
    c = canister()
    out = c.install(module("", imports='(import "ic0" "msg_frobnicate" (func (param i32)))'), b"", CONTROLLER, 1)
    assert (out.reject_code, out.error_code) == (5, "IC0505")
    assert "ic0.msg_frobnicate" in out.reject_message and "does not provide" in out.reject_message
    out = c.install(module("", imports='(import "env" "memcpy" (func (param i32)))'), b"", CONTROLLER, 1)
    assert "env.memcpy" in out.reject_message
    out = c.install(module("", imports='(import "ic0" "msg_reply" (func (param i32)))'), b"", CONTROLLER, 1)
    assert "ic0.msg_reply with type (i32) -> ()" in out.reject_message
    assert c.module is None


def test_a_wasm64_module_may_not_import_the_32_bit_stable_api(canister):
    out = canister().install(module("", imports='(import "ic0" "stable_size" (func (result i32)))',
                                    memory="(memory i64 1)"), b"", CONTROLLER, 1)
    assert out.error_code == "IC0505" and "ic0.stable_size" in out.reject_message


def test_an_unbounded_loop_ends_at_the_instruction_limit(canister):
    c = installed(canister, module('(global $g (mut i32) (i32.const 0))'
                                   ' (func (export "canister_update spin") (global.set $g (i32.const 1)) (loop $l (br $l)))'
                                   ' (func (export "canister_query g") (call $append (i32.const 0) (i32.const 1)) call $reply)',
                                   imports=REPLY + APPEND),
                  limits=Limits(update_instructions=1_000_000))
    out = c.update("spin", b"", USER, 2)
    assert (out.reject_code, out.error_code) == (5, "IC0522")
    assert out.reject_message == PREFIX + "Canister exceeded the limit of 1000000 instructions for single message execution."
    assert c._live.globals[0].value(c._live.store) == 0  # the global's write was rolled back


def test_memory_growth_past_the_limit_fails_and_a_trap_shrinks_it_back(canister):
    body = ('(func (export "canister_update grow") (if (i32.eq (memory.grow (i32.const 4)) (i32.const -1))'
            ' (then (call $append (i32.const 0) (i32.const 1))) (else (call $append (i32.const 1) (i32.const 1)))) call $reply)'
            ' (func (export "canister_update grow_then_trap") (drop (memory.grow (i32.const 2))) unreachable)'
            ' (func (export "canister_query size") (i32.store8 (i32.const 2) (memory.size))'
            ' (call $append (i32.const 2) (i32.const 1)) call $reply)'
            ' (data (i32.const 0) "NY")')
    c = installed(canister, module(body, imports=REPLY + APPEND),
                  limits=Limits(wasm32_memory_bytes=4 * 65536))
    assert c.update("grow", b"", USER, 2).reply == b"N"  # 1 + 4 pages > 4: memory.grow returns -1
    assert c.query("size", b"", USER, 3).reply == b"\x01"
    out = c.update("grow_then_trap", b"", USER, 4)
    assert out.error_code == "IC0502" and out.reject_message == PREFIX + "Canister trapped: unreachable"
    assert c.query("size", b"", USER, 5).reply == b"\x01"  # growth undone with the trap


def test_a_wasm32_module_uses_i32_addresses(canister):
    imports = ('(import "ic0" "msg_arg_data_size" (func $argsize (result i32)))'
               '(import "ic0" "msg_arg_data_copy" (func $argcopy (param i32 i32 i32)))'
               '(import "ic0" "stable_grow" (func $sgrow (param i32) (result i32)))'
               '(import "ic0" "stable_write" (func $swrite (param i32 i32 i32)))'
               '(import "ic0" "stable_read" (func $sread (param i32 i32 i32)))' + REPLY + APPEND)
    body = ('(func (export "canister_update echo") (call $argcopy (i32.const 100) (i32.const 0) (call $argsize))'
            ' (drop (call $sgrow (i32.const 1))) (call $swrite (i32.const 10) (i32.const 100) (call $argsize))'
            ' (call $sread (i32.const 200) (i32.const 10) (call $argsize))'
            ' (call $append (i32.const 200) (call $argsize)) call $reply)')
    c = installed(canister, module(body, imports=imports))
    assert not c.module.is_64
    assert c.update("echo", b"round trip", USER, 2).reply == b"round trip"
    assert c.state.stable.read(10, 10) == b"round trip"


def test_a_wasm64_module_uses_i64_addresses(canister):
    imports = ('(import "ic0" "msg_arg_data_size" (func $argsize (result i64)))'
               '(import "ic0" "msg_arg_data_copy" (func $argcopy (param i64 i64 i64)))'
               '(import "ic0" "msg_reply" (func $reply))'
               '(import "ic0" "msg_reply_data_append" (func $append (param i64 i64)))')
    body = ('(func (export "canister_update echo") (call $argcopy (i64.const 70000) (i64.const 0) (call $argsize))'
            ' (call $append (i64.const 70000) (call $argsize)) call $reply)')
    c = installed(canister, module(body, imports=imports, memory="(memory i64 2)"))
    assert c.module.is_64 and c.update("echo", b"sixty-four", USER, 2).reply == b"sixty-four"


def test_heap_out_of_bounds_in_a_system_call(canister):
    c = installed(canister, module('(func (export "canister_update oob") (call $append (i32.const 65530) (i32.const 10)))',
                                   imports=APPEND))
    out = c.update("oob", b"", USER, 2)
    assert out.error_code == "IC0502" and out.reject_message.endswith("Canister trapped: heap out of bounds")


def test_stable_writes_of_a_trapped_update_are_undone(canister):
    imports = ('(import "ic0" "stable64_grow" (func $grow (param i64) (result i64)))'
               '(import "ic0" "stable64_write" (func $write (param i64 i64 i64)))')
    body = ('(data (i32.const 0) "abc")'
            ' (func (export "canister_update write") (drop (call $grow (i64.const 1)))'
            ' (call $write (i64.const 0) (i64.const 0) (i64.const 3)) unreachable)')
    c = installed(canister, module(body, imports=imports))
    assert c.update("write", b"", USER, 2).error_code == "IC0502"
    assert c.state.stable.pages == 0


def test_the_global_timer_runs_once_when_due(canister):
    imports = ('(import "ic0" "global_timer_set" (func $set (param i64) (result i64)))'
               '(import "ic0" "time" (func $time (result i64)))' + REPLY + APPEND)
    body = ('(global $fired (mut i32) (i32.const 0))'
            ' (func (export "canister_update arm") (drop (call $set (i64.const 1000))) call $reply)'
            ' (func (export "canister_global_timer") (global.set $fired (i32.add (global.get $fired) (i32.const 1)))'
            '   (i64.store (i32.const 8) (call $time)))'
            ' (func (export "canister_query fired") (i32.store8 (i32.const 0) (global.get $fired))'
            '   (call $append (i32.const 0) (i32.const 1)) call $reply)')
    c = installed(canister, module(body, imports=imports))
    assert c.global_timer(5000) is None  # not armed
    assert c.update("arm", b"", USER, 2).replied and c.state.global_timer == 1000
    assert c.global_timer(999) is None
    assert c.global_timer(1000).replied
    assert c.state.global_timer == 0 and c.query("fired", b"", USER, 3).reply == b"\x01"
    assert c.global_timer(2000) is None  # deactivated once run


def test_global_timer_set_in_a_query_traps(canister):
    c = installed(canister, module('(func (export "canister_query arm") (drop (call $set (i64.const 5))))',
                                   imports='(import "ic0" "global_timer_set" (func $set (param i64) (result i64)))'))
    out = c.query("arm", b"", USER, 1)
    assert out.reject_message.endswith('"ic0_global_timer_set" cannot be executed in non-replicated query mode')


def test_inspect_message_accepts_by_method_name(canister):
    imports = ('(import "ic0" "msg_method_name_size" (func $size (result i32)))'
               '(import "ic0" "accept_message" (func $accept))')
    body = '(func (export "canister_inspect_message") (if (i32.eq (call $size) (i32.const 2)) (then call $accept)))'
    c = installed(canister, module(body, imports=imports))
    assert c.inspect_message("ok", b"", USER, 1).replied
    refused = c.inspect_message("nope", b"", USER, 1)
    assert (refused.reject_code, refused.error_code) == (4, "IC0406")


@pytest.mark.parametrize("data,expected", [
    (b"", "not a WebAssembly binary"),
    (b"\0asm\2\0\0\0", "unsupported WebAssembly binary version"),
    (b"\0asm\1\0\0\0\1\xff\xff", "truncated"),
    (b"\0asm\1\0\0\0\x0a\x05\x01\x03\x00\x00\x0b", "malformed WebAssembly"),
    (b"\x1f\x8b\x08garbage", "cannot be decompressed"),
])
def test_malformed_wasm_is_refused_with_a_clear_message(canister, data, expected):
    c = canister()
    out = c.install(data, b"", CONTROLLER, 1)
    assert (out.reject_code, out.error_code) == (5, "IC0505") and expected in out.reject_message, out
    assert c.module is None


def test_reserved_exports_and_custom_sections_are_refused(canister):
    out = canister().install(module('(func (export "canister_bogus"))'), b"", CONTROLLER, 1)
    assert "canister_bogus" in out.reject_message
    out = canister().install(module('(func (export "canister_update m") (param i32))'), b"", CONTROLLER, 1)
    assert "must be a function of type () -> ()" in out.reject_message
