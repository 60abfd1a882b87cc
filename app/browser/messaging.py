"""The authorize window's side of postMessage, timers and the derivation-origin fetches.

Executes the effects of `app.protocol.AuthorizeSession`; see that package for the value rules
(`Uint8Array` arrives as memoryview, `bigint` as an int, `BigIntValue` leaves as `BigInt`).
"""

from __future__ import annotations

from typing import Any, Callable, Optional

import js
from pyodide.ffi import JsException, create_once_callable, create_proxy, to_js

from app.protocol import BigIntValue, IncomingMessage
from app.protocol.alternative_origins import AlternativeOriginsResponse

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


def listen(handler: Callable[[IncomingMessage], None]) -> None:
    global _listener

    def on_message(event: Any) -> None:
        data = event.data
        if hasattr(data, "to_py"):
            data = data.to_py()
        from_opener = has_opener() and event.source == js.window.opener
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
