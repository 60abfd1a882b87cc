"""The subtype relation `t <: t'` (spec `Candid.md`, "Upgrading and subtyping" / "Rules").

Coinductive over recursive types (a pair already under examination is assumed to hold). Used to
check that one interface can stand in for another, e.g. a canister's methods against a reference
`.did`: every method of `want` must exist in `have` with `have.m <: want.m`.
"""

from __future__ import annotations

from .types import (EMPTY, INT, NAT, NULL, PRINCIPAL, RESERVED, Func, Opt, Prim, Record, Service,
                    Type, Variant, Vec, resolve)


def is_subtype(a: Type, b: Type, _assumed: set | None = None) -> bool:
    """True when every value of `a` may be read at `b` without loss of meaning."""
    a, b = resolve(a), resolve(b)
    if a is b or b is RESERVED or a is EMPTY:
        return True
    assumed = set() if _assumed is None else _assumed
    key = (id(a), id(b))
    if key in assumed:
        return True
    assumed.add(key)
    ca, cb = a.__class__, b.__class__
    if cb is Opt:
        # null <: opt t; opt t <: opt t' always (the "special opt rules"); and any
        # non-nullable t <: opt t' (via t <: t', or else the rule that makes it null).
        return a is not RESERVED
    if ca is Service and b is PRINCIPAL:
        return True  # same wire encoding: a service reference reads as its principal
    if ca is Prim and cb is Prim:
        return a.opcode == b.opcode or (a is NAT and b is INT)  # type: ignore[attr-defined]
    if ca is not cb:
        return False
    if ca is Vec:
        return is_subtype(a.inner, b.inner, assumed)  # type: ignore[attr-defined]
    if ca is Record:
        have = {f.id: f.type for f in a.fields}  # type: ignore[attr-defined]
        return all(is_subtype(have[f.id], f.type, assumed) if f.id in have else _optional(f.type)
                   for f in b.fields)  # type: ignore[attr-defined]
    if ca is Variant:
        want = {f.id: f.type for f in b.fields}  # type: ignore[attr-defined]
        return all(f.id in want and is_subtype(f.type, want[f.id], assumed)
                   for f in a.fields)  # type: ignore[attr-defined]
    if ca is Func:
        return (set(a.annotations) == set(b.annotations)  # type: ignore[attr-defined]
                and _tuple_sub(b.args, a.args, assumed)  # type: ignore[attr-defined]
                and _tuple_sub(a.results, b.results, assumed))  # type: ignore[attr-defined]
    if ca is Service:
        have_m = dict(a.methods)  # type: ignore[attr-defined]
        return all(m in have_m and is_subtype(have_m[m], t, assumed)
                   for m, t in b.methods)  # type: ignore[attr-defined]
    return False


def _optional(t: Type) -> bool:
    """`null <: t`: a field or argument of type t may be absent (it reads as null)."""
    t = resolve(t)
    return t.__class__ is Opt or t is RESERVED or t is NULL


def _tuple_sub(xs: tuple[Type, ...], ys: tuple[Type, ...], assumed: set) -> bool:
    """Argument sequences as tuple records: `record {xs} <: record {ys}`."""
    for i, y in enumerate(ys):
        if i < len(xs):
            if not is_subtype(xs[i], y, assumed):
                return False
        elif not _optional(y):
            return False
    return True


__all__ = ["is_subtype"]
