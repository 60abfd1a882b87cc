"""serve.py refuses a bad project with one line on stderr, before it opens the database or binds the
port: the port is held busy here, so a serve.py that got as far as binding would say so instead."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def tree(tmp_path):
    import wasmtime

    (tmp_path / "ok.wasm").write_bytes(wasmtime.wat2wasm(
        '(module (@custom "icp:private candid:service" "service : (nat) -> {}"))'))
    (tmp_path / "empty-dist").mkdir()
    return tmp_path


@pytest.fixture
def busy_port():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        yield busy.getsockname()[1]


def serve(tree: Path, port: int, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--db",
                           str(tree / "state" / "db.sqlite3"), *argv], cwd=tree, capture_output=True, text=True,
                          timeout=60)


CASES = {
    "missing module": (["--canister", "b=build/b.wasm:(1)"],
                       "--canister b=build/b.wasm:(1): no such file build/b.wasm; build the canister first, or fix"
                       " the path"),
    "not a module": (["--canister", "b=ii-project.toml"], None),
    "name used twice": (["--canister", "b=ok.wasm:(1)", "--canister", "b=ok.wasm:(2)"],
                        "--canister b=ok.wasm:(2): the name 'b' is used twice (also by --canister b=ok.wasm:(1)); give"
                        " each canister and frontend its own name"),
    "bad init argument": (["--canister", "b=ok.wasm:(\"one\")"],
                          "--canister b=ok.wasm:(\"one\"): the init argument (\"one\") does not parse: value text cannot"
                          " be read at type nat (the module's init takes (nat))"),
    "missing init argument": (["--canister", "b=ok.wasm"],
                              "--canister b=ok.wasm: the module's init takes (nat); give that argument, as"
                              " b=ok.wasm:'(...)'"),
    "frontend without index.html": (["--frontend", "app=empty-dist"],
                                    "--frontend app=empty-dist: the folder empty-dist has no index.html; name the"
                                    " frontend's build output (e.g. dist/), which must hold index.html"),
    "unknown key": (["--project", "unknown.toml"], "{tree}/unknown.toml [canisters.b]: unknown key 'wasm_file'; did you"
                                                   " mean 'wasm'?"),
    "bad TOML": (["--project", "bad.toml"], "--project {tree}/bad.toml: not valid TOML: Expected ']' at the end of a"
                                            " table declaration (at line 1, column 13)"),
    "missing project file": (["--project", "none.toml"], "--project {tree}/none.toml: no such file; fix the path, or"
                                                         " write the project file first"),
    "env file is a folder": (["--canister", "b=ok.wasm:(1)", "--env-file", "empty-dist"],
                             "--env-file empty-dist: is a folder; name the file to write, e.g. empty-dist/.env"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_before_the_port_is_bound(tree, busy_port, case):
    (tree / "ii-project.toml").write_text("[canisters.b]\nwasm = 'ok.wasm'\n")
    (tree / "unknown.toml").write_text("[canisters.b]\nwasm_file = 'ok.wasm'\n")
    (tree / "bad.toml").write_text("[canisters.b\nwasm = 'ok.wasm'\n")
    argv, expected = CASES[case]
    result = serve(tree, busy_port, *argv)
    assert result.returncode == 1, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("serve.py: error: ") and "already in use" not in lines[0]
    if expected is not None:
        assert lines[0] == "serve.py: error: " + expected.format(tree=tree)
    assert result.stdout == ""
    assert not (tree / "state").exists()  # nor was the database opened


def test_a_flag_without_its_value_is_a_usage_error(tree, busy_port):
    result = serve(tree, busy_port, "--canister")
    assert result.returncode == 2 and "usage: serve.py" in result.stderr
    assert "--canister: expected one argument" in result.stderr.splitlines()[-1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serving(tree: Path, port: int, *argv: str) -> tuple[subprocess.Popen, list[str]]:
    """serve.py started with `argv`; returns once it printed its banner (its lines so far)."""
    import time

    process = subprocess.Popen([sys.executable, str(ROOT / "serve.py"), "--port", str(port), "--db",
                                str(tree / "state" / "db.sqlite3"), *argv], cwd=tree, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines, deadline = [], time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("connections: "):
            return process, lines
    process.kill()
    raise AssertionError("serve.py did not start:\n" + "\n".join(lines))


def test_serve_deploys_prints_the_ids_and_keeps_them_across_a_restart(tree):
    import urllib.request

    (tree / "dist").mkdir()
    (tree / "dist" / "index.html").write_text("<!doctype html><title>my dapp</title>")
    argv = ("--canister", "backend=ok.wasm:(7)", "--frontend", "app=dist")
    port = free_port()
    ids = {}
    for action in ("created", "unchanged"):
        process, lines = start_serving(tree, port, *argv)
        try:
            backend = next(line for line in lines if line.startswith("backend canister: "))
            app = next(line for line in lines if line.startswith("app frontend: "))
            assert f"({action}" in backend, lines
            ids.setdefault("backend", backend.split()[2])
            ids.setdefault("app", app.split()[2])
            assert backend.split()[2] == ids["backend"] and app.split()[2] == ids["app"]
            assert f"  http://{ids['app']}.localhost:{port}/" in lines
            assert f"  http://localhost:{port}/?canisterId={ids['app']}" in lines
            request = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                             headers={"Host": f"{ids['app']}.localhost:{port}"})
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert b"my dapp" in answer.read()
        finally:
            process.terminate()
            process.wait(timeout=20)
    env = (tree / ".env").read_text()
    assert f"CANISTER_ID_BACKEND='{ids['backend']}'" in env and f"CANISTER_ID_APP='{ids['app']}'" in env
