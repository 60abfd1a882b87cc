"""Skipping (and so validating) wire values without building them (spec `Candid.md`,
"Deserialisation": extra arguments, extra record fields, values decoded at `reserved`, and the
values behind an `opt` that failed to decode).

A skipper is `s(data, pos, ctx) -> pos`. Skipping checks everything decoding would (UTF-8 of text,
bool and opt flags, variant indices, lengths) and is charged against the same work budget.
"""

from __future__ import annotations

from .errors import CandidError, CandidLimitError
from .leb128 import read_uleb
from .typetable import Header
from .types import (Func, Future, Opt, Prim, Record, Service, Type, Variant, Vec, format_type,
                    resolve)

_FIXED = {-1: 0, -5: 1, -6: 2, -7: 4, -8: 8, -9: 1, -10: 2, -11: 4, -12: 8, -13: 4, -14: 8, -16: 0}


class Ctx:
    """Per-call decoding state: remaining work budget and current recursion depth."""

    __slots__ = ("work", "depth", "limits")

    def __init__(self, limits) -> None:
        self.limits = limits
        self.work = limits.max_work
        self.depth = 0


def describe(t: Type, limit: int = 120) -> str:
    text = format_type(resolve(t)) if t.__class__.__name__ == "Ref" else format_type(t)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _leb_end(data, pos, ctx, what):
    if data[pos] < 0x80:
        return pos + 1
    return read_uleb(data, pos, ctx.limits.max_nat_bytes, what)[1]


def _s_fixed(size: int):
    def s(data, pos, ctx):
        end = pos + size
        if end > len(data):
            raise IndexError
        return end
    return s


def _s_bool(data, pos, ctx):
    if data[pos] > 1:
        raise CandidError(f"bool at byte {pos} is {data[pos]:#04x}, expected 0x00 or 0x01")
    return pos + 1


def _s_leb(data, pos, ctx):
    return _leb_end(data, pos, ctx, "number")


def _s_bytes(data, pos, what):
    n, p = read_uleb(data, pos, what=what + " length")
    if p + n > len(data):
        raise CandidError(f"{what} at byte {pos} declares {n} bytes, but only {len(data) - p} remain")
    return p, p + n


def _s_text(data, pos, ctx):
    p, end = _s_bytes(data, pos, "text")
    try:
        data[p:end].decode()
    except UnicodeDecodeError as e:
        raise CandidError(f"text at byte {p + e.start}: invalid UTF-8 ({e.reason})") from None
    return end


def _s_principal(data, pos, ctx):
    if data[pos] != 1:
        raise CandidError(f"principal at byte {pos}: flag {data[pos]:#04x}; only transparent"
                          " references (0x01) are supported")
    return _s_bytes(data, pos + 1, "principal")[1]


def _s_func(data, pos, ctx):
    if data[pos] != 1:
        raise CandidError(f"func reference at byte {pos}: flag {data[pos]:#04x}; only public"
                          " references (0x01) are supported")
    return _s_text(data, _s_principal(data, pos + 1, ctx), ctx)


def _s_empty(data, pos, ctx):
    raise CandidError(f"byte {pos}: the wire type is empty, which has no values")


def _s_future(data, pos, ctx):
    size, p = read_uleb(data, pos, what="future value size")
    refs, p = read_uleb(data, p, what="future value reference count")
    if p + size > len(data):
        raise CandidError(f"future-type value at byte {pos} declares {size} bytes, but only"
                          f" {len(data) - p} remain")
    return p + size


_PRIM_SKIP = {-2: _s_bool, -3: _s_leb, -4: _s_leb, -15: _s_text, -17: _s_empty, -24: _s_principal}


