"""Conversions between Python values and JS values (Pyodide FFI)."""

from __future__ import annotations

from typing import Any

import js
from pyodide.ffi import JsProxy, to_js


def to_js_object(value: Any) -> Any:
    """Python dicts become plain JS objects (not Maps), bytes become Uint8Array."""
    return to_js(value, dict_converter=js.Object.fromEntries)


def buffer_bytes(buffer: JsProxy) -> bytes:
    """An ArrayBuffer or a typed array as bytes."""
    return bytes(js.Uint8Array.new(buffer).to_py())

