"""replica/wasm is server-only: wasmtime and replica.wasm are never imported by ic/ or app/
(tests/unit/test_layering.py keeps replica out of both; this adds wasmtime, even inside functions)."""

from __future__ import annotations

from tests.unit.test_layering import ROOT, imports, sources


def test_wasmtime_stays_in_the_replica():
    found = [f"{path.relative_to(ROOT)} imports {name}" for package in ("ic", "app") for path in sources(package)
             for name, _top in imports(path) if name in {"wasmtime", "replica"}]
    assert found == []


def test_the_engine_imports_no_browser_or_http_layer():
    banned = {"js", "pyodide", "pyscript", "app", "uvicorn", "httptools"}
    found = [f"{path.relative_to(ROOT)} imports {name}" for path in sources("replica/wasm")
             for name, _top in imports(path) if name in banned]
    assert found == []
    assert sources("replica/wasm"), "replica/wasm has no sources"
