"""The whoami demo canister: who the caller is, its assets, its alternative origins, its app metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from replica.canisters.whoami import WhoamiCanister
from replica.runtime.dispatch import Runtime


@pytest.fixture
def whoami(tmp_path):
    from ic.principal import Principal

    assets = tmp_path / "demo"
    assets.mkdir()
    (assets / "index.html").write_text("<!doctype html><title>whoami</title>")
    (assets / "app.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("no")
    return WhoamiCanister(
        Principal.from_text("qoctq-giaaa-aaaaa-aaaea-cai"),
        alternative_origins=["https://a.example", "http://b.localhost:4943"],
        assets_dir=assets,
    )


def get(canister, url):
    return canister.http_request({"method": "GET", "url": url, "headers": [], "body": b""})


def test_alternative_origins(whoami):
    res = get(whoami, "/.well-known/ii-alternative-origins")
    assert res["status_code"] == 200
    assert dict(res["headers"])["content-type"] == "application/json"
    assert json.loads(res["body"]) == {"alternativeOrigins": ["https://a.example", "http://b.localhost:4943"]}


def test_app_metadata_and_its_logo_readable_from_another_origin(whoami, tmp_path):
    assert get(whoami, "/.well-known/ii-app-metadata")["status_code"] == 404  # none in these assets
    (tmp_path / "demo" / "ii-app-metadata.json").write_text('{"name": "whoami", "logo": "/logo.png"}')
    (tmp_path / "demo" / "logo.png").write_bytes(b"\x89PNG")
    res = get(whoami, "/.well-known/ii-app-metadata")
    assert res["status_code"] == 200 and json.loads(res["body"]) == {"name": "whoami", "logo": "/logo.png"}
    assert dict(res["headers"]) == {"content-type": "application/json; charset=utf-8",
                                    "access-control-allow-origin": "*"}
    logo = get(whoami, "/logo.png")
    assert dict(logo["headers"]) == {"content-type": "image/png", "access-control-allow-origin": "*"}
    assert "access-control-allow-origin" not in dict(get(whoami, "/app.js")["headers"])


def test_the_demo_dapps_own_metadata_passes_iis_rules():
    from app.protocol.app_metadata import Fetched, logo_data_url, parse_document

    demo = Path(__file__).resolve().parents[3] / "static" / "demo"  # what setup copies for the canister
    body = (demo / "ii-app-metadata.json").read_bytes()
    origin = "http://qoctq-giaaa-aaaaa-aaaea-cai.localhost:4943"
    document = parse_document(Fetched(200, body, "application/json"), origin)
    assert document is not None and document.name == "whoami demo dapp" and document.description
    assert document.logo_url == origin + "/logo.png"
    assert logo_data_url(Fetched(200, (demo / "logo.png").read_bytes(), "image/png"))


def test_assets(whoami):
    res = get(whoami, "/")
    assert res["status_code"] == 200 and b"<title>whoami</title>" in res["body"]
    assert dict(res["headers"])["content-type"].startswith("text/html")
    assert get(whoami, "/app.js?x=1")["status_code"] == 200


@pytest.mark.parametrize("url", ["/../secret.txt", "/%2e%2e/secret.txt", "/nope.html", "/../../etc/passwd"])
def test_no_escape_and_404(whoami, url):
    assert get(whoami, url)["status_code"] == 404


def test_post_is_refused(whoami):
    assert whoami.http_request({"method": "POST", "url": "/", "headers": [], "body": b""})["status_code"] == 405


def test_methods_through_the_runtime(whoami):
    from ic import candid

    runtime = Runtime(set_certified_data=lambda *a: None, data_certificate=lambda *a: b"")
    runtime.register(whoami)
    methods = runtime.hosted[whoami.canister_id.raw].methods
    caller = bytes.fromhex("ab" * 29)
    for method, as_query in (("whoami", True), ("whoami_update", False)):
        out = runtime.execute(whoami.canister_id.raw, method, b"DIDL\x00\x00", caller, as_query=as_query, time_ns=1)
        (principal,) = candid.decode(out.reply, methods[method].result_types)
        assert getattr(principal, "raw", principal) == caller
    arg = candid.encode(
        methods["http_request"].arg_types,
        [{"method": "GET", "url": "/.well-known/ii-alternative-origins", "headers": [], "body": b"", "certificate_version": None}],
    )
    out = runtime.execute(whoami.canister_id.raw, "http_request", arg, b"\x04", as_query=True, time_ns=1)
    (res,) = candid.decode(out.reply, methods["http_request"].result_types)
    assert res["status_code"] == 200 and b"alternativeOrigins" in res["body"]
