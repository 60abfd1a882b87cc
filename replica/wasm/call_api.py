"""The `ic0` functions of inter-canister calls and of the cycles that travel with them (interface
spec "Inter-canister method calls", "Cycles"), mixed into `SystemApi`.

A call is built between `call_new` and `call_perform`. `call_perform` queues it on the current
`Message` (returns 0); the engine sends the queued calls only if the message commits. When the
message runs without a scheduler (`Message.calls_enabled` false: the engine's plain `update`,
`global_timer` ... entry points) nothing could ever deliver it, so `call_perform` answers 2
(SYS_TRANSIENT, "could not enqueue") and no callback will run, as the spec allows.

Cycles added to a call leave the balance at once and come back if the call is not performed
(`call_new` again, or the message returns first); a trap undoes everything with the checkpoint.
"""

from __future__ import annotations

from replica.wasm.calls import Call, CallUnderConstruction
from replica.wasm.traps import ContractViolation

MAX_PAYLOAD_BYTES = 2 * 1024 * 1024
MAX_PRINCIPAL_BYTES = 29
SYS_TRANSIENT = 2
U64 = (1 << 64) - 1


class CallApi:
    """ic0.call_* and ic0.msg_cycles_*; expects `self.msg`, `self.state`, `self.read`, `self.write`."""

    # -- building a call ----------------------------------------------------------------------

    def ic0_call_new(self, callee_src, callee_size, name_src, name_size, reply_fun, reply_env, reject_fun, reject_env):
        if callee_size > MAX_PRINCIPAL_BYTES:
            raise ContractViolation(f"ic0_call_new: a principal has at most {MAX_PRINCIPAL_BYTES} bytes, not {callee_size}")
        callee = self.read(callee_src, callee_size)
        try:
            method = self.read(name_src, name_size).decode("utf-8")
        except UnicodeDecodeError:
            raise ContractViolation("ic0_call_new: the method name is not valid UTF-8") from None
        self.discard_call()
        self.msg.call = CallUnderConstruction(callee, method, (reply_fun, reply_env), (reject_fun, reject_env))

    def discard_call(self) -> None:
        """Drop the call under construction, if any, and give its cycles back."""
        call, self.msg.call = self.msg.call, None
        if call is not None:
            self.state.cycles += call.cycles

    def _call(self, name: str) -> CallUnderConstruction:
        if self.msg.call is None:
            raise ContractViolation(f"ic0_{name}: no call is under construction (call ic0.call_new first)")
        return self.msg.call

    def ic0_call_on_cleanup(self, fun: int, env: int) -> None:
        call = self._call("call_on_cleanup")
        if call.cleanup is not None:
            raise ContractViolation("ic0_call_on_cleanup: the cleanup callback is already set")
        call.cleanup = (fun, env)

    def ic0_call_data_append(self, src: int, size: int) -> None:
        call = self._call("call_data_append")
        if len(call.arg) + size > MAX_PAYLOAD_BYTES:
            raise ContractViolation(f"ic0_call_data_append: the call payload would exceed {MAX_PAYLOAD_BYTES} bytes")
        call.arg += self.read(src, size)

    def ic0_call_with_best_effort_response(self, timeout_seconds: int) -> None:
        call = self._call("call_with_best_effort_response")
        if call.timeout_seconds is not None:
            raise ContractViolation("ic0_call_with_best_effort_response: the timeout is already set")
        call.timeout_seconds = timeout_seconds

    def _add_cycles(self, name: str, amount: int) -> None:
        call = self._call(name)
        if amount > self.state.cycles:
            raise ContractViolation(f"ic0_{name}: cannot add {amount} cycles to the call, the canister's liquid"
                                    f" balance is {self.state.cycles}")
        self.state.cycles -= amount
        call.cycles += amount

    def ic0_call_cycles_add128(self, high: int, low: int) -> None:
        self._add_cycles("call_cycles_add128", (high << 64) | low)

    def ic0_call_cycles_add(self, amount: int) -> None:
        self._add_cycles("call_cycles_add", amount)

    def ic0_call_perform(self) -> int:
        call = self._call("call_perform")
        if not self.msg.calls_enabled:
            self.discard_call()
            self.msg.failed_calls.append((call.callee, call.method))
            return SYS_TRANSIENT
        self.msg.call = None
        self.msg.calls.append((call, Call(self.state.canister_id, call.callee, call.method, bytes(call.arg),
                                          call.cycles, 0, call.timeout_seconds)))
        return 0

    # -- cycles of the current call -----------------------------------------------------------

    def _accept(self, max_amount: int) -> int:
        amount = min(max_amount, self.msg.cycles_available)
        self.msg.cycles_available -= amount
        self.state.cycles += amount
        return amount

    def ic0_msg_cycles_available128(self, dst: int) -> None:
        self.write(dst, self.msg.cycles_available.to_bytes(16, "little"))

    def ic0_msg_cycles_refunded128(self, dst: int) -> None:
        self.write(dst, self.msg.cycles_refunded.to_bytes(16, "little"))

    def ic0_msg_cycles_accept128(self, high: int, low: int, dst: int) -> None:
        self.write(dst, self._accept((high << 64) | low).to_bytes(16, "little"))

    def ic0_msg_cycles_available(self) -> int:
        if self.msg.cycles_available > U64:
            raise ContractViolation("ic0_msg_cycles_available: the amount does not fit in 64 bits;"
                                    " use ic0.msg_cycles_available128")
        return self.msg.cycles_available

    def ic0_msg_cycles_refunded(self) -> int:
        if self.msg.cycles_refunded > U64:
            raise ContractViolation("ic0_msg_cycles_refunded: the amount does not fit in 64 bits;"
                                    " use ic0.msg_cycles_refunded128")
        return self.msg.cycles_refunded

    def ic0_msg_cycles_accept(self, max_amount: int) -> int:
        return self._accept(max_amount)
