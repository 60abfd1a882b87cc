"""A developer's built frontend folder, served at its canister's origin as DFINITY's asset canister
(`ic-certified-assets`, the frontend canister of dfx and icp-cli) serves the uploaded folder.

How a request finds its file, as the asset canister's `http_request` does (sdk repository,
`src/canisters/frontend/ic-certified-assets/src/state_machine`):

- the path (query dropped, percent-decoded) names a file of the folder: that file;
- else an alias: `/dir/` -> `/dir/index.html`; `/page` (not ending in `.html`) -> `/page.html`,
  then `/page/index.html`;
- else the fallback `/index.html`, answered **200**: for *every* missing path, with or without
  an extension (`/missing.js` and `/missing.html` too; the asset canister's own test
  `returns_index_file_for_missing_assets`), so client-side routes load the app. Without an
  `index.html` a missing path is `404 not found` (text/plain), the asset canister's 404.

What is in the folder, as an upload would make it:

- hidden files and folders (a segment starting with `.`) are absent, as `icp deploy` / `dfx
  deploy` leave them out, except `/.well-known/...` (the folder developers include with
  `.ic-assets.json` `"ignore": false`): served, with `access-control-allow-origin: *` (II reads
  `ii-alternative-origins` from its own origin) and, for the extension-less
  `ii-alternative-origins`, `application/json`, the headers the II docs tell developers to set;
- a path with a `..` or `.` segment or a backslash is refused (400); a file whose real path leaves
  the folder (a symlink out of it) is absent.

Each HTML response (the fallback included) carries the `ic_env` cookie of icp-cli's asset
canister: `Set-Cookie: ic_env=<value>; SameSite=Lax`, where the value is
`ic_root_key=<hex of the DER root key>&<NAME>=<value>&...` (names in sorted order) with every byte
but ASCII letters and digits percent-encoded (`ic-certified-assets` `cookies.rs`,
`canister_env.rs`, `url.rs`), what `@icp-sdk/core`'s `getCanisterEnv()` / `safeGetCanisterEnv()`
read (`canister-env/index.ts`: split on `&`, then on the first `=`, `ic_root_key` hex of 133 bytes).

Responses: the MIME type of `replica.http.static` (else Python's table, else
application/octet-stream), `cache-control: no-cache` with an ETag (a rebuilt folder shows at the
next load; `If-None-Match` answers 304), `x-content-type-options: nosniff`; no CSP or frame
policy (the dapp sets its own, as on the asset canister). A precompressed sibling
(`app.js.br`, `app.js.gz`) is sent when the browser accepts it; else compressible files up to
`GZIP_MAX_BYTES` are gzipped in memory (cached while unchanged). Files larger than
`SMALL_FILE_BYTES` that go uncompressed are streamed from disk (`FileResponse`).
"""

from __future__ import annotations

import gzip
import mimetypes
import os
from collections import OrderedDict
from pathlib import Path
from stat import S_ISREG

from replica.http.static import MIME_TYPES, SMALL_FILE_BYTES, FileResponse, Response, pick_encoding

FALLBACK = "/index.html"
WELL_KNOWN = ".well-known"
ALTERNATIVE_ORIGINS = "/.well-known/ii-alternative-origins"
REVALIDATE = "no-cache"
GZIP_MIN_BYTES = 1024
GZIP_MAX_BYTES = 8 * 1024 * 1024
GZIP_CACHE_BYTES = 32 * 1024 * 1024
SMALL_CACHE_BYTES = 16 * 1024 * 1024
# Beyond `replica.http.static.MIME_TYPES`: what built frontends hold (the system's mime.types
# differs between machines).
FRONTEND_MIME_TYPES = {
    ".htm": "text/html; charset=utf-8",
    ".cjs": "text/javascript; charset=utf-8",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".xml": "application/xml",
    ".md": "text/markdown; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".did": "text/plain; charset=utf-8",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".eot": "application/vnd.ms-fontobject",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".bmp": "image/bmp",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".gz": "application/gzip",
    ".br": "application/octet-stream",
}
_COMPRESSIBLE_PREFIXES = ("text/", "application/json", "application/manifest+json", "application/xml",
                          "application/wasm", "image/svg+xml", "application/javascript")
