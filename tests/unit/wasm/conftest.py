"""Fixtures of the Wasm engine tests: Motoko sources compiled by the real compiler (npm `motoko`,
pinned in package.json), cached by source hash so a run compiles each source once; WAT modules
assembled by wasmtime; a canister factory with a test-sized instruction limit."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SOURCES = HERE / "motoko"
CANISTER_ID = bytes.fromhex("00000000000000010101")  # rrkah-fqaaa-aaaaa-aaaaq-cai
CONTROLLER = bytes.fromhex("aa" * 28 + "02")
USER = bytes.fromhex("bb" * 28 + "02")


def moc_version() -> str:
    return json.loads((ROOT / "node_modules" / "motoko" / "package.json").read_text())["version"]


def compile_source(source: Path, cache: Path) -> bytes:
    """The .wasm bytes of the Motoko file `source` (any directory), kept in `cache` by content hash."""
    source = Path(source)
    digest = hashlib.sha256(moc_version().encode() + b"\0" + source.read_bytes()).hexdigest()[:32]
    out = cache / f"{source.stem}-{digest}.wasm"
    if not out.exists():
        tmp = out.with_suffix(".tmp")
        done = subprocess.run(["node", str(HERE / "compile_motoko.mjs"), str(source), str(tmp)],
                              capture_output=True, text=True, timeout=300)
        if done.returncode:
            raise AssertionError(f"moc failed on {source.name}: {done.stderr}")
        tmp.rename(out)
    return out.read_bytes()


@pytest.fixture(scope="session")
def motoko(request, tmp_path_factory):
    """compile(name) -> the .wasm bytes of tests/unit/wasm/motoko/<name>.mo; compile(path) (a Path)
    -> those of the Motoko file at `path`."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "motoko").exists():
        pytest.skip("the Motoko compiler is missing: run `python3 tools/setup.py` (npm ci installs motoko)")
    store = getattr(request.config, "cache", None)  # absent under `-p no:cacheprovider`
    cache = Path(store.mkdir("motoko-wasm")) if store is not None else tmp_path_factory.mktemp("motoko-wasm")

    def compile(name: str | Path) -> bytes:
        return compile_source(name if isinstance(name, Path) else SOURCES / f"{name}.mo", cache)

    return compile


@pytest.fixture
def canister():
    """new(**kw) -> an empty WasmCanister with small instruction limits."""
    from replica.wasm import Limits, WasmCanister

    def new(**kw):
        kw.setdefault("controllers", [CONTROLLER])
        kw.setdefault("limits", Limits(update_instructions=2_000_000_000, query_instructions=2_000_000_000,
                                       install_instructions=5_000_000_000))
        return WasmCanister(CANISTER_ID, **kw)

    return new


def wat(text: str) -> bytes:
    import wasmtime

    return wasmtime.wat2wasm(text)


def candid(types: str, *values) -> bytes:
    from ic import candid as c

    return c.encode(c.parse_types(types), list(values))


def uncandid(types: str, data: bytes) -> list:
    from ic import candid as c

    return c.decode(data, list(c.parse_types(types)))
