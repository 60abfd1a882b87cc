"""The `ic0` functions (interface spec "System API"), for one canister, one message at a time.

`SystemApi.define(linker, is_64)` puts every function of `api_table.available(is_64)` into a
wasmtime linker. Each call first checks the spec's availability for the current `Message`'s
context (a call from elsewhere traps: `"ic0_<name>" cannot be executed in <mode> mode`), then
reads its arguments as unsigned numbers, as the spec says.

The functions of inter-canister calls and of the cycles they carry are in `call_api` (mixed in).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
from dataclasses import dataclass, field
from typing import Callable

import wasmtime

from replica.wasm.api_table import Context, available
from replica.wasm.call_api import MAX_PAYLOAD_BYTES, MAX_PRINCIPAL_BYTES, CallApi
from replica.wasm.calls import Call, CallUnderConstruction
from replica.wasm.logs import CanisterLog
from replica.wasm.sections import MEMORY_EXPORT
from replica.wasm.state import CanisterState, StableMemoryBounds
from replica.wasm.traps import CalledTrap, CanisterTrap, ContractViolation

log = logging.getLogger("replica.wasm.canister")

STABLE32_MAX_PAGES = 65536  # 4 GiB: the most the 32-bit stable API can address
# Fees of a 13-node application subnet (interface spec "Cycles cost"), for `cost_*`.
CALL_FEE, CALL_BYTE_FEE, CREATE_CANISTER_FEE = 260_000, 1_000, 100_000_000_000
SUBNET_ID = hashlib.sha224(b"python-replica local subnet").digest() + b"\x02"


@dataclass
class Message:
    """One execution of an entry point: its context, inputs, and what it produced."""

    context: Context
    caller: bytes = b""
    arg: bytes = b""
    time_ns: int = 0
    method_name: str = ""
    certificate: bytes | None | Callable[[], bytes | None] = None  # non-replicated queries (made when asked for)
    reject_code: int = 0  # in a reject callback
    reject_message: str = ""
    fuel_limit: int = 0
    reply_buffer: bytearray = field(default_factory=bytearray)
    response: tuple[str, bytes | str] | None = None  # ("reply", data) | ("reject", text)
    accepted: bool = False  # canister_inspect_message called accept_message
    # The call context: answered by an earlier message of it; whether it needs an answer at all.
    responded_before: bool = False
    needs_response: bool = True
    cycles_available: int = 0  # sent by the caller, not yet accepted (refunded with the answer)
    cycles_refunded: int = 0  # in a callback: what came back with the response
    refund: int = 0  # what the answer given in this message returns to the caller
    calls_enabled: bool = False  # a scheduler will deliver what call_perform queues
    call: CallUnderConstruction | None = None  # the inter-canister call under construction
    calls: list[tuple[CallUnderConstruction, Call]] = field(default_factory=list)  # performed
    failed_calls: list[tuple[bytes, str]] = field(default_factory=list)  # refused (no scheduler)

    def data_certificate(self) -> bytes | None:
        """The certificate, made the first time a message asks (it costs a BLS signature)."""
        if callable(self.certificate):
            self.certificate = self.certificate()
        return self.certificate


class SystemApi(CallApi):
    def __init__(self, state: CanisterState, *, canister_text: str, fuel_used: Callable[[], int]):
        self.state = state
        self.canister_text = canister_text
        self.msg = Message(Context.START)
        self.quiet = False  # set while the engine re-instantiates: no debug output
        self.log = CanisterLog()  # debug_print and traps (the engine adds those)
        self._fuel_used = fuel_used
        self._memory: wasmtime.Memory | None = None
        self._store: wasmtime.Store | None = None

    # -- wiring -------------------------------------------------------------------------------

    def bind(self, store: wasmtime.Store, memory: wasmtime.Memory | None) -> None:
        self._store, self._memory = store, memory

    def define(self, linker: wasmtime.Linker, is_64: bool) -> None:
        for name, function in available(is_64).items():
            params, results = function.signature(is_64)
            masks = tuple((1 << 64) - 1 if p == "i64" else (1 << 32) - 1 for p in params)
            ty = wasmtime.FuncType([_valtype(p) for p in params], [_valtype(r) for r in results])
            linker.define_func("ic0", name, ty, self._wrap(name, function.allowed, masks), access_caller=True)

    def _wrap(self, name: str, allowed: frozenset[Context], masks: tuple[int, ...]):
        impl = getattr(self, f"ic0_{name}")
        api_name = f"ic0_{name}"

        def call(caller, *args):
            if self.msg.context not in allowed:
                raise ContractViolation(f'"{api_name}" cannot be executed in {self.msg.context.mode} mode')
            if self._memory is None:
                self._memory = caller.get(MEMORY_EXPORT)
            return impl(*(a & m for a, m in zip(args, masks)))

        return call

    # -- memory -------------------------------------------------------------------------------

    def _heap(self) -> tuple[int, int]:
        if self._memory is None:
            return 0, 0
        ptr = self._memory.data_ptr(self._store)
        return ctypes.cast(ptr, ctypes.c_void_p).value or 0, self._memory.data_len(self._store)

    def read(self, src: int, size: int) -> bytes:
        base, length = self._heap()
        if src + size > length:
            raise CanisterTrap("heap out of bounds")
        return ctypes.string_at(base + src, size) if size else b""

    def write(self, dst: int, data: bytes) -> None:
        base, length = self._heap()
        if dst + len(data) > length:
            raise CanisterTrap("heap out of bounds")
        if data:
            ctypes.memmove(base + dst, data, len(data))

    def _copy_out(self, name: str, data: bytes, dst: int, offset: int, size: int) -> None:
        if offset + size > len(data):
            raise ContractViolation(f"ic0_{name}: offset {offset} + size {size} is past the end of the"
                                    f" data ({len(data)} bytes)")
        self.write(dst, data[offset:offset + size])

    def _write_u128(self, dst: int, value: int) -> None:
        self.write(dst, value.to_bytes(16, "little"))

    # -- message arguments --------------------------------------------------------------------

    def ic0_msg_arg_data_size(self) -> int:
        return len(self.msg.arg)

    def ic0_msg_arg_data_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("msg_arg_data_copy", self.msg.arg, dst, offset, size)

    def ic0_msg_caller_size(self) -> int:
        return len(self.msg.caller)

    def ic0_msg_caller_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("msg_caller_copy", self.msg.caller, dst, offset, size)

    def ic0_msg_reject_code(self) -> int:
        return self.msg.reject_code

    def ic0_msg_reject_msg_size(self) -> int:
        if not self.msg.reject_code:
            raise ContractViolation("ic0_msg_reject_msg_size: there is no reject message (reject code 0)")
        return len(self.msg.reject_message.encode())

    def ic0_msg_reject_msg_copy(self, dst: int, offset: int, size: int) -> None:
        if not self.msg.reject_code:
            raise ContractViolation("ic0_msg_reject_msg_copy: there is no reject message (reject code 0)")
        self._copy_out("msg_reject_msg_copy", self.msg.reject_message.encode(), dst, offset, size)

    def ic0_msg_deadline(self) -> int:
        return 0  # ingress messages and queries have no deadline

    def ic0_msg_method_name_size(self) -> int:
        return len(self.msg.method_name.encode())

    def ic0_msg_method_name_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("msg_method_name_copy", self.msg.method_name.encode(), dst, offset, size)

    def ic0_accept_message(self) -> None:
        if self.msg.accepted:
            raise ContractViolation("ic0.accept_message: the function was already called.")
        self.msg.accepted = True

    # -- responding ---------------------------------------------------------------------------

    def _check_unanswered(self, name: str) -> None:
        if not self.msg.needs_response:
            raise ContractViolation(f"ic0.{name}: the call does not need to be responded to")
        if self.msg.response is not None or self.msg.responded_before:
            raise ContractViolation(f"ic0.{name}: the call is already replied")

    def ic0_msg_reply_data_append(self, src: int, size: int) -> None:
        self._check_unanswered("msg_reply_data_append")
        total = len(self.msg.reply_buffer) + size
        if total > MAX_PAYLOAD_BYTES:
            raise ContractViolation(f"ic0.msg_reply_data_append: application payload size ({total}) cannot be"
                                    f" larger than {MAX_PAYLOAD_BYTES}.")
        self.msg.reply_buffer += self.read(src, size)

    def ic0_msg_reply(self) -> None:
        self._check_unanswered("msg_reply")
        self.msg.response = ("reply", bytes(self.msg.reply_buffer))
        self._responded()

    def ic0_msg_reject(self, src: int, size: int) -> None:
        self._check_unanswered("msg_reject")
        if size > MAX_PAYLOAD_BYTES:
            raise ContractViolation(f"ic0.msg_reject: reject message size ({size}) cannot be larger than {MAX_PAYLOAD_BYTES}.")
        try:
            text = self.read(src, size).decode("utf-8")
        except UnicodeDecodeError:
            raise ContractViolation("ic0.msg_reject: the reject message is not valid UTF-8") from None
        self.msg.response = ("reject", text)
        self._responded()

    def _responded(self) -> None:
        """The call is answered: unaccepted cycles go back to the caller with the response."""
        self.msg.reply_buffer = bytearray()
        self.msg.refund, self.msg.cycles_available = self.msg.cycles_available, 0

    # -- the canister's cycles (the cycles of calls are in call_api) ---------------------------

    def ic0_cycles_burn128(self, high: int, low: int, dst: int) -> None:
        burned = min((high << 64) | low, self.state.cycles)
        self.state.cycles -= burned
        self._write_u128(dst, burned)

    def ic0_canister_cycle_balance128(self, dst: int) -> None:
        self._write_u128(dst, self.state.cycles)

    def ic0_canister_liquid_cycle_balance128(self, dst: int) -> None:
        self._write_u128(dst, self.state.cycles)

    def ic0_canister_cycle_balance(self) -> int:
        if self.state.cycles >= 1 << 64:
            raise ContractViolation("ic0_canister_cycle_balance: the balance does not fit in 64 bits;"
                                    " use ic0.canister_cycle_balance128")
        return self.state.cycles

    # -- the canister itself ------------------------------------------------------------------

    def ic0_canister_self_size(self) -> int:
        return len(self.state.canister_id)

    def ic0_canister_self_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("canister_self_copy", self.state.canister_id, dst, offset, size)

    def ic0_subnet_self_size(self) -> int:
        return len(SUBNET_ID)

    def ic0_subnet_self_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("subnet_self_copy", SUBNET_ID, dst, offset, size)

    def ic0_canister_status(self) -> int:
        return self.state.status

    def ic0_canister_version(self) -> int:
        return self.state.version

    def ic0_is_controller(self, src: int, size: int) -> int:
        if size > MAX_PRINCIPAL_BYTES:
            raise ContractViolation(f"ic0_is_controller: a principal has at most {MAX_PRINCIPAL_BYTES} bytes, not {size}")
        return int(self.read(src, size) in self.state.controllers)

    def ic0_in_replicated_execution(self) -> int:
        return int(self.msg.context.replicated)

    # -- stable memory ------------------------------------------------------------------------

    def ic0_stable64_size(self) -> int:
        return self.state.stable.pages

    def ic0_stable64_grow(self, new_pages: int) -> int:
        return self.state.stable.grow(new_pages)

    def ic0_stable64_write(self, offset: int, src: int, size: int) -> None:
        data = self.read(src, size)
        try:
            self.state.stable.write(offset, data)
        except StableMemoryBounds:
            raise CanisterTrap("stable memory out of bounds") from None

    def ic0_stable64_read(self, dst: int, offset: int, size: int) -> None:
        try:
            data = self.state.stable.read(offset, size)
        except StableMemoryBounds:
            raise CanisterTrap("stable memory out of bounds") from None
        self.write(dst, data)

    def _stable32(self, name: str) -> None:
        if self.state.stable.pages > STABLE32_MAX_PAGES:
            raise ContractViolation(f"ic0_{name}: the 32-bit stable memory API cannot be used with a stable memory"
                                    " larger than 4 GiB; use the stable64 functions")

    def ic0_stable_size(self) -> int:
        self._stable32("stable_size")
        return self.state.stable.pages

    def ic0_stable_grow(self, new_pages: int) -> int:
        self._stable32("stable_grow")
        if self.state.stable.pages + new_pages > STABLE32_MAX_PAGES:
            return -1
        return self.state.stable.grow(new_pages)

    def ic0_stable_write(self, offset: int, src: int, size: int) -> None:
        self._stable32("stable_write")
        self.ic0_stable64_write(offset, src, size)

    def ic0_stable_read(self, dst: int, offset: int, size: int) -> None:
        self._stable32("stable_read")
        self.ic0_stable64_read(dst, offset, size)

    # -- certified data, time, timer, counters ------------------------------------------------

    def ic0_certified_data_set(self, src: int, size: int) -> None:
        if size > 32:
            raise ContractViolation(f"ic0_certified_data_set: the certified data must be no larger than 32 bytes,"
                                    f" not {size}")
        self.state.certified_data = self.read(src, size)

    def ic0_data_certificate_present(self) -> int:
        return int(self.msg.data_certificate() is not None)

    def _certificate(self, name: str) -> bytes:
        certificate = self.msg.data_certificate()
        if certificate is None:
            raise ContractViolation(f"ic0_{name}: no data certificate is present in this call")
        return certificate

    def ic0_data_certificate_size(self) -> int:
        return len(self._certificate("data_certificate_size"))

    def ic0_data_certificate_copy(self, dst: int, offset: int, size: int) -> None:
        self._copy_out("data_certificate_copy", self._certificate("data_certificate_copy"), dst, offset, size)

    def ic0_time(self) -> int:
        return self.msg.time_ns

    def ic0_global_timer_set(self, timestamp: int) -> int:
        previous, self.state.global_timer = self.state.global_timer, timestamp
        return previous

    def ic0_performance_counter(self, counter_type: int) -> int:
        if counter_type not in (0, 1):  # 1 (the call context's instructions): this message's, for now
            raise ContractViolation(f"ic0_performance_counter: unknown counter type {counter_type}")
        return self._fuel_used()

    def ic0_cost_call(self, method_name_size: int, payload_size: int, dst: int) -> None:
        self._write_u128(dst, CALL_FEE + CALL_BYTE_FEE * (method_name_size + payload_size))

    def ic0_cost_create_canister(self, dst: int) -> None:
        self._write_u128(dst, CREATE_CANISTER_FEE)

    def ic0_cost_http_request(self, request_size: int, max_res_bytes: int, dst: int) -> None:
        nodes = 13
        self._write_u128(dst, (3_000_000 + 60_000 * nodes) * nodes + 400 * nodes * request_size
                         + 800 * nodes * max_res_bytes)

    # -- debugging ----------------------------------------------------------------------------

    def ic0_debug_print(self, src: int, size: int) -> None:
        try:
            text = self.read(src, size).decode("utf-8", "backslashreplace")
        except CanisterTrap:
            return  # never traps: out-of-bounds prints are skipped
        if self.quiet:
            return
        self.log.append(self.msg.time_ns, text)
        log.info("[Canister %s] %s", self.canister_text, text)

    def ic0_trap(self, src: int, size: int) -> None:
        try:
            text = self.read(src, size).decode("utf-8", "replace")
        except CanisterTrap:
            text = ""
        raise CalledTrap(text)


def _valtype(name: str) -> wasmtime.ValType:
    return wasmtime.ValType.i64() if name == "i64" else wasmtime.ValType.i32()
