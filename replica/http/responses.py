"""HTTP responses of the IC HTTP interface (ic-interface-facts sections 1.1-1.7).

Successful answers are self-describing CBOR (`application/cbor`); refusals are plain text, the way
the real replica words them, because agent-js looks at the text (e.g. `Invalid request expiry: `).
"""

from __future__ import annotations

from dataclasses import dataclass, field

CBOR = "application/cbor"
TEXT = "text/plain; charset=utf-8"

# CORS as the real replica answers it: any origin, GET/POST, these request headers, no Vary.
CORS_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, POST, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, Authorization, Content-Type"),
    (b"access-control-max-age", b"7200"),
)


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        headers = list(CORS_HEADERS)
        if self.content_type is not None:
            headers.append((b"content-type", self.content_type.encode()))
        # Every answer means exactly its content type: a plain-text refusal is never sniffed as HTML.
        headers.append((b"x-content-type-options", b"nosniff"))
        headers.append((b"content-length", str(len(self.body)).encode()))
        headers.extend(self.headers)
        return headers


class HttpError(Exception):
    """A refusal answered with `status` and a plain-text `text` (no state was changed)."""

    def __init__(self, status: int, text: str):
        super().__init__(text)
        self.status = status
        self.text = text

    def response(self) -> Response:
        return text_response(self.status, self.text)


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode("utf-8"), TEXT)


def cbor_response(obj: object, status: int = 200) -> Response:
    from ic import cbor

    return Response(status, cbor.encode(obj), CBOR)


def accepted() -> Response:
    """202 Accepted with an empty body: the v2 call was taken in; poll read_state."""
    return Response(202, b"")


def bad_request(text: str) -> HttpError:
    return HttpError(400, text)
