"""Connections a client holds open cannot take the replica down (issue 11, finding 1).

Each test runs the real `serve.py` in a subprocess on a free loopback port with its own database,
and talks to it with raw sockets: half-sent headers, bodies that stop, header floods, more idle
connections than the file-descriptor limit allows, clients that never read a 9.6 MB download.
Every loop is bounded; deadlines are generous ("closed within N s"), never timings.
"""

from __future__ import annotations

import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WASM = next((ROOT / "static" / "vendor").glob("pyodide-*/pyodide.asm.wasm"), None)
SOON = 15.0  # "within N s" deadlines: far above the 1 s deadlines the servers are given


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tmp: Path, *args: str, nofile: int | None = None):
        self.port = free_port()
        self.log_path = tmp / f"serve-{self.port}.log"

        def limit_files() -> None:
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with self.log_path.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "serve.py"), "--port", str(self.port),
                 "--db", str(tmp / f"replica-{self.port}.sqlite3"), *args],
                cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT, preexec_fn=limit_files)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve.py exited with {self.process.returncode}:\n{self.log()}")
            try:
                if get(self.port, "/api/v2/status", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"serve.py did not answer within 60 s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS in /proc/<pid>/status")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)

    def assert_healthy(self) -> None:
        assert self.process.poll() is None, self.log()
        log = self.log()
        assert "Traceback" not in log and "out of system resource" not in log, log


