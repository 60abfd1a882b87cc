"""A Wasm canister answers its own origin through the HTTP gateway protocol (issue 13 item 1): a
Motoko canister compiled here, installed through aaaaa-aa, served by the real ASGI app (and once
over real HTTP): `http_request` as a query by the anonymous caller, `upgrade` to
`http_request_update` (durable), streaming callbacks (bounded), any method with its body, and
a clear 4xx/5xx for everything a canister or a client gets wrong."""

from __future__ import annotations

import http.client
import logging
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from ic.principal import Principal
from replica.app import App, CanisterGateway
from replica.http.gateway import GatewayLimits, HttpGateway
from replica.http.testing import Ed25519Identity, make_replica
from tests.unit.replica.test_frontends import ROOT_KEY, asgi, build
from tests.unit.replica.test_management_client import EMPTY, Ic, motoko, nat  # noqa: F401  (motoko: a fixture)
from tests.unit.wasm.conftest import SOURCES, wat

HTTP_MO = Path(__file__).resolve().parent / "motoko" / "http.mo"
OWNER = Ed25519Identity(b"\x07" * 32)
ANONYMOUS = "2vxsx-fae"


@dataclass
class Served:
    replica: object
    ic: Ic
    app: App
    cid: str
    raw: bytes

    @property
    def host(self) -> str:
        return f"{self.cid}.localhost:4943"

    def get(self, target: str, **kw):
        return asgi(self.app, kw.pop("method", "GET"), target, host=kw.pop("host", self.host), **kw)


def install(ic: Ic, wasm: bytes) -> bytes:
    cid = ic.create(OWNER)
    answer = ic.install(OWNER, cid, wasm)
    assert answer.replied, answer
    return cid


def app_for(replica, **gateway) -> App:
    return App(replica.config, api=replica.api, gateway=CanisterGateway(replica.canisters),
               http_gateway=HttpGateway.for_replica(replica, **gateway))


@pytest.fixture(scope="module")
def served(tmp_path_factory, motoko):
    replica = make_replica(tmp_path_factory.mktemp("gateway"))
    ic = Ic(replica)
    raw = install(ic, motoko(HTTP_MO))
    yield Served(replica, ic, app_for(replica), Principal.from_bytes(raw).to_text(), raw)
    replica.close()


# -- http_request ----------------------------------------------------------------------------------


def test_a_get_reaches_http_request_as_a_query_of_the_anonymous_caller(served):
    reply = served.get("/", headers=[("accept", "text/html")])
    assert reply.status == 200, reply.text
    assert reply.text.startswith("hello from motoko: GET / hits=")
    assert f"caller={ANONYMOUS}" in reply.text
    assert "accept=text/html" in reply.text and "version=2" in reply.text  # certificate_version = opt 2
    assert reply.header("x-served-by") == "motoko"
    assert reply.header("content-length") == str(len(reply.body))


def test_the_url_is_the_request_target_as_sent(served):
    reply = served.get("/a%20b/%2F?x=1&y=%2F")
    assert reply.status == 404
    assert reply.text == "no such page: /a%20b/%2F?x=1&y=%2F"
    assert reply.header("x-content-type-options") == "nosniff"  # an error text is never sniffed
    by_query = served.get(f"/?canisterId={served.cid}", host="localhost:4943")
    assert (by_query.status, by_query.text) == (404, f"no such page: /?canisterId={served.cid}")


def test_head_is_answered_without_a_body(served):
    get = served.get("/stream")
    head = served.get("/stream", method="HEAD")
    assert head.status == 200 and head.body == b""
    assert head.header("content-length") == get.header("content-length")


def test_the_canisters_status_and_headers_pass_and_framing_is_the_gateways(served):
    reply = served.get("/teapot")
    assert (reply.status, reply.body) == (418, b"short and stout")
    assert reply.all("set-cookie") == ["a=1", "b=2"]  # repeated headers kept
    assert reply.all("content-length") == ["15"]  # the canister's 999 is not copied
    assert not [k for k, _ in reply.headers if " " in k]


# -- upgrade to an update call -------------------------------------------------------------------


