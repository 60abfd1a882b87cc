"""The real @dfinity/agent 3.x drives aaaaa-aa: creates a canister, installs a Motoko module
(compiled at test time by the pinned npm `motoko`), calls it, upgrades it and reads its stable
state back, with full verification after fetchRootKey (`management_js.mjs`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.interop.test_agent_js import node_modules, replica_url  # noqa: F401  (fixtures)
from tests.unit.wasm.conftest import motoko  # noqa: F401  (fixture)

HERE = Path(__file__).resolve().parent
pytestmark = pytest.mark.interop


def test_agent_js_creates_installs_calls_and_upgrades(node_modules, replica_url, motoko, tmp_path):
    url, _ids = replica_url
    wasm = tmp_path / "stable.wasm"
    wasm.write_bytes(motoko("stable"))
    result = subprocess.run(["node", str(HERE / "management_js.mjs"), url, str(wasm)], cwd=HERE,
                            capture_output=True, text=True, timeout=300, env=dict(os.environ))
    print(result.stdout)
    print(result.stderr, file=sys.stderr)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK: all steps passed" in result.stdout
