"""Main and stable memory as the database keeps them: 64 KiB pages, an absent page all zeros
(issue 12 item 6). Which pages a message wrote is the engine's business (`replica.wasm.dirty`,
`StableMemory.take_written_pages`); this brings a memory back from its pages.
"""

from __future__ import annotations

PAGE = 64 * 1024


def assemble(length: int, pages) -> bytearray:
    """A memory of `length` bytes from stored (index, bytes) pages; missing pages are zero."""
    out = bytearray(length)
    for index, data in pages:
        start = index * PAGE
        if start + len(data) <= length:
            out[start:start + len(data)] = data
    return out
