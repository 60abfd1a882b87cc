"""The ASGI application `serve.py` runs: the IC HTTP interface plus the canisters' web front.

Routing, as a local `dfx` replica does it:
- `/api/...` on any host: the IC HTTP interface (`replica.http.api`).
- `http://<canister id>.localhost:<port>/...` or `http://localhost:<port>/...?canisterId=<id>`:
  that canister's web front. The II canister's front is the frontend (`replica.http.static`);
  other canisters answer through their `http_request`.
- The II frontend also at the names icp-cli's local network gives it: `http://id.ai.localhost:<port>`
  and its frontend canister's `http://uqzsh-gqaaa-aaaaq-qaada-cai.localhost:<port>` (or
  `?canisterId=` of that id): the same page, the same backend (`Config.ii_origins`).
- `http://localhost:<port>/` with no canister: a short page listing what is hosted.
- a developer's built frontend (`frontends`: canister id -> folder) at its canister's origin, as
  the asset canister serves it (`replica.http.frontend`: aliases, the `index.html` fallback,
  `.well-known/`, the `ic_env` cookie of `canister_env` and `root_key`);
- a Wasm canister's own origin through the HTTP gateway protocol (`http_gateway`,
  `replica.http.gateway`): any method, the body passed on (bounded), `http_request`, its
  upgrade to `http_request_update`, streaming callbacks.

Outside `/api/` and the Wasm canisters' origins only GET and HEAD are served; odd requests
(control characters in the path, an over-long target, a malformed Host, a `?canisterId=` or
`<label>.localhost` that is no canister id) get a 4xx with a plain-text reason that quotes the
request percent-encoded. Every plain-text answer carries `X-Content-Type-Options: nosniff`, every
HTML page of the II origin its CSP and `X-Frame-Options: DENY` (a dapp's frontend sets its own).
Large static files are streamed in chunks (`FileResponse`).
"""

from __future__ import annotations

import asyncio
import html
import logging
import os
import re
from pathlib import Path
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import parse_qs, quote, urlsplit

from replica.config import II_FRIENDLY_HOST, Config
from replica.http.body import BAD_LENGTH, DISCONNECTED, BodyRefused, read_body
from replica.http.frontend import FrontendSite, PathRefused, ic_env_cookie
from replica.http.gateway import HttpGateway, canister_response
from replica.http.static import MIME_TYPES, FileResponse, Response, StaticSite

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"
# Bounds of a request target outside /api/ (longer ones are answered 414, not looked up).
MAX_TARGET_BYTES = 4096
MAX_SEGMENT_BYTES = 255
# Chunks a streamed static file is sent in: what a client that reads nothing makes us hold.
FILE_CHUNK_BYTES = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# A Host header: a DNS-style name or a bracketed IPv6 address, with an optional port.
_HOST = re.compile(r"(?:[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?")
_PORT = re.compile(r":(\d{1,5})$")


class Gateway(Protocol):
    """A canister's web front, for canisters other than II (the whoami demo dapp). `path` is the
    request target as sent (percent-encoded, with its query), the url `http_request` gets."""

    def http_get(self, canister_id: str, path: str, headers: dict[str, str]) -> Response | None: ...


