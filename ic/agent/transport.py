"""The transport seam: how the agent's bytes reach a replica (STYLE.md "httpx: transport seam").

A `Transport` has one coroutine, `request(method, url_path, body, content_type) -> HttpResponse`,
with `url_path` relative to the replica (`/api/v2/status`). It raises `TransportError` when no HTTP
answer came back; every HTTP status, 4xx and 5xx included, is a normal `HttpResponse`.

- `AsgiTransport(app)`: drives an ASGI app in-process (tests against the replica's `api` app),
  like httpx's ASGITransport; no network, no threads.
- `UrllibTransport(base_url)`: blocking `urllib` in a worker thread, for CPython tools.
- The browser's `fetch` transport lives in `app/browser/` (the only place that may import `js`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, runtime_checkable

from ic.agent.errors import TransportError

CBOR_CONTENT_TYPE = "application/cbor"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # lowercase names
    body: bytes = b""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@runtime_checkable
class Transport(Protocol):
    async def request(
        self, method: str, url_path: str, body: Optional[bytes] = None, content_type: Optional[str] = None
    ) -> HttpResponse: ...


class AsgiTransport:
    """Calls an ASGI 3 application directly (httpx `ASGITransport` style)."""

    def __init__(self, app: Any, *, host: str = "127.0.0.1:4943", root_path: str = ""):
        self.app = app
        self.host = host
        self.root_path = root_path

    async def request(
        self, method: str, url_path: str, body: Optional[bytes] = None, content_type: Optional[str] = None
    ) -> HttpResponse:
        path, _, query = url_path.partition("?")
        headers = [(b"host", self.host.encode()), (b"accept", b"application/cbor, text/plain")]
        payload = bytes(body or b"")
        if body is not None:
            headers.append((b"content-length", str(len(payload)).encode()))
        if content_type is not None:
            headers.append((b"content-type", content_type.encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": self.root_path,
            "query_string": query.encode(),
            "headers": headers,
            "server": tuple(self.host.rsplit(":", 1)) if ":" in self.host else (self.host, 80),
            "client": ("127.0.0.1", 0),
        }
        sent_body = False
        messages: list[dict] = []

        async def receive() -> dict:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": payload, "more_body": False}
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}

        async def send(message: dict) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, send)
        except Exception as exc:  # the app crashed: to the agent, no HTTP answer came back
            raise TransportError(f"in-process app failed on {method} {url_path}: {type(exc).__name__}: {exc}") from exc
        start = next((m for m in messages if m.get("type") == "http.response.start"), None)
        if start is None:
            raise TransportError(f"in-process app sent no response to {method} {url_path}")
        response_headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in start.get("headers", [])}
        data = b"".join(m.get("body", b"") for m in messages if m.get("type") == "http.response.body")
        return HttpResponse(int(start["status"]), response_headers, data)


HttpxLikeAsgiTransport = AsgiTransport


class UrllibTransport:
    """`urllib.request` in a thread (`asyncio.to_thread`); CPython tools only."""

    def __init__(self, base_url: str, *, timeout_s: float = 30.0, max_response_bytes: int = 16 * 1024 * 1024):
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_response_bytes = max_response_bytes

    async def request(
        self, method: str, url_path: str, body: Optional[bytes] = None, content_type: Optional[str] = None
    ) -> HttpResponse:
        return await asyncio.to_thread(self._request, method, url_path, body, content_type)

    def _request(self, method: str, url_path: str, body: Optional[bytes], content_type: Optional[str]) -> HttpResponse:
        import urllib.error
        import urllib.request

        url = self.base_url + url_path
        headers = {"Accept": "application/cbor, text/plain"}
        if content_type is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers, method=method.upper())
        opener = urllib.request.build_opener(_no_redirect_handler())
        try:
            with opener.open(request, timeout=self.timeout_s) as answer:
                return HttpResponse(answer.status, _headers(answer.headers), self._read(answer))
        except urllib.error.HTTPError as answer:
            with answer:
                return HttpResponse(answer.code, _headers(answer.headers), self._read(answer))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TransportError(f"{method} {url}: {exc}") from exc

    def _read(self, answer: Any) -> bytes:
        data = answer.read(self.max_response_bytes + 1)
        if len(data) > self.max_response_bytes:
            raise TransportError(f"response larger than {self.max_response_bytes} bytes")
        return data


def _headers(message: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in (message.items() if message is not None else [])}


def _no_redirect_handler() -> Any:
    """A redirect answer is returned as it is: the IC interface never redirects."""
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return NoRedirect()
