"""A synchronous scheduler: one ingress message (or query call, or system task) run to completion
with every inter-canister call it causes (interface spec "Execution of calls", "Responses").

API (all times in ns since the epoch; every canister id is raw principal bytes):

    Scheduler(lookup, *, refuse=None, limits=SchedulerLimits())
        refuse: Callable[[bytes], Outcome | None]: the reject a new call to that Wasm canister
        gets instead of running (a stopped canister), or None; responses are always delivered.
        lookup: Callable[[bytes], Target | None] or a Mapping[bytes, Target], where a Target is
        a `WasmCanister` or any `Callee`. A `Callee` answers at once and makes no calls:
            class Callee(Protocol):
                def execute(self, caller: bytes, method: str, arg: bytes, *, time_ns: int,
                            as_query: bool) -> Outcome
        `RuntimeCallee(runtime, canister_id)` makes a Python canister of `replica.runtime`
        (`Runtime.execute`) one; the management canister can be another.
    .call(canister_id, method, arg, caller, time_ns) -> Run        an ingress update call
    .query(canister_id, method, arg, caller, time_ns) -> Run       a query call: composite queries
        call queries and composite queries of other canisters; every change is undone at the end
    .global_timer(canister_id, time_ns) -> Run | None              None: not due / no timer
    .heartbeat(canister_id, time_ns) -> Run | None
    .resume(pending, time_ns) -> Run                               go on with what a Run left
    Run(outcome, pending, messages, trap, limit_error, touched)
        outcome: the ingress/query answer (None for a system task, or when the work bound stopped
        the run first); pending: requests and responses not delivered because of that bound;
        messages: how many were executed; trap: a system task's trap; limit_error: which bound;
        touched: the ids of the Wasm canisters that executed a message (what to persist).

Messages are delivered in FIFO order. An unknown canister id gives the caller's reject callback
the IC's DESTINATION_INVALID (3); a callee that traps gives CANISTER_ERROR (5) with the IC's
message; a call context that ends without a reply gives 5, "No response". Bounds: at most
`max_messages` executions per run (then the run stops, the ingress answer is IC0518 if it had
none, and the rest is in `pending`) and a call depth of `max_call_depth` (`max_query_depth` in a
query call; a deeper call is rejected to its caller with IC0517).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, Union

from replica.certification.request_status import Outcome
from replica.wasm import traps
from replica.wasm.calls import Answer, Call, Execution
from replica.wasm.execution import CallExecution, CanisterSnapshot
from replica.wasm.module import MethodKind

E_CANISTER_NOT_FOUND = "IC0301"
E_CALL_TOO_DEEP = "IC0517"  # the IC's QueryCallGraphTooDeep
E_TOO_MUCH_WORK = "IC0518"  # the IC's limit on a query call graph's total work


class Callee(Protocol):
    """A canister that answers a call at once and makes no calls of its own."""

    def execute(self, caller: bytes, method: str, arg: bytes, *, time_ns: int, as_query: bool) -> Outcome: ...


class RuntimeCallee:
    """A Python canister of `replica.runtime.dispatch.Runtime` as a `Callee`."""

    def __init__(self, runtime, canister_id: bytes):
        self.runtime = runtime
        self.canister_id = bytes(canister_id)

    def execute(self, caller: bytes, method: str, arg: bytes, *, time_ns: int, as_query: bool) -> Outcome:
        return self.runtime.execute(self.canister_id, method, arg, caller, as_query=as_query, time_ns=time_ns)


Target = Union[CallExecution, Callee]


@dataclass(frozen=True)
class SchedulerLimits:
    max_messages: int = 10_000  # executions (calls, callbacks) per run
    max_call_depth: int = 100
    max_query_depth: int = 6  # the IC's MAX_CALL_DEPTH_COMPOSITE_QUERY


@dataclass(frozen=True)
class Origin:
    """Where a call context's answer goes: a canister's callback, or the run itself (caller None)."""

    caller: bytes | None
    callback_id: int = 0
    depth: int = 0


@dataclass(frozen=True)
class Request:
    call: Call
    depth: int
    query: bool


@dataclass(frozen=True)
class Response:
    caller: bytes
    callback_id: int
    outcome: Outcome
    refund: int
    depth: int
    query: bool


@dataclass(frozen=True)
class Run:
    outcome: Outcome | None
    pending: tuple[Request | Response, ...] = ()
    messages: int = 0
    trap: traps.CanisterTrap | None = None
    limit_error: str | None = None
    touched: frozenset[bytes] = frozenset()


@dataclass
class _State:
    time_ns: int
    query: bool
    queue: deque = field(default_factory=deque)
    messages: int = 0
    outcome: Outcome | None = None
    snapshots: dict[bytes, tuple[CallExecution, CanisterSnapshot]] = field(default_factory=dict)
    touched: set[bytes] = field(default_factory=set)


class Scheduler:
    def __init__(self, lookup: Callable[[bytes], Target | None] | Mapping[bytes, Target], *,
                 refuse: Callable[[bytes], Outcome | None] | None = None,
                 limits: SchedulerLimits = SchedulerLimits()):
        self._lookup = lookup.get if isinstance(lookup, Mapping) else lookup
        self._refuse = refuse or (lambda canister_id: None)
        self.limits = limits

    # -- entry points -------------------------------------------------------------------------

    def call(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, time_ns: int) -> Run:
        return self._top(canister_id, method, arg, caller, _State(time_ns, query=False))

    def query(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, time_ns: int) -> Run:
        state = _State(time_ns, query=True)
        try:
            return self._top(canister_id, method, arg, caller, state)
        finally:
            for canister, snapshot in state.snapshots.values():
                canister.restore(snapshot)

    def global_timer(self, canister_id: bytes, time_ns: int) -> Run | None:
        return self._system_task(canister_id, time_ns, "execute_global_timer")

    def heartbeat(self, canister_id: bytes, time_ns: int) -> Run | None:
        return self._system_task(canister_id, time_ns, "execute_heartbeat")

    def resume(self, pending: tuple[Request | Response, ...], time_ns: int) -> Run:
        """Deliver what an earlier (update) run left pending; its ingress answer is long given."""
        state = _State(time_ns, query=False, queue=deque(pending))
        return self._drain(state)

    # -- running ------------------------------------------------------------------------------

    def _top(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, state: _State) -> Run:
        target = self._lookup(canister_id)
        state.messages = 1
        if target is None:
            state.outcome = _not_found(canister_id)
        elif isinstance(target, CallExecution):
            self._touch(target, state, method)
            self._absorb(target.execute_call(method, arg, caller, state.time_ns, origin=Origin(None),
                                             query=state.query), state)
        else:
            state.outcome = target.execute(caller, method, arg, time_ns=state.time_ns, as_query=state.query)
        return self._drain(state)

    def _system_task(self, canister_id: bytes, time_ns: int, entry: str) -> Run | None:
        target = self._lookup(canister_id)
        if not isinstance(target, CallExecution):
            return None
        execution = getattr(target, entry)(time_ns, origin=Origin(None))
        if execution is None:
            return None
        state = _State(time_ns, query=False, messages=1, touched={target.canister_id})
        self._absorb(execution, state)
        run = self._drain(state)
        return Run(None, run.pending, run.messages, execution.trap, run.limit_error, run.touched)

    def _drain(self, state: _State) -> Run:
        while state.queue:
            if state.messages >= self.limits.max_messages:
                error = (f"the call graph of this message ran {state.messages} messages, the most this replica"
                         f" runs for one message; {len(state.queue)} were left undelivered")
                if state.outcome is None:
                    state.outcome = Outcome.rejected(traps.CANISTER_ERROR, error, E_TOO_MUCH_WORK)
                return Run(state.outcome, tuple(state.queue), state.messages, limit_error=error,
                           touched=frozenset(state.touched))
            item = state.queue.popleft()
            state.messages += 1
            if isinstance(item, Request):
                self._deliver_request(item, state)
            else:
                self._deliver_response(item, state)
        return Run(state.outcome, (), state.messages, touched=frozenset(state.touched))

    def _deliver_request(self, request: Request, state: _State) -> None:
        call = request.call
        limit = self.limits.max_query_depth if request.query else self.limits.max_call_depth
        if request.depth > limit:
            self._respond(call, request, Outcome.rejected(
                traps.CANISTER_ERROR, f"the call to {_text(call.callee)}.{call.method} would nest calls {request.depth}"
                f" deep; this replica allows at most {limit}", E_CALL_TOO_DEEP), state)
            return
        target = self._lookup(call.callee)
        refused = _not_found(call.callee) if target is None else None
        if refused is None and isinstance(target, CallExecution):
            refused = self._refuse(call.callee)
        if refused is not None:
            self._respond(call, request, refused, state)
        elif isinstance(target, CallExecution):
            self._touch(target, state, call.method)
            origin = Origin(call.caller, call.callback_id, request.depth)
            self._absorb(target.execute_call(call.method, call.arg, call.caller, state.time_ns, origin=origin,
                                             from_canister=True, cycles=call.cycles, query=request.query), state)
        else:
            outcome = target.execute(call.caller, call.method, call.arg, time_ns=state.time_ns,
                                     as_query=request.query)
            self._respond(call, request, outcome, state)

    def _deliver_response(self, response: Response, state: _State) -> None:
        target = self._lookup(response.caller)
        if not isinstance(target, CallExecution):
            return  # the caller is gone: the response is dropped
        self._touch(target, state)
        self._absorb(target.execute_response(response.callback_id, response.outcome, state.time_ns,
                                             refund=response.refund), state)

    def _respond(self, call: Call, request: Request, outcome: Outcome, state: _State) -> None:
        """The answer of a callee that is not a Wasm canister: every cycle goes back."""
        state.queue.append(Response(call.caller, call.callback_id, outcome, call.cycles, request.depth, request.query))

    def _absorb(self, execution: Execution, state: _State) -> None:
        depth = execution.origin.depth + 1 if isinstance(execution.origin, Origin) else 1
        for call in execution.calls:
            state.queue.append(Request(call, depth, state.query))
        if execution.answer is not None:
            self._answer(execution.answer, state)

    def _answer(self, answer: Answer, state: _State) -> None:
        origin = answer.origin
        if origin.caller is None:
            state.outcome = answer.outcome
        else:
            state.queue.append(Response(origin.caller, origin.callback_id, answer.outcome, answer.refund,
                                        origin.depth, state.query))

    def _touch(self, canister: CallExecution, state: _State, method: str | None = None) -> None:
        """Note the canister as one that ran; in a query call, remember it as it was before a
        composite query first ran on it (a plain query never keeps a change, so needs no copy;
        a callback runs only where a composite query made the call)."""
        state.touched.add(canister.canister_id)
        if (state.query and method is not None and canister.canister_id not in state.snapshots
                and canister.module is not None and canister.module.methods.get(method) is MethodKind.COMPOSITE_QUERY):
            state.snapshots[canister.canister_id] = (canister, canister.snapshot())


def _text(raw: bytes) -> str:
    from ic.principal import Principal

    return Principal.from_bytes(raw).to_text()


def _not_found(canister_id: bytes) -> Outcome:
    return Outcome.rejected(traps.DESTINATION_INVALID, f"Canister {_text(canister_id)} not found", E_CANISTER_NOT_FOUND)