def test_upgrade_calls_http_request_update_and_its_writes_stay(served):
    before = nat(served.ic.query(None, served.raw, "hits_count", EMPTY))
    first = served.get("/count")
    second = served.get("/count")
    assert (first.status, first.text) == (200, f"hits={before + 1} caller={ANONYMOUS}")
    assert second.text == f"hits={before + 2} caller={ANONYMOUS}"
    assert nat(served.ic.query(None, served.raw, "hits_count", EMPTY)) == before + 2


@pytest.mark.parametrize("chunk", [65536, 3])
def test_a_post_body_and_its_headers_reach_the_update(served, chunk):
    body = "hello gateway ✓".encode()
    reply = served.get("/notes?draft=1", method="POST", body=body, chunk=chunk,
                       headers=[("content-type", "text/plain"), ("content-length", str(len(body)))])
    assert (reply.status, reply.text) == (201, f"stored {len(body)} bytes")
    assert served.get("/posted").text == "POST /notes?draft=1 text/plain hello gateway ✓"
    put = served.get("/x", method="PUT", body=b"{}", headers=[("content-type", "application/json")])
    assert put.status == 201 and served.get("/posted").text == "PUT /x application/json {}"


def test_updates_through_the_gateway_survive_a_restart(tmp_path, motoko):
    replica = make_replica(tmp_path)
    raw = install(Ic(replica), motoko(HTTP_MO))
    cid = Principal.from_bytes(raw).to_text()
    app = app_for(replica)
    for _ in range(2):
        assert asgi(app, "GET", "/count", host=f"{cid}.localhost:4943").status == 200
    replica.close()
    again = make_replica(tmp_path)
    try:
        reply = asgi(app_for(again), "GET", "/count", host=f"{cid}.localhost:4943")
        assert reply.text == f"hits=3 caller={ANONYMOUS}"
    finally:
        again.close()


# -- streaming -------------------------------------------------------------------------------------


def test_streaming_callbacks_are_followed_to_the_end(served):
    reply = served.get("/stream")
    assert (reply.status, reply.body) == (200, b"part0;part1;part2;part3;")
    assert reply.header("content-length") == "24"


def test_streaming_is_bounded_in_calls_and_bytes(served):
    few = app_for(served.replica, limits=GatewayLimits(max_callbacks=5))
    endless = asgi(few, "GET", "/endless", host=served.host)
    assert endless.status == 502
    assert endless.text == (f"Bad Gateway: canister {served.cid}'s streaming callback http_streaming still had "
                            f"more after 5 calls, this gateway's limit.")
    small = app_for(served.replica, limits=GatewayLimits(max_body_bytes=12))
    assert asgi(small, "GET", "/stream", host=served.host).status == 502
    assert "limit of 12 bytes" in asgi(small, "GET", "/stream", host=served.host).text


# -- what canisters and clients get wrong -----------------------------------------------------------


def test_a_trap_is_a_502_that_says_why_and_the_replica_keeps_serving(served, caplog):
    with caplog.at_level(logging.WARNING):
        reply = served.get("/trap")
    assert reply.status == 502
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    assert reply.text.startswith(f"Bad Gateway: canister {served.cid} failed in http_request")
    assert "deliberate trap in http_request" in reply.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    assert served.get("/").status == 200


def test_a_status_that_is_no_http_status_is_a_502(served):
    reply = served.get("/status-999")
    assert (reply.status, reply.text) == (502, f"Bad Gateway: canister {served.cid} answered with status 999, "
                                               f"which is no HTTP status.")


REPLY_IMPORTS = ('(import "ic0" "msg_reply" (func $reply))'
                 '(import "ic0" "msg_reply_data_append" (func $append (param i32 i32)))')


def replying(data: bytes) -> bytes:
    """A module whose `http_request` query replies exactly `data`."""
    literal = "".join(f"\\{b:02x}" for b in data)
    return wat(f'(module {REPLY_IMPORTS} (memory 1) (data (i32.const 0) "{literal}")'
               f' (func (export "canister_query http_request")'
               f' (call $append (i32.const 0) (i32.const {len(data)})) call $reply))')


