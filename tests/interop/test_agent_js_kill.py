"""`kill -9` in the middle of updates loses no acknowledged one (issue 12), with the real
@dfinity/agent 3.x (shouldFetchRootKey, default verification) as the client.

`serve.py` runs as a subprocess on a free loopback port with its own database. The agent
(`kill_js.mjs`) creates and installs the Motoko journal canister (`journal.mo`: each update
appends one distinct value and returns its position), then keeps many update calls in flight and
prints each one the moment its certified reply arrives. After a number of those acknowledgements
the test sends SIGKILL to serve.py, restarts it on the same database and port, and reads the state
back through the agent: every acknowledged value is there at the position its reply named, the
state is consistent (counter = values = pads, every pad intact, the stamp in each of 16 pages of
stable memory that of the last call, nothing twice, nothing that was never sent, the state before
the round a prefix), the canister keeps its module hash and controllers, the root key is the
same, and new updates work. Three rounds in one test; the database passes `PRAGMA integrity_check`.

Calls that were not acknowledged may or may not have landed. No sleep is an assertion: every wait
is for an event (a line, a process exit, an HTTP answer) under a generous deadline.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.interop.test_agent_js import node_modules  # noqa: F401  (fixture)
from tests.unit.wasm.conftest import motoko  # noqa: F401  (fixture)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
pytestmark = pytest.mark.interop

ROUNDS = (("after 25 acknowledgements", 25), ("after 60", 60), ("after 5", 5))
CONCURRENCY = 32   # calls the agent keeps in flight
PAD = 16384        # bytes each value drags along in main memory (journal.mo also stamps 16 stable pages)
MAX_CALLS = 100_000  # never reached: the kill ends every round
EXTRA = 3          # updates made after each restart
DEADLINE = 120.0   # seconds for any one wait; far above what a round takes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Serve:
    """serve.py on a fixed port and database; started, killed and restarted by the test."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.port = _free_port()
        self.db = tmp / "replica.sqlite3"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def log_path(self) -> Path:
        return self.tmp / f"serve-{self.starts}.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self) -> None:
        self.starts += 1
        with self.log_path.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "serve.py"), "--flavor", "test", "--port", str(self.port),
                 "--db", str(self.db)], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/api/v2/status", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"serve.py did not answer within {DEADLINE} s:\n{self.log()}")

    def kill9(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        assert self.process.wait(timeout=DEADLINE) == -signal.SIGKILL

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)


def _node(*args: str) -> dict:
    """Runs kill_js.mjs to completion; its last stdout line is JSON."""
    done = subprocess.run(["node", str(HERE / "kill_js.mjs"), *args], cwd=HERE, capture_output=True, text=True,
                          timeout=DEADLINE * 2, env=dict(os.environ))
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def _fire_and_kill(serve: Serve, canister: str, seed: str, base: int, kill_after: int, tmp: Path) -> tuple[dict, list]:
    """Starts the agent's stream of updates, SIGKILLs serve.py after `kill_after` acknowledgements,
    and returns the agent's summary and every (value, reply) it saw acknowledged."""
    stderr = (tmp / f"fire-{base}.err").open("w")
    node = subprocess.Popen(
        ["node", str(HERE / "kill_js.mjs"), "fire", serve.url, canister, seed, str(base), str(CONCURRENCY),
         str(PAD), str(MAX_CALLS)],
        cwd=HERE, stdout=subprocess.PIPE, stderr=stderr, text=True, env=dict(os.environ))
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in node.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    acks: list[tuple[int, int]] = []
    output: list[str] = []
    killed = False
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"the agent did not finish within {DEADLINE} s:\n" + "\n".join(output[-20:])
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                break
            output.append(line)
            if line.startswith("ack "):
                _, value, reply, _ms = line.split()
                acks.append((int(value), int(reply)))
                if not killed and len(acks) >= kill_after:
                    # A random pause of up to 100 ms moves the kill around in the replica's work
                    # (executing, committing, sending replies) from run to run; nothing waits on it.
                    time.sleep(random.uniform(0, 0.1))
                    serve.kill9()
                    killed = True
        assert node.wait(timeout=DEADLINE) == 0, "\n".join(output) + (tmp / f"fire-{base}.err").read_text()
    finally:
        if node.poll() is None:
            node.kill()
            node.wait()
        stderr.close()
    assert killed, "the agent stopped before the kill:\n" + "\n".join(output[-20:])
    summary = json.loads(output[-1])["summary"]
    assert summary["failed"] >= 1, summary  # the kill cut calls in flight
    assert summary["acked"] == len(acks)
    return summary, acks


