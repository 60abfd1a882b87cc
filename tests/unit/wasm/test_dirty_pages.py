"""The pages a message wrote, with the kernel's write tracking and with the scan that stands in for
it: commit keeps exactly those pages, rollback puts them back, a grown memory is re-instantiated;
`take_written_pages` hands the persistence layer the committed pages and nothing else."""

from __future__ import annotations

import ctypes

import pytest

from replica.wasm import dirty
from replica.wasm.dirty import PAGE, MemoryImage
from tests.unit.wasm.conftest import CONTROLLER, USER, wat

REPLY = '(import "ic0" "msg_reply" (func $reply))'
ARG = ('(import "ic0" "msg_arg_data_copy" (func $copy (param i32 i32 i32)))'
       '(import "ic0" "msg_arg_data_size" (func $size (result i32)))')
TRAP = '(import "ic0" "trap" (func $trap (param i32 i32)))'
# `write`: the argument (copied to address 0, so page 0 is written too) is a list of u32 page
# numbers; each page gets a byte 7 at offset 100.
# `write_trap`: the same, then traps. `grow_write_trap`: grows by 2 pages, writes the last, traps.
# `grow_write`: grows by 2 pages and writes the last one.
BODY = f'''(module {REPLY} {ARG} {TRAP} (memory 64)
  (func $pages (local $i i32) (local $n i32)
    (call $copy (i32.const 0) (i32.const 0) (call $size))
    (local.set $n (call $size))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.mul (i32.load (local.get $i)) (i32.const 65536)) (i32.const 100)) (i32.const 7))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next))))
  (func (export "canister_update write") call $pages call $reply)
  (func (export "canister_query write_in_query") call $pages call $reply)
  (func (export "canister_update write_trap") call $pages (call $trap (i32.const 0) (i32.const 0)))
  (func (export "canister_update grow_write")
    (drop (memory.grow (i32.const 2)))
    (i32.store8 (i32.const {65 * PAGE + 5}) (i32.const 9)) call $reply)
  (func (export "canister_update grow_write_trap")
    (drop (memory.grow (i32.const 2)))
    (i32.store8 (i32.const {65 * PAGE + 5}) (i32.const 9)) (call $trap (i32.const 0) (i32.const 0))))'''


@pytest.fixture(params=["kernel", "scan"])
def tracking(request, monkeypatch):
    monkeypatch.setattr(dirty, "KERNEL_TRACKING", request.param == "kernel")
    return request.param


def pages_arg(*pages: int) -> bytes:
    return b"".join(p.to_bytes(4, "little") for p in pages)


def memory(c) -> bytes:
    return ctypes.string_at(*c._live.span())


def kernel_can_track() -> bool:
    import mmap

    region = mmap.mmap(-1, PAGE)
    pin = ctypes.c_char.from_buffer(region)
    image = MemoryImage(ctypes.addressof(pin), PAGE)
    try:
        return image.kernel_tracked
    finally:
        image.close()
        del pin
        region.close()


@pytest.fixture
def installed(canister, tracking):
    c = canister()
    assert c.install(wat(BODY), b"", CONTROLLER, 1).replied
    c.memory_pages()  # what an install writes; from here on only what messages commit
    assert c.update("write", b"", USER, 1).replied  # the first message takes the image
    assert c._live.image().kernel_tracked == (tracking == "kernel" and kernel_can_track())
    c.take_written_pages()
    return c


def test_an_update_reports_exactly_the_pages_it_wrote(installed):
    c = installed
    assert c.update("write", pages_arg(3, 40, 63), USER, 2).replied
    written = c.take_written_pages()
    assert [p for p, _ in written] == [0, 3, 40, 63]
    assert all(data[100] == 7 and len(data) == PAGE for _, data in written[1:])
    assert c.take_written_pages() == []
    assert c.update("write", pages_arg(3, 40, 63), USER, 3).replied  # the same bytes again: no change
    assert c.take_written_pages() == []


def test_a_trap_and_a_query_put_every_page_back(installed):
    c = installed
    before = memory(c)
    assert c.update("write_trap", pages_arg(1, 2, 50), USER, 2).reject_code == 5
    assert memory(c) == before and c.take_written_pages() == []
    assert c.query("write_in_query", pages_arg(5, 6), USER, 3).replied
    assert memory(c) == before and c.take_written_pages() == []
    assert c.update("write", pages_arg(9), USER, 4).replied  # and the tracking goes on after both
    assert [p for p, _ in c.take_written_pages()] == [0, 9]


def test_growth_is_tracked_and_a_trap_after_growth_reinstantiates(installed):
    c = installed
    before = memory(c)
    assert c.update("grow_write_trap", b"", USER, 2).reject_code == 5
    assert memory(c) == before and len(memory(c)) == 64 * PAGE
    assert c.update("grow_write", b"", USER, 3).replied
    assert [p for p, _ in c.take_written_pages()] == [65]
    assert c.update("write", pages_arg(65, 0), USER, 4).replied
    assert [p for p, _ in c.take_written_pages()] == [0, 65]


def test_the_image_of_a_plain_mapping(tracking):
    import mmap

    if tracking == "kernel" and not kernel_can_track():
        pytest.skip("this kernel cannot track written pages (Linux 6.7+ userfaultfd write-protect)")
    region = mmap.mmap(-1, 8 * PAGE)  # private anonymous memory, like wasmtime's heap
    pin = (ctypes.c_char * (8 * PAGE)).from_buffer(region)
    address = ctypes.addressof(pin)
    image = MemoryImage(address, 8 * PAGE)
    try:
        assert image.kernel_tracked == (tracking == "kernel")
        ctypes.memset(address + 2 * PAGE + 9, 1, 1)
        ctypes.memset(address + 7 * PAGE, 1, PAGE)
        assert image.commit(address, 8 * PAGE) == {2, 7}
        assert image.commit(address, 8 * PAGE) == set()
        ctypes.memset(address + 4 * PAGE, 3, 10)
        assert image.rollback(address, 8 * PAGE)
        assert ctypes.string_at(address + 4 * PAGE, 10) == bytes(10)
        assert image.commit(address, 8 * PAGE) == set()
    finally:
        image.close()
        del pin
        region.close()
