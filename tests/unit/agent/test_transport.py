"""The transports: in-process ASGI, and urllib over real HTTP (the replica served by uvicorn)."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from ic import candid
from ic.agent import (Actor, Agent, AsgiTransport, Ed25519Identity, TransportError, UrllibTransport, blocking,
                      ed25519)

from .conftest import WHOAMI_CANISTER, run

WHOAMI_DID = "service : { whoami : () -> (principal) query; whoami_update : () -> (principal) }"


def test_asgi_transport_passes_status_headers_and_body():
    async def app(scope, receive, send):
        message = await receive()
        assert scope["path"] == "/echo" and scope["query_string"] == b"x=1"
        assert dict(scope["headers"])[b"content-type"] == b"application/cbor"
        await send({"type": "http.response.start", "status": 418, "headers": [(b"X-Thing", b"yes")]})
        await send({"type": "http.response.body", "body": message["body"][::-1]})

    response = run(AsgiTransport(app).request("POST", "/echo?x=1", b"abc", "application/cbor"))
    assert (response.status, response.headers["x-thing"], response.body) == (418, "yes", b"cba")


def test_asgi_app_crash_is_a_transport_error():
    async def app(scope, receive, send):
        raise RuntimeError("boom")

    with pytest.raises(TransportError, match="boom"):
        run(AsgiTransport(app).request("GET", "/api/v2/status"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def served(replica):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(replica.api, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def test_urllib_transport_against_the_served_replica(served):
    identity = Ed25519Identity.generate()
    agent = blocking(Agent(UrllibTransport(served), identity, fetch_root_key=True))
    assert agent.status()["replica_health_status"] == "healthy"
    whoami = blocking(Actor(agent.wrapped, WHOAMI_CANISTER, WHOAMI_DID))
    assert whoami.call("whoami") == identity.sender()
    assert whoami.call("whoami_update") == identity.sender()
    bad = run(UrllibTransport(served).request("POST", f"/api/v2/canister/{WHOAMI_CANISTER}/query", b"x", "text/plain"))
    assert bad.status == 400 and "content-type" in bad.text.lower()


def test_urllib_transport_connection_refused():
    with pytest.raises(TransportError):
        run(UrllibTransport(f"http://127.0.0.1:{_free_port()}", timeout_s=2).request("GET", "/api/v2/status"))


def test_browser_like_agent_needs_no_cryptography_for_signing_or_node_signatures(replica):
    """The browser's set-up: pure-Python Ed25519 signing (dummy auth) and node-signature checks."""
    identity = Ed25519Identity(bytes(32), backend="pure")
    agent = Agent(AsgiTransport(replica.api), identity, fetch_root_key=True, ed25519_verify=ed25519.verify)
    reply = run(agent.query(WHOAMI_CANISTER, "whoami", candid.encode([], [])))
    assert candid.decode(reply, [candid.PRINCIPAL]) == [identity.sender()]
