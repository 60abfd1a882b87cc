"""One Wasm canister on wasmtime: install, messages, upgrade (interface spec "Execution of calls",
"Canister initialization", "Canister upgrades", "Global timer").

Every call returns the replica's `Outcome` and never raises for anything the module does. A
message runs against a checkpoint: main memory, mutable globals, stable memory, certified data,
the timer and the cycle balance are kept only when an update (or timer, heartbeat, install,
upgrade) finishes without trapping; a query's changes are always dropped. A message has an
instruction budget (wasmtime fuel); past it, it traps with the IC's IC0522.

The live instance holds the committed main memory, and `replica.wasm.dirty.MemoryImage` a copy of
it: after a message, the pages it wrote are folded into the copy (commit) or put back from it
(rollback; a memory that grew is re-instantiated at its old size). What that costs follows the
pages written, not the heap; the committed pages are also what the persistence layer stores
(`take_written_pages`).
"""

from __future__ import annotations

import ctypes
import logging
from dataclasses import dataclass
from typing import Callable

import wasmtime

from replica.certification.request_status import Outcome
from replica.wasm.api_table import Context
from replica.wasm.logs import CanisterLog
from replica.wasm.module import MAX_MODULE_BYTES, CanisterModule, MethodKind, parse_module
from replica.wasm.sections import GLOBAL_EXPORT_PREFIX, MEMORY_EXPORT, START_EXPORT, TABLE_EXPORT
from replica.wasm.state import WASM_PAGE, CanisterState, Checkpoint, StableMemory
from replica.wasm.calls import no_response
from replica.wasm.dirty import PAGE, RESERVATION, MemoryImage
from replica.wasm.execution import CallExecution
from replica.wasm.system_api import MAX_PAYLOAD_BYTES, Message, SystemApi
from replica.wasm import traps

log = logging.getLogger(__name__)
GiB = 1024 ** 3
_ENGINE: wasmtime.Engine | None = None


def wasm_engine() -> wasmtime.Engine:
    """The process's wasmtime engine: memory64 on (Motoko's wasm64 canisters), fuel metering on."""
    global _ENGINE
    if _ENGINE is None:
        config = wasmtime.Config()
        config.wasm_memory64 = True
        config.consume_fuel = True
        config.memory_reservation = RESERVATION  # wasmtime's default, which dirty-page tracking relies on
        _ENGINE = wasmtime.Engine(config)
    return _ENGINE


@dataclass(frozen=True)
class Limits:
    """The IC's per-message limits (application subnet), lowered in tests."""

    update_instructions: int = 40_000_000_000
    query_instructions: int = 5_000_000_000
    install_instructions: int = 300_000_000_000
    wasm32_memory_bytes: int = 4 * GiB
    wasm64_memory_bytes: int = 6 * GiB
    stable_memory_bytes: int = 500 * GiB
    max_module_bytes: int = MAX_MODULE_BYTES


