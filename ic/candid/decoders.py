"""Compiled decoders for (wire type, expected type) pairs (spec `Candid.md`, "Decoding").

Each decoder is a closure `d(data, pos, ctx) -> (value, pos)`, built once per pair and memoized
(recursive pairs through a depth-checked "knot"), so decoding a message is a chain of plain calls.
The coercions are value-based, as in the spec: `CandidTypeMismatch` raised inside an `opt` is
caught there, the value skipped (and so still validated) and `null` produced.
"""

from __future__ import annotations

import struct

from .errors import CandidError, CandidLimitError, CandidTypeMismatch
from .leb128 import read_sleb, read_uleb
from .skip import Skippers, describe
from .subtype import is_subtype
from .typetable import Header
from .types import (EMPTY, NAT8, NULL, PRINCIPAL, RESERVED, Func, Future, Opt, Prim, Record,
                    Service, Type, Variant, Vec, is_nullish, resolve)
from .values import FuncRef, make_principal


def _fail(w: Type, e: Type):
    msg = f"a value of type {describe(w)} cannot be decoded at type {describe(e)}"

    def fail(data, pos, ctx):
        raise CandidTypeMismatch(f"byte {pos}: {msg}")
    fail.mismatch = True  # type: ignore[attr-defined]
    return fail


def _fixed(fmt: str):
    s = struct.Struct(fmt)
    unpack, size = s.unpack_from, s.size

    def d(data, pos, ctx):
        return unpack(data, pos)[0], pos + size
    return d


def _d_null(data, pos, ctx):
    return None, pos


def _d_bool(data, pos, ctx):
    b = data[pos]
    if b > 1:
        raise CandidError(f"bool at byte {pos} is {b:#04x}, expected 0x00 or 0x01")
    return b == 1, pos + 1


def _d_nat(data, pos, ctx):
    b = data[pos]
    if b < 0x80:
        return b, pos + 1
    return read_uleb(data, pos, ctx.limits.max_nat_bytes, "nat")


def _d_int(data, pos, ctx):
    b = data[pos]
    if b < 0x80:
        return (b - 0x80 if b & 0x40 else b), pos + 1
    return read_sleb(data, pos, ctx.limits.max_nat_bytes, "int")


def _d_nat8(data, pos, ctx):
    return data[pos], pos + 1


def _d_text(data, pos, ctx):
    n = data[pos]
    p = pos + 1
    if n >= 0x80:
        n, p = read_uleb(data, pos, what="text length")
    end = p + n
    if end > len(data):
        raise CandidError(f"text at byte {pos} declares {n} bytes, but only {len(data) - p} remain")
    try:
        return data[p:end].decode(), end
    except UnicodeDecodeError as e:
        raise CandidError(f"text at byte {p + e.start}: invalid UTF-8 ({e.reason})") from None


def _read_blob(data, pos, what):
    n = data[pos]
    p = pos + 1
    if n >= 0x80:
        n, p = read_uleb(data, pos, what=what + " length")
    end = p + n
    if end > len(data):
        raise CandidError(f"{what} at byte {pos} declares {n} bytes, but only {len(data) - p} remain")
    return data[p:end], end


def _d_blob(data, pos, ctx):
    n = data[pos]
    p = pos + 1
    if n >= 0x80:
        n, p = read_uleb(data, pos, what="blob length")
    end = p + n
    if end > len(data):
        raise CandidError(f"blob at byte {pos} declares {n} bytes, but only {len(data) - p} remain")
    return data[p:end], end


def _read_principal(data, pos, what="principal"):
    flag = data[pos]
    if flag != 1:
        raise CandidError(f"{what} at byte {pos}: flag {flag:#04x}; only transparent references"
                          " (0x01) are supported")
    raw, end = _read_blob(data, pos + 1, what)
    return make_principal(raw), end


def _d_principal(data, pos, ctx):
    return _read_principal(data, pos)


