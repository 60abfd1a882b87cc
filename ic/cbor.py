"""CBOR as the Internet Computer uses it (interface spec "CBOR encoding of requests and responses").

A thin, strict layer over cbor2 5.x (RFC 8949), the same pure-Python wheel the page loads in
Pyodide. It keeps to what agent-js's decoder accepts (reference section 1.9):

- `encode` writes definite lengths only, map keys in deterministic (length-first, then bytewise)
  order, no floats, no tags except the self-describe tag 55799 in front (`d9 d9 f7`), integers
  in the 64-bit CBOR range only (no bignum tags). Map keys are text (what the IC uses) or
  integers (what COSE keys need).
- `decode` takes untrusted bytes. Before cbor2 builds anything, a scan of the input checks that
  it is one well-formed item with nothing after it, within `max_size` bytes, `max_depth`
  levels and `max_items` data items (so the scan's own cost is bounded too), that no declared length exceeds the bytes left, that map keys are text, integers or
  byte strings and unique, and that there are no floats, simple values or tags other than 55799
  (unless listed in `allow_tags`). Each failure raises `CborError` naming the offset. The result
  is plain Python: dict, list, bytes, str, int, bool, None (CBOR `undefined` also becomes None).
"""

from __future__ import annotations

from typing import Any, Iterable

import cbor2

from ic.errors import CborError

SELF_DESCRIBE_TAG = 55799
SELF_DESCRIBE_PREFIX = b"\xd9\xd9\xf7"
DEFAULT_MAX_SIZE = 4 * 1024 * 1024
DEFAULT_MAX_DEPTH = 128
DEFAULT_MAX_ITEMS = 1_000_000
UINT64_MAX = 2**64 - 1
NINT64_MIN = -(2**64)

_MAJOR_NAMES = ("unsigned integer", "negative integer", "byte string", "text string", "array", "map", "tag", "simple/float")


# -- encoding -------------------------------------------------------------------------------------


def encode(obj: Any, *, self_describe: bool = True) -> bytes:
    """Deterministic CBOR of plain Python data, prefixed with tag 55799 unless `self_describe=False`.

    Accepts dict (str or int keys), list/tuple, bytes/bytearray/memoryview, str, int within
    [-2**64, 2**64 - 1], bool and None. Anything else (floats, sets, custom objects) raises CborError.
    """
    plain = _plain(obj, "value", 0)
    try:
        body = cbor2.dumps(plain, canonical=True)
    except (cbor2.CBOREncodeError, ValueError, TypeError) as exc:  # not reachable for _plain output
        raise CborError(f"CBOR encode: {exc}") from None
    return SELF_DESCRIBE_PREFIX + body if self_describe else body


def encode_canonical(obj: Any) -> bytes:
    """Deterministic CBOR without the self-describe tag (COSE keys, CTAP2 canonical order)."""
    return encode(obj, self_describe=False)