class BadRequest(Exception):
    """A request this app refuses: answered `status` with the plain-text `text`."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text


def shown(text: str, limit: int = 160) -> str:
    """`text` (a path, a header) as an error message may quote it: percent-encoded, so no control
    character, markup or invalid UTF-8 is echoed, and cut at `limit` characters."""
    quoted = quote(text, safe="/:@!$'()*+,;=-._~", errors="surrogateescape")
    return quoted if len(quoted) <= limit else quoted[:limit] + "..."


def host_name(host: str) -> str:
    """The name of a Host header: lower case, without its port and trailing dot."""
    return host.split(":", 1)[0].lower().rstrip(".")


def canister_from_host(host: str) -> str | None:
    name = host_name(host)
    if name.endswith(".localhost"):
        label = name[: -len(".localhost")]
        # `<id>.localhost` and `<anything>.<id>.localhost` both name the canister <id>.
        return label.rsplit(".", 1)[-1] or None
    return None


def valid_canister_id(text: str) -> str | None:
    """The canonical text of the principal `text` names, or None when it names none."""
    from ic.errors import PrincipalError
    from ic.principal import Principal

    try:
        return Principal.from_text(text).to_text()
    except (PrincipalError, ValueError, TypeError):
        return None


def plain(status: int, text: str, headers: list[tuple[str, str]] | None = None) -> Response:
    """A plain-text answer (errors, refusals): never sniffed as anything else by a browser."""
    return Response(status, [("content-type", TEXT), ("x-content-type-options", "nosniff"), *(headers or [])],
                    text.encode("utf-8", "replace"))


def directory_csp(port: int | str) -> str:
    # No script, style inline only. Frames of this replica's origins only: a test embeds the II
    # page here to check that the page refuses to be framed.
    return (f"default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
            f"frame-ancestors 'none'; frame-src http://localhost:{port} http://*.localhost:{port}")


class App:
    """`frontends`: canister id (text) -> a built frontend folder, served at that canister's origin.
    `canister_env` (`{"PUBLIC_CANISTER_ID:backend": "<id>", ...}`) and `root_key` (the DER root
    key): the `ic_env` cookie of the frontends' HTML (no cookie without `root_key`).
    `http_gateway`: the Wasm canisters' origins (`HttpGateway.for_replica(replica)`)."""

    def __init__(self, config: Config, *, api: AsgiApp | None = None, gateway: Gateway | None = None,
                 canister_names: dict[str, str] | None = None,
                 background: tuple[Callable[[], Awaitable[None]], ...] = (),
                 frontends: dict[str, Path] | None = None, canister_env: dict[str, str] | None = None,
                 root_key: bytes | None = None, http_gateway: HttpGateway | None = None):
        self.config = config
        self.background = background  # run from start-up to shut-down (the replica's rounds)
        self.site = StaticSite(config)
        self.api = api
        self.gateway = gateway
        self.http_gateway = http_gateway
        self.canister_names = dict(canister_names or {config.ii_canister_id: "internet_identity"})
        if canister_env and root_key is None:
            raise ValueError("canister_env needs root_key: the ic_env cookie always carries the root key")
        cookie = ic_env_cookie(root_key, canister_env or {}) if root_key is not None else None
        self.frontends: dict[str, FrontendSite] = {}
        for text, folder in (frontends or {}).items():
            canister = valid_canister_id(text)
            if canister is None:
                raise ValueError(f"frontend canister id {text!r} is not a canister id")
            self.frontends[canister] = FrontendSite(Path(folder), cookie=cookie)
            self.canister_names.setdefault(canister, "frontend")

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
        try:
            response = await self._respond(scope, receive, method, path)
        except BadRequest as refusal:
            response = plain(refusal.status, refusal.text)
        except Exception:  # a bug: answer, and say where to look, instead of a bare 500
            log.exception("internal error while serving %s %s", method, shown(path))
            response = plain(500, "Internal error in the replica; see its log.")
        await self._send(send, response, head=method == "HEAD")

    async def _respond(self, scope: Scope, receive: Receive, method: str, path: str) -> Response | FileResponse:
        hosts = [v for k, v in scope["headers"] if k.lower() == b"host"]
        if len(hosts) > 1:
            raise BadRequest(400, "Bad Request: more than one Host header.")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode("latin-1")
        raw_path = scope.get("raw_path") or path.encode("utf-8", "surrogateescape")
        target = raw_path.decode("latin-1") + (f"?{query}" if query else "")
        self._check(path, query, headers)
        canister = self._canister(query, headers)
        if self._via_http_gateway(canister):  # any method, with its body
            body = await _read_body(scope, receive, self.http_gateway.limits.max_request_body_bytes)
            pairs = [(k.decode("utf-8", "replace").lower(), v.decode("utf-8", "replace")) for k, v in scope["headers"]]
            return self.http_gateway.request(canister, method, target, pairs, body)
        if method not in ("GET", "HEAD"):
            return Response(405, [("allow", "GET, HEAD"), ("content-type", TEXT),
                                  ("x-content-type-options", "nosniff")],
                            f"Method Not Allowed: {shown(method, 32)}; this origin answers GET and HEAD "
                            f"(the IC HTTP interface is under /api/).".encode())
        return self._serve(canister, path, headers, target)

    def _via_http_gateway(self, canister: str | None) -> bool:
        """Whether requests for `canister` go to a Wasm canister's `http_request`."""
        return (canister is not None and self.http_gateway is not None and canister != self.config.ii_canister_id
                and canister not in self.frontends and self.http_gateway.serves(canister))

    def route(self, path: str, query: str, headers: dict[str, str], *, raw_path: str | None = None
              ) -> Response | FileResponse:
        """The answer for a GET of `path`; `raw_path` is the request target as sent (what a
        canister's `http_request` gets as its url; `path` when not given). Refusals of odd
        requests raise `BadRequest`."""
        self._check(path, query, headers)
        return self._serve(self._canister(query, headers), path, headers, raw_path if raw_path is not None else path)

    def _serve(self, canister: str | None, path: str, headers: dict[str, str], target: str
               ) -> Response | FileResponse:
        """The answer for a checked GET of `path` on `canister`'s origin (None: no canister)."""
        if canister is None and path == "/":
            return self._directory(headers.get("host", ""))
        if canister is None or canister == self.config.ii_canister_id:
            # Asset requests of the II page on `localhost?canisterId=` arrive without the query.
            response = self.site.get(path, headers)
        elif canister in self.frontends:
            try:
                return self.frontends[canister].get(path, headers)
            except PathRefused as refusal:
                raise BadRequest(400, f"Bad Request: the path {shown(path)} has {refusal}; no file of the "
                                      f"frontend is looked up for it.") from None
        elif self._via_http_gateway(canister):
            return self.http_gateway.request(canister, "GET", target, list(headers.items()), b"")
        elif self.gateway is not None:
            response = self.gateway.http_get(canister, target, headers)
        else:
            response = None
        if response is None:
            if canister is not None and canister not in self.canister_names:
                return plain(404, f"Not Found: canister {canister} is not hosted by this replica.")
            return plain(404, f"Not Found: {shown(path)}")
        return response

    @staticmethod
    def _check(path: str, query: str, headers: dict[str, str]) -> None:
        if len(path.encode("utf-8", "surrogateescape")) + len(query) > MAX_TARGET_BYTES:
            raise BadRequest(414, f"URI Too Long: the request target is longer than {MAX_TARGET_BYTES} bytes.")
        if any(len(segment.encode("utf-8", "surrogateescape")) > MAX_SEGMENT_BYTES for segment in path.split("/")):
            raise BadRequest(414, f"URI Too Long: a path segment is longer than {MAX_SEGMENT_BYTES} bytes.")
        if _CONTROL.search(path):
            raise BadRequest(400, f"Bad Request: the path {shown(path)} has a control character "
                                  f"(%00-%1F or %7F) in it.")
        if not path.startswith("/"):
            raise BadRequest(400, f"Bad Request: the path {shown(path)} does not start with '/'.")
        host = headers.get("host", "")
        if host and not _HOST.fullmatch(host):
            raise BadRequest(400, f"Bad Request: the Host header {shown(host, 80)} is not a host name "
                                  f"with an optional port.")

    def _canister(self, query: str, headers: dict[str, str]) -> str | None:
        """The canister a request is for: its host's `<id>.localhost`, else `?canisterId=`, else
        the `?canisterId=` of the page it comes from (its Referer). Named but malformed: 400.
        The II frontend's other names (`id.ai.localhost`, the frontend canister's id) give II."""
        canister = self._named_canister(query, headers)
        return self.config.ii_canister_id if canister == self.config.ii_frontend_canister_id else canister

    def _named_canister(self, query: str, headers: dict[str, str]) -> str | None:
        if host_name(headers.get("host", "")) == II_FRIENDLY_HOST:
            return self.config.ii_canister_id
        label = canister_from_host(headers.get("host", ""))
        if label is not None:
            canister = valid_canister_id(label)
            if canister is None:
                raise BadRequest(400, f"Bad Request: the host {shown(headers['host'], 80)} names no canister: "
                                      f"{shown(label, 80)} is not a canister id.")
            return canister
        named = parse_qs(query, keep_blank_values=True).get("canisterId")
        if named:
            canister = valid_canister_id(named[0])
            if canister is None:
                raise BadRequest(400, f"Bad Request: ?canisterId={shown(named[0], 80)} is not a canister id.")
            return canister
        # An asset of a page opened as `localhost/?canisterId=<id>` (as `dfx` does): a hint only.
        try:
            named = parse_qs(urlsplit(headers.get("referer", "")).query).get("canisterId")
        except ValueError:
            return None
        return valid_canister_id(named[0]) if named else None

    def _directory(self, host: str) -> Response:
        match = _PORT.search(host)
        port = match.group(1) if match else str(self.config.port)
        items = "".join(
            f'<li>{html.escape(name)}: <a href="http://{html.escape(cid)}.localhost:{port}/">{html.escape(cid)}</a></li>'
            for cid, name in self.canister_names.items())
        also = ""
        if self.config.ii_canister_id in self.canister_names:
            also = "<p>Internet Identity also answers at " + ", ".join(
                f'<a href="{html.escape(o)}/">{html.escape(o)}</a>'
                for o in self.config.ii_origins()[1:]).replace(f":{self.config.port}", f":{port}") + ".</p>"
        body = (f"<!doctype html><meta charset=utf-8><title>Local replica</title>"
                f"<h1>Local replica</h1><p>Hosted canisters:</p><ul>{items}</ul>{also}").encode()
        return Response(200, [("content-type", MIME_TYPES[".html"]),
                              ("content-security-policy", directory_csp(port)),
                              ("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"),
                              ("referrer-policy", "same-origin")], body)

    @staticmethod
    async def _send(send: Send, response: Response | FileResponse, *, head: bool) -> None:
        if isinstance(response, FileResponse):
            await App._send_file(send, response, head=head)
            return
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else response.body})

    @staticmethod
    async def _send_file(send: Send, response: FileResponse, *, head: bool) -> None:
        """Stream the file in chunks: each `send` waits while the client's connection is full
        (uvicorn's flow control), so a client that reads slowly holds one chunk, not the file."""
        try:
            file = open(response.path, "rb")
        except OSError:
            await App._send(send, plain(404, "Not Found: the file is gone."), head=head)
            return
        with file:
            size = os.fstat(file.fileno()).st_size
            headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
            headers.append((b"content-length", str(size).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            remaining = 0 if head else size
            if remaining == 0:
                await send({"type": "http.response.body", "body": b""})
                return
            while remaining > 0:
                chunk = file.read(min(FILE_CHUNK_BYTES, remaining))
                if not chunk:  # the file shrank while being sent: the connection is closed short
                    log.warning("%s shrank while it was being sent", response.path)
                    return
                remaining -= len(chunk)
                await send({"type": "http.response.body", "body": chunk, "more_body": remaining > 0})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        tasks: list[asyncio.Task] = []
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                tasks = [asyncio.create_task(run()) for run in self.background]
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The request body, refused (413) past `limit` bytes, declared or sent."""
    try:
        return await read_body(scope, receive, limit)
    except BodyRefused as refused:
        if refused.kind == BAD_LENGTH:
            raise BadRequest(400, "Bad Request: the Content-Length header is not a number.") from None
        if refused.kind == DISCONNECTED:
            raise BadRequest(400, "Bad Request: the client disconnected before sending the whole body.") from None
        size = f"{refused.declared} bytes" if refused.declared is not None else f"more than {limit} bytes"
        raise BadRequest(413, f"Payload Too Large: the body is {size}; a canister's http_request takes at most"
                              f" {limit}.") from None


class CanisterGateway:
    """The HTTP gateway for hosted canisters other than II: their `http_request` answers GETs."""

    def __init__(self, canisters: dict[str, Any]):
        self._by_id = {str(c.canister_id.to_text()): c for c in canisters.values()}

    def http_get(self, canister_id: str, path: str, headers: dict[str, str]) -> Response | None:
        """`path` is the request target as sent (percent-encoded, with its query), as the IC's
        gateway passes it to `http_request`."""
        canister = self._by_id.get(canister_id)
        if canister is None or not hasattr(canister, "http_request"):
            return None
        try:
            reply = canister.http_request({"method": "GET", "url": path, "headers": list(headers.items()),
                                           "body": b""})
            status = int(reply["status_code"])
            body = bytes(reply["body"])
            reply_headers = [(str(k), str(v)) for k, v in reply["headers"]]
        except Exception as exc:  # a canister's failure is its own: answer it, keep serving
            log.warning("canister %s failed to answer http_request for %s: %s", canister_id, shown(path), exc)
            return plain(502, f"Bad Gateway: canister {canister_id} failed to answer this request "
                              f"({type(exc).__name__}).")
        if not 100 <= status <= 599:
            return plain(502, f"Bad Gateway: canister {canister_id} answered with status {status}.")
        return canister_response(status, reply_headers, body)


def create_app(config: Config) -> tuple[App, list[str]]:
    """The whole local replica for `config` with the project's canisters deployed, and the
    start-up lines naming its canisters and URLs."""
    from replica.deploy import deploy
    from replica.http.gateway import HttpGateway
    from replica.replica import Replica

    replica = Replica(config)
    deployment = deploy(replica, config.project)  # a refused deploy is reported, never raised
    names = {c.canister_id.to_text(): name for name, c in replica.canisters.items()}
    names.update({cid: name for name, cid in deployment.canisters.items()})
    app = App(config, api=replica.api, gateway=CanisterGateway(replica.canisters), canister_names=names,
              background=(replica.run_rounds,), frontends=deployment.frontends,
              canister_env=deployment.canister_env, root_key=replica.root_key,
              http_gateway=HttpGateway.for_replica(replica))
    return app, replica.startup_lines() + deployment.startup_lines(config.port)
