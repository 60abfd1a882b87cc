#!/usr/bin/env python3
"""Motoko canisters on the replica, over HTTP and in-process (issue 12 figures).

    .venv/bin/python bench/canisters.py [--seconds 3] [--sizes 1,64,256] [--concurrency 4] [--quick]

One run prints two tables.

1. Calls per second of a Motoko counter (`inc` update, `get` query of bench/motoko/heap.mo,
   freshly installed; tests/unit/wasm/motoko/counter.mo would add a log record per `inc`) beside
   the II canister's cheapest update (`exit_device_registration_mode` of the caller's anchor: it authenticates the
   caller and writes the anchor back; `get_anchor_info` costs the same) and query (`whoami`), all
   against one `serve.py` process (test flavor, temporary database) on a loopback port. The
   client is the project's own `ic.agent.Agent` with Ed25519-signed envelopes, one keep-alive
   connection per thread (`--concurrency` threads, one load-generating process: this one).
   Updates are v3 synchronous calls (`/api/v3/canister/<id>/call`), the reply read from the
   certificate of the answer; queries are v2 queries whose node signature the agent checks. In
   the timed loops the certificates are decoded and read but their BLS signature is not checked
   (2 ms of client CPU per update here, more than the replica's own work: the client would be
   what is measured); `--verify` checks it too. One fully verified call of each method comes
   first.

2. The cost of one small update against the size of the heap: a Motoko canister
   (bench/motoko/heap.mo) whose heap is grown by `grow(16)` calls (16 MiB of arrays each, far
   under the instruction limit) to each of `--sizes` MiB of allocated data, then timed on
   `touch` (writes one variable) and `get` (a query). Over HTTP against the same `serve.py`:
   milliseconds per call, one call at a time. In-process, on `WasmHost` (the replica's host of
   Wasm canisters) over a `SqliteStorage` of its own, each call run the way the replica runs an
   ingress update (`host.execute` inside a storage transaction, which persists), split into
   finding the pages the message wrote and folding them into the committed image or putting
   them back (`MemoryImage.commit` / `rollback`, replica/wasm/dirty.py), Wasm execution
   (`WasmCanister._invoke`), the rest of the engine, and the SQLite writes and commit (`persist`);
   with the pages `persist` wrote per touch, the minor page faults per call and the database size
   (file + WAL). The in-process table is measured twice: with the kernel's write tracking
   (userfaultfd) and, as the baseline, with the scan that compares the whole heap (what a kernel
   without it gets). The first touches after a growth run the Motoko GC's increments: three are
   made before timing.

The Motoko sources are compiled by the pinned compiler (tests/unit/wasm/compile_motoko.mjs,
npm `motoko`): run `python3 tools/setup.py` first. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import logging
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEAP_MO = ROOT / "bench" / "motoko" / "heap.mo"
COMPILER = ROOT / "tests" / "unit" / "wasm" / "compile_motoko.mjs"
HEAP_DID = """service : {
  inc : () -> (nat);
  get : () -> (nat) query;
  grow : (nat) -> (nat);
  touch : () -> (nat);
  stats : () -> (nat, nat, nat) query;
}"""
GROW_STEP_MIB = 16
WARM_TOUCHES = 3
MiB = 2**20


# -- the Motoko module -----------------------------------------------------------------------------


def build_heap_wasm() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "heap.wasm"
        done = subprocess.run(["node", str(COMPILER), str(HEAP_MO), str(out)], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"moc failed on {HEAP_MO.name} (did `python3 tools/setup.py` run?): {done.stderr}")
        return out.read_bytes()


# -- the replica process ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, db: Path, log_file: Path) -> subprocess.Popen:
    """`serve.py` (test flavor) on `port`, its output in `log_file`; returns once it answers."""
    out = log_file.open("w")
    proc = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--db", str(db),
                             "--flavor", "test"], stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    out.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve.py exited ({proc.returncode}):\n{log_file.read_text()}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v2/status")
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit("serve.py does not answer /api/v2/status")


def db_bytes(db: Path) -> int:
    return sum(p.stat().st_size for p in (db, Path(f"{db}-wal")) if p.exists())


# -- the client: ic.agent over one keep-alive connection ------------------------------------------


class KeepAliveTransport:
    """An `ic.agent` transport on one persistent HTTP/1.1 connection (blocking: one per thread)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)

    async def request(self, method, url_path, body=None, content_type=None):
        from ic.agent import HttpResponse

        headers = {"Accept": "application/cbor"}
        if content_type:
            headers["Content-Type"] = content_type
        for attempt in (0, 1):
            try:
                self.conn.request(method, url_path, body, headers)
                answer = self.conn.getresponse()
                return HttpResponse(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
            except (http.client.HTTPException, OSError):
                self.conn.close()  # the server closed an idle connection: reconnect once
                if attempt:
                    raise


def new_agent(port: int, identity, root_key: bytes | None, *, verify: bool):
    from ic.agent import Agent

    skip_bls = None if verify else (lambda signature, message, key: True)
    return Agent(KeepAliveTransport(port), identity, root_key_der=root_key, fetch_root_key=root_key is None,
                 bls_verify=skip_bls)


class Session:
    """One event loop and one agent for the sequential calls of this thread."""

    def __init__(self, port: int, identity, root_key: bytes | None = None, *, verify: bool = True):
        self.loop = asyncio.new_event_loop()
        self.agent = new_agent(port, identity, root_key, verify=verify)
        if root_key is None:
            self.run(self.agent.fetch_root_key())

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def close(self):
        self.loop.close()


def actor(session: Session, canister, did_text: str):
    from ic.agent import Actor

    return Actor(session.agent, canister, did_text)


def create_and_install(session: Session, wasm: bytes):
    """A new canister through aaaaa-aa (provisional create, then install_code), over HTTP."""
    from ic.principal import Principal

    mgmt = actor(session, "aaaaa-aa", (ROOT / "replica" / "canisters" / "management" / "ic.did").read_text())
    method = "provisional_create_canister_with_cycles"
    reply = session.run(session.agent.update("aaaaa-aa", method, mgmt.encode_args(method, ({},)),
                                             effective_canister_id="aaaaa-aa"))
    canister = Principal.from_bytes(bytes(mgmt.decode_reply(method, reply)["canister_id"].raw))
    args = {"mode": {"install": None}, "canister_id": canister, "wasm_module": wasm, "arg": b"DIDL\x00\x00"}
    session.run(session.agent.update("aaaaa-aa", "install_code", mgmt.encode_args("install_code", (args,)),
                                     effective_canister_id=canister))
    return canister


def http_rate(port: int, root_key: bytes, identity, call, seconds: float, concurrency: int, verify: bool):
    """(calls/s, p50 ms) of `await call(agent)` from `concurrency` threads for `seconds`."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    ready = threading.Barrier(concurrency + 1)
    window: list[float] = []

    def worker():
        session = Session(port, identity, root_key, verify=verify)
        try:
            session.run(call(session.agent))  # the connection, node keys, time sync
        except Exception as exc:
            errors.append(repr(exc))
        ready.wait()
        mine = []
        stop = window[0] + seconds
        while (t0 := time.perf_counter()) < stop:
            try:
                session.run(call(session.agent))
            except Exception as exc:  # counted, printed
                with lock:
                    errors.append(repr(exc)[:200])
                continue
            mine.append(time.perf_counter() - t0)
        with lock:
            latencies.extend(mine)
        session.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    window.append(time.perf_counter())
    ready.wait()
    window[0] = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - window[0]
    if errors:
        print(f"    {len(errors)} errors, e.g. {errors[0]}")
    return len(latencies) / elapsed, statistics.median(latencies) * 1000 if latencies else float("nan")


def timed_calls(fn, seconds: float, minimum: int = 5) -> list[float]:
    """Seconds taken by each of the sequential calls `fn()` made in `seconds` (at least `minimum`)."""
    times, start = [], time.perf_counter()
    while len(times) < minimum or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def ms(times: list[float]) -> str:
    return f"{statistics.median(times) * 1000:8.1f}"


# -- part 1: calls/s over HTTP -------------------------------------------------------------------


def register_anchor(session: Session, ii) -> int:
    device = {"pubkey": session.agent.identity.public_key_der(), "alias": "bench", "credential_id": None,
              "aaguid": None, "purpose": {"authentication": None}, "key_type": {"unknown": None},
              "protection": {"unprotected": None}, "origin": None, "metadata": None}
    challenge = session.run(ii.call("create_challenge"))
    result = session.run(ii.call("register", device, {"key": challenge["challenge_key"], "chars": "a"}, None))
    return int(result["registered"]["user_number"])


def throughput(port, root_key, identity, counter, args) -> None:
    from ic import candid
    from ic.principal import Principal

    from replica.canisters.internet_identity.canister import load_did_text
    from replica.config import II_CANISTER_ID

    ii_id = Principal.from_text(II_CANISTER_ID)
    setup = Session(port, identity, root_key)
    ii = actor(setup, ii_id, load_did_text())
    anchor = register_anchor(setup, ii)
    empty = candid.encode([], [])
    exit_arg = ii.encode_args("exit_device_registration_mode", (anchor,))
    # One verified call of each (BLS-checked certificates, node-signed queries).
    setup.run(ii.call("exit_device_registration_mode", anchor))
    setup.run(ii.call("whoami"))
    counter_actor = actor(setup, counter, HEAP_DID)
    setup.run(counter_actor.call("inc"))
    setup.run(counter_actor.call("get"))
    _, _, counter_memory = setup.run(counter_actor.call("stats"))
    setup.close()

    cases = {
        ("update", "motoko"): lambda agent: agent.update(counter, "inc", empty),
        ("update", "ii"): lambda agent: agent.update(ii_id, "exit_device_registration_mode", exit_arg),
        ("query", "motoko"): lambda agent: agent.query(counter, "get", empty),
        ("query", "ii"): lambda agent: agent.query(ii_id, "whoami", empty),
    }
    got = {key: http_rate(port, root_key, identity, call, args.seconds, args.concurrency, args.verify)
           for key, call in cases.items()}
    print(f"\n1. Calls/s over HTTP (serve.py on loopback, {args.concurrency} keep-alive connections, Ed25519-signed;"
          f" updates: v3 sync call, certified reply{'' if args.verify else ', BLS not checked in the loop'};"
          f" the counter's Wasm memory: {counter_memory / MiB:.1f} MiB)")
    names = {"update": ("inc", "exit_device_registration_mode"), "query": ("get", "whoami")}
    print(f"{'':7} {'Motoko counter (heap.mo)':<27} {'II canister (Python)':<52} Motoko / II")
    for kind in ("update", "query"):
        (m_rate, m_p50), (i_rate, i_p50) = got[(kind, "motoko")], got[(kind, "ii")]
        mo, py = names[kind]
        print(f"{kind:7} {mo:4} {m_rate:6.0f}/s p50 {m_p50:5.1f} ms   {py:30} {i_rate:6.0f}/s p50 {i_p50:5.1f} ms"
              f"   {m_rate / i_rate:5.2f}x")


# -- part 2: one small update against the heap size -----------------------------------------------


class Grower:
    """Grows the heap canister through `grow` calls of GROW_STEP_MIB, whatever runs them."""

    def __init__(self, grow, stats):
        self.grow, self.stats = grow, stats

    def to(self, mib: int) -> tuple[int, int, int]:
        allocated = self.stats()[0]
        while allocated < mib:
            allocated = self.grow(min(GROW_STEP_MIB, mib - allocated))
        return self.stats()


def heap_over_http(port, root_key, identity, canister, sizes, seconds, db, verify) -> list[dict]:
    session = Session(port, identity, root_key, verify=verify)
    heap = actor(session, canister, HEAP_DID)
    grower = Grower(lambda n: session.run(heap.call("grow", n)), lambda: session.run(heap.call("stats")))
    rows = []
    for mib in sizes:
        allocated, heap_size, memory = grower.to(mib)
        for _ in range(WARM_TOUCHES):
            session.run(heap.call("touch"))
        touch = timed_calls(lambda: session.run(heap.call("touch")), seconds)
        query = timed_calls(lambda: session.run(heap.call("get")), seconds)
        rows.append({"mib": allocated, "heap": heap_size, "memory": memory, "touch": touch, "query": query,
                     "db": db_bytes(db)})
    session.close()
    return rows


class Probe:
    """Time spent in chosen functions (wrapped in their classes for the duration of a `with`)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self.pages: list[int] = []
        self._undo = []

    def wrap(self, owner, name: str, label: str, *, count_pages: bool = False) -> None:
        original = getattr(owner, name, None)
        if original is None:
            return  # renamed by a later engine: that column shows n/a

        def timed(*a, **kw):
            t0 = time.perf_counter()
            try:
                result = original(*a, **kw)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - t0
            if count_pages:
                self.pages.append(result)
            return result

        setattr(owner, name, timed)
        self._undo.append((owner, name, original))

    def add(self, label: str, seconds: float) -> None:
        self.spent[label] = self.spent.get(label, 0.0) + seconds

    def reset(self):
        self.spent.clear()
        self.pages.clear()

    def close(self):
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)


