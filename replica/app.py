"""The ASGI application `serve.py` runs: the IC HTTP interface plus the canisters' web front.

Routing, as a local `dfx` replica does it:
- `/api/...` on any host: the IC HTTP interface (`replica.http.api`).
- `http://<canister id>.localhost:<port>/...` or `http://localhost:<port>/...?canisterId=<id>`:
  that canister's web front. The II canister's front is the frontend (`replica.http.static`);
  other canisters answer through their `http_request`.
- `http://localhost:<port>/` with no canister: a short page listing what is hosted.
"""

from __future__ import annotations

import html
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import parse_qs, urlsplit

from replica.config import Config
from replica.http.static import MIME_TYPES, Response, StaticSite

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Gateway(Protocol):
    """A canister's web front, for canisters other than II (the whoami demo dapp)."""

    def http_get(self, canister_id: str, path: str, headers: dict[str, str]) -> Response | None: ...


def canister_from_host(host: str) -> str | None:
    name = host.split(":", 1)[0].lower()
    if name.endswith(".localhost"):
        label = name[: -len(".localhost")]
        # `<id>.localhost` and `<anything>.<id>.localhost` both name the canister <id>.
        return label.rsplit(".", 1)[-1] or None
    return None


def plain(status: int, text: str) -> Response:
    return Response(status, [("content-type", "text/plain; charset=utf-8")], text.encode())


class App:
    def __init__(self, config: Config, *, api: AsgiApp | None = None, gateway: Gateway | None = None,
                 canister_names: dict[str, str] | None = None):
        self.config = config
        self.site = StaticSite(config)
        self.api = api
        self.gateway = gateway
        self.canister_names = canister_names or {config.ii_canister_id: "internet_identity"}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path.startswith("/api/"):
            if self.api is None:
                await self._send(send, plain(404, "this replica serves no IC API"), head=False)
            else:
                await self.api(scope, receive, send)
            return
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if method not in ("GET", "HEAD"):
            await self._send(send, Response(405, [("allow", "GET, HEAD"),
                                                  ("content-type", "text/plain; charset=utf-8")],
                                            b"method not allowed"), head=False)
            return
        response = self.route(path, scope.get("query_string", b"").decode("latin-1"), headers)
        await self._send(send, response, head=method == "HEAD")

    def route(self, path: str, query: str, headers: dict[str, str]) -> Response:
        canister = (canister_from_host(headers.get("host", "")) or parse_qs(query).get("canisterId", [None])[0]
                    # An asset of a page opened as `localhost/?canisterId=<id>` (as `dfx` does).
                    or parse_qs(urlsplit(headers.get("referer", "")).query).get("canisterId", [None])[0])
        if canister is None and path == "/":
            return self._directory(headers.get("host", f"localhost:{self.config.port}"))
        if canister is None or canister == self.config.ii_canister_id:
            # Asset requests of the II page on `localhost?canisterId=` arrive without the query.
            response = self.site.get(path, headers)
        elif self.gateway is not None:
            response = self.gateway.http_get(canister, path, headers)
        else:
            response = None
        if response is None:
            if canister is not None and canister not in self.canister_names:
                return plain(404, f"canister {canister} is not hosted by this replica")
            return plain(404, f"not found: {path}")
        return response

    def _directory(self, host: str) -> Response:
        port = host.rsplit(":", 1)[-1] if ":" in host else str(self.config.port)
        items = "".join(
            f'<li>{html.escape(name)}: <a href="http://{cid}.localhost:{port}/">{cid}</a></li>'
            for cid, name in self.canister_names.items())
        body = (f"<!doctype html><meta charset=utf-8><title>Local replica</title>"
                f"<h1>Local replica</h1><p>Hosted canisters:</p><ul>{items}</ul>").encode()
        return Response(200, [("content-type", MIME_TYPES[".html"])], body)

    @staticmethod
    async def _send(send: Send, response: Response, *, head: bool) -> None:
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    @staticmethod
    async def _lifespan(receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return


class CanisterGateway:
    """The HTTP gateway for hosted canisters other than II: their `http_request` answers GETs."""

    def __init__(self, canisters: dict[str, Any]):
        self._by_id = {str(c.canister_id.to_text()): c for c in canisters.values()}

    def http_get(self, canister_id: str, path: str, headers: dict[str, str]) -> Response | None:
        canister = self._by_id.get(canister_id)
        if canister is None or not hasattr(canister, "http_request"):
            return None
        reply = canister.http_request({"method": "GET", "url": path, "headers": list(headers.items()),
                                       "body": b""})
        return Response(int(reply["status_code"]), [(str(k), str(v)) for k, v in reply["headers"]],
                        bytes(reply["body"]))


def create_app(config: Config) -> tuple[App, list[str]]:
    """The whole local replica for `config`, and the start-up lines naming its canisters."""
    from replica.replica import Replica

    replica = Replica(config)
    app = App(config, api=replica.api, gateway=CanisterGateway(replica.canisters),
              canister_names={c.canister_id.to_text(): name for name, c in replica.canisters.items()})
    return app, replica.startup_lines()
