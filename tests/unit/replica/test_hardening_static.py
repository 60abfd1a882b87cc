"""The II origin serves only what its page loads, with its security headers, and every odd request
gets a clear 4xx (issue 11, finding 2). In-process, through the ASGI app `serve.py` runs."""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from replica.app import App, create_app
from replica.config import Config
from replica.http.static import SMALL_FILE_BYTES, FileResponse, StaticSite
from replica.http.testing import AsgiClient, make_replica

ROOT = Path(__file__).resolve().parents[3]
II = "rdmx6-jaaaa-aaaaa-aaadq-cai"
WHOAMI = "qoctq-giaaa-aaaaa-aaaea-cai"
II_HOST = f"{II}.localhost:4943"
WHOAMI_HOST = f"{WHOAMI}.localhost:4943"
PYODIDE = next((ROOT / "static" / "vendor").glob("pyodide-*"), None)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    application, _lines = create_app(Config(db_path=tmp_path_factory.mktemp("static") / "replica.sqlite3"))
    return application


def request(app, method: str, raw_target: bytes, host: str | None = II_HOST,
            headers: list[tuple[bytes, bytes]] = ()) -> tuple[int, dict[str, str], bytes, list[dict]]:
    """One request through the ASGI app, its scope built the way uvicorn builds it (the path
    percent-decoded with invalid UTF-8 replaced, the raw path and query kept as sent)."""
    raw_path, _, query = raw_target.partition(b"?")
    path = raw_path.decode("latin-1")
    if "%" in path:
        path = unquote(path)
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": method, "scheme": "http", "path": path, "raw_path": raw_path, "query_string": query,
             "root_path": "", "server": ("127.0.0.1", 4943), "client": ("127.0.0.1", 50000),
             "headers": ([(b"host", host.encode("latin-1"))] if host is not None else []) + list(headers)}
    sent: list[dict] = []
    body_given = False

    async def receive():
        nonlocal body_given
        if not body_given:
            body_given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await asyncio.Event().wait()  # like a server: nothing more until the client goes

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    assert start["type"] == "http.response.start"
    response_headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return start["status"], response_headers, b"".join(m.get("body", b"") for m in sent[1:]), sent


# -- what the II origin serves ------------------------------------------------------------------


def frontend_urls() -> set[str]:
    """Every same-origin URL the page names: index.html, pyscript.toml, boot.js, the app."""
    urls: set[str] = set()
    for source in ("index.html", "pyscript.toml", "static/boot.js", "app/main.py", "app/ui/markup.py"):
        urls.update(re.findall(r"""["'](/(?:static/|app\.zip|pyscript\.toml)[^"'#?]*)["']""", (ROOT / source).read_text()))
    return urls


def test_every_file_the_page_loads_is_served(app):
    urls = frontend_urls()
    assert {"/static/css/app.css", "/app.zip", "/pyscript.toml", "/static/boot.js"} <= urls
    assert any(url.endswith("pyodide.asm.wasm") for url in urls)
    assert PYODIDE is not None, "static/vendor is missing: run tools/setup.py"
    urls |= {f"/{p.relative_to(ROOT).as_posix()}" for p in PYODIDE.iterdir() if p.suffix in (".mjs", ".wasm", ".json", ".zip")}
    urls |= {f"/{p.relative_to(ROOT).as_posix()}" for p in (ROOT / "static/vendor").glob("pyscript-*/*")
             if p.suffix in (".js", ".css")}
    for url in sorted(urls):
        status, headers, body, _ = request(app, "GET", url.encode())
        assert status == 200, url
        assert headers["x-content-type-options"] == "nosniff", url
        assert int(headers["content-length"]) == len(body) > 0, url


@pytest.mark.parametrize("path", [
    "/static/demo/package.json", "/static/demo/package-lock.json", "/static/demo/index.html",
    "/static/demo/node_modules/.bin/esbuild", "/static/demo/node_modules/esbuild/package.json",
    "/static/src/bls_verify.js", "/static/vendor/demo/index.html", "/static/vendor/demo/legacy-dapp.mjs",
    "/static/vendor/app-bytecode/x.zip", "/static/vendor/pyodide-314.0.7/pyodide.asm.wasm.br",
    "/static/.hidden", "/static/css/.hidden.css",
])
def test_nothing_else_under_static_is_served(app, path):
    status, headers, body, _ = request(app, "GET", path.encode())
    assert status == 404, path
    assert headers["x-content-type-options"] == "nosniff"


