"""The management canister `aaaaa-aa` (interface spec "The IC management canister"; types in
`ic.did` beside this file, checked by the runtime as for every Python canister).

Each entry point is one short method: find the canister, check the caller, hand off to the
engine or the host, record the change, persist. A refusal raises `SystemReject` with the IC's
reject code, message and error code before anything changes.

Ingress (users, not canisters) is filtered first, as the IC's `should_accept_ingress_message`
does: canister-only methods are refused, controller-only methods need a controller, and the
effective canister id in the URL must be the `canister_id` (or `target_canister`) of the argument.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from replica.canisters.management import settings as cfg
from replica.canisters.management.host import HostedWasm, WasmHost, principal_text
from replica.certification.request_status import Outcome
from replica.runtime.contract import CallContext, SystemReject
from replica.wasm.state import DEFAULT_CYCLES, RUNNING, STOPPED, STOPPING

DID_TEXT = (Path(__file__).with_name("ic.did")).read_text()
MANAGEMENT_ID = b""
MAX_CHUNK_BYTES = 1024 * 1024
MAX_CHUNKS = 100
MAX_INSTALL_BYTES = 100 * 1024 * 1024
NEXT_INDEX_KEY = "management.next_canister_index"

# Interface spec: methods users may never call by ingress (IC `should_accept_ingress_message`).
CANISTER_ONLY = frozenset({"create_canister", "canister_info", "deposit_cycles", "raw_rand"})
CONTROLLER_ONLY = frozenset({"canister_status", "start_canister", "uninstall_code", "stop_canister", "delete_canister",
                             "update_settings", "install_code", "install_chunked_code", "upload_chunk", "stored_chunks",
                             "clear_chunk_store"})

E_REJECTED = "IC0406"
E_NOT_FOUND = "IC0301"
E_BAD_PAYLOAD = "IC0408"
E_ID_EXISTS = "IC0205"
E_NOT_HOSTED = "IC0405"
E_INVALID_CONTROLLER = "IC0512"
E_NOT_STOPPED = "IC0510"
E_CONTRACT = "IC0504"


def _raw(p) -> bytes:
    return bytes(getattr(p, "raw", p))


class ManagementCanister:
    """`aaaaa-aa` over the hosted Wasm canisters of one replica."""

    name = "management"
    did_text = DID_TEXT

    def __init__(self, host: WasmHost, *, storage, in_ranges: Callable[[bytes], bool],
                 taken: Callable[[], set[bytes]], subnet_text: str = ""):
        from ic.principal import Principal
        from replica.runtime.dispatch import parse_methods

        self.canister_id = Principal.from_bytes(MANAGEMENT_ID)
        self.host = host
        self.storage = storage
        self._in_ranges = in_ranges
        self._taken = taken
        self._subnet_text = subnet_text
        self._methods = parse_methods(DID_TEXT)

    # -- the ingress filter and the effective canister id ----------------------------------------

    def _decode(self, method: str, arg: bytes) -> dict | None:
        from ic import candid

        signature = self._methods.get(method)
        if signature is None or not signature.arg_types:
            return None
        try:
            (value,) = candid.decode(arg, signature.arg_types)
        except (ValueError, RecursionError):
            return None
        return value if isinstance(value, dict) else None

    def _target(self, method: str, arg: bytes) -> bytes | None:
        value = self._decode(method, arg)
        if value is None:
            return None
        field = "target_canister" if method == "install_chunked_code" else "canister_id"
        return _raw(value[field]) if field in value else None

    def check_effective_id(self, method: str, arg: bytes, ecid: bytes) -> str | None:
        """Why `ecid` (the URL's effective canister id) is wrong for this call, or None."""
        if method == "provisional_create_canister_with_cycles":
            if ecid == MANAGEMENT_ID or self._in_ranges(ecid):
                return None
            return (f"Effective canister id in URL {principal_text(ecid)} is outside this replica's canister range;"
                    " use aaaaa-aa or an id of the range")
        target = self._target(method, arg)
        if target is not None and target != ecid:
            return (f"Specified CanisterId {principal_text(target)} does not match effective canister id in URL"
                    f" {principal_text(ecid)}")
        return None

    def accept_ingress(self, method: str, arg: bytes, caller: bytes) -> Outcome | None:
        """The IC's refusal of an ingress message to aaaaa-aa (non-replicated), or None."""
        if method in CANISTER_ONLY:
            return Outcome.rejected(4, f"Only canisters can call ic00 method {method}", E_REJECTED)
        if method == "fetch_canister_logs":
            return Outcome.rejected(4, "fetch_canister_logs API is not accessible via ingress in replicated mode",
                                    E_REJECTED)
        if method in CONTROLLER_ONLY:
            target = self._target(method, arg)
            if target is None:
                return Outcome.rejected(4, f"Failed to decode payload for ic00 method: {method}", E_BAD_PAYLOAD)
            try:
                self._controlled(target, caller, method)
            except SystemReject as exc:
                return Outcome.rejected(exc.code, exc.message, exc.error_code)
        return None

    # -- dispatch --------------------------------------------------------------------------------

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        handler = getattr(self, f"_{method}", None)
        if handler is None:
            raise SystemReject(3, f"Canister aaaaa-aa has no update method '{method}'", "IC0536")
        result = handler(ctx, *args)
        return [] if result is None else [result]

    def _find(self, canister_id: bytes) -> HostedWasm:
        hosted = self.host.get(canister_id)
        if hosted is None:
            raise SystemReject(3, f"Canister {principal_text(canister_id)} not found", E_NOT_FOUND)
        return hosted

    def _controlled(self, canister_id: bytes, caller: bytes, method: str) -> HostedWasm:
        hosted = self._find(canister_id)
        if not hosted.is_controller(caller):
            raise SystemReject(5, f"Only controllers of canister {hosted.text} can call ic00 method {method}",
                               E_INVALID_CONTROLLER)
        return hosted

    # -- creation --------------------------------------------------------------------------------

    def _provisional_create_canister_with_cycles(self, ctx: CallContext, args: dict) -> dict:
        amount = args.get("amount")
        specified = args.get("specified_id")
        cid = self._specified(_raw(specified[0])) if specified else self._allocate()
        return self._create(ctx, cid, args.get("settings"), DEFAULT_CYCLES if amount is None else amount[0])

    def _create_canister(self, ctx: CallContext, args: dict) -> dict:
        # Only canisters call this; the cycles they attach are not delivered yet (no inter-canister calls).
        return self._create(ctx, self._allocate(), args.get("settings"), 0)

    def _create(self, ctx: CallContext, cid: bytes, settings: list | None, cycles: int) -> dict:
        requested = settings[0] if settings else None
        cfg.check(requested)
        controllers = cfg.requested_controllers(requested)
        if controllers is None:
            controllers = [ctx.caller.raw]
        self.host.create(cid, controllers=controllers, settings=cfg.apply(cfg.DEFAULTS, requested), cycles=cycles,
                         time_ns=ctx.time_ns, by=ctx.caller.raw)
        return {"canister_id": cid}

    def _specified(self, cid: bytes) -> bytes:
        if not self._in_ranges(cid):
            raise SystemReject(4, f"Specified CanisterId {principal_text(cid)} is not hosted by subnet"
                                  f" {self._subnet_text}.", E_NOT_HOSTED)
        if cid in self._taken():
            raise SystemReject(2, f"Canister {principal_text(cid)} is already installed.", E_ID_EXISTS)
        return cid

    def _allocate(self) -> bytes:
        stored = self.storage.get_meta(NEXT_INDEX_KEY)
        index = int(stored.decode()) if stored else 0
        taken = self._taken()
        while True:
            cid = index.to_bytes(8, "big") + b"\x01\x01"
            index += 1
            if not self._in_ranges(cid):
                raise SystemReject(1, "This replica's canister range is exhausted", "IC0102")
            if cid not in taken:
                self.storage.set_meta(NEXT_INDEX_KEY, str(index).encode())
                return cid

    # -- code ------------------------------------------------------------------------------------

    def _install_code(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "install_code")
        self._install(ctx, hosted, args["mode"], args["wasm_module"], args["arg"])

    def _install_chunked_code(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["target_canister"]), ctx.caller.raw, "install_chunked_code")
        store = args.get("store_canister")
        store_hosted = self._controlled(_raw(store[0]), ctx.caller.raw, "install_chunked_code") if store else hosted
        parts = []
        for entry in args["chunk_hashes_list"]:
            chunk = store_hosted.chunks.get(bytes(entry["hash"]))
            if chunk is None:
                raise SystemReject(5, f"Error from Wasm chunk store: The chunk with hash {bytes(entry['hash']).hex()}"
                                      f" is not in the chunk store of canister {store_hosted.text}.", E_CONTRACT)
            parts.append(chunk)
        module = b"".join(parts)
        digest = hashlib.sha256(module).digest()
        if digest != bytes(args["wasm_module_hash"]):
            raise SystemReject(5, f"Error from Wasm chunk store: Wasm module hash {digest.hex()} does not match given"
                                  f" hash {bytes(args['wasm_module_hash']).hex()}.", E_CONTRACT)
        self._install(ctx, hosted, args["mode"], module, args["arg"])

    def _install(self, ctx: CallContext, hosted: HostedWasm, mode: dict, module: bytes, arg: bytes) -> None:
        ((kind, options),) = mode.items()
        engine = hosted.engine
        if kind == "upgrade":
            opts = options[0] if options else {}
            skip = bool(opts.get("skip_pre_upgrade") and opts["skip_pre_upgrade"][0])
            persistence = opts.get("wasm_memory_persistence")
            keep = next(iter(persistence[0])) if persistence else None
            outcome = engine.upgrade(module, arg, ctx.caller.raw, ctx.time_ns, wasm_memory_persistence=keep,
                                     skip_pre_upgrade=skip)
        else:
            outcome = engine.install(module, arg, ctx.caller.raw, ctx.time_ns, mode=kind)
        if not outcome.replied:
            raise SystemReject(outcome.reject_code, outcome.reject_message, outcome.error_code)
        cfg.record_change(hosted, ctx.time_ns, ctx.caller.raw,
                          {"code_deployment": {"mode": kind, "module_hash": hosted.module_hash}})
        self.host.persist(hosted, full=True)

    def _uninstall_code(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "uninstall_code")
        self.host.replace_engine(hosted)
        cfg.record_change(hosted, ctx.time_ns, ctx.caller.raw, {"code_uninstall": None})
        self.host.persist(hosted, full=True)

    # -- chunk store -----------------------------------------------------------------------------

    def _upload_chunk(self, ctx: CallContext, args: dict) -> dict:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "upload_chunk")
        chunk = bytes(args["chunk"])
        if len(chunk) > MAX_CHUNK_BYTES:
            raise SystemReject(5, f"Error from Wasm chunk store: Wasm chunk size {len(chunk)} exceeds the maximum"
                                  f" chunk size of {MAX_CHUNK_BYTES}.", E_CONTRACT)
        digest = hashlib.sha256(chunk).digest()
        if digest not in hosted.chunks and len(hosted.chunks) >= MAX_CHUNKS:
            raise SystemReject(5, f"Error from Wasm chunk store: Wasm chunk store has already reached the maximum"
                                  f" of {MAX_CHUNKS} chunks.", E_CONTRACT)
        self.host.put_chunk(hosted, digest, chunk)
        return {"hash": digest}

    def _stored_chunks(self, ctx: CallContext, args: dict) -> list:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "stored_chunks")
        return [{"hash": digest} for digest in hosted.chunks]

    def _clear_chunk_store(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "clear_chunk_store")
        self.host.clear_chunks(hosted)

    # -- status, settings, lifecycle ---------------------------------------------------------------

    def _canister_status(self, ctx: CallContext, args: dict) -> dict:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "canister_status")
        return self._status(hosted)

    def _status(self, hosted: HostedWasm) -> dict:
        from replica.wasm import image

        engine = hosted.engine
        module = engine.module
        _, heap = image.main_memory(engine)
        custom = sum(len(k) + len(v) for k, v in (module.public_metadata | module.private_metadata).items()) if module else 0
        metrics = {
            "wasm_memory_size": heap,
            "stable_memory_size": len(engine.state.stable),
            "global_memory_size": 8 * len(module.mutable_globals) if module else 0,
            "wasm_binary_size": len(module.wasm) if module else 0,
            "custom_sections_size": custom,
            "canister_history_size": 100 * len(hosted.history),
            "wasm_chunk_store_size": sum(len(c) for c in hosted.chunks.values()),
            "snapshots_size": 0,
            "log_memory_store_size": 0,
        }
        status = {RUNNING: "running", STOPPING: "stopping", STOPPED: "stopped"}[engine.state.status]
        calls, instructions, request_bytes, response_bytes = hosted.query_stats
        return {
            "status": {status: None},
            "ready_for_migration": False,
            "version": engine.state.version,
            "settings": cfg.definite(hosted.settings, hosted.controllers),
            "module_hash": None if module is None else [hosted.module_hash],
            "memory_size": sum(metrics.values()),
            "memory_metrics": metrics,
            "cycles": engine.state.cycles,
            "reserved_cycles": 0,
            "idle_cycles_burned_per_day": 0,
            "query_stats": {"num_calls_total": calls, "num_instructions_total": instructions,
                            "request_payload_bytes_total": request_bytes,
                            "response_payload_bytes_total": response_bytes},
        }

    def _canister_info(self, ctx: CallContext, args: dict) -> dict:
        hosted = self._find(_raw(args["canister_id"]))
        wanted = args.get("num_requested_changes")
        count = min(wanted[0], cfg.MAX_HISTORY) if wanted else 0
        recent = hosted.history[len(hosted.history) - count:] if count else []
        return {"total_num_changes": hosted.total_changes, "recent_changes": [cfg.change_value(e) for e in recent],
                "module_hash": None if hosted.module_hash is None else [hosted.module_hash],
                "controllers": list(hosted.controllers)}

    def _update_settings(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "update_settings")
        requested = args["settings"]
        cfg.check(requested)
        hosted.settings = cfg.apply(hosted.settings, requested)
        controllers = cfg.requested_controllers(requested)
        if controllers is not None:
            hosted.engine.state.controllers = controllers
            cfg.record_change(hosted, ctx.time_ns, ctx.caller.raw, {"controllers_change": {"controllers": controllers}})
        hosted.engine.state.version += 1
        self.host.persist(hosted)

    def _start_canister(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "start_canister")
        hosted.engine.state.status = RUNNING
        self.host.persist(hosted)

    def _stop_canister(self, ctx: CallContext, args: dict) -> None:
        # No call is ever outstanding here (calls run to completion), so stopping ends at once.
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "stop_canister")
        hosted.engine.state.status = STOPPED
        self.host.persist(hosted)

    def _delete_canister(self, ctx: CallContext, args: dict) -> None:
        hosted = self._controlled(_raw(args["canister_id"]), ctx.caller.raw, "delete_canister")
        if hosted.engine.state.status != STOPPED:
            raise SystemReject(5, f"Canister {hosted.text} must be stopped before it is deleted.", E_NOT_STOPPED)
        self.host.delete(hosted.canister_id)

    # -- cycles, randomness, logs ------------------------------------------------------------------

    def _deposit_cycles(self, ctx: CallContext, args: dict) -> None:
        # The cycles come with the call; only canisters can attach them (not delivered yet: 0).
        self._find(_raw(args["canister_id"]))

    def _provisional_top_up_canister(self, ctx: CallContext, args: dict) -> None:
        hosted = self._find(_raw(args["canister_id"]))
        hosted.engine.state.cycles += args["amount"]
        self.host.persist(hosted)

    def _raw_rand(self, ctx: CallContext) -> bytes:
        return ctx.random(32)

    def _fetch_canister_logs(self, ctx: CallContext, args: dict) -> dict:
        hosted = self._find(_raw(args["canister_id"]))
        if not cfg.may_read_logs(hosted.settings, hosted.controllers, ctx.caller.raw):
            raise SystemReject(4, f"Caller {ctx.caller.to_text()} is not allowed to query ic00 method"
                                  " fetch_canister_logs", E_REJECTED)
        records = [{"idx": r.idx, "timestamp_nanos": r.time_ns, "content": r.text.encode()}
                   for r in hosted.engine.log.records()]
        return {"canister_log_records": records}