_SAFE = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")


class PathRefused(Exception):
    """A request path no file may be looked up for (a `..` segment...): answered 400."""


def url_encode(text: str) -> str:
    """Every byte of `text`'s UTF-8 but ASCII letters and digits as `%XX` (upper-case hex): the
    percent-encoding crate's `NON_ALPHANUMERIC` set, which the asset canister encodes the cookie with."""
    return "".join(chr(b) if b in _SAFE else f"%{b:02X}" for b in text.encode("utf-8"))


def ic_env_value(root_key: bytes, env: dict[str, str]) -> str:
    """The `ic_env` cookie's value: `ic_root_key=<hex>` then the `NAME=value` pairs in name order,
    joined with `&`, percent-encoded."""
    for name, value in env.items():
        if not name or "=" in name or "&" in name or ";" in name:
            raise ValueError(f"canister environment name {name!r} must be non-empty, without '=', '&' or ';'")
        if "&" in value:
            raise ValueError(f"the value of canister environment variable {name} must not contain '&'")
    pairs = [f"ic_root_key={bytes(root_key).hex()}", *(f"{k}={env[k]}" for k in sorted(env))]
    return url_encode("&".join(pairs))


def ic_env_cookie(root_key: bytes, env: dict[str, str]) -> str:
    """The `Set-Cookie` value icp-cli's asset canister sends with its HTML files."""
    return f"ic_env={ic_env_value(root_key, env)}; SameSite=Lax"


def mime_type(name: str) -> str:
    suffix = os.path.splitext(name)[1].lower()
    return (MIME_TYPES.get(suffix) or FRONTEND_MIME_TYPES.get(suffix) or mimetypes.guess_type(name)[0]
            or "application/octet-stream")


def compressible(content_type: str) -> bool:
    return content_type.startswith(_COMPRESSIBLE_PREFIXES) or "javascript" in content_type


