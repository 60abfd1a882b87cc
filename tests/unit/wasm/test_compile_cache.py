"""Compiled modules on disk: the second compile of a module is read back, and a cache file that
does not match its checksum is compiled again, never loaded."""

from __future__ import annotations

import pytest

from replica.wasm import compile_cache
from replica.wasm.engine import wasm_engine
from tests.unit.wasm.conftest import wat

CODE = wat('(module (func (export "f") (result i32) i32.const 7))')


@pytest.fixture
def cache(tmp_path):
    compile_cache.set_cache_dir(tmp_path / "compiled")
    yield tmp_path / "compiled"
    compile_cache.set_cache_dir(None)


def run(module) -> int:
    import wasmtime

    store = wasmtime.Store(wasm_engine())
    store.set_fuel(10_000)
    return wasmtime.Instance(store, module, []).exports(store)["f"](store)


def test_a_module_is_compiled_once_and_read_back(cache, monkeypatch):
    first = compile_cache.compile_module(wasm_engine(), CODE)
    (stored,) = cache.glob("*.cwasm")
    assert run(first) == 7 and oct(stored.stat().st_mode & 0o777) == "0o600"
    import wasmtime

    def no_compiling(*_args):
        raise AssertionError("compiled again")

    monkeypatch.setattr(compile_cache.wasmtime, "Module", type("NoCompile", (), {
        "__new__": no_compiling, "deserialize": staticmethod(wasmtime.Module.deserialize)}))
    assert run(compile_cache.compile_module(wasm_engine(), CODE)) == 7


def test_a_damaged_cache_file_is_compiled_again(cache):
    compile_cache.compile_module(wasm_engine(), CODE)
    (stored,) = cache.glob("*.cwasm")
    data = bytearray(stored.read_bytes())
    data[-10] ^= 0xFF
    stored.write_bytes(bytes(data))
    assert run(compile_cache.compile_module(wasm_engine(), CODE)) == 7
    assert stored.read_bytes() != bytes(data)  # rewritten whole


def test_without_a_folder_nothing_is_kept(tmp_path):
    compile_cache.set_cache_dir(None)
    assert run(compile_cache.compile_module(wasm_engine(), CODE)) == 7
    assert list(tmp_path.iterdir()) == []