def test_hidden_files_and_node_modules_are_never_served(tmp_path):
    root = tmp_path
    (root / "app").mkdir()
    (root / "ic").mkdir()
    (root / "index.html").write_text('<!doctype html><title>Internet Identity</title><script type="py"></script>')
    files = {
        "static/css/app.css": b"body{}", "static/logo.svg": b"<svg/>",
        "static/vendor/pyodide-1.0/pyodide.mjs": b"export{}",
        "static/.git/config": b"secret", "static/css/.cache/x.css": b"secret", "static/.env.svg": b"secret",
        "static/node_modules/x/index.js": b"secret", "static/vendor/pyodide-1.0/node_modules/x.js": b"secret",
        "static/vendor/pyodide-1.0/.hidden/x.js": b"secret", "static/css/node_modules/x.css": b"secret",
        "static/demo/src/app.js": b"secret", "static/vendor/other/x.js": b"secret",
    }
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    site = StaticSite(Config(static_root=root, db_path=tmp_path / "x.sqlite3"))
    for name, data in files.items():
        response = site.get("/" + name, {})
        if data == b"secret":
            assert response is None, name
        else:
            assert response is not None and response.body == data, name


# -- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("target,host", [
    (b"/", II_HOST), (b"/index.html", II_HOST), (b"/authorize", II_HOST), (b"/pair", II_HOST),
    (f"/?canisterId={II}".encode(), "localhost:4943"), (b"/", "localhost:4943"),
    (b"/authorize", "127.0.0.1:4943"),
])
def test_every_html_response_of_the_ii_origin_has_the_csp_and_refuses_framing(app, target, host):
    status, headers, _body, _ = request(app, "GET", target, host=host)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"


def test_a_404_does_not_echo_the_raw_path(app):
    status, headers, body, _ = request(app, "GET", b"/%3Cscript%3Ealert(1)%3C/script%3E")
    assert status == 404
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    assert b"<" not in body and b">" not in body
    assert body == b"Not Found: /%3Cscript%3Ealert(1)%3C/script%3E"


def test_api_refusals_are_never_sniffed(tmp_path):
    replica = make_replica(tmp_path)
    try:
        client = AsgiClient(replica.api)
        for response in (client.get("/api/v1/status"), client.post(f"/api/v2/canister/{WHOAMI}/call", b"\xff"),
                         client.get("/api/v2/status")):
            assert response.headers["x-content-type-options"] == "nosniff"
    finally:
        replica.close()


# -- streaming ----------------------------------------------------------------------------------


def test_large_files_are_streamed_in_chunks(app):
    wasm = PYODIDE / "pyodide.asm.wasm"
    target = f"/{wasm.relative_to(ROOT).as_posix()}".encode()
    status, headers, body, sent = request(app, "GET", target)
    assert status == 200 and body == wasm.read_bytes()
    assert int(headers["content-length"]) == wasm.stat().st_size
    chunks = sent[1:]
    assert len(chunks) > 8 and all(len(m["body"]) <= 256 * 1024 for m in chunks)
    assert all(m["more_body"] for m in chunks[:-1]) and not chunks[-1].get("more_body", False)
    # HEAD: the same headers, no body; a precompressed variant is streamed the same way.
    status, head_headers, body, _ = request(app, "HEAD", target)
    assert status == 200 and body == b"" and head_headers["content-length"] == headers["content-length"]
    status, br_headers, body, _ = request(app, "GET", target, headers=[(b"accept-encoding", b"gzip, br")])
    assert br_headers["content-encoding"] == "br" and body == wasm.with_name(wasm.name + ".br").read_bytes()
    assert br_headers["etag"] == headers["etag"] and "immutable" in br_headers["cache-control"]


def test_small_files_come_from_memory_and_revalidate(app):
    site = app.site
    css = site.get("/static/css/app.css", {})
    assert not isinstance(css, FileResponse) and len(css.body) <= SMALL_FILE_BYTES
    assert isinstance(site.get(f"/{(PYODIDE / 'pyodide.asm.wasm').relative_to(ROOT).as_posix()}", {}), FileResponse)
    etag = dict(css.headers)["etag"]
    status, _headers, body, _ = request(app, "GET", b"/static/css/app.css", headers=[(b"if-none-match", etag.encode())])
    assert status == 304 and body == b""


# -- odd requests -----------------------------------------------------------------------------

