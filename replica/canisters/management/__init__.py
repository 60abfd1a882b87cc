"""The management canister `aaaaa-aa` and the Wasm canisters it manages (issue 12 items 4-7).

    host = WasmHost(storage, data_certificate=...)   # the hosted Wasm canisters, durable
    host.load()                                      # restore them at start
    runtime.attach_host(host)                        # calls to their ids go to the engine
    runtime.register(ManagementCanister(host, ...))  # aaaaa-aa, a Python canister with ic.did

Modules: `canister` (the methods of ic.did), `host` (records, routing, durability), `settings`
(settings, history, status records), `pages` (which 64 KiB pages a message changed).
"""

from replica.canisters.management.canister import ManagementCanister
from replica.canisters.management.host import HostedWasm, WasmHost

__all__ = ["HostedWasm", "ManagementCanister", "WasmHost"]
