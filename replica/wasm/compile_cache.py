"""Compiled modules kept on disk, so a restart does not compile every canister again.

    set_cache_dir(path)          # the replica's state folder; None (the default): no cache
    compile_module(engine, code) -> wasmtime.Module

wasmtime compiles a module to machine code (Cranelift), which costs about half a second per
Motoko canister here; a restart that restores canisters would pay it again for each. The cache
file of a module is named by the SHA-256 of wasmtime's version and the module's bytes, and holds
the SHA-256 of the serialized code before it: a file that does not match (cut short, changed on
disk) is never handed to wasmtime (deserializing is trusted code loading), it is compiled again.
Bounded: past `MAX_CACHE_BYTES` the least recently used files go.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import logging
import os
from pathlib import Path

import wasmtime

log = logging.getLogger(__name__)
MAX_CACHE_BYTES = 1024 * 1024 * 1024
_cache_dir: Path | None = None


def set_cache_dir(path: Path | None) -> None:
    global _cache_dir
    _cache_dir = path


@functools.cache
def _version() -> bytes:
    try:
        return importlib.metadata.version("wasmtime").encode()
    except importlib.metadata.PackageNotFoundError:
        return b"unknown"


def compile_module(engine: wasmtime.Engine, code: bytes) -> wasmtime.Module:
    """`wasmtime.Module(engine, code)`, from the cache when it holds this module."""
    folder = _cache_dir
    if folder is None:
        return wasmtime.Module(engine, code)
    key = hashlib.sha256(_version() + b"\0" + code).hexdigest()
    path = folder / f"{key}.cwasm"
    try:
        blob = path.read_bytes()
    except OSError:
        blob = b""
    if len(blob) > 32 and hashlib.sha256(blob[32:]).digest() == blob[:32]:
        try:
            module = wasmtime.Module.deserialize(engine, blob[32:])
            os.utime(path)  # recently used
            return module
        except wasmtime.WasmtimeError as exc:  # another engine configuration: compile again
            log.info("compiled module %s not reused (%s)", path.name, exc)
    module = wasmtime.Module(engine, code)
    try:
        _store(folder, path, module.serialize())
    except OSError as exc:
        log.warning("could not keep the compiled module in %s: %s", folder, exc)
    return module


def _store(folder: Path, path: Path, serialized: bytes) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb", opener=lambda p, flags: os.open(p, flags, 0o600)) as out:
        out.write(hashlib.sha256(serialized).digest() + serialized)
    os.replace(tmp, path)
    files = sorted(folder.glob("*.cwasm"), key=lambda f: f.stat().st_mtime, reverse=True)
    kept = 0
    for file in files:
        kept += file.stat().st_size
        if kept > MAX_CACHE_BYTES and file != path:
            file.unlink(missing_ok=True)
