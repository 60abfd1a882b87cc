"""The real @dfinity/agent 3.x (pinned in tests/interop/package-lock.json) against the replica.

Starts the replica on a free loopback port with a temporary database, runs `agent_js.mjs` under
Node with shouldFetchRootKey and default verification, and asserts every step passed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.interop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ii_available() -> bool:
    try:
        import replica.canisters.internet_identity as ii

        return hasattr(ii, "InternetIdentityCanister")
    except ImportError:
        return False


@pytest.fixture(scope="module")
def node_modules():
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are needed for the interop test")
    if not (HERE / "node_modules" / "@dfinity" / "agent").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)
    return HERE / "node_modules"


@pytest.fixture(scope="module")
def replica_url(tmp_path_factory):
    port = _free_port()
    db = tmp_path_factory.mktemp("interop") / "replica.sqlite3"
    args = [sys.executable, str(HERE / "run_replica.py"), str(port), str(db)]
    if not _ii_available():
        args.append("--no-ii")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError("replica exited early:\n" + "".join(lines))
            lines.append(line)
            if line.startswith("listening on "):
                break
        url = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        ids = dict(line.strip().split(" canister: ") for line in lines if " canister: " in line)
        yield url, ids
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_agent_js_against_the_replica(node_modules, replica_url):
    url, ids = replica_url
    args = ["node", str(HERE / "agent_js.mjs"), url, ids.get("internet_identity", "rdmx6-jaaaa-aaaaa-aaadq-cai"), ids["whoami"]]
    if "internet_identity" not in ids:
        args.append("--whoami-only")
    result = subprocess.run(args, cwd=HERE, capture_output=True, text=True, timeout=300, env=dict(os.environ))
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: all steps passed" in result.stdout
