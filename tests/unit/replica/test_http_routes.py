"""Routing, CORS, content types, body limits and decoding errors of the `/api/` app."""

from __future__ import annotations

import os

import pytest

from replica.http.testing import AsgiClient, encode, make_replica

II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"


@pytest.fixture
def replica(tmp_path):
    r = make_replica(tmp_path)
    yield r
    r.close()


@pytest.fixture
def client(replica):
    return AsgiClient(replica.api)


def test_status_is_tagged_cbor_with_the_root_key(client, replica):
    res = client.get("/api/v2/status")
    assert res.status == 200
    assert res.headers["content-type"] == "application/cbor"
    assert res.body[:3] == b"\xd9\xd9\xf7"
    status = res.cbor()
    assert status["root_key"] == replica.root_key
    assert len(status["root_key"]) == 133
    assert status["replica_health_status"] == "healthy"
    assert isinstance(status["impl_version"], str)


def test_cors_preflight_and_headers(client):
    res = client.request("OPTIONS", f"/api/v3/canister/{WHOAMI}/call")
    assert res.status == 204
    assert res.headers["access-control-allow-origin"] == "*"
    assert "POST" in res.headers["access-control-allow-methods"]
    assert "content-type" in res.headers["access-control-allow-headers"].lower()
    assert client.get("/api/v2/status").headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/status",
        f"/api/v4/canister/{WHOAMI}/query",
        f"/api/v9/canister/{WHOAMI}/call",
        f"/api/v2/canister/{WHOAMI}/nope",
        "/api/v2/subnet/aaaaa-aa/call",
        "/api/",
    ],
)
def test_unknown_routes_are_404(client, path):
    res = client.post(path, encode({}))
    assert res.status == 404
    assert res.headers["content-type"].startswith("text/plain")


def test_get_on_a_post_route_is_405(client):
    assert client.get(f"/api/v2/canister/{WHOAMI}/query").status == 405


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "", "application/cborx"])
def test_wrong_content_type(client, content_type):
    res = client.post(f"/api/v2/canister/{WHOAMI}/query", encode({}), content_type=content_type)
    assert res.status == 400
    assert res.text == "Unexpected content-type, expected application/cbor."


def test_content_type_is_case_insensitive_and_may_have_parameters(client):
    res = client.post(f"/api/v2/canister/{WHOAMI}/query", b"\xff", content_type="Application/CBOR; charset=binary")
    assert res.status == 400
    assert res.text.startswith("Failed to deserialize cbor request: ")


def test_oversized_body_is_413_and_the_server_keeps_serving(client):
    big = b"\x00" * (5 * 1024 * 1024 + 1)
    res = client.post(f"/api/v2/canister/{WHOAMI}/query", big)
    assert res.status == 413
    assert "too large" in res.text
    assert client.get("/api/v2/status").status == 200


@pytest.mark.parametrize(
    "body",
    [b"", b"\xff", b"\xd9\xd9\xf7", b"\x9f\x9f\x9f", b"\xbf", b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff", os.urandom(64)],
)
def test_bad_cbor_is_400(client, body):
    res = client.post(f"/api/v2/canister/{WHOAMI}/call", body)
    assert res.status == 400, res.text
    assert res.text.startswith(("Failed to deserialize cbor request: ", "Malformed request: "))


@pytest.mark.parametrize(
    "obj, fragment",
    [
        ([], "must be a CBOR map"),
        ({}, "missing field 'content'"),
        ({"content": 1}, "field 'content' in envelope must be dict"),
        ({"content": {}}, "missing field 'request_type'"),
        ({"content": {"request_type": "call"}}, "missing field 'sender'"),
        ({"content": {"request_type": "frobnicate", "sender": b"\x04"}}, "unknown request_type"),
        ({"content": {"request_type": "query", "sender": b"\x04", "ingress_expiry": 1}}, "takes request_type 'call'"),
        (
            {"content": {"request_type": "call", "sender": b"\x04", "ingress_expiry": -1}},
            "field 'ingress_expiry' in content must be a nat64",
        ),
        (
            {"content": {"request_type": "call", "sender": "me", "ingress_expiry": 1}},
            "field 'sender' in content must be bytes",
        ),
        (
            {"content": {"request_type": "call", "sender": b"\x04", "ingress_expiry": 1, "canister_id": b"x" * 30}},
            "a principal has at most 29",
        ),
    ],
)
def test_malformed_envelopes(client, obj, fragment):
    res = client.post(f"/api/v2/canister/{WHOAMI}/call", encode(obj))
    assert res.status == 400
    assert res.text.startswith("Malformed request: ")
    assert fragment in res.text


def test_bad_principal_in_url(client):
    res = client.post("/api/v2/canister/not-a-principal/call", encode({"content": {}}))
    assert res.status == 400
    assert "invalid principal 'not-a-principal' in the URL" in res.text
