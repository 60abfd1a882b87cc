"""The message header: magic `DIDL`, type table and argument types (spec `Candid.md`,
"Binary Format" / "Deserialisation": `T`, `I`, and the `B` framing).

`read_header` turns untrusted bytes into wire types (table entries become bound `Ref`s named
`t0`, `t1`, ...), checking every rule of the table: constructors only in the table, references in
range, sorted unique field ids below 2**32, sorted unique method names, methods of function type,
known annotations. `build_header` is the inverse used by the encoder.
"""

from __future__ import annotations

from .errors import CandidError, CandidLimitError
from .leb128 import encode_sleb, encode_uleb, read_sleb, read_uleb
from .types import (ANNOTATIONS, FUNC_OP, OPT_OP, PRIM_BY_OPCODE, RECORD_OP, SERVICE_OP,
                    VARIANT_OP, VEC_OP, Field, Func, Future, Opt, Prim, Record, Ref, Service,
                    Type, Variant, Vec, resolve)

MAGIC = b"DIDL"
_ANNOTATION_NAMES = {v: k for k, v in ANNOTATIONS.items()}


class Header:
    """A parsed header: the table entries, the argument types, and where the values start."""

    __slots__ = ("table", "args", "end", "inhabited")

    def __init__(self, table: list[Type], args: list[Type], end: int) -> None:
        self.table = table
        self.args = args
        self.end = end
        self.inhabited = _inhabited_entries(table)


def read_header(data: bytes, max_types: int) -> Header:
    if len(data) < 4 or data[:4] != MAGIC:
        found = bytes(data[:4]).hex() or "nothing"
        raise CandidError("not a Candid message: expected magic bytes 4449444c (DIDL) at byte 0,"
                          f" found {found}")
    n, pos = read_uleb(data, 4, what="type table length")
    if n > len(data) - pos:
        raise CandidError(f"type table length {n} at byte 4 exceeds the {len(data) - pos} bytes left")
    if n > max_types:
        raise CandidLimitError(f"type table has {n} entries; the limit is {max_types}")
    refs = [Ref(f"t{i}") for i in range(n)]
    funcs_needed: list[tuple[int, Type]] = []
    for i in range(n):
        start = pos
        op, pos = read_sleb(data, pos, what=f"type table entry {i}")
        reader = _ENTRY_READERS.get(op)
        if reader is not None:
            entry, pos = reader(data, pos, refs, i, funcs_needed)
        elif op < -24:
            size, pos = read_uleb(data, pos, what=f"future type {op} length")
            if size > len(data) - pos:
                raise CandidError(f"future type at byte {start} declares {size} bytes,"
                                  f" {len(data) - pos} left")
            entry, pos = Future(op, bytes(data[pos:pos + size])), pos + size
        elif op >= 0:
            raise CandidError(f"type table entry {i} at byte {start} is a bare reference to entry {op};"
                              " entries must be type constructors")
        else:
            raise CandidError(f"type table entry {i} at byte {start} is the primitive type"
                              f" {PRIM_BY_OPCODE[op].name if op in PRIM_BY_OPCODE else op};"
                              " only constructors belong in the table")
        refs[i].bind(entry)
    for where, t in funcs_needed:
        if resolve(t).__class__ is not Func:
            raise CandidError(f"service method at byte {where} has type {t}, expected a func type")
    count, pos = read_uleb(data, pos, what="argument count")
    if count > len(data) - pos:
        raise CandidError(f"argument count {count} exceeds the {len(data) - pos} bytes left")
    args = []
    for i in range(count):
        t, pos = _read_ref(data, pos, refs, f"argument {i} type")
        args.append(t)
    return Header(refs, args, pos)


