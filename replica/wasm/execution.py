"""Call-aware execution of a Wasm canister (interface spec "Execution of calls", "Call contexts",
"Inter-canister method calls", "Responses"), mixed into `WasmCanister`.

Each entry point here runs one message and returns an `Execution`: the calls to send (only when
the message committed) and, when the message answered or ended its call context, the `Answer`.

- `execute_call` opens a call context for an incoming call (ingress or another canister's) and
  runs the method in it. An update commits at its end; a query never does; a composite query's
  changes stay for its own callbacks and the scheduler undoes them all (`snapshot` / `restore`)
  when the query call ends.
- `execute_response` runs the reply or reject callback of a call through table 0 with its env,
  committed on its own. If it traps, its changes are dropped and the call's cleanup callback
  runs (and commits unless it traps too).
- `execute_global_timer` / `execute_heartbeat`: system tasks, whose call context nobody answers.

A call context that has answered and has no callback outstanding is forgotten. One that has not
answered when its last callback ran gets the IC's reject for its caller: the trap of that last
message if it trapped, else "did not reply" (code 5, IC0506; "No response" to a canister).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import wasmtime

from replica.certification.request_status import Outcome
from replica.wasm import traps
from replica.wasm.api_table import Context
from replica.wasm.calls import Answer, Callback, CallContext, ContextKind, Execution, no_response
from replica.wasm.module import MethodKind
from replica.wasm.system_api import Message

log = logging.getLogger(__name__)
CALLBACK_CONTEXTS = {  # (composite?, reply?) -> where the callback runs
    (False, True): Context.REPLY_CALLBACK, (False, False): Context.REJECT_CALLBACK,
    (True, True): Context.COMPOSITE_REPLY_CALLBACK, (True, False): Context.COMPOSITE_REJECT_CALLBACK,
}


@dataclass(frozen=True)
class CanisterSnapshot:
    """All a composite query call may change on a canister, to undo it when the call ends."""

    live: tuple[list, bytes] | None
    stable: bytes
    certified_data: bytes
    global_timer: int
    cycles: int
    version: int
    contexts: dict[int, CallContext]
    callbacks: dict[int, Callback]


class CallExecution:
    """Needs from `WasmCanister`: module, state, limits, api, canister_text, _live, _precheck,
    _run, _restore, _data_certificate."""

    def _init_calls(self) -> None:
        self._contexts: dict[int, CallContext] = {}
        self._callbacks: dict[int, Callback] = {}
        self._next_id = 0

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    @property
    def open_call_contexts(self) -> int:
        return len(self._contexts)

    @property
    def outstanding_callbacks(self) -> int:
        return len(self._callbacks)

    # -- entry points -------------------------------------------------------------------------

    def execute_call(self, method: str, arg: bytes, caller: bytes, time_ns: int, *, origin: Any = None,
                     from_canister: bool = False, cycles: int = 0, query: bool = False) -> Execution:
        """Run `method` for an incoming call. `query`: a call of a query call's evaluation
        (non-replicated: query and composite query methods only)."""
        refused = self._precheck(method, arg, as_query=query)
        if refused is None and not query and self.module.methods[method] is MethodKind.COMPOSITE_QUERY:
            refused = Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: Composite"
                                       f" query method '{method}' cannot be called in replicated mode",
                                       traps.E_CONTRACT_VIOLATION)
        if refused is not None:
            return Execution(origin, answer=Answer(origin, refused, cycles))
        kind = self.module.methods[method]
        certificate = None
        if query:
            composite = kind is MethodKind.COMPOSITE_QUERY
            context = Context.COMPOSITE_QUERY if composite else Context.NON_REPLICATED_QUERY
            ctx_kind = ContextKind.COMPOSITE_QUERY if composite else ContextKind.QUERY
            persist, limit = composite, self.limits.query_instructions
            certificate = lambda: self._data_certificate(self.canister_id, time_ns)  # noqa: E731
        else:
            is_update = kind is MethodKind.UPDATE
            context = Context.UPDATE if is_update else Context.REPLICATED_QUERY
            ctx_kind = ContextKind.UPDATE
            persist = is_update
            limit = self.limits.update_instructions if is_update else self.limits.query_instructions
        ctx = CallContext(self._new_id(), ctx_kind, origin, caller, from_canister, cycles_available=cycles)
        msg = Message(context, caller, arg, time_ns, method, certificate=certificate, cycles_available=cycles,
                      calls_enabled=True)
        trap = self._run(f"{kind.value} {method}", msg, limit, persist=persist)
        return self._conclude(ctx, msg, trap, persisted=persist)

    def execute_response(self, callback_id: int, response: Outcome, time_ns: int, *, refund: int = 0) -> Execution:
        """Deliver the response to the call that registered `callback_id`."""
        callback = self._callbacks.pop(callback_id, None)
        if callback is None:
            raise KeyError(f"canister {self.canister_text} has no outstanding callback {callback_id}")
        ctx = self._contexts[callback.context_id]
        ctx.outstanding -= 1
        self.state.cycles += refund  # the refund is the canister's even if the callback traps
        if self.module is None:  # an empty canister drops responses
            return self._conclude(ctx, None, None, persisted=False)
        composite = ctx.kind is ContextKind.COMPOSITE_QUERY
        replied = response.replied
        fun, env = callback.reply if replied else callback.reject
        msg = Message(CALLBACK_CONTEXTS[composite, replied], ctx.caller, response.reply if replied else b"", time_ns,
                      reject_code=0 if replied else response.reject_code,
                      reject_message="" if replied else response.reject_message,
                      responded_before=ctx.responded, needs_response=ctx.needs_response,
                      cycles_available=ctx.cycles_available, cycles_refunded=refund, calls_enabled=True)
        limit = self.limits.query_instructions if composite else self.limits.update_instructions
        trap = self._run(self._table_function(fun, env), msg, limit, persist=True)
        if trap is not None and callback.cleanup is not None:
            cleanup = Message(Context.COMPOSITE_CLEANUP if composite else Context.CLEANUP, ctx.caller, b"", time_ns,
                              needs_response=False)
            failed = self._run(self._table_function(*callback.cleanup), cleanup, limit, persist=True)
            if failed is not None:
                log.warning("canister %s: the cleanup callback trapped too: %s", self.canister_text, failed.describe())
        return self._conclude(ctx, msg, trap, persisted=True)

    def execute_global_timer(self, time_ns: int, *, origin: Any = None) -> Execution | None:
        """`canister_global_timer` if the timer is due (deactivated first), else None."""
        due = self.state.global_timer
        if self.module is None or not due or time_ns < due or not self.module.exports("canister_global_timer"):
            return None
        self.state.global_timer = 0
        return self._execute_system_task("canister_global_timer", time_ns, origin)

    def execute_heartbeat(self, time_ns: int, *, origin: Any = None) -> Execution | None:
        if self.module is None or not self.module.exports("canister_heartbeat"):
            return None
        return self._execute_system_task("canister_heartbeat", time_ns, origin)

    def _execute_system_task(self, export: str, time_ns: int, origin: Any) -> Execution:
        ctx = CallContext(self._new_id(), ContextKind.SYSTEM_TASK, origin, b"", False)
        msg = Message(Context.SYSTEM_TASK, b"", b"", time_ns, needs_response=False, calls_enabled=True)
        trap = self._run(export, msg, self.limits.update_instructions, persist=True)
        return self._conclude(ctx, msg, trap, persisted=True)

    # -- composite query calls: undo at the end -----------------------------------------------

    def snapshot(self) -> CanisterSnapshot:
        s = self.state
        return CanisterSnapshot(self._live.save() if self._live is not None else None, s.stable.snapshot(),
                                s.certified_data, s.global_timer, s.cycles, s.version,
                                {k: replace(v) for k, v in self._contexts.items()}, dict(self._callbacks))

    def restore(self, snap: CanisterSnapshot) -> None:
        s = self.state
        if snap.live is not None and self._live is not None:
            self._restore(snap.live)
        s.stable.reset(snap.stable)
        s.certified_data, s.global_timer, s.cycles, s.version = (snap.certified_data, snap.global_timer,
                                                                 snap.cycles, snap.version)
        self._contexts, self._callbacks = dict(snap.contexts), dict(snap.callbacks)

    # -- the end of a message -----------------------------------------------------------------

    def _conclude(self, ctx: CallContext, msg: Message | None, trap: traps.CanisterTrap | None, *,
                  persisted: bool) -> Execution:
        calls = []
        answer = None
        if msg is not None and trap is None:
            for built, call in msg.calls:
                callback_id = self._new_id()
                self._callbacks[callback_id] = Callback(ctx.id, built.reply, built.reject, built.cleanup)
                calls.append(replace(call, callback_id=callback_id))
                ctx.outstanding += 1
            refund = ctx.cycles_available  # a query keeps nothing: every cycle goes back
            if persisted:
                refund, ctx.cycles_available = msg.refund, msg.cycles_available
            if msg.response is not None:
                ctx.responded = True
                answer = Answer(ctx.origin, self._response_outcome(msg.response), refund)
        if answer is None and ctx.needs_response and not ctx.responded and ctx.outstanding == 0:
            outcome = (traps.trap_outcome(self.canister_text, trap) if trap is not None
                       else no_response(self.canister_text, from_canister=ctx.from_canister))
            ctx.responded = True
            answer = Answer(ctx.origin, outcome, ctx.cycles_available)
            ctx.cycles_available = 0
        if ctx.finished:
            self._contexts.pop(ctx.id, None)
        else:
            self._contexts[ctx.id] = ctx
        return Execution(ctx.origin, tuple(calls), answer, trap)

    def _response_outcome(self, response: tuple[str, bytes | str]) -> Outcome:
        kind, value = response
        if kind == "reply":
            return Outcome(reply=value)
        return Outcome.rejected(traps.CANISTER_REJECT, value, traps.E_CANISTER_REJECTED)

    def _table_function(self, index: int, env: int):
        """A callable running table 0's entry `index` with `env` (the spec's `(env : I) -> ()`)."""
        is_64 = self.module.is_64

        def run(store: wasmtime.Store) -> None:
            table = self._live.table
            if table is None or index >= table.size(store):
                raise traps.CanisterTrap(f"the callback {index} is not in the module's table")
            func = table.get(store, index)
            if not isinstance(func, wasmtime.Func):
                raise traps.CanisterTrap(f"the callback {index} is an uninitialized element of the table")
            ty = func.type(store)
            expected = "i64" if is_64 else "i32"
            if [str(p) for p in ty.params] != [expected] or list(ty.results):
                raise traps.CanisterTrap(f"the callback {index} is not a function of type ({expected}) -> ()")
            bits = 64 if is_64 else 32
            func(store, env - (1 << bits) if env >= 1 << (bits - 1) else env)

        return run
