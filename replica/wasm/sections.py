"""The few parts of the WebAssembly binary format the engine reads itself (Wasm core spec 5.5,
"Modules"): the section list, custom sections, memory, globals, start and data segments, and the
export section, which the engine extends (`export_for_engine`) to reach what it saves per message.

Everything else (validation, code, types) is left to wasmtime. The readers are bounded: each
length is checked against the bytes that remain before anything is sliced.
"""

from __future__ import annotations

from dataclasses import dataclass

from replica.wasm.traps import InvalidModule

WASM_MAGIC = b"\0asm"
WASM_VERSION = b"\1\0\0\0"
CUSTOM, IMPORT, TABLE, MEMORY, GLOBAL, EXPORT, START, DATA = 0, 2, 4, 5, 6, 7, 8, 11
# Sections that come before the export section in a valid module (13 = tag, between memory and global).
BEFORE_EXPORT = {1, 2, 3, 4, 5, 13, 6}
EXPORT_FUNC, EXPORT_TABLE, EXPORT_MEMORY, EXPORT_GLOBAL = 0, 1, 2, 3
GLOBAL_EXPORT_PREFIX = "__ic_engine_global_"
MEMORY_EXPORT = "__ic_engine_memory"
TABLE_EXPORT = "__ic_engine_table"  # table 0: where call_new's callbacks are looked up
START_EXPORT = "__ic_engine_start"

# Value types a global may have, and the opcodes a constant expression may contain (with how
# many immediate bytes, -1 = one LEB128 immediate).
VALUE_TYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}
CONST_OPS = {0x41: -1, 0x42: -1, 0x43: 4, 0x44: 8, 0x23: -1, 0xD0: 1, 0xD2: -1,
             0x6A: 0, 0x6B: 0, 0x6C: 0, 0x7C: 0, 0x7D: 0, 0x7E: 0}
END = 0x0B


@dataclass(frozen=True)
class Section:
    id: int
    start: int  # offset of the section id byte
    body: int  # offset of the section contents
    end: int  # offset just past the contents


def read_leb(data: bytes, pos: int, *, what: str) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise InvalidModule(f"truncated {what} at byte {pos}")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return result, pos
        if shift > 63:
            raise InvalidModule(f"{what} at byte {pos} is an over-long LEB128 number")


def encode_leb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_name(data: bytes, pos: int, end: int, *, what: str) -> tuple[str, int]:
    size, pos = read_leb(data, pos, what=f"{what} length")
    if pos + size > end:
        raise InvalidModule(f"{what} at byte {pos} runs past its section")
    try:
        return data[pos:pos + size].decode("utf-8"), pos + size
    except UnicodeDecodeError:
        raise InvalidModule(f"{what} at byte {pos} is not valid UTF-8") from None


def read_sections(data: bytes) -> list[Section]:
    if data[:4] != WASM_MAGIC:
        raise InvalidModule("not a WebAssembly binary: it does not start with the magic bytes \\0asm")
    if data[4:8] != WASM_VERSION:
        raise InvalidModule(f"unsupported WebAssembly binary version {data[4:8].hex()} (expected 01000000)")
    sections, pos = [], 8
    while pos < len(data):
        start, sid = pos, data[pos]
        size, body = read_leb(data, pos + 1, what="section size")
        if body + size > len(data):
            raise InvalidModule(f"section {sid} at byte {start} claims {size} bytes; only {len(data) - body} remain")
        sections.append(Section(sid, start, body, body + size))
        pos = body + size
    return sections


def read_custom_sections(data: bytes, sections: list[Section]) -> list[tuple[str, bytes]]:
    found = []
    for section in sections:
        if section.id == CUSTOM:
            name, pos = read_name(data, section.body, section.end, what="custom section name")
            found.append((name, data[pos:section.end]))
    return found


def read_mutable_globals(data: bytes, sections: list[Section]) -> tuple[int, list[int]]:
    """(number of globals the module defines, indices of the mutable ones). Imported globals are
    refused elsewhere (a canister imports only ic0 functions), so indices start at 0."""
    section = next((s for s in sections if s.id == GLOBAL), None)
    if section is None:
        return 0, []
    count, pos = read_leb(data, section.body, what="global count")
    mutable = []
    for index in range(count):
        if pos + 2 > section.end:
            raise InvalidModule(f"global {index} runs past the global section")
        valtype, mut = data[pos], data[pos + 1]
        if valtype not in VALUE_TYPES:
            raise InvalidModule(f"global {index} has a value type (0x{valtype:02x}) the engine does not support")
        if mut == 1:
            mutable.append(index)
        pos = _skip_const_expr(data, pos + 2, section.end, index)
    return count, mutable


def _skip_const_expr(data: bytes, pos: int, end: int, index: int) -> int:
    while pos < end:
        op = data[pos]
        pos += 1
        if op == END:
            return pos
        if op == 0xFD:  # v128.const: sub-opcode 12 then 16 bytes
            pos += 1 + 16
            continue
        width = CONST_OPS.get(op)
        if width is None:
            raise InvalidModule(f"global {index}'s initializer uses opcode 0x{op:02x}, not a constant expression")
        pos = read_leb(data, pos, what="constant")[1] if width == -1 else pos + width
    raise InvalidModule(f"global {index}'s initializer runs past the global section")


