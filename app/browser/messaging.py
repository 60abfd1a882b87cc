"""The authorize window's side of postMessage, timers and the derivation-origin fetches.

Executes the effects of `app.protocol.AuthorizeSession`; see that package for the value rules
(`Uint8Array` arrives as memoryview, `bigint` as an int, `BigIntValue` leaves as `BigInt`).
Incoming data is read by `read_data` within the limits of `app.protocol.values`, never by a
whole `to_py()`, so a flood of huge junk costs a bounded amount per message (issue 11 item 7).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import js
from pyodide.ffi import JsException, JsProxy, create_once_callable, create_proxy, to_js

from app.protocol import MESSAGE_FIELDS, BigIntValue, IncomingMessage, Unreadable
from app.protocol.alternative_origins import AlternativeOriginsResponse
from app.protocol.values import CONTAINER_COST, MAX_BINARY_BYTES, MAX_DEPTH, MAX_STRING_CHARS, MAX_VALUES

from app.browser.interop import buffer_bytes, to_js_object

_timers: dict[str, Any] = {}
_listener: Any = None


def has_opener() -> bool:
    # Not `bool(js.window.opener)`: a JsProxy with a `length` (a Window has one: its frame count,
    # 0 here) is falsy in Pyodide, and `null` arrives as `jsnull`. Ask JS for its truthiness.
    return bool(js.Boolean(js.window.opener))


def _convert(value: Any, _convert: Any, _cache: Any) -> Any:
    if isinstance(value, BigIntValue):
        return js.BigInt(str(value.value))
    raise TypeError(f"cannot post a {type(value).__name__}")


def post_to_opener(message: dict, target_origin: str) -> None:
    if has_opener():
        js.window.opener.postMessage(to_js(message, dict_converter=js.Object.fromEntries, default_converter=_convert),
                           target_origin)


def read_data(data: Any) -> Any:
    """`event.data` as `IncomingMessage.data`: of objects only the `MESSAGE_FIELDS`, at most
    `MAX_VALUES` values, each container checked by size before it is converted (`Unreadable` in
    the place of what is not read), so a message costs a bounded number of FFI calls."""
    return _read(data, [MAX_VALUES], 0)


def _read(value: Any, budget: list[int], depth: int) -> Any:
    if not isinstance(value, JsProxy):  # already Python: str, int, float, bool, None, jsnull
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            return Unreadable(f"a string of {len(value)} characters")
        return value
    budget[0] -= CONTAINER_COST
    if budget[0] < 0 or depth >= MAX_DEPTH:
        return Unreadable("a value nested too deep or too large")
    if js.ArrayBuffer.isView(value):
        if value.byteLength > MAX_BINARY_BYTES:
            return Unreadable(f"a typed array of {value.byteLength} bytes")
        return value.to_py()  # a memoryview
    if js.Array.isArray(value):
        if value.length > budget[0]:
            return Unreadable(f"an array of {value.length} items")
        budget[0] -= value.length
        return [_read(item, budget, depth + 1) for item in value.to_py(depth=1)]  # nested ones stay proxies
    if value.typeof == "object" and js.Object.getPrototypeOf(value) == js.Object.prototype:
        names = [name for name in MESSAGE_FIELDS if js.Object.hasOwn(value, name)]  # never all its keys
        budget[0] -= len(names)
        return {name: _read(js.Reflect.get(value, name), budget, depth + 1) for name in names}
    return Unreadable("a " + str(js.Object.prototype.toString.call(value))[8:-1])  # Map, Set, Date, Blob...


def listen(handler: Callable[[IncomingMessage], None]) -> None:
    global _listener

    def on_message(event: Any) -> None:
        from_opener = has_opener() and event.source == js.window.opener
        data = read_data(event.data) if from_opener else None  # the session ignores the others
        handler(IncomingMessage(data, str(event.origin), from_opener))

    _listener = create_proxy(on_message)
    js.window.addEventListener("message", _listener)


def start_timer(name: str, ms: int, fire: Callable[[], None]) -> None:
    cancel_timer(name)

    def run() -> None:
        _timers.pop(name, None)
        fire()

    _timers[name] = js.setTimeout(create_once_callable(run), ms)


def cancel_timer(name: str) -> None:
    handle = _timers.pop(name, None)
    if handle is not None:
        js.clearTimeout(handle)


async def fetch_alternative_origins(url: str, method: str, redirect: str, credentials: str,
                                    accept: str) -> AlternativeOriginsResponse:
    try:
        response = await js.fetch(url, to_js_object({"method": method, "redirect": redirect,
                                                     "credentials": credentials, "headers": {"accept": accept}}))
        redirected = str(response.type) == "opaqueredirect" or bool(response.redirected)
        body = b"" if redirected else buffer_bytes(await response.arrayBuffer())
        return AlternativeOriginsResponse(int(response.status), redirected, body)
    except JsException as exc:
        return AlternativeOriginsResponse(0, error=str(exc))


async def canister_id_header(origin: str) -> Optional[str]:
    try:
        response = await js.fetch(origin, to_js_object({"method": "HEAD", "credentials": "omit"}))
    except JsException:
        return None
    value = response.headers.get("x-ic-canister-id")
    return str(value) if value else None
