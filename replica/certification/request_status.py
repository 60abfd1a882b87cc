"""The `/request_status/<request id>` part of the state (ic-interface-facts §6, §1.3).

A request id executes at most once: its record stays until the request's own ingress expiry has
passed (after which the envelope would be refused anyway), so a replay returns the recorded
outcome instead of running the call again. Records are also what read_state reveals, readable
only by their sender.
"""

from __future__ import annotations

from dataclasses import dataclass

from ic.request_id import encode_leb128


@dataclass(frozen=True)
class Outcome:
    """Result of executing a call: a Candid reply, or a reject with code, message and error code."""

    reply: bytes | None = None
    reject_code: int = 0
    reject_message: str = ""
    error_code: str = ""

    @property
    def replied(self) -> bool:
        return self.reply is not None

    @classmethod
    def rejected(cls, code: int, message: str, error_code: str) -> "Outcome":
        return cls(None, code, message, error_code)


@dataclass(frozen=True)
class RequestRecord:
    request_id: bytes
    sender: bytes
    canister_id: bytes  # the effective canister id the call was sent to
    expiry_ns: int
    status: str  # received | processing | replied | rejected | done
    outcome: Outcome | None = None

    def tree(self) -> dict[bytes, bytes]:
        """Labels and leaves of `/request_status/<id>`."""
        node: dict[bytes, bytes] = {b"status": self.status.encode()}
        if self.status == "replied" and self.outcome is not None:
            node[b"reply"] = self.outcome.reply or b""
        elif self.status == "rejected" and self.outcome is not None:
            node[b"reject_code"] = encode_leb128(self.outcome.reject_code)
            node[b"reject_message"] = self.outcome.reject_message.encode()
            node[b"error_code"] = self.outcome.error_code.encode()
        return node


class RequestStatusStore:
    """Records by request id; forgets a record once its ingress expiry lies in the past."""

    def __init__(self) -> None:
        self._records: dict[bytes, RequestRecord] = {}

    def get(self, request_id: bytes) -> RequestRecord | None:
        return self._records.get(request_id)

    def put(self, record: RequestRecord) -> None:
        self._records[record.request_id] = record

    def purge(self, now_ns: int) -> int:
        expired = [rid for rid, rec in self._records.items() if rec.expiry_ns < now_ns]
        for rid in expired:
            del self._records[rid]
        return len(expired)

    def __len__(self) -> int:
        return len(self._records)
