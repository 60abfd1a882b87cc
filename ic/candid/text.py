"""The textual value syntax (spec `Candid.md`, "Values"), parsed at expected types and printed.

Parsing builds an untyped value tree first, then coerces it at the expected types with the same
rules as binary decoding (missing `opt` fields read as null, extra fields ignored, a value that
does not fit under an `opt` becomes null), so textual and binary inputs compare equal in the
conformance suite. Printing goes the other way from host values (see the package docstring).
"""

from __future__ import annotations

import math
import struct

from .did_parser import TypeParser
from .errors import CandidError, CandidTypeMismatch
from .lexer import TokenStream
from .types import (NAT8, Func, Opt, Prim, Record, Service, Type, Variant, Vec, format_label,
                    format_type, idl_hash, is_nullish, quote_text, resolve)
from .values import FuncRef, make_principal, principal_bytes, principal_from_text, principal_to_text

_INT_RANGE = {-5: (0, 2**8 - 1), -6: (0, 2**16 - 1), -7: (0, 2**32 - 1), -8: (0, 2**64 - 1),
              -9: (-2**7, 2**7 - 1), -10: (-2**15, 2**15 - 1), -11: (-2**31, 2**31 - 1),
              -12: (-2**63, 2**63 - 1), -3: (0, None), -4: (None, None)}


class _ValueParser:
    def __init__(self, text: str, env=None) -> None:
        env = getattr(env, "refs", env)  # a DidFile or a name -> Ref mapping
        self.ts = TokenStream(text)
        self.types = TypeParser(self.ts, dict(env or {}))
        self.types.defined = dict.fromkeys(env or {})  # type: ignore[assignment]

    def args(self) -> list:
        ts = self.ts
        ts.expect("sym", "(")
        out = []
        while not ts.accept("sym", ")"):
            out.append(self.annval())
            if not ts.accept("sym", ",") and not ts.at("sym", ")"):
                ts.fail("expected ',' or ')'")
        return out

    def annval(self):
        v = self.value()
        if self.ts.accept("sym", ":"):
            t = self.types.datatype()
            self.types.finish()
            return ("ann", v, t)
        return v

    def value(self):
        ts = self.ts
        tok = ts.next()
        if tok.kind == "num":
            return ("num", tok.value)
        if tok.kind == "text":
            return ("text", ts.utf8(tok))
        if tok.kind == "sym" and tok.value == "(":
            v = self.annval()
            ts.expect("sym", ")")
            return v
        if tok.kind != "id":
            ts.fail("expected a value", tok)
        word = tok.value
        if word in ("true", "false"):
            return ("bool", word == "true")
        if word == "null":
            return ("null",)
        if word == "opt":
            return ("opt", self.value())
        if word == "blob":
            return ("blob", ts.expect("text").value)
        if word == "vec":
            ts.expect("sym", "{")
            items = []
            while not ts.accept("sym", "}"):
                items.append(self.annval())
                if not ts.accept("sym", ";") and not ts.at("sym", "}"):
                    ts.fail("expected ';' or '}'")
            return ("vec", items)
        if word == "record":
            return ("record", self.fields(record=True))
        if word == "variant":
            fields = self.fields(record=False)
            if len(fields) != 1:
                ts.fail(f"a variant value has exactly one field, this one has {len(fields)}", tok)
            return ("variant",) + fields[0]
        if word in ("principal", "service"):
            return (word, ts.utf8(ts.expect("text")))
        if word == "func":
            svc = ts.utf8(ts.expect("text"))
            ts.expect("sym", ".")
            m = ts.next()
            if m.kind not in ("id", "text"):
                ts.fail("expected a method name", m)
            return ("func", svc, m.value if m.kind == "id" else ts.utf8(m))
        ts.fail("expected a value", tok)

    def fields(self, record: bool) -> list:
        ts = self.ts
        ts.expect("sym", "{")
        out = []
        while not ts.accept("sym", "}"):
            tok = ts.peek()
            if tok.kind in ("id", "text", "num") and ts.at("sym", "=", 1):
                ts.next()
                ts.next()
                out.append((self._label(tok), self.annval()))
            elif not record and tok.kind in ("id", "text", "num"):
                ts.next()
                out.append((self._label(tok), ("null",)))
            elif record:
                prev = out[-1][0] if out else -1
                prev = idl_hash(prev) if isinstance(prev, str) else prev
                out.append((prev + 1, self.annval()))
            else:
                ts.fail("expected a variant field")
            if not ts.accept("sym", ";") and not ts.at("sym", "}"):
                ts.fail("expected ';' or '}'")
        ids = [idl_hash(k) if isinstance(k, str) else k for k, _ in out]
        if len(set(ids)) != len(ids):
            ts.fail("duplicate field in value")
        return out

    def _label(self, tok):
        if tok.kind == "num":
            return int(str(tok.value).replace("_", ""), 0)
        return tok.value if tok.kind == "id" else self.ts.utf8(tok)