class FrontendSite:
    """One built frontend folder, served as its asset canister would. Pure request -> response;
    the ASGI glue is `replica.app`."""

    def __init__(self, root: Path, *, cookie: str | None = None):
        root = Path(root)
        if not root.is_dir():
            raise ValueError(f"the frontend folder {root} is not a directory")
        self.root = Path(os.path.realpath(root))
        self.cookie = cookie  # the `Set-Cookie` value of HTML responses, or None
        self._gzipped: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._gzipped_bytes = 0
        self._small: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()
        self._small_bytes = 0

    def get(self, path: str, headers: dict[str, str]) -> Response | FileResponse:
        """The response to a GET of `path` (percent-decoded, without the query). Raises
        `PathRefused` for a path no file may be looked up for."""
        if "\\" in path or "\x00" in path:
            raise PathRefused("a backslash or NUL in the path")
        segments = path.split("/")[1:]
        if any(segment in ("..", ".") for segment in segments):
            raise PathRefused("a '.' or '..' segment in the path")
        for key in (path, *aliases_of(path)):
            found = self._find(key)
            if found is not None:
                return self._serve(key, *found, headers)
        found = self._find(FALLBACK)
        if found is not None:
            return self._serve(FALLBACK, *found, headers)
        return Response(404, [("content-type", "text/plain"), ("x-content-type-options", "nosniff")], b"not found")

    # -- lookup ------------------------------------------------------------------------------------

    def _find(self, key: str) -> tuple[str, os.stat_result] | None:
        """(real path, stat) of the regular file asset `key` names, or None."""
        if not key.startswith("/") or key.endswith("/"):
            return None
        parts = key[1:].split("/")
        if any(not part for part in parts):
            return None  # `//`: no asset key has an empty segment
        if any(part.startswith(".") for part in parts[1:]) or (parts[0].startswith(".") and parts[0] != WELL_KNOWN):
            return None
        candidate = os.path.realpath(os.path.join(self.root, *parts))
        if not candidate.startswith(str(self.root) + os.sep):
            return None  # a symlink out of the folder
        try:
            stat = os.stat(candidate)
        except (OSError, ValueError):
            return None
        return (candidate, stat) if S_ISREG(stat.st_mode) else None

    # -- responses ---------------------------------------------------------------------------------

    def _serve(self, key: str, real: str, stat: os.stat_result, request: dict[str, str]) -> Response | FileResponse:
        content_type = "application/json" if key == ALTERNATIVE_ORIGINS else mime_type(key)
        headers = [("content-type", content_type), ("cache-control", REVALIDATE),
                   ("x-content-type-options", "nosniff")]
        if key.startswith(f"/{WELL_KNOWN}/"):
            headers.append(("access-control-allow-origin", "*"))
        if key.endswith(".html") and self.cookie is not None:
            headers.append(("set-cookie", self.cookie))
        squeezable = compressible(content_type)
        if squeezable:
            headers.append(("vary", "accept-encoding"))
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        accepted = pick_encoding(request.get("accept-encoding", ""))
        # A precompressed sibling (`app.js.br`, `app.js.gz`) when the browser takes it.
        for suffix, encoding in accepted:
            variant = real + suffix
            try:
                variant_stat = os.stat(variant)
            except OSError:
                continue
            if S_ISREG(variant_stat.st_mode) and os.path.realpath(variant).startswith(str(self.root) + os.sep):
                tag = f'"{variant_stat.st_mtime_ns:x}-{variant_stat.st_size:x}-{encoding}"'
                if request.get("if-none-match") == tag:
                    return Response(304, [*headers, ("etag", tag)], b"")
                return self._body(Path(variant), variant_stat,
                                  [*headers, ("content-encoding", encoding), ("etag", tag)])
        if squeezable and "gzip" in {e for _, e in accepted} and GZIP_MIN_BYTES <= stat.st_size <= GZIP_MAX_BYTES:
            tag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}-gzip"'
            if request.get("if-none-match") == tag:
                return Response(304, [*headers, ("etag", tag)], b"")
            body = self._gzip(real, stat)
            if body is not None:
                return Response(200, [*headers, ("content-encoding", "gzip"), ("etag", tag)], body)
        if request.get("if-none-match") == etag:
            return Response(304, [*headers, ("etag", etag)], b"")
        return self._body(Path(real), stat, [*headers, ("etag", etag)])

    def _body(self, path: Path, stat: os.stat_result, headers: list[tuple[str, str]]) -> Response | FileResponse:
        if stat.st_size > SMALL_FILE_BYTES:
            return FileResponse(200, headers, path, stat.st_size)
        key = (str(path), stat.st_mtime_ns, stat.st_size)
        body = self._small.get(key)
        if body is None:
            try:
                body = path.read_bytes()
            except OSError:
                return FileResponse(200, headers, path, stat.st_size)  # answered 404 if it is gone
            self._small_bytes = _remember(self._small, self._small_bytes, key, body, SMALL_CACHE_BYTES)
        return Response(200, headers, body)

    def _gzip(self, real: str, stat: os.stat_result) -> bytes | None:
        key = (real, stat.st_mtime_ns, stat.st_size)
        body = self._gzipped.get(key)
        if body is not None:
            self._gzipped.move_to_end(key)
            return body
        try:
            with open(real, "rb") as file:
                data = file.read(GZIP_MAX_BYTES + 1)
        except OSError:
            return None
        if len(data) > GZIP_MAX_BYTES:
            return None
        body = gzip.compress(data, compresslevel=6, mtime=0)
        self._gzipped_bytes = _remember(self._gzipped, self._gzipped_bytes, key, body, GZIP_CACHE_BYTES)
        return body


def aliases_of(key: str) -> list[str]:
    """The asset keys a path also names (the asset canister's `aliases_of`)."""
    if key.endswith("/"):
        return [f"{key}index.html"]
    if not key.endswith(".html"):
        return [f"{key}.html", f"{key}/index.html"]
    return []


def _remember(cache: OrderedDict, used: int, key: tuple, body: bytes, budget: int) -> int:
    """Keep `body` under `key` in `cache` (oldest entries dropped past `budget` bytes, and older
    versions of the same file); the bytes the cache holds now."""
    for old in [k for k in cache if k[0] == key[0]]:
        used -= len(cache.pop(old))
    if len(body) > budget:
        return used
    while cache and used + len(body) > budget:
        _, dropped = cache.popitem(last=False)
        used -= len(dropped)
    cache[key] = body
    return used + len(body)
