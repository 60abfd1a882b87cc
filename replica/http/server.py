"""The replica's HTTP server: uvicorn's httptools protocol with deadlines and a connection limit.

uvicorn alone has no deadline for a request's headers or body (a half-sent request holds its
connection forever; one byte of a next request cancels the keep-alive timer), no limit on the
connections it accepts (past the process's file-descriptor limit it stops accepting, the database
and static files included), and no deadline for a client that stops reading a response. This
module adds, per connection:

- a **header deadline** (`header_timeout`): from the connection's start, and from the first byte
  of each later request, the headers must be complete in time; a request that started is answered
  `408` and closed, a connection that never sent a byte is closed;
- a **header size limit** (`max_header_bytes`): `431` and closed past it;
- a **body deadline** (`body_timeout`): from the end of the headers, the whole body must arrive in
  time (not counting time the application spends not reading it); else `408` and closed;
- a **send deadline** (`send_timeout`): a client that reads nothing of a response for that long is
  cut off (its connection is aborted, its buffers are freed);
- the **idle keep-alive timeout** is uvicorn's (`keep_alive_timeout`, passed to its Config);
- a **connection limit** (`max_connections`, by default derived from `RLIMIT_NOFILE` with a margin
  for the database, the static files being streamed and the process itself): past it a new
  connection first takes the place of the oldest idle one (a connection with no request in
  progress); if none is idle it is answered `503` with a plain-text reason and closed. A last
  guard at `accept()` (`GuardedListener`) closes connections beyond the limit plus a small slack
  at once, so the process never runs out of file descriptors.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import time
import weakref
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

# A streamed static file holds a file descriptor beside its socket.
FDS_PER_CONNECTION = 2
# Never more than this many by default: a local replica serves a handful of browsers.
DEFAULT_MAX_CONNECTIONS_CAP = 1024
# A connection idle for less than this is not taken over by a new one (it may be a browser's
# fresh connection whose request is on its way).
MIN_IDLE_SECONDS_TO_EVICT = 1.0
TEXT_HEADERS = (b"content-type: text/plain; charset=utf-8\r\n"
                b"x-content-type-options: nosniff\r\n"
                b"connection: close\r\n")


@dataclass(frozen=True)
class ServerLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    keep_alive_timeout: float = 5.0
    send_timeout: float = 60.0
    max_connections: int = 256
    max_header_bytes: int = 64 * 1024

    @property
    def accept_slack(self) -> int:
        """Connections accepted past `max_connections` to be refused politely (with a 503 once
        their request arrives) before the listener closes new ones at once."""
        return max(2, min(8, self.max_connections // 4))

    @classmethod
    def for_config(cls, config: Any) -> "ServerLimits":
        """The limits `config` asks for; `max_connections` None derives it from the process's
        file-descriptor limit and the descriptors open now (call it once the app is built)."""
        maximum = config.max_connections
        if maximum is None:
            maximum = default_max_connections(*fd_budget())
        return cls(header_timeout=config.header_timeout, body_timeout=config.body_timeout,
                   keep_alive_timeout=config.keep_alive_timeout, send_timeout=config.send_timeout,
                   max_connections=maximum)


def fd_budget() -> tuple[int | None, int]:
    """(soft RLIMIT_NOFILE or None when unlimited, file descriptors open now)."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        in_use = len(os.listdir("/proc/self/fd")) - 1  # minus the one listdir itself opened
    except OSError:
        in_use = 64
    return (None if soft == resource.RLIM_INFINITY else soft), in_use


