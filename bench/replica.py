"""Replica throughput and latency, beside the bare crypto floor measured in the same run.

    .venv/bin/python bench/replica.py [--seconds 8] [--concurrency 8]

Starts one replica process (test flavor, temporary database) on a free loopback port and drives it
from a load-generator process over keep-alive HTTP connections, the way agent-js would: v3 calls
and v2 queries with Ed25519-signed envelopes. Prints, for one replica process:

- registrations/s (create_challenge + register) with p50/p99 latency per registration;
- prepare_delegation + get_delegation pairs/s with p50/p99 per pair, at full load and at half
  the peak rate (open loop);
- the crypto floor for one pair in this process: request signature verification (two envelopes),
  BLS signing (the call's certificate and the query's data certificate) and the query response
  signature, as pairs/s.

Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
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

ORIGIN = "https://dapp.example"


# -- the crypto floor ----------------------------------------------------------------------------


def crypto_floor(seconds: float) -> float:
    """Pairs/s if the replica did nothing but the cryptography one pair needs."""
    from replica.auth.signatures import make_verifier
    from replica.certification.keys import generate_keys
    from replica.http.testing import Ed25519Identity

    keys = generate_keys()
    verify = make_verifier(keys.root.der)
    user = Ed25519Identity()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for i in range(2):  # the call's and the query's envelope (distinct messages: no cache hit)
            msg = b"\x0aic-request" + os.urandom(32)
            verify(user.der, msg, user.sign(msg))
        keys.root.sign(b"\x0dic-state-root" + os.urandom(32))  # certificate of the call's reply
        keys.root.sign(b"\x0dic-state-root" + os.urandom(32))  # data certificate in the query
        keys.node.sign(b"\x0bic-response" + os.urandom(32))  # node signature on the query response
        n += 1
    elapsed = time.perf_counter() - start
    # Signing the envelopes is the client's work: measure it apart and take it out.
    m, s0 = 0, time.perf_counter()
    while m < 2 * n:
        user.sign(b"\x0aic-request" + os.urandom(32))
        m += 1
    client_part = time.perf_counter() - s0
    return n / max(elapsed - client_part, 1e-9)


# -- the replica process -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_replica(port: int, db: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "interop" / "run_replica.py"), str(port), str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the replica exited before listening")
        if line.startswith("listening on"):
            break
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("the replica does not accept connections")


# -- the load generator (runs in its own process) ------------------------------------------------


class Client:
    """One keep-alive connection speaking the IC HTTP interface with one signing identity."""

    def __init__(self, port: int, ii_id, methods):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.ii = ii_id
        self.methods = methods

    def _post(self, path: str, body: bytes) -> bytes:
        self.conn.request("POST", path, body, {"Content-Type": "application/cbor"})
        res = self.conn.getresponse()
        data = res.read()
        if res.status != 200:
            raise RuntimeError(f"{path}: HTTP {res.status}: {data[:200]!r}")
        return data

    def _content(self, identity, method, args, request_type):
        from ic import candid

        from replica.http.testing import call_content

        sig = self.methods[method]
        arg = candid.encode(sig.arg_types, args)
        return call_content(self.ii.raw, method, arg, identity.principal, request_type=request_type,
                            nonce=os.urandom(16) if request_type == "call" else None)

    def call(self, identity, method, args):
        from ic import candid, cbor, hash_tree

        from replica.http.testing import envelope
        from ic.request_id import request_id

        content = self._content(identity, method, args, "call")
        data = self._post(f"/api/v3/canister/{self.ii.to_text()}/call", cbor.encode(envelope(content, identity)))
        answer = cbor.decode(data, max_size=1 << 22)
        cert = cbor.decode(answer["certificate"], max_size=1 << 22)
        tree = hash_tree.decode_tree(cert["tree"])
        rid = request_id(content)
        status = _leaf(hash_tree, tree, [b"request_status", rid, b"status"])
        if status != b"replied":
            raise RuntimeError(f"{method}: {status!r} {_leaf(hash_tree, tree, [b'request_status', rid, b'reject_message'])!r}")
        return candid.decode(_leaf(hash_tree, tree, [b"request_status", rid, b"reply"]), self.methods[method].result_types)

    def query(self, identity, method, args):
        from ic import candid, cbor

        from replica.http.testing import envelope

        content = self._content(identity, method, args, "query")
        data = self._post(f"/api/v2/canister/{self.ii.to_text()}/query", cbor.encode(envelope(content, identity)))
        answer = cbor.decode(data, max_size=1 << 22)
        if answer["status"] != "replied":
            raise RuntimeError(f"{method}: {answer.get('reject_message')}")
        return candid.decode(answer["reply"]["arg"], self.methods[method].result_types)


def _leaf(hash_tree, tree, path):
    result = hash_tree.lookup_path(path, tree)
    return getattr(result, "value", result)


def _device_data(identity) -> dict:
    return {
        "pubkey": identity.der,
        "alias": "bench",
        "credential_id": None,
        "aaguid": None,
        "purpose": {"authentication": None},
        "key_type": {"unknown": None},
        "protection": {"unprotected": None},
        "origin": None,
        "metadata": None,
    }


def register(client, identity) -> int:
    (challenge,) = client.call(identity, "create_challenge", [])
    (result,) = client.call(identity, "register", [_device_data(identity), {"key": challenge["challenge_key"], "chars": "a"}, None])
    if "registered" not in result:
        raise RuntimeError(f"register: {result}")
    return int(result["registered"]["user_number"])


def pair(client, identity, anchor, session_der) -> None:
    user_key, expiration = client.call(identity, "prepare_delegation", [anchor, ORIGIN, session_der, None])
    (got,) = client.query(identity, "get_delegation", [anchor, ORIGIN, session_der, expiration])
    if "signed_delegation" not in got:
        raise RuntimeError(f"get_delegation: {got}")


def run_phase(port, kind, seconds, concurrency, rate, out):
    """Runs in the load-generator process; puts (ops, elapsed, latencies, errors) on `out`."""
    from ic.principal import Principal

    from replica.canisters.internet_identity.canister import load_did_text
    from replica.config import II_CANISTER_ID
    from replica.http.testing import Ed25519Identity
    from replica.runtime.dispatch import parse_methods

    methods = parse_methods(load_did_text())
    ii = Principal.from_text(II_CANISTER_ID)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    users = []
    if kind == "pairs":
        setup = Client(port, ii, methods)
        for _ in range(concurrency):
            who = Ed25519Identity()
            users.append((who, register(setup, who)))
    stop = time.perf_counter() + seconds
    interval = concurrency / rate if rate else 0.0

    def worker(i):
        client = Client(port, ii, methods)
        session = Ed25519Identity().der
        next_at = time.perf_counter()
        while time.perf_counter() < stop:
            if interval:
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                next_at += interval
            t0 = time.perf_counter()
            try:
                if kind == "registrations":
                    register(client, Ed25519Identity())
                else:
                    who, anchor = users[i]
                    pair(client, who, anchor, session)
            except Exception as exc:  # counted, printed
                with lock:
                    errors.append(str(exc)[:200])
                continue
            with lock:
                latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.put((len(latencies), time.perf_counter() - start, latencies, errors[:3], len(errors)))


def phase(port, kind, seconds, concurrency, rate=None):
    out = mp.Queue()
    proc = mp.Process(target=run_phase, args=(port, kind, seconds, concurrency, rate, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def report(label, result):
    ops, elapsed, lat, sample_errors, n_errors = result
    rate = ops / elapsed
    print(f"{label:<44} {rate:8.1f}/s   p50 {pct(lat, 0.5):7.1f} ms   p99 {pct(lat, 0.99):7.1f} ms   ({ops} ok, {n_errors} errors)")
    for e in sample_errors:
        print(f"    error: {e}")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    floor = crypto_floor(min(args.seconds, 3.0))
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        proc = start_replica(port, Path(tmp) / "bench.sqlite3")
        try:
            print(f"replica: one process on 127.0.0.1:{port}; load generator: one process, {args.concurrency} connections")
            print(f"{'crypto floor (verify 2 envelopes, 2 BLS signs, 1 node sign)':<44} {floor:8.1f} pairs/s")
            reg = report("registrations (create_challenge + register)", phase(port, "registrations", args.seconds, args.concurrency))
            peak = report("pairs (prepare + get_delegation), full load", phase(port, "pairs", args.seconds, args.concurrency))
            report(f"pairs at half the peak rate ({peak / 2:.0f}/s)", phase(port, "pairs", args.seconds, args.concurrency, rate=peak / 2))
            print(f"pairs/s as a share of the crypto floor: {100 * peak / floor:.0f}%   (registrations/s: {reg:.1f})")
        finally:
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
