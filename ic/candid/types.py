"""The Candid type language (spec `Candid.md`, section "Types"): an immutable AST.

Types are frozen dataclasses. Recursive types go through `Ref`, a named reference bound once to
its definition (by the `.did` parser or the binary type-table reader). Equality is structural and
coinductive, so two recursive types are equal when their infinite unfoldings are; field labels
compare by id (`idl_hash` of the name), as on the wire. `str(t)` is canonical Candid type text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import CandidError

_ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
KEYWORDS = frozenset(
    "type import service func opt vec record variant blob principal query oneway composite_query"
    " null bool nat int nat8 nat16 nat32 nat64 int8 int16 int32 int64 float32 float64 text"
    " reserved empty".split()
)


def idl_hash(name: str) -> int:
    """Field id of a textual label: h = h * 223 + byte, modulo 2**32, over its UTF-8 bytes."""
    h = 0
    for b in name.encode("utf-8"):
        h = (h * 223 + b) & 0xFFFFFFFF
    return h


class Type:
    """Base of every Candid type node."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Type):
            return NotImplemented
        return types_equal(self, other)

    def __hash__(self) -> int:
        return _shape_hash(self, 3)

    def __str__(self) -> str:
        return format_type(self)


@dataclass(frozen=True, eq=False, repr=False)
class Prim(Type):
    name: str
    opcode: int

    def __repr__(self) -> str:
        return self.name.upper()


NULL = Prim("null", -1)
BOOL = Prim("bool", -2)
NAT = Prim("nat", -3)
INT = Prim("int", -4)
NAT8 = Prim("nat8", -5)
NAT16 = Prim("nat16", -6)
NAT32 = Prim("nat32", -7)
NAT64 = Prim("nat64", -8)
INT8 = Prim("int8", -9)
INT16 = Prim("int16", -10)
INT32 = Prim("int32", -11)
INT64 = Prim("int64", -12)
FLOAT32 = Prim("float32", -13)
FLOAT64 = Prim("float64", -14)
TEXT = Prim("text", -15)
RESERVED = Prim("reserved", -16)
EMPTY = Prim("empty", -17)
PRINCIPAL = Prim("principal", -24)

PRIMITIVES: dict[str, Prim] = {
    p.name: p
    for p in (NULL, BOOL, NAT, INT, NAT8, NAT16, NAT32, NAT64, INT8, INT16, INT32, INT64,
              FLOAT32, FLOAT64, TEXT, RESERVED, EMPTY, PRINCIPAL)
}
PRIM_BY_OPCODE: dict[int, Prim] = {p.opcode: p for p in PRIMITIVES.values()}

OPT_OP, VEC_OP, RECORD_OP, VARIANT_OP, FUNC_OP, SERVICE_OP = -18, -19, -20, -21, -22, -23
ANNOTATIONS = {"query": 1, "oneway": 2, "composite_query": 3}


@dataclass(frozen=True, eq=False)
class Opt(Type):
    inner: Type


@dataclass(frozen=True, eq=False)
class Vec(Type):
    inner: Type


@dataclass(frozen=True, eq=False)
class Field:
    """One record field or variant tag: `id` is the wire label, `name` its text (None if numeric)."""

    id: int
    name: str | None
    type: Type

    @property
    def key(self) -> str | int:
        """The Python dict key of this field: its name when known, else its id."""
        return self.name if self.name is not None else self.id

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Field):
            return NotImplemented
        return self.id == other.id and types_equal(self.type, other.type)

    def __hash__(self) -> int:
        return hash((self.id, _shape_hash(self.type, 2)))


def make_field(label: str | int, typ: Type) -> Field:
    if isinstance(label, int):
        if not 0 <= label <= 0xFFFFFFFF:
            raise CandidError(f"field id {label} is outside 0..2**32-1")
        return Field(label, None, typ)
    return Field(idl_hash(label), label, typ)


