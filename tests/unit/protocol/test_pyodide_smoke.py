"""The session under Pyodide (the vendored npm `pyodide`, run by Node), with real JS values.

JS builds the messages exactly as @dfinity/auth-client 3.x and @icp-sdk/signer do (`Uint8Array`,
`bigint`, `undefined`, `null`), Python receives them through `to_py()` as the browser adapter
will, and the answers go back through `to_js(..., dict_converter=Object.fromEntries,
default_converter=<BigIntValue -> BigInt>)` and `structuredClone` (what `postMessage` does).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PYODIDE = ROOT / "node_modules" / "pyodide" / "pyodide.mjs"
CBOR2_WHEEL = ROOT / "static" / "vendor" / "wheels" / "cbor2.whl"  # what the page unpacks

PYTHON = r"""
import sys
sys.path.insert(0, "/src")
sys.path.insert(0, "/wheels")
import js
from pyodide.ffi import to_js
from app.protocol import AuthorizeSession, AuthorizationResult, BigIntValue, IncomingMessage, PostMessage
from ic.delegation import Delegation, DelegationChain, SignedDelegation

DAPP = "http://bkyz2-fmaaa-aaaaa-qaaaq-cai.localhost:4943"

def convert(value, _convert, _cache):
    if isinstance(value, BigIntValue):
        return js.BigInt(str(value.value))
    raise TypeError(f"cannot send {type(value).__name__}")

def send(effects):
    return [to_js(e.message, dict_converter=js.Object.fromEntries, default_converter=convert)
            for e in effects if isinstance(e, PostMessage)]

def result(key):
    link = SignedDelegation(Delegation(key, 1795028800000000000), b"\xd9\xd9\xf7sig")
    return AuthorizationResult(DelegationChain((link,), b"0<0\x0c\x06\n+\x06\x01\x04\x01\x83\xb8C\x01\x02\x03,\x00\x0a" + bytes(42)))

legacy = AuthorizeSession("http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943")
ready = send(legacy.start(has_opener=True))
legacy.on_message(IncomingMessage(js.legacyRequest.to_py(), DAPP, True))
request = legacy.state.request
checks = {
    "ttl_type": type(request.max_time_to_live_ns).__name__,
    "ttl": request.max_time_to_live_ns,
    "pin": repr(request.allow_pin_authentication),
    "derivation": repr(request.derivation_origin),
}
success = send(legacy.on_authenticated(result(request.session_public_key)))

icrc = AuthorizeSession("http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943")
icrc.start(has_opener=True)
status = send(icrc.on_message(IncomingMessage(js.heartbeat.to_py(), DAPP, True)))
icrc.on_message(IncomingMessage(js.delegationRequest.to_py(), DAPP, True))
delegation = send(icrc.on_authenticated(result(icrc.state.request.session_public_key)))
js.report(to_js({"checks": checks, "ready": ready[0], "success": success[0], "status": status[0],
                 "delegation": delegation[0]}, dict_converter=js.Object.fromEntries))
"""

JS = r"""
import { loadPyodide } from "%(pyodide)s";
import { readFileSync } from "node:fs";
const py = await loadPyodide();
py.unpackArchive(new Uint8Array(readFileSync("%(wheel)s")), "wheel", { extractDir: "/wheels" });
py.FS.mkdir("/src");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "%(root)s" }, "/src");
const der = new Uint8Array(Buffer.from("302a300506032b6570032100" + "11".repeat(32), "hex"));
globalThis.legacyRequest = { kind: "authorize-client", sessionPublicKey: der, maxTimeToLive: 28800000000000n,
                             allowPinAuthentication: undefined, derivationOrigin: undefined, extra: null };
globalThis.heartbeat = { jsonrpc: "2.0", id: "6f1c5c6e-2d47-4a8e-9d6b-0c1f5b1e8a77", method: "icrc29_status" };
globalThis.delegationRequest = JSON.parse(JSON.stringify({ jsonrpc: "2.0", id: "a8098c1a", method: "icrc34_delegation",
  params: { publicKey: Buffer.from(der).toString("base64"), targets: undefined, maxTimeToLive: "28800000000000" } }));
globalThis.report = (value) => {
  const cloned = structuredClone(value);  // what postMessage does; throws DataCloneError on proxies
  const link = cloned.success.delegations[0];
  console.log(JSON.stringify({
    checks: cloned.checks,
    ready: cloned.ready,
    successKind: cloned.success.kind,
    pubkeyIsUint8Array: link.delegation.pubkey instanceof Uint8Array,
    pubkeyMatches: Buffer.from(link.delegation.pubkey).equals(Buffer.from(der)),
    expirationType: typeof link.delegation.expiration,
    expiration: link.delegation.expiration.toString(),
    signatureIsUint8Array: link.signature instanceof Uint8Array,
    userKeyIsUint8Array: cloned.success.userPublicKey instanceof Uint8Array,
    authnMethod: cloned.success.authnMethod,
    status: cloned.status,
    delegation: JSON.parse(JSON.stringify(cloned.delegation)),
  }));
};
py.runPython(%(python)s);
"""


@pytest.mark.skipif(shutil.which("node") is None or not PYODIDE.exists() or not CBOR2_WHEEL.exists(),
                    reason="needs node, npm pyodide and the vendored cbor2 wheel (setup)")
def test_the_session_runs_under_pyodide_with_real_js_values(tmp_path):
    script = tmp_path / "smoke.mjs"
    script.write_text(JS % {"pyodide": PYODIDE.as_posix(), "root": ROOT.as_posix(), "wheel": CBOR2_WHEEL.as_posix(), "python": json.dumps(PYTHON)})
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["checks"] == {"ttl_type": "int", "ttl": 28_800_000_000_000, "pin": "None", "derivation": "None"}
    assert report["ready"] == {"kind": "authorize-ready"}
    assert report["successKind"] == "authorize-client-success"
    assert report["pubkeyIsUint8Array"] and report["pubkeyMatches"]
    assert report["signatureIsUint8Array"] and report["userKeyIsUint8Array"]
    assert report["expirationType"] == "bigint" and report["expiration"] == "1795028800000000000"
    assert report["authnMethod"] == "passkey"
    assert report["status"] == {"jsonrpc": "2.0", "id": "6f1c5c6e-2d47-4a8e-9d6b-0c1f5b1e8a77", "result": "ready"}
    result = report["delegation"]["result"]
    assert report["delegation"]["id"] == "a8098c1a"
    assert result["signerDelegation"][0]["delegation"] == {
        "pubkey": base64.b64encode(bytes.fromhex("302a300506032b6570032100" + "11" * 32)).decode(),
        "expiration": "1795028800000000000",
    }
