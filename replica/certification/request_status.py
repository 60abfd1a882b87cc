"""The `/request_status/<request id>` part of the state: the ingress history (interface spec
"Request status", "Overview of canister calling"; ic-interface-facts §6, §1.3).

A request id executes at most once. Its record stays until the request's own ingress expiry has
passed (after which the envelope would be refused anyway), so a replay returns the recorded
outcome instead of running the call again. Records are also what read_state reveals, readable
only by their sender.

Bounded, as the IC bounds its ingress history:
- at most `max_entries` records; past that a new call is refused (`IngressHistoryFull`, answered
  429) until expired records make room, rather than the history growing without limit;
- replies and reject messages take at most `max_reply_bytes` in all: past that the oldest answered
  records are pruned to status `done` (their outcome forgotten, their id kept against replays), as
  the IC does when its ingress history is full. The newest record always keeps its reply, so a
  synchronous call can still be answered with it.

Durable when given a `Storage`: each record is written in the transaction that the caller opens
around the call (`executing()`), together with the canister's own writes, and the unexpired records
are loaded back at start, so a replay after a restart is answered, not executed, and a v2 client
polling across a restart still learns the outcome.
"""

from __future__ import annotations

from collections import OrderedDict
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import ContextManager, Protocol

from ic.request_id import encode_leb128

DEFAULT_MAX_ENTRIES = 50_000
DEFAULT_MAX_REPLY_BYTES = 32 * 1024 * 1024


class IngressHistoryFull(Exception):
    """No room for another record: the caller should retry once older calls have expired."""


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

    @property
    def outcome_bytes(self) -> int:
        """What this record's outcome costs in memory: the reply or the reject message."""
        if self.outcome is None or self.status == "done":
            return 0
        return len(self.outcome.reply or b"") + len(self.outcome.reject_message)

    def pruned(self) -> "RequestRecord":
        return replace(self, status="done", outcome=None)


class IngressStorage(Protocol):
    """The part of `replica.storage.Storage` the ingress history uses."""

    def transaction(self) -> ContextManager[object]: ...
    def save_ingress(self, row: tuple) -> None: ...
    def prune_ingress_replies(self, request_ids: list[bytes]) -> None: ...
    def load_ingress(self, now_ns: int, limit: int) -> list[tuple]: ...
    def purge_ingress(self, now_ns: int) -> int: ...


class RequestStatusStore:
    """Records by request id, oldest first; bounded in count and in outcome bytes."""

    def __init__(
        self,
        storage: IngressStorage | None = None,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES,
        now_ns: int = 0,
    ) -> None:
        self.storage = storage
        self.max_entries = max_entries
        self.max_reply_bytes = max_reply_bytes
        self._records: OrderedDict[bytes, RequestRecord] = OrderedDict()
        self._answered: OrderedDict[bytes, None] = OrderedDict()  # records still holding an outcome
        self.reply_bytes = 0
        if storage is not None:
            for row in storage.load_ingress(now_ns, max_entries):
                self._remember(_from_row(row))

    def get(self, request_id: bytes) -> RequestRecord | None:
        return self._records.get(request_id)

    def admit(self, now_ns: int) -> None:
        """Raise `IngressHistoryFull` unless one more record fits (after forgetting expired ones)."""
        if len(self._records) >= self.max_entries:
            self.purge(now_ns)
        if len(self._records) >= self.max_entries:
            oldest = next(iter(self._records.values()))
            wait_s = max(1, (oldest.expiry_ns - now_ns) // 1_000_000_000 + 1)
            raise IngressHistoryFull(
                f"The replica's ingress history is full: {len(self._records)} calls are still within "
                f"their ingress expiry (the limit is {self.max_entries}). Retry in about {wait_s} s."
            )

    def executing(self) -> ContextManager[object]:
        """The transaction to run a call in; `put` inside it commits with the canister's writes."""
        return self.storage.transaction() if self.storage is not None else nullcontext()

    def put(self, record: RequestRecord) -> None:
        """Record an executed call, then prune older outcomes past the byte budget."""
        if self.storage is not None:
            self.storage.save_ingress(_to_row(record))
        self._forget(record.request_id)
        self._remember(record)
        pruned: list[bytes] = []
        while self.reply_bytes > self.max_reply_bytes and len(self._answered) > 1:
            rid, _ = self._answered.popitem(last=False)
            old = self._records[rid]
            self.reply_bytes -= old.outcome_bytes
            self._records[rid] = old.pruned()
            pruned.append(rid)
        if pruned and self.storage is not None:
            self.storage.prune_ingress_replies(pruned)

    def purge(self, now_ns: int) -> int:
        """Forget the records whose ingress expiry lies in the past."""
        expired = [rid for rid, rec in self._records.items() if rec.expiry_ns < now_ns]
        for rid in expired:
            self._forget(rid)
        if self.storage is not None:
            self.storage.purge_ingress(now_ns)
        return len(expired)

    def __len__(self) -> int:
        return len(self._records)

    def _remember(self, record: RequestRecord) -> None:
        self._records[record.request_id] = record
        if record.outcome_bytes:
            self._answered[record.request_id] = None
            self.reply_bytes += record.outcome_bytes

    def _forget(self, request_id: bytes) -> None:
        old = self._records.pop(request_id, None)
        if old is not None and request_id in self._answered:
            del self._answered[request_id]
            self.reply_bytes -= old.outcome_bytes


def _to_row(record: RequestRecord) -> tuple:
    outcome = record.outcome or Outcome()
    return (record.request_id, record.sender, record.canister_id, record.expiry_ns, record.status,
            outcome.reply, outcome.reject_code, outcome.reject_message, outcome.error_code)


def _from_row(row: tuple) -> RequestRecord:
    request_id, sender, canister_id, expiry_ns, status, reply, reject_code, reject_message, error_code = row
    outcome = None if status == "done" else Outcome(reply, reject_code, reject_message, error_code)
    return RequestRecord(request_id, sender, canister_id, expiry_ns, status, outcome)
