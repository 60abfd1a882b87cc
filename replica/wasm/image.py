"""Persistence hooks of the engine: what a durable store reads from a `WasmCanister` after a
message, and how a canister is brought back from what it stored (used by
`replica.canisters.management.host`; issue 12 item 6).

The pages a message committed come from the engine itself (`WasmCanister.take_written_pages`,
`StableMemory.take_written_pages`); these hooks read the rest.
"""

from __future__ import annotations

from replica.wasm.engine import WasmCanister, _address, wasm_engine
from replica.wasm.module import parse_module
from replica.wasm.state import StableMemory


def main_memory(canister: WasmCanister) -> tuple[int, int]:
    """(address, length in bytes) of the committed main memory; (0, 0) without one."""
    live = canister._live
    if live is None or live.memory is None:
        return 0, 0
    return _address(live.memory, live.store), live.memory.data_len(live.store)


def global_values(canister: WasmCanister) -> list:
    """The committed values of the module's mutable globals, in the module's order."""
    live = canister._live
    if live is None:
        return []
    return [g.value(live.store) for g in live.globals]


def restore(canister: WasmCanister, module_bytes: bytes, *, memory: bytes | bytearray, globals_: list,
            stable: bytes | bytearray) -> None:
    """Re-instantiate `module_bytes` on an empty `canister` (no start function, no init), then
    load main memory, globals and stable memory as they were committed. The caller sets the rest
    of `canister.state` (controllers, certified data, timer, cycles, version, status)."""
    module, compiled = parse_module(module_bytes, wasm_engine(), max_bytes=canister.limits.max_module_bytes)
    canister.state.stable = StableMemory(bytes(stable), max_bytes=canister.limits.stable_memory_bytes)
    canister.api.state = canister.state
    canister.module, canister._compiled = module, compiled
    canister._linker = None
    canister.api.quiet = True
    try:
        canister._live = canister._instantiate()
    finally:
        canister.api.quiet = False
    canister._live.load_memory(memory)
    canister._live.load_globals(list(globals_))

