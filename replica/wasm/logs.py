"""A canister's log: what it printed with `debug_print` and why its messages trapped, as
`fetch_canister_logs` returns it (interface spec "Canister logs": numbered records, each with
the time of its message).

    log = CanisterLog()
    log.append(time_ns, text)              # the next index; the oldest record goes past the bound
    log.records() -> [LogRecord(idx, time_ns, text), ...]   oldest first
    log.since(idx)                         the records numbered idx and later (what to persist)
    CanisterLog(records, next_idx)         as loaded back from disk

A trapped message keeps its prints and adds a `[TRAP]: <reason>` record, as the IC does: the log
is what a developer reads when a call fails. Bounded: the newest `max_records` records, each at
most `MAX_RECORD_BYTES` of UTF-8 (longer texts are cut).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable

MAX_RECORDS = 1000
MAX_RECORD_BYTES = 4096


@dataclass(frozen=True)
class LogRecord:
    idx: int
    time_ns: int
    text: str


class CanisterLog:
    def __init__(self, records: Iterable[LogRecord] = (), next_idx: int = 0, *, max_records: int = MAX_RECORDS):
        self._records: deque[LogRecord] = deque(records, maxlen=max_records)
        self.next_idx = max(next_idx, self._records[-1].idx + 1 if self._records else 0)

    def append(self, time_ns: int, text: str) -> LogRecord:
        data = text.encode("utf-8", "backslashreplace")
        if len(data) > MAX_RECORD_BYTES:
            text = data[:MAX_RECORD_BYTES].decode("utf-8", "ignore")
        record = LogRecord(self.next_idx, time_ns, text)
        self._records.append(record)
        self.next_idx += 1
        return record

    def records(self) -> list[LogRecord]:
        return list(self._records)

    def since(self, idx: int) -> list[LogRecord]:
        return [r for r in self._records if r.idx >= idx]

    def __len__(self) -> int:
        return len(self._records)