def heap_in_process(wasm: bytes, sizes, seconds, tmp: Path, *, kernel: bool) -> list[dict]:
    from ic import candid

    from replica.canisters.management.host import WasmHost
    from replica.storage import open_storage
    from replica.wasm import dirty, engine

    dirty.KERNEL_TRACKING = kernel
    owner = bytes.fromhex("aa" * 28 + "02")
    db = tmp / f"in-process-{'kernel' if kernel else 'scan'}.sqlite3"
    storage = open_storage(db)
    host = WasmHost(storage, data_certificate=lambda c, t: None)
    cid = (1).to_bytes(8, "big") + b"\x01\x01"
    hosted = host.create(cid, controllers=[owner], settings={}, cycles=10**15, time_ns=time.time_ns(), by=owner)
    assert hosted.engine.install(wasm, b"DIDL\x00\x00", owner, time.time_ns()).replied
    with storage.transaction():
        host.persist(hosted, full=True)
    empty = candid.encode([], [])
    nat, stats_types = candid.parse_types("(nat)"), candid.parse_types("(nat, nat, nat)")

    probe = Probe()
    probe.wrap(dirty.MemoryImage, "commit", "track")
    probe.wrap(dirty.MemoryImage, "rollback", "track")
    probe.wrap(engine.WasmCanister, "_invoke", "wasm")
    probe.wrap(WasmHost, "persist", "persist", count_pages=True)

    def call(method, arg=empty, *, query=False):
        t0 = time.perf_counter()
        with storage.transaction():
            t1 = time.perf_counter()
            outcome = host.execute(cid, method, arg, owner, as_query=query, time_ns=time.time_ns())
            t2 = time.perf_counter()
        probe.add("execute", t2 - t1)
        probe.add("commit", time.perf_counter() - t0 - (t2 - t1))
        if not outcome.replied:
            raise RuntimeError(f"{method}: {outcome}")
        return outcome.reply

    def split(method, *, query=False) -> dict:
        probe.reset()
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        times = timed_calls(lambda: call(method, query=query), seconds)
        n = len(times)
        faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / n
        per = {k: v / n * 1000 for k, v in probe.spent.items()}
        persist = per.get("persist", 0.0)
        return {"total": statistics.median(times) * 1000, "track": per.get("track"), "wasm": per.get("wasm"),
                "engine": per.get("execute", 0.0) - persist - (per.get("track") or 0) - (per.get("wasm") or 0),
                "sqlite": persist + per.get("commit", 0.0),
                "pages": statistics.mean(probe.pages) if probe.pages else 0, "faults": faults}

    grower = Grower(lambda n: candid.decode(call("grow", candid.encode(list(nat), [n])), list(nat))[0],
                    lambda: candid.decode(call("stats", query=True), list(stats_types)))
    rows = []
    try:
        tracked = hosted.engine._live.image().kernel_tracked
        for mib in sizes:
            allocated, heap_size, memory = grower.to(mib)
            for _ in range(WARM_TOUCHES):
                call("touch")
            rows.append({"mib": allocated, "heap": heap_size, "memory": memory, "touch": split("touch"),
                         "query": split("get", query=True), "db": db_bytes(db),
                         "mode": "kernel" if tracked else "scan"})
    finally:
        probe.close()
        storage.close()
        dirty.KERNEL_TRACKING = True
    return rows


