"""The hosted Wasm canisters: their records beside the engine, routing of calls and queries, and
durability (issue 12 items 2 and 6; interface spec "Execution of calls", "Canister status").

`WasmHost` is the runtime's `CanisterHost`: the dispatcher hands it every call whose canister id
it holds. An ingress update is refused before execution (non-replicated) when the canister is
stopped, stopping, empty, lacks the method, or its `canister_inspect_message` does not accept it.
A call runs through `replica.wasm.scheduler` to the end of everything it causes: the calls a
canister makes to other Wasm canisters, to the Python ones (II, whoami) and to aaaaa-aa. `tick`
runs what is due without a caller: global timers, heartbeats, and whatever a run left undelivered
at its work bound (the replica calls it every round).

Durability: after every run that may have changed a canister (update, timer, install, upgrade,
settings...), `persist` writes its row and the 64 KiB pages of main and stable memory its messages
committed (the engine tracks them: `replica.wasm.dirty`), inside the transaction the replica holds
around the call, so an update that got a reply is on disk with its ingress record. An install,
reinstall, upgrade or uninstall rewrites every page (`full`). On start, `load` restores
every canister: module re-instantiated (no init, no start function), memories and globals loaded.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from replica.canisters.management import settings as cfg
from replica.canisters.management.pages import assemble
from replica.certification.request_status import Outcome
from replica.certification.state import CanisterView
from replica.storage.canister_rows import MAIN_MEMORY, STABLE_MEMORY, CanisterRow
from replica.wasm import Limits, WasmCanister, image
from replica.wasm.logs import MAX_RECORDS, CanisterLog, LogRecord
from replica.wasm.scheduler import Request, Response, RuntimeCallee, Run, Scheduler
from replica.wasm.state import RUNNING, STOPPED, STOPPING

log = logging.getLogger(__name__)

CANISTER_ERROR = 5
DESTINATION_INVALID = 3
E_CANISTER_NOT_FOUND = "IC0301"
E_STOPPED = "IC0508"
E_STOPPING = "IC0509"


def principal_text(raw: bytes) -> str:
    from ic.principal import Principal

    return Principal.from_bytes(raw).to_text()


@dataclass
class HostedWasm:
    """One Wasm canister: the engine's instance and what the management canister keeps beside it."""

    canister_id: bytes
    engine: WasmCanister
    settings: dict
    created_ns: int
    history: list[dict] = field(default_factory=list)
    total_changes: int = 0
    chunks: dict[bytes, bytes] = field(default_factory=dict)
    query_stats: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    logs_saved: int = 0  # the index of the first log record not yet on disk

    @property
    def text(self) -> str:
        return self.engine.canister_text

    @property
    def controllers(self) -> list[bytes]:
        return self.engine.state.controllers

    @property
    def module_hash(self) -> bytes | None:
        return self.engine.module.module_hash if self.engine.module is not None else None

    def is_controller(self, principal: bytes) -> bool:
        return bytes(principal) in self.controllers


