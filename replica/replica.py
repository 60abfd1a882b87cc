"""`Replica`: one local IC replica built from a `Config` (DESIGN §1, §5; issue 4).

    replica = Replica(config)         # keys from config.state_dir, storage at config.db_path
    app = replica.api                 # ASGI app for every path under /api/
    replica.canisters                 # name -> canister ("internet_identity", "whoami")
    replica.host                      # the Wasm canisters, created through aaaaa-aa (durable)
    replica.tick()                    # due timers and heartbeats; `run_rounds` does it every round
    print(*replica.startup_lines(), sep="\\n")
    replica.close()

Clock and randomness are ports: tests pass their own.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import Callable

from replica.auth.signatures import make_verifier
from replica.certification.keys import ReplicaKeys, load_or_create_keys
from replica.certification.request_status import RequestStatusStore
from replica.canisters.management import ManagementCanister, WasmHost
from replica.certification.state import CertifiedState
from replica.config import Config
from replica.http.api import ApiApp
from replica.http.endpoints import Endpoints
from replica.runtime.contract import Canister
from replica.runtime.dispatch import Runtime
from replica.storage import open_storage
from replica.storage.dummy_auth import check_dummy_auth
from replica.wasm import compile_cache

log = logging.getLogger(__name__)
ROUND_SECONDS = 0.1  # how often due timers, heartbeats and undelivered calls run


class Replica:
    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], int] = time.time_ns,
        random: Callable[[int], bytes] = os.urandom,
        keys: ReplicaKeys | None = None,
        with_internet_identity: bool = True,
    ):
        from ic.principal import Principal

        self.config = config
        self.clock = clock
        self._random = random
        self.keys = keys if keys is not None else load_or_create_keys(config.state_dir)
        compile_cache.set_cache_dir(config.state_dir / "compiled-wasm")  # restarts skip compiling
        self.runtime = Runtime(
            set_certified_data=self._set_certified_data,
            data_certificate=self._data_certificate,
            random=random,
        )
        self.storage = open_storage(config.db_path)
        try:
            check_dummy_auth(self.storage, config)
            requests = RequestStatusStore(self.storage, max_entries=config.ingress_max_entries,
                                          max_reply_bytes=config.ingress_max_reply_bytes, now_ns=clock())
        except BaseException:
            self.close()
            raise
        self.host = WasmHost(self.storage, data_certificate=self._data_certificate)
        self.state = CertifiedState(self.keys, canister_ids=self.runtime.canister_ids, requests=requests,
                                    canister_view=self.host.view)
        try:
            self.host.load()
        except BaseException:
            self.close()
            raise
        self.runtime.attach_host(self.host)
        self.host.attach(self.runtime)
        reserved = {Principal.from_text(text).raw for text in
                    (config.ii_canister_id, config.ii_frontend_canister_id, config.whoami_canister_id)}
        self.runtime.register(
            ManagementCanister(
                self.host,
                storage=self.storage,
                in_ranges=self.state.in_ranges,
                taken=lambda: set(self.runtime.canister_ids()) | reserved,
                subnet_text=Principal.from_bytes(self.state.subnet_id).to_text(),
            )
        )
        self.canisters: dict[str, Canister] = {}
        if with_internet_identity:
            self._add_internet_identity(Principal.from_text(config.ii_canister_id))
        from replica.canisters.whoami import WhoamiCanister

        self.add_canister(
            WhoamiCanister(
                Principal.from_text(config.whoami_canister_id),
                alternative_origins=config.alternative_origins,
                assets_dir=_demo_assets_dir(config),
            )
        )
        self.system_canisters = self._add_system_canisters()  # the CMC and the cycles ledger (issue 13 item 4)
        self.endpoints = Endpoints(
            state=self.state, runtime=self.runtime, verify=make_verifier(self.keys.root.der), clock=clock
        )
        self.api = ApiApp(self.endpoints)

    def _add_internet_identity(self, canister_id) -> None:
        from replica.canisters.internet_identity import InternetIdentityCanister

        try:
            self.add_canister(
                InternetIdentityCanister(
                    canister_id, self.storage, dummy_captcha=self.config.dummy_captcha, random=self._random,
                    init=self.config.ii_init(),
                )
            )
        except BaseException:
            self.storage.close()
            raise

    def _add_system_canisters(self) -> dict[str, Canister]:
        """The cycles minting canister and the cycles ledger at their mainnet ids, which icp-cli calls
        to create canisters; not in `canisters` (no origin, no start-up line). A database whose
        Wasm canister already holds one of those ids keeps it and goes without that system canister."""
        from ic.principal import Principal
        from replica.canisters import cycles_ledger, cycles_minting

        subnet, added = self.state.subnet_id, {}
        makers = ((cycles_minting, lambda: cycles_minting.CyclesMintingCanister(subnet_id=subnet)),
                  (cycles_ledger, lambda: cycles_ledger.CyclesLedgerCanister(
                      self.storage, management=self.runtime.canister(b""), subnet_id=subnet)))
        try:
            for module, make in makers:
                if self.runtime.is_taken(Principal.from_text(module.CANISTER_ID_TEXT).raw):
                    log.warning("canister id %s is held by a Wasm canister: no %s", module.CANISTER_ID_TEXT,
                                module.__name__)
                    continue
                canister = make()
                self.runtime.register(canister)
                self.state.set_certified_data(canister.canister_id.raw, canister.certified_data())
                added[canister.name] = canister
        except BaseException:
            self.close()
            raise
        return added

    def add_canister(self, canister: Canister) -> None:
        """Host one more canister (its id must be unique and inside the subnet's range)."""
        if not self.state.in_ranges(canister.canister_id.raw):
            raise ValueError(f"canister id {canister.canister_id.to_text()} is outside this subnet's canister range")
        if self.runtime.is_taken(canister.canister_id.raw):
            raise ValueError(f"canister id {canister.canister_id.to_text()} is already taken")
        self.runtime.register(canister)
        self.canisters[canister.name] = canister

    def tick(self, time_ns: int | None = None) -> int:
        """One round without a caller (Wasm timers, heartbeats, calls left undelivered), durable
        like a call. Returns the number of messages executed."""
        with self.storage.transaction():
            return self.host.tick(self.clock() if time_ns is None else time_ns)

    async def run_rounds(self, interval: float = ROUND_SECONDS) -> None:
        """`tick` every `interval` seconds, on the event loop that serves the calls."""
        while True:
            await asyncio.sleep(interval)
            try:
                self.tick()
            except Exception:  # one bad round must not stop the next ones
                log.exception("a round of system tasks failed")

    @property
    def root_key(self) -> bytes:
        return self.keys.root.der

    def startup_lines(self) -> list[str]:
        return [f"{name} canister: {canister.canister_id.to_text()}" for name, canister in self.canisters.items()]

    def close(self) -> None:
        storage, self.storage = self.storage, None
        if storage is not None:
            storage.close()

    def _set_certified_data(self, canister_id: bytes, data: bytes) -> None:
        self.state.set_certified_data(canister_id, data)

    def _data_certificate(self, canister_id: bytes, time_ns: int) -> bytes:
        return self.state.data_certificate(canister_id, time_ns)


def _demo_assets_dir(config: Config) -> Path | None:
    # Built at setup (tools/setup.py): the demo pages with their esbuild bundles.
    candidate = Path(config.static_root) / "static" / "vendor" / "demo"
    return candidate if candidate.is_dir() else None