def _read_ref(data: bytes, pos: int, refs: list[Ref], what: str) -> tuple[Type, int]:
    start = pos
    idx, pos = read_sleb(data, pos, what=what)
    if idx >= 0:
        if idx >= len(refs):
            raise CandidError(f"{what} at byte {start} refers to type table entry {idx}, but the table"
                              f" has {len(refs)} entries")
        return refs[idx], pos
    prim = PRIM_BY_OPCODE.get(idx)
    if prim is None:
        raise CandidError(f"{what} at byte {start} is opcode {idx}: expected a primitive type or a"
                          " table index (constructors must be table entries)")
    return prim, pos


def _read_inner(cls):
    def read(data, pos, refs, i, _funcs):
        t, pos = _read_ref(data, pos, refs, f"type table entry {i}")
        return cls(t), pos
    return read


def _read_fields(cls, what):
    def read(data, pos, refs, i, _funcs):
        n, pos = read_uleb(data, pos, what=f"{what} field count")
        if n > len(data) - pos:
            raise CandidError(f"{what} (table entry {i}) declares {n} fields,"
                              f" {len(data) - pos} bytes left")
        fields = []
        last = -1
        for _ in range(n):
            start = pos
            fid, pos = read_uleb(data, pos, what=f"{what} field id")
            if fid > 0xFFFFFFFF:
                raise CandidError(f"{what} field id {fid} at byte {start} is larger than 2**32-1")
            if fid <= last:
                raise CandidError(f"{what} (table entry {i}) field id {fid} at byte {start} is"
                                  f" {'a duplicate' if fid == last else 'out of order'}"
                                  f" (previous {last})")
            last = fid
            t, pos = _read_ref(data, pos, refs, f"{what} field {fid} type")
            fields.append(Field(fid, None, t))
        node = cls.__new__(cls)
        object.__setattr__(node, "fields", tuple(fields))
        return node, pos
    return read


def _read_types(data, pos, refs, what):
    n, pos = read_uleb(data, pos, what=what + " count")
    if n > len(data) - pos:
        raise CandidError(f"{what} count {n} exceeds the {len(data) - pos} bytes left")
    out = []
    for _ in range(n):
        t, pos = _read_ref(data, pos, refs, what)
        out.append(t)
    return tuple(out), pos


def _read_func(data, pos, refs, i, _funcs):
    args, pos = _read_types(data, pos, refs, "func argument")
    results, pos = _read_types(data, pos, refs, "func result")
    n, pos = read_uleb(data, pos, what="func annotation count")
    if n > len(data) - pos:
        raise CandidError(f"func annotation count {n} exceeds the {len(data) - pos} bytes left")
    anns = []
    for k in range(n):
        a = data[pos + k]
        if a not in _ANNOTATION_NAMES:
            raise CandidError(f"func annotation at byte {pos + k} is {a}, expected 1, 2 or 3")
        anns.append(_ANNOTATION_NAMES[a])
    return Func(args, results, tuple(anns)), pos + n


def _read_service(data, pos, refs, i, funcs):
    n, pos = read_uleb(data, pos, what="service method count")
    if n > len(data) - pos:
        raise CandidError(f"service method count {n} exceeds the {len(data) - pos} bytes left")
    methods = []
    last = None
    for _ in range(n):
        start = pos
        size, pos = read_uleb(data, pos, what="method name length")
        if size > len(data) - pos:
            raise CandidError(f"method name at byte {start} declares {size} bytes,"
                              f" {len(data) - pos} left")
        raw = bytes(data[pos:pos + size])
        try:
            name = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CandidError(f"method name at byte {pos + e.start} is not valid UTF-8") from None
        if last is not None and raw <= last:
            raise CandidError(f"method {name!r} at byte {start} is a duplicate or out of order")
        last = raw
        t, pos = _read_ref(data, pos + size, refs, f"method {name!r} type")
        funcs.append((start, t))
        methods.append((name, t))
    node = Service.__new__(Service)
    object.__setattr__(node, "methods", tuple(methods))
    return node, pos


_ENTRY_READERS = {
    OPT_OP: _read_inner(Opt),
    VEC_OP: _read_inner(Vec),
    RECORD_OP: _read_fields(Record, "record"),
    VARIANT_OP: _read_fields(Variant, "variant"),
    FUNC_OP: _read_func,
    SERVICE_OP: _read_service,
}


