"""The `ic.agent` transport in the browser: `fetch` to the replica the page came from."""

from __future__ import annotations

from typing import Optional

import js
from pyodide.ffi import JsException

from app.browser.interop import buffer_bytes, to_js_object


class FetchTransport:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    async def request(self, method: str, url_path: str, body: Optional[bytes] = None,
                      content_type: Optional[str] = None):
        from ic.agent import HttpResponse, TransportError

        init: dict = {"method": method, "headers": {}, "credentials": "omit"}
        if content_type:
            init["headers"]["content-type"] = content_type
        if body is not None:
            init["body"] = bytes(body)
        try:
            response = await js.fetch(self.base_url + url_path, to_js_object(init))
            data = buffer_bytes(await response.arrayBuffer())
        except JsException as exc:
            raise TransportError(f"{method} {url_path}: the replica could not be reached ({exc})") from None
        headers = {}
        for pair in response.headers.entries():
            name, value = pair[0], pair[1]
            headers[str(name).lower()] = str(value)
        return HttpResponse(int(response.status), headers, data)
