"""Inter-canister calls as the engine sees them (interface spec "Call contexts", "Inter-canister
method calls", "Responses"): the request a message queues, the callbacks it leaves behind, the
call context a call runs in, and what one execution hands back to the scheduler.

A `CallContext` exists from the call that opened it until it was answered and no callback of it is
outstanding. Its `origin` is the scheduler's business (where the answer goes); the engine stores it
and hands it back in `Answer`. Callbacks are table indices with an environment value, run through
the module's function table 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from replica.certification.request_status import Outcome
from replica.wasm import traps

E_NO_RESPONSE = traps.E_DID_NOT_REPLY


class ContextKind(str, Enum):
    """What opened a call context: which callback contexts (spec letters) its callbacks run in."""

    UPDATE = "update"  # update methods and replicated queries: callbacks in Ry / Rt / C
    SYSTEM_TASK = "system task"  # global timer, heartbeat: Ry / Rt / C, nobody to answer
    QUERY = "query"  # a non-replicated query: makes no calls
    COMPOSITE_QUERY = "composite query"  # callbacks in CRy / CRt / CC


@dataclass(frozen=True)
class Call:
    """A request a message queued with `ic0.call_perform`; sent only if that message commits."""

    caller: bytes
    callee: bytes
    method: str
    arg: bytes
    cycles: int
    callback_id: int
    timeout_seconds: int | None = None  # `call_with_best_effort_response`


@dataclass
class CallUnderConstruction:
    """Between `ic0.call_new` and `ic0.call_perform`."""

    callee: bytes
    method: str
    reply: tuple[int, int]
    reject: tuple[int, int]
    cleanup: tuple[int, int] | None = None
    arg: bytearray = field(default_factory=bytearray)
    cycles: int = 0
    timeout_seconds: int | None = None


@dataclass(frozen=True)
class Callback:
    """What runs when the response to a call comes back: (table index, env) pairs."""

    context_id: int
    reply: tuple[int, int]
    reject: tuple[int, int]
    cleanup: tuple[int, int] | None


@dataclass
class CallContext:
    id: int
    kind: ContextKind
    origin: Any  # opaque to the engine: the scheduler's note of where the answer goes
    caller: bytes
    from_canister: bool  # a canister's call (else ingress or a system task)
    responded: bool = False
    outstanding: int = 0  # callbacks not yet run
    cycles_available: int = 0  # cycles the caller sent that are neither accepted nor refunded

    @property
    def needs_response(self) -> bool:
        return self.kind is not ContextKind.SYSTEM_TASK

    @property
    def finished(self) -> bool:
        return (self.responded or not self.needs_response) and self.outstanding == 0


@dataclass(frozen=True)
class Answer:
    """The response of a call context, for the scheduler to route to `origin`."""

    origin: Any
    outcome: Outcome
    refund: int = 0  # cycles going back to the caller


@dataclass(frozen=True)
class Execution:
    """What one message (a call, a callback, a system task) produced once it ended.

    `origin` is the origin of the call context the message ran in (the scheduler derives call
    depth from it); `calls` are the requests to send now (empty if the message trapped);
    `answer` is the context's response when this message gave or forced one; `trap` says
    whether (and how) the message trapped, for logs and tests."""

    origin: Any
    calls: tuple[Call, ...] = ()
    answer: Answer | None = None
    trap: traps.CanisterTrap | None = None


def no_response(canister_text: str, *, from_canister: bool) -> Outcome:
    """A call context that ended without a reply: the IC's reject for its caller (code 5)."""
    if from_canister:
        return Outcome.rejected(traps.CANISTER_ERROR, "No response", E_NO_RESPONSE)
    return Outcome.rejected(traps.CANISTER_ERROR, f"Canister {canister_text} did not reply to the call", E_NO_RESPONSE)