def _d_func(data, pos, ctx):
    flag = data[pos]
    if flag != 1:
        raise CandidError(f"func reference at byte {pos}: flag {flag:#04x}; only public references"
                          " (0x01) are supported")
    service, p = _read_principal(data, pos + 1, "func service")
    method, p = _d_text(data, p, ctx)
    return FuncRef(service, method), p


def _d_service(data, pos, ctx):
    return _read_principal(data, pos, "service reference")


def _d_empty(data, pos, ctx):
    raise CandidError(f"byte {pos}: the wire type is empty, which has no values")


_PRIM = {
    (-1, -1): _d_null, (-2, -2): _d_bool, (-3, -3): _d_nat, (-4, -4): _d_int, (-3, -4): _d_nat,
    (-5, -5): _d_nat8, (-6, -6): _fixed("<H"), (-7, -7): _fixed("<I"), (-8, -8): _fixed("<Q"),
    (-9, -9): _fixed("<b"), (-10, -10): _fixed("<h"), (-11, -11): _fixed("<i"),
    (-12, -12): _fixed("<q"), (-13, -13): _fixed("<f"), (-14, -14): _fixed("<d"),
    (-15, -15): _d_text, (-24, -24): _d_principal,
}
_ARRAY = {-5: "B", -6: "H", -7: "I", -8: "Q", -9: "b", -10: "h", -11: "i", -12: "q",
          -13: "f", -14: "d"}
_SIZE = {"B": 1, "H": 2, "I": 4, "Q": 8, "b": 1, "h": 2, "i": 4, "q": 8, "f": 4, "d": 8}


MAX_COMPILED = 20_000  # (wire, expected) pairs compiled for one message header