def _sorted_fields(fields: tuple[Field, ...], what: str) -> tuple[Field, ...]:
    out = tuple(sorted(fields, key=lambda f: f.id))
    for a, b in zip(out, out[1:]):
        if a.id == b.id:
            raise CandidError(f"{what} has two fields with id {a.id} ({a.key!r} and {b.key!r})")
    return out


@dataclass(frozen=True, eq=False)
class Record(Type):
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _sorted_fields(tuple(self.fields), "record"))

    @property
    def is_tuple(self) -> bool:
        """True for `record { T0; T1; ... }`: unnamed fields numbered 0..n-1, n >= 1."""
        fs = self.fields
        return bool(fs) and all(f.name is None and f.id == i for i, f in enumerate(fs))


@dataclass(frozen=True, eq=False)
class Variant(Type):
    fields: tuple[Field, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "fields", _sorted_fields(tuple(self.fields), "variant"))


@dataclass(frozen=True, eq=False)
class Func(Type):
    args: tuple[Type, ...] = ()
    results: tuple[Type, ...] = ()
    annotations: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for a in self.annotations:
            if a not in ANNOTATIONS:
                raise CandidError(f"unknown function annotation {a!r}")
        object.__setattr__(self, "annotations", tuple(sorted(set(self.annotations),
                                                             key=ANNOTATIONS.__getitem__)))


@dataclass(frozen=True, eq=False)
class Service(Type):
    methods: tuple[tuple[str, Type], ...] = ()

    def __post_init__(self) -> None:
        ms = tuple(sorted(self.methods, key=lambda m: m[0].encode("utf-8")))
        for a, b in zip(ms, ms[1:]):
            if a[0] == b[0]:
                raise CandidError(f"service has two methods named {a[0]!r}")
        object.__setattr__(self, "methods", ms)


@dataclass(frozen=True, eq=False)
class Future(Type):
    """A wire type with an opcode this version of Candid does not know (below -24)."""

    opcode: int
    data: bytes = b""


@dataclass(frozen=True, eq=False, repr=False)
class Ref(Type):
    """A named reference to a type definition; bound exactly once with `bind`."""

    name: str
    _cell: list = field(default_factory=lambda: [None], compare=False)

    def bind(self, target: Type) -> None:
        if self._cell[0] is not None:
            raise CandidError(f"type {self.name!r} is defined twice")
        self._cell[0] = target

    @property
    def target(self) -> Type:
        t = self._cell[0]
        if t is None:
            raise CandidError(f"type {self.name!r} is used but never defined")
        return t

    def __repr__(self) -> str:
        return f"Ref({self.name!r})"


def resolve(t: Type) -> Type:
    """Follow `Ref`s to the first structural node; a cycle of bare references is an error."""
    seen = 0
    while t.__class__ is Ref:
        t = t.target  # type: ignore[attr-defined]
        seen += 1
        if seen > 10_000:
            raise CandidError("type definition refers only to itself (vacuous recursive type)")
    return t


def is_nullish(t: Type) -> bool:
    """`null <: t`: the types that a missing field or argument may default to."""
    t = resolve(t)
    return t is NULL or t is RESERVED or t.__class__ is Opt


def types_equal(a: Type, b: Type, _assumed: set | None = None) -> bool:
    """Structural (coinductive) equality of possibly recursive types."""
    a, b = resolve(a), resolve(b)
    if a is b:
        return True
    if a.__class__ is not b.__class__:
        return False
    if a.__class__ is Prim:
        return a.opcode == b.opcode  # type: ignore[attr-defined]
    assumed = set() if _assumed is None else _assumed
    key = (id(a), id(b))
    if key in assumed:
        return True
    assumed.add(key)
    return _EQ[a.__class__](a, b, assumed)


def _eq_fields(a, b, s) -> bool:
    return len(a.fields) == len(b.fields) and all(
        x.id == y.id and types_equal(x.type, y.type, s) for x, y in zip(a.fields, b.fields))


def _eq_seq(xs, ys, s) -> bool:
    return len(xs) == len(ys) and all(types_equal(x, y, s) for x, y in zip(xs, ys))