def parse_value_text(text: str, types: list[Type] | tuple[Type, ...] | None = None,
                     env=None) -> list:
    """Parse `( <annval>,* )` and coerce it at `types` (None: natural host values).

    `env` (a `DidFile` or a name -> `Ref` mapping) names the types used in annotations.
    """
    p = _ValueParser(text, env)
    vals = p.args()
    if not p.ts.at("eof"):
        p.ts.fail("expected end of input")
    if types is None:
        return [_natural(v) for v in vals]
    out = []
    for i, t in enumerate(types):
        if i < len(vals):
            out.append(coerce(vals[i], t))
        elif is_nullish(t):
            out.append(None)
        else:
            raise CandidTypeMismatch(f"argument {i} of type {format_type(t)} is missing")
    return out


def _mismatch(v, t: Type) -> CandidTypeMismatch:
    return CandidTypeMismatch(f"value {v[0]} cannot be read at type {format_type(t)}")


def _number(v, t: Prim):
    raw = str(v[1]).replace("_", "")
    if t.opcode in (-13, -14):
        try:
            x = float.fromhex(raw) if "0x" in raw.lower() else float(raw)
        except (ValueError, OverflowError):
            raise _mismatch(v, t) from None
        if t.opcode == -13:
            try:
                x = struct.unpack("<f", struct.pack("<f", x))[0]
            except OverflowError:
                raise _mismatch(v, t) from None
        return x
    hexa = "0x" in raw.lower()
    if "." in raw or ("p" in raw.lower() if hexa else "e" in raw.lower()):
        raise _mismatch(v, t)
    n = int(raw, 16) if hexa else int(raw)
    lo, hi = _INT_RANGE[t.opcode]
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        raise CandidTypeMismatch(f"number {n} is out of range for {t.name}")
    return n


def coerce(v, t: Type):
    """Read an untyped textual value at type `t` (the spec's decoding relation, on text)."""
    t = resolve(t)
    kind = v[0]
    if kind == "ann":
        coerce(v[1], v[2])
        return coerce(v[1], t)
    cls = t.__class__
    if cls is Prim:
        op = t.opcode  # type: ignore[attr-defined]
        if op == -16:
            return None
        if kind == "num" and op in _INT_RANGE or kind == "num" and op in (-13, -14):
            return _number(v, t)  # type: ignore[arg-type]
        if kind == "null" and op == -1:
            return None
        if kind == "bool" and op == -2:
            return v[1]
        if kind == "text" and op == -15:
            return v[1]
        if kind == "principal" and op == -24:
            return make_principal(principal_from_text(v[1]))
        raise _mismatch(v, t)
    if cls is Opt:
        if kind == "null":
            return None
        if kind != "opt" and _endless_opt(t):
            raise CandidTypeMismatch(f"value {kind} cannot be read at type {format_type(t)}")
        inner = v[1] if kind == "opt" else v
        try:
            return [coerce(inner, t.inner)]  # type: ignore[attr-defined]
        except CandidTypeMismatch:
            return None
    if cls is Vec:
        if kind == "blob" and resolve(t.inner) is NAT8:  # type: ignore[attr-defined]
            return v[1]
        if kind != "vec":
            raise _mismatch(v, t)
        items = [coerce(x, t.inner) for x in v[1]]  # type: ignore[attr-defined]
        return bytes(items) if resolve(t.inner) is NAT8 else items  # type: ignore[attr-defined]
    if cls is Record:
        if kind != "record":
            raise _mismatch(v, t)
        given = {(idl_hash(k) if isinstance(k, str) else k): x for k, x in v[1]}
        vals = {}
        for f in t.fields:  # type: ignore[attr-defined]
            if f.id in given:
                vals[f.key] = coerce(given[f.id], f.type)
            elif is_nullish(f.type):
                vals[f.key] = None
            else:
                raise CandidTypeMismatch(f"record field {f.key!r} is missing from the value")
        return tuple(vals.values()) if t.is_tuple else vals  # type: ignore[attr-defined]
    if cls is Variant:
        if kind != "variant":
            raise _mismatch(v, t)
        vid = idl_hash(v[1]) if isinstance(v[1], str) else v[1]
        for f in t.fields:  # type: ignore[attr-defined]
            if f.id == vid:
                return {f.key: coerce(v[2], f.type)}
        raise CandidTypeMismatch(f"variant tag {v[1]!r} is not a tag of {format_type(t)}")
    if cls is Func and kind == "func":
        return FuncRef(make_principal(principal_from_text(v[1])), v[2])
    if cls is Service and kind == "service":
        return make_principal(principal_from_text(v[1]))
    raise _mismatch(v, t)


