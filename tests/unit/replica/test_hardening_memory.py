"""Anonymous calls cannot grow a running `serve.py` without limit (issue 11, finding 1).

Before: 400 anonymous ~300-byte calls of whoami's `http_request` for a 196 KB asset grew the server
by 75 MiB, since every reply was kept until its ingress expiry. The server's resident memory is
read from /proc before and after many such calls; the margin is generous (the ingress history's
reply budget is 32 MiB, the calls return over 150 MiB of replies).
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ic.candid.encode import encode as candid_encode
from replica.http.testing import call_content, encode, envelope

REPO = Path(__file__).resolve().parents[3]
WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
ASSET = "/legacy-dapp.mjs"
CALLS = 800
MARGIN_MIB = 80


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc status")


@pytest.fixture
def server(tmp_path):
    if not (REPO / "static" / "vendor" / "demo" / ASSET.lstrip("/")).is_file():
        pytest.skip("the demo bundles are built by tools/setup.py")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(REPO / "serve.py"), "--flavor", "test", "--port", str(port), "--db", str(tmp_path / "db.sqlite3")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=REPO, text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read())
            time.sleep(0.1)
    yield proc, port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def anonymous_call_body(n: int) -> bytes:
    from ic import candid
    from ic.principal import Principal
    from replica.canisters.whoami import WhoamiCanister

    func = candid.parse_did(WhoamiCanister.did_text).service["http_request"]
    arg = candid_encode(list(func.args), [{"method": "GET", "url": ASSET, "headers": [], "body": b""}])
    content = call_content(Principal.from_text(WHOAMI).raw, "http_request", arg, b"\x04", nonce=n.to_bytes(8, "big"))
    return encode(envelope(content, None))


def test_many_anonymous_calls_with_large_replies_stay_within_a_bounded_memory(server):
    proc, port = server
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    answered = 0

    def call(n: int) -> None:
        nonlocal answered
        conn.request("POST", f"/api/v3/canister/{WHOAMI}/call", anonymous_call_body(n),
                     {"content-type": "application/cbor"})
        res = conn.getresponse()
        body = res.read()
        assert res.status == 200, body[:300]
        answered += len(body)

    for n in range(20):  # warm up: imports, caches, the first certificates
        call(n)
    before = rss_mib(proc.pid)
    for n in range(20, 20 + CALLS):
        call(n)
    grown = rss_mib(proc.pid) - before
    conn.close()
    assert answered > 150 * 1024 * 1024
    assert grown < MARGIN_MIB, f"the replica grew by {grown:.0f} MiB over {CALLS} anonymous calls"