class _Live:
    """A wasmtime instance of the installed module and the handles the engine uses."""

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance, module: CanisterModule):
        self.store = store
        exports = instance.exports(store)
        self.exports = exports
        self.memory: wasmtime.Memory | None = exports.get(MEMORY_EXPORT) if module.has_memory else None
        self.globals = [exports[f"{GLOBAL_EXPORT_PREFIX}{i}"] for i in module.mutable_globals]
        self.table: wasmtime.Table | None = exports.get(TABLE_EXPORT) if module.has_table else None
        self._image: MemoryImage | None = None

    def func(self, name: str):
        return self.exports.get(name)

    def span(self) -> tuple[int, int]:
        """(address, length) of the main memory; (0, 0) without one."""
        if self.memory is None:
            return 0, 0
        return _address(self.memory, self.store), self.memory.data_len(self.store)

    def image(self) -> MemoryImage | None:
        """The committed image of the main memory, taken when first needed (before a message)."""
        if self._image is None and self.memory is not None:
            self._image = MemoryImage(*self.span())
        return self._image

    def forget_image(self) -> None:
        """After the memory was loaded whole: the next message takes a new image."""
        if self._image is not None:
            self._image.close()
            self._image = None

    def global_values(self) -> list:
        return [g.value(self.store) for g in self.globals]

    def save(self) -> tuple[list, bytes]:
        memory = b""
        if self.memory is not None:
            memory = ctypes.string_at(*self.span())
        return self.global_values(), memory

    def load_memory(self, data: bytes | bytearray) -> None:
        if self.memory is None:
            return
        missing = len(data) - self.memory.data_len(self.store)
        if missing > 0:
            self.memory.grow(self.store, -(-missing // WASM_PAGE))
        if data:
            source = (ctypes.c_char * len(data)).from_buffer(data) if isinstance(data, bytearray) else data
            ctypes.memmove(_address(self.memory, self.store), source, len(data))
            del source
        self.forget_image()

    def load_globals(self, values: list) -> None:
        for handle, value in zip(self.globals, values):
            handle.set_value(self.store, value)


def _address(memory: wasmtime.Memory, store: wasmtime.Store) -> int:
    return ctypes.cast(memory.data_ptr(store), ctypes.c_void_p).value or 0


class WasmCanister(CallExecution):
    """One canister: its module, live instance and state, and the IC's message semantics.

    The methods here answer one message with an `Outcome` and make no inter-canister call (a
    `call_perform` answers 2); `CallExecution` (replica/wasm/execution.py) adds the call-aware
    entry points a `replica.wasm.scheduler.Scheduler` drives."""

    def __init__(self, canister_id: bytes, *, controllers: list[bytes] | None = None, limits: Limits = Limits(),
                 data_certificate: Callable[[bytes, int], bytes | None] | None = None):
        from ic.principal import Principal

        self.canister_id = bytes(canister_id)
        self.canister_text = Principal.from_bytes(self.canister_id).to_text()
        self.limits = limits
        self._data_certificate = data_certificate or (lambda _cid, _t: None)
        self.state = self._fresh_state(list(controllers or []))
        self.module: CanisterModule | None = None
        self._compiled: wasmtime.Module | None = None
        self._live: _Live | None = None
        self._linker: wasmtime.Linker | None = None
        self._fuel_limit = 0
        self._written: set[int] = set()  # main memory pages committed since `take_written_pages`
        self.api = SystemApi(self.state, canister_text=self.canister_text, fuel_used=self._fuel_used)
        self._init_calls()

    # -- code installation --------------------------------------------------------------------

    def install(self, module_bytes: bytes, arg: bytes, caller: bytes, time_ns: int, *, mode: str = "install") -> Outcome:
        """`install` (on an empty canister) or `reinstall`: a fresh state, (start), canister_init."""
        if mode not in ("install", "reinstall"):
            raise ValueError(f"mode must be 'install' or 'reinstall', not {mode!r}")
        if mode == "install" and self.module is not None:
            return Outcome.rejected(traps.CANISTER_ERROR, f"Canister {self.canister_text} is already installed.",
                                    traps.E_ALREADY_INSTALLED)
        if (too_big := self._oversized(arg, "install argument")) is not None:
            return too_big
        try:
            module, compiled = parse_module(module_bytes, wasm_engine(), max_bytes=self.limits.max_module_bytes)
        except traps.InvalidModule as exc:
            return traps.invalid_module_outcome(self.canister_text, exc)
        previous = (self.module, self._compiled, self._live, self.state)
        self.state = self._fresh_state(self.state.controllers, version=self.state.version)
        self.state.cycles, self.state.status = previous[3].cycles, previous[3].status  # the code goes, not those
        self.api.state = self.state
        trap = self._start(module, compiled, kept_memory=None)
        if trap is None and module.exports("canister_init"):
            trap = self._invoke("canister_init", Message(Context.INIT, caller, arg, time_ns),
                                self.limits.install_instructions)
        if trap is not None:
            self.module, self._compiled, self._live, self.state = previous
            self._rebind()
            return traps.trap_outcome(self.canister_text, trap)
        self.state.version += 1
        return Outcome(reply=b"")

    def upgrade(self, module_bytes: bytes, arg: bytes, caller: bytes, time_ns: int, *,
                wasm_memory_persistence: str | None = None, skip_pre_upgrade: bool = False) -> Outcome:
        """pre_upgrade on the old instance, then (start) and post_upgrade on the new one; stable
        memory kept, main memory kept only with `wasm_memory_persistence="keep"`; atomic."""
        if self.module is None:
            return self._empty()
        if (too_big := self._oversized(arg, "install argument")) is not None:
            return too_big
        try:
            module, compiled = parse_module(module_bytes, wasm_engine(), max_bytes=self.limits.max_module_bytes)
        except traps.InvalidModule as exc:
            return traps.invalid_module_outcome(self.canister_text, exc)
        keep = wasm_memory_persistence == "keep"
        refused = self._check_persistence(module, keep)
        if refused is not None:
            return refused
        old = (self.module, self._compiled, self._live)
        checkpoint = Checkpoint.take(self.state)
        saved = self._live.save()
        trap = None
        if not skip_pre_upgrade and self.module.exports("canister_pre_upgrade"):
            trap = self._invoke("canister_pre_upgrade", Message(Context.PRE_UPGRADE, caller, b"", time_ns),
                                self.limits.install_instructions)
        if trap is None:
            kept = self._live.save()[1] if keep else None
            self.state.global_timer = 0  # install_code deactivates the timer
            trap = self._start(module, compiled, kept_memory=kept)
            if trap is None and module.exports("canister_post_upgrade"):
                trap = self._invoke("canister_post_upgrade", Message(Context.INIT, caller, arg, time_ns),
                                    self.limits.install_instructions)
        if trap is not None:
            self.module, self._compiled, self._live = old
            self._rebind()
            checkpoint.rollback()
            self._restore(saved)
            return traps.trap_outcome(self.canister_text, trap)
        checkpoint.commit()
        self.state.version += 1
        return Outcome(reply=b"")

    def _check_persistence(self, module: CanisterModule, keep: bool) -> Outcome | None:
        if self.module.enhanced_orthogonal_persistence and not keep:
            return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: Missing upgrade"
                                    " option: Enhanced orthogonal persistence requires the `wasm_memory_persistence`"
                                    " upgrade option.", traps.E_CONTRACT_VIOLATION)
        if keep and not module.enhanced_orthogonal_persistence:
            return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: Invalid upgrade"
                                    " option: The `wasm_memory_persistence: opt Keep` upgrade option requires that the"
                                    " new canister module supports enhanced orthogonal persistence.",
                                    traps.E_CONTRACT_VIOLATION)
        if keep and module.active_data is None:
            return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: the new module's"
                                    " data segments have offsets this engine cannot re-apply over a kept memory.",
                                    traps.E_INVALID_WASM)
        return None

    def _start(self, module: CanisterModule, compiled: wasmtime.Module, *, kept_memory: bytes | None):
        """Instantiate `module` as the canister's code, restore a kept memory, run (start)."""
        self.module, self._compiled = module, compiled
        self._linker = None
        try:
            self._live = self._instantiate()
        except (wasmtime.WasmtimeError, wasmtime.Trap, traps.CanisterTrap) as exc:
            return exc if isinstance(exc, traps.CanisterTrap) else traps.wasm_trap(exc, self.limits.install_instructions)
        if kept_memory is not None:
            self._live.load_memory(kept_memory)
            for offset, data in module.active_data or ():
                self._live.memory.write(self._live.store, data, offset)
        if module.has_start:
            return self._invoke(START_EXPORT, Message(Context.START), self.limits.install_instructions)
        return None

    def _instantiate(self) -> _Live:
        if self._linker is None:
            self._linker = wasmtime.Linker(wasm_engine())
            self.api.define(self._linker, self.module.is_64)
        store = wasmtime.Store(wasm_engine())
        memory_limit = self.limits.wasm64_memory_bytes if self.module.is_64 else self.limits.wasm32_memory_bytes
        store.set_limits(memory_size=memory_limit)
        store.set_fuel(0)
        self.api.bind(store, None)
        live = _Live(store, self._linker.instantiate(store, self._compiled), self.module)
        self.api.bind(store, live.memory)
        return live

    def _rebind(self) -> None:
        self.api.state = self.state
        self._linker = None
        if self._live is not None:
            self.api.bind(self._live.store, self._live.memory)

    def _fresh_state(self, controllers: list[bytes], version: int = 0) -> CanisterState:
        return CanisterState(self.canister_id, controllers=controllers, version=version,
                             stable=StableMemory(max_bytes=self.limits.stable_memory_bytes))

    # -- messages -----------------------------------------------------------------------------

    def update(self, method: str, arg: bytes, caller: bytes, time_ns: int) -> Outcome:
        """An update call (replicated): committed only if it does not trap."""
        refused = self._precheck(method, arg, as_query=False)
        if refused is not None:
            return refused
        kind = self.module.methods[method]
        if kind is MethodKind.COMPOSITE_QUERY:
            return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: Composite query"
                                    f" method '{method}' cannot be called in replicated mode", traps.E_CONTRACT_VIOLATION)
        is_update = kind is MethodKind.UPDATE
        msg = Message(Context.UPDATE if is_update else Context.REPLICATED_QUERY, caller, arg, time_ns, method)
        limit = self.limits.update_instructions if is_update else self.limits.query_instructions
        trap = self._run(f"{kind.value} {method}", msg, limit, persist=is_update)
        return self._outcome(msg, trap)

    def query(self, method: str, arg: bytes, caller: bytes, time_ns: int) -> Outcome:
        """A query call (non-replicated): never changes the canister; sees a data certificate."""
        refused = self._precheck(method, arg, as_query=True)
        if refused is not None:
            return refused
        kind = self.module.methods[method]
        context = Context.COMPOSITE_QUERY if kind is MethodKind.COMPOSITE_QUERY else Context.NON_REPLICATED_QUERY
        msg = Message(context, caller, arg, time_ns, method,
                      certificate=lambda: self._data_certificate(self.canister_id, time_ns))
        trap = self._run(f"{kind.value} {method}", msg, self.limits.query_instructions, persist=False)
        return self._outcome(msg, trap)

    def inspect_message(self, method: str, arg: bytes, caller: bytes, time_ns: int) -> Outcome:
        """Whether an ingress update would be accepted (`canister_inspect_message`); no state change."""
        if self.module is None:
            return self._empty()
        if not self.module.exports("canister_inspect_message"):
            return Outcome(reply=b"")
        msg = Message(Context.INSPECT_MESSAGE, caller, arg, time_ns, method)
        trap = self._run("canister_inspect_message", msg, self.limits.query_instructions, persist=False)
        if trap is not None:
            return traps.trap_outcome(self.canister_text, trap)
        if not msg.accepted:
            return Outcome.rejected(traps.CANISTER_REJECT, f"Canister {self.canister_text} rejected the message",
                                    traps.E_CANISTER_REJECTED)
        return Outcome(reply=b"")

    def global_timer(self, time_ns: int) -> Outcome | None:
        """Run `canister_global_timer` if the timer is due (it is deactivated first); else None."""
        due = self.state.global_timer
        if self.module is None or not due or time_ns < due or not self.module.exports("canister_global_timer"):
            return None
        self.state.global_timer = 0
        return self._system_task("canister_global_timer", time_ns)

    def heartbeat(self, time_ns: int) -> Outcome | None:
        if self.module is None or not self.module.exports("canister_heartbeat"):
            return None
        return self._system_task("canister_heartbeat", time_ns)

    def _system_task(self, export: str, time_ns: int) -> Outcome:
        msg = Message(Context.SYSTEM_TASK, b"", b"", time_ns)  # the caller is the management canister
        trap = self._run(export, msg, self.limits.update_instructions, persist=True)
        return traps.trap_outcome(self.canister_text, trap) if trap is not None else Outcome(reply=b"")

    def _precheck(self, method: str, arg: bytes, *, as_query: bool) -> Outcome | None:
        if self.module is None:
            return self._empty()
        kind = self.module.methods.get(method)
        if kind is None or (as_query and kind is MethodKind.UPDATE):
            return Outcome.rejected(traps.DESTINATION_INVALID, f"Canister {self.canister_text} has no"
                                    f" {'query' if as_query else 'update'} method '{method}'", traps.E_METHOD_NOT_FOUND)
        return self._oversized(arg, "argument")

    def _oversized(self, arg: bytes, what: str) -> Outcome | None:
        if len(arg) <= MAX_PAYLOAD_BYTES:
            return None
        return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: the {what} of"
                                f" {len(arg)} bytes exceeds the limit of {MAX_PAYLOAD_BYTES} bytes",
                                traps.E_CONTRACT_VIOLATION)

    def _empty(self) -> Outcome:
        return Outcome.rejected(traps.CANISTER_ERROR, f"Error from Canister {self.canister_text}: Attempted to execute"
                                " a message, but the canister contains no Wasm module.", traps.E_MODULE_NOT_FOUND)

    def _outcome(self, msg: Message, trap: traps.CanisterTrap | None) -> Outcome:
        if trap is not None:
            return traps.trap_outcome(self.canister_text, trap)
        if msg.response is None:
            return no_response(self.canister_text, from_canister=False)
        kind, value = msg.response
        if kind == "reply":
            return Outcome(reply=value)
        return Outcome.rejected(traps.CANISTER_REJECT, value, traps.E_CANISTER_REJECTED)

    # -- running code -------------------------------------------------------------------------

    def _run(self, export: str, msg: Message, limit: int, *, persist: bool) -> traps.CanisterTrap | None:
        """Invoke an entry point against a checkpoint; keep its effects only if `persist` and no trap."""
        live = self._live
        checkpoint = Checkpoint.take(self.state)
        image = live.image()
        values = live.global_values()
        trap = self._invoke(export, msg, limit)
        if trap is None and persist:
            checkpoint.commit()
            if image is not None:
                self._written |= image.commit(*live.span())
            self.state.version += 1
            return None
        checkpoint.rollback()
        if image is not None and not image.rollback(*live.span()):
            self._reinstantiate(image.shadow)
        self._live.load_globals(values)
        return trap

    def _restore(self, saved: tuple[list, bytes]) -> None:
        """Put back a `_Live.save()` whole (a failed upgrade, the end of a composite query call)."""
        values, memory = saved
        live = self._live
        if live.memory is not None and live.memory.data_len(live.store) > len(memory):
            live = self._reinstantiate(memory)
        else:
            live.load_memory(memory)
        live.load_globals(values)

    def _reinstantiate(self, memory: bytes | bytearray) -> _Live:
        """Wasm memory cannot shrink: a fresh instance (its start function not run) with `memory`."""
        self._live.forget_image()
        self.api.quiet = True
        try:
            live = self._live = self._instantiate()
        finally:
            self.api.quiet = False
        live.load_memory(memory)
        return live

    # -- what the persistence layer reads -------------------------------------------------------

    def take_written_pages(self) -> list[tuple[int, bytes]]:
        """The 64 KiB pages of main memory committed since the last call (or `memory_pages`), as
        (index, bytes), lowest first."""
        written, self._written = sorted(self._written), set()
        if self._live is None:
            return []
        address, length = self._live.span()
        return [(p, ctypes.string_at(address + p * PAGE, min(PAGE, length - p * PAGE)))
                for p in written if p * PAGE < length]

    def memory_pages(self) -> list[tuple[int, bytes]]:
        """Every page of main memory that is not all zeros (a full write)."""
        self._written = set()
        if self._live is None:
            return []
        address, length = self._live.span()
        zero = bytes(PAGE)
        pages = ((p, ctypes.string_at(address + p * PAGE, min(PAGE, length - p * PAGE)))
                 for p in range(-(-length // PAGE)))
        return [(p, data) for p, data in pages if data != zero[:len(data)]]

    def _invoke(self, export: str | Callable[[wasmtime.Store], object], msg: Message,
                limit: int) -> traps.CanisterTrap | None:
        """Run an export by name (or any callable taking the store: a callback) as `msg`; a trap
        is also a record of the canister's log."""
        func = self._live.func(export) if isinstance(export, str) else export
        msg.fuel_limit = self._fuel_limit = limit
        self.api.msg = msg
        store = self._live.store
        store.set_fuel(limit)
        trap = None
        try:
            func(store)
        except traps.CanisterTrap as exc:
            trap = exc
        except (wasmtime.Trap, wasmtime.WasmtimeError) as exc:
            trap = traps.wasm_trap(exc, limit)
        except Exception as exc:  # a bug in the engine must not take the replica down
            log.exception("canister %s: internal error in %s", self.canister_text, export)
            trap = traps.CanisterTrap(f"internal error of the replica's System API: {type(exc).__name__}: {exc}")
        finally:
            self.api.discard_call()  # a call never performed gives its cycles back
        if trap is not None and not self.api.quiet:
            self.api.log.append(msg.time_ns, f"[TRAP]: {trap.message}")
        return trap

    def _fuel_used(self) -> int:
        return self._fuel_limit - self._live.store.get_fuel()

    @property
    def log(self) -> CanisterLog:
        """What `debug_print` printed and why messages trapped (`replica.wasm.logs`)."""
        return self.api.log
