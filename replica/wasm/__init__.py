"""Wasm canisters on wasmtime behind the IC System API (DESIGN section 2: `replica/wasm/`).

`WasmCanister` runs one canister: install, update, query, inspect_message, global timer,
heartbeat, upgrade, each answering with the replica's `Outcome`. Modules: `module` (parse and
check a canister module), `sections` (the bits of the binary format the engine reads), `api_table`
(ic0 signatures and where each may be called), `system_api` (the ic0 functions), `state`
(stable memory, certified data, timer; the per-message checkpoint), `traps` (errors and their IC
reject codes), `engine` (instances, messages, commit and rollback); inter-canister calls: `calls`
(requests, callbacks, call contexts), `call_api` (ic0.call_* and the cycles of calls), `execution`
(call-aware entry points: calls, callbacks, cleanup, system tasks) and `scheduler` (one ingress
message, query call or system task run to completion, with every call it causes).

Server-only: never imported by `ic/` or `app/`.
"""

from replica.wasm.engine import Limits, WasmCanister, wasm_engine
from replica.wasm.module import CanisterModule, MethodKind, parse_module
from replica.wasm.traps import CanisterTrap, InvalidModule, WasmError

__all__ = ["CanisterModule", "CanisterTrap", "InvalidModule", "Limits", "MethodKind", "WasmCanister", "WasmError",
           "parse_module", "wasm_engine"]