def _plain(obj: Any, where: str, depth: int) -> Any:
    if depth > DEFAULT_MAX_DEPTH:
        raise CborError(f"CBOR encode: {where} is nested deeper than {DEFAULT_MAX_DEPTH} levels")
    kind = type(obj)
    if kind is bytes or kind is str or obj is None or kind is bool:
        return obj
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        if not NINT64_MIN <= obj <= UINT64_MAX:
            raise CborError(
                f"CBOR encode: {where}: integer {obj} is outside the 64-bit CBOR range "
                f"[-2**64, 2**64-1] (bignum tags are not allowed)"
            )
        return int(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj)
    if isinstance(obj, str):
        return str.__str__(obj)
    if isinstance(obj, (list, tuple)):
        return [_plain(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(obj)]
    if isinstance(obj, dict):
        out: dict[Any, Any] = {}
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise CborError(
                    f"CBOR encode: {where}: map key {key!r} must be a text string or an integer, "
                    f"found {type(key).__name__}"
                )
            plain_key = _plain(key, f"{where} key", depth + 1)
            if plain_key in out:
                raise CborError(f"CBOR encode: {where}: duplicate map key {plain_key!r}")
            out[plain_key] = _plain(value, f"{where}[{key!r}]", depth + 1)
        return out
    if isinstance(obj, float):
        raise CborError(f"CBOR encode: {where}: floats are not allowed (agent-js rejects them), found {obj!r}")
    raise CborError(
        f"CBOR encode: {where}: unsupported type {type(obj).__name__}; expected dict, list, bytes, "
        f"str, int, bool or None"
    )


# -- decoding -------------------------------------------------------------------------------------


def decode(
    data: bytes | bytearray | memoryview,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
    allow_tags: Iterable[int] = (),
) -> Any:
    """Decode exactly one CBOR item (tag 55799 stripped wherever it appears) into plain Python."""
    buf = _as_bytes(data)
    if len(buf) > max_size:
        raise CborError(f"CBOR: input is {len(buf)} bytes, more than the limit of {max_size}")
    scanner = _Scanner(buf, max_depth, frozenset(allow_tags), max_items)
    end = scanner.item(0, 0)
    if end != len(buf):
        raise CborError(
            f"CBOR: {len(buf) - end} unexpected byte(s) after the item at offset {end} "
            f"(expected the input to end there)"
        )
    return _build(buf, scanner)


def decode_prefix(
    data: bytes | bytearray | memoryview,
    *,
    max_size: int = DEFAULT_MAX_SIZE,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_items: int = DEFAULT_MAX_ITEMS,
    allow_tags: Iterable[int] = (),
) -> tuple[Any, int]:
    """Decode the one CBOR item at the start of `data`; return it and the number of bytes it used."""
    buf = _as_bytes(data)
    scanner = _Scanner(buf[:max_size], max_depth, frozenset(allow_tags), max_items)
    end = scanner.item(0, 0)
    return _build(buf[:end], scanner), end


def _as_bytes(data: Any) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    raise CborError(f"CBOR: expected bytes to decode, found {type(data).__name__}")


def _build(buf: bytes, scanner: "_Scanner") -> Any:
    try:
        value = cbor2.loads(buf, tag_hook=_keep_tag, max_depth=scanner.max_depth + 8)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError) as exc:
        raise CborError(f"CBOR: {exc}") from None
    return _undefined_to_none(value) if scanner.saw_undefined else value


def _keep_tag(_decoder: Any, tag: Any) -> Any:
    return tag


def _undefined_to_none(value: Any) -> Any:
    if value is cbor2.undefined:
        return None
    if isinstance(value, list):
        return [_undefined_to_none(v) for v in value]
    if isinstance(value, dict):
        return {k: _undefined_to_none(v) for k, v in value.items()}
    return value