class Decoders:
    """Compiles and memoizes decoders for one header (wire types) and any expected types."""

    def __init__(self, header: Header) -> None:
        self.skippers = Skippers(header)
        self.inhabited = header.inhabited
        self.memo: dict[tuple[int, int], object] = {}
        self.cells: dict[tuple[int, int], list] = {}

    def decoder(self, wire: Type, expected: Type):
        w, e = resolve(wire), resolve(expected)
        key = (id(w), id(e))
        d = self.memo.get(key)
        if d is not None:
            if key in self.cells and self.cells[key][0] is None:
                self.cells[key][1] = True
            return d
        if w.__class__ is Prim and e.__class__ is Prim:
            d = self._prim(w, e)
            self.memo[key] = d
            return d
        if len(self.cells) >= MAX_COMPILED:
            raise CandidLimitError(f"the message's types are too complex to decode at the expected"
                                   f" types (more than {MAX_COMPILED} type pairs)")
        cell: list = [None, False]
        self.cells[key] = cell
        knot = _knot(cell, describe(w))
        self.memo[key] = knot
        real = self._build(w, e)
        cell[0] = real
        if not cell[1]:
            self.memo[key] = real
        return self.memo[key]

    def _prim(self, w: Prim, e: Prim):
        if e is RESERVED:
            return self._reserved(w)
        if w is EMPTY:
            return _d_empty
        return _PRIM.get((w.opcode, e.opcode)) or _fail(w, e)

    def _reserved(self, w: Type):
        skip = self.skippers.skipper(w)

        def d(data, pos, ctx):
            return None, skip(data, pos, ctx)
        return d

    def _build(self, w: Type, e: Type):
        wc, ec = w.__class__, e.__class__
        if (wc is Record or wc is Variant) and id(w) not in self.inhabited:
            msg = (f"type {describe(w)} has no values (an empty variant, or a type that can only"
                   " contain itself)")

            def uninhabited(data, pos, ctx):
                raise CandidError(f"byte {pos}: {msg}")
            return uninhabited
        if e is RESERVED:
            return self._reserved(w)
        if ec is Opt:
            return self._opt(w, e)
        if w is EMPTY:
            return _d_empty
        builder = _BUILDERS.get((wc, ec))
        return builder(self, w, e) if builder else _fail(w, e)

    def _opt(self, w: Type, e: Opt):
        if w is NULL or w is RESERVED or w.__class__ is Future:
            skip = self.skippers.skipper(w)

            def none(data, pos, ctx):
                return None, skip(data, pos, ctx)
            return none
        if w.__class__ is Opt:
            inner = self.decoder(w.inner, e.inner)
            skip_inner = self.skippers.skipper(w.inner)
            return _d_opt(inner, skip_inner)
        x, seen = resolve(e.inner), {id(e)}
        while x.__class__ is Opt:
            if id(x) in seen:
                return _fail(w, e)
            seen.add(id(x))
            x = resolve(x.inner)
        inner = self.decoder(w, e.inner)
        skip = self.skippers.skipper(w)
        if getattr(inner, "mismatch", False):
            return lambda data, pos, ctx: (None, skip(data, pos, ctx))
        return _d_coerce_opt(inner, skip)

    def _vec(self, w: Vec, e: Vec):
        wi, ei = resolve(w.inner), resolve(e.inner)
        if wi is NAT8 and ei is NAT8:
            return _d_blob
        if wi.__class__ is Prim and wi is ei and wi.opcode in _ARRAY:
            return _d_array(_ARRAY[wi.opcode])
        elem = self.decoder(wi, ei)
        zero = self.skippers.zero_sized(wi)
        weight = self.skippers.weight(wi) + self.skippers.weight(ei)
        return _d_vec(elem, zero, weight)

    def _record(self, w: Record, e: Record):
        expected = {f.id: f for f in e.fields}
        steps = []
        seen = set()
        for wf in w.fields:
            ef = expected.get(wf.id)
            if ef is None:
                skip = self.skippers.skipper(wf.type)
                steps.append((None, lambda data, pos, ctx, s=skip: (None, s(data, pos, ctx))))
            else:
                seen.add(wf.id)
                steps.append((ef, self.decoder(wf.type, ef.type)))
        for ef in e.fields:
            if ef.id not in seen and not is_nullish(ef.type):
                msg = (f"record field {ef.key!r} of type {describe(ef.type)} is missing from the"
                       f" value of type {describe(w)}")

                def missing(data, pos, ctx):
                    raise CandidTypeMismatch(f"byte {pos}: {msg}")
                missing.mismatch = True  # type: ignore[attr-defined]
                return missing
        if e.is_tuple:
            index = {f.id: i for i, f in enumerate(e.fields)}
            plan = tuple((index[f.id] if f is not None else -1, d) for f, d in steps)
            return _d_tuple(plan, len(e.fields))
        defaults = {f.key: None for f in e.fields if f.id not in seen}
        plan = tuple((f.key if f is not None else None, d) for f, d in steps)
        return _d_record(plan, defaults)

    def _variant(self, w: Variant, e: Variant):
        expected = {f.id: f for f in e.fields}
        arms = []
        for wf in w.fields:
            ef = expected.get(wf.id)
            arms.append(None if ef is None else (ef.key, self.decoder(wf.type, ef.type)))
        return _d_variant(tuple(arms), [f.id for f in w.fields], describe(e))


_BUILDERS = {
    (Vec, Vec): Decoders._vec,
    (Record, Record): Decoders._record,
    (Variant, Variant): Decoders._variant,
    # references: the wire's interface must be a subtype of the expected one
    (Func, Func): lambda self, w, e: _d_func if is_subtype(w, e) else _fail(w, e),
    (Service, Service): lambda self, w, e: _d_service if is_subtype(w, e) else _fail(w, e),
    (Service, Prim): lambda self, w, e: _d_service if e is PRINCIPAL else _fail(w, e),
}