def print_heap(http_rows, local_rows) -> None:
    print(f"\n2. One small update (touch: writes one variable) and one query (get) against the heap size")
    print("   over HTTP (serve.py, one call at a time, median ms per call):")
    print(f"   {'grown':>6} {'live heap':>10} {'Wasm memory':>12} {'touch ms':>9} {'get ms':>8} {'database':>10}")
    for r in http_rows:
        print(f"   {r['mib']:4} MiB {r['heap'] / MiB:6.1f} MiB {r['memory'] / MiB:8.1f} MiB {ms(r['touch'])} "
              f"{ms(r['query'])} {r['db'] / MiB:6.1f} MiB")
    print("   in-process (WasmHost.execute in a storage transaction, as the replica runs an ingress call;"
          " ms per call, parts are means);\n   written pages found by the kernel, then by the scan (the baseline):")
    head = ("total", "track", "wasm", "engine", "sqlite")
    print(f"   {'pages by':8} {'grown':>6} {'Wasm memory':>12} {'call':6} " + " ".join(f"{h:>8}" for h in head)
          + f" {'pages':>6} {'faults':>7} {'database':>10}")

    def cell(value):
        return f"{value:8.2f}" if value is not None else f"{'n/a':>8}"

    for r in local_rows:
        for label, key in (("touch", "touch"), ("get", "query")):
            s = r[key]
            print(f"   {r['mode']:8} {r['mib']:4} MiB {r['memory'] / MiB:8.1f} MiB {label:6} "
                  + " ".join(cell(s[h]) for h in head)
                  + f" {s['pages']:6.1f} {s['faults']:7.0f} {r['db'] / MiB:6.1f} MiB")
    print("   total: median wall time of one call; track: finding the pages the message wrote and committing or"
          " undoing them\n   (MemoryImage.commit / rollback); wasm: the module's own code (_invoke); engine: the"
          " rest of execution\n   (checkpoint, scheduler); sqlite: WasmHost.persist plus the commit; pages: 64 KiB"
          " pages persist wrote per call;\n   faults: minor page faults of this process per call; database: file + WAL.")