def connect(port: int, timeout: float = 5.0, rcvbuf: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect(("127.0.0.1", port))
    return sock


def read_until_closed(sock: socket.socket, within: float = SOON) -> tuple[bytes, bool]:
    """Everything the server sends until it closes the connection (or resets it), and whether it
    did so within `within` seconds."""
    data = bytearray()
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return bytes(data), True
        if not chunk:
            return bytes(data), True
        data += chunk
    return bytes(data), False


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One response with a Content-Length body, leaving the connection open."""
    data = bytearray()
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before the headers: {bytes(data)!r}")
        data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def get(port: int, path: str, host: str = "localhost", timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:
    with connect(port, timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        return read_response(sock)


def status_line(data: bytes) -> bytes:
    return data.split(b"\r\n", 1)[0]


@pytest.fixture
def start(tmp_path):
    """Starts a replica for one test; every one started is stopped at the test's end, pass or fail."""
    servers: list[Server] = []

    def start_server(*args: str, nofile: int | None = None) -> Server:
        servers.append(Server(tmp_path, *args, nofile=nofile))
        return servers[-1]

    yield start_server
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A replica with 1 s deadlines for headers, bodies and stalled downloads."""
    server = Server(tmp_path_factory.mktemp("quick"), "--header-timeout", "1", "--body-timeout", "1",
                    "--send-timeout", "1", "--keep-alive-timeout", "30")
    yield server
    server.stop()


def test_half_sent_headers_are_answered_408_and_closed(quick):
    with connect(quick.port) as sock:
        sock.sendall(b"GET /api/v2/status HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        data, closed = read_until_closed(sock)
    assert closed, f"the server kept a half-sent request open for {SOON} s"
    assert status_line(data) == b"HTTP/1.1 408 Request Timeout"
    assert b"request headers did not arrive within 1 s" in data
    assert b"x-content-type-options: nosniff" in data
    quick.assert_healthy()


def test_a_connection_that_sends_nothing_is_closed(quick):
    with connect(quick.port) as sock:
        data, closed = read_until_closed(sock)
    assert closed and data == b""


def test_a_stalled_second_request_on_a_keep_alive_connection_is_closed(quick):
    # One byte of a next request cancels uvicorn's keep-alive timer: the header deadline still holds.
    with connect(quick.port) as sock:
        sock.sendall(b"GET /api/v2/status HTTP/1.1\r\nHost: localhost\r\n\r\n")
        assert read_response(sock)[0] == 200
        sock.sendall(b"GET /api/v2/st")
        data, closed = read_until_closed(sock)
    assert closed, "a stalled second request held its keep-alive connection open"
    assert status_line(data) == b"HTTP/1.1 408 Request Timeout"


def test_a_body_that_stops_midway_is_answered_408_and_closed(quick):
    with connect(quick.port) as sock:
        sock.sendall(f"POST /api/v3/canister/{II}/call HTTP/1.1\r\nHost: localhost\r\n"
                     f"Content-Type: application/cbor\r\nContent-Length: 1000\r\n\r\n".encode() + b"\xd9\xd9\xf7\xa1")
        data, closed = read_until_closed(sock)
    assert closed, f"the server waited more than {SOON} s for the rest of a body"
    assert status_line(data) == b"HTTP/1.1 408 Request Timeout"
    assert b"request body did not arrive within 1 s" in data
    quick.assert_healthy()


def test_a_header_flood_is_answered_431_and_closed(quick):
    with connect(quick.port) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n")
        try:
            for _ in range(200):  # 200 KiB of headers that never end, sent as fast as possible
                sock.sendall(b"X-Fill: " + b"a" * 1014 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused mid-way: what is asserted below
        data, closed = read_until_closed(sock)
    assert closed
    assert data == b"" or status_line(data) == b"HTTP/1.1 431 Request Header Fields Too Large", data[:200]
    assert get(quick.port, "/api/v2/status")[0] == 200


def test_a_client_that_never_reads_a_download_is_cut_off(quick):
    assert WASM is not None, "static/vendor is missing: run tools/setup.py"
    size = WASM.stat().st_size
    with connect(quick.port, rcvbuf=16384) as sock:
        sock.sendall(f"GET /{WASM.relative_to(ROOT).as_posix()} HTTP/1.1\r\nHost: {II}.localhost\r\n"
                     f"Connection: close\r\n\r\n".encode())
        time.sleep(4)  # reads nothing, for longer than the server's 1 s send deadline
        data, closed = read_until_closed(sock)
    assert closed
    assert status_line(data) == b"HTTP/1.1 200 OK"
    assert len(data) < size, "the whole 9.6 MB was kept for a client that read nothing"
    quick.assert_healthy()


@pytest.mark.parametrize("request_line", [
    b"GET * HTTP/1.1", b"GET //../../etc/passwd HTTP/1.1", b"GET /%ff%fe%00 HTTP/1.1",
    b"GET /static/%2e%2e/%2e%2e/serve.py HTTP/1.1", b"GET /\xff\xfe HTTP/1.1", b"FOO / HTTP/1.1",
    b"GET /" + b"a" * 5000 + b" HTTP/1.1", b"GARBAGE", b"GET /\x00 HTTP/1.1",
])
def test_odd_request_lines_get_a_4xx_and_no_traceback(quick, request_line):
    with connect(quick.port) as sock:
        sock.sendall(request_line + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data, closed = read_until_closed(sock)
    assert closed
    status = int(status_line(data).split()[1])
    assert 400 <= status < 500, data[:300]
    assert b"x-content-type-options: nosniff" in data.lower()
    quick.assert_healthy()


def test_past_the_connection_limit_a_new_client_gets_a_clear_503(start):
    server = start("--max-connections", "3", "--header-timeout", "30")
    busy = []
    try:
        for _ in range(3):  # three connections with a request under way: none may be taken over
            sock = connect(server.port)
            sock.sendall(b"GET /api/v2/status HTTP/1.1\r\nHost: localhost\r\n")
            busy.append(sock)
        time.sleep(0.5)
        status, headers, body = get(server.port, "/api/v2/status")
        assert status == 503
        assert headers["content-type"].startswith("text/plain")
        assert b"limit" in body and b"--max-connections" in body
    finally:
        for sock in busy:
            sock.close()
    deadline = time.monotonic() + SOON
    while get(server.port, "/api/v2/status")[0] != 200:
        assert time.monotonic() < deadline, "the server did not serve again once the connections went"
        time.sleep(0.2)
    server.assert_healthy()


def test_idle_sockets_past_the_file_limit_do_not_lock_out_new_clients(start):
    server = start(nofile=80)
    limits = Path(f"/proc/{server.process.pid}/limits").read_text()
    assert any(line.startswith("Max open files") and line.split()[3] == "80" for line in limits.splitlines())
    idle = []
    try:
        for _ in range(75):
            idle.append(connect(server.port))
        time.sleep(1.5)  # idle for a while: what a new client may take the place of
        deadline = time.monotonic() + SOON
        while True:  # a clear 503 while the idle ones are too young to give way, then served
            status, _headers, body = get(server.port, "/api/v2/status")
            assert status == 200 or (status == 503 and b"open connections" in body), (status, body)
            if status == 200:
                break
            assert time.monotonic() < deadline, "a new client was refused although the others were idle"
            time.sleep(0.5)
        assert len(idle) == 75
    finally:
        for sock in idle:
            sock.close()
    deadline = time.monotonic() + SOON
    while get(server.port, "/api/v2/status")[0] != 200:
        assert time.monotonic() < deadline, "the server did not serve again once the idle sockets went"
        time.sleep(0.2)
    server.assert_healthy()


def test_clients_that_never_read_the_wasm_do_not_grow_the_server(start):
    assert WASM is not None, "static/vendor is missing: run tools/setup.py"
    server = start()
    path = "/" + WASM.relative_to(ROOT).as_posix()
    stuck = []
    try:
        get(server.port, "/static/css/app.css", host=f"{II}.localhost")
        before = server.rss_kib()
        for _ in range(20):
            sock = connect(server.port, rcvbuf=16384)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {II}.localhost\r\n\r\n".encode())
            stuck.append(sock)
        for sock in stuck:  # every download has started (peeked at, never read)
            sock.settimeout(SOON)
            assert sock.recv(12, socket.MSG_PEEK) == b"HTTP/1.1 200"
        peak = before
        for _ in range(15):
            peak = max(peak, server.rss_kib())
            time.sleep(0.2)
        assert peak - before < 40 * 1024, f"RSS grew by {(peak - before) // 1024} MB for 20 stalled downloads"
        assert get(server.port, "/api/v2/status")[0] == 200
    finally:
        for sock in stuck:
            sock.close()
    server.assert_healthy()


def test_the_default_limit_keeps_file_descriptors_for_the_database_and_files():
    from replica.http.server import ServerLimits, default_max_connections

    # 80 files, 12 open at start: 2 per connection (socket + streamed file), 16 kept spare.
    assert default_max_connections(80, 12) == 26
    assert default_max_connections(1024, 12) == 474
    assert default_max_connections(None, 12) == default_max_connections(10**7, 12) == 1024
    assert default_max_connections(20, 12) == 1
    limits = ServerLimits(max_connections=26)
    assert 12 + 2 * limits.max_connections + limits.accept_slack < 80