def _endless_opt(t: Type) -> bool:
    """`type O = opt O`: a non-opt value would need infinitely many `opt` wrappers."""
    seen = set()
    while t.__class__ is Opt:
        if id(t) in seen:
            return True
        seen.add(id(t))
        t = resolve(t.inner)  # type: ignore[attr-defined]
    return False


def _natural(v):
    kind = v[0]
    if kind == "num":
        raw = str(v[1]).replace("_", "")
        if "0x" in raw.lower():
            return int(raw, 0)
        return float(raw) if any(c in raw for c in ".eE") else int(raw)
    if kind in ("bool", "text", "blob"):
        return v[1]
    if kind == "null":
        return None
    if kind == "ann":
        return coerce(v[1], v[2])
    if kind == "opt":
        return [_natural(v[1])]
    if kind == "vec":
        return [_natural(x) for x in v[1]]
    if kind == "record":
        return {k: _natural(x) for k, x in v[1]}
    if kind == "variant":
        return {v[1]: _natural(v[2])}
    if kind in ("principal", "service"):
        return make_principal(principal_from_text(v[1]))
    return FuncRef(make_principal(principal_from_text(v[1])), v[2])


def format_value(values: list | tuple, types: list[Type] | tuple[Type, ...]) -> str:
    """Print host values of `types` as a Candid textual argument list `( ... )`."""
    if len(values) != len(types):
        raise CandidError(f"{len(values)} value(s) given for {len(types)} type(s)")
    return "(" + ", ".join(format_one(v, t) for v, t in zip(values, types)) + ")"


def _blob(b: bytes) -> str:
    return 'blob "' + "".join(chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C) else f"\\{c:02x}"
                              for c in b) + '"'


def _float(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        raise CandidError(f"{x} has no Candid text form")
    s = repr(x)
    return s if any(c in s for c in ".e") else s + "."


def format_one(v, t: Type) -> str:
    """Print one host value at type `t`."""
    t = resolve(t)
    cls = t.__class__
    if cls is Prim:
        op = t.opcode  # type: ignore[attr-defined]
        if op in (-1, -16):
            return "null"
        if op == -2:
            return "true" if v else "false"
        if op in (-13, -14):
            return _float(float(v))
        if op == -15:
            return quote_text(v)
        if op == -24:
            return f'principal "{principal_to_text(principal_bytes(v))}"'
        if op == -17:
            raise CandidError("type empty has no values")
        return str(int(v))
    if cls is Opt:
        return "null" if v is None or len(v) == 0 else "opt " + format_one(v[0], t.inner)  # type: ignore
    if cls is Vec:
        if resolve(t.inner) is NAT8:  # type: ignore[attr-defined]
            return _blob(bytes(v))
        items = "; ".join(format_one(x, t.inner) for x in v)  # type: ignore[attr-defined]
        return "vec { " + items + " }" if items else "vec {}"
    if cls is Record:
        fs = t.fields  # type: ignore[attr-defined]
        if t.is_tuple and isinstance(v, (tuple, list)):  # type: ignore[attr-defined]
            body = "; ".join(format_one(x, f.type) for x, f in zip(v, fs))
        else:
            body = "; ".join(f"{format_label(f)} = {format_one(_field(v, f), f.type)}" for f in fs)
        return "record { " + body + " }" if body else "record {}"
    if cls is Variant:
        if isinstance(v, str):
            v = {v: None}
        (key, x), = v.items()
        for f in t.fields:  # type: ignore[attr-defined]
            if key in (f.key, f.id):
                if resolve(f.type).__class__ is Prim and resolve(f.type).opcode == -1:
                    return f"variant {{ {format_label(f)} }}"
                return f"variant {{ {format_label(f)} = {format_one(x, f.type)} }}"
        raise CandidError(f"unknown variant tag {key!r}")
    if cls is Func:
        return f'func "{principal_to_text(principal_bytes(v[0]))}".{quote_text(v[1])}'
    if cls is Service:
        return f'service "{principal_to_text(principal_bytes(v))}"'
    raise CandidError(f"cannot print a value of type {format_type(t)}")


def _field(v: dict, f):
    if f.key in v:
        return v[f.key]
    return v.get(f.id)
