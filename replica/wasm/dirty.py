"""Which 64 KiB pages of a canister's main memory a message wrote: the committed image, commit and
rollback at a cost that follows the pages written, not the heap (issue 12 item 6).

    image = MemoryImage(address, length)       # a copy of the committed memory, taken once
    image.commit(address, length) -> {pages}   # after a message that commits: what it changed
    image.rollback(address, length) -> bool    # after one that does not: live memory put back;
                                               # False if the memory grew (re-instantiate, `shadow`)
    image.close()

How the written pages are found:

- **The kernel** (Linux 6.7 and later): the live memory is registered with a userfaultfd in
  asynchronous write-protect mode, so the first write to each protected 4 KiB page is resolved by
  the kernel itself, which marks the page written; after the message one `PAGEMAP_SCAN` ioctl on
  /proc/self/pagemap lists the written pages and protects them again. No handler thread, no
  signal (wasmtime's own SIGSEGV handling is untouched), unprivileged (`UFFD_USER_MODE_ONLY`).
  Cost: a few microseconds per page first written, a fraction of a millisecond per scan.
- **A scan** where the kernel cannot (older kernels, containers whose seccomp forbids the
  syscall): the live memory is compared with the image by `memcmp`, in 4 MiB chunks, then by page
  where a chunk differs. Cost: memory bandwidth, about 20 ms for 256 MB here.

Either way, a page counts only if its bytes differ from the image, so a page written back to its
old value is not stored again. Pages the memory grew by are compared in full (zeros unless
written), then tracked like the rest.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import weakref

log = logging.getLogger(__name__)
PAGE = 64 * 1024  # the unit stored and reported (a Wasm page)
CHUNK = 4 * 1024 * 1024
RESERVATION = 4 * 1024 ** 3  # the address space wasmtime reserves per memory (the engine sets it)
KERNEL_TRACKING = True  # tests set it False to run the scan

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_libc.ioctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p]
_memcmp = _libc.memcmp
_memcmp.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
_memcmp.restype = ctypes.c_int

# <linux/userfaultfd.h> and <linux/fs.h> (PAGEMAP_SCAN); the ioctl numbers are the same on x86_64
# and arm64, the syscall number is not.
_NR_USERFAULTFD = {"x86_64": 323, "aarch64": 282}.get(platform.machine())
_UFFD_USER_MODE_ONLY, _O_CLOEXEC = 1, os.O_CLOEXEC
_UFFDIO_API, _UFFDIO_REGISTER, _UFFDIO_WRITEPROTECT = 0xC018AA3F, 0xC020AA00, 0xC018AA06
_PAGEMAP_SCAN = 0xC0606610
_FEATURES = (1 << 0) | (1 << 12) | (1 << 13) | (1 << 15)  # PAGEFAULT_FLAG_WP, WP_HUGETLBFS_SHMEM, WP_UNPOPULATED, WP_ASYNC
_REGISTER_MODE_WP, _WRITEPROTECT_MODE_WP = 2, 1
_PAGE_IS_WRITTEN = 1 << 1
_PM_SCAN_WP_MATCHING, _PM_SCAN_CHECK_WPASYNC = 1, 2
_U64 = ctypes.c_uint64


class _Api(ctypes.Structure):
    _fields_ = [("api", _U64), ("features", _U64), ("ioctls", _U64)]


class _Range(ctypes.Structure):  # uffdio_register (with mode, ioctls) and uffdio_writeprotect (with mode)
    _fields_ = [("start", _U64), ("len", _U64), ("mode", _U64), ("ioctls", _U64)]


class _Protect(ctypes.Structure):
    _fields_ = [("start", _U64), ("len", _U64), ("mode", _U64)]


class _Region(ctypes.Structure):
    _fields_ = [("start", _U64), ("end", _U64), ("categories", _U64)]


class _Scan(ctypes.Structure):  # struct pm_scan_arg
    _fields_ = [(name, _U64) for name in ("size", "flags", "start", "end", "walk_end", "vec", "vec_len", "max_pages",
                                          "category_inverted", "category_mask", "category_anyof_mask", "return_mask")]


def _ioctl(fd: int, request: int, arg) -> int:
    result = _libc.ioctl(fd, request, ctypes.byref(arg))
    if result < 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"ioctl {request:#x}: {os.strerror(errno)}")
    return result


def _mapping_end(address: int) -> int:
    """The end of the run of adjacent mappings that starts at `address` (wasmtime's reservation:
    the accessible heap, then inaccessible space the heap grows into; another memory's mapping may
    follow at once, so the caller bounds it by `RESERVATION`)."""
    spans = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            low, high = (int(x, 16) for x in line.split(None, 1)[0].split("-"))
            spans.append((low, high))
    end = address
    for low, high in sorted(spans):
        if low <= end < high:
            end = high
    return end


class _KernelTracker:
    """userfaultfd asynchronous write-protection over [address, address + length)."""

    def __init__(self, address: int, length: int):
        if _NR_USERFAULTFD is None:
            raise OSError(0, f"no userfaultfd syscall number for {platform.machine()}")
        fd = _libc.syscall(_NR_USERFAULTFD, _O_CLOEXEC | _UFFD_USER_MODE_ONLY)
        if fd < 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"userfaultfd: {os.strerror(errno)}")
        self.fd, self.pagemap = fd, -1
        try:
            _ioctl(fd, _UFFDIO_API, _Api(0xAA, _FEATURES, 0))  # EINVAL before Linux 6.7 (no WP_ASYNC)
            reserved = max(min(_mapping_end(address) - address, RESERVATION), length)
            _ioctl(fd, _UFFDIO_REGISTER, _Range(address, reserved, _REGISTER_MODE_WP, 0))
            self.pagemap = os.open("/proc/self/pagemap", os.O_RDONLY | os.O_CLOEXEC)
        except BaseException:
            self.close()
            raise
        self.address, self.length, self.reserved = address, length, reserved
        self._vec = (_Region * 512)()
        self._protect(0, length)

    def _protect(self, offset: int, length: int) -> None:
        if length:
            _ioctl(self.fd, _UFFDIO_WRITEPROTECT, _Protect(self.address + offset, length, _WRITEPROTECT_MODE_WP))

    def written(self, length: int) -> set[int]:
        """The pages written since the last call, protected again; pages the memory grew by
        (up to `length`) all count and are protected from now on."""
        pages: set[int] = set()
        start, end = self.address, self.address + self.length
        scan = _Scan(ctypes.sizeof(_Scan))
        while start < end:
            scan.flags, scan.start, scan.end, scan.walk_end = _PM_SCAN_WP_MATCHING | _PM_SCAN_CHECK_WPASYNC, start, end, 0
            scan.vec, scan.vec_len = ctypes.addressof(self._vec), len(self._vec)
            scan.category_mask = scan.return_mask = _PAGE_IS_WRITTEN
            found = _ioctl(self.pagemap, _PAGEMAP_SCAN, scan)
            for region in self._vec[:found]:
                first, last = (region.start - self.address) // PAGE, (region.end - 1 - self.address) // PAGE
                pages.update(range(first, last + 1))
            if found < len(self._vec) or scan.walk_end >= end:
                break
            start = scan.walk_end
        if length > self.length:
            if length > self.reserved:
                raise OSError(0, "the memory grew past the range registered for tracking")
            pages.update(range(self.length // PAGE, -(-length // PAGE)))
            self._protect(self.length, length - self.length)
            self.length = length
        return pages

    def close(self) -> None:
        for fd in (self.pagemap, self.fd):
            if fd >= 0:
                os.close(fd)  # closing the userfaultfd unregisters the range
        self.pagemap = self.fd = -1


class MemoryImage:
    """The committed image of one live linear memory, and what the message since wrote."""

    def __init__(self, address: int, length: int):
        self.shadow = bytearray(ctypes.string_at(address, length)) if length else bytearray()
        self.address = address
        self._tracker: _KernelTracker | None = None
        self._start(address, length)

    def _start(self, address: int, length: int) -> None:
        self.address, self._tracker = address, self._track(address, length)
        if self._tracker is not None:  # an image dropped without `close` still gives its descriptors back
            weakref.finalize(self, self._tracker.close)

    @staticmethod
    def _track(address: int, length: int) -> _KernelTracker | None:
        if not KERNEL_TRACKING or not address:
            return None
        try:
            return _KernelTracker(address, length)
        except OSError as exc:
            _note_scan(exc)
            return None

    @property
    def kernel_tracked(self) -> bool:
        return self._tracker is not None

    def _candidates(self, address: int, length: int) -> set[int] | None:
        """Pages that may differ from the image (None: any page may)."""
        if address != self.address:  # wasmtime moved the memory to grow it: start tracking anew
            self.close()
            self._start(address, length)
            return None
        if self._tracker is None:
            return None
        try:
            return self._tracker.written(length)
        except OSError as exc:
            log.warning("dirty-page tracking stopped (%s); comparing the whole memory instead", exc)
            self.close()
            return None

    def commit(self, address: int, length: int) -> set[int]:
        """Fold what the message changed into the image; return those pages."""
        candidates = self._candidates(address, length)
        if length > len(self.shadow):
            self.shadow.extend(bytes(length - len(self.shadow)))
        shadow = (ctypes.c_char * len(self.shadow)).from_buffer(self.shadow) if self.shadow else None
        try:
            base = ctypes.addressof(shadow) if shadow is not None else 0
            changed = _differing(address, base, length, candidates)
            for page in changed:
                offset = page * PAGE
                ctypes.memmove(base + offset, address + offset, min(PAGE, length - offset))
        finally:
            del shadow
        return changed

    def rollback(self, address: int, length: int) -> bool:
        """Put the committed bytes back. False when the memory grew: Wasm memory cannot shrink,
        so the caller re-instantiates and loads `shadow`."""
        candidates = self._candidates(address, length)
        if length > len(self.shadow):
            return False
        shadow = (ctypes.c_char * len(self.shadow)).from_buffer(self.shadow) if self.shadow else None
        try:
            base = ctypes.addressof(shadow) if shadow is not None else 0
            for page in _differing(address, base, length, candidates):
                offset = page * PAGE
                ctypes.memmove(address + offset, base + offset, min(PAGE, length - offset))
        finally:
            del shadow
        if self._tracker is not None:
            self._candidates(address, length)  # our own writes: protect those pages again
        return True

    def close(self) -> None:
        if self._tracker is not None:
            self._tracker.close()
            self._tracker = None


def _differing(live: int, image: int, length: int, candidates: set[int] | None) -> set[int]:
    """The pages of [0, length) whose bytes differ between the two buffers."""
    if candidates is not None:
        return {p for p in candidates if p * PAGE < length
                and _memcmp(live + p * PAGE, image + p * PAGE, min(PAGE, length - p * PAGE))}
    out: set[int] = set()
    if not length or not _memcmp(live, image, length):
        return out
    for chunk in range(0, length, CHUNK):
        size = min(CHUNK, length - chunk)
        if _memcmp(live + chunk, image + chunk, size):
            for offset in range(chunk, chunk + size, PAGE):
                if _memcmp(live + offset, image + offset, min(PAGE, length - offset)):
                    out.add(offset // PAGE)
    return out


_scan_noted = False


def _note_scan(reason: OSError) -> None:
    global _scan_noted
    if not _scan_noted:
        _scan_noted = True
        log.info("the kernel cannot track written pages here (%s); each message compares the heap instead", reason)