def _knot(cell: list, what: str):
    def knot(data, pos, ctx):
        depth = ctx.depth + 1
        if depth > ctx.limits.max_depth:
            raise CandidLimitError(f"byte {pos}: values of recursive type {what} nested deeper than"
                                   f" {ctx.limits.max_depth} levels")
        ctx.depth = depth
        r = cell[0](data, pos, ctx)
        ctx.depth = depth - 1
        return r
    return knot


def _d_opt(inner, skip_inner):
    def d(data, pos, ctx):
        flag = data[pos]
        if flag == 0:
            return None, pos + 1
        if flag != 1:
            raise CandidError(f"opt at byte {pos} has flag {flag:#04x}, expected 0x00 or 0x01")
        depth = ctx.depth
        try:
            v, p = inner(data, pos + 1, ctx)
        except CandidTypeMismatch:
            ctx.depth = depth
            return None, skip_inner(data, pos + 1, ctx)
        return [v], p
    return d


def _d_coerce_opt(inner, skip):
    def d(data, pos, ctx):
        depth = ctx.depth
        try:
            v, p = inner(data, pos, ctx)
        except CandidTypeMismatch:
            ctx.depth = depth
            return None, skip(data, pos, ctx)
        return [v], p
    return d


def _vec_len(data, pos):
    n = data[pos]
    if n < 0x80:
        return n, pos + 1
    return read_uleb(data, pos, what="vec length")


def _d_array(code: str):
    size = _SIZE[code]

    def d(data, pos, ctx):
        n, p = _vec_len(data, pos)
        if n * size > len(data) - p:
            raise CandidError(f"vec at byte {pos} declares {n} elements of {size} bytes, but only"
                              f" {len(data) - p} bytes remain")
        return list(struct.unpack_from(f"<{n}{code}", data, p)), p + n * size
    return d


def _d_vec(elem, zero: bool, weight: int):
    def d(data, pos, ctx):
        n, p = _vec_len(data, pos)
        if not zero and n > len(data) - p:
            raise CandidError(f"vec at byte {pos} declares {n} elements, but only {len(data) - p}"
                              " bytes remain")
        ctx.work -= n * weight
        if ctx.work < 0:
            raise CandidLimitError(f"vec at byte {pos} with {n} elements exceeds the decoding"
                                   f" work limit of {ctx.limits.max_work}")
        if zero and n:
            v, _ = elem(data, p, ctx)
            if v is None:  # e.g. vec null, or vec reserved: n copies of None, no bytes read
                return [None] * n, p
        out = []
        append = out.append
        for _ in range(n):
            v, p = elem(data, p, ctx)
            append(v)
        return out, p
    return d


def _d_record(plan, defaults):
    if not defaults and all(key is not None for key, _ in plan):
        def exact(data, pos, ctx):
            out = {}
            for key, dec in plan:
                out[key], pos = dec(data, pos, ctx)
            return out, pos
        return exact

    def d(data, pos, ctx):
        out = dict(defaults) if defaults else {}
        for key, dec in plan:
            v, pos = dec(data, pos, ctx)
            if key is not None:
                out[key] = v
        return out, pos
    return d


def _d_tuple(plan, n):
    def d(data, pos, ctx):
        out = [None] * n
        for i, dec in plan:
            v, pos = dec(data, pos, ctx)
            if i >= 0:
                out[i] = v
        return tuple(out), pos
    return d


def _d_variant(arms, ids, expected: str):
    count = len(arms)

    def d(data, pos, ctx):
        i = data[pos]
        p = pos + 1
        if i >= 0x80:
            i, p = read_uleb(data, pos, what="variant index")
        if i >= count:
            raise CandidError(f"variant index {i} at byte {pos} is out of range: the type has"
                              f" {count} tags")
        arm = arms[i]
        if arm is None:
            raise CandidTypeMismatch(f"byte {pos}: variant tag {ids[i]} is not a tag of {expected}")
        v, p = arm[1](data, p, ctx)
        return {arm[0]: v}, p
    return d
