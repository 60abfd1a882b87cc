#!/usr/bin/env python3
"""`serve.py` start-up with a developer's project deployed at start (issue 13 figures).

    .venv/bin/python bench/deploy.py [--runs 3]

The project: five Motoko canisters (tests/unit/wasm/motoko/counter.mo, stable.mo, timer.mo,
caller.mo and bench/motoko/heap.mo, compiled once per run of this script by the pinned compiler,
tests/unit/wasm/compile_motoko.mjs) and one frontend folder (a `dist/` with an index.html), named
in a project file (`serve.py --project FILE`). Every start is a new `serve.py` process (test
flavor, a free loopback port, a temporary `--db`, `--env-file` beside it), timed from just before
the process is spawned. Each figure is the median of `--runs` starts; the starts are interleaved
(each round makes one start of every kind of both parts) so that drift of the machine spreads over
all of them:

- **cold**: a fresh database (and deploy identity): the five canisters are created and installed,
  the frontend's canister created, `.env` and `canister_ids.json` written;
- **warm**: the database a cold start left (made by an unmeasured start first): every name is
  found with the same module, nothing is installed (`unchanged`);
- **no project** (the baseline): `serve.py` alone, a fresh database (II and whoami canisters only).

1. Start-up time: until the start-up lines are printed (the last of them, `connections: ...`, read
   from the process's stdout pipe) and until `GET /api/v2/status` is answered 200. The listening
   socket is bound before the deploy runs, so the status request waits in the listen queue and is
   answered as soon as the server runs (a refused connect, before the bind, is retried every 5 ms).

2. Time to a dapp's first successful call: in starts of their own, two clients begin at process
   start, each with the project's Python agent (`ic.agent.Agent`, Ed25519 identity,
   `fetch_root_key`, every certificate's BLS signature and the query's node signature checked, one
   keep-alive connection): one makes an update (v3 synchronous call), the other a query, and each
   records when its reply came back decoded. Target: the `counter` canister of the project (`inc`
   update, `get` query; its id read from the `.env` the start wrote, once the root key came back),
   beside the replica's own whoami canister (`whoami_update`, `whoami`) in the same kind of start,
   and in a start without a project (the baseline). A client first fetching the root key is what
   a dapp with `shouldFetchRootKey` does: that request is included.

For scale, the replica's own preparation of the five modules (`replica.wasm.module.parse_module`:
the checks and the wasmtime compilation each install does, and each start that restores a
canister does again) is timed once in this process after the starts.

An unmeasured start comes first (it builds the warm database and warms the page cache and the
client's imports). Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
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

COMPILER = ROOT / "tests" / "unit" / "wasm" / "compile_motoko.mjs"
MOTOKO = {
    "counter": ROOT / "tests" / "unit" / "wasm" / "motoko" / "counter.mo",
    "stable": ROOT / "tests" / "unit" / "wasm" / "motoko" / "stable.mo",
    "timer": ROOT / "tests" / "unit" / "wasm" / "motoko" / "timer.mo",
    "caller": ROOT / "tests" / "unit" / "wasm" / "motoko" / "caller.mo",
    "heap": ROOT / "bench" / "motoko" / "heap.mo",
}
FRONTEND = "app"
COUNTER_DID = "service : { inc : () -> (nat); get : () -> (nat) query }"
WHOAMI_DID = "service : { whoami : () -> (principal) query; whoami_update : () -> (principal) }"
LAST_LINE = "connections:"  # the last start-up line serve.py prints
START_TIMEOUT = 120.0


# -- the project ---------------------------------------------------------------------------------


def build_project(tmp: Path) -> tuple[Path, dict[str, int], float]:
    """The compiled modules, the dist folder and the project file in `tmp`; (file, sizes, seconds)."""
    t0 = time.perf_counter()
    argv = ["node", str(COMPILER)]
    for name, src in MOTOKO.items():
        argv += [str(src), str(tmp / f"{name}.wasm")]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"moc failed (did `python3 tools/setup.py` run?): {done.stderr}")
    seconds = time.perf_counter() - t0
    dist = tmp / "dist"
    dist.mkdir()
    (dist / "index.html").write_text("<!doctype html>\n<title>bench dapp</title>\n<p>hello</p>\n")
    project = tmp / "ii-project.toml"
    text = "".join(f'[canisters.{name}]\nwasm = "{name}.wasm"\n\n' for name in MOTOKO)
    project.write_text(text + f'[frontends.{FRONTEND}]\ndir = "dist"\n')
    return project, {name: (tmp / f"{name}.wasm").stat().st_size for name in MOTOKO}, seconds


def moc_version() -> str:
    return json.loads((ROOT / "node_modules" / "motoko" / "package.json").read_text())["version"]


# -- one serve.py process ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Start:
    """One `serve.py` process; `t0` is just before the spawn, `lines` its output with the time
    (seconds since `t0`) each line was read."""

    def __init__(self, state_dir: Path, project: Path | None):
        self.port = free_port()
        self.state_dir = state_dir
        self.env_file = state_dir / ".env"
        argv = [sys.executable, str(ROOT / "serve.py"), "--port", str(self.port), "--db",
                str(state_dir / "replica.sqlite3"), "--flavor", "test"]
        if project is not None:
            argv += ["--project", str(project), "--env-file", str(self.env_file)]
        self.lines: list[tuple[float, str]] = []
        self.printed = threading.Event()
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                                     cwd=state_dir)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append((time.perf_counter() - self.t0, line.rstrip("\n")))
            if line.startswith(LAST_LINE):
                self.printed.set()
        self.printed.set()

    def since(self, t: float) -> float:
        return t - self.t0

    def lines_at(self) -> float:
        """Seconds from the spawn until the last start-up line was read."""
        if not self.printed.wait(START_TIMEOUT) or not any(text.startswith(LAST_LINE) for _, text in self.lines):
            raise SystemExit(f"serve.py printed no start-up lines:\n{self.output()}")
        return next(t for t, text in self.lines if text.startswith(LAST_LINE))

    def output(self) -> str:
        return "\n".join(text for _, text in self.lines)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=5)

    def actions(self) -> dict[str, int]:
        """How many project entries each deploy action got ("created", "unchanged", ...)."""
        counts: dict[str, int] = {}
        for _, text in self.lines:
            head, sep, rest = text.partition(" canister: ")
            if not sep:
                head, sep, rest = text.partition(" frontend: ")
            if sep and "(" in rest:
                action = rest.split("(", 1)[1].split(":", 1)[0].rstrip(")")
                counts[action] = counts.get(action, 0) + 1
        return counts


def first_status(start: Start) -> float:
    """Seconds from the spawn until GET /api/v2/status is answered 200."""
    deadline = time.perf_counter() + START_TIMEOUT
    while time.perf_counter() < deadline:
        if not start.alive():
            raise SystemExit(f"serve.py exited ({start.proc.returncode}):\n{start.output()}")
        conn = http.client.HTTPConnection("127.0.0.1", start.port, timeout=START_TIMEOUT)
        try:
            conn.request("GET", "/api/v2/status")
            answer = conn.getresponse()
            answer.read()
            if answer.status == 200:
                return start.since(time.perf_counter())
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.005)
    raise SystemExit("serve.py does not answer /api/v2/status")


# -- the dapp's client -----------------------------------------------------------------------------


class WaitingTransport:
    """An `ic.agent` transport on one keep-alive connection that, until its first answer, retries
    a refused connect every 5 ms (the server's socket is not bound yet)."""

    def __init__(self, start: Start):
        self.start = start
        self.conn = http.client.HTTPConnection("127.0.0.1", start.port, timeout=START_TIMEOUT)
        self.answered = False

    async def request(self, method, url_path, body=None, content_type=None):
        from ic.agent import HttpResponse, TransportError

        headers = {"Accept": "application/cbor"}
        if content_type:
            headers["Content-Type"] = content_type
        deadline = time.perf_counter() + START_TIMEOUT
        while True:
            try:
                self.conn.request(method, url_path, body, headers)
                answer = self.conn.getresponse()
                response = HttpResponse(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
                self.answered = True
                return response
            except ConnectionRefusedError:
                self.conn.close()
                if self.answered or time.perf_counter() > deadline or not self.start.alive():
                    raise TransportError(f"{url_path}: connection refused") from None
                time.sleep(0.005)
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                raise TransportError(f"{url_path}: {exc!r}") from None

    def close(self) -> None:
        self.conn.close()


def env_canister_id(env_file: Path, name: str) -> str:
    key = f"CANISTER_ID_{name.upper()}="
    for line in env_file.read_text().splitlines():
        if line.startswith(key):
            return line[len(key):].strip().strip("'\"")
    raise SystemExit(f"{env_file} has no {key}")


def first_call(start: Start, target: str, kind: str, seed: int, out: dict) -> None:
    """A dapp's first call of `kind` ("update"/"query") to `target` ("counter"/"whoami");
    out[kind] = seconds from the spawn until its reply came back decoded."""
    from ic.agent import Actor, Agent, Ed25519Identity

    from replica.config import WHOAMI_CANISTER_ID

    async def run():
        transport = WaitingTransport(start)
        agent = Agent(transport, Ed25519Identity(bytes([seed]) * 32), fetch_root_key=True)
        try:
            await agent.fetch_root_key()
            if target == "counter":
                actor = Actor(agent, env_canister_id(start.env_file, "counter"), COUNTER_DID)
                method = "inc" if kind == "update" else "get"
            else:
                actor = Actor(agent, WHOAMI_CANISTER_ID, WHOAMI_DID)
                method = "whoami_update" if kind == "update" else "whoami"
            await actor.call(method)
            out[kind] = start.since(time.perf_counter())
        finally:
            transport.close()

    try:
        asyncio.run(run())
    except BaseException as exc:  # reported beside the figures
        out[f"{kind} error"] = repr(exc)[:300]


def dapp_start(state_dir: Path, project: Path | None, target: str) -> dict:
    """One start with an update client and a query client at once; their times, and the lines'."""
    start = Start(state_dir, project)
    out: dict = {}
    try:
        threads = [threading.Thread(target=first_call, args=(start, target, kind, seed, out))
                   for seed, kind in ((1, "update"), (2, "query"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        out["lines"] = start.lines_at()
    finally:
        start.stop()
    for kind in ("update", "query"):
        if f"{kind} error" in out:
            raise SystemExit(f"the {kind} client failed: {out[f'{kind} error']}\n{start.output()}")
    return out


def startup_start(state_dir: Path, project: Path | None) -> dict:
    start = Start(state_dir, project)
    try:
        status = first_status(start)
        lines = start.lines_at()
    finally:
        start.stop()
    failed = [text for _, text in start.lines if "FAILED" in text]
    if failed:
        raise SystemExit(f"a deploy failed: {failed[0]}")
    return {"status": status, "lines": lines, "actions": start.actions()}


def compile_in_process(tmp: Path) -> list[float]:
    """Seconds `parse_module` (the replica's check and wasmtime compilation of a module, done at
    install and again whenever a start restores a canister) takes per project module, here."""
    from replica.wasm.engine import wasm_engine
    from replica.wasm.module import parse_module

    engine = wasm_engine()
    times = []
    for name in MOTOKO:
        data = (tmp / f"{name}.wasm").read_bytes()
        t0 = time.perf_counter()
        parse_module(data, engine)
        times.append(time.perf_counter() - t0)
    return times


# -- main ------------------------------------------------------------------------------------------


def med(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):5.2f}-{max(values):5.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="starts of each kind per figure (median)")
    args = parser.parse_args()
    runs = max(1, args.runs)
    bench_t0 = time.perf_counter()

    import py_arkworks_bls12381  # noqa: F401  (the client's BLS verifier: imported before any timing)

    import ic.agent  # noqa: F401

    tmp = Path(tempfile.mkdtemp(prefix="ii-bench-deploy-"))
    try:
        project, sizes, compile_seconds = build_project(tmp)
        print(f"project: {len(MOTOKO)} Motoko canisters ({', '.join(f'{n} {s // 1024} KiB' for n, s in sizes.items())}"
              f" of Wasm; moc {moc_version()}, compiled once in {compile_seconds:.1f} s) + 1 frontend folder"
              f" (dist/index.html)")
        print(f"serve.py --flavor test, one process per start, {runs} starts of each kind; load average before:"
              f" {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")

        counter = iter(range(10_000))

        def fresh() -> Path:
            path = tmp / f"state-{next(counter)}"
            path.mkdir()
            return path

        warm_dir = fresh()
        dapp_start(warm_dir, project, "counter")  # unmeasured: builds the warm database, warms caches

        # One round: the three kinds of start of part 1, then the five of part 2 (interleaved so
        # that the machine's drift spreads over both parts).
        got: dict[str, list[dict]] = {"none": [], "cold": [], "warm": []}
        cases = [("none", "whoami"), ("cold", "counter"), ("cold", "whoami"), ("warm", "counter"), ("warm", "whoami")]
        calls: dict[tuple[str, str], list[dict]] = {case: [] for case in cases}
        for _ in range(runs):
            got["none"].append(startup_start(fresh(), None))
            got["cold"].append(startup_start(fresh(), project))
            got["warm"].append(startup_start(warm_dir, project))
            for key, target in cases:
                state = warm_dir if key == "warm" else fresh()
                calls[(key, target)].append(dapp_start(state, None if key == "none" else project, target))
        compile_parts = compile_in_process(tmp)

        print("\n1. serve.py start-up (seconds from spawning the process; median, min-max, of"
              f" {runs} starts)")
        print(f"   {'start':34} {'deploy':26} {'start-up lines':>20} {'/api/v2/status 200':>22}")
        base = got["none"]
        labels = {"none": "no project (baseline)", "cold": "project, cold (fresh database)",
                  "warm": "project, warm (same database)"}
        for key in ("none", "cold", "warm"):
            rows = got[key]
            lines = [r["lines"] for r in rows]
            status = [r["status"] for r in rows]
            acts = rows[0]["actions"]
            deploy = ", ".join(f"{n} {a}" for a, n in sorted(acts.items())) if acts else "-"
            print(f"   {labels[key]:34} {deploy:26} {med(lines):7.2f} ({spread(lines)}) "
                  f"{med(status):9.2f} ({spread(status)})")
        for key in ("cold", "warm"):
            print(f"   {key} - baseline: start-up lines +{med([r['lines'] for r in got[key]]) - med([r['lines'] for r in base]):.2f} s,"
                  f" status +{med([r['status'] for r in got[key]]) - med([r['status'] for r in base]):.2f} s")
        print(f"   for scale, in this process: the replica's parse_module of the 5 modules (checks + wasmtime"
              f" compilation,\n   at install and again when a start restores a canister): {sum(compile_parts):.2f} s"
              f" ({', '.join(f'{t:.2f}' for t in compile_parts)})")

        print("\n2. A dapp's first successful call after spawning serve.py (seconds; ic.agent with fetch_root_key,"
              " certificates\n   and query signatures verified; an update client (v3 sync call) and a query client"
              f" start at once; median, min-max, of {runs} starts)")
        print(f"   {'start':34} {'canister':27} {'first update':>18} {'first query':>18} {'lines (same start)':>19}")
        names = {"counter": "counter (Motoko; inc, get)", "whoami": "whoami (Python; baseline)"}
        for key, target in cases:
            rows = calls[(key, target)]
            up, qu, li = ([r[k] for r in rows] for k in ("update", "query", "lines"))
            print(f"   {labels[key]:34} {names[target]:27} {med(up):5.2f} ({spread(up)}) {med(qu):5.2f} ({spread(qu)})"
                  f" {med(li):7.2f}")
        print(f"\nload average after: {os.getloadavg()[0]:.2f}; the whole run took {time.perf_counter() - bench_t0:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
