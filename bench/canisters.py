#!/usr/bin/env python3
"""Calls per second of a Motoko counter on the Wasm engine (replica/wasm), beside the Python
whoami canister through `replica.runtime.dispatch.Runtime.execute`, measured in the same run.

In-process, no HTTP: what one message costs in the engine (checkpoint, fuel, System API, commit
or rollback) against what the Python runtime costs for its cheapest update. Needs node and the
pinned `motoko` npm package (python3 tools/setup.py).

    .venv/bin/python bench/canisters.py [--seconds 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ic import candid  # noqa: E402

COUNTER = ROOT / "tests" / "unit" / "wasm" / "motoko" / "counter.mo"
EMPTY = candid.encode([], [])
USER = bytes.fromhex("bb" * 28 + "02")


def rate(fn, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            fn(n)
            n += 1
    return n / elapsed


def compile_counter() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "counter.wasm"
        subprocess.run(["node", str(ROOT / "tests" / "unit" / "wasm" / "compile_motoko.mjs"), str(COUNTER), str(out)],
                       check=True)
        return out.read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    import logging

    logging.getLogger("replica.wasm.canister").setLevel(logging.WARNING)
    from replica.wasm import WasmCanister

    wasm = compile_counter()
    counter = WasmCanister(bytes.fromhex("00000000000000010101"))
    assert counter.install(wasm, EMPTY, USER, 1).replied
    heap = counter._live.memory.data_len(counter._live.store)
    results = {
        "motoko counter update (inc)": rate(lambda i: counter.update("inc", EMPTY, USER, 10 + i), args.seconds),
        "motoko counter query (get)": rate(lambda i: counter.query("get", EMPTY, USER, 10 + i), args.seconds),
    }
    from replica.canisters.whoami import WhoamiCanister
    from replica.runtime.dispatch import Runtime

    runtime = Runtime(set_certified_data=lambda cid, data: None, data_certificate=lambda cid, t: b"")
    from ic.principal import Principal

    whoami = WhoamiCanister(Principal.from_text("qoctq-giaaa-aaaaa-aaaea-cai"))
    runtime.register(whoami)
    raw = whoami.canister_id.raw
    results["python whoami_update (Runtime.execute)"] = rate(
        lambda i: runtime.execute(raw, "whoami_update", EMPTY, USER, as_query=False, time_ns=10 + i), args.seconds)
    print(f"Motoko counter: {len(wasm)} bytes of Wasm, heap {heap / 2**20:.1f} MiB (copied once per update, twice per query)")
    for name, per_second in results.items():
        print(f"{name:45s} {per_second:10.0f} calls/s  {1e6 / per_second:8.1f} us/call")


if __name__ == "__main__":
    main()