def default_max_connections(soft_limit: int | None, in_use: int) -> int:
    """What the file-descriptor limit allows: two descriptors per connection (its socket and a
    static file being streamed), after the ones open now (database, log, listener) and a margin
    for what opens later (SQLite's journal, canister modules, refused connections)."""
    if soft_limit is None:
        return DEFAULT_MAX_CONNECTIONS_CAP
    margin = max(16, soft_limit // 16)
    return max(1, min(DEFAULT_MAX_CONNECTIONS_CAP, (soft_limit - in_use - margin) // FDS_PER_CONNECTION))


def plain_response(status: bytes, text: str, default_headers: list[tuple[bytes, bytes]] = ()) -> bytes:
    body = text.encode()
    extra = b"".join(name + b": " + value + b"\r\n" for name, value in default_headers)
    return (b"HTTP/1.1 " + status + b"\r\n" + extra + TEXT_HEADERS
            + b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)


def too_many_connections_text(limit: int) -> str:
    return (f"Service Unavailable: this replica already has {limit} open connections, its limit "
            f"(serve.py --max-connections or II_MAX_CONNECTIONS). Try again in a moment.\n")


class _RateLimitedWarning:
    def __init__(self, every: float = 10.0):
        self.every = every
        self.last = float("-inf")

    def __call__(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            log.warning(message, *args)


_warn_limit = _RateLimitedWarning()


def refusal_app(limit: int):
    """The ASGI app a connection past the limit gets for its request: a 503 that says why."""
    body = too_many_connections_text(limit).encode()

    async def refuse(scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
            (b"x-content-type-options", b"nosniff"), (b"retry-after", b"1"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body if scope.get("method") != "HEAD" else b""})

    return refuse


class HardenedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol plus the deadlines and the limit of `ServerLimits`; get a
    class bound to one server's limits from `ConnectionGate.protocol_class()`."""

    limits: ServerLimits = ServerLimits()
    gate: "ConnectionGate | None" = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_timer: Any = None
        self._body_timer: Any = None
        self._send_timer: Any = None
        self._in_headers = True
        self._header_bytes = 0
        self._requests_begun = 0
        self._responses_done = 0
        # When this connection became idle (no request in progress, no byte of a next one); None
        # while a request is being received or answered.
        self.idle_since: float | None = None

    # -- connection --------------------------------------------------------------------------

    def connection_made(self, transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.idle_since = self.loop.time()
        self._header_timer = self.loop.call_later(self.limits.header_timeout, self._on_header_timeout)
        if self.gate is not None:
            self.gate.protocols.add(self)
            if self.gate.open_connections() > self.limits.max_connections and not self.gate.evict_idle():
                _warn_limit("connection limit reached (%d open): answering new connections 503",
                            self.limits.max_connections)
                self.app = refusal_app(self.limits.max_connections)

    def connection_lost(self, exc: Exception | None) -> None:
        for name in ("_header_timer", "_body_timer", "_send_timer"):
            self._cancel(name)
        self.idle_since = None
        if self.gate is not None:
            self.gate.protocols.discard(self)
        super().connection_lost(exc)

    def evictable(self, now: float) -> bool:
        return (self.idle_since is not None and now - self.idle_since >= MIN_IDLE_SECONDS_TO_EVICT
                and not self.transport.is_closing())

    # -- receiving ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_headers and self.idle_since is None and not self.transport.is_closing():
            # Still inside a request's headers after this chunk: all of it was header bytes.
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                self._refuse(b"431 Request Header Fields Too Large",
                             f"Request Header Fields Too Large: the request line and headers exceed "
                             f"{self.limits.max_header_bytes} bytes.\n")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._requests_begun += 1
        self.idle_since = None
        self._in_headers = True
        self._header_bytes = 0
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.limits.header_timeout, self._on_header_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        self._cancel("_header_timer")
        super().on_headers_complete()
        self._cancel("_body_timer")
        self._body_timer = self.loop.call_later(self.limits.body_timeout, self._on_body_timeout)

    def on_message_complete(self) -> None:
        self._cancel("_body_timer")
        super().on_message_complete()

    def on_response_complete(self) -> None:
        self._responses_done += 1
        super().on_response_complete()
        if not self.transport.is_closing() and self._responses_done >= self._requests_begun:
            self.idle_since = self.loop.time()

    # -- sending -----------------------------------------------------------------------------

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._send_timer is None:
            self._send_timer = self.loop.call_later(self.limits.send_timeout, self._on_send_timeout)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._cancel("_send_timer")

    def send_400_response(self, msg: str) -> None:
        self._refuse(b"400 Bad Request", f"Bad Request: {msg}\n")

    # -- deadlines ---------------------------------------------------------------------------

    def _cancel(self, name: str) -> None:
        timer = getattr(self, name)
        if timer is not None:
            timer.cancel()
            setattr(self, name, None)

    def _responding(self) -> bool:
        return self.cycle is not None and self.cycle.response_started and not self.cycle.response_complete

    def _refuse(self, status: bytes, text: str) -> None:
        """Answer `status` with `text` (unless a response is already under way) and close."""
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False
        if not self._responding():
            self.transport.write(plain_response(status, text, self.server_state.default_headers))
        self.transport.close()

    def _on_header_timeout(self) -> None:
        self._header_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A response is still under way (the request after it is pipelined): end the
            # connection once that response is done.
            self.cycle.keep_alive = False
            self.flow.pause_reading()
            return
        if self.idle_since is not None:  # not one byte of a request: nothing to answer
            self.transport.close()
            return
        self._refuse(b"408 Request Timeout",
                     f"Request Timeout: the request headers did not arrive within "
                     f"{self.limits.header_timeout:g} s.\n")

    def _on_body_timeout(self) -> None:
        self._body_timer = None
        if self.transport.is_closing():
            return
        if self.flow.read_paused:  # the application is not reading yet: not the client's fault
            self._body_timer = self.loop.call_later(self.limits.body_timeout, self._on_body_timeout)
            return
        self._refuse(b"408 Request Timeout",
                     f"Request Timeout: the request body did not arrive within "
                     f"{self.limits.body_timeout:g} s.\n")

    def _on_send_timeout(self) -> None:
        self._send_timer = None
        log.info("aborting a connection that read nothing for %g s", self.limits.send_timeout)
        self.transport.abort()  # not close(): that would wait for the client to read the buffer


class ConnectionGate:
    """One server's connections: the protocols serving them (for the limit and for taking over
    idle ones) and the sockets accepted and still open (refused past `hard_cap` at `accept()`)."""

    def __init__(self, limits: ServerLimits):
        self.limits = limits
        self.hard_cap = limits.max_connections + limits.accept_slack
        self.protocols: set[HardenedHttpProtocol] = set()
        self._sockets: "weakref.WeakSet[socket.socket]" = weakref.WeakSet()

    def protocol_class(self) -> type[HardenedHttpProtocol]:
        """The protocol class to pass as `uvicorn.Config(http=...)`, bound to this gate."""
        return type("HardenedHttpProtocol", (HardenedHttpProtocol,), {"limits": self.limits, "gate": self})

    def listener(self, sock: socket.socket) -> "GuardedListener":
        """`sock` (bound and listening) as a `GuardedListener` of this gate."""
        guarded = GuardedListener(fileno=sock.detach())
        guarded.gate = self
        guarded.refusal = plain_response(b"503 Service Unavailable",
                                         too_many_connections_text(self.limits.max_connections))
        return guarded

    def open_connections(self) -> int:
        return sum(1 for c in self.protocols if not c.transport.is_closing())

    def evict_idle(self) -> bool:
        """Close the oldest idle connection to make room for a new one; False if none is idle."""
        if not self.protocols:
            return False
        now = next(iter(self.protocols)).loop.time()
        idle = [c for c in self.protocols if c.evictable(now)]
        if not idle:
            return False
        min(idle, key=lambda c: c.idle_since).transport.close()
        return True

    def admit(self, conn: socket.socket) -> bool:
        if len(self._sockets) >= self.hard_cap:
            for old in list(self._sockets):
                if old.fileno() < 0:
                    self._sockets.discard(old)
            # Full: room only if an idle connection gives its place (its socket closes at once).
            if len(self._sockets) >= self.hard_cap and not self.evict_idle():
                return False
        self._sockets.add(conn)
        return True


class GuardedListener(socket.socket):
    """A listening socket whose `accept()` (what asyncio calls) closes connections past the gate
    at once, with a 503, so a burst of connections never exhausts the file descriptors."""

    gate: ConnectionGate | None = None
    refusal: bytes = b""

    def accept(self):  # type: ignore[override]
        while True:
            conn, addr = super().accept()
            if self.gate is None or self.gate.admit(conn):
                return conn, addr
            _warn_limit("connection limit reached (%d accepted): closing new connections at once",
                        self.gate.hard_cap)
            try:
                conn.setblocking(False)
                conn.send(self.refusal)
            except OSError:
                pass
            finally:
                conn.close()
