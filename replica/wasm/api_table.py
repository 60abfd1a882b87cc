"""The `ic0` imports: each function's signature and where it may be called (interface spec
"Overview of imports"). `I` in a signature is the module's address type: i64 for a module whose
memory is 64-bit, else i32. Functions marked `i32_only` exist only for 32-bit modules.

The contexts are the spec's letters; a call from any other context traps with the IC's text
`"ic0_<name>" cannot be executed in <mode> mode`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Context(str, Enum):
    """Where a System API call happens (the spec's letters), with the IC's name for the mode."""

    START = "s"
    INIT = "I"  # canister_init and canister_post_upgrade
    PRE_UPGRADE = "G"
    UPDATE = "U"
    REPLICATED_QUERY = "RQ"
    NON_REPLICATED_QUERY = "NRQ"
    COMPOSITE_QUERY = "CQ"
    REPLY_CALLBACK = "Ry"
    REJECT_CALLBACK = "Rt"
    COMPOSITE_REPLY_CALLBACK = "CRy"
    COMPOSITE_REJECT_CALLBACK = "CRt"
    CLEANUP = "C"
    COMPOSITE_CLEANUP = "CC"
    INSPECT_MESSAGE = "F"
    SYSTEM_TASK = "T"

    @property
    def mode(self) -> str:
        return MODE_NAMES[self]

    @property
    def replicated(self) -> bool:
        return self not in NON_REPLICATED


MODE_NAMES = {
    Context.START: "start", Context.INIT: "init", Context.PRE_UPGRADE: "pre upgrade",
    Context.UPDATE: "update", Context.REPLICATED_QUERY: "replicated query",
    Context.NON_REPLICATED_QUERY: "non-replicated query", Context.COMPOSITE_QUERY: "composite query",
    Context.REPLY_CALLBACK: "reply callback", Context.REJECT_CALLBACK: "reject callback",
    Context.COMPOSITE_REPLY_CALLBACK: "composite reply callback",
    Context.COMPOSITE_REJECT_CALLBACK: "composite reject callback", Context.CLEANUP: "cleanup",
    Context.COMPOSITE_CLEANUP: "composite cleanup", Context.INSPECT_MESSAGE: "inspect message",
    Context.SYSTEM_TASK: "system task",
}
NON_REPLICATED = {Context.NON_REPLICATED_QUERY, Context.COMPOSITE_QUERY, Context.COMPOSITE_REPLY_CALLBACK,
                  Context.COMPOSITE_REJECT_CALLBACK, Context.COMPOSITE_CLEANUP, Context.INSPECT_MESSAGE}
REPLY_CONTEXTS = {Context.UPDATE, Context.REPLICATED_QUERY, Context.NON_REPLICATED_QUERY, Context.COMPOSITE_QUERY,
                  Context.REPLY_CALLBACK, Context.REJECT_CALLBACK, Context.COMPOSITE_REPLY_CALLBACK,
                  Context.COMPOSITE_REJECT_CALLBACK}

ALL = frozenset(Context) - {Context.START}  # the spec's `*`
ALL_AND_START = frozenset(Context)


def contexts(letters: str) -> frozenset[Context]:
    if letters == "*":
        return ALL
    if letters == "* s":
        return ALL_AND_START
    return frozenset(Context(letter) for letter in letters.split())


@dataclass(frozen=True)
class ApiFunction:
    name: str
    params: str  # one letter a value: I (address width), i (i32), l (i64)
    results: str
    allowed: frozenset[Context]
    i32_only: bool = False

    def signature(self, is_64: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
        def types(spec: str) -> tuple[str, ...]:
            return tuple({"I": "i64" if is_64 else "i32", "i": "i32", "l": "i64"}[c] for c in spec)

        return types(self.params), types(self.results)


def _table(*rows: tuple) -> dict[str, ApiFunction]:
    table = {}
    for row in rows:
        name, params, results, letters, *rest = row
        table[name] = ApiFunction(name, params, results, contexts(letters), *rest)
    return table


CALL = "U CQ Ry Rt CRy CRt T"
REPLY = "U RQ NRQ CQ Ry Rt CRy CRt"
SYSTEM_API = _table(
    ("msg_arg_data_size", "", "I", "I U RQ NRQ CQ Ry CRy F"),
    ("msg_arg_data_copy", "III", "", "I U RQ NRQ CQ Ry CRy F"),
    ("msg_caller_size", "", "I", "*"),
    ("msg_caller_copy", "III", "", "*"),
    ("msg_reject_code", "", "i", "Ry Rt CRy CRt"),
    ("msg_reject_msg_size", "", "I", "Rt CRt"),
    ("msg_reject_msg_copy", "III", "", "Rt CRt"),
    ("msg_deadline", "", "l", "U RQ NRQ CQ Ry Rt CRy CRt"),
    ("msg_reply_data_append", "II", "", REPLY),
    ("msg_reply", "", "", REPLY),
    ("msg_reject", "II", "", REPLY),
    ("msg_cycles_available128", "I", "", "U RQ Rt Ry"),
    ("msg_cycles_refunded128", "I", "", "Rt Ry"),
    ("msg_cycles_accept128", "llI", "", "U RQ Rt Ry"),
    ("cycles_burn128", "llI", "", "I G U RQ Ry Rt C T"),
    ("canister_self_size", "", "I", "*"),
    ("canister_self_copy", "III", "", "*"),
    ("canister_cycle_balance128", "I", "", "*"),
    ("canister_liquid_cycle_balance128", "I", "", "*"),
    ("canister_status", "", "i", "*"),
    ("canister_version", "", "l", "*"),
    ("subnet_self_size", "", "I", "*"),
    ("subnet_self_copy", "III", "", "*"),
    ("msg_method_name_size", "", "I", "F"),
    ("msg_method_name_copy", "III", "", "F"),
    ("accept_message", "", "", "F"),
    ("call_new", "IIIIIIII", "", CALL),
    ("call_on_cleanup", "II", "", CALL),
    ("call_data_append", "II", "", CALL),
    ("call_with_best_effort_response", "i", "", CALL),
    ("call_cycles_add128", "ll", "", "U Ry Rt T"),
    ("call_perform", "", "i", CALL),
    ("stable64_size", "", "l", "* s"),
    ("stable64_grow", "l", "l", "* s"),
    ("stable64_write", "lll", "", "* s"),
    ("stable64_read", "lll", "", "* s"),
    ("certified_data_set", "II", "", "I G U Ry Rt T"),
    ("data_certificate_present", "", "i", "*"),
    ("data_certificate_size", "", "I", "NRQ CQ"),
    ("data_certificate_copy", "III", "", "NRQ CQ"),
    ("time", "", "l", "*"),
    ("global_timer_set", "l", "l", "I G U Ry Rt C T"),
    ("performance_counter", "i", "l", "* s"),
    ("is_controller", "II", "i", "* s"),
    ("in_replicated_execution", "", "i", "* s"),
    ("cost_call", "llI", "", "* s"),
    ("cost_create_canister", "I", "", "* s"),
    ("cost_http_request", "llI", "", "* s"),
    ("debug_print", "II", "", "* s"),
    ("trap", "II", "", "* s"),
    # Only for modules whose memory is 32-bit (or that declare none).
    ("msg_cycles_available", "", "l", "U RQ Rt Ry", True),
    ("msg_cycles_refunded", "", "l", "Rt Ry", True),
    ("msg_cycles_accept", "l", "l", "U RQ Rt Ry", True),
    ("canister_cycle_balance", "", "l", "*", True),
    ("call_cycles_add", "l", "", "U Ry Rt T", True),
    ("stable_size", "", "i", "* s", True),
    ("stable_grow", "i", "i", "* s", True),
    ("stable_write", "iii", "", "* s", True),
    ("stable_read", "iii", "", "* s", True),
)


def available(is_64: bool) -> dict[str, ApiFunction]:
    """The ic0 functions a module of this address width may import."""
    return {name: f for name, f in SYSTEM_API.items() if not (f.i32_only and is_64)}