class Skippers:
    """Compiles and memoizes skippers and size facts for the wire types of one header."""

    def __init__(self, header: Header) -> None:
        self.inhabited = header.inhabited
        self.memo: dict[int, object] = {}
        self._zero: dict[int, bool] = {}
        self._weight: dict[int, int] = {}

    def skipper(self, t: Type):
        t = resolve(t)
        s = self.memo.get(id(t))
        if s is not None:
            return s
        if t.__class__ is Prim:
            op = t.opcode  # type: ignore[attr-defined]
            s = _PRIM_SKIP.get(op) or _s_fixed(_FIXED[op])
            self.memo[id(t)] = s
            return s
        cell = [None]
        what = describe(t)

        def knot(data, pos, ctx):
            depth = ctx.depth + 1
            if depth > ctx.limits.max_depth:
                raise CandidLimitError(f"byte {pos}: values of recursive type {what} nested deeper"
                                       f" than {ctx.limits.max_depth} levels")
            ctx.depth = depth
            r = cell[0](data, pos, ctx)
            ctx.depth = depth - 1
            return r
        self.memo[id(t)] = knot
        cell[0] = self._build(t)
        return knot

    def _build(self, t: Type):
        cls = t.__class__
        if (cls is Record or cls is Variant) and id(t) not in self.inhabited:
            msg = (f"type {describe(t)} has no values (an empty variant, or a type that can only"
                   " contain itself)")

            def uninhabited(data, pos, ctx):
                raise CandidError(f"byte {pos}: {msg}")
            return uninhabited
        if cls is Opt:
            inner = self.skipper(t.inner)  # type: ignore[attr-defined]

            def s_opt(data, pos, ctx):
                flag = data[pos]
                if flag == 0:
                    return pos + 1
                if flag != 1:
                    raise CandidError(f"opt at byte {pos} has flag {flag:#04x}, expected 0x00 or 0x01")
                return inner(data, pos + 1, ctx)
            return s_opt
        if cls is Vec:
            return self._vec(resolve(t.inner))  # type: ignore[attr-defined]
        if cls is Record:
            fields = tuple(self.skipper(f.type) for f in t.fields)  # type: ignore[attr-defined]

            def s_record(data, pos, ctx):
                for s in fields:
                    pos = s(data, pos, ctx)
                return pos
            return s_record
        if cls is Variant:
            arms = tuple(self.skipper(f.type) for f in t.fields)  # type: ignore[attr-defined]

            def s_variant(data, pos, ctx):
                i, p = read_uleb(data, pos, what="variant index")
                if i >= len(arms):
                    raise CandidError(f"variant index {i} at byte {pos} is out of range: the type"
                                      f" has {len(arms)} tags")
                return arms[i](data, p, ctx)
            return s_variant
        if cls is Func:
            return _s_func
        if cls is Service:
            return _s_principal
        if cls is Future:
            return _s_future
        raise CandidError(f"cannot skip a value of type {describe(t)}")

    def _vec(self, inner: Type):
        size = _FIXED.get(inner.opcode) if inner.__class__ is Prim else None  # type: ignore
        if size:
            def s_array(data, pos, ctx):
                n, p = read_uleb(data, pos, what="vec length")
                if n * size > len(data) - p:
                    raise CandidError(f"vec at byte {pos} declares {n} elements of {size} bytes,"
                                      f" but only {len(data) - p} bytes remain")
                return p + n * size
            return s_array
        elem = self.skipper(inner)
        zero = self.zero_sized(inner)
        weight = self.weight(inner)

        def s_vec(data, pos, ctx):
            n, p = read_uleb(data, pos, what="vec length")
            if not zero and n > len(data) - p:
                raise CandidError(f"vec at byte {pos} declares {n} elements, but only"
                                  f" {len(data) - p} bytes remain")
            ctx.work -= n * weight
            if ctx.work < 0:
                raise CandidLimitError(f"vec at byte {pos} with {n} elements exceeds the decoding"
                                       f" work limit of {ctx.limits.max_work}")
            if zero:  # values without bytes: nothing to read or validate
                return p
            for _ in range(n):
                p = elem(data, p, ctx)
            return p
        return s_vec

    def zero_sized(self, t: Type) -> bool:
        """True when a value of `t` may occupy no bytes (null, reserved, records of such)."""
        t = resolve(t)
        z = self._zero.get(id(t))
        if z is None:
            self._zero[id(t)] = False  # a recursive record has no values anyway
            if t.__class__ is Prim:
                z = t.opcode in (-1, -16)  # type: ignore[attr-defined]
            elif t.__class__ is Record:
                z = all(self.zero_sized(f.type) for f in t.fields)  # type: ignore[attr-defined]
            else:
                z = False
            self._zero[id(t)] = z
        return z

    def weight(self, t: Type) -> int:
        """Work units charged per element: the number of type nodes one value visits."""
        t = resolve(t)
        w = self._weight.get(id(t))
        if w is None:
            self._weight[id(t)] = 1
            cls = t.__class__
            if cls is Opt:
                w = 1 + self.weight(t.inner)  # type: ignore[attr-defined]
            elif cls is Record:
                w = 1 + sum(self.weight(f.type) for f in t.fields)  # type: ignore[attr-defined]
            elif cls is Variant:
                w = 1 + max((self.weight(f.type) for f in t.fields), default=0)  # type: ignore
            else:
                w = 1
            self._weight[id(t)] = w
        return w
