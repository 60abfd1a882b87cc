"""The replica's static site: MIME types, compression, caching, headers, config injection."""

from __future__ import annotations

import base64
import html
import json
import posixpath
import re
import tomllib
import zipfile
import io
from dataclasses import replace
from pathlib import Path

import pytest

from replica.app import App, canister_from_host
from replica.config import Config
from replica.http.static import (SNAPSHOT_MODULES, StaticSite, content_security_policy, page_files, render_index,
                                 snapshot_key)

ROOT = Path(__file__).resolve().parents[3]
II = "rdmx6-jaaaa-aaaaa-aaadq-cai"


@pytest.fixture(scope="module")
def site() -> StaticSite:
    return StaticSite(Config(static_root=ROOT, db_path=Path("/nonexistent/x.sqlite3")))


def header(response, name: str) -> str | None:
    return dict(response.headers).get(name)


def test_index_is_the_ii_page_with_security_headers(site):
    response = site.get("/", {})
    assert response.status == 200
    assert b"<title>Internet Identity</title>" in response.body
    csp = header(response, "content-security-policy")
    assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
    assert header(response, "x-frame-options") == "DENY"
    # Nothing that severs window.opener for a dapp's popup.
    assert "cross-origin-opener-policy" not in dict(response.headers)


def test_index_carries_the_configuration(site):
    body = site.get("/", {}).body.decode()
    assert f'data-canister-id="{II}"' in body
    encoded = body.split('data-canister-config="', 1)[1].split('"', 1)[0]
    assert json.loads(base64.b64decode(encoded))["canisterId"] == II


def test_render_index_refuses_a_template_without_python_tag():
    with pytest.raises(RuntimeError, match="script type"):
        render_index("<html></html>", Config())


def test_dev_csp_only_relaxes_connect_src():
    strict, dev = content_security_policy(False), content_security_policy(True)
    # never upgrade-insecure-requests: the replica is plain HTTP, and WebKit would upgrade *.localhost
    assert "upgrade-insecure-requests" not in strict + dev
    assert "connect-src 'self' https:;" in strict and "connect-src 'self' https: http:;" in dev
    assert strict.replace(" http:", "") == dev.replace(" http:", "")


@pytest.mark.parametrize("path,mime", [
    ("/static/vendor/pyodide-314.0.7/pyodide.asm.wasm", "application/wasm"),
    ("/static/vendor/pyodide-314.0.7/pyodide.mjs", "text/javascript; charset=utf-8"),
    ("/static/css/app.css", "text/css; charset=utf-8"),
    ("/static/logo.svg", "image/svg+xml"),
])
def test_mime_types(site, path, mime):
    response = site.get(path, {})
    assert response is not None, f"{path} missing: run tools/setup.py"
    assert header(response, "content-type") == mime


def test_versioned_vendor_files_are_immutable_and_precompressed(site):
    path = "/static/vendor/pyodide-314.0.7/pyodide.asm.wasm"
    plain = site.get(path, {})
    brotli = site.get(path, {"accept-encoding": "gzip, deflate, br"})
    gzipped = site.get(path, {"accept-encoding": "gzip"})
    assert "immutable" in header(plain, "cache-control")
    assert header(plain, "content-encoding") is None
    assert header(brotli, "content-encoding") == "br"
    assert header(gzipped, "content-encoding") == "gzip"
    assert len(brotli.body) < len(gzipped.body) < len(plain.body)
    assert header(brotli, "vary") == "accept-encoding"


def test_unversioned_files_revalidate(site):
    first = site.get("/static/css/app.css", {})
    assert header(first, "cache-control") == "no-cache"
    again = site.get("/static/css/app.css", {"if-none-match": header(first, "etag")})
    assert again.status == 304 and again.body == b""


def test_app_bundle_holds_app_and_ic_but_not_the_replica(site):
    response = site.get("/app.zip", {})
    names = {n.removesuffix("c") for n in zipfile.ZipFile(io.BytesIO(response.body)).namelist()}
    assert "app/main.py" in names and "ic/errors.py" in names
    assert not [n for n in names if n.startswith(("replica/", "tests/"))]
    assert site.get("/app.zip", {"if-none-match": header(response, "etag")}).status == 304


@pytest.mark.parametrize("path", ["/nope", "/static/nope.js", "/static/../serve.py",
                                  "/static/vendor/../../pyproject.toml", "/static/.hidden"])
def test_unknown_paths_are_not_served(site, path):
    assert site.get(path, {}) is None