def _inhabited_entries(table: list[Ref]) -> set[int]:
    """Ids of the table nodes that have at least one (finite) value: a least fixpoint, worklist style.

    `record { 0 : R }` where R is that record, or `variant { 0 : V }` likewise, have none; decoding
    a value of such a type is refused at once instead of recursing.
    """
    nodes = [r.target for r in table]
    index = {id(r): k for k, r in enumerate(table)}
    live: set[int] = set()
    waiting: dict[int, list[int]] = {}
    missing: dict[int, int] = {}
    work: list[int] = []
    for k, node in enumerate(nodes):
        cls = node.__class__
        if cls is Record or cls is Variant:
            deps = []
            for f in node.fields:
                t = f.type
                if t.__class__ is Ref:
                    deps.append(index[id(t)])
                elif t.opcode == -17:  # empty
                    deps.append(-1)
            if cls is Record:
                missing[k] = len(deps)
                if not deps:
                    work.append(k)
            else:
                missing[k] = 1 if len(deps) == len(node.fields) else 0
                if missing[k] == 0:
                    work.append(k)
            for d in deps:
                if d >= 0:
                    waiting.setdefault(d, []).append(k)
        else:
            work.append(k)
    while work:
        k = work.pop()
        if k in live:
            continue
        live.add(k)
        for parent in waiting.get(k, ()):
            if parent in live:
                continue
            missing[parent] -= 1
            if missing[parent] <= 0:
                work.append(parent)
    return {id(nodes[k]) for k in live}


def build_header(types: list[Type] | tuple[Type, ...]) -> bytes:
    """`DIDL`, a type table holding every constructor reachable from `types`, and the arg list."""
    table: list[bytes] = []
    index: dict[int, int] = {}
    keep: list[Type] = []

    def ref(t: Type) -> bytes:
        t = resolve(t)
        if t.__class__ is Prim:
            return encode_sleb(t.opcode)  # type: ignore[attr-defined]
        k = index.get(id(t))
        if k is None:
            k = index[id(t)] = len(table)
            keep.append(t)
            table.append(b"")
            table[k] = entry(t)
        return encode_sleb(k)

    def entry(t: Type) -> bytes:
        cls = t.__class__
        if cls is Opt or cls is Vec:
            return encode_sleb(OPT_OP if cls is Opt else VEC_OP) + ref(t.inner)  # type: ignore
        if cls is Record or cls is Variant:
            fs = t.fields  # type: ignore[attr-defined]
            parts = [encode_sleb(RECORD_OP if cls is Record else VARIANT_OP), encode_uleb(len(fs))]
            for f in fs:
                parts.append(encode_uleb(f.id))
                parts.append(ref(f.type))
            return b"".join(parts)
        if cls is Func:
            parts = [encode_sleb(FUNC_OP), encode_uleb(len(t.args))]  # type: ignore[attr-defined]
            parts += [ref(a) for a in t.args]  # type: ignore[attr-defined]
            parts.append(encode_uleb(len(t.results)))  # type: ignore[attr-defined]
            parts += [ref(r) for r in t.results]  # type: ignore[attr-defined]
            anns = t.annotations  # type: ignore[attr-defined]
            parts.append(encode_uleb(len(anns)) + bytes(ANNOTATIONS[a] for a in anns))
            return b"".join(parts)
        if cls is Service:
            parts = [encode_sleb(SERVICE_OP), encode_uleb(len(t.methods))]  # type: ignore
            for name, mt in t.methods:  # type: ignore[attr-defined]
                raw = name.encode("utf-8")
                parts += [encode_uleb(len(raw)), raw, ref(mt)]
            return b"".join(parts)
        raise CandidError(f"cannot encode a value of type {t}")

    arg_refs = b"".join(ref(t) for t in types)
    return (MAGIC + encode_uleb(len(table)) + b"".join(table)
            + encode_uleb(len(types)) + arg_refs)
