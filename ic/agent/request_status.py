"""An update's outcome, read from a verified certificate (ic-interface-facts §6 `/request_status`).

`read_request_status(tree, request_id)` looks up `request_status/<rid>/{status, reply, reject_code,
reject_message, error_code}` and returns a `RequestStatus`. Only call it on the tree of a
certificate that `ic.certificate` has verified. `outcome()` turns a terminal status into the reply
bytes or a `RejectError`; pending states (`received`, `processing`, or a status the tree does not
show yet) are for the caller to poll again.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any, Optional

from ic import hash_tree
from ic.agent.errors import RejectError, RequestStatusError, ResponseError


class Status(str, Enum):
    RECEIVED = "received"
    PROCESSING = "processing"
    REPLIED = "replied"
    REJECTED = "rejected"
    DONE = "done"
    UNKNOWN = "unknown"  # absent from the tree, or pruned: not known yet


PENDING = frozenset({Status.RECEIVED, Status.PROCESSING, Status.UNKNOWN})


@dataclass(frozen=True)
class RequestStatus:
    status: Status
    reply: Optional[bytes] = None
    reject_code: Optional[int] = None
    reject_message: Optional[str] = None
    error_code: Optional[str] = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING

    def outcome(self, *, method: str = "", request_id: Optional[bytes] = None) -> bytes:
        """The reply bytes of a replied call; raises `RejectError` or `RequestStatusError` otherwise."""
        if self.status is Status.REPLIED:
            assert self.reply is not None
            return self.reply
        if self.status is Status.REJECTED:
            raise RejectError(
                self.reject_code or 0,
                self.reject_message or "",
                self.error_code,
                method=method,
                certified=True,
                request_id=request_id,
            )
        if self.status is Status.DONE:
            raise RequestStatusError(
                f"request {_rid(request_id)} is 'done': its reply is no longer available (it was read and pruned)"
            )
        raise RequestStatusError(f"request {_rid(request_id)} is still '{self.status.value}'")


def _rid(request_id: Optional[bytes]) -> str:
    return "0x" + request_id.hex() if request_id else "(unknown id)"


def read_request_status(tree: Any, request_id: bytes) -> RequestStatus:
    """The request status of `request_id` in a verified certificate's tree."""
    base = [b"request_status", bytes(request_id)]
    where = f"request_status/{_rid(request_id)}"
    status_text = _leaf(tree, base + [b"status"])
    if status_text is None:
        return RequestStatus(Status.UNKNOWN)
    try:
        status = Status(status_text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ResponseError(f"{where}/status: unexpected status {status_text!r}") from None
    if status is Status.UNKNOWN:
        raise ResponseError(f"{where}/status: unexpected status 'unknown'")
    if status is Status.REPLIED:
        reply = _leaf(tree, base + [b"reply"])
        if reply is None:
            raise ResponseError(f"{where}: status is 'replied' but the certificate has no reply")
        return RequestStatus(status, reply=reply)
    if status is Status.REJECTED:
        code = _leaf(tree, base + [b"reject_code"])
        message = _leaf(tree, base + [b"reject_message"])
        if code is None or message is None:
            raise ResponseError(f"{where}: status is 'rejected' but reject_code or reject_message is missing")
        error_code = _leaf(tree, base + [b"error_code"])
        return RequestStatus(
            status,
            reject_code=decode_nat(code, f"{where}/reject_code"),
            reject_message=message.decode("utf-8", "replace"),
            error_code=error_code.decode("utf-8", "replace") if error_code is not None else None,
        )
    return RequestStatus(status)


def _leaf(tree: Any, path: list[bytes]) -> Optional[bytes]:
    """The leaf at `path`; None when absent or unknown (still pending); error on a subtree."""
    result = hash_tree.lookup_path(tree, path)
    if isinstance(result, hash_tree.Found):
        return result.value
    if isinstance(result, hash_tree.NotALeaf):
        raise ResponseError("/" + "/".join(_show(p) for p in path) + ": expected a value, found a subtree")
    return None


def _show(label: bytes) -> str:
    printable = len(label) < 32 and label.isascii() and label.decode("ascii").isprintable()
    return label.decode("ascii") if printable else "0x" + label.hex()


def decode_nat(data: bytes, where: str) -> int:
    """Unsigned LEB128, the encoding of nat leaves (ic-interface-facts §6)."""
    value = shift = 0
    for index, byte in enumerate(data):
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            if index != len(data) - 1:
                break
            return value
    raise ResponseError(f"{where}: not a LEB128 number ({data.hex()})")

