"""A canister's execution state and the checkpoint that makes one message all-or-nothing
(interface spec "Execution of calls": an entry point that traps leaves no trace).

What a message may change: main memory and mutable globals (held by the live wasmtime instance,
saved by the engine), stable memory, certified data, the global timer, the cycle balance and the
canister version (held here). `Checkpoint.take` records what is needed to undo a message;
stable-memory writes are journaled (old bytes kept per write) so undoing costs what the message
wrote, not the size of stable memory, and the pages written are noted for the persistence layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

WASM_PAGE = 65536
MAX_STABLE_BYTES = 500 * 1024 * 1024 * 1024  # the IC's stable memory limit (500 GiB)
DEFAULT_CYCLES = 100_000_000_000_000  # the IC's DEFAULT_PROVISIONAL_CYCLES_BALANCE
RUNNING, STOPPING, STOPPED = 1, 2, 3


class StableMemoryBounds(Exception):
    """An access past the end of stable memory (the engine turns it into a trap)."""


class StableMemory:
    """Stable memory in pages of 64 KiB, with an undo journal per message."""

    def __init__(self, data: bytes = b"", *, max_bytes: int = MAX_STABLE_BYTES):
        if len(data) % WASM_PAGE:
            raise ValueError("stable memory must be a whole number of 64 KiB pages")
        self._data = bytearray(data)
        self.max_bytes = max_bytes
        self._journal: list[tuple[int, bytes]] | None = None
        self._written: set[int] = set()  # pages written since `take_written_pages`

    @property
    def pages(self) -> int:
        return len(self._data) // WASM_PAGE

    def __len__(self) -> int:
        return len(self._data)

    def snapshot(self) -> bytes:
        return bytes(self._data)

    def reset(self, data: bytes) -> None:
        """Put back a `snapshot()` (the end of a composite query call)."""
        self._data[:] = data
        self._journal = None  # the pages the call wrote are noted already: they are stored again

    def grow(self, new_pages: int) -> int:
        """Old size in pages, or -1 if growing would pass the limit."""
        old = self.pages
        if new_pages < 0 or (old + new_pages) * WASM_PAGE > self.max_bytes:
            return -1
        self._data.extend(bytes(new_pages * WASM_PAGE))
        return old

    def read(self, offset: int, size: int) -> bytes:
        if offset + size > len(self._data):
            raise StableMemoryBounds()
        return bytes(self._data[offset:offset + size])

    def write(self, offset: int, data: bytes) -> None:
        if offset + len(data) > len(self._data):
            raise StableMemoryBounds()
        if not data:
            return
        if self._journal is not None:
            self._journal.append((offset, bytes(self._data[offset:offset + len(data)])))
        self._data[offset:offset + len(data)] = data
        self._written.update(range(offset // WASM_PAGE, (offset + len(data) - 1) // WASM_PAGE + 1))

    def take_written_pages(self) -> list[tuple[int, bytes]]:
        """The pages written since the last call, as (index, bytes); a page written and then
        undone is among them (with its old bytes), which costs a write, never a wrong page."""
        written, self._written = sorted(self._written), set()
        return [(p, bytes(self._data[p * WASM_PAGE:(p + 1) * WASM_PAGE])) for p in written if p < self.pages]

    def nonzero_pages(self) -> list[tuple[int, bytes]]:
        """Every page that is not all zeros (a full write)."""
        self._written = set()
        zero = bytes(WASM_PAGE)
        pages = ((p, bytes(self._data[p * WASM_PAGE:(p + 1) * WASM_PAGE])) for p in range(self.pages))
        return [(p, data) for p, data in pages if data != zero]

    def begin(self) -> tuple[int, list[tuple[int, bytes]]]:
        self._journal = []
        return len(self._data), self._journal

    def undo(self, size: int, journal: list[tuple[int, bytes]]) -> None:
        for offset, old in reversed(journal):
            self._data[offset:offset + len(old)] = old
        del self._data[size:]
        self._journal = None

    def end(self) -> None:
        self._journal = None


@dataclass
class CanisterState:
    """Everything but the live Wasm instance (main memory and globals)."""

    canister_id: bytes
    controllers: list[bytes] = field(default_factory=list)
    stable: StableMemory = field(default_factory=StableMemory)
    certified_data: bytes = b""
    global_timer: int = 0  # 0: not set
    cycles: int = DEFAULT_CYCLES
    version: int = 0
    status: int = RUNNING


@dataclass
class Checkpoint:
    """What undoing one message needs, besides main memory and globals."""

    state: CanisterState
    stable_size: int
    journal: list[tuple[int, bytes]]
    certified_data: bytes
    global_timer: int
    cycles: int
    version: int

    @classmethod
    def take(cls, state: CanisterState) -> "Checkpoint":
        size, journal = state.stable.begin()
        return cls(state, size, journal, state.certified_data, state.global_timer, state.cycles, state.version)

    def rollback(self) -> None:
        s = self.state
        s.stable.undo(self.stable_size, self.journal)
        s.certified_data, s.global_timer, s.cycles, s.version = (
            self.certified_data, self.global_timer, self.cycles, self.version)

    def commit(self) -> None:
        self.state.stable.end()
