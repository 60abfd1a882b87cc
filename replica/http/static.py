"""The II frontend as a static site: the page shell, the app bundle and the vendored runtime.

What the real II's asset canister does for its page, for a local replica:
- `index.html` rendered with this replica's configuration (canister id, flavor flags), the way the
  classic II injected `data-canister-id` / `data-canister-config` into its script tags;
- `/app.zip`: the Python of `app/` and `ic/`, zipped at start-up, unpacked by PyScript in the page;
- `/static/...` files with their MIME types (`application/wasm` for streaming compilation),
  precompressed `.br` / `.gz` bodies when the browser accepts them, immutable caching for the
  versioned vendor folders and revalidation (ETag / 304) for everything else; only the files the
  page loads (`STATIC_ALLOWLIST`: its css, images, boot script and the vendored runtime), never
  hidden files, `node_modules`, the demo dapp's sources (the whoami canister serves the built
  demo from `static/vendor/demo` at its own origin) or anything else under `static/`;
- files larger than `SMALL_FILE_BYTES` as a `FileResponse`, streamed in chunks by `replica.app`
  (a client that reads slowly holds one chunk, not the whole wasm); small ones from memory;
- the security headers of the real II page (ii-facts section 7): a strict CSP, relaxed only by
  `dev_csp`; `frame-ancestors 'none'`; no `Cross-Origin-Opener-Policy`, so a dapp's popup keeps
  its `window.opener`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import mimetypes
import os
import re
import tomllib
import zipfile
from stat import S_ISREG
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from replica.config import Config

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".wasm": "application/wasm",
    ".json": "application/json",
    ".toml": "text/plain; charset=utf-8",
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".py": "text/plain; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Folders of the app bundle: the browser app and the shared wire formats. Never the replica.
BUNDLED_PACKAGES = ("app", "ic")
BUNDLED_SUFFIXES = (".py", ".txt")  # modules and the data files they read with importlib.resources
# Paths that are the II page itself: the app routes on them (app/routing.py).
PAGE_PATHS = ("/", "/index.html", "/authorize", "/pair", "/activate")
# The versioned vendor folders: their names change whenever their content does.
VERSIONED = re.compile(r"^static/vendor/[a-z-]+-\d[\w.]*(/|\.mjs$)")
# What the page loads under /static/ (index.html, static/boot.js, pyscript.toml, app/main.py,
# app/ui): one regular expression per kind of file, on the path relative to the site's root.
# File names are plain (letters, digits, `_`, `-`, `.`; no leading dot), so hidden files,
# `node_modules`, the demo dapp's sources, setup's own outputs and odd names never match.
_NAME = r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}"
_VERSION = r"\d[A-Za-z0-9_.]{0,31}"
STATIC_ALLOWLIST = tuple(re.compile(pattern) for pattern in (
    r"static/boot\.js",                                             # the page's boot script
    r"static/pyodide-snapshot(?:-worker|-store)?\.mjs",             # Pyodide, from its snapshot
    rf"static/{_NAME}\.(?:svg|png|ico)",                            # logo, favicon
    rf"static/css/{_NAME}\.(?:css|svg|png|woff2)",                  # the style sheet and its assets
    rf"static/vendor/pyodide-{_VERSION}/{_NAME}\.(?:mjs|js|wasm|json|zip)",   # the Python runtime
    rf"static/vendor/pyscript-{_VERSION}/{_NAME}\.(?:js|css)",      # PyScript and its chunks
    rf"static/vendor/noble-bls-{_VERSION}\.mjs",                    # the BLS verifier bundle
    rf"static/vendor/wheels/{_NAME}\.whl",                          # cbor2, segno
))
# The page's interpreter module and the worker that makes its memory snapshot (snapshot_key).
SNAPSHOT_MODULES = ("static/pyodide-snapshot.mjs", "static/pyodide-snapshot-worker.mjs",
                    "static/pyodide-snapshot-store.mjs")
# Files up to this size are answered from memory (cached while unchanged); larger ones streamed.
SMALL_FILE_BYTES = 256 * 1024
SMALL_FILE_CACHE_BYTES = 16 * 1024 * 1024


def allowed_static_path(relative: str) -> bool:
    """Whether `relative` (e.g. `static/css/app.css`) is a file the II page may load."""
    return any(pattern.fullmatch(relative) for pattern in STATIC_ALLOWLIST)


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class FileResponse:
    """A 200 whose body is the file at `path` (`size` bytes when looked at), streamed by the ASGI
    glue in chunks; `body` reads it whole, for tests and callers that want bytes."""

    status: int
    headers: list[tuple[str, str]]
    path: Path
    size: int

    @property
    def body(self) -> bytes:
        return self.path.read_bytes()


def content_security_policy(dev_csp: bool, port: int | None = None) -> str:
    """The page's CSP: the real II's set, with what Pyodide needs (`wasm-unsafe-eval`).

    `connect-src` also names this replica's own origins (the canisters it hosts, whose
    `/.well-known/ii-alternative-origins` the page may read), as the real page names the IC's.
    The real page's `upgrade-insecure-requests` is left out: this replica speaks plain HTTP on
    loopback, and WebKit and Firefox upgrade `*.localhost` subresources to https, where nothing
    answers (the page never boots; Chromium exempts localhost). Behind a TLS proxy, add it there.
    """
    local = f" http://localhost:{port} http://*.localhost:{port}" if port else ""
    connect = "'self' https: http:" if dev_csp else f"'self' https:{local}"
    directives = [
        "default-src 'none'",
        f"connect-src {connect}",
        "img-src 'self' data:",
        # Pyodide compiles wasm and PyScript evaluates generated code.
        "script-src 'self' 'wasm-unsafe-eval' 'unsafe-eval'",
        "worker-src 'self' blob:",
        "base-uri 'none'",
        "form-action 'none'",
        "style-src 'self' 'unsafe-inline'",
        "font-src 'self'",
        "frame-ancestors 'none'",
        "frame-src 'none'",
    ]
    return ";".join(directives) + ";"


def security_headers(config: Config) -> list[tuple[str, str]]:
    return [
        ("content-security-policy", content_security_policy(config.dev_csp, config.port)),
        ("x-frame-options", "DENY"),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("permissions-policy",
         "accelerometer=(), camera=(), geolocation=(), gyroscope=(), microphone=(), payment=(), "
         "usb=(), clipboard-write=(self), publickey-credentials-get=(self), "
         "publickey-credentials-create=(self)"),
    ]


def bundle_sources(root: Path) -> list[tuple[str, bytes]]:
    """The Python the page runs: every module of `app/` and `ic/` and their data files (the
    recovery phrase word list), sorted by path."""
    return [(path.relative_to(root).as_posix(), path.read_bytes())
            for package in BUNDLED_PACKAGES for path in sorted((root / package).rglob("*"))
            if path.suffix in BUNDLED_SUFFIXES and path.is_file() and "__pycache__" not in path.parts]


def sources_fingerprint(sources: list[tuple[str, bytes]]) -> str:
    """Names the precompiled bundle setup builds for exactly these sources (tools/setup.py)."""
    digest = hashlib.sha256()
    for name, data in sources:
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()[:32]


def build_app_bundle(root: Path) -> bytes:
    """The app bundle: the bytecode setup compiled with the page's own Python (Pyodide) when it
    matches the sources, else the sources themselves. Deterministic, so the ETag only changes
    with the code. Bytecode saves the page compiling every module at each visit."""
    sources = bundle_sources(root)
    compiled = root / "static" / "vendor" / "app-bytecode" / f"{sources_fingerprint(sources)}.zip"
    if compiled.is_file():
        return compiled.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sources:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return buffer.getvalue()


def page_config(config: Config) -> dict[str, object]:
    """What the frontend learns from the page: the equivalent of the classic `data-canister-config`."""
    return {
        "canisterId": config.ii_canister_id,
        "flavor": config.flavor,
        "fetchRootKey": config.fetch_root_key,
        "dummyAuth": config.dummy_auth,
        "dummyAuthPromptForIndex": config.dummy_auth and config.dummy_auth_prompt_for_index,
        "dummyCaptcha": config.dummy_captcha,
    }


def page_files(root: Path) -> list[str]:
    """The URLs pyscript.toml's [files] unpacks into the page's file system (the wheels, /app.zip)."""
    config = root / "pyscript.toml"
    return list(tomllib.loads(config.read_text()).get("files", {})) if config.is_file() else []


def page_snapshot(root: Path, bundle: bytes) -> tuple[str, list[str]] | None:
    """The key and files of the page's Pyodide snapshot, or None for a site without the modules."""
    if not all((root / name).is_file() for name in SNAPSHOT_MODULES):
        return None
    return snapshot_key(root, bundle), page_files(root)


