"""The demo dapp canister "whoami": tells the caller who they are (DESIGN §1, issue 4 item 7).

`whoami` (query) and `whoami_update` (update) return the caller's principal, so a dapp that signed
in with Internet Identity sees the principal its delegation chain authenticates. `http_request`
serves the demo dapp's assets at the canister's own origin,
`/.well-known/ii-alternative-origins` (the list II checks for `derivationOrigin`) and
`/.well-known/ii-app-metadata` (the name and logo II's authorize screen shows; the assets'
`ii-app-metadata.json`). II's page reads both and the logo from its own origin, so they carry
`access-control-allow-origin: *`.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Iterable
from urllib.parse import unquote

from replica.runtime.contract import CallContext, CanisterTrap

DID_TEXT = """\
type HeaderField = record { text; text };
type HttpRequest = record {
  method : text;
  url : text;
  headers : vec HeaderField;
  body : blob;
  certificate_version : opt nat16;
};
type HttpResponse = record {
  status_code : nat16;
  headers : vec HeaderField;
  body : blob;
  upgrade : opt bool;
};
service : {
  whoami : () -> (principal) query;
  whoami_update : () -> (principal);
  http_request : (HttpRequest) -> (HttpResponse) query;
}
"""

ALTERNATIVE_ORIGINS_PATH = "/.well-known/ii-alternative-origins"
APP_METADATA_PATH = "/.well-known/ii-app-metadata"
APP_METADATA_FILE = "ii-app-metadata.json"
MAX_ASSET_BYTES = 8 * 1024 * 1024


class WhoamiCanister:
    name = "whoami"
    did_text = DID_TEXT

    def __init__(self, canister_id, *, alternative_origins: Iterable[str] = (), assets_dir: Path | None = None):
        self.canister_id = canister_id
        self.alternative_origins = tuple(alternative_origins)
        self.assets_dir = Path(assets_dir).resolve() if assets_dir is not None else None

    def call(self, method: str, ctx: CallContext, args: list) -> list:
        if method in ("whoami", "whoami_update"):
            return [ctx.caller]
        if method == "http_request":
            return [self._candid_http_response(self.http_request(_request_from_candid(args[0])))]
        raise CanisterTrap(f"whoami has no method '{method}'")

    # -- HTTP at the canister's own origin -----------------------------------------------------

    def http_request(self, request: dict) -> dict:
        """`{method, url, headers, body}` -> `{status_code, headers: [(name, value)], body}`."""
        method = str(request.get("method", "GET")).upper()
        path = unquote(str(request.get("url", "/")).split("?", 1)[0].split("#", 1)[0]) or "/"
        if method not in ("GET", "HEAD"):
            return _text(405, f"Method {method} not allowed; the whoami canister serves GET only.")
        if path == ALTERNATIVE_ORIGINS_PATH:
            body = json.dumps({"alternativeOrigins": list(self.alternative_origins)}).encode()
            return {
                "status_code": 200,
                "headers": [("content-type", "application/json"), ("access-control-allow-origin", "*")],
                "body": body,
            }
        if path == APP_METADATA_PATH:
            return self._asset("/" + APP_METADATA_FILE)
        return self._asset(path)

    def _asset(self, path: str) -> dict:
        if self.assets_dir is None:
            return _text(404, f"Not found: {path} (the whoami canister has no assets configured)")
        relative = path.lstrip("/") or "index.html"
        if relative.endswith("/"):
            relative += "index.html"
        target = (self.assets_dir / relative).resolve()
        if self.assets_dir not in target.parents and target != self.assets_dir:
            return _text(404, f"Not found: {path}")
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file() or target.stat().st_size > MAX_ASSET_BYTES:
            return _text(404, f"Not found: {path}")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        headers = [("content-type", content_type)]
        if target.name == APP_METADATA_FILE or content_type.startswith("image/"):
            headers.append(("access-control-allow-origin", "*"))
        return {"status_code": 200, "headers": headers, "body": target.read_bytes()}

    @staticmethod
    def _candid_http_response(response: dict) -> dict:
        return {
            "status_code": response["status_code"],
            "headers": [tuple(h) for h in response["headers"]],
            "body": response["body"],
            "upgrade": None,
        }


def _request_from_candid(value: dict) -> dict:
    return {
        "method": value.get("method", "GET"),
        "url": value.get("url", "/"),
        "headers": value.get("headers", []),
        "body": value.get("body", b""),
    }


def _text(status: int, message: str) -> dict:
    return {"status_code": status, "headers": [("content-type", "text/plain; charset=utf-8")], "body": message.encode()}