ODD = [
    # (method, raw request target, Host header or None)
    ("GET", b"//", II_HOST),
    ("GET", b"/..%2f", II_HOST),
    ("GET", b"/..%2f..%2fserve.py", II_HOST),
    ("GET", b"/static/..%2f..%2fpyproject.toml", II_HOST),
    ("GET", b"/static/%2e%2e/%2e%2e/serve.py", II_HOST),
    ("GET", b"/static/vendor/../../serve.py", II_HOST),
    ("GET", b"/%00", II_HOST),
    ("GET", b"/static/%00.js", II_HOST),
    ("GET", b"/static/css/app.css%00.png", II_HOST),
    ("GET", b"/%0d%0aSet-Cookie:%20x=1", II_HOST),
    ("GET", b"/%ff%fe", II_HOST),
    ("GET", b"/static/%c3%28.js", II_HOST),
    ("GET", b"/static/%", II_HOST),
    ("GET", b"/" + b"a" * 300, II_HOST),
    ("GET", b"/static/" + b"a" * 300 + b".js", II_HOST),
    ("GET", b"/" + b"a/" * 3000, II_HOST),
    ("GET", b"/static/vendor/" + b"x" * 70000, II_HOST),
    ("GET", b"/%00", WHOAMI_HOST),
    ("GET", b"/%2500", WHOAMI_HOST),
    ("GET", b"/" + b"a" * 300, WHOAMI_HOST),
    ("GET", b"/" + b"a" * 70000, WHOAMI_HOST),
    ("GET", b"/..%2f..%2fserve.py", WHOAMI_HOST),
    ("GET", b"/%ff", WHOAMI_HOST),
    ("GET", b"/", "\x00"),
    ("GET", b"/", "local host"),
    ("GET", b"/", "..localhost"),
    ("GET", b"/", "localhost:4943<script>"),
    ("GET", b"/", "x" * 300 + ".localhost"),
    ("GET", b"/", "\xff.localhost"),
    ("GET", b"/", "%41.localhost:4943"),
    ("GET", b"/", "not-a-canister.localhost:4943"),
    ("GET", b"/", "aaaaa-aa.localhost:4943"),
    ("GET", b"/static/css/app.css", "zzzzz-zz.localhost"),
    ("GET", b"/?canisterId=", "localhost:4943"),
    ("GET", b"/?canisterId=junk", "localhost:4943"),
    ("GET", b"/?canisterId=%00", "localhost:4943"),
    ("GET", b"/?canisterId=%ff%fe", "localhost:4943"),
    ("GET", b"/?canisterId=\xff", "localhost:4943"),
    ("GET", b"/?canisterId=" + b"a" * 5000, "localhost:4943"),
    ("GET", b"/?canisterId=%3Cscript%3E", "localhost:4943"),
    ("GET", b"/?canisterId=aaaaa-aa&canisterId=x", "localhost:4943"),
    ("GET", b"/nope?canisterId=" + II.encode(), "localhost:4943"),
    ("OPTIONS", b"/", II_HOST),
    ("OPTIONS", b"/static/css/app.css", II_HOST),
    ("OPTIONS", b"/", WHOAMI_HOST),
    ("POST", b"/", II_HOST),
    ("POST", b"/", WHOAMI_HOST),
    ("PUT", b"/static/css/app.css", II_HOST),
    ("DELETE", b"/", WHOAMI_HOST),
    ("PATCH", b"/", "localhost:4943"),
    ("TRACE", b"/", II_HOST),
    ("CONNECT", b"/", II_HOST),
    ("BREW", b"/", II_HOST),
    ("GET", b"*", II_HOST),
    ("GET", b"", II_HOST),
]


@pytest.mark.parametrize("method,target,host", ODD, ids=[f"{m} {t[:40]!r} {h!r:.40}" for m, t, h in ODD])
def test_odd_requests_get_a_clear_4xx_and_log_no_error(app, caplog, method, target, host):
    with caplog.at_level(logging.WARNING):
        status, headers, body, _ = request(app, method, target, host=host,
                                           headers=[(b"referer", b"http://[bad/?canisterId=\xff")])
    assert 400 <= status < 500, (status, body[:200])
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert headers["x-content-type-options"] == "nosniff"
    # Clear: says what is wrong, printable, short; the replica's own texts percent-encode every
    # odd byte (the whoami canister's 404s are its own wording).
    text = body.decode("utf-8")
    assert text.isprintable() and len(text) < 400, text
    assert re.match(r"(?i)(bad request|not found|method not allowed|uri too long)\b", text), text
    if host != WHOAMI_HOST or status != 404:
        assert text.isascii(), text
    assert "<" not in text and "\x00" not in text
    if status == 405:
        assert headers["allow"] == "GET, HEAD"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info], caplog.text


@pytest.mark.parametrize("target,host", [
    (b"/", II_HOST), (b"/static/css/app.css", II_HOST), (b"/app.zip", II_HOST),
    (b"/", WHOAMI_HOST), (b"/.well-known/ii-alternative-origins", WHOAMI_HOST), (b"/", "localhost:4943"),
])
def test_head_answers_like_get_without_a_body(app, target, host):
    get_status, get_headers, get_body, _ = request(app, "GET", target, host=host)
    status, headers, body, _ = request(app, "HEAD", target, host=host)
    assert status == get_status == 200 and body == b"" and len(get_body) > 0
    assert headers["content-length"] == get_headers["content-length"] == str(len(get_body))


def test_a_canister_gets_the_request_target_as_sent(app):
    # Decoded once by the server, the canister decodes again: `%2500` must reach it as sent.
    status, _headers, body, _ = request(app, "GET", b"/%2500", host=WHOAMI_HOST)
    assert status == 404 and b"\x00" not in body


def test_the_directory_page_quotes_no_header(tmp_path):
    app = App(Config(db_path=tmp_path / "x.sqlite3"))
    response = app.route("/", "", {"host": "[::1]:4943"})
    assert b'href="http://rdmx6-jaaaa-aaaaa-aaadq-cai.localhost:4943/"' in response.body
