"""The ASGI app for every path under `/api/` (ic-interface-facts sections 1 and 10).

Routing, body limits, content types and CORS live here; what each endpoint does lives in
`replica.http.endpoints`. No framework: a plain ASGI callable that `replica.app` mounts.

Routes:
    GET  /api/v2/status
    POST /api/{v2,v3,v4}/canister/<ecid>/call      (v2: 202 then poll; v3/v4: certified reply)
    POST /api/{v2,v3}/canister/<ecid>/query
    POST /api/{v2,v3}/canister/<ecid>/read_state
    POST /api/{v2,v3}/subnet/<subnet_id>/read_state
Unknown routes answer 404 (agent-js falls back from v3 to v2 call on a 404).
"""

from __future__ import annotations

import logging
import re
from typing import Awaitable, Callable, Protocol

from replica.http.body import BAD_LENGTH, DISCONNECTED, BodyRefused, read_body
from replica.http.responses import HttpError, Response, text_response

log = logging.getLogger(__name__)

# Larger than any legal ingress message (2 MiB argument + envelope); the real replica caps at 5 MiB.
MAX_BODY_BYTES = 5 * 1024 * 1024

_ROUTE = re.compile(
    r"^/api/(?P<version>v[0-9]+)/(?P<kind>canister|subnet)/(?P<id>[^/]+)/(?P<endpoint>call|query|read_state)/?$"
)
_ALLOWED_VERSIONS = {
    ("canister", "call"): {"v2", "v3", "v4"},
    ("canister", "query"): {"v2", "v3"},
    ("canister", "read_state"): {"v2", "v3"},
    ("subnet", "read_state"): {"v2", "v3"},
}


class Endpoints(Protocol):
    def status(self) -> Response: ...
    def call(self, ecid: str, body: bytes, *, synchronous: bool) -> Response: ...
    def query(self, ecid: str, body: bytes) -> Response: ...
    def read_state(self, kind: str, effective_id: str, body: bytes) -> Response: ...


ASGIApp = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]], Awaitable[None]]


class ApiApp:
    """ASGI callable serving the IC HTTP interface of one replica."""

    def __init__(self, endpoints: Endpoints, *, max_body_bytes: int = MAX_BODY_BYTES):
        self.endpoints = endpoints
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            response = await self._handle(scope, receive)
        except HttpError as exc:
            response = exc.response()
        except Exception:  # never let one request take the server down
            log.exception("internal error while serving %s %s", scope.get("method"), scope.get("path"))
            response = text_response(500, "Internal error in the replica; see its log.")
        await send({"type": "http.response.start", "status": response.status, "headers": response.raw_headers()})
        await send({"type": "http.response.body", "body": response.body if scope.get("method") != "HEAD" else b""})

    async def _handle(self, scope: dict, receive) -> Response:
        method = scope.get("method", "GET")
        path = scope.get("path", "")
        if not path.startswith("/api/") and scope.get("root_path"):
            path = scope["root_path"].rstrip("/") + path  # mounted with the prefix stripped
        if method == "OPTIONS":
            return Response(204)
        if path.rstrip("/") == "/api/v2/status":
            if method not in ("GET", "HEAD"):
                raise HttpError(405, f"Method {method} not allowed for {path}; use GET.")
            return self.endpoints.status()
        match = _ROUTE.match(path)
        if match is None or match["version"] not in _ALLOWED_VERSIONS.get((match["kind"], match["endpoint"]), ()):
            raise HttpError(404, f"Not found: {path}")
        if method != "POST":
            raise HttpError(405, f"Method {method} not allowed for {path}; use POST.")
        _check_content_type(scope)
        body = await _read_body(scope, receive, self.max_body_bytes)
        kind, endpoint, effective_id = match["kind"], match["endpoint"], match["id"]
        if endpoint == "call":
            return self.endpoints.call(effective_id, body, synchronous=match["version"] != "v2")
        if endpoint == "query":
            return self.endpoints.query(effective_id, body)
        return self.endpoints.read_state(kind, effective_id, body)


def _check_content_type(scope: dict) -> None:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-type":
            if value.decode("latin-1").split(";")[0].strip().lower() == "application/cbor":
                return
            break
    raise HttpError(400, "Unexpected content-type, expected application/cbor.")


async def _read_body(scope: dict, receive, limit: int) -> bytes:
    try:
        return await read_body(scope, receive, limit)
    except BodyRefused as refused:
        if refused.kind == BAD_LENGTH:
            raise HttpError(400, "Malformed request: bad Content-Length header.") from None
        if refused.kind == DISCONNECTED:
            raise HttpError(400, "Malformed request: the client disconnected before sending the whole body.") from None
        if refused.declared is not None:
            raise HttpError(413, f"Request body too large: {refused.declared} bytes, the limit is {limit} bytes.") from None
        raise HttpError(413, f"Request body too large: more than {limit} bytes.") from None


async def _lifespan(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