def read_memory(data: bytes, sections: list[Section]) -> tuple[int, bool]:
    """(number of memories the module defines, whether the first is a 64-bit memory)."""
    section = next((s for s in sections if s.id == MEMORY), None)
    if section is None:
        return 0, False
    count, pos = read_leb(data, section.body, what="memory count")
    if count and pos >= section.end:
        raise InvalidModule("the memory section is truncated")
    return count, bool(count and data[pos] & 0x04)


def read_table_count(data: bytes, sections: list[Section]) -> int:
    """How many tables the module defines (imported tables are refused elsewhere)."""
    section = next((s for s in sections if s.id == TABLE), None)
    return 0 if section is None else read_leb(data, section.body, what="table count")[0]


def read_start(data: bytes, sections: list[Section]) -> int | None:
    section = next((s for s in sections if s.id == START), None)
    return None if section is None else read_leb(data, section.body, what="start function index")[0]


def read_active_data(data: bytes, sections: list[Section]) -> list[tuple[int, bytes]] | None:
    """The active data segments of memory 0 as (offset, bytes), or None when an offset is not a
    plain constant (the engine then cannot re-apply them over a kept memory)."""
    section = next((s for s in sections if s.id == DATA), None)
    if section is None:
        return []
    count, pos = read_leb(data, section.body, what="data segment count")
    segments = []
    for index in range(count):
        flags, pos = read_leb(data, pos, what="data segment flags")
        offset = None
        if flags in (0, 2):
            if flags == 2:
                memory, pos = read_leb(data, pos, what="data segment memory")
                if memory != 0:
                    return None
            if pos >= section.end or data[pos] not in (0x41, 0x42):
                return None
            bits = 32 if data[pos] == 0x41 else 64
            start_pos = pos + 1
            value, pos = read_leb(data, start_pos, what="data segment offset")
            width = 7 * (pos - start_pos)
            if data[pos - 1] & 0x40:  # signed LEB128: sign-extend, then read as unsigned
                value -= 1 << width
            offset = value & ((1 << bits) - 1)
            if pos >= section.end or data[pos] != END:
                return None
            pos += 1
        elif flags != 1:
            raise InvalidModule(f"data segment {index} has unknown flags {flags}")
        size, pos = read_leb(data, pos, what="data segment size")
        if pos + size > section.end:
            raise InvalidModule(f"data segment {index} runs past the data section")
        if offset is not None:
            segments.append((offset, data[pos:pos + size]))
        pos += size
    return segments


def export_for_engine(data: bytes, sections: list[Section], *, memory: bool, mutable: list[int],
                      start: int | None, table: bool = False) -> bytes:
    """The module as the engine runs it: memory 0 exported as `__ic_engine_memory`, table 0 (the
    callbacks of inter-canister calls) as `__ic_engine_table`, each mutable
    global as `__ic_engine_global_<i>` (wasmtime reaches only exported items), and the start
    function, if any, exported as `__ic_engine_start` instead of run at instantiation, so the engine
    can restore a kept memory before it runs (as the IC does on an upgrade that keeps memory)."""
    entries = [_export_entry(MEMORY_EXPORT, EXPORT_MEMORY, 0)] if memory else []
    entries += [_export_entry(TABLE_EXPORT, EXPORT_TABLE, 0)] if table else []
    entries += [_export_entry(f"{GLOBAL_EXPORT_PREFIX}{i}", EXPORT_GLOBAL, i) for i in mutable]
    if start is not None:
        entries.append(_export_entry(START_EXPORT, EXPORT_FUNC, start))
    if not entries:
        return data
    extra = b"".join(entries)
    out = bytearray(data[:8])
    existing = next((s for s in sections if s.id == EXPORT), None)
    new_export = None
    if existing is None:
        new_export = encode_leb(len(entries)) + extra
    else:
        count, pos = read_leb(data, existing.body, what="export count")
        new_export = encode_leb(count + len(entries)) + data[pos:existing.end] + extra
    placed = False
    for section in sections:
        if not placed and section.id not in BEFORE_EXPORT and section.id != CUSTOM and section.id != EXPORT:
            out += bytes([EXPORT]) + encode_leb(len(new_export)) + new_export
            placed = True
        if section.id == EXPORT:
            out += bytes([EXPORT]) + encode_leb(len(new_export)) + new_export
            placed = True
        elif section.id != START:
            out += data[section.start:section.end]
    if not placed:
        out += bytes([EXPORT]) + encode_leb(len(new_export)) + new_export
    return bytes(out)


def _export_entry(name: str, kind: int, index: int) -> bytes:
    raw = name.encode()
    return encode_leb(len(raw)) + raw + bytes([kind]) + encode_leb(index)
