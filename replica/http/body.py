"""Reading a request body under a byte limit, for every ASGI app of the replica.

    body = await read_body(scope, receive, limit)    # raises BodyRefused

A declared `Content-Length` over the limit is refused before anything is read; a body that turns
out longer is refused as soon as it passes the limit. Each app words the refusal its own way
(the IC API's texts, the HTTP gateway's): `BodyRefused` carries the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

BAD_LENGTH, TOO_LARGE, DISCONNECTED = "bad-length", "too-large", "disconnected"


@dataclass
class BodyRefused(Exception):
    kind: str  # BAD_LENGTH, TOO_LARGE or DISCONNECTED
    limit: int
    declared: int | None = None  # a Content-Length over the limit

    @property
    def status(self) -> int:
        return 413 if self.kind == TOO_LARGE else 400


async def read_body(scope: dict, receive, limit: int) -> bytes:
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                raise BodyRefused(BAD_LENGTH, limit) from None
            if declared > limit:
                raise BodyRefused(TOO_LARGE, limit, declared)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BodyRefused(DISCONNECTED, limit)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyRefused(TOO_LARGE, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
