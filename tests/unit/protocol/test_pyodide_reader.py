"""`app.browser.messaging.read_data` under Pyodide (npm `pyodide`, run by Node) with real JS values.

What the session receives of junk and of real requests, and that reading a huge value touches it a
bounded number of times: the values are wrapped in JS `Proxy`s that count every property access,
so a whole `to_py()` (hundreds of thousands of accesses) would show.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.unit.protocol.test_pyodide_smoke import CBOR2_WHEEL, PYODIDE, ROOT

PYTHON = r"""
import json
import sys
sys.path.insert(0, "/src")
sys.path.insert(0, "/wheels")
import js
from app.browser.messaging import read_data
from app.protocol import Unreadable

def show(value):
    if isinstance(value, Unreadable):
        return {"unreadable": value.what}
    if isinstance(value, memoryview):
        return {"bytes": value.hex()}
    if isinstance(value, dict):
        return {key: show(item) for key, item in value.items()}
    if isinstance(value, list):
        return [show(item) for item in value]
    return value if value is None or isinstance(value, (str, int, float, bool)) else type(value).__name__

report = {}
for name in js.Object.keys(js.cases):
    before = js.counter.count
    report[name] = {"read": show(read_data(js.Reflect.get(js.cases, name))), "touches": js.counter.count - before}
js.report(json.dumps(report))
"""

JS = r"""
import { loadPyodide } from "%(pyodide)s";
import { readFileSync } from "node:fs";
const py = await loadPyodide();
py.unpackArchive(new Uint8Array(readFileSync("%(wheel)s")), "wheel", { extractDir: "/wheels" });
py.FS.mkdir("/src");
py.FS.mount(py.FS.filesystems.NODEFS, { root: "%(root)s" }, "/src");
globalThis.counter = { count: 0 };
const counted = (target) => new Proxy(target, { get(t, k, r) { counter.count++; return Reflect.get(t, k, r); },
  getOwnPropertyDescriptor(t, k) { counter.count++; return Reflect.getOwnPropertyDescriptor(t, k); },
  ownKeys(t) { counter.count++; return Reflect.ownKeys(t); } });
const key = new Uint8Array([0x30, 0x2a, 0x30, 0x05]);
const many = new Array(1 << 18).fill("authorize-client");
const wide = Object.fromEntries(Array.from({ length: 1 << 16 }, (_, i) => ["k" + i, i]));
let deep = { kind: "authorize-client" };
for (let i = 0; i < 50; i++) deep = [deep];
globalThis.cases = {
  legacy: { kind: "authorize-client", sessionPublicKey: key, maxTimeToLive: 28800000000000n, derivationOrigin: undefined,
            allowPinAuthentication: null, custom: counted(many) },
  icrc: { jsonrpc: "2.0", id: "a", method: "icrc34_delegation",
          params: { publicKey: "MCow", maxTimeToLive: "1", targets: ["aaaaa-aa"], icrc95DerivationOrigin: "https://x.io" } },
  hugeArray: counted(many),
  hugeObject: counted(wide),
  hugeParams: { jsonrpc: "2.0", id: 1, method: "icrc25_permissions", params: { targets: counted(many) } },
  wideParams: { jsonrpc: "2.0", id: 1, method: "icrc25_permissions", params: counted(wide) },
  hugeKey: { kind: "authorize-client", sessionPublicKey: new Uint8Array(1 << 20) },
  hugeString: { kind: "k".repeat(1 << 20) },
  deep: deep,
  map: new Map([["kind", "authorize-client"]]),
  set: new Set(["authorize-client"]),
  date: new Date(0),
  stringObject: { kind: new String("authorize-client") },
  primitives: [42, "s", null, true, 5n],
};
globalThis.report = (text) => console.log(text);
py.runPython(%(python)s);
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    if shutil.which("node") is None or not PYODIDE.exists() or not CBOR2_WHEEL.exists():
        pytest.skip("needs node, npm pyodide and the vendored cbor2 wheel (setup)")
    script = tmp_path_factory.mktemp("reader") / "reader.mjs"
    script.write_text(JS % {"pyodide": PYODIDE.as_posix(), "root": ROOT.as_posix(), "wheel": CBOR2_WHEEL.as_posix(),
                            "python": json.dumps(PYTHON)})
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_real_requests_read_as_to_py_would_give_them_without_the_fields_no_protocol_reads(report):
    legacy = report["legacy"]
    assert legacy["read"] == {"kind": "authorize-client", "sessionPublicKey": {"bytes": "302a3005"},
                              "maxTimeToLive": 28_800_000_000_000, "derivationOrigin": None,
                              "allowPinAuthentication": "JsNull"}
    assert legacy["touches"] == 0  # `custom` (AuthClient's customValues) is not even looked at
    assert report["icrc"]["read"] == {"jsonrpc": "2.0", "id": "a", "method": "icrc34_delegation", "params": {
        "publicKey": "MCow", "maxTimeToLive": "1", "targets": ["aaaaa-aa"], "icrc95DerivationOrigin": "https://x.io"}}


@pytest.mark.parametrize("case,read", [
    ("hugeArray", {"unreadable": "an array of 262144 items"}),
    ("hugeObject", {}),  # none of its keys is one either protocol reads
    ("hugeParams", {"jsonrpc": "2.0", "id": 1, "method": "icrc25_permissions",
                    "params": {"targets": {"unreadable": "an array of 262144 items"}}}),
    ("wideParams", {"jsonrpc": "2.0", "id": 1, "method": "icrc25_permissions", "params": {}}),
    ("hugeKey", {"kind": "authorize-client", "sessionPublicKey": {"unreadable": "a typed array of 1048576 bytes"}}),
    ("hugeString", {"kind": {"unreadable": "a string of 1048576 characters"}}),
    ("map", {"unreadable": "a Map"}),
    ("set", {"unreadable": "a Set"}),
    ("date", {"unreadable": "a Date"}),
    ("stringObject", {"kind": {"unreadable": "a String"}}),
    ("primitives", [42, "s", "JsNull", True, 5]),
])
def test_junk_reads_as_unreadable_in_bounded_work(report, case, read):
    assert report[case]["read"] == read
    assert report[case]["touches"] <= 40  # a whole to_py() of these would touch them 65,536+ times


def test_deep_nesting_stops_at_the_depth_limit(report):
    value, depth = report["deep"]["read"], 0
    while isinstance(value, list):
        (value,) = value
        depth += 1
    assert value == {"unreadable": "a value nested too deep or too large"} and depth == 8