class WasmHost:
    """Every Wasm canister of one replica, durable in `storage` (a `SqliteStorage`)."""

    def __init__(self, storage, *, data_certificate: Callable[[bytes, int], bytes | None],
                 limits: Limits = Limits()):
        self.storage = storage
        self.limits = limits
        self._data_certificate = data_certificate
        self.canisters: dict[bytes, HostedWasm] = {}
        self.runtime = None  # the Python canisters, callees of the Wasm ones (`attach`)
        self.scheduler = Scheduler(self._target, refuse=self._refusal)
        self.pending: list[Request | Response] = []  # left by a run at its work bound; `tick` goes on

    def attach(self, runtime) -> None:
        """Let Wasm canisters call the Python canisters of `runtime` (aaaaa-aa among them)."""
        self.runtime = runtime

    def _target(self, canister_id: bytes):
        """Who receives a call or response for `canister_id` inside a scheduler run."""
        hosted = self.canisters.get(canister_id)
        if hosted is not None:
            return hosted.engine
        if self.runtime is not None and canister_id in self.runtime.hosted:
            return RuntimeCallee(self.runtime, canister_id)
        return None

    # -- lifecycle ------------------------------------------------------------------------------

    def new_engine(self, canister_id: bytes, controllers: list[bytes]) -> WasmCanister:
        return WasmCanister(canister_id, controllers=list(controllers), limits=self.limits,
                            data_certificate=self._data_certificate)

    def create(self, canister_id: bytes, *, controllers: list[bytes], settings: dict, cycles: int,
               time_ns: int, by: bytes) -> HostedWasm:
        engine = self.new_engine(canister_id, controllers)
        engine.state.cycles = cycles
        hosted = HostedWasm(canister_id, engine, settings, time_ns)
        self.canisters[canister_id] = hosted
        cfg.record_change(hosted, time_ns, by, {"creation": {"controllers": list(controllers)}})
        self.persist(hosted, full=True)
        return hosted

    def delete(self, canister_id: bytes) -> None:
        self.canisters.pop(canister_id, None)
        self.storage.delete_canister(canister_id)

    def replace_engine(self, hosted: HostedWasm) -> None:
        """Uninstall: a fresh, empty engine with the old one's controllers, cycles, status, version."""
        old = hosted.engine.state
        engine = self.new_engine(hosted.canister_id, old.controllers)
        engine.state.cycles, engine.state.status, engine.state.version = old.cycles, old.status, old.version + 1
        engine.api.log = hosted.engine.log  # the log outlives the module
        hosted.engine = engine

    def get(self, canister_id: bytes) -> HostedWasm | None:
        return self.canisters.get(canister_id)

    # -- CanisterHost (replica.runtime.contract) -------------------------------------------------

    def hosts(self, canister_id: bytes) -> bool:
        return canister_id in self.canisters

    def canister_ids(self) -> list[bytes]:
        return list(self.canisters)

    def precheck(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, time_ns: int, *,
                 as_query: bool, ingress: bool) -> Outcome | None:
        hosted = self.canisters.get(canister_id)
        if hosted is None:
            return Outcome.rejected(DESTINATION_INVALID, f"Canister {principal_text(canister_id)} not found",
                                    E_CANISTER_NOT_FOUND)
        status = hosted.engine.state.status
        if status != RUNNING:
            return self._status_refusal(hosted, status)
        engine = hosted.engine
        refused = engine._precheck(method, arg, as_query=as_query)
        if refused is not None:
            return refused
        if ingress and not as_query:
            verdict = engine.inspect_message(method, arg, caller, time_ns)
            if not verdict.replied:
                return verdict
        return None

    def execute(self, canister_id: bytes, method: str, arg: bytes, caller: bytes, *, as_query: bool,
                time_ns: int) -> Outcome:
        refused = self.precheck(canister_id, method, arg, caller, time_ns, as_query=as_query, ingress=False)
        if refused is not None:
            return refused
        hosted = self.canisters[canister_id]
        if as_query:
            outcome = self.scheduler.query(canister_id, method, arg, caller, time_ns).outcome
            stats = hosted.query_stats
            stats[0] += 1
            stats[2] += len(arg)
            stats[3] += len(outcome.reply or b"")
            return outcome
        return self._finish(self.scheduler.call(canister_id, method, arg, caller, time_ns)).outcome

    def tick(self, time_ns: int) -> int:
        """One round without a caller: due global timers, heartbeats, then what earlier runs left
        undelivered. Returns the number of messages executed."""
        messages = 0
        for canister_id, hosted in list(self.canisters.items()):
            if hosted.engine.module is None or hosted.engine.state.status != RUNNING:
                continue
            for run in (self.scheduler.global_timer(canister_id, time_ns),
                        self.scheduler.heartbeat(canister_id, time_ns)):
                if run is not None:
                    if run.trap is not None:
                        log.warning("canister %s trapped in a system task: %s", hosted.text, run.trap.describe())
                    messages += self._finish(run).messages
        if self.pending:
            pending, self.pending = tuple(self.pending), []
            messages += self._finish(self.scheduler.resume(pending, time_ns)).messages
        return messages

    def _finish(self, run: Run) -> Run:
        """Persist every canister the run changed; keep what it could not deliver for `tick`."""
        for canister_id in run.touched:
            hosted = self.canisters.get(canister_id)
            if hosted is not None:
                self.persist(hosted)
        if run.pending:
            log.warning("%s; the rest is delivered in the next rounds", run.limit_error)
            self.pending.extend(run.pending)
        return run

    def _refusal(self, canister_id: bytes) -> Outcome | None:
        hosted = self.canisters[canister_id]
        status = hosted.engine.state.status
        return None if status == RUNNING else self._status_refusal(hosted, status)

    @staticmethod
    def _status_refusal(hosted: HostedWasm, status: int) -> Outcome:
        if status == STOPPED:
            return Outcome.rejected(CANISTER_ERROR, f"Canister {hosted.text} is stopped", E_STOPPED)
        return Outcome.rejected(CANISTER_ERROR, f"Canister {hosted.text} is stopping", E_STOPPING)

    def view(self, canister_id: bytes) -> CanisterView | None:
        hosted = self.canisters.get(canister_id)
        if hosted is None:
            return None
        module = hosted.engine.module
        return CanisterView(
            certified_data=hosted.engine.state.certified_data,
            controllers=tuple(hosted.controllers),
            module_hash=hosted.module_hash,
            public_metadata=dict(module.public_metadata) if module else {},
            private_metadata=dict(module.private_metadata) if module else {},
        )

    # -- durability -----------------------------------------------------------------------------

    def persist(self, hosted: HostedWasm, *, full: bool = False) -> int:
        """Write what changed since the last write; `full` also rewrites the module and every
        page. Returns the number of pages written."""
        from ic import cbor

        engine = hosted.engine
        state = engine.state
        if full:
            heap_pages, stable_pages = engine.memory_pages(), state.stable.nonzero_pages()
        else:
            heap_pages, stable_pages = engine.take_written_pages(), state.stable.take_written_pages()
        _address, length = image.main_memory(engine)
        row = CanisterRow(
            canister_id=hosted.canister_id,
            controllers=cbor.encode(list(state.controllers)),
            settings=cfg.encode_settings(hosted.settings),
            cycles=state.cycles,
            status=state.status,
            version=state.version,
            module=engine.module.wasm if engine.module is not None else None,
            module_hash=hosted.module_hash,
            certified_data=state.certified_data,
            global_timer=state.global_timer,
            globals=json.dumps(image.global_values(engine)),
            heap_bytes=length,
            stable_bytes=len(state.stable),
            history=cbor.encode({"total": hosted.total_changes, "recent": hosted.history}),
            created_ns=hosted.created_ns,
        )
        self.storage.save_canister(row, with_module=full)
        if heap_pages or full:
            self.storage.write_pages(hosted.canister_id, MAIN_MEMORY, heap_pages, drop_all=full)
        if stable_pages or full:
            self.storage.write_pages(hosted.canister_id, STABLE_MEMORY, stable_pages, drop_all=full)
        fresh = engine.log.since(hosted.logs_saved)
        if fresh:
            self.storage.append_logs(hosted.canister_id, [(r.idx, r.time_ns, r.text) for r in fresh], keep=MAX_RECORDS)
        hosted.logs_saved = engine.log.next_idx
        return len(heap_pages) + len(stable_pages)

    def put_chunk(self, hosted: HostedWasm, digest: bytes, data: bytes) -> None:
        hosted.chunks[digest] = data
        self.storage.put_chunk(hosted.canister_id, digest, data)

    def clear_chunks(self, hosted: HostedWasm) -> None:
        hosted.chunks.clear()
        self.storage.clear_chunks(hosted.canister_id)

    def load(self) -> None:
        """Bring back every stored canister (at start)."""
        from ic import cbor

        for row in self.storage.load_canisters():
            controllers = [bytes(c) for c in cbor.decode(row.controllers)]
            engine = self.new_engine(row.canister_id, controllers)
            history = cbor.decode(row.history)
            hosted = HostedWasm(row.canister_id, engine, cfg.decode_settings(row.settings), row.created_ns,
                                history=list(history["recent"]), total_changes=history["total"])
            heap = assemble(row.heap_bytes, self.storage.load_pages(row.canister_id, MAIN_MEMORY))
            stable = assemble(row.stable_bytes, self.storage.load_pages(row.canister_id, STABLE_MEMORY))
            if row.module is not None:
                try:
                    image.restore(engine, row.module, memory=bytes(heap), globals_=json.loads(row.globals),
                                  stable=stable)
                except Exception as exc:  # never let one canister keep the replica from starting
                    log.error("canister %s could not be restored (%s); it is hosted empty", engine.canister_text, exc)
                    engine = hosted.engine = self.new_engine(row.canister_id, controllers)
            state = engine.state
            state.controllers = controllers
            state.certified_data = row.certified_data
            state.global_timer = row.global_timer
            state.cycles = row.cycles
            state.version = row.version
            state.status = row.status
            engine.api.log = CanisterLog(LogRecord(*r) for r in self.storage.load_logs(row.canister_id))
            hosted.logs_saved = engine.log.next_idx
            for digest, data in self.storage.load_chunks(row.canister_id):
                hosted.chunks[digest] = data
            self.canisters[row.canister_id] = hosted


__all__ = ["HostedWasm", "WasmHost", "RUNNING", "STOPPED", "STOPPING"]