@pytest.mark.parametrize("data", [
    b"DIDL\x00\x01\x71\x03abc",  # a text, not a record
    b"not candid at all",
    b"DIDL\x00\x00",  # no value
    b"DIDL\x01\x6c\x01\xc6\xa4\xa1\x98\x06\x71\x01\x00\x01x",  # a record whose status_code is missing
])
def test_a_reply_that_is_not_an_http_response_is_a_502(served, data):
    cid = Principal.from_bytes(install(served.ic, replying(data))).to_text()
    reply = asgi(served.app, "GET", "/", host=f"{cid}.localhost:4943")
    assert reply.status == 502
    assert reply.text.startswith(f"Bad Gateway: canister {cid} answered http_request with a reply that is not "
                                 f"an HttpResponse: ")
    assert reply.text.isprintable()


def test_canisters_that_serve_nothing_say_why(served, motoko):
    counter = Principal.from_bytes(install(served.ic, motoko(SOURCES / "counter.mo"))).to_text()
    reply = asgi(served.app, "GET", "/", host=f"{counter}.localhost:4943")
    assert reply.status == 404
    assert reply.text.startswith(f"Not Found: canister {counter} has no query method http_request")
    empty = served.ic.create(OWNER)
    reply = asgi(served.app, "GET", "/", host=f"{Principal.from_bytes(empty)}.localhost:4943")
    assert reply.status == 503 and "no Wasm module" in reply.text
    stopped = install(served.ic, motoko(HTTP_MO))
    served.ic.ok(OWNER, "stop_canister", {"canister_id": stopped})
    reply = asgi(served.app, "GET", "/", host=f"{Principal.from_bytes(stopped)}.localhost:4943")
    assert reply.status == 503 and "is stopped" in reply.text


def test_a_body_past_the_limit_is_a_413(served):
    small = app_for(served.replica, limits=GatewayLimits(max_request_body_bytes=100))
    declared = asgi(small, "POST", "/notes", host=served.host, body=b"x" * 101,
                    headers=[("content-length", "101")])
    assert declared.status == 413 and declared.text.startswith("Payload Too Large:")
    sent = asgi(small, "POST", "/notes", host=served.host, body=b"x" * 101, chunk=10)  # no Content-Length
    assert sent.status == 413
    assert asgi(small, "POST", "/notes", host=served.host, body=b"x" * 100).status == 201


def test_the_python_canisters_and_the_ii_origin_keep_their_rules(served):
    whoami = "qoctq-giaaa-aaaaa-aaaea-cai"
    assert asgi(served.app, "GET", "/.well-known/ii-alternative-origins", host=f"{whoami}.localhost:4943").status == 200
    assert asgi(served.app, "POST", "/", host=f"{whoami}.localhost:4943").status == 405
    unknown = Principal.from_bytes((999).to_bytes(8, "big") + b"\x01\x01").to_text()  # hosted by no one
    reply = asgi(served.app, "POST", "/", host=f"{unknown}.localhost:4943")
    assert reply.status == 405
    assert asgi(served.app, "GET", "/", host=f"{unknown}.localhost:4943").status == 404


# -- over real HTTP ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, method: str, host: str, target: str, body: bytes | None = None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, target, body=body, headers={"Host": host, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        conn.close()


def test_a_frontend_and_a_wasm_canister_over_real_http(served, tmp_path):
    import uvicorn

    frontend = Principal.from_bytes((998).to_bytes(8, "big") + b"\x01\x01").to_text()
    folder = build(tmp_path / "dist", {"index.html": b"<!doctype html><title>dapp</title>",
                                       "assets/app.js": b"console.log(1)" * 1000})
    app = App(served.replica.config, api=served.replica.api, http_gateway=HttpGateway.for_replica(served.replica),
              frontends={frontend: folder}, canister_env={"PUBLIC_CANISTER_ID:backend": served.cid},
              root_key=ROOT_KEY)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.02)
        status, headers, body = fetch(port, "GET", f"{frontend}.localhost:{port}", "/some/route")
        assert status == 200 and body.startswith(b"<!doctype html>")
        cookie = dict(headers)["set-cookie"]
        assert cookie.startswith("ic_env=ic%5Froot%5Fkey%3D") and served.cid.replace("-", "%2D") in cookie
        status, headers, body = fetch(port, "GET", f"{frontend}.localhost:{port}", "/assets/app.js",
                                      headers={"Accept-Encoding": "gzip"})
        assert status == 200 and dict(headers)["content-encoding"] == "gzip"
        status, _, body = fetch(port, "GET", f"{served.cid}.localhost:{port}", "/stream")
        assert (status, body) == (200, b"part0;part1;part2;part3;")
        status, _, body = fetch(port, "POST", f"{served.cid}.localhost:{port}", "/over-http", body=b"real bytes",
                                headers={"Content-Type": "text/plain"})
        assert (status, body) == (201, b"stored 10 bytes")
        status, _, body = fetch(port, "GET", f"{served.cid}.localhost:{port}", "/posted")
        assert body == b"POST /over-http text/plain real bytes"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


