"""The page's persistent storage: localStorage, falling back to memory when it is unavailable
(private modes and storage-partitioned popups can refuse it)."""

from __future__ import annotations

import js
from pyodide.ffi import JsException

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
    return str(value) if value is not None else _memory.get(key)


def save(key: str, value: str) -> None:
    _memory[key] = value
    storage = _local_storage()
    if storage is not None:
        try:
            storage.setItem(key, value)
        except JsException:  # quota or a refused write: the in-memory copy still serves this visit
            pass