def test_kill_9_during_agent_js_updates_loses_no_acknowledged_one(node_modules, motoko, tmp_path):
    wasm = motoko(HERE / "journal.mo")
    wasm_path = tmp_path / "journal.wasm"
    wasm_path.write_bytes(wasm)
    module_hash = hashlib.sha256(wasm).hexdigest()
    seed = os.urandom(32).hex()

    serve = Serve(tmp_path)
    try:
        serve.start()
        made = _node("setup", serve.url, str(wasm_path), seed)
        canister, principal, root_key = made["canisterId"], made["principal"], made["rootKey"]
        before: list[int] = []  # the state as last read back
        everything_sent: set[int] = set()
        for number, (label, kill_after) in enumerate(ROUNDS, 1):
            base = number * 1_000_000
            summary, acks = _fire_and_kill(serve, canister, seed, base, kill_after, tmp_path)
            assert summary["rootKey"] == root_key
            sent = set(range(base, base + summary["issued"]))
            everything_sent |= sent
            serve.start()  # same port, same database

            extra_base = base + 500_000
            state = _node("check", serve.url, canister, seed, str(extra_base), str(EXTRA))
            entries = [int(v) for v in state["entries"]]
            where = f"round {number} (kill {label}):"

            # Every acknowledged call is there, at the position its certified reply named.
            lost = [(v, k) for v, k in acks if not (k <= len(entries) and entries[k - 1] == v)]
            assert not lost, (f"{where} {len(lost)} of {len(acks)} acknowledged updates lost or moved "
                              f"(value, reply): {lost[:20]}; state has {len(entries)} values, "
                              f"last {entries[-10:]}")
            # Consistent: what was there before is untouched, nothing twice, nothing never sent.
            assert entries[:len(before)] == before, f"{where} earlier state changed"
            new = entries[len(before):]
            assert len(set(entries)) == len(entries), f"{where} a value appears twice"
            assert set(new) <= sent, f"{where} values never sent: {sorted(set(new) - sent)[:20]}"
            shape = [int(state[k]) for k in ("count", "values", "pads", "badPads", "badStamps")]
            assert shape == [len(entries)] * 3 + [0, 0], \
                f"{where} inconsistent state (count, values, pads, bad pads, torn stamps): {shape}"
            # The canister, its module and controllers, and the replica's root key survive.
            assert state["rootKey"] == root_key, f"{where} the root key changed"
            assert state["moduleHash"] == module_hash and state["statusModuleHash"] == module_hash, state
            assert state["controllers"] == [principal] and state["statusControllers"] == [principal], state
            assert state["statusRunning"], state
            # Updates work after the restart.
            extra = [(int(v), int(k)) for v, k in state["extra"]]
            assert extra == [(extra_base + i, len(entries) + 1 + i) for i in range(EXTRA)], f"{where} {extra}"
            after = [int(v) for v in state["after"]]
            assert after == entries + [v for v, _ in extra], f"{where} state after the new updates: {after[-10:]}"

            landed = set(new) - {v for v, _ in acks}
            print(f"{where} {summary['issued']} sent, {len(acks)} acknowledged, {summary['failed']} cut "
                  f"({summary['firstFailure']}), {len(landed)} unacknowledged landed; {len(after)} values now")
            before = after
        assert serve.process.poll() is None, serve.log()
    finally:
        serve.stop()
    for start in range(1, serve.starts + 1):
        log = (tmp_path / f"serve-{start}.log").read_text(errors="replace")
        assert "traceback" not in log.lower() and "error" not in log.lower(), log
    db = sqlite3.connect(serve.db)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        db.close()