# -- the protocol's other shapes, with a scripted runtime ---------------------------------------------

ASSET_TYPES = """
type Token = record { key : text; content_encoding : text; index : nat; sha256 : opt blob };
type Callback = record { body : blob; token : opt Token };
type Strategy = variant { Callback : record { callback : func (Token) -> (opt Callback) query; token : Token } };
type Response = record { status_code : nat16; headers : vec record { text; text }; body : blob;
                         upgrade : opt bool; streaming_strategy : opt Strategy };
service : {}
"""


class ScriptedRuntime:
    """Answers `http_request` and a streaming callback as the asset canister would (its token type,
    the spec's `opt StreamingCallbackHttpResponse`), recording the calls it gets."""

    def __init__(self, canister: bytes, callback_service: bytes, chunks: int):
        from ic import candid

        self.did = candid.parse_did(ASSET_TYPES)
        self.canister, self.callback_service, self.chunks = canister, callback_service, chunks
        self.calls: list[tuple[str, object]] = []

    def token(self, index: int) -> dict:
        return {"key": "/big.bin", "content_encoding": "identity", "index": index, "sha256": [b"\x11" * 32]}

    def execute(self, canister_id, method, arg, caller, *, as_query, time_ns):
        from ic import candid
        from ic.candid import FuncRef
        from replica.certification.request_status import Outcome

        assert canister_id == self.canister and caller == b"\x04" and as_query
        if method == "http_request":
            self.calls.append((method, None))
            strategy = {"Callback": {"callback": FuncRef(Principal.from_bytes(self.callback_service), "cb"),
                                     "token": self.token(1)}}
            value = {"status_code": 200, "headers": [("content-type", "application/octet-stream")],
                     "body": b"chunk0;", "upgrade": None, "streaming_strategy": [strategy]}
            return Outcome(reply=candid.encode([self.did.lookup("Response")], [value]))
        token = candid.decode(arg, [self.did.lookup("Token")])[0]
        self.calls.append((method, token))
        index = token["index"]
        following = [self.token(index + 1)] if index + 1 < self.chunks else None
        reply = [{"body": f"chunk{index};".encode(), "token": following}] if index < self.chunks else None
        return Outcome(reply=candid.encode([candid.Opt(self.did.lookup("Callback"))], [reply]))


def test_the_asset_canisters_token_goes_back_at_its_own_type_and_an_opt_reply_ends_the_stream():
    canister = (7).to_bytes(8, "big") + b"\x01\x01"
    runtime = ScriptedRuntime(canister, canister, chunks=3)
    reply = HttpGateway(runtime).request(Principal.from_bytes(canister).to_text(), "GET", "/big.bin", [], b"")
    assert (reply.status, reply.body) == (200, b"chunk0;chunk1;chunk2;")
    assert [call[1]["index"] for call in runtime.calls[1:]] == [1, 2]
    assert runtime.calls[1][1] == runtime.token(1)  # every field, the opt blob included


def test_a_callback_of_another_canister_is_refused():
    canister, other = (7).to_bytes(8, "big") + b"\x01\x01", (8).to_bytes(8, "big") + b"\x01\x01"
    runtime = ScriptedRuntime(canister, other, chunks=3)
    reply = HttpGateway(runtime).request(Principal.from_bytes(canister).to_text(), "GET", "/big.bin", [], b"")
    assert reply.status == 502 and b"a method of another canister" in reply.body
    assert [name for name, _ in runtime.calls] == ["http_request"]
