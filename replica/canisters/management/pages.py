"""Which 64 KiB pages of a memory a message changed (issue 12 item 6: store what a message dirtied).

`PageImage` is the on-disk copy of one memory (main or stable) of one canister. `changes(address,
length)` compares the live memory with it page by page (`memcmp`, no copies) and returns the pages
that differ, updating the image as it goes; only those pages are written to the database. The scan
reads the whole heap once (memory bandwidth: about 1 ms per 10 MB here); the work that grows with
a message is the copying and writing of the pages it dirtied.
"""

from __future__ import annotations

import ctypes
import ctypes.util

PAGE = 64 * 1024
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None)
_memcmp = _libc.memcmp
_memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
_memcmp.restype = ctypes.c_int


def _buffer_address(buf: bytearray) -> tuple[int, object]:
    """The address of a bytearray's storage and the ctypes object that pins it (keep it alive)."""
    if not buf:
        return 0, None
    pin = (ctypes.c_char * len(buf)).from_buffer(buf)
    return ctypes.addressof(pin), pin


class PageImage:
    """What the database holds of one memory, kept in RAM to diff against."""

    def __init__(self, data: bytes | bytearray = b""):
        self.data = bytearray(data)

    def __len__(self) -> int:
        return len(self.data)

    def reset(self) -> None:
        self.data = bytearray()

    def changes(self, address: int, length: int) -> tuple[list[tuple[int, bytes]], bool]:
        """(changed pages as (index, bytes), whether the image was reset because memory shrank).

        After a reset the caller must drop every stored page first: the returned pages are then
        all non-zero pages of the new memory."""
        reset = length < len(self.data)
        if reset:
            self.data = bytearray()
        if length > len(self.data):
            self.data.extend(bytes(length - len(self.data)))
        if not length:
            return [], reset
        base, pin = _buffer_address(self.data)
        try:
            if _memcmp(address, base, length) == 0:
                return [], reset
            out = []
            for offset in range(0, length, PAGE):
                size = min(PAGE, length - offset)
                if _memcmp(address + offset, base + offset, size):
                    ctypes.memmove(base + offset, address + offset, size)
                    out.append((offset // PAGE, ctypes.string_at(address + offset, size)))
            return out, reset
        finally:
            del pin

    def changes_of(self, buf: bytearray) -> tuple[list[tuple[int, bytes]], bool]:
        """`changes` for a memory held in a bytearray (stable memory)."""
        address, pin = _buffer_address(buf)
        try:
            return self.changes(address, len(buf))
        finally:
            del pin


def assemble(length: int, pages) -> bytearray:
    """A memory of `length` bytes from stored (index, bytes) pages; missing pages are zero."""
    out = bytearray(length)
    for index, data in pages:
        start = index * PAGE
        if start + len(data) <= length:
            out[start:start + len(data)] = data
    return out
