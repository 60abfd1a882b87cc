"""A developer's built frontend folder served at its canister's origin as the asset canister serves
it (issue 13 item 1): MIME types, aliases and the `index.html` fallback, `.well-known/`, hidden
files absent, traversal refused, compression, streaming of large files, and the `ic_env` cookie
read back by `@icp-sdk/core`'s own `getCanisterEnv()`. Through the real ASGI app."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pytest

from replica.app import App
from replica.config import Config
from replica.http.frontend import ic_env_cookie, ic_env_value, url_encode
from replica.http.static import SMALL_FILE_BYTES

ROOT = Path(__file__).resolve().parents[3]
FRONTEND = "ryjl3-tyaaa-aaaaa-aaaba-cai"
BACKEND = "rrkah-fqaaa-aaaaa-aaaaq-cai"
HOST = f"{FRONTEND}.localhost:4943"
ROOT_KEY = bytes(range(133))  # the length of a DER BLS root key, what getCanisterEnv checks
ENV = {"PUBLIC_CANISTER_ID:backend": BACKEND, "PUBLIC_CANISTER_ID:frontend": FRONTEND}
INDEX = b"<!doctype html><title>dapp</title><script type=module src=/assets/app.js></script>"
CANISTER_ENV_JS = ROOT / "static/demo/node_modules/@icp-sdk/core/lib/esm/agent/canister-env/index.js"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    messages: list[dict]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name]

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def asgi(app, method: str, target: str, *, host: str | None = HOST, headers: list[tuple[str, str]] = (),
         body: bytes = b"", chunk: int = 65536) -> Reply:
    """One request through the ASGI app, its scope built as uvicorn builds it (the path
    percent-decoded, the raw path and query as sent); the body in `chunk`-byte messages."""
    raw = target.encode("latin-1")
    raw_path, _, query = raw.partition(b"?")
    path = unquote(raw_path.decode("latin-1"))
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": raw_path, "query_string": query,
             "root_path": "", "server": ("127.0.0.1", 4943), "client": ("127.0.0.1", 50000),
             "headers": ([(b"host", host.encode())] if host is not None else [])
             + [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]}
    parts = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    sent: list[dict] = []

    async def receive():
        if parts:
            part = parts.pop(0)
            return {"type": "http.request", "body": part, "more_body": bool(parts)}
        await asyncio.Event().wait()  # like a server: nothing more until the client goes

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return Reply(start["status"], pairs, b"".join(m.get("body", b"") for m in sent[1:]), sent)


def build(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


BIG_JS = b"export const data = [" + b"1234567890, " * 40_000 + b"];\n"  # ~480 KB, compressible
FILES = {
    "index.html": INDEX,
    "about.html": b"<!doctype html><title>about</title>",
    "docs/index.html": b"<!doctype html><title>docs</title>",
    "assets/app.js": b"console.log('dapp');",
    "assets/app.css": b"body { color: red }",
    "assets/logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
    "assets/module.wasm": b"\x00asm\x01\x00\x00\x00",
    "assets/data.json": b'{"a": 1}',
    "assets/font.woff2": b"wOF2",
    "assets/photo.png": b"\x89PNG\r\n",
    "assets/photo.webp": b"RIFF",
    "assets/blob.qqzz": b"?",
    "assets/app.js.map": b"{}",
    "assets/big.js": BIG_JS,
    "assets/pre.js": b"/* uncompressed */" * 100,
    "assets/pre.js.br": b"BROTLI-BYTES",
    "assets/huge.png": os.urandom(SMALL_FILE_BYTES * 3 + 17),
    "manifest.webmanifest": b"{}",
    ".well-known/ii-alternative-origins": b'{"alternativeOrigins": ["https://example.org"]}',
    ".well-known/security.txt": b"Contact: mailto:dev@example.org",
    ".env": b"SECRET=hunter2",
    ".git/config": b"SECRET git",
    ".ic-assets.json": b'[{"match": "SECRET"}]',
    "assets/.hidden.js": b"SECRET hidden",
    ".well-known/.private": b"SECRET private",
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = build(tmp_path_factory.mktemp("dist"), FILES)
    outside = folder.parent / "outside-secret.txt"
    outside.write_bytes(b"SECRET outside")
    (folder / "assets" / "link.txt").symlink_to(outside)
    return folder


@pytest.fixture(scope="module")
def app(folder, tmp_path_factory) -> App:
    return App(Config(db_path=tmp_path_factory.mktemp("db") / "x.sqlite3"), frontends={FRONTEND: folder},
               canister_env=ENV, root_key=ROOT_KEY)


# -- files and their types ----------------------------------------------------------------------


@pytest.mark.parametrize("path,mime", [
    ("/index.html", "text/html; charset=utf-8"),
    ("/assets/app.js", "text/javascript; charset=utf-8"),
    ("/assets/app.css", "text/css; charset=utf-8"),
    ("/assets/logo.svg", "image/svg+xml"),
    ("/assets/module.wasm", "application/wasm"),
    ("/assets/data.json", "application/json"),
    ("/assets/font.woff2", "font/woff2"),
    ("/assets/photo.png", "image/png"),
    ("/assets/photo.webp", "image/webp"),
    ("/assets/app.js.map", "application/json"),
    ("/manifest.webmanifest", "application/manifest+json"),
    ("/assets/blob.qqzz", "application/octet-stream"),
])
def test_each_file_is_served_with_its_mime_type(app, path, mime):
    reply = asgi(app, "GET", path)
    assert reply.status == 200, reply.text
    assert reply.header("content-type") == mime
    assert reply.body == FILES[path[1:]]
    assert reply.header("content-length") == str(len(reply.body))
    assert reply.header("x-content-type-options") == "nosniff"
    assert reply.header("cache-control") == "no-cache" and reply.header("etag")


def test_both_origin_forms_serve_the_frontend(app):
    assert asgi(app, "GET", "/", host=HOST).body == INDEX
    assert asgi(app, "GET", f"/?canisterId={FRONTEND}", host="localhost:4943").body == INDEX
    # The page's own assets arrive without the query, with the page as their Referer.
    asset = asgi(app, "GET", "/assets/app.js", host="localhost:4943",
                 headers=[("referer", f"http://localhost:4943/?canisterId={FRONTEND}")])
    assert asset.status == 200 and asset.body == FILES["assets/app.js"]
    # A subdomain of the canister's origin is that canister too (as `<anything>.<id>.localhost`).
    assert asgi(app, "GET", "/", host=f"www.{HOST}").body == INDEX


def test_the_dapp_page_has_no_ii_policy(app):
    reply = asgi(app, "GET", "/")
    assert reply.header("content-security-policy") is None
    assert reply.header("x-frame-options") is None
    assert reply.header("x-content-type-options") == "nosniff"


# -- aliases and the index.html fallback, as the asset canister has them ---------------------------


@pytest.mark.parametrize("path,body", [
    ("/", INDEX),
    ("/about", FILES["about.html"]),        # /about -> /about.html
    ("/docs", FILES["docs/index.html"]),    # /docs -> /docs/index.html
    ("/docs/", FILES["docs/index.html"]),   # /docs/ -> /docs/index.html
    ("/docs/index.html", FILES["docs/index.html"]),
])
def test_aliases_name_html_files(app, path, body):
    reply = asgi(app, "GET", path)
    assert (reply.status, reply.body) == (200, body)
    assert reply.header("content-type") == "text/html; charset=utf-8"


@pytest.mark.parametrize("path", [
    "/profile", "/notes/42/edit", "/deep/route/", "/missing.html", "/assets/missing.js", "/%E2%9C%93",
    "/about/", "/docs/missing",
])
def test_every_missing_path_falls_back_to_index_html_with_200(app, path):
    # The asset canister certifies /index.html as the fallback of every path it has no asset for
    # (its test `returns_index_file_for_missing_assets`: /missing.html), extension or not.
    reply = asgi(app, "GET", path)
    assert (reply.status, reply.body) == (200, INDEX)
    assert reply.header("content-type") == "text/html; charset=utf-8"
    assert reply.header("set-cookie") is not None


def test_a_folder_without_index_html_answers_the_asset_canisters_404(tmp_path):
    folder = build(tmp_path / "dist", {"app.js": b"1"})
    app = App(Config(db_path=tmp_path / "x.sqlite3"), frontends={FRONTEND: folder})
    assert asgi(app, "GET", "/app.js").status == 200
    reply = asgi(app, "GET", "/route")
    assert (reply.status, reply.body, reply.header("content-type")) == (404, b"not found", "text/plain")


# -- .well-known, hidden files, traversal --------------------------------------------------------


def test_well_known_files_are_served_for_ii(app):
    reply = asgi(app, "GET", "/.well-known/ii-alternative-origins")
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    assert reply.header("access-control-allow-origin") == "*"  # II reads it from its own origin
    assert json.loads(reply.body) == {"alternativeOrigins": ["https://example.org"]}
    other = asgi(app, "GET", "/.well-known/security.txt")
    assert other.status == 200 and other.body == FILES[".well-known/security.txt"]
    assert other.header("content-type") == "text/plain; charset=utf-8"


@pytest.mark.parametrize("path", [
    "/.env", "/.git/config", "/.ic-assets.json", "/assets/.hidden.js", "/.well-known/.private",
    "/assets/link.txt", "/%2Eenv",
])
def test_hidden_files_and_links_out_of_the_folder_are_absent(app, path):
    reply = asgi(app, "GET", path)
    assert b"SECRET" not in reply.body
    assert (reply.status, reply.body) == (200, INDEX)  # absent, so the fallback


@pytest.mark.parametrize("target", [
    "/../outside-secret.txt", "/%2e%2e/outside-secret.txt", "/assets/%2E%2E/%2E%2E/outside-secret.txt",
    "/assets/..%2F..%2Foutside-secret.txt", "/./index.html", "/assets/..%5C..%5Coutside-secret.txt",
])
def test_path_traversal_is_refused(app, target):
    reply = asgi(app, "GET", target)
    assert reply.status == 400, reply.text
    assert b"SECRET" not in reply.body
    assert reply.header("content-type") == "text/plain; charset=utf-8"
    assert reply.text.startswith("Bad Request:")


def test_only_get_and_head_are_answered(app):
    reply = asgi(app, "POST", "/", body=b"x")
    assert reply.status == 405 and reply.header("allow") == "GET, HEAD"


def test_head_is_get_without_the_body(app):
    get = asgi(app, "GET", "/assets/app.css")
    head = asgi(app, "HEAD", "/assets/app.css")
    assert head.status == 200 and head.body == b""
    assert head.header("content-length") == get.header("content-length") == str(len(FILES["assets/app.css"]))
    assert head.header("content-type") == get.header("content-type")


# -- transfer ------------------------------------------------------------------------------------


def test_compressible_files_are_gzipped_for_browsers_that_take_it(app):
    reply = asgi(app, "GET", "/assets/big.js", headers=[("accept-encoding", "gzip, deflate")])
    assert reply.header("content-encoding") == "gzip" and reply.header("vary") == "accept-encoding"
    assert len(reply.body) < len(BIG_JS) // 10
    assert gzip.decompress(reply.body) == BIG_JS
    assert asgi(app, "GET", "/assets/big.js").body == BIG_JS  # no Accept-Encoding: as it is
    # Small ones and images go as they are.
    assert asgi(app, "GET", "/assets/app.js", headers=[("accept-encoding", "gzip")]).header("content-encoding") is None
    image = asgi(app, "GET", "/assets/photo.png", headers=[("accept-encoding", "gzip")])
    assert image.header("content-encoding") is None


def test_a_precompressed_sibling_is_sent_when_accepted(app):
    reply = asgi(app, "GET", "/assets/pre.js", headers=[("accept-encoding", "gzip, br")])
    assert (reply.body, reply.header("content-encoding")) == (b"BROTLI-BYTES", "br")
    assert reply.header("content-type") == "text/javascript; charset=utf-8"


def test_etags_revalidate(app):
    first = asgi(app, "GET", "/assets/app.css")
    again = asgi(app, "GET", "/assets/app.css", headers=[("if-none-match", first.header("etag"))])
    assert again.status == 304 and again.body == b""
    zipped = asgi(app, "GET", "/assets/big.js", headers=[("accept-encoding", "gzip")])
    assert zipped.header("etag") != asgi(app, "GET", "/assets/big.js").header("etag")
    assert asgi(app, "GET", "/assets/big.js", headers=[("accept-encoding", "gzip"),
                                                       ("if-none-match", zipped.header("etag"))]).status == 304


def test_a_large_file_is_streamed_in_chunks(app):
    reply = asgi(app, "GET", "/assets/huge.png")
    assert reply.status == 200 and reply.body == FILES["assets/huge.png"]
    assert reply.header("content-length") == str(len(FILES["assets/huge.png"]))
    assert len([m for m in reply.messages if m["type"] == "http.response.body"]) >= 4


def test_a_rebuilt_file_is_served_at_the_next_request(tmp_path):
    folder = build(tmp_path / "dist", {"index.html": b"v1"})
    app = App(Config(db_path=tmp_path / "x.sqlite3"), frontends={FRONTEND: folder})
    assert asgi(app, "GET", "/").body == b"v1"
    (folder / "index.html").write_bytes(b"version 2")
    os.utime(folder / "index.html", ns=(1, 2_000_000_000_000_000_000))
    assert asgi(app, "GET", "/").body == b"version 2"


# -- the ic_env cookie ---------------------------------------------------------------------------


def test_the_cookie_value_is_the_asset_canisters_encoding():
    assert url_encode("ic_root_key=ab&PUBLIC_CANISTER_ID:backend=x-y.z~") == (
        "ic%5Froot%5Fkey%3Dab%26PUBLIC%5FCANISTER%5FID%3Abackend%3Dx%2Dy%2Ez%7E")
    assert url_encode("é") == "%C3%A9"
    value = ic_env_value(b"\x01\xab", {"PUBLIC_Z": "1", "PUBLIC_A": "2"})
    assert unquote(value) == "ic_root_key=01ab&PUBLIC_A=2&PUBLIC_Z=1"  # root key first, names sorted
    assert ic_env_cookie(b"\x01", {}) == "ic_env=ic%5Froot%5Fkey%3D01; SameSite=Lax"
    with pytest.raises(ValueError):
        ic_env_value(b"", {"A=B": "1"})
    with pytest.raises(ValueError):
        ic_env_value(b"", {"A": "1&B=2"})


def test_html_responses_carry_the_cookie_and_nothing_else_does(app):
    cookie = asgi(app, "GET", "/").header("set-cookie")
    assert cookie == ic_env_cookie(ROOT_KEY, ENV)
    name_value, attributes = cookie.split("; ", 1)
    assert attributes == "SameSite=Lax"
    decoded = unquote(name_value.removeprefix("ic_env="))
    pairs = dict(pair.split("=", 1) for pair in decoded.split("&"))
    assert pairs == {"ic_root_key": ROOT_KEY.hex(), **ENV}
    for path in ("/about", "/docs/", "/client/route"):
        assert asgi(app, "GET", path).header("set-cookie") == cookie
    for path in ("/assets/app.js", "/.well-known/ii-alternative-origins", "/assets/data.json"):
        assert asgi(app, "GET", path).header("set-cookie") is None
    assert asgi(app, "HEAD", "/").header("set-cookie") == cookie


def test_no_cookie_without_a_root_key(tmp_path):
    app = App(Config(db_path=tmp_path / "x.sqlite3"), frontends={FRONTEND: build(tmp_path / "d", FILES)})
    assert asgi(app, "GET", "/").header("set-cookie") is None
    with pytest.raises(ValueError, match="root_key"):
        App(Config(db_path=tmp_path / "x.sqlite3"), frontends={FRONTEND: tmp_path / "d"}, canister_env=ENV)


@pytest.mark.skipif(shutil.which("node") is None or not CANISTER_ENV_JS.exists(),
                    reason="@icp-sdk/core is not installed (static/demo: run tools/setup.py)")
def test_icp_sdk_core_get_canister_env_reads_the_cookie(app, tmp_path):
    """The real `getCanisterEnv()` of `@icp-sdk/core`, given the cookie as a browser's
    `document.cookie` holds it (name=value, attributes dropped, beside another cookie)."""
    cookie = asgi(app, "GET", "/").header("set-cookie").split(";", 1)[0]
    script = tmp_path / "env.mjs"
    script.write_text(
        "globalThis.document = { cookie: process.argv[2] };\n"
        f"const {{ getCanisterEnv, safeGetCanisterEnv }} = await import({json.dumps(CANISTER_ENV_JS.as_uri())});\n"
        "const env = getCanisterEnv();\n"
        "const out = { ...env, IC_ROOT_KEY: Buffer.from(env.IC_ROOT_KEY).toString('hex'),\n"
        "              safe: safeGetCanisterEnv()['PUBLIC_CANISTER_ID:backend'] };\n"
        "console.log(JSON.stringify(out));\n")
    done = subprocess.run(["node", str(script), f"theme=dark; {cookie}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    env = json.loads(done.stdout)
    assert env == {"IC_ROOT_KEY": ROOT_KEY.hex(), **ENV, "safe": BACKEND}


# -- construction ----------------------------------------------------------------------------------


def test_bad_frontends_are_refused_at_construction(tmp_path):
    with pytest.raises(ValueError, match="not a canister id"):
        App(Config(db_path=tmp_path / "x.sqlite3"), frontends={"not-an-id": tmp_path})
    with pytest.raises(ValueError, match="not a directory"):
        App(Config(db_path=tmp_path / "x.sqlite3"), frontends={FRONTEND: tmp_path / "missing"})


def test_the_directory_page_lists_the_frontend(app):
    reply = asgi(app, "GET", "/", host="localhost:4943")
    assert f"http://{FRONTEND}.localhost:4943/".encode() in reply.body