_EQ = {
    Opt: lambda a, b, s: types_equal(a.inner, b.inner, s),
    Vec: lambda a, b, s: types_equal(a.inner, b.inner, s),
    Record: _eq_fields,
    Variant: _eq_fields,
    Func: lambda a, b, s: (a.annotations == b.annotations and _eq_seq(a.args, b.args, s)
                           and _eq_seq(a.results, b.results, s)),
    Service: lambda a, b, s: ([m for m, _ in a.methods] == [m for m, _ in b.methods]
                              and _eq_seq([t for _, t in a.methods], [t for _, t in b.methods], s)),
    Future: lambda a, b, s: a.opcode == b.opcode and a.data == b.data,
}


def _shape_hash(t: Type, depth: int) -> int:
    t = resolve(t)
    cls = t.__class__
    if cls is Prim:
        return hash(("prim", t.opcode))  # type: ignore[attr-defined]
    if depth == 0:
        return hash(cls.__name__)
    d = depth - 1
    if cls is Opt or cls is Vec:
        return hash((cls.__name__, _shape_hash(t.inner, d)))  # type: ignore[attr-defined]
    if cls is Record or cls is Variant:
        return hash((cls.__name__, tuple((f.id, _shape_hash(f.type, d))
                                         for f in t.fields)))  # type: ignore[attr-defined]
    if cls is Func:
        return hash(("func", len(t.args), len(t.results), t.annotations))  # type: ignore
    if cls is Service:
        return hash(("service", tuple(m for m, _ in t.methods)))  # type: ignore
    return hash((cls.__name__, getattr(t, "opcode", 0)))


def format_label(f: Field) -> str:
    if f.name is None:
        return str(f.id)
    return f.name if _ID_RE.match(f.name) and f.name not in KEYWORDS else quote_text(f.name)


def quote_text(s: str) -> str:
    out = []
    for ch in s:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\u{{{o:x}}}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def format_type(t: Type) -> str:
    """Canonical Candid text of a type; references print as their names."""
    cls = t.__class__
    if cls is Ref:
        return t.name  # type: ignore[attr-defined]
    if cls is Prim:
        return t.name  # type: ignore[attr-defined]
    if cls is Opt:
        return "opt " + format_type(t.inner)  # type: ignore[attr-defined]
    if cls is Vec:
        inner = t.inner  # type: ignore[attr-defined]
        return "blob" if inner is NAT8 else "vec " + format_type(inner)
    if cls is Record:
        if t.is_tuple:  # type: ignore[attr-defined]
            body = "; ".join(format_type(f.type) for f in t.fields)  # type: ignore
        else:
            body = "; ".join(f"{format_label(f)} : {format_type(f.type)}"
                             for f in t.fields)  # type: ignore[attr-defined]
        return "record { " + body + " }" if body else "record {}"
    if cls is Variant:
        body = "; ".join(format_label(f) if resolve(f.type) is NULL
                         else f"{format_label(f)} : {format_type(f.type)}"
                         for f in t.fields)  # type: ignore[attr-defined]
        return "variant { " + body + " }" if body else "variant {}"
    if cls is Func:
        return "func " + format_signature(t)  # type: ignore[arg-type]
    if cls is Service:
        body = "; ".join(f"{_method_name(m)} : {_method_type(mt)}"
                         for m, mt in t.methods)  # type: ignore[attr-defined]
        return "service { " + body + " }" if body else "service {}"
    if cls is Future:
        return f"<future type {t.opcode}>"  # type: ignore[attr-defined]
    raise CandidError(f"not a Candid type: {t!r}")


def format_signature(f: Func) -> str:
    args = ", ".join(format_type(a) for a in f.args)
    res = ", ".join(format_type(r) for r in f.results)
    ann = "".join(" " + a for a in f.annotations)
    return f"({args}) -> ({res}){ann}"


def _method_name(name: str) -> str:
    return name if _ID_RE.match(name) and name not in KEYWORDS else quote_text(name)


def _method_type(t: Type) -> str:
    return format_signature(t) if t.__class__ is Func else format_type(t)  # type: ignore[arg-type]