class _Scanner:
    """Checks well-formedness and limits without building values (so nothing big is allocated)."""

    def __init__(self, data: bytes, max_depth: int, allow_tags: frozenset[int], max_items: int = DEFAULT_MAX_ITEMS):
        self.data = data
        self.max_depth = max_depth
        self.items_left = max_items
        self.max_items = max_items
        self.allow_tags = allow_tags
        self.saw_undefined = False

    def head(self, pos: int) -> tuple[int, int, int | None, int]:
        """(major type, additional info, argument or None if indefinite, offset after the head)."""
        data = self.data
        if pos >= len(data):
            raise CborError(f"CBOR: input ends at offset {pos}, expected another data item")
        initial = data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, pos + 1
        if info <= 27:
            size = 1 << (info - 24)
            if pos + 1 + size > len(data):
                raise CborError(
                    f"CBOR: {_MAJOR_NAMES[major]} head at offset {pos} needs {size} argument byte(s), "
                    f"only {len(data) - pos - 1} left"
                )
            return major, info, int.from_bytes(data[pos + 1 : pos + 1 + size], "big"), pos + 1 + size
        if info == 31 and major in (2, 3, 4, 5, 7):
            return major, info, None, pos + 1
        raise CborError(f"CBOR: malformed head 0x{initial:02x} at offset {pos} (reserved additional information {info})")

    def item(self, pos: int, depth: int) -> int:
        """Offset just after the well-formed item starting at `pos`."""
        if depth > self.max_depth:
            raise CborError(f"CBOR: item at offset {pos} is nested deeper than {self.max_depth} levels")
        major, info, arg, after = self.head(pos)
        if major != 6:  # a tag and the item it marks count as one
            self.items_left -= 1
            if self.items_left < 0:
                raise CborError(f"CBOR: item at offset {pos} is one more than the limit of {self.max_items} data items")
        if major <= 1:
            return after
        if major <= 3:
            return self.string(pos)[1]
        if major == 4:
            return self.array(pos, after, arg, depth)
        if major == 5:
            return self.map(pos, after, arg, depth)
        if major == 6:
            assert arg is not None
            if arg != SELF_DESCRIBE_TAG and arg not in self.allow_tags:
                raise CborError(f"CBOR: tag {arg} at offset {pos} is not allowed (only the self-describe tag 55799)")
            return self.item(after, depth + 1)
        return self.simple(pos, info, arg)

    def simple(self, pos: int, info: int, arg: int | None) -> int:
        if info in (20, 21, 22):
            return pos + 1
        if info == 23:
            self.saw_undefined = True
            return pos + 1
        if info in (25, 26, 27):
            raise CborError(f"CBOR: float at offset {pos} is not allowed (the IC uses no floats)")
        if arg is None:
            raise CborError(f"CBOR: unexpected 'break' (0xff) at offset {pos} outside an indefinite-length item")
        raise CborError(f"CBOR: simple value {arg} at offset {pos} is not allowed (only false, true, null, undefined)")

    def string(self, pos: int) -> tuple[bytes, int]:
        """The content and end offset of the byte/text string at `pos` (content copied only for keys)."""
        major, _info, length, after = self.head(pos)
        data = self.data
        if length is not None:
            end = after + length
            if end > len(data):
                raise CborError(
                    f"CBOR: {_MAJOR_NAMES[major]} at offset {pos} declares {length} bytes, "
                    f"only {len(data) - after} left"
                )
            if major == 3:
                self.check_utf8(data, after, end)
            return memoryview(data)[after:end], end
        chunks: list[Any] = []
        cursor = after
        while True:
            if cursor >= len(data):
                raise CborError(f"CBOR: indefinite-length {_MAJOR_NAMES[major]} at offset {pos} has no 'break'")
            if data[cursor] == 0xFF:
                joined = b"".join(chunks)
                return joined, cursor + 1
            chunk_major, _, chunk_len, _ = self.head(cursor)
            if chunk_major != major or chunk_len is None:
                raise CborError(
                    f"CBOR: chunk at offset {cursor} of the indefinite-length {_MAJOR_NAMES[major]} at offset "
                    f"{pos} must be a definite {_MAJOR_NAMES[major]}, found {_MAJOR_NAMES[chunk_major]}"
                    f"{' (indefinite)' if chunk_len is None and chunk_major == major else ''}"
                )
            content, cursor = self.string(cursor)
            chunks.append(content)

    @staticmethod
    def check_utf8(data: bytes, start: int, end: int) -> None:
        try:
            data[start:end].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CborError(
                f"CBOR: text string content at offset {start} is not valid UTF-8 "
                f"(byte {start + exc.start}: {exc.reason})"
            ) from None

    def count(self, pos: int, after: int, n: int, per_item: int, what: str) -> None:
        left = len(self.data) - after
        if n * per_item > left:
            raise CborError(f"CBOR: {what} at offset {pos} declares {n} items, but only {left} bytes are left")

    def array(self, pos: int, after: int, n: int | None, depth: int) -> int:
        cursor = after
        if n is not None:
            self.count(pos, after, n, 1, "array")
            for _ in range(n):
                cursor = self.item(cursor, depth + 1)
            return cursor
        while True:
            if cursor >= len(self.data):
                raise CborError(f"CBOR: indefinite-length array at offset {pos} has no 'break'")
            if self.data[cursor] == 0xFF:
                return cursor + 1
            cursor = self.item(cursor, depth + 1)

    def map(self, pos: int, after: int, n: int | None, depth: int) -> int:
        cursor = after
        seen: set[tuple[int, Any]] = set()
        if n is not None:
            self.count(pos, after, n, 2, "map")
        index = 0
        while n is None or index < n:
            if n is None:
                if cursor >= len(self.data):
                    raise CborError(f"CBOR: indefinite-length map at offset {pos} has no 'break'")
                if self.data[cursor] == 0xFF:
                    return cursor + 1
            key, cursor_after_key = self.key(cursor, depth + 1)
            if key in seen:
                raise CborError(f"CBOR: duplicate map key {key[1]!r} at offset {cursor} in the map at offset {pos}")
            seen.add(key)
            cursor = self.item(cursor_after_key, depth + 1)
            index += 1
        return cursor

    def key(self, pos: int, depth: int) -> tuple[tuple[int, Any], int]:
        """A comparable form of the map key at `pos` (text, integer or byte string) and its end."""
        cursor = pos
        major, _info, arg, after = self.head(cursor)
        while major == 6 and arg == SELF_DESCRIBE_TAG:
            cursor = after
            major, _info, arg, after = self.head(cursor)
        if major == 0:
            return (0, arg), after
        if major == 1:
            assert arg is not None
            return (0, -1 - arg), after
        if major in (2, 3):
            content, end = self.string(cursor)
            value: Any = bytes(content)
            if major == 3:
                value = value.decode("utf-8")
            return (major, value), end
        raise CborError(
            f"CBOR: map key at offset {pos} must be a text string, integer or byte string, "
            f"found {_MAJOR_NAMES[major]}"
        )