def test_canister_from_host():
    assert canister_from_host(f"{II}.localhost:4943") == II
    assert canister_from_host(f"www.{II}.localhost") == II
    assert canister_from_host("localhost:4943") is None
    assert canister_from_host("127.0.0.1:4943") is None


def test_app_routes_by_host_and_query(site):
    app = App(replace(site.config))
    assert app.route("/", "", {"host": f"{II}.localhost:4943"}).status == 200
    assert b"Internet Identity" in app.route("/", f"canisterId={II}", {"host": "localhost:4943"}).body
    assert b"Local replica" in app.route("/", "", {"host": "localhost:4943"}).body
    missing = app.route("/", "", {"host": "aaaaa-aa.localhost:4943"})
    assert missing.status == 404 and b"not hosted" in missing.body
    assert app.route("/nope", "", {"host": f"{II}.localhost"}).status == 404


def test_assets_of_a_query_addressed_page_follow_its_referer(site):
    app = App(replace(site.config))
    referer = "http://localhost:4943/?canisterId=qoctq-giaaa-aaaaa-aaaea-cai"
    missing = app.route("/legacy-dapp.mjs", "", {"host": "localhost:4943", "referer": referer})
    assert b"not hosted" in missing.body  # routed to that canister, not to the II site


def test_bundle_is_bytecode_only_for_matching_sources(tmp_path):
    from replica.http.static import build_app_bundle, bundle_sources, sources_fingerprint

    (tmp_path / "app").mkdir()
    (tmp_path / "ic").mkdir()
    (tmp_path / "app" / "m.py").write_text("x = 1\n")
    plain = zipfile.ZipFile(io.BytesIO(build_app_bundle(tmp_path)))
    assert plain.namelist() == ["app/m.py"]
    compiled = tmp_path / "static" / "vendor" / "app-bytecode"
    compiled.mkdir(parents=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app/m.pyc", b"bytecode")
    (compiled / f"{sources_fingerprint(bundle_sources(tmp_path))}.zip").write_bytes(buffer.getvalue())
    assert zipfile.ZipFile(io.BytesIO(build_app_bundle(tmp_path))).namelist() == ["app/m.pyc"]
    (tmp_path / "app" / "m.py").write_text("x = 2\n")  # edited: the stale bytecode is not used
    assert zipfile.ZipFile(io.BytesIO(build_app_bundle(tmp_path))).namelist() == ["app/m.py"]


def test_index_carries_the_snapshot_key_and_the_files_the_page_unpacks(site):
    body = site.get("/", {}).body.decode()
    key = body.split('data-snapshot-key="', 1)[1].split('"', 1)[0]
    files = json.loads(html.unescape(body.split('data-snapshot-files="', 1)[1].split('"', 1)[0]))
    assert files == page_files(ROOT) == ["/static/vendor/wheels/cbor2.whl", "/app.zip"]
    bundle = site.get("/app.zip", {}).body
    assert key == snapshot_key(ROOT, bundle)
    # Other app code, or another interpreter module, is another snapshot.
    assert snapshot_key(ROOT, bundle + b"\0") != key
    assert len(key) == 32 and int(key, 16) >= 0


def test_render_index_without_a_snapshot_names_none():
    assert "data-snapshot" not in render_index('<script type="py"></script>', Config())


def referenced_paths() -> set[str]:
    """Every same-origin path the page shell, pyscript.toml and the interpreter modules name."""
    paths = set(re.findall(r'(?:href|src)="(/[^"]+)"', (ROOT / "index.html").read_text()))
    config = tomllib.loads((ROOT / "pyscript.toml").read_text())
    paths |= {config["interpreter"], *config["files"], *config["js_modules"]["main"]}
    for module in SNAPSHOT_MODULES:
        for specifier in re.findall(r'(?:from|import)\s+"(\.[^"]+)"', (ROOT / module).read_text()):
            paths.add("/" + posixpath.normpath(posixpath.join(posixpath.dirname(module), specifier)))
        for specifier in re.findall(r'new URL\("(\./[^"]+)"', (ROOT / module).read_text()):
            target = posixpath.normpath(posixpath.join(posixpath.dirname(module), specifier))
            if not specifier.endswith("/"):
                paths.add("/" + target)
    return paths


def test_every_file_the_page_names_is_served(site):
    paths = referenced_paths()
    assert {"/static/pyodide-snapshot.mjs", "/static/pyodide-snapshot-worker.mjs",
            "/static/pyodide-snapshot-store.mjs"} <= paths
    assert any(p.startswith("/static/vendor/pyodide-") and p.endswith("/pyodide.mjs") for p in paths)
    for path in sorted(paths):
        response = site.get(path, {})
        assert response is not None and response.status == 200, path
