"""The real icp-cli 1.5.0 (npm `@icp-sdk/icp-cli-linux-x64`, pinned in tests/interop/package-lock.json)
against `serve.py`, on a URL network with `-k fetch` and with a project's connected network:

- `icp network ping`, `icp cycles balance` (the anonymous identity's PocketIC-style genesis
  balance, a new identity's 1,000T), `icp cycles transfer`, `icp canister create` (the cycles
  minting canister's `get_default_subnets`, then the cycles ledger's `create_canister`, charged
  amount + fee);
- `icp canister install` of a Motoko module, `icp canister call` (update, query, the caller), a
  non-controller refused, `icp canister top-up`, `icp deploy` of a project twice (create + install,
  then an upgrade that keeps the state).

HOME and ICP_HOME are temporary directories (icp-cli's identities and settings stay there);
telemetry and the update check are off, so icp-cli talks to nothing but the replica.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.unit.wasm.conftest import motoko  # noqa: F401  (fixture)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ICP = HERE / "node_modules" / "@icp-sdk" / "icp-cli-linux-x64" / "bin" / "icp"
DEADLINE = 60
ANONYMOUS = "2vxsx-fae"
ANONYMOUS_GENESIS = 2 ** 127 - 1  # what the cycles ledger gives the anonymous account (as PocketIC does)
IDENTITY_SEED = 1_000 * 10 ** 12  # what it gives every identity (as `icp network start` does)
FEE = 100_000_000
CREATE_CYCLES = 2 * 10 ** 12  # icp-cli's default --cycles

pytestmark = pytest.mark.interop


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _cycles(text: str) -> int:
    """`Balance: 1_000_000 cycles` -> 1000000."""
    match = re.search(r"([0-9_]+) cycles", text)
    assert match, text
    return int(match.group(1).replace("_", ""))


class Cli:
    """Runs the icp binary with its home in a temporary directory, against one replica URL."""

    def __init__(self, tmp: Path, url: str):
        self.url = url
        self.cwd = tmp
        home, icp_home = tmp / "home", tmp / "icp-home"
        home.mkdir()
        icp_home.mkdir()
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "ICP_"))}
        self.env.update(HOME=str(home), ICP_HOME=str(icp_home), DO_NOT_TRACK="1", ICP_TELEMETRY_DISABLED="1",
                        NO_COLOR="1")

    def run(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run([str(ICP), *args], cwd=cwd or self.cwd, env=self.env, capture_output=True, text=True,
                              timeout=DEADLINE * 2)
        if check:
            assert done.returncode == 0, f"icp {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def on_url(self, *args: str, identity: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        extra = ["--identity", identity] if identity else []
        return self.run(*args, "-n", self.url, "-k", "fetch", *extra, check=check)


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    if not ICP.is_file():
        pytest.skip("icp-cli is missing: run `npm ci` in tests/interop (linux-x64 only)")
    tmp = tmp_path_factory.mktemp("icp-cli")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = tmp / "serve.log"
    with log_path.open("wb") as sink:
        process = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--db",
                                    str(tmp / "replica.sqlite3")], cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEADLINE
        while True:
            if process.poll() is not None:
                raise AssertionError(f"serve.py exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                with urllib.request.urlopen(url + "/api/v2/status", timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve.py did not answer within {DEADLINE} s:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield url, tmp
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


@pytest.fixture(scope="module")
def cli(serve):
    url, tmp = serve
    cli = Cli(tmp, url)
    # Settings written before the first command: no update check and no telemetry, ever.
    settings = Path(cli.env["ICP_HOME"]) / "settings" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"v": 1, "autocontainerize": False, "telemetry-enabled": False,
                                    "update-check": "disabled", "session-length": 5}))
    assert cli.run("settings", "update-check").stdout.strip() == "disabled"
    cli.run("identity", "new", "alice", "--storage", "plaintext", "--output-seed", str(tmp / "alice.seed"))
    return cli


@pytest.fixture(scope="module")
def alice(cli) -> str:
    return cli.run("identity", "principal", "--identity", "alice").stdout.strip()


@pytest.fixture(scope="module")
def created(cli, alice) -> str:
    """A canister alice created with `icp canister create --detached` (paid from her cycles)."""
    before = _cycles(cli.on_url("cycles", "balance", identity="alice").stdout)
    canister = cli.on_url("canister", "create", "--detached", "-q", identity="alice").stdout.strip()
    after = _cycles(cli.on_url("cycles", "balance", identity="alice").stdout)
    assert before - after == CREATE_CYCLES + FEE
    return canister


def test_ping_reports_a_healthy_replica_and_its_root_key(cli):
    status = json.loads(cli.run("network", "ping", cli.url).stdout)
    assert status["replica_health_status"] == "healthy"
    with urllib.request.urlopen(cli.url + "/api/v2/status", timeout=5) as answer:
        from ic import cbor

        assert bytes(status["root_key"]) == cbor.decode(answer.read())["root_key"]


def test_identities_start_funded_as_on_an_icp_cli_local_network(cli, alice):
    assert _cycles(cli.on_url("cycles", "balance").stdout) == ANONYMOUS_GENESIS  # the default identity
    assert _cycles(cli.on_url("cycles", "balance", identity="alice").stdout) == IDENTITY_SEED
    token = cli.on_url("token", "um5iw-rqaaa-aaaaq-qaaba-cai", "balance", identity="alice").stdout
    assert "1000 TCYCLES" in token.replace("_", "").replace(".000000000000", ""), token


def test_create_is_paid_through_the_cycles_ledger(cli, created):
    assert re.fullmatch(r"[a-z0-9]{5}(-[a-z0-9]{5}){3}-cai", created), created
    # The canister exists and is empty: a call reaches it and finds no module.
    refused = cli.on_url("canister", "call", created, "inc", "()", identity="alice", check=False)
    assert refused.returncode != 0 and "IC0537" in refused.stderr, refused.stderr


def test_cycles_transfer_from_the_anonymous_account(cli, alice):
    before = _cycles(cli.on_url("cycles", "balance", identity="alice").stdout)
    moved = cli.on_url("cycles", "transfer", "5t", alice).stdout
    assert "Transferred 5_000_000_000_000 cycles" in moved, moved
    assert _cycles(cli.on_url("cycles", "balance", identity="alice").stdout) == before + 5 * 10 ** 12


def test_creating_with_more_cycles_than_the_balance_is_refused(cli):
    cli.run("identity", "new", "poor", "--storage", "plaintext", "--output-seed", str(cli.cwd / "poor.seed"))
    refused = cli.on_url("canister", "create", "--detached", "--cycles", "2000t", identity="poor", check=False)
    assert refused.returncode != 0
    assert "Insufficient cycles" in refused.stderr and "1_000_000_000_000_000" in refused.stderr, refused.stderr
    assert _cycles(cli.on_url("cycles", "balance", identity="poor").stdout) == IDENTITY_SEED


def test_install_then_call_a_motoko_canister(cli, alice, created, motoko, tmp_path):
    wasm = tmp_path / "counter.wasm"
    wasm.write_bytes(motoko("counter"))
    installed = cli.on_url("canister", "install", created, "--wasm", str(wasm), identity="alice")
    assert "installed successfully" in installed.stdout + installed.stderr
    assert cli.on_url("canister", "call", created, "inc", "()", identity="alice").stdout.strip() == "(1 : nat)"
    assert cli.on_url("canister", "call", created, "inc", "()", identity="alice").stdout.strip() == "(2 : nat)"
    assert cli.on_url("canister", "call", created, "get", "()", "--query").stdout.strip() == "(2 : nat)"
    assert cli.on_url("canister", "call", created, "whoami", "()", identity="alice").stdout.strip() == \
        f'(principal "{alice}")'
    # The anonymous identity is no controller of alice's canister.
    refused = cli.on_url("canister", "install", created, "--wasm", str(wasm), "--mode", "reinstall", "--yes",
                         check=False)
    assert refused.returncode != 0 and "Only controllers" in refused.stderr, refused.stderr
    # Top-up: the cycles ledger's withdraw to the canister.
    before = _cycles(cli.on_url("cycles", "balance", identity="alice").stdout)
    topped = cli.on_url("canister", "top-up", created, "--amount", "1t", identity="alice")
    assert "Topped up" in topped.stdout + topped.stderr
    assert _cycles(cli.on_url("cycles", "balance", identity="alice").stdout) == before - 10 ** 12 - FEE


def test_deploy_a_project_to_a_connected_network_twice(cli, motoko, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "counter.wasm").write_bytes(motoko("counter"))
    (project / "icp.yaml").write_text(
        "canisters:\n"
        "  - name: counter\n"
        "    build:\n"
        "      steps:\n"
        "        - type: pre-built\n"
        "          path: counter.wasm\n"
        "networks:\n"
        "  - name: pyreplica\n"
        "    mode: connected\n"
        f"    url: {cli.url}\n"
        "    root-key: fetch\n"
        "environments:\n"
        "  - name: py\n"
        "    network: pyreplica\n")
    assert json.loads(cli.run("network", "ping", "pyreplica", cwd=project).stdout)["replica_health_status"] == "healthy"
    first = cli.run("deploy", "-e", "py", cwd=project)
    assert "Created canister counter with ID" in first.stdout + first.stderr
    assert cli.run("canister", "call", "counter", "inc", "()", "-e", "py", cwd=project).stdout.strip() == "(1 : nat)"
    cli.run("deploy", "-e", "py", cwd=project)  # an upgrade: the persistent actor keeps its state
    assert cli.run("canister", "call", "counter", "inc", "()", "-e", "py", cwd=project).stdout.strip() == "(2 : nat)"
