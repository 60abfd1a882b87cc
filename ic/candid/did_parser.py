"""The `.did` grammar (spec `Candid.md`, "Core Grammar": definitions, types, services).

`parse_did(text)` returns a `DidFile`: named definitions (recursive and mutually recursive
definitions are bound `Ref`s), the service's methods as `Func` types and its init arguments
(`service : (A) -> {...}`). `parse_type(text)` parses one type expression. Imports are refused
with a clear error: a `.did` file here must be self-contained.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import CandidError, CandidSyntaxError
from .lexer import TokenStream, position
from .types import (ANNOTATIONS, NAT8, NULL, PRIMITIVES, Field, Func, Opt, Record, Ref, Service,
                    Type, Variant, Vec, make_field, resolve)


@dataclass
class DidFile:
    """A parsed `.did` file."""

    types: dict[str, Type] = field(default_factory=dict)  # name -> its definition's body
    refs: dict[str, Ref] = field(default_factory=dict)    # name -> a reference to it
    service: dict[str, Func] = field(default_factory=dict)
    init_args: tuple[Type, ...] | None = None
    service_type: Service | None = None

    def lookup(self, name: str) -> Type:
        """The type named `name`, as a reference (prints as its name, compares structurally)."""
        try:
            return self.refs[name]
        except KeyError:
            raise CandidError(f"no type named {name!r} in this .did file") from None


class TypeParser:
    """Recursive-descent parser for types and definitions over a `TokenStream`."""

    def __init__(self, ts: TokenStream, env: dict[str, Ref] | None = None) -> None:
        self.ts = ts
        self.env: dict[str, Ref] = {} if env is None else env
        self.defined: dict[str, Type] = {}
        self.uses: dict[str, int] = {}

    def ref(self, name: str, pos: int) -> Ref:
        r = self.env.get(name)
        if r is None:
            r = self.env[name] = Ref(name)
            self.uses.setdefault(name, pos)
        return r

    def definition(self) -> None:
        """`type <id> = <datatype>` (the `type` keyword already consumed)."""
        tok = self.ts.expect("id")
        name = tok.value
        if name in PRIMITIVES or name in ("opt", "vec", "record", "variant", "func", "service", "blob"):
            self.ts.fail("expected a type name, not a keyword", tok)
        self.ts.expect("sym", "=")
        body = self.datatype()
        if name in self.defined:
            raise CandidSyntaxError(f"{position(self.ts.text, tok.pos)}: type {name!r} is defined twice")
        self.defined[name] = body
        self.ref(name, tok.pos).bind(body)

    def finish(self) -> None:
        """Check that every name used is defined and no definition is a bare cycle."""
        for name, pos in self.uses.items():
            if name not in self.defined:
                raise CandidSyntaxError(f"{position(self.ts.text, pos)}: type {name!r} is not defined")
        for name in self.defined:
            try:
                resolve(self.env[name])
            except CandidError:
                raise CandidSyntaxError(f"type {name!r} is defined only in terms of itself") from None

    def datatype(self) -> Type:
        ts = self.ts
        tok = ts.peek()
        if tok.kind != "id":
            ts.fail("expected a type")
        word = tok.value
        ts.next()
        prim = PRIMITIVES.get(word)  # type: ignore[arg-type]
        if prim is not None:
            return prim
        if word == "opt":
            return Opt(self.datatype())
        if word == "vec":
            return Vec(self.datatype())
        if word == "blob":
            return Vec(NAT8)
        if word == "record":
            return Record(self.fields(record=True))
        if word == "variant":
            return Variant(self.fields(record=False))
        if word == "func":
            return self.functype()
        if word == "service":
            return self.actortype()
        return self.ref(word, tok.pos)  # type: ignore[arg-type]

    def fields(self, record: bool) -> tuple[Field, ...]:
        ts = self.ts
        ts.expect("sym", "{")
        out: list[Field] = []
        while not ts.accept("sym", "}"):
            tok = ts.peek()
            label: str | int | None = None
            if tok.kind == "num" and ts.at("sym", ":", 1):
                label = self._nat_label(tok)
                ts.next()
                ts.next()
            elif tok.kind in ("id", "text") and ts.at("sym", ":", 1):
                label = tok.value if tok.kind == "id" else ts.utf8(tok)  # type: ignore[assignment]
                ts.next()
                ts.next()
            elif not record and tok.kind == "num":
                ts.next()
                out.append(make_field(self._nat_label(tok), NULL))
                self._sep()
                continue
            elif not record and tok.kind in ("id", "text"):
                ts.next()
                out.append(make_field(tok.value if tok.kind == "id" else ts.utf8(tok), NULL))
                self._sep()
                continue
            if label is None:
                if not record:
                    ts.fail("expected a variant tag")
                label = out[-1].id + 1 if out else 0  # spec: 0, or the previous field's id + 1
            out.append(make_field(label, self.datatype()))
            self._sep()
        ids = [f.id for f in out]
        if len(set(ids)) != len(ids):
            raise CandidSyntaxError(f"{position(ts.text, ts.peek().pos)}: duplicate field label"
                                    " (or two labels with the same hash)")
        return tuple(out)

    def _sep(self) -> None:
        if not self.ts.accept("sym", ";") and not self.ts.at("sym", "}"):
            self.ts.fail("expected ';' or '}'")

    def _nat_label(self, tok) -> int:
        text = str(tok.value).replace("_", "")
        try:
            n = int(text, 0) if text.startswith("0x") else int(text)
        except ValueError:
            self.ts.fail("expected a natural number label", tok)
        if not 0 <= n <= 0xFFFFFFFF:
            self.ts.fail("field label out of range 0..2**32-1", tok)
        return n

    def tuptype(self) -> tuple[Type, ...]:
        ts = self.ts
        ts.expect("sym", "(")
        out = []
        while not ts.accept("sym", ")"):
            if ts.peek().kind in ("id", "text") and ts.at("sym", ":", 1):
                ts.next()
                ts.next()
            out.append(self.datatype())
            if not ts.accept("sym", ",") and not ts.at("sym", ")"):
                ts.fail("expected ',' or ')'")
        return tuple(out)

    def functype(self) -> Func:
        args = self.tuptype()
        self.ts.expect("sym", "->")
        results = self.tuptype()
        anns = []
        while self.ts.peek().kind == "id" and self.ts.peek().value in ANNOTATIONS:
            anns.append(self.ts.next().value)
        return Func(args, results, tuple(anns))  # type: ignore[arg-type]

    def actortype(self) -> Type:
        ts = self.ts
        if ts.peek().kind == "id" and not ts.at("sym", "{"):
            tok = ts.next()
            return self.ref(tok.value, tok.pos)  # type: ignore[arg-type]
        ts.expect("sym", "{")
        methods = []
        while not ts.accept("sym", "}"):
            tok = ts.next()
            if tok.kind == "id":
                name = tok.value
            elif tok.kind == "text":
                name = ts.utf8(tok)
            else:
                ts.fail("expected a method name", tok)
            ts.expect("sym", ":")
            if ts.at("sym", "("):
                mt: Type = self.functype()
            else:
                t = ts.expect("id")
                mt = self.ref(t.value, t.pos)  # type: ignore[arg-type]
            methods.append((name, mt))
            self._sep()
        names = [m for m, _ in methods]
        if len(set(names)) != len(names):
            raise CandidSyntaxError(f"{position(ts.text, ts.peek().pos)}: duplicate method name"
                                    " in service")
        return Service(tuple(methods))  # type: ignore[arg-type]


def parse_did(text: str) -> DidFile:
    """Parse a whole `.did` file: `<def>;* <actor>?`."""
    ts = TokenStream(text)
    p = TypeParser(ts)
    actor = None
    init: tuple[Type, ...] | None = None
    while not ts.at("eof"):
        tok = ts.peek()
        if ts.accept("id", "type"):
            p.definition()
        elif ts.accept("id", "import"):
            raise CandidSyntaxError(f"{position(text, tok.pos)}: imports are not supported; inline"
                                    " the imported definitions into this file")
        elif ts.accept("id", "service"):
            if actor is not None:
                ts.fail("a second service declaration", tok)
            if ts.peek().kind == "id":
                ts.next()  # the service's optional name
            ts.expect("sym", ":")
            if ts.at("sym", "("):
                init = p.tuptype()
                ts.expect("sym", "->")
            actor = p.actortype()
        else:
            ts.fail("expected 'type', 'import' or 'service'")
        if not ts.accept("sym", ";") and not ts.at("eof"):
            ts.fail("expected ';'")
    p.finish()
    did = DidFile(types=dict(p.defined), refs={n: p.env[n] for n in p.defined}, init_args=init)
    if actor is not None:
        svc = resolve(actor)
        if svc.__class__ is not Service:
            raise CandidSyntaxError(f"the service's type {actor} is not a service type")
        did.service_type = svc  # type: ignore[assignment]
        for name, mt in svc.methods:  # type: ignore[attr-defined]
            f = resolve(mt)
            if f.__class__ is not Func:
                raise CandidSyntaxError(f"service method {name!r} has type {mt}, expected a func type")
            did.service[name] = f  # type: ignore[assignment]
    return did


def parse_type(text: str, env: DidFile | dict[str, Ref] | None = None) -> Type:
    """Parse one type expression, e.g. `"vec record { nat; text }"`, optionally naming types of `env`."""
    refs = env.refs if isinstance(env, DidFile) else dict(env or {})
    ts = TokenStream(text)
    p = TypeParser(ts, dict(refs))
    p.defined = dict.fromkeys(refs)  # type: ignore[assignment]
    t = p.datatype()
    if not ts.at("eof"):
        ts.fail("expected end of type")
    p.finish()
    return t


def parse_types(text: str, env: DidFile | dict[str, Ref] | None = None) -> tuple[Type, ...]:
    """Parse an argument list type, e.g. `"(nat, opt text)"`."""
    refs = env.refs if isinstance(env, DidFile) else dict(env or {})
    ts = TokenStream(text)
    p = TypeParser(ts, dict(refs))
    p.defined = dict.fromkeys(refs)  # type: ignore[assignment]
    t = p.tuptype()
    if not ts.at("eof"):
        ts.fail("expected end of argument types")
    p.finish()
    return t


__all__ = ["DidFile", "TypeParser", "parse_did", "parse_type", "parse_types"]