def snapshot_key(root: Path, bundle: bytes) -> str:
    """Names the Pyodide memory snapshot a browser may boot this page from (static/pyodide-snapshot.mjs):
    it changes with the interpreter module and its worker (they name the Pyodide build), the app bundle
    and every other file the page unpacks, so a browser never restores the memory of other code."""
    digest = hashlib.sha256()
    for name in SNAPSHOT_MODULES:
        digest.update(name.encode() + b"\0" + hashlib.sha256((root / name).read_bytes()).digest())
    digest.update(b"/app.zip\0" + hashlib.sha256(bundle).digest())
    for url in page_files(root):
        path = root / url.lstrip("/")
        if url != "/app.zip" and path.is_file():
            digest.update(url.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:32]


def render_index(template: str, config: Config, snapshot: tuple[str, list[str]] | None = None) -> str:
    """The page with this replica's configuration on its `<script type="py">` tag, and, when given,
    the key and files of the Pyodide memory snapshot it may boot from."""
    encoded = base64.b64encode(json.dumps(page_config(config), separators=(",", ":")).encode()).decode()
    marker = '<script type="py"'
    if marker not in template:
        raise RuntimeError("index.html has no <script type=\"py\"> tag to carry the configuration")
    attributes = f' data-canister-id="{config.ii_canister_id}" data-canister-config="{encoded}"'
    if snapshot is not None:
        key, files = snapshot
        attributes += (f' data-snapshot-key="{key}"'
                       f' data-snapshot-files="{html.escape(json.dumps(files), quote=True)}"')
    return template.replace(marker, marker + attributes, 1)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def pick_encoding(accept_encoding: str) -> list[tuple[str, str]]:
    """The precompressed variants the browser accepts, best first: (suffix, content-encoding)."""
    accepted = {token.split(";")[0].strip().lower() for token in accept_encoding.split(",")}
    return [(suffix, name) for suffix, name in ((".br", "br"), (".gz", "gzip")) if name in accepted]


