"""A dapp's own name, tagline and logo for the authorize screen (the real II's `appMetadata.ts`).

A dapp may serve `/.well-known/ii-app-metadata` at the origin its principals are derived for (the
validated `derivationOrigin`, else the requesting origin): `{"name", "description", "logo"}`, all
optional. Anyone can publish one, so the origin stays on the screen beside it. The rules:

- fetched with `redirect: "error"`, `credentials: "omit"`, `Accept: application/json`, 10 s for
  the connection and the body; only a 200 counts; at most 8 KiB (a larger `Content-Length` or
  body ends it); the body is strict UTF-8 JSON whose top level is an object;
- all or nothing: one present field that breaks a rule voids the whole document. `name` (at most
  40 code points) and `description` (120) are strings without control, zero-width or bidi
  formatting characters (ZWNJ/ZWJ allowed), not blank; shown with whitespace collapsed. `logo` is
  a non-empty URL that resolves, against the origin, to that same origin;
- the logo is a second fetch (`Accept: image/*`, at most 256 KiB, 200 only) whose content type is
  one of `LOGO_CONTENT_TYPES` and whose body is not empty; it is shown as a `data:` URL (the
  page's `img-src` allows `data:`, not the dapp's origin). A logo that fails loses only itself;
- a document with no usable field, or any failure at all, gives None: the screen shows the origin.

The fetch itself is the adapter's (`app.browser.app_metadata.fetch_capped`); this module decides.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Awaitable, Callable, Optional
from urllib.parse import urljoin, urlsplit

PATH = "/.well-known/ii-app-metadata"
MAX_DOCUMENT_BYTES = 8_192
MAX_NAME_CHARS = 40
MAX_DESCRIPTION_CHARS = 120
MAX_LOGO_BYTES = 262_144
LOGO_CONTENT_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/avif", "image/svg+xml")
FETCH_TIMEOUT_MS = 10_000
DOCUMENT_ACCEPT = "application/json"
LOGO_ACCEPT = "image/*"

# Control characters other than the ASCII whitespace ones (\t \n \v \f \r), ALM, ZWSP, LRM, RLM,
# the bidi embeddings/overrides and isolates, and the BOM.
_FORBIDDEN = re.compile("[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f"
                        "\u202a-\u202e\u2066-\u2069\ufeff]")
# JavaScript's `\s`: what the real page collapses into one space.
_JS_SPACE = re.compile("[\t\n\u000b\u000c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")
_URL_TABS = re.compile("[\t\n\r]")
_INVALID = object()  # a present field that breaks a rule: it voids the whole document


@dataclass(frozen=True)
class Fetched:
    """What the adapter's capped fetch got. `status` 0 when the fetch rejected (network, CORS, a
    redirect under `redirect: "error"`, the timeout: `error` says which); `oversize` when the
    declared or streamed length passed the cap (then `body` is empty)."""

    status: int
    body: bytes = b""
    content_type: str = ""
    oversize: bool = False
    error: Optional[str] = None


@dataclass(frozen=True)
class AppMetadata:
    name: Optional[str] = None
    description: Optional[str] = None
    logo: Optional[str] = None  # a `data:` URL, ready for `<img src>`


@dataclass(frozen=True)
class Document:
    """A document that passed: its shown texts and the logo URL still to fetch."""

    name: Optional[str]
    description: Optional[str]
    logo_url: Optional[str]


Fetch = Callable[[str, str, int], Awaitable[Fetched]]  # (url, accept, max_bytes)


def metadata_origin(request_origin: str, derivation_origin: Optional[str]) -> str:
    """The origin whose document presents the dapp: the (validated) derivation origin, if any."""
    return derivation_origin or request_origin


def _origin_of(url: str) -> Optional[str]:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    return f"{parts.scheme}://{parts.hostname}" + (f":{port}" if port not in (None, default) else "")


def document_url(origin: str) -> Optional[str]:
    base = _origin_of(origin)
    return None if base is None else base + PATH


def _usable(fetched: Fetched, max_bytes: int) -> bool:
    return (fetched.error is None and fetched.status == 200 and not fetched.oversize
            and len(fetched.body) <= max_bytes)


def _text(value: object, max_chars: int) -> object:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > max_chars or _FORBIDDEN.search(value):
        return _INVALID
    shown = _JS_SPACE.sub(" ", value).strip(" ")
    return shown or _INVALID


def _logo_url(value: object, origin: str) -> object:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        return _INVALID
    base = _origin_of(origin)
    if base is None:
        return _INVALID
    # As `new URL(value, origin)` reads it: outer C0 controls and spaces dropped, tabs and
    # newlines anywhere removed, `\\` a path separator.
    cleaned = _URL_TABS.sub("", value.strip("".join(map(chr, range(0x21))))).replace("\\", "/")
    try:
        resolved = urljoin(base + "/", cleaned)
    except ValueError:
        return _INVALID
    return resolved if _origin_of(resolved) == base else _INVALID


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def parse_document(fetched: Fetched, origin: str) -> Optional[Document]:
    """The document `origin` served, or None when it is missing, too large, malformed or breaks a
    rule (one bad field voids it all)."""
    if not _usable(fetched, MAX_DOCUMENT_BYTES):
        return None
    try:  # strict UTF-8 (a leading BOM dropped, as `TextDecoder` does); JSON as `JSON.parse` reads it
        parsed = json.loads(fetched.body.decode("utf-8-sig"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(parsed, dict):
        return None
    present = {key: (parsed[key] if parsed[key] is not None else _INVALID)
               for key in ("name", "description", "logo") if key in parsed}
    name = _text(present.get("name"), MAX_NAME_CHARS)
    description = _text(present.get("description"), MAX_DESCRIPTION_CHARS)
    logo_url = _logo_url(present.get("logo"), origin)
    if any(field is _INVALID for field in (name, description, logo_url)):
        return None
    return Document(name, description, logo_url)  # type: ignore[arg-type]


def logo_data_url(fetched: Fetched) -> Optional[str]:
    """The fetched logo as a `data:` URL, or None (not 200, too large, empty, a type not allowed)."""
    if not _usable(fetched, MAX_LOGO_BYTES) or not fetched.body:
        return None
    content_type = fetched.content_type.split(";", 1)[0].strip().lower()
    if content_type not in LOGO_CONTENT_TYPES:
        return None
    return f"data:{content_type};base64,{base64.b64encode(fetched.body).decode('ascii')}"


async def load(origin: str, fetch: Fetch) -> Optional[AppMetadata]:
    """Fetch and check `origin`'s document and its logo; None means: show the origin alone."""
    url = document_url(origin)
    if url is None:
        return None
    document = parse_document(await fetch(url, DOCUMENT_ACCEPT, MAX_DOCUMENT_BYTES), origin)
    if document is None:
        return None
    logo = None
    if document.logo_url is not None:
        logo = logo_data_url(await fetch(document.logo_url, LOGO_ACCEPT, MAX_LOGO_BYTES))
    if document.name is None and document.description is None and logo is None:
        return None
    return AppMetadata(document.name, document.description, logo)

