"""The page's persistent storage: localStorage, falling back to memory when it is unavailable
(private modes and storage-partitioned popups can refuse it)."""

from __future__ import annotations

import js
from pyodide.ffi import JsException, jsnull

_memory: dict[str, str] = {}


def _local_storage():
    try:
        storage = js.window.localStorage
        storage.getItem("ii-probe")
        return storage
    except (JsException, AttributeError):
        return None


def load(key: str) -> str | None:
    storage = _local_storage()
    if storage is None:
        return _memory.get(key)
    value = storage.getItem(key)
    if value is None or value is jsnull:  # JS null arrives as `jsnull`, not None
        return _memory.get(key)
    return str(value)


def save(key: str, value: str) -> None:
    _memory[key] = value
    storage = _local_storage()
    if storage is not None:
        try:
            storage.setItem(key, value)
        except JsException:  # quota or a refused write: the in-memory copy still serves this visit
            pass