class StaticSite:
    """Serves the II frontend. Pure request -> response; the ASGI glue lives in `replica.app`."""

    def __init__(self, config: Config):
        self.config = config
        self.root = config.static_root
        self._bundle = build_app_bundle(self.root)
        self._index = render_index((self.root / "index.html").read_text(), config,
                                   page_snapshot(self.root, self._bundle)).encode()
        self._bundle_etag = etag_of(self._bundle)
        self._small: dict[Path, tuple[tuple[int, int], bytes]] = {}
        self._small_bytes = 0

    def get(self, path: str, headers: dict[str, str]) -> Response | FileResponse | None:
        """The response for a GET of `path`, or None when this site has no such path."""
        if path in PAGE_PATHS:
            return self._page()
        if path == "/app.zip":
            return self._cached(self._bundle, self._bundle_etag, ".zip", headers)
        if path == "/pyscript.toml":
            return self._file(self.root / "pyscript.toml", "pyscript.toml", headers)
        if path.startswith("/static/"):
            relative = path[1:]
            if not allowed_static_path(relative):
                return None
            return self._file(self.root / PurePosixPath(relative), relative, headers)
        if path == "/favicon.ico":
            return self._file(self.root / "static" / "favicon.ico", "static/favicon.ico", headers)
        return None

    def _page(self) -> Response:
        return Response(200, [("content-type", MIME_TYPES[".html"]),
                              ("cache-control", "no-cache, no-store"),
                              *security_headers(self.config)], self._index)

    def _cached(self, body: bytes, etag: str, suffix: str, request: dict[str, str]) -> Response:
        headers = [("etag", etag), ("cache-control", REVALIDATE), ("x-content-type-options", "nosniff")]
        if request.get("if-none-match") == etag:
            return Response(304, headers, b"")
        return Response(200, [("content-type", MIME_TYPES.get(suffix, "application/octet-stream")),
                              *headers], body)

    def _file(self, path: Path, relative: str, request: dict[str, str]) -> Response | FileResponse | None:
        try:
            stat = path.stat()
        except (OSError, ValueError):
            return None
        if not S_ISREG(stat.st_mode):
            return None
        suffix = path.suffix
        content_type = MIME_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        immutable = bool(VERSIONED.match(relative))
        headers = [("content-type", content_type),
                   ("cache-control", IMMUTABLE if immutable else REVALIDATE),
                   ("vary", "accept-encoding"),
                   ("x-content-type-options", "nosniff")]
        if content_type.startswith("text/html"):
            headers.extend(h for h in security_headers(self.config) if h[0] != "x-content-type-options")
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        headers.append(("etag", etag))
        if not immutable and request.get("if-none-match") == etag:
            return Response(304, headers, b"")
        for compressed_suffix, encoding in pick_encoding(request.get("accept-encoding", "")):
            variant = path.with_name(path.name + compressed_suffix)
            try:
                variant_stat = variant.stat()
            except OSError:
                continue
            if S_ISREG(variant_stat.st_mode):
                return self._body(variant, variant_stat, [*headers, ("content-encoding", encoding)])
        return self._body(path, stat, headers)

    def _body(self, path: Path, stat: os.stat_result, headers: list[tuple[str, str]]) -> Response | FileResponse:
        """A 200 with the file's content: from memory when small, else streamed from disk."""
        if stat.st_size > SMALL_FILE_BYTES:
            return FileResponse(200, headers, path, stat.st_size)
        key = (stat.st_mtime_ns, stat.st_size)
        cached = self._small.get(path)
        if cached is not None and cached[0] == key:
            return Response(200, headers, cached[1])
        try:
            body = path.read_bytes()
        except OSError:
            return FileResponse(200, headers, path, stat.st_size)  # answered 404 if it is gone
        if cached is not None:
            self._small_bytes -= len(cached[1])
            del self._small[path]
        if self._small_bytes + len(body) <= SMALL_FILE_CACHE_BYTES:
            self._small[path] = (key, body)
            self._small_bytes += len(body)
        return Response(200, headers, body)
