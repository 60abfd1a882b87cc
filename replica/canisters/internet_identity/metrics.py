"""`stats` and the Prometheus `/metrics` page served by `http_request` (reference section 3).

`http_request` answers GET (and OPTIONS) only, 405 otherwise: `/metrics` (Prometheus text
format 0.0.4), `/.well-known/webauthn` and `/.well-known/ic-domains` (from `related_origins`), and
404 for anything else. Reading metrics changes no state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from collections.abc import Callable


@dataclass(frozen=True)
class Gauge:
    name: str
    help: str
    value: int | float


def render_prometheus(gauges: list[Gauge]) -> str:
    lines: list[str] = []
    for g in gauges:
        lines.append(f"# HELP {g.name} {g.help}")
        lines.append(f"# TYPE {g.name} gauge")
        lines.append(f"{g.name} {g.value}")
    return "\n".join(lines) + "\n"


SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none';"),
]


def http_response(status: int, body: bytes, content_type: str | None, extra: list | None = None) -> dict:
    headers = list(SECURITY_HEADERS)
    if content_type:
        headers.append(("Content-Type", content_type))
    headers.append(("Content-Length", str(len(body))))
    headers.extend(extra or [])
    return {"status_code": status, "headers": headers, "body": body, "upgrade": None}


def serve_http(method: str, url: str, gauges: Callable[[], list[Gauge]],
               related_origins: list[str] | None) -> dict:
    """(status, headers as (name, value) pairs, body) for a canister HTTP request."""
    path = url.split("?", 1)[0].split("#", 1)[0]
    if method.upper() not in ("GET", "HEAD", "OPTIONS"):
        return http_response(405, f"Method {method} not allowed.".encode(), "text/plain",
                             [("Allow", "GET, OPTIONS")])
    if method.upper() == "OPTIONS":
        return http_response(204, b"", None, [("Allow", "GET, OPTIONS")])
    if path == "/metrics":
        body = render_prometheus(gauges()).encode()
        return http_response(200, body, "text/plain; version=0.0.4; charset=utf-8")
    if path == "/.well-known/webauthn" and related_origins is not None:
        body = json.dumps({"origins": related_origins}).encode()
        return http_response(200, body, "application/json")
    if path == "/.well-known/ic-domains" and related_origins is not None:
        hosts = [o.split("://", 1)[-1] for o in related_origins]
        return http_response(200, "\n".join(hosts).encode(), "text/plain")
    return http_response(404, f"Asset {path} not found.".encode(), "text/plain")
