"""The capped fetch behind a dapp's `/.well-known/ii-app-metadata` and its logo (the rules are
`app.protocol.app_metadata`'s): no redirect, no credentials, one timer for the connection and the
body, a byte cap checked on `Content-Length` and chunk by chunk while the body streams."""

from __future__ import annotations

import js
from pyodide.ffi import JsException, create_once_callable

from app.browser.interop import buffer_bytes, to_js_object
from app.protocol.app_metadata import FETCH_TIMEOUT_MS, Fetched


async def _cancel(stream) -> None:
    try:
        if stream is not None:
            await stream.cancel()
    except JsException:
        pass


async def _read_capped(response, max_bytes: int) -> bytes | None:
    """The body, or None as soon as it passes `max_bytes` (the rest is never pulled)."""
    if response.body is None:
        body = buffer_bytes(await response.arrayBuffer())
        return None if len(body) > max_bytes else body
    reader = response.body.getReader()
    chunks: list[bytes] = []
    received = 0
    while True:
        chunk = await reader.read()
        if chunk.done:
            return b"".join(chunks)
        received += int(chunk.value.byteLength)
        if received > max_bytes:
            await _cancel(reader)
            return None
        chunks.append(buffer_bytes(chunk.value))


async def fetch_capped(url: str, accept: str, max_bytes: int) -> Fetched:
    controller = js.AbortController.new()
    timer = js.setTimeout(create_once_callable(lambda: controller.abort()), FETCH_TIMEOUT_MS)
    try:
        response = await js.fetch(url, to_js_object({
            "redirect": "error", "credentials": "omit", "headers": {"Accept": accept},
            "signal": controller.signal}))
        status = int(response.status)
        content_type = str(response.headers.get("content-type") or "")
        if status != 200:
            await _cancel(response.body)
            return Fetched(status, content_type=content_type)
        declared = response.headers.get("content-length")
        if declared is not None and _number(str(declared)) > max_bytes:
            await _cancel(response.body)
            return Fetched(status, content_type=content_type, oversize=True)
        body = await _read_capped(response, max_bytes)
        if body is None:
            return Fetched(status, content_type=content_type, oversize=True)
        return Fetched(status, body, content_type)
    except JsException as exc:  # network, CORS, a redirect, the timeout's abort
        return Fetched(0, error=str(exc))
    finally:
        js.clearTimeout(timer)


def _number(text: str) -> float:
    """`Number(text)` for a Content-Length: NaN (never larger than the cap) when not a number."""
    try:
        return float(text.strip() or "0")
    except ValueError:
        return float("nan")