# -- main ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=None, help="per measurement (default 3; --quick: 0.5)")
    parser.add_argument("--sizes", default=None, help="MiB to grow the heap to, ascending (default 1,64,256;"
                                                      " --quick: 1,16)")
    parser.add_argument("--concurrency", type=int, default=4, help="connections of the calls/s figures")
    parser.add_argument("--verify", action="store_true", help="check every certificate's BLS signature")
    parser.add_argument("--quick", action="store_true", help="short measurements, small heaps")
    args = parser.parse_args()
    args.seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else 3.0)
    sizes = sorted(int(s) for s in (args.sizes or ("1,16" if args.quick else "1,64,256")).split(","))
    logging.getLogger("replica").setLevel(logging.ERROR)

    from ic.agent import Ed25519Identity

    t0 = time.perf_counter()
    wasm = build_heap_wasm()
    print(f"bench/motoko/heap.mo: {len(wasm)} bytes of Wasm (moc {moc_version()}, {time.perf_counter() - t0:.1f} s);"
          f" load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    identity = Ed25519Identity(b"\x07" * 32)
    with tempfile.TemporaryDirectory() as tmp_text:
        tmp = Path(tmp_text)
        port, db = free_port(), tmp / "replica.sqlite3"
        server = start_server(port, db, tmp / "serve.log")
        try:
            setup = Session(port, identity)
            root_key = setup.run(setup.agent.root_key())
            counter = create_and_install(setup, wasm)
            heap_canister = create_and_install(setup, wasm)
            setup.close()
            throughput(port, root_key, identity, counter, args)
            http_rows = heap_over_http(port, root_key, identity, heap_canister, sizes, args.seconds, db,
                                       args.verify)
        finally:
            server.terminate()
            server.wait(timeout=30)
        local_rows = (heap_in_process(wasm, sizes, args.seconds, tmp, kernel=True)
                      + heap_in_process(wasm, sizes, args.seconds, tmp, kernel=False))
    print_heap(http_rows, local_rows)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


def moc_version() -> str:
    import json

    return json.loads((ROOT / "node_modules" / "motoko" / "package.json").read_text())["version"]


if __name__ == "__main__":
    main()
